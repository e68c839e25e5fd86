"""The body parser's fast reading of a MIME part's header block (``_scan_part_fields``) gives
exactly what the general line loop (``_scan_headers``) gives: fields and where the body starts,
on generated blocks (clean, folded, junk, bare CRs) and on every part of the real-mail corpora."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from supportmail.storage.mime.headers import (
    _HEADER_END,
    _PART_FIELDS,
    _scan_headers,
    _scan_part_fields,
)
from tests.unit.test_envelope_fast_path import corpus_files  # noqa: F401  (a fixture)

_names = st.sampled_from(
    [
        "Content-Type",
        "content-type",
        "CONTENT-TRANSFER-ENCODING",
        "Content-Disposition",
        "Content-ID",
        "Content-Type-X",
        "X-Content-Type",
        "Subject",
        "Content Type",
        "Contént-Type",
        "",
    ]
)
_text = st.text(alphabet=st.sampled_from(list(' \t\r;=:"abé\x00')), max_size=8)
_line = st.one_of(
    st.builds(
        lambda n, sep, v: n + sep + v, _names, st.sampled_from([":", " :", "\t:", ""]), _text
    ),
    st.builds(lambda lead, v: lead + v, st.sampled_from([" ", "\t", "  "]), _text),
    st.sampled_from(["\r", "junk line", "-- ", ">From x"]),
)


def _same(text: str) -> None:
    assert _scan_part_fields(text) == _scan_headers(text, _PART_FIELDS, stop_at_junk=True)


@settings(max_examples=1500, deadline=None)
@given(st.lists(_line, max_size=12), st.sampled_from(["\n", "\r\n"]))
def test_generated_blocks(lines: list[str], newline: str) -> None:
    _same(newline.join(lines))


_PART_START = re.compile(rb"\n--[^\r\n]*\r?\n")


def test_every_part_header_of_the_corpora(corpus_files: list[bytes]) -> None:  # noqa: F811
    """Each block as the body parser cuts it: from a part's start to its blank line."""
    blocks = 0
    for data in corpus_files:
        data = data[:2_000_000]
        starts = [0, *(m.end() for m in _PART_START.finditer(data))]
        for start in starts:
            end = _HEADER_END.search(data, start, start + 65536)
            if end is not None:
                _same(data[start : end.start()].decode("latin-1"))
                blocks += 1
    assert blocks > 100


def test_a_clean_block_is_read_whole() -> None:
    text = 'Content-Type: text/plain;\r\n charset="utf-8"\r\nX-Other: 1\r\nContent-ID: <a@b>'
    fields, end = _scan_part_fields(text)
    assert fields == {"content-type": ['text/plain; charset="utf-8"'], "content-id": ["<a@b>"]}
    assert end == len(text)
