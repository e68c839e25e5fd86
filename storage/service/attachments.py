"""The service's attachments and links: list, save and open a message's attachments; its links.

``Service.attachments`` is one :class:`Attachments` per service. The cache lists attachments
(name, type, size) but never holds their bytes: they are fetched when asked, from the server
(``BODYSTRUCTURE`` of the message, then ``BODY.PEEK[section]`` of each attachment, so
``\\Seen`` is never set and the rest of the message is not downloaded), or, in the demo, from
the demo's own raw messages. A message is named by its number in the thread (1 = oldest), as
``supportmail show`` numbers them.

Which parts are attachments: every leaf part except the readable text (text/plain, text/html
and inline forwarded messages without a file name) and signatures. Saving goes through
``storage.safefiles``: safe names, never outside the directory, never over an existing file.
Links come from the message's HTML part (``storage.links``), else from its text.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import shutil
import tempfile
import time
from collections.abc import Callable, Sequence
from email.message import Message
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from supportmail.storage.links import links_of
from supportmail.storage.mime.charsets import decode_bytes
from supportmail.storage.mime.structure import decode_transfer
from supportmail.storage.models import AttachmentFile, Link, SavedFile
from supportmail.storage.private import private_dir
from supportmail.storage.safefiles import safe_filename, write_new
from supportmail.storage.sync import bodystructure
from supportmail.storage.sync.bodystructure import Leaf

if TYPE_CHECKING:
    from supportmail.storage.cache import MessageRow
    from supportmail.storage.imap import ImapConnection
    from supportmail.storage.service import Service

__all__ = ["Attachments", "attachment_leaves"]

T = TypeVar("T")
OPEN_DIR = "opened"
"""Under the data directory: private copies written for a viewer to open."""
OPEN_KEEP = 24 * 3600
"""Seconds an opened copy is kept (removed by a later open)."""


def attachment_leaves(leaves: Sequence[Leaf]) -> list[Leaf]:
    """The parts of a message that are attachments, in order (see the module docstring)."""
    text = {id(p) for p in bodystructure.readable(leaves) if not p.filename}
    return [
        p
        for p in leaves
        if id(p) not in text and bodystructure.attachment(p) is not None and p.section != ""
    ]


def _walk(msg: Message, section: str, out: list[tuple[Leaf, Message]], depth: int) -> None:
    if msg.is_multipart() and depth < 20:
        children = msg.get_payload()
        if isinstance(children, list):
            for n, child in enumerate(children, 1):
                if isinstance(child, Message):
                    _walk(child, f"{section}.{n}" if section else str(n), out, depth + 1)
        return
    try:
        filename = msg.get_filename() or ""
    except Exception:  # a broken RFC 2231 parameter: unnamed
        filename = ""
    leaf = Leaf(
        section=section,
        ctype=msg.get_content_type(),
        params={"charset": msg.get_content_charset() or ""},
        encoding=str(msg.get("Content-Transfer-Encoding", "")).strip().lower(),
        size=len(str(msg.get_payload())),
        disposition=msg.get_content_disposition() or "",
        filename=str(filename),
    )
    out.append((leaf, msg))


def _raw_parts(raw: bytes) -> list[tuple[Leaf, Message]]:
    """Leaves of a raw message with IMAP-style section numbers (the demo's messages)."""
    out: list[tuple[Leaf, Message]] = []
    _walk(email.message_from_bytes(raw, policy=email.policy.compat32), "", out, 0)
    return out


def _forget_old_copies(base: Path) -> None:
    """Remove the copies opened more than :data:`OPEN_KEEP` seconds ago (a viewer has long
    read them); a failure leaves them for next time."""
    cutoff = time.time() - OPEN_KEEP
    with contextlib.suppress(OSError):
        for entry in base.iterdir():
            with contextlib.suppress(OSError):
                if entry.is_dir() and not entry.is_symlink() and entry.stat().st_mtime < cutoff:
                    shutil.rmtree(entry)


class Attachments:
    """Attachments and links of one service's messages."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self._demo_raw: dict[str, bytes] | None = None

    # -- messages ----------------------------------------------------------------------------

    def _rows(self, ref: str) -> list[MessageRow]:
        """The thread's messages as ``show`` lists and numbers them (oldest first; messages that
        only share a Message-ID each, only copies of one message collapse)."""
        s = self.service
        return s.thread_rows(s.resolve(ref))

    def _pick(self, ref: str, message: int | None) -> list[tuple[int, MessageRow]]:
        from supportmail.storage.service import UnknownMessageError

        rows = self._rows(ref)
        if message is None:
            return list(enumerate(rows, 1))
        if not 1 <= message <= len(rows):
            raise UnknownMessageError(
                f"the thread has {len(rows)} message(s); there is no message {message}"
            )
        return [(message, rows[message - 1])]

    def _on_server(self, row: MessageRow, work: Callable[[ImapConnection], T]) -> T:
        def run(conn: ImapConnection) -> T:
            conn.select(row.folder)
            return work(conn)

        return self.service.on_server(run)

    def _demo_message(self, row: MessageRow) -> bytes:
        from supportmail.storage.service import ServiceError

        if self._demo_raw is None:
            from supportmail.storage.demo import generator
            from supportmail.storage.mime.envelope import parse_envelope

            self._demo_raw = {}
            for msg in generator.demo_messages(self.service.clock()):
                self._demo_raw.setdefault(parse_envelope(msg.raw).message_id, msg.raw)
        raw = self._demo_raw.get(row.message_id)
        if raw is None:
            raise ServiceError("this demo message is not in the bundled mailbox any more")
        return raw

    def _leaves(self, row: MessageRow) -> list[Leaf]:
        if self.service.is_demo:
            return [leaf for leaf, _ in _raw_parts(self._demo_message(row))]

        def work(conn: ImapConnection) -> list[Leaf]:
            for item in conn.fetch_items([row.uid], "(UID BODYSTRUCTURE)"):
                return bodystructure.leaves(item.get(b"BODYSTRUCTURE"))
            return []

        return self._on_server(row, work)

    def _contents(self, row: MessageRow, parts: Sequence[Leaf]) -> dict[str, bytes]:
        """Section -> decoded bytes of ``parts``."""
        if not parts:
            return {}
        if self.service.is_demo:
            wanted = {p.section for p in parts}
            out: dict[str, bytes] = {}
            for leaf, msg in _raw_parts(self._demo_message(row)):
                if leaf.section in wanted:
                    payload = msg.get_payload(decode=True)
                    out[leaf.section] = payload if isinstance(payload, bytes) else b""
            return out

        def work(conn: ImapConnection) -> dict[str, bytes]:
            names = " ".join(f"BODY.PEEK[{p.fetch_section}]" for p in parts)
            found: dict[str, bytes] = {}
            for item in conn.fetch_items([row.uid], f"(UID {names})"):
                for p in parts:
                    data = item.get(f"BODY[{p.fetch_section}]".encode())
                    if isinstance(data, bytes):
                        found[p.section] = decode_transfer(data, p.encoding)
            return found

        return self._on_server(row, work)

    # -- attachments -------------------------------------------------------------------------

    def files(self, ref: str, message: int | None = None) -> list[AttachmentFile]:
        """The attachments of a thread (or of its message number ``message``), as the server's
        structure of each message lists them. Offline: ``ServiceError``."""
        out: list[AttachmentFile] = []
        for number, row in self._pick(ref, message):
            out += [self._file(number, i, p) for i, p in enumerate(self._attachments(row), 1)]
        return out

    def _attachments(self, row: MessageRow) -> list[Leaf]:
        return attachment_leaves(self._leaves(row))

    @staticmethod
    def _file(number: int, index: int, part: Leaf) -> AttachmentFile:
        listed = bodystructure.attachment(part)
        size = listed.size if listed is not None else part.size
        return AttachmentFile(number, index, part.filename, part.ctype, size)

    def save(
        self,
        ref: str,
        directory: Path,
        message: int | None = None,
        only: int | None = None,
    ) -> list[SavedFile]:
        """Write the attachments of a thread (or of message ``message``; ``only``: just its
        attachment number ``only``) into ``directory``: safe names, existing files never
        overwritten. Returns what was written, in order."""
        from supportmail.storage.service import ServiceError

        saved: list[SavedFile] = []
        for number, row in self._pick(ref, message):
            parts = self._attachments(row)
            chosen = list(enumerate(parts, 1))
            if only is not None:
                chosen = [(i, p) for i, p in chosen if i == only]
                if not chosen:
                    raise ServiceError(f"message {number} has no attachment {only}")
            data = self._contents(row, [p for _, p in chosen])
            for index, part in chosen:
                if part.section not in data:
                    raise ServiceError(f"the server sent no data for {part.filename or 'a part'}")
                name = safe_filename(part.filename, part.ctype, index)
                try:
                    path = write_new(directory, name, data[part.section])
                except OSError as exc:
                    raise ServiceError(
                        f"cannot write {directory / name}: {exc.strerror or exc}"
                    ) from exc
                saved.append(SavedFile(path, self._file(number, index, part)))
        return saved

    def open_copy(self, ref: str, message: int, index: int) -> SavedFile:
        """A private copy of one attachment for a viewer (in a fresh 0700 directory under the
        data directory's ``opened/``): the UI hands its path to the viewer."""
        base = self.service.data_dir / OPEN_DIR
        private_dir(base)
        _forget_old_copies(base)
        target = Path(tempfile.mkdtemp(dir=base))
        return self.save(ref, target, message, only=index)[0]

    @staticmethod
    def download_dir() -> Path:
        """Where the TUI saves attachments: ``~/Downloads`` when it exists, else the directory
        supportmail was started in."""
        downloads = Path.home() / "Downloads"
        return downloads if downloads.is_dir() else Path.cwd()

    # -- links -------------------------------------------------------------------------------

    def links(self, ref: str, message: int, *, raw: bool = False) -> list[Link]:
        """The links of message number ``message``: (text, real target) from its HTML part,
        else the URLs in its text. Sanitised unless ``raw``."""
        number, row = self._pick(ref, message)[0]
        del number
        leaves = self._leaves(row)
        html = next(
            (p for p in leaves if p.ctype == "text/html" and p.disposition != "attachment"), None
        )
        source: str | None = None
        if html is not None:
            data = self._contents(row, [html]).get(html.section, b"")
            source = decode_bytes(data, html.params.get("charset") or None)
        text = ""
        if source is None:
            body = self.service.cache.body(row.rowid)
            text = body.text if body is not None else ""
        found = links_of(source, text)
        return found if raw else [link.sanitized() for link in found]

    def thread_links(self, ref: str) -> list[tuple[int, Link]]:
        """(message number, link) for every message of a thread, oldest message first."""
        return [
            (number, link)
            for number in range(1, len(self._rows(ref)) + 1)
            for link in self.links(ref, number)
        ]
