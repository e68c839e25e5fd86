"""A message whose FETCH reply could not be parsed: what is still known of it, and the row
that says what failed.

One broken FETCH response (a server bug, a proxy that mangles a literal) must not fail a whole
folder: ``storage.imap`` logs it and hands sync a stand-in header block made here, so the
message is listed (its subject says it could not be read and why) and the rest of the folder
syncs. The UID, flags and size are taken from the raw reply when they can be found in it; a
response without a recognisable UID cannot be placed and is only logged.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

__all__ = ["Salvaged", "salvage"]

_UID = re.compile(rb"\bUID (\d{1,10})\b", re.IGNORECASE)
_SIZE = re.compile(rb"\bRFC822\.SIZE (\d{1,12})\b", re.IGNORECASE)
_FLAGS = re.compile(rb"\bFLAGS \(([^()\"{}]*)\)", re.IGNORECASE)
_ATOM = re.compile(r"\\?[!#-'*-\[\]-~]+")
_REASON_CAP = 120


@dataclass(frozen=True, slots=True)
class Salvaged:
    """What is known of a message whose FETCH reply did not parse."""

    uid: int
    flags: tuple[str, ...]
    size: int
    header: bytes
    """A header block (no Message-ID: sync gives it a synthetic id of its own) whose Subject
    says that the message could not be read and why."""


def _response_text(group: Sequence[Any]) -> bytes:
    """The protocol text of one imaplib-form response, literals left out."""
    pieces: list[bytes] = []
    for element in group:
        if isinstance(element, tuple) and element:
            pieces.append(bytes(element[0]))
        elif isinstance(element, bytes | bytearray):
            pieces.append(bytes(element))
    return b" ".join(pieces)


def _clean(reason: str) -> str:
    text = "".join(ch if ch.isprintable() else " " for ch in reason)
    return " ".join(text.split())[:_REASON_CAP] or "unparseable"


def salvage(group: Sequence[Any], reason: str) -> Salvaged | None:
    """The stand-in for one unparseable FETCH response, or None when it names no UID."""
    text = _response_text(group)
    uid = _UID.search(text)
    if uid is None:
        return None
    size = _SIZE.search(text)
    flags_match = _FLAGS.search(text)
    flags: tuple[str, ...] = ()
    if flags_match is not None:
        words = flags_match.group(1).decode("ascii", "replace").split()
        flags = tuple(w for w in words if _ATOM.fullmatch(w) and w.lower() != "\\recent")
    subject = (
        f"[unreadable: the server's FETCH reply for UID {int(uid.group(1))} could not be parsed"
        f" ({_clean(reason)}); see the log]"
    )
    header = f"Subject: {subject}\r\n\r\n".encode("ascii", "replace")
    return Salvaged(int(uid.group(1)), flags, int(size.group(1)) if size else 0, header)
