"""Folders: LIST, SELECT (and what it says: UIDVALIDITY, UIDNEXT, PERMANENTFLAGS, HIGHESTMODSEQ),
STATUS of other folders, the personal NAMESPACE, the hierarchy delimiter, and ``abort`` from
another thread."""

from __future__ import annotations

import contextlib
import imaplib
import logging
import re
import socket
from typing import Any, NoReturn

from imapclient.response_parser import parse_response

from supportmail.storage.imap.core import ConnectionCore
from supportmail.storage.imap.errors import ImapError
from supportmail.storage.imap.records import FolderStatus
from supportmail.storage.imap.syntax import quote_mailbox, server_line

__all__ = ["Folders"]

_log = logging.getLogger(__name__)


class Folders(ConnectionCore):
    """What a connection knows about folders, and how it selects one."""

    def list_folders(self) -> list[str]:
        """Names of all selectable folders (``\\Noselect``/``\\NonExistent`` ones are left out)."""
        client = self._client_or_fail()
        with self._translated("LIST"):
            entries = client.list_folders()
        self._forget_untagged()
        names: list[str] = []
        for flags, _delimiter, name in entries:
            upper = {(f.decode() if isinstance(f, bytes) else str(f)).upper() for f in flags}
            if upper & {"\\NOSELECT", "\\NONEXISTENT"}:
                continue
            names.append(name.decode("utf-8", "replace") if isinstance(name, bytes) else str(name))
        return names

    def select(self, folder: str, *, readonly: bool = False) -> FolderStatus:
        """SELECT ``folder`` read-write (EXAMINE if the server only allows reading it, or
        with ``readonly``: the watcher only listens)."""
        client = self._client_or_fail()
        self._selected = None
        read_only = readonly
        with self._translated(f"SELECT {folder}"):
            try:
                response = client.select_folder(folder, readonly=readonly)
            except imaplib.IMAP4.readonly:
                response = client.select_folder(folder, readonly=True)
                read_only = True
            except imaplib.IMAP4.error as exc:
                if isinstance(exc, imaplib.IMAP4.abort):
                    raise
                self._raise_select_failed(folder, exc)
        self._forget_untagged()
        self._selected = folder
        return self._folder_status(folder, response, read_only)

    def _raise_select_failed(self, folder: str, exc: imaplib.IMAP4.error) -> NoReturn:
        reason = server_line(str(exc), self._password).removeprefix("select failed: ")
        if not self._folder_exists(folder):
            raise ImapError(f"folder '{folder}' does not exist") from None
        raise ImapError(f"cannot select folder '{folder}': {reason}") from None

    def _folder_exists(self, folder: str) -> bool:
        typ, _text = self._command("LIST", "LIST", b'""', quote_mailbox(folder))
        found = [line for line in self._untagged("LIST") if line]
        return typ == "OK" and bool(found)

    def _folder_status(
        self, folder: str, response: dict[bytes, Any], read_only: bool
    ) -> FolderStatus:
        uidvalidity = response.get(b"UIDVALIDITY")
        if uidvalidity is None:
            raise ImapError(f"the server sent no UIDVALIDITY for folder '{folder}'")
        uidnext = response.get(b"UIDNEXT")
        if uidnext is None:
            uidnext = self._status_uidnext(folder)
        permanent = {bytes(f).upper() for f in response.get(b"PERMANENTFLAGS", ())}
        highest = response.get(b"HIGHESTMODSEQ") if self._condstore else None
        return FolderStatus(
            name=folder,
            uidvalidity=int(uidvalidity),
            uidnext=int(uidnext),
            exists=int(response.get(b"EXISTS", 0)),
            highestmodseq=int(highest) if highest is not None else None,
            permanent_keywords=b"\\*" in permanent and not read_only,
        )

    def status(self, folder: str) -> dict[str, int]:
        """STATUS of a folder (not the selected one): MESSAGES, UIDNEXT, UIDVALIDITY and, with
        CONDSTORE, HIGHESTMODSEQ, as far as the server reported them. Changes the server
        reports meanwhile for the selected folder stay for ``take_changes``."""
        items = "MESSAGES UIDNEXT UIDVALIDITY" + (" HIGHESTMODSEQ" if self._condstore else "")
        self._check_ok(
            "STATUS", self._command("STATUS", "STATUS", quote_mailbox(folder), f"({items})")
        )
        found: dict[str, int] = {}
        for line in self._untagged("STATUS"):
            values = line.rsplit(b"(", 1)[-1] if isinstance(line, bytes) else b""
            for name, value in re.findall(rb"([A-Za-z]+) (\d+)", values):
                found[name.decode("ascii").upper()] = int(value)
        return found

    def abort(self) -> None:
        """Shut the socket down, from any thread: a command blocked on it fails at once with
        ``ImapConnectionLost`` (``close`` must not run while another thread uses it)."""
        client = self._client
        if client is None:
            return
        with contextlib.suppress(Exception):
            client.socket().shutdown(socket.SHUT_RDWR)

    def _status_uidnext(self, folder: str) -> int:
        self._check_ok(
            "STATUS", self._command("STATUS", "STATUS", quote_mailbox(folder), "(UIDNEXT)")
        )
        for line in self._untagged("STATUS"):
            match = re.search(rb"UIDNEXT (\d+)", line if isinstance(line, bytes) else b"")
            if match:
                return int(match.group(1))
        raise ImapError(f"the server sent no UIDNEXT for folder '{folder}'")

    def hierarchy_delimiter(self) -> str | None:
        """The hierarchy delimiter ``LIST "" ""`` names; None when the server names none (NIL)
        or says NO, or its reply does not parse."""
        self._forget_untagged()
        typ, _text = self._command("LIST", "LIST", '""', '""')
        lines = self._untagged("LIST")
        self._forget_untagged()
        if typ != "OK" or not lines:
            return None
        try:
            found = parse_response([lines[0]])
        except Exception:  # no delimiter to be read
            _log.debug("LIST reply without a delimiter", exc_info=True)
            return None
        if len(found) >= 2 and isinstance(found[1], bytes) and found[1]:
            return found[1].decode("ascii", "replace")
        return None

    def personal_namespaces(self) -> list[tuple[str, str]]:
        """The server's personal namespaces as (prefix, delimiter) (RFC 2342); [] without
        NAMESPACE. Courier answers ``(("INBOX." "."))``: its folders are ``INBOX.Sent``, ..."""
        if "NAMESPACE" not in self._capabilities:
            return []
        client = self._client_or_fail()
        with self._translated("NAMESPACE"):
            personal = client.namespace().personal
        self._forget_untagged()
        out: list[tuple[str, str]] = []
        for prefix, delimiter in personal or ():
            text = [
                v.decode("utf-8", "replace") if isinstance(v, bytes) else str(v or "")
                for v in (prefix, delimiter)
            ]
            out.append((text[0], text[1]))
        return out
