"""The threads facade (``ThreadsFacade``): the thread list and its count, resolving a thread
reference, one thread with its bodies (fetched on the interactive session), server search."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence
from typing import TYPE_CHECKING

from supportmail.storage import (
    mime,
    models,  # a thread's values load with the first thread opened
)
from supportmail.storage.cache import MessageRow, ThreadRow
from supportmail.storage.models import ThreadQuery, ThreadSummary
from supportmail.storage.service.core import ServiceCore, distinct, thread_tags
from supportmail.storage.service.errors import ServiceError
from supportmail.storage.tags import (
    TagError,
    canonical_tag,
    encode_keyword,
    keyword_to_tag,
    tag_sort_key,
)

if TYPE_CHECKING:
    from supportmail.storage.imap import ImapConnection
    from supportmail.storage.mime import Body
    from supportmail.storage.models import MessageView, ServerSearch, ThreadDetail

__all__ = ["ThreadsFacade"]


class ThreadsFacade(ServiceCore):
    """The thread list, one thread with its bodies, resolving a reference, server search."""

    def tag_keywords(self, names: Sequence[str]) -> list[str]:
        """The IMAP keywords of tag ``names`` (as the cache stores them); a bad name raises
        ``ServiceError``."""
        out = []
        for name in names:
            try:
                out.append(encode_keyword(canonical_tag(name)))
            except TagError as exc:
                raise ServiceError(str(exc)) from exc
        return out

    def list_threads(
        self, query: ThreadQuery | None = None, *, raw: bool = False
    ) -> list[ThreadSummary]:
        """Threads matching ``query``, newest activity first."""
        q = query or ThreadQuery()
        if q.awaiting:  # longest waiting first: storage.service.answering
            return self.answers.list_awaiting(q, raw=raw)
        return self.summaries(
            self.cache.list_threads(self.account, q, self.tag_keywords(q.tags)), raw=raw
        )

    def count_threads(self, query: ThreadQuery | None = None, *, at_most: int | None = None) -> int:
        """How many threads ``query`` lists. With ``at_most``: the count when it is at most
        that, else ``at_most + 1`` (more than ``at_most``; a search's common word then costs
        a few milliseconds instead of mapping every match)."""
        q = query or ThreadQuery()
        if q.awaiting:
            count = self.answers.count_awaiting(q)
            return count if at_most is None else min(count, at_most + 1)
        return self.cache.count_threads(self.account, q, self.tag_keywords(q.tags), at_most=at_most)

    def search_server(self, text: str) -> ServerSearch:
        """Search every configured folder on the server for messages holding every word of
        ``text`` (IMAP ``UID SEARCH TEXT``, ESEARCH where offered; see
        ``storage.serversearch``). List the threads with ``ThreadQuery(roots=result.roots)``.
        On the interactive session (never behind a sync); offline or refused: ``ServiceError``
        with one line."""
        words = text.split()
        if not words:
            raise ServiceError("nothing to search for")
        if self._sessions is None:
            raise ServiceError("the demo mailbox has no server to search")
        from supportmail.storage import serversearch
        from supportmail.storage.imap import ImapError

        def search(conn: ImapConnection) -> tuple[list[serversearch.FolderHits], list[str], bool]:
            hits, missing = serversearch.search_folders(conn, self.folders, words)
            return hits, missing, "ESEARCH" in conn.capabilities

        try:
            hits, missing, esearch = self._sessions.interactive.run(search)
        except ImapError as exc:
            raise ServiceError(f"server search failed: {exc}") from exc
        return serversearch.resolve(self.cache, self.account, text, hits, missing, esearch=esearch)

    def _pending_by_root(self) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        if self.is_demo:
            return out
        for edit in self.userdb.outbox(self.account):
            tag = keyword_to_tag(edit.keyword)
            if tag is not None:
                out.setdefault(edit.thread_root, set()).add(tag)
        return out

    def _summary(
        self, row: ThreadRow, notes: dict[str, str], pending: dict[str, set[str]]
    ) -> ThreadSummary:
        return ThreadSummary(
            id=row.id,
            root_message_id=row.root,
            subject=row.subject,
            participants=row.participants,
            messages=row.messages,
            first_date=row.first_date,
            last_date=row.last_date,
            tags=thread_tags(row.keywords),
            unread=row.unread,
            has_note=row.root in notes,
            pending_tags=tuple(sorted(pending.get(row.root, ()), key=tag_sort_key)),
        )

    def summaries(self, rows: Sequence[ThreadRow], *, raw: bool = False) -> list[ThreadSummary]:
        """Cache thread rows as the list shows them (the notes and pending tag edits read once),
        sanitized unless ``raw``."""
        notes = self.userdb.notes(self.account)
        pending = self._pending_by_root()
        out = [self._summary(row, notes, pending) for row in rows]
        return out if raw else [s.sanitized() for s in out]

    def resolve(self, ref: str) -> str:
        """The root Message-ID of the thread named by a short id, a prefix or a Message-ID."""
        ref = ref.strip()
        if not ref:
            raise ServiceError("no thread given")
        roots = self.cache.find_roots(self.account, ref)
        if not roots:
            raise ServiceError(f"no thread matches '{ref}' (see `supportmail threads`)")
        if len(roots) > 1:
            raise ServiceError(f"'{ref}' matches {len(roots)} threads; type more of the id")
        return roots[0]

    def thread(self, ref: str, *, fetch: bool = True, raw: bool = False) -> ThreadDetail:
        """One thread, oldest message first; bodies come from the cache or the server (PEEK)."""
        root = self.resolve(ref)
        row = self.cache.thread(self.account, root)
        if row is None:
            raise ServiceError(f"no thread matches '{ref}'")
        rows = self.cache.thread_messages(self.account, root)
        bodies = self._bodies(rows, fetch=fetch)
        views: list[MessageView] = []
        for msg in distinct(rows):  # the same message in two folders (INBOX, Sent) shows once
            env = msg.envelope
            body = bodies.get(msg.rowid)
            views.append(
                models.MessageView(
                    message_id=msg.message_id,
                    folder=msg.folder,
                    sender=env.sender,
                    to=env.to,
                    cc=env.cc,
                    date=env.date,
                    subject=env.subject,
                    text=body.text if body is not None else "",
                    attachments=body.attachments if body is not None else (),
                    unread=not any(f.lower() == "\\seen" for f in msg.flags),
                    body_loaded=body is not None,
                )
            )
        notes = self.userdb.notes(self.account)
        detail = models.ThreadDetail(
            summary=self._summary(row, notes, self._pending_by_root()),
            messages=tuple(views),
            note=notes.get(root),
        )
        return detail if raw else detail.sanitized()

    def _bodies(self, rows: Sequence[MessageRow], *, fetch: bool) -> dict[int, Body]:
        found: dict[int, Body] = {}
        missing: list[MessageRow] = []
        for msg in rows:
            body = self.cache.body(msg.rowid)
            if body is not None:
                found[msg.rowid] = body
            else:
                missing.append(msg)
        if not missing or not fetch or self._sessions is None:
            return found
        from supportmail.storage.imap import ImapError

        def fetch_missing(conn: ImapConnection) -> None:
            for msg in sorted(missing, key=lambda m: (m.folder, m.uid)):
                if msg.rowid in found:
                    continue  # fetched before a dropped connection was re-established
                if conn.selected != msg.folder:
                    conn.select(msg.folder)
                raw_bytes = conn.fetch_body(msg.uid)
                if raw_bytes is None:
                    continue
                body = mime.parse_body(raw_bytes)
                self.cache.save_body(msg.rowid, body)
                found[msg.rowid] = body

        # Offline: headers still show; bodies say they are not loaded.
        with contextlib.suppress(ImapError, ServiceError):
            self._sessions.interactive.run(fetch_missing)
        return found

    def thread_rows(self, root: str) -> list[MessageRow]:
        """The thread's messages oldest first, each once (numbered 1.. as ``show`` prints)."""
        return distinct(self.cache.thread_messages(self.account, root))

    def message_text(self, row: MessageRow) -> str:
        """The body text of one message (from the server when not cached; empty offline)."""
        body = self._bodies([row], fetch=True).get(row.rowid)
        return "" if body is None else body.text
