"""The cache's hand-written JSON for address lists is exactly what ``json.dumps`` writes."""

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
