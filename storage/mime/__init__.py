"""Raw mail bytes -> plain decoded values: envelopes for sync, bodies for reading.

Who calls what:

* ``storage.sync`` fetches ``BODY.PEEK[HEADER.FIELDS (HEADER_FIELDS)]`` and calls
  :func:`parse_envelope` on each header block (250k of them on a first sync, so this path is a
  hand-written header splitter, not ``email.message``);
* ``storage.cache``/``storage.service`` call :func:`parse_body` on a whole message when it is
  opened: a bounded MIME walk over the raw bytes (depth, part, size and time caps).

Every public function here is total: hostile or broken mail yields a best-effort value, never an
exception. Strings come back *decoded* (RFC 2047, RFC 2231, charsets) but *not sanitised*: control
characters pass through untouched and ``storage.sanitize`` makes them safe before display.

The modules, by responsibility: :mod:`.values` (Envelope, Body, caps), :mod:`.charsets`,
:mod:`.headers` (header blocks, RFC 2047), :mod:`.ids`, :mod:`.addresses`, :mod:`.dates`,
:mod:`.envelope`, :mod:`.structure` (the MIME tree), :mod:`.body` (what is shown),
:mod:`.html` (HTML -> text). ``docs/mime.md`` says what is shown for each MIME shape.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from supportmail.storage.lazy import lazy_exports

if TYPE_CHECKING:
    from supportmail.storage.mime.body import parse_body
    from supportmail.storage.mime.charsets import decode_bytes
    from supportmail.storage.mime.envelope import parse_envelope
    from supportmail.storage.mime.headers import decode_header_value
    from supportmail.storage.mime.html import html_to_text
    from supportmail.storage.mime.ids import (
        is_synthetic,
        normalize_message_id,
        parse_message_ids,
        per_message,
    )
    from supportmail.storage.mime.values import (
        HEADER_FIELDS,
        MAX_DEPTH,
        MAX_PARTS,
        TEXT_CAP,
        TRUNCATED,
        Body,
        Envelope,
    )

__all__ = [
    "HEADER_FIELDS",
    "MAX_DEPTH",
    "MAX_PARTS",
    "TEXT_CAP",
    "TRUNCATED",
    "Body",
    "Envelope",
    "decode_bytes",
    "decode_header_value",
    "html_to_text",
    "is_synthetic",
    "normalize_message_id",
    "parse_body",
    "parse_envelope",
    "parse_message_ids",
    "per_message",
]

__getattr__ = lazy_exports(
    __name__,
    {
        "parse_body": "body",
        "decode_bytes": "charsets",
        "parse_envelope": "envelope",
        "decode_header_value": "headers",
        "html_to_text": "html",
        "is_synthetic": "ids",
        "normalize_message_id": "ids",
        "parse_message_ids": "ids",
        "per_message": "ids",
        "HEADER_FIELDS": "values",
        "MAX_DEPTH": "values",
        "MAX_PARTS": "values",
        "TEXT_CAP": "values",
        "TRUNCATED": "values",
        "Body": "values",
        "Envelope": "values",
    },
)
