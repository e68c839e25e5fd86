"""The cache's hand-written JSON for address lists is exactly what ``json.dumps`` writes, and the
fast reading of it for the search index's people text is exactly what ``json.loads`` reads."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from supportmail.storage.cache import rows
from supportmail.storage.models import Address

_text = st.text(alphabet=st.sampled_from(list('aé"\\\n\x01 中\u2028<@\x7f\ud800')), max_size=6)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.builds(Address, _text, _text), max_size=4))
def test_address_json_is_json_dumps(addresses: list[Address]) -> None:
    expected = json.dumps([[a.name, a.addr] for a in addresses], ensure_ascii=False)
    written = rows.addresses_json(tuple(addresses))
    assert written == (expected if addresses else "[]")
    assert rows.addresses(written) == tuple(addresses)


@settings(max_examples=300, deadline=None)
@given(
    st.tuples(_text, _text),
    st.lists(st.tuples(_text, _text), max_size=4),
    st.lists(st.tuples(_text, _text), max_size=4),
)
def test_people_row_reads_the_stored_lists_as_json_does(
    sender: tuple[str, str], to: list[tuple[str, str]], cc: list[tuple[str, str]]
) -> None:
    to_json = rows.addresses_json([Address(n, a) for n, a in to])
    cc_json = rows.addresses_json([Address(n, a) for n, a in cc])
    expected = rows.people(Address(*sender), (*rows.addresses(to_json), *rows.addresses(cc_json)))
    assert rows.people_row(*sender, to_json, cc_json) == expected


def test_people_row_of_a_broken_list_keeps_the_sender() -> None:
    assert rows.people_row("Ann", "ann@example.com", "not json", "[]") == "Ann ann@example.com"
