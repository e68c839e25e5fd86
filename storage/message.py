"""The public names of :mod:`storage.mime`, under the module name the rest of the code imports.

The parsing itself lives in the ``storage/mime/`` package, one module per responsibility.
"""

from __future__ import annotations

from storage.mime import (
    HEADER_FIELDS,
    MAX_DEPTH,
    MAX_PARTS,
    TEXT_CAP,
    TRUNCATED,
    Body,
    Envelope,
    decode_bytes,
    decode_header_value,
    html_to_text,
    is_synthetic,
    normalize_message_id,
    parse_body,
    parse_envelope,
    parse_message_ids,
    per_message,
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
