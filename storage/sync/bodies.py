"""The body mirror: every message's readable text into the cache, as the last step of a sync.

After the headers are pulled and threaded and the outbox pushed, :class:`BodyMirror` fetches
the text of every cached message that has none yet (within the ``bodies`` window), newest
first, and commits it in chunks: one transaction per chunk writes the ``bodies`` rows and the
search index's body column together, so a word is searchable as soon as its chunk lands. The
work list is "rows without a body, within the window", so a run killed at any moment resumes
where it stopped and never fetches a stored body again.

How a message is fetched was chosen by measurement (docs/bodies.md): one ``UID FETCH`` of whole
messages (``BODY.PEEK[]``, never setting ``\\Seen``) per chunk for every message up to
:data:`WHOLE_MAX` bytes (``RFC822.SIZE``, stored by the header sync), which is nearly all
support mail; on Dovecot that is five times faster than asking for ``BODYSTRUCTURE`` first.
A bigger message (an attachment) is never downloaded whole: its ``BODYSTRUCTURE``, then only
its readable sections, each capped at :data:`PART_CAP` bytes (:mod:`storage.sync.bodystructure`);
the attachments are listed from the structure. Chunks are cut by bytes as well as by count,
so memory stays bounded whatever the mailbox holds.

Three stages overlap: a fetch thread downloads the next chunk while the calling thread parses
this one and a writer thread commits the one before (the socket and SQLite wait without the
GIL). A message that cannot be read
(the server refuses it, or parsing fails) gets a body that says so, and the chunk goes on.
A message held in two folders (same Message-ID) is fetched once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import wait as futures_wait
from dataclasses import dataclass

from supportmail.storage.cache import Cache
from supportmail.storage.cache.bodystore import ALL_DATES, StoredBody, Target
from supportmail.storage.copies import CopyKey, copy_key
from supportmail.storage.imap import ImapConnection, ImapConnectionLost, ImapError, Value
from supportmail.storage.mime import TRUNCATED, Body, parse_body
from supportmail.storage.models import Attachment, SyncProgress
from supportmail.storage.sync import bodystructure
from supportmail.storage.sync.foreground import Foreground

__all__ = ["PART_CAP", "WHOLE_MAX", "BodyMirror", "unreadable"]

WHOLE_MAX = 128 * 1024
"""Messages up to this many bytes are fetched whole; bigger ones by their structure."""
PART_CAP = 2 * 1024 * 1024
"""Bytes of one readable section of a big message fetched at most (then "truncated")."""
CHUNK_BYTES = 8 * 1024 * 1024
"""Message bytes fetched (and committed) per chunk at most."""
CHUNK_MESSAGES = 2000
"""Messages per chunk at most."""
_FIRST_CHUNK = 200
"""The first chunk is small, so the newest threads read locally at once."""
_PAGE = 2000
"""Work-list rows looked up per query."""
_STRUCTURE = "(UID BODYSTRUCTURE)"

Progress = Callable[[SyncProgress], None]
_log = logging.getLogger(__name__)


_YIELD_EVERY = 8
"""Messages parsed between checks for a key press (about 1 ms of parsing)."""


def unreadable(reason: str) -> Body:
    """The body stored for a message that could not be read: it says so, and why."""
    text = f"[supportmail could not read this message: {reason}]"
    return Body(text=text, attachments=(), html_only=False)


def _parsed(raw: bytes) -> tuple[Body, bool]:
    """(body, readable?) of a whole message; a parser failure is isolated to this message."""
    try:
        return parse_body(raw), True
    except Exception as exc:  # one broken message never stops the mirror
        _log.warning("a message of %d bytes could not be parsed", len(raw), exc_info=exc)
        return unreadable(f"{type(exc).__name__} while parsing"), False


def _literal(item: dict[bytes, Value], prefix: bytes) -> bytes | None:
    for key, value in item.items():
        if key.startswith(prefix) and isinstance(value, bytes) and value.upper() != b"NIL":
            return bytes(value)
    return None


def _uid(item: dict[bytes, Value]) -> int | None:
    value = item.get(b"UID")
    return int(value) if isinstance(value, bytes) and value.isdigit() else None


@dataclass(slots=True)
class _Download:
    """What the server sent of one message: the whole message (``raw``), a big message's
    structure and readable sections, or the reason it refused."""

    target: Target
    raw: bytes | None = None
    parts: Sequence[bodystructure.Leaf] = ()
    sections: Sequence[tuple[bodystructure.Leaf, bytes]] = ()
    refused: str = ""


class _Writer:
    """Commits chunks on a thread of its own, one in flight; ``wait`` collects the last."""

    def __init__(self, cache: Cache, account: str) -> None:
        self._cache = cache
        self._account = account
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="body-writer")
        self._pending: Future[int] | None = None

    def submit(self, items: list[StoredBody]) -> int:
        """Queue ``items`` after the write in flight; returns the rows that write stored."""
        stored = self.wait()
        self._pending = self._pool.submit(self._cache.save_bodies, self._account, items)
        return stored

    def wait(self) -> int:
        pending, self._pending = self._pending, None
        return pending.result() if pending is not None else 0

    def close(self) -> None:
        """Let the write in flight finish (even after a failure), then stop the thread."""
        try:
            if self._pending is not None:
                futures_wait([self._pending])
        finally:
            self._pool.shutdown(wait=True)


class BodyMirror:
    """Mirrors one account's bodies. ``run`` may be called again after a dropped connection
    (the sync's retry): it starts from the work list again, and the counters add up."""

    def __init__(
        self,
        cache: Cache,
        account: str,
        connection: Callable[[], ImapConnection],
        select: Callable[[str], None],
        *,
        since: int = ALL_DATES,
        progress: Progress | None = None,
        foreground: Foreground | None = None,
    ) -> None:
        self.cache = cache
        self._foreground = foreground or Foreground()
        self.account = account
        self._connection = connection
        self._select = select
        self.since = since
        self._progress = progress or (lambda _p: None)
        self.fetched = 0
        """Messages whose text came from the server (each UID once)."""
        self.stored = 0
        """Body rows written (copies in other folders included)."""
        self.unreadable = 0
        """Messages stored with an "unreadable" body."""

    # -- the run -----------------------------------------------------------------------------

    def run(self) -> None:
        work = self.cache.bodies_missing(self.account, self.since)
        total, done = len(work), 0
        if not total:
            return
        self._progress(SyncProgress(folder="", phase="bodies", done=0, total=total))
        writer = _Writer(self.cache, self.account)
        # Three stages overlap: the fetch thread downloads chunk n+1 while this thread parses
        # chunk n and the writer thread commits chunk n-1 (the socket and SQLite wait without
        # the GIL). Only the fetch thread uses the connection.
        fetcher = ThreadPoolExecutor(max_workers=1, thread_name_prefix="body-fetch")
        try:
            chunks = self._chunks(work)
            ahead = fetcher.submit(self._download_next, chunks)
            while (got := ahead.result()) is not None:
                downloads, rows = got
                ahead = fetcher.submit(self._download_next, chunks)
                self.stored += writer.submit(self._read_all(downloads))
                del downloads
                done += rows
                self._progress(SyncProgress(folder="", phase="bodies", done=done, total=total))
            self.stored += writer.wait()
            self.cache.settle_body_marks()
        finally:
            fetcher.shutdown(wait=True)  # a download in flight ends before the retry reconnects
            writer.close()

    def _chunks(self, work: Sequence[int]) -> Iterator[tuple[list[Target], int]]:
        """The work list's messages in chunks bounded by bytes and count, newest first; with
        each chunk the number of work-list rows it covers (for progress)."""
        chunk: list[Target] = []
        weight = 0
        limit = _FIRST_CHUNK
        rows = 0
        for start in range(0, len(work), _PAGE):
            page = work[start : start + _PAGE]
            found = self.cache.body_targets(page)
            rows += len(page) - len(found)  # stored meanwhile (a copy in another folder)
            for target in found:
                chunk.append(target)
                rows += 1
                weight += min(target.size, WHOLE_MAX if target.size <= WHOLE_MAX else PART_CAP)
                if len(chunk) >= limit or weight >= CHUNK_BYTES:
                    yield chunk, rows
                    chunk, weight, rows, limit = [], 0, 0, CHUNK_MESSAGES
        if chunk or rows:
            yield chunk, rows

    # -- downloading (on the fetch thread) ---------------------------------------------------

    def _download_next(
        self, chunks: Iterator[tuple[list[Target], int]]
    ) -> tuple[list[_Download], int] | None:
        """The next chunk downloaded, with its work-list rows; None after the last."""
        step = next(chunks, None)
        if step is None:
            return None
        chunk, rows = step
        return self._download(chunk), rows

    def _download(self, chunk: Sequence[Target]) -> list[_Download]:
        """What the server has of one chunk: each message once (its copies in other folders
        get its body, see ``storage.copies``), folder by folder."""
        by_folder: dict[str, list[Target]] = {}
        seen: set[CopyKey] = set()
        for target in chunk:
            key = copy_key(target.message_id, target.size, target.date)
            if key not in seen:
                seen.add(key)
                by_folder.setdefault(target.folder, []).append(target)
        out: list[_Download] = []
        for folder, targets in by_folder.items():
            try:
                self._select(folder)
            except ImapConnectionLost:
                raise
            except ImapError:
                continue  # the folder is gone: the next pull drops its rows
            small = [t for t in targets if t.size <= WHOLE_MAX]
            if small:
                out += self._whole(small)
            out += self._by_structure([t for t in targets if t.size > WHOLE_MAX])
        return out

    def _items(self, targets: Sequence[Target], items: str) -> list[dict[bytes, Value]] | None:
        """``items`` of ``targets``; None when the server refused (not a dropped connection)."""
        try:
            return self._connection().fetch_items([t.uid for t in targets], items)
        except ImapConnectionLost:
            raise
        except ImapError:
            return None

    def _whole(self, targets: Sequence[Target]) -> list[_Download]:
        try:
            raw = self._connection().fetch_whole([t.uid for t in targets])
        except ImapConnectionLost:
            raise
        except ImapError:  # one message the server cannot send fails the command: one by one
            if len(targets) == 1:
                return [_Download(targets[0], refused="it")]
            return [d for t in targets for d in self._whole([t])]
        # A UID without data was expunged meanwhile: the next pull drops its row.
        return [_Download(t, raw=data) for t in targets if (data := raw.pop(t.uid, None))]

    def _by_structure(self, targets: Sequence[Target]) -> list[_Download]:
        """Big messages: their structures in one command, then only their readable sections,
        capped, in one command per distinct list of sections (most big messages have the same
        one). A refused command is asked again message by message, so only the message the
        server refuses gets the note."""
        if not targets:
            return []
        records = self._items(targets, _STRUCTURE)
        if records is None:
            if len(targets) == 1:
                return [_Download(targets[0], refused="its structure")]
            return [d for t in targets for d in self._by_structure([t])]
        by_uid = {uid: r for r in records if (uid := _uid(r)) is not None}
        out: list[_Download] = []
        groups: dict[tuple[str, ...], list[tuple[Target, list[bodystructure.Leaf]]]] = {}
        for target in targets:
            item = by_uid.get(target.uid)
            if item is None:
                continue  # expunged meanwhile: the next pull drops its row
            parts = bodystructure.leaves(item.get(b"BODYSTRUCTURE"))
            wanted = bodystructure.readable(parts)
            if not wanted:
                out.append(_Download(target, parts=parts))
                continue
            names = tuple(p.fetch_section for p in wanted)
            groups.setdefault(names, []).append((target, parts))
        for names, members in groups.items():
            out += self._sections(names, members)
        return out

    def _sections(
        self, names: tuple[str, ...], members: Sequence[tuple[Target, list[bodystructure.Leaf]]]
    ) -> list[_Download]:
        """The sections ``names`` (each capped) of messages whose structures are known."""
        items = " ".join(f"BODY.PEEK[{name}]<0.{PART_CAP}>" for name in names)
        fetched = self._items([t for t, _parts in members], f"(UID {items})")
        if fetched is None:
            if len(members) == 1:
                return [_Download(members[0][0], refused="its text")]
            return [d for m in members for d in self._sections(names, [m])]
        by_uid = {uid: r for r in fetched if (uid := _uid(r)) is not None}
        out: list[_Download] = []
        for target, parts in members:
            got = by_uid.get(target.uid)
            if got is None:
                continue
            wanted = bodystructure.readable(parts)
            sections = [
                (part, _literal(got, f"BODY[{part.fetch_section}]".encode()) or b"")
                for part in wanted
            ]
            out.append(_Download(target, parts=parts, sections=sections))
        return out

    # -- reading (on the calling thread) -----------------------------------------------------

    def _read_all(self, downloads: Sequence[_Download]) -> list[StoredBody]:
        """Parse a chunk, pausing for the user every few messages (``storage.sync.foreground``)."""
        out: list[StoredBody] = []
        for n, download in enumerate(downloads):
            if n % _YIELD_EVERY == 0:
                self._foreground.yield_to_user()
            out.append(self._read(download))
        return out

    def _read(self, download: _Download) -> StoredBody:
        """The body to store for one download; counts what was fetched and unreadable."""
        target = download.target
        if download.refused:
            self.unreadable += 1
            _log.warning(
                "the server of %s would not send %s of UID %d in %r; stored as unreadable",
                self.account,
                download.refused,
                target.uid,
                target.folder,
            )
            body = unreadable(f"the server would not send {download.refused}")
            return target.rowid, target.message_id, body
        self.fetched += 1
        if download.raw is not None:
            body, ok = _parsed(download.raw)
        else:
            body, ok = self._assembled(download.parts, download.sections)
        self.unreadable += not ok
        return target.rowid, target.message_id, body

    @staticmethod
    def _assembled(
        parts: Sequence[bodystructure.Leaf],
        sections: Sequence[tuple[bodystructure.Leaf, bytes]],
    ) -> tuple[Body, bool]:
        """A big message's body from its fetched sections; the other parts are listed."""
        body, ok = _parsed(bodystructure.assemble(sections))
        fetched = {part.section for part, _data in sections}
        listed: list[Attachment] = [
            a
            for p in parts
            if p.section not in fetched and (a := bodystructure.attachment(p)) is not None
        ]
        text = body.text
        if any(p.size > PART_CAP for p, _d in sections) and text and not text.endswith(TRUNCATED):
            text += TRUNCATED
        attachments = (*listed, *body.attachments)
        return Body(text=text, attachments=attachments, html_only=body.html_only), ok
