"""METADATA (RFC 5464): one entry of a mailbox read with GETMETADATA and written with
SETMETADATA (the value sent as a literal, non-synchronising with LITERAL+)."""

from __future__ import annotations

import imaplib
import logging
from typing import Any

from imapclient.response_parser import parse_response

from supportmail.storage.imap.core import ConnectionCore
from supportmail.storage.imap.errors import ImapError
from supportmail.storage.imap.syntax import quoted_string

__all__ = ["Metadata"]

_log = logging.getLogger(__name__)

for _command in ("GETMETADATA", "SETMETADATA"):  # imaplib refuses commands it does not know
    imaplib.Commands.setdefault(_command, ("AUTH", "SELECTED"))


class Metadata(ConnectionCore):
    """GETMETADATA and SETMETADATA of one entry."""

    def get_metadata(
        self, mailbox: str, entry: str, *, action: str = "reading METADATA"
    ) -> bytes | None:
        """The value of ``entry`` on ``mailbox``: None when it is NIL, absent or unreadable;
        ``ImapError`` ("``action`` failed: ...") when the server refuses the command. Changes
        the server reports meanwhile for the selected folder stay for ``take_changes`` (the
        watcher reads the shared catalog between two IDLEs)."""
        self._untagged("METADATA")  # a stale one: not this command's answer
        typ, text = self._command(action, "GETMETADATA", quoted_string(mailbox), f"({entry})")
        data = self._untagged("METADATA")
        if typ != "OK":
            raise ImapError(f"{action} failed: {text}")
        return _metadata_value(data, entry)

    def set_metadata(
        self, mailbox: str, entry: str, value: bytes, *, action: str = "storing METADATA"
    ) -> None:
        """Set ``entry`` on ``mailbox`` to ``value``; ``ImapError`` ("``action`` failed: ...")
        when the server refuses it (entry too big, attributes not enabled, ...)."""
        wire = self._wire()
        with self._translated(action):
            tag = wire._new_tag()
            plus = "LITERAL+" in self.capabilities
            quoted = quoted_string(mailbox).encode()
            size = f"{{{len(value)}{'+' if plus else ''}}}".encode()
            wire.send(tag + b" SETMETADATA " + quoted + b" (" + entry.encode() + b" ")
            wire.send(size + b"\r\n")
            if not plus:
                while wire._get_response():  # None: the continuation arrived
                    if wire.tagged_commands.get(tag):
                        raise ImapError(f"{action} failed: {wire.tagged_commands[tag]!r:.200}")
            wire.send(value + b")\r\n")
            typ, data = wire._command_complete("SETMETADATA", tag)
        self._forget_untagged()
        if typ != "OK":
            detail = data[-1].decode("utf-8", "replace") if data and data[-1] else ""
            raise ImapError(f"{action} failed: {detail[:200]}")


def _metadata_value(data: list[Any], entry: str) -> bytes | None:
    """The value of ``entry`` in the untagged METADATA responses (None: NIL or absent)."""
    if not data:
        return None
    try:
        parsed = parse_response(data)
    except Exception:  # a reply the parser cannot read: no value
        _log.warning("unreadable METADATA reply for %s", entry, exc_info=True)
        return None
    for item in parsed:
        if not isinstance(item, tuple):
            continue
        pairs = list(item)
        for key, value in zip(pairs[::2], pairs[1::2], strict=False):
            name = key.decode() if isinstance(key, bytes) else str(key)
            if name.lower() == entry.lower() and isinstance(value, bytes | str):
                return value.encode() if isinstance(value, str) else value
    return None
