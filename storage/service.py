"""The one facade the CLI and the TUI call. Below this line: IMAP, sqlite, TinyDB. Above: no I/O.

Who calls what:

==========================  ====================================================================
``Service.open(...)``       a configured account (cache + userdb in ``DATA_DIR/ACCOUNT``)
``Service.open_demo(...)``  the bundled mailbox (``DATA_DIR/demo``), same cache/thread/tag code
``sync()`` / ``push()``     pull + push, or only push the outbox (``tag --push``); one sync at a
                            time (a call while one runs shares the next one: ``storage.coalesce``)
``live(on_event)``          the live mirror: IDLE/STATUS watcher + debounced syncs
                            (``storage.live``, ``storage.imap.watcher``)
``on_server(work)``         ``work(conn)`` on the interactive session (pushes, bodies, searches)
``list_threads(query)``     the thread list (sanitised ``ThreadSummary`` unless ``raw=True``)
``search_server(text)``     IMAP SEARCH in every folder -> the cached threads (``query.roots``)
``thread(ref)``             one thread with bodies (fetched on demand with ``BODY.PEEK`` on the
                            interactive session: it never waits behind a sync)
``edit_tags(ref, +, -)``    durable in the outbox, applied to the cache, pushed by the next sync
``note`` / ``set_note``     private notes, local only, keyed by the thread's root Message-ID
``note_file(ref)``          the note as a private temp file for ``$EDITOR``, saved back on exit
``notes()``                 every note, then the unmatched ones (thread not in the cache): kept
``claim_window()``          the TUI's one-window-per-account lock (``storage.instance``)
``mark_read(ref, read)``    explicit ``\\Seen`` changes, through the outbox like tag edits
``tags()``                  the catalog plus tags found on the server, with thread counts
``tag_catalog``             describe/rename/delete tags; the catalog shared through the server
``attachments``             save/open a message's attachments (fetched on demand), its links
``report`` / ``voice``      insight over the cache (``storage.reports``): counts, spikes, trends,
``bugs_by_reach``           bugs ranked by customers, top feature requests with quotes,
``digest`` / ``skim``       what customers wrote since a time (or since the last skim)
``save_quote`` / ``quotes`` customers' words you keep (local only); ``voice`` shows them first
``day_start`` / ``day_*``   the customer day: untagged threads oldest first, progress, summary
==========================  ====================================================================

Every method returns frozen values from ``storage.models``; errors a user can cause come out as
``ServiceError`` with one line.

Threads: every method may be called from any thread. The cache and the userdb lock their own
writes; the network goes through three persistent sessions (``storage.imap.sessions``: sync,
interactive, watch), each with its own lock, so a push or a thread being opened never waits for a
sync; syncs are serialised here (``_syncs``). A UI needs no lock of its own.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import sqlite3
import tempfile
import threading
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from storage import coverage, reports
from storage import quotes as saved_quotes
from storage.answering import Answers
from storage.attachments import Attachments
from storage.cache import Cache, FolderState, MessageRow, ThreadRow
from storage.coalesce import Coalescer
from storage.copies import CopyKey, envelope_copy_key
from storage.demo_account import DEMO_ACCOUNT, DEMO_ADDRESS, DemoResetError, reset_demo
from storage.foreground import Foreground
from storage.instance import WindowLock, WindowLockError
from storage.message import Body, parse_body, parse_envelope, per_message
from storage.models import (
    Address,
    BugReach,
    DayProgress,
    DayShift,
    DaySummary,
    Digest,
    Granularity,
    LiveEvent,
    MessageView,
    Quote,
    Report,
    SavedQuote,
    ServerSearch,
    SyncResult,
    TagEditResult,
    TagInfo,
    TagKind,
    ThreadDetail,
    ThreadQuery,
    ThreadSummary,
    VoiceReport,
)
from storage.private import private_dir
from storage.replying import Replies
from storage.sanitize import sanitize_line, sanitize_text
from storage.settings import (
    AccountConfig,
    BodiesSetting,
    PasswordError,
    Settings,
    get_password,
)
from storage.tags import (
    SEEN,
    TagError,
    canonical_tag,
    encode_keyword,
    keyword_to_tag,
    tag_kind,
)
from storage.threads import thread_id
from storage.user.db import UserDB
from storage.user.records import StoredQuote, UserDBError
from storage.user.tag_catalog import CatalogInputError, TagCatalog

if TYPE_CHECKING:  # imported where used: the TUI's first screen needs no IMAP or day code
    from storage import day
    from storage.imap import ImapConnection
    from storage.imap.sessions import Session, Sessions
    from storage.live import LiveMirror
    from storage.sync import ProgressCallback, SyncEngine

__all__ = ["CatalogInputError", "NoteEntry", "Service", "ServiceError"]

CLOSE_WAIT = 5.0
"""Seconds ``close`` waits for a live mirror's thread to end."""

CACHE_FILE = "cache.sqlite3"
USERDB_FILE = "userdb.json"

_KIND_ORDER = {"team": 0, "category": 1, "label": 2}

T = TypeVar("T")


class ServiceError(Exception):
    """Something the user can fix or should know, as one line."""


@dataclasses.dataclass(frozen=True, slots=True)
class NoteEntry:
    """One private note as ``Service.notes`` lists it. ``orphan``: its thread is not in the
    cache (``subject`` is then empty); the note is kept and re-attaches when the thread returns."""

    thread_id: str
    root_message_id: str
    subject: str
    text: str
    orphan: bool

    def sanitized(self) -> NoteEntry:
        return dataclasses.replace(
            self,
            root_message_id=sanitize_line(self.root_message_id),
            subject=sanitize_line(self.subject),
            text=sanitize_text(self.text),
        )


def _tag_sort_key(name: str) -> tuple[int, str]:
    return _KIND_ORDER[tag_kind(name)], name


def _thread_tags(keywords: Sequence[str]) -> tuple[str, ...]:
    """A thread's tags from its keywords: teams first, then categories, then labels."""
    names = {t for kw in keywords if (t := keyword_to_tag(kw)) is not None}
    return tuple(sorted(names, key=_tag_sort_key))


class Service:
    """Everything the UI can do with one account."""

    def __init__(
        self,
        *,
        account: str,
        data_dir: Path,
        folders: Sequence[str],
        connector: Callable[[], ImapConnection] | None,
        team_addresses: Sequence[str] = (),
        own_address: str | None = None,
        clock: Callable[[], datetime] | None = None,
        bodies: BodiesSetting | None = None,
    ) -> None:
        self.account = account
        self.bodies = bodies or BodiesSetting()
        """Which messages' text a sync mirrors (the ``bodies`` key, see docs/bodies.md)."""
        self.data_dir = data_dir
        self.folders = tuple(folders)
        self._connector = connector
        self.team_addresses = frozenset(a.lower() for a in team_addresses)
        if own_address:
            self.team_addresses |= {own_address.lower()}
        self._team = (self.team_addresses, reports.Team.from_addresses(self.team_addresses))
        self.clock = clock or (lambda: datetime.now(UTC).astimezone())
        private_dir(data_dir.parent)
        private_dir(data_dir)
        try:
            self.userdb = UserDB(data_dir / USERDB_FILE)
        except UserDBError as exc:
            raise ServiceError(str(exc)) from exc
        try:
            self.cache = Cache(data_dir / CACHE_FILE)
        except (sqlite3.Error, OSError) as exc:  # a full disk, an unreadable file
            self.userdb.close()
            raise ServiceError(f"cannot open the cache {data_dir / CACHE_FILE}: {exc}") from exc
        self._window_lock = WindowLock(data_dir)
        self.foreground = Foreground()
        """Background work (the body mirror) pauses while the user presses keys."""
        self.answers = Answers(self)
        """Awaiting replies and first-reply times (``storage.answering``)."""
        self.replies = Replies(self)
        """Reply, forward, the mail outbox (``storage.replying``)."""
        self.tag_catalog = TagCatalog(self)
        """Describe, rename, delete tags; the catalog shared through the server."""
        self.attachments = Attachments(self)
        """Save and open attachments, list links (``storage.attachments``)."""
        self._sessions: Sessions | None = None
        if connector is not None:
            from storage.imap.sessions import Sessions

            self._sessions = Sessions(connector)
        self._syncs: dict[bool, Coalescer[SyncResult]] = {True: Coalescer(), False: Coalescer()}
        """One per ``bodies`` value; the sync session's lock runs one sync at a time."""
        self._lives: list[LiveMirror] = []

    # -- construction ------------------------------------------------------------------------

    @classmethod
    def open(cls, settings: Settings, account: AccountConfig, data_dir: Path) -> Service:
        """A service for a configured IMAP account, its files in ``data_dir / account.name``.
        Connects lazily (the password too)."""
        password: list[str] = []
        asking = threading.Lock()  # three sessions may log in at once: ask for it once

        def connect() -> ImapConnection:
            from storage.imap import ImapConnection

            with asking:
                if not password:
                    try:
                        password.append(get_password(account))
                    except PasswordError as exc:
                        raise ServiceError(str(exc)) from exc
            conn = ImapConnection(
                account.host,
                account.port,
                account.tls,
                account.username,
                password[0],
                timeout=account.timeout,
                ca_file=account.ca_file,
                tls_fingerprint=account.tls_fingerprint,
                account=account.name,
            )
            conn.connect()
            return conn

        service = cls(
            account=account.name,
            data_dir=data_dir / account.name,
            folders=account.folders,
            connector=connect,
            team_addresses=settings.team_addresses,
            own_address=account.address,
            bodies=account.bodies,
        )
        service.replies.account = account
        return service

    @classmethod
    def open_demo(
        cls, data_dir: Path, now: datetime | None = None, *, reset: bool = False
    ) -> Service:
        """The bundled demo mailbox in ``data_dir / "demo"``: no network; tags stay local.
        Loaded once into the cache; ``reset`` first removes what earlier demo sessions left
        (tags, notes, quotes), so it starts afresh."""
        if reset:
            try:
                reset_demo(data_dir / DEMO_ACCOUNT)
            except DemoResetError as exc:
                raise ServiceError(str(exc)) from exc
        moment = now or datetime.now(UTC).astimezone()
        service = cls(
            account=DEMO_ACCOUNT,
            data_dir=data_dir / DEMO_ACCOUNT,
            folders=("INBOX", "Sent"),
            connector=None,
            own_address=DEMO_ADDRESS,
            clock=(lambda: moment) if now is not None else None,
        )
        if not service.cache.has_messages(DEMO_ACCOUNT):
            from storage import demo  # builds the mail: imported only to load it

            service._load_demo(demo.demo_messages(moment), demo.demo_notes(moment))
        return service

    def _load_demo(self, messages: Sequence[object], notes: dict[str, str]) -> None:
        from storage.demo import DemoMessage

        uids: dict[str, int] = {}
        bodies: list[tuple[str, int, Body]] = []
        by_folder: dict[str, list[tuple[int, object, tuple[str, ...], int, None, None]]] = {}
        for msg in messages:
            assert isinstance(msg, DemoMessage)
            uid = uids[msg.folder] = uids.get(msg.folder, 0) + 1
            env = per_message(parse_envelope(msg.raw), msg.folder, 1, uid, len(msg.raw))
            by_folder.setdefault(msg.folder, []).append(
                (uid, env, msg.flags, len(msg.raw), None, None)
            )
            bodies.append((msg.folder, uid, parse_body(msg.raw)))
        for folder, items in by_folder.items():
            self.cache.save_folder(FolderState(self.account, folder, 1, 0, False))
            self.cache.add_messages(self.account, folder, items)  # type: ignore[arg-type]
        rowids = self.cache.rowids(self.account)
        for folder, uid, body in bodies:
            rowid = rowids.get((folder, uid))
            if rowid is not None:
                self.cache.save_body(rowid, body)
        self.cache.thread_pending(self.account)
        self.cache.rebuild_threads(self.account)
        for root, text in notes.items():
            if self.userdb.note(self.account, root) is None:
                self.userdb.set_note(self.account, root, text)

    def user_active(self) -> None:
        """The user pressed a key: background syncs yield for a moment (``storage.foreground``)."""
        self.foreground.touch()

    @property
    def is_demo(self) -> bool:
        return self._connector is None

    def claim_window(self) -> None:
        """Claim this account's data directory for one terminal window (the TUI calls this
        before it opens). Held until ``close()`` or the process ends; a second window gets a
        ``ServiceError`` naming the directory and the first window's pid. CLI commands need no
        claim: they share the directory with a window through the userdb lock."""
        try:
            self._window_lock.acquire()
        except WindowLockError as exc:
            raise ServiceError(str(exc)) from exc

    def close(self) -> None:
        """Stop the live mirrors, interrupt and log out the sessions, close the files."""
        for mirror in self._lives:
            mirror.stop()
        if self._sessions is not None:
            self._sessions.close()  # a sync in flight fails now instead of running on
        for mirror in self._lives:
            if mirror.started:
                mirror.done.wait(CLOSE_WAIT)
        self.cache.close()
        self.userdb.close()
        self._window_lock.release()

    def __enter__(self) -> Service:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # -- sync --------------------------------------------------------------------------------

    def _engine(
        self, progress: ProgressCallback | None, session: Session, *, bodies: bool = False
    ) -> SyncEngine:
        """An engine on ``session``'s persistent connection (call it with the lock held)."""
        from storage.sync import SyncEngine

        return SyncEngine(
            self.cache,
            self.userdb,
            self.account,
            self.folders,
            session.connection,
            progress=progress,
            bodies_since=self._bodies_since() if bodies else None,
            keep_connection=True,
            foreground=self.foreground,
        )

    def _bodies_since(self) -> int | None:
        """The body mirror's window as an epoch second (None: no mirror)."""
        from storage.bodystore import ALL_DATES

        if not self.bodies.enabled:
            return None
        if self.bodies.days is None:
            return ALL_DATES
        return int((self.clock() - timedelta(days=self.bodies.days)).timestamp())

    def _run_engine(
        self,
        session: Session,
        progress: ProgressCallback | None,
        *,
        pull: bool,
        what: str,
        bodies: bool = False,
    ) -> SyncResult:
        from storage.imap import ImapError

        with session.lock:
            try:
                engine = self._engine(progress, session, bodies=bodies)
                return engine.run(pull=pull, push=True)
            except ImapError as exc:
                session.drop()
                raise ServiceError(f"{what} failed: {exc}") from exc
            except UserDBError as exc:
                raise ServiceError(f"{what} stopped: {exc}") from exc
            except BaseException:
                session.drop()  # the connection may be mid-command: start clean next time
                raise

    def sync(self, progress: ProgressCallback | None = None, *, bodies: bool = True) -> SyncResult:
        """Pull new mail and flag changes from every folder, push pending tag edits, then
        mirror the bodies the ``bodies`` setting asks for (``bodies=False``: headers only).

        On the sync session (logged in once, kept). One sync at a time: a call while another
        runs waits for it and then shares one follow-up sync with every other such call (of
        the same ``bodies``), so requests coalesce instead of queueing. The shared tag catalog
        rides along (``storage.user.tag_catalog``)."""
        if self._sessions is None:
            return SyncResult(account=self.account, folders=len(self.folders))
        session = self._sessions.sync

        def one_sync() -> SyncResult:
            result = self._run_engine(session, progress, pull=True, what="sync", bodies=bodies)
            self.replies.last_retry = self.replies.retry()  # unsent replies go with every sync
            problem = self.tag_catalog.sync_quietly(session)
            if problem:
                result = dataclasses.replace(result, errors=(*result.errors, problem))
            return result

        return self._syncs[bodies].run(one_sync)

    def push(self) -> SyncResult:
        """Push the outbox now (no pull), on the interactive session: never behind a sync."""
        if self._sessions is None:
            return SyncResult(account=self.account)
        return self._run_engine(self._sessions.interactive, None, pull=False, what="push")

    def on_server(self, work: Callable[[ImapConnection], T]) -> T:
        """``work(connection)`` on the interactive session (its lock held; re-run once on a
        kept connection found dropped, so ``work`` must be idempotent): for what a person
        waits for, e.g. a server search. ``ImapError`` comes out as ``ServiceError``."""
        if self._sessions is None:
            raise ServiceError("the demo mailbox has no server")
        from storage.imap import ImapError

        try:
            return self._sessions.interactive.run(work)
        except ImapError as exc:
            raise ServiceError(str(exc)) from exc

    def live(
        self,
        on_event: Callable[[LiveEvent], None],
        *,
        poll_seconds: float = 60.0,
        initial_sync: bool = True,
        debounce: float | None = None,
        check_seconds: float | None = None,
        backoff: Sequence[float] | None = None,
    ) -> LiveMirror:
        """The live mirror of this account (``storage.live``): call ``run()`` in a thread of
        your own (it blocks), ``stop()`` from any; ``on_event`` gets ``LiveEvent``s from its
        threads. ``poll_seconds``: the polling interval of a server without IDLE; the rest
        default to ``storage.live``/``storage.imap.watcher`` (tests shorten them)."""
        if self._sessions is None:
            raise ServiceError("the demo mailbox has no server to watch")
        from storage import live
        from storage.imap import watcher

        mirror = live.LiveMirror(
            sync=self.sync,
            session=self._sessions.watch,
            folders=self.folders,
            on_event=on_event,
            poll_seconds=poll_seconds,
            initial_sync=initial_sync,
            debounce=live.DEBOUNCE if debounce is None else debounce,
            check_seconds=watcher.CHECK_SECONDS if check_seconds is None else check_seconds,
            backoff=watcher.BACKOFF if backoff is None else backoff,
        )
        self._lives = [m for m in self._lives if not m.done.is_set()] + [mirror]
        return mirror

    @property
    def logins(self) -> dict[str, int]:
        """How often each session logged in so far (tests and benchmarks read it)."""
        if self._sessions is None:
            return {}
        return {session.purpose: session.logins for session in self._sessions}

    def take_notice(self) -> str | None:
        """A one-time message for the user (e.g. the notes file was damaged and restored)."""
        notice = self.userdb.recovered
        self.userdb.recovered = None
        return notice

    def pending_count(self) -> int:
        return 0 if self.is_demo else len(self.userdb.outbox(self.account))

    # -- threads -----------------------------------------------------------------------------

    def _keywords(self, names: Sequence[str]) -> list[str]:
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
        if q.awaiting:  # longest waiting first: storage.answering
            return self.answers.list_awaiting(q, raw=raw)
        rows = self.cache.list_threads(self.account, q, self._keywords(q.tags))
        notes = self.userdb.notes(self.account)
        pending = self._pending_by_root()
        out = [self._summary(row, notes, pending) for row in rows]
        return out if raw else [s.sanitized() for s in out]

    def count_threads(self, query: ThreadQuery | None = None) -> int:
        q = query or ThreadQuery()
        if q.awaiting:
            return self.answers.count_awaiting(q)
        return self.cache.count_threads(self.account, q, self._keywords(q.tags))

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
        from storage import serversearch
        from storage.imap import ImapError

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
            tags=_thread_tags(row.keywords),
            unread=row.unread,
            has_note=row.root in notes,
            pending_tags=tuple(sorted(pending.get(row.root, ()), key=_tag_sort_key)),
        )

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
        for msg in _distinct(rows):  # the same message in two folders (INBOX, Sent) shows once
            env = msg.envelope
            body = bodies.get(msg.rowid)
            views.append(
                MessageView(
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
        detail = ThreadDetail(
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
        from storage.imap import ImapError

        def fetch_missing(conn: ImapConnection) -> None:
            for msg in sorted(missing, key=lambda m: (m.folder, m.uid)):
                if msg.rowid in found:
                    continue  # fetched before a dropped connection was re-established
                if conn.selected != msg.folder:
                    conn.select(msg.folder)
                raw_bytes = conn.fetch_body(msg.uid)
                if raw_bytes is None:
                    continue
                body = parse_body(raw_bytes)
                self.cache.save_body(msg.rowid, body)
                found[msg.rowid] = body

        # Offline: headers still show; bodies say they are not loaded.
        with contextlib.suppress(ImapError, ServiceError):
            self._sessions.interactive.run(fetch_missing)
        return found

    # -- tags --------------------------------------------------------------------------------

    def _plan_tag_edits(
        self, ref: str, add: Sequence[str], remove: Sequence[str]
    ) -> tuple[str, list[str], list[str], list[tuple[str, str, bool]]]:
        """(root, tags added, tags removed, [(tag, keyword, on)]) for a tag edit."""
        root = self.resolve(ref)
        try:
            adds = [canonical_tag(t) for t in add]
            removes = [canonical_tag(t) for t in remove]
        except TagError as exc:
            raise ServiceError(str(exc)) from exc
        if not adds and not removes:
            raise ServiceError("nothing to do: give +TAG to add or -TAG to remove")
        current = self.cache.thread(self.account, root)
        on_thread = current.keywords if current is not None else ()
        edits: list[tuple[str, str, bool]] = [(n, encode_keyword(n), True) for n in adds]
        for name in removes:
            # Another client may have stored the same tag under a differently spelled keyword.
            spellings = {encode_keyword(name)}
            spellings.update(k for k in on_thread if keyword_to_tag(k) == name)
            edits.extend((name, kw, False) for kw in sorted(spellings))
        return root, adds, removes, edits

    @contextlib.contextmanager
    def batched(self) -> Iterator[None]:
        """The outbox writes inside (``queue_tag_edits``, ``queue_read`` for each thread of a
        selection) are saved together, once, when the block ends (``UserDB.batch``)."""
        try:
            with self.userdb.batch():
                yield
        except UserDBError as exc:
            raise ServiceError(str(exc)) from exc

    def queue_tag_edits(
        self, ref: str, add: Sequence[str] = (), remove: Sequence[str] = ()
    ) -> None:
        """Make a tag edit durable in the outbox now, before the UI shows it; ``edit_tags(...,
        queued=True)`` (which a UI runs later, in a worker, in the order the edits were queued)
        applies it to the cache. Only reads the cache and writes the userdb, so it never waits
        for a sync that holds the service."""
        if self.is_demo:
            return
        root, _adds, _removes, edits = self._plan_tag_edits(ref, add, remove)
        message_ids = self.cache.thread_message_ids(self.account, root)
        try:
            for _name, keyword, on in edits:
                self.userdb.outbox_put(self.account, root, message_ids, keyword, on)
        except UserDBError as exc:
            raise ServiceError(str(exc)) from exc

    def edit_tags(
        self,
        ref: str,
        add: Sequence[str] = (),
        remove: Sequence[str] = (),
        *,
        push: bool = False,
        queued: bool = False,
    ) -> TagEditResult:
        """Add/remove tags on a thread: durable in the outbox first, then applied to the cache.

        ``queued``: ``queue_tag_edits`` already made this edit durable, so the outbox is left
        alone: writing it again here could replace a newer edit of the same tag that the user
        queued meanwhile (tag, untag at once: the untag would be lost to a kill)."""
        root, adds, removes, edits = self._plan_tag_edits(ref, add, remove)
        message_ids = self.cache.thread_message_ids(self.account, root)
        catalog = {t.name for t in self.userdb.catalog()}
        try:
            for name, keyword, on in edits:
                if not self.is_demo and not queued:
                    self.userdb.outbox_put(self.account, root, message_ids, keyword, on)
                self.cache.apply_keyword(self.account, message_ids, keyword, on)
                if on and name not in catalog:
                    self.userdb.add_catalog_tag(name, implicit=True)
                    catalog.add(name)
        except UserDBError as exc:
            raise ServiceError(str(exc)) from exc
        self.cache.rebuild_threads(self.account, {root})
        self._log(root, [("tag", n) for n in adds] + [("untag", n) for n in removes])
        pushed = False
        push_error: str | None = None
        if push and not self.is_demo:
            try:
                result = self.push()
                pushed = result.pushed > 0
                if result.errors:
                    push_error = result.errors[0]
                elif result.local_only_folders:
                    push_error = "the server does not store keywords; tags stay local"
            except ServiceError as exc:
                push_error = str(exc)
        row = self.cache.thread(self.account, root)
        tags = _thread_tags(row.keywords) if row is not None else ()
        return TagEditResult(
            thread_id=row.id if row is not None else "",
            tags=tags,
            added=tuple(adds),
            removed=tuple(removes),
            pending=self.pending_count(),
            pushed=pushed,
            push_error=push_error,
        )

    def queue_read(self, ref: str, read: bool = True) -> None:
        """Make a mark read/unread durable in the outbox now, before the UI shows it (as
        ``queue_tag_edits``); ``mark_read(..., queued=True)`` applies it to the cache later."""
        if self.is_demo:
            return
        root = self.resolve(ref)
        message_ids = self.cache.thread_message_ids(self.account, root)
        try:
            self.userdb.outbox_put(self.account, root, message_ids, SEEN, read)
        except UserDBError as exc:
            raise ServiceError(str(exc)) from exc

    def mark_read(self, ref: str, read: bool = True, *, queued: bool = False) -> int:
        """Mark every message of a thread read (``\\Seen``) or unread. Reading a thread never
        does this by itself. Durable in the outbox like a tag edit; returns edits pending.
        ``queued``: ``queue_read`` wrote the outbox already (see ``edit_tags``)."""
        root = self.resolve(ref)
        message_ids = self.cache.thread_message_ids(self.account, root)
        try:
            if not self.is_demo and not queued:
                self.userdb.outbox_put(self.account, root, message_ids, SEEN, read)
        except UserDBError as exc:
            raise ServiceError(str(exc)) from exc
        self.cache.apply_keyword(self.account, message_ids, SEEN, read)
        self.cache.rebuild_threads(self.account, {root})
        self._log(root, [("read" if read else "unread", None)])
        return self.pending_count()

    def tags(self) -> list[TagInfo]:
        """The tag catalog and every tag found on threads, with thread counts."""
        counts: dict[str, int] = {}
        for kw, n in self.cache.keyword_counts(self.account).items():
            name = keyword_to_tag(kw)
            if name is not None:
                counts[name] = counts.get(name, 0) + n
        out: dict[str, TagInfo] = {}
        for tag in self.userdb.catalog():
            out[tag.name] = TagInfo(
                name=tag.name,
                kind=tag_kind(tag.name),
                keyword=encode_keyword(tag.name),
                threads=counts.get(tag.name, 0),
                in_catalog=True,
                shortcut=tag.shortcut,
                description=tag.description,
                color=tag.color,
            )
        for name, n in counts.items():
            if name not in out:
                out[name] = TagInfo(
                    name=name,
                    kind=tag_kind(name),
                    keyword=encode_keyword(name),
                    threads=n,
                    in_catalog=False,
                )
        return sorted(out.values(), key=lambda t: _tag_sort_key(t.name))

    # -- notes -------------------------------------------------------------------------------

    def note(self, ref: str) -> str | None:
        """The note of a thread (also of one no longer in the cache: see ``notes``)."""
        return self.userdb.note(self.account, self._note_root(ref))

    def set_note(self, ref: str, text: str) -> None:
        """Save (or with empty text, clear) the private note of a thread; it stays local.
        A note whose thread left the cache is named by its thread id or root Message-ID."""
        root = self._note_root(ref)
        try:
            self.userdb.set_note(self.account, root, text)
        except UserDBError as exc:
            raise ServiceError(str(exc)) from exc
        self._log(root, [("note", None)])

    def note_file(self, ref: str) -> AbstractContextManager[Path]:
        """The note of a thread as a private file to edit outside (``with ... as path``).

        The file (mode 0600, ``.txt``, in the data directory) holds the current note, ending in a
        newline so editors and ``>>`` append whole lines. On a normal exit of the ``with`` block
        the file is read back (UTF-8, undecodable bytes replaced), that one added newline is
        dropped again, and the text is saved with ``set_note`` unless it is unchanged. An
        exception inside the block saves nothing. The file is always deleted. The thread is
        resolved at once, so an unknown ``ref`` raises ``ServiceError`` before any file exists.
        """
        root = self._note_root(ref)
        return self._note_file(root, self.userdb.note(self.account, root) or "")

    @contextmanager
    def _note_file(self, root: str, current: str) -> Iterator[Path]:
        added_newline = bool(current) and not current.endswith("\n")
        path = self._write_note_file(current + "\n" if added_newline else current)
        try:
            yield path
            try:
                text = path.read_bytes().decode("utf-8", errors="replace")
            except OSError as exc:
                raise ServiceError(f"cannot read the edited note: {exc.strerror or exc}") from exc
            if added_newline or not current:
                text = text.removesuffix("\n")
            if text != current:
                self.set_note(root, text)
        finally:
            path.unlink(missing_ok=True)

    def _write_note_file(self, text: str) -> Path:
        """A new 0600 ``.txt`` file in the data directory holding ``text``."""
        try:
            fd, name = tempfile.mkstemp(prefix="note-", suffix=".txt", dir=self.data_dir)
        except OSError as exc:
            raise ServiceError(f"cannot create a file for the note: {exc.strerror or exc}") from exc
        path = Path(name)
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
                os.fchmod(handle.fileno(), 0o600)
                handle.write(text)
        except OSError as exc:
            path.unlink(missing_ok=True)
            raise ServiceError(f"cannot write the note file: {exc.strerror or exc}") from exc
        return path

    def orphan_notes(self) -> dict[str, str]:
        """Notes whose thread is not in the cache (kept, never deleted)."""
        return {
            root: text
            for root, text in self.userdb.notes(self.account).items()
            if self.cache.thread(self.account, root) is None
        }

    def notes(self, *, orphans_only: bool = False, raw: bool = False) -> list[NoteEntry]:
        """Your notes: those on threads in the cache (newest activity first), then the
        unmatched ones, whose thread is not in the cache (its messages were expunged, the
        folder was recreated or left the config). Unmatched notes are kept, never deleted:
        they re-attach when a message with that root Message-ID is cached again."""
        matched: list[tuple[datetime, NoteEntry]] = []
        unmatched: list[NoteEntry] = []
        for root, text in self.userdb.notes(self.account).items():
            row = self.cache.thread(self.account, root)
            if row is None:
                unmatched.append(NoteEntry(thread_id(root), root, "", text, orphan=True))
            elif not orphans_only:
                entry = NoteEntry(row.id, root, row.subject, text, orphan=False)
                matched.append((row.last_date, entry))
        matched.sort(key=lambda pair: pair[0], reverse=True)
        unmatched.sort(key=lambda e: e.root_message_id)
        out = [entry for _when, entry in matched] + unmatched
        return out if raw else [e.sanitized() for e in out]

    def _note_root(self, ref: str) -> str:
        """The root of the thread ``ref`` names; when no cached thread matches, the root of the
        one unmatched note whose thread id starts with ``ref`` or whose root Message-ID is it."""
        try:
            return self.resolve(ref)
        except ServiceError:
            if not ref.strip() or self.cache.find_roots(self.account, ref.strip()):
                raise  # no ref, or several cached threads match: not a question of orphans
            bare = ref.strip().strip("<>")
            prefix = ref.strip().lower()
            found = [
                root
                for root in self.orphan_notes()
                if root == bare or (len(prefix) >= 4 and thread_id(root).startswith(prefix))
            ]
            if len(found) == 1:
                return found[0]
            raise

    # -- misc --------------------------------------------------------------------------------

    def is_team_address(self, address: Address) -> bool:
        """The team's: a configured address, the account's own, or anyone at the company
        domain of one of those (``maya@plotline.example`` when ``support@`` is configured)."""
        source, team = self._team
        if source is not self.team_addresses:
            team = reports.Team.from_addresses(self.team_addresses)
            self._team = (self.team_addresses, team)
        return team.includes(address.addr)

    def now(self) -> datetime:
        return self.clock()

    # -- reports (pure functions in storage.reports over rows from the cache) ---------------

    def _report_team(self) -> reports.Team:
        return reports.Team.from_addresses(self.team_addresses)

    def _body_text(self, rowid: int) -> str | None:
        body = self.cache.body(rowid)
        return None if body is None else body.text

    def _window(
        self,
        since: datetime | None,
        until: datetime | None,
        default: Callable[[datetime], datetime],
    ) -> tuple[datetime, datetime]:
        end = until or self.now()
        begin = since or default(end)
        if begin >= end:
            raise ServiceError("the start of the report must be before its end (--since/--until)")
        return begin, end

    def report(
        self,
        since: datetime | None = None,
        until: datetime | None = None,
        by: Granularity = "week",
        kind: TagKind | None = None,
        *,
        raw: bool = False,
    ) -> Report:
        """Threads and distinct customers per tag and period (day, ISO week or month), with a
        spike test per period and a trend per tag (see ``storage.reports``). Periods are whole:
        ``since`` rounds down to the start of its period; the default is 12 periods up to
        ``until`` (default now). Threads from the 8 periods before feed the spike baselines."""
        if by not in reports.GRANULARITIES:
            raise ServiceError(f"unknown period '{by}': use day, week or month")

        def twelve_periods(end: datetime) -> datetime:
            last = reports.period_start(end - timedelta(microseconds=1), by, end.tzinfo)
            return reports.shift_period(last, by, 1 - reports.DEFAULT_PERIODS)

        start, end = self._window(since, until, twelve_periods)
        first = reports.period_start(start, by, end.tzinfo)
        history = reports.shift_period(first, by, -reports.SPIKE_HISTORY)
        result = reports.build_report(
            self.cache.report_rows(self.account, history, end),
            self._report_team(),
            since=start,
            until=end,
            by=by,
            kind=kind,
            data_start=self.cache.first_thread_date(self.account),
        )
        return result if raw else result.sanitized()

    def bugs_by_reach(
        self, since: datetime | None = None, until: datetime | None = None, *, raw: bool = False
    ) -> BugReach:
        """``category:bug`` threads that started in the window (default: the last 12 weeks),
        grouped by team and label tags, ranked by distinct customers."""
        start, end = self._window(since, until, lambda e: e - timedelta(weeks=12))
        rows = self.cache.report_rows(self.account, start, end)
        team = self._report_team()
        result = reports.bugs_by_reach(rows, team, since=start, until=end)
        mirrored = self.cache.rows_with_bodies
        covered = coverage.bugs(rows, team, mirrored, since=start, until=end)
        result = dataclasses.replace(result, coverage=covered)
        return result if raw else result.sanitized()

    def voice(
        self,
        since: datetime | None = None,
        until: datetime | None = None,
        *,
        top: int = reports.VOICE_TOP,
        raw: bool = False,
    ) -> VoiceReport:
        """The top feature requests of the window (default: the last 3 months) with the
        customers' own words; quotes come from cached bodies only (never the network)."""
        from dateutil.relativedelta import relativedelta

        start, end = self._window(since, until, lambda e: e - relativedelta(months=3))
        rows = self.cache.report_rows(self.account, start, end)
        team = self._report_team()
        result = reports.voice(rows, team, self._body_text, since=start, until=end, top=top)
        result = saved_quotes.prefer_saved(result, self._voice_quotes())  # saved quotes first
        mirrored = self.cache.rows_with_bodies
        covered = coverage.voice(rows, team, mirrored, since=start, until=end)
        result = dataclasses.replace(result, coverage=covered)
        return result if raw else result.sanitized()

    def digest(
        self, since: datetime | None = None, until: datetime | None = None, *, raw: bool = False
    ) -> Digest:
        """What customers wrote in the window (default: the last 24 hours), by category, with
        the first lines of each thread's customer message (cached bodies only)."""
        start, end = self._window(since, until, lambda e: e - timedelta(days=1))
        rows = self.cache.report_rows(self.account, start, end, active=True)
        team = self._report_team()
        result = reports.digest(rows, team, self._body_text, since=start, until=end)
        mirrored = self.cache.rows_with_bodies
        covered = coverage.digest(rows, team, mirrored, since=start, until=end)
        result = dataclasses.replace(result, coverage=covered)
        return result if raw else result.sanitized()

    def quarter(self, text: str) -> tuple[datetime, datetime]:
        """The start and end of a quarter named like ``2026Q3``, in the local time zone."""
        try:
            return reports.parse_quarter(text, self.now().tzinfo)
        except ValueError as exc:
            raise ServiceError(str(exc)) from exc

    def last_skim(self) -> datetime | None:
        """When the morning skim last ran for this account (kept locally), or None."""
        stored = self.userdb.get_setting(f"last_skim:{self.account}")
        try:
            when = datetime.fromisoformat(stored) if isinstance(stored, str) else None
        except ValueError:
            return None
        return when if when is not None and when.tzinfo is not None else None

    def skim(self, *, remember: bool = True, raw: bool = False) -> Digest:
        """The digest of everything customers wrote since the last skim (the first time: the
        last 24 hours). Remembers this moment as the last skim (locally, unless ``remember`` is
        False); it marks nothing as read on the server."""
        end = self.now()
        since = self.last_skim() or end - timedelta(days=1)
        if since >= end:
            result = Digest(since=since, until=end, threads=0, groups=())
        else:
            result = self.digest(since, end, raw=True)
        if remember:
            self.remember_skim(end)
        return result if raw else result.sanitized()

    def remember_skim(self, until: datetime) -> None:
        """Remember ``until`` as the moment of the last skim (locally), e.g. the ``until`` of a
        ``skim(remember=False)`` the user has now read: mail that arrived while they read it
        stays new for the next skim. A moment earlier than the stored one is ignored."""
        if until.tzinfo is None:
            raise ServiceError("the skim moment needs a time zone")
        last = self.last_skim()
        if last is not None and until <= last:
            return
        try:
            self.userdb.set_setting(f"last_skim:{self.account}", until.isoformat())
        except UserDBError as exc:
            raise ServiceError(str(exc)) from exc

    # -- saved quotes (local only, like notes) -----------------------------------------------

    def _log(self, root: str, events: Sequence[tuple[str, str | None]]) -> None:
        """Append to the activity log (what the customer-day summary reads)."""
        try:
            self.userdb.log_activity(self.account, root, events, at=self.now().timestamp())
        except UserDBError as exc:
            raise ServiceError(f"saved, but the activity log failed: {exc}") from exc

    def _thread_rows(self, root: str) -> list[MessageRow]:
        """The thread's messages oldest first, each once (numbered 1.. as ``show`` prints)."""
        return _distinct(self.cache.thread_messages(self.account, root))

    def _first_customer_row(self, rows: Sequence[MessageRow]) -> MessageRow | None:
        team = self._report_team()
        for row in rows:
            addr = row.envelope.sender.addr.strip()
            if addr and not team.includes(addr):
                return row
        return None

    def _pick_message(self, root: str, message: str | None) -> MessageRow:
        """A message of the thread: a Message-ID (with or without ``<>``), its number as
        ``show`` prints it, or (None) the first message a customer wrote."""
        rows = self._thread_rows(root)
        if not rows:
            raise ServiceError("that thread has no messages in the cache")
        if message is None:
            return self._first_customer_row(rows) or rows[0]
        ref = message.strip()
        if ref.isdigit() and 1 <= int(ref) <= len(rows):
            return rows[int(ref) - 1]
        bare = ref.strip("<>")
        exact = [row for row in rows if row.message_id == bare]
        folded = [row for row in rows if row.message_id.casefold() == bare.casefold()]
        if exact or folded:
            return (exact or folded)[0]
        raise ServiceError(
            f"message '{sanitize_line(ref)[:60]}' is not in thread {thread_id(root)}: give its "
            f"Message-ID or its number 1-{len(rows)} as `show` prints it"
        )

    def _quoted_row(self, root: str, message: str | None) -> MessageRow:
        """``_pick_message`` for quotes: without ``message``, a thread with no customer message
        is an error (a quote is the customer's words), not its first message."""
        if message is None and self._first_customer_row(self._thread_rows(root)) is None:
            raise ServiceError(
                f"thread {thread_id(root)} has no message from a customer: name one with "
                "--message N (its number as `show` prints it)"
            )
        return self._pick_message(root, message)

    def _text_of(self, row: MessageRow) -> str:
        body = self._bodies([row], fetch=True).get(row.rowid)
        return "" if body is None else body.text

    def quoted_message(self, ref: str, message: str | None = None) -> tuple[int, Address]:
        """Which message ``customer_paragraphs(ref, message)`` reads: its number as ``show``
        prints it and its sender (display-safe)."""
        root = self.resolve(ref)
        row = self._quoted_row(root, message)
        number = next(n for n, r in enumerate(self._thread_rows(root), 1) if r.rowid == row.rowid)
        sender = row.envelope.sender
        return number, Address(sanitize_line(sender.name), sanitize_line(sender.addr))

    def customer_paragraphs(
        self, ref: str, message: str | None = None, *, raw: bool = False
    ) -> tuple[str, ...]:
        """The paragraphs a customer wrote in one message of a thread (``message``: a
        Message-ID, a number as ``show`` prints it, default the first customer message),
        without greeting, quoted text, reply headers and signature; each on one line."""
        row = self._quoted_row(self.resolve(ref), message)
        paragraphs = reports.customer_paragraphs(self._text_of(row))
        return tuple(paragraphs if raw else map(sanitize_line, paragraphs))

    def first_customer_words(self, ref: str, *, raw: bool = False) -> Quote | None:
        """The first paragraph of the first message a customer wrote in the thread (about 280
        characters), with who and when; None without a customer message or its body."""
        root = self.resolve(ref)
        row = self._first_customer_row(self._thread_rows(root))
        if row is None:
            return None
        text = reports.customer_paragraph(self._text_of(row))
        if not text:
            return None
        env = row.envelope
        thread = self.cache.thread(self.account, root)
        when = env.date or (thread.first_date if thread is not None else self.now())
        quote = Quote(
            text=text,
            sender=env.sender,
            company=reports.company_domain(env.sender.addr),
            date=when.astimezone(self.now().tzinfo),
            thread_id=thread_id(root),
        )
        return quote if raw else quote.sanitized()

    def _quote_root(self, stored: StoredQuote) -> str:
        """The root of the thread the quoted message is in now (threads merge), else the root
        stored with the quote."""
        roots = self.cache.find_roots(self.account, stored.message_id)
        return roots[0] if len(roots) == 1 else stored.root

    def _saved_quote(self, stored: StoredQuote, root: str | None = None) -> SavedQuote:
        tid = thread_id(root or self._quote_root(stored))
        return saved_quotes.saved_quote(stored, tid, self.now().tzinfo)

    def save_quote(
        self, ref: str, message_id: str | None, text: str, *, raw: bool = False
    ) -> SavedQuote:
        """Keep ``text`` (a passage of a message of the thread) as a quote: local only, like a
        note. Who and when come from the message (``message_id``: a Message-ID, a number as
        ``show`` prints it, or None for the first customer message). The text becomes one line
        of at most 1000 characters; blank text is a ``ServiceError``."""
        root = self.resolve(ref)
        row = self._quoted_row(root, message_id)
        clean = saved_quotes.clean_quote(text)
        if not clean:
            raise ServiceError("a quote needs some text")
        env = row.envelope
        try:
            stored = self.userdb.add_quote(
                self.account,
                root,
                row.message_id,
                clean,
                env.sender.name,
                env.sender.addr,
                "" if env.date is None else env.date.isoformat(),
                created=self.now().timestamp(),
            )
        except UserDBError as exc:
            raise ServiceError(str(exc)) from exc
        self._log(root, [("quote", None)])
        saved = self._saved_quote(stored, root)
        return saved if raw else saved.sanitized()

    def quotes(self, ref: str | None = None, *, raw: bool = False) -> list[SavedQuote]:
        """Your saved quotes, in the order saved; of one thread when ``ref`` is given (also
        quotes of messages that joined the thread later)."""
        stored = self.userdb.quotes(self.account)
        if ref is None:
            out = [self._saved_quote(q) for q in stored]
        else:
            root = self.resolve(ref)
            ids = {row.message_id for row in self._thread_rows(root)}
            out = [
                self._saved_quote(q, root) for q in stored if q.root == root or q.message_id in ids
            ]
        return out if raw else [q.sanitized() for q in out]

    def remove_quote(self, quote_id: int) -> None:
        """Delete a saved quote by its id."""
        try:
            removed = self.userdb.remove_quote(self.account, quote_id)
        except UserDBError as exc:
            raise ServiceError(str(exc)) from exc
        if not removed:
            raise ServiceError(f"no saved quote {quote_id} (see `supportmail quotes`)")

    def quote_with_attribution(self, quote: SavedQuote) -> str:
        """The line to copy to the clipboard:
        ``"…" — Name, company.example, 2026-11-20 (thread 3f9c2a1b04de)``; terminal-safe."""
        return saved_quotes.attribution(quote)

    def _voice_quotes(self) -> dict[str, list[Quote]]:
        """Saved quotes for the voice of the customer, by the thread id they belong to now."""
        out: dict[str, list[Quote]] = {}
        for stored in self.userdb.quotes(self.account):
            saved = self._saved_quote(stored)
            out.setdefault(saved.thread_id, []).append(saved_quotes.to_quote(saved))
        return out

    # -- the customer day (storage.day) ------------------------------------------------------

    def _day_key(self) -> str:
        return f"day:{self.account}"

    def _shifts(self) -> list[day.Shift]:
        from storage import day

        return day.load_shifts(self.userdb.get_setting(self._day_key()))

    def _change_shifts(self, change: Callable[[list[day.Shift]], list[day.Shift]]) -> None:
        from storage import day

        now = self.now()

        def apply(value: object) -> object:
            return day.dump_shifts(change(day.load_shifts(value)), now)

        try:
            self.userdb.update_setting(self._day_key(), apply)
        except UserDBError as exc:
            raise ServiceError(str(exc)) from exc

    def _running_shift(self) -> day.Shift:
        from storage import day

        shift = day.current_shift(self._shifts(), self.now())
        if shift is None:
            raise ServiceError("no customer day is running: start one with `supportmail day`")
        return shift

    def _queue_remaining(self, start: datetime) -> int:
        """Threads missing a team or a category tag whose first message is not after ``start``."""
        total = self.cache.count_threads(self.account, ThreadQuery(untagged=True))
        later = self.cache.list_threads(self.account, ThreadQuery(untagged=True, since=start))
        return total - sum(1 for row in later if row.first_date > start)

    def _needs_tags(self, root: str) -> bool:
        row = self.cache.thread(self.account, root)
        if row is None:
            return False
        kinds = {tag_kind(t) for t in _thread_tags(row.keywords)}
        return not {"team", "category"} <= kinds

    def _queue_rows(self, shift: day.Shift, limit: int | None) -> list[ThreadRow]:
        query = ThreadQuery(untagged=True, oldest_first=True, limit=limit)
        rows = self.cache.list_threads(self.account, query)
        return [row for row in rows if row.first_date <= shift.start]

    def _next_row(self, shift: day.Shift) -> ThreadRow | None:
        skipped = set(shift.skipped)
        rows = self._queue_rows(shift, len(skipped) + 1)
        return next((row for row in rows if row.root not in skipped), None)

    def _done(self, shift: day.Shift) -> int:
        return min(shift.queue, max(0, shift.queue - self._queue_remaining(shift.start)))

    def day_start(self) -> DayShift:
        """Start a customer-day shift over the threads missing a team or a category tag (oldest
        first), or resume today's unfinished one. Kept in the userdb settings."""
        from storage import day

        now = self.now()
        shifts = self._shifts()
        running = day.current_shift(shifts, now)
        if running is not None:
            return DayShift(started=running.start, queue_size=running.queue, resumed=True)
        since = shifts[-1].start.timestamp() if shifts else now.timestamp()
        times = [a.at for a in self.userdb.activity(self.account, since=since)]
        new = day.Shift(start=now, queue=self._queue_remaining(now))
        chosen: list[day.Shift] = []

        def change(stored: list[day.Shift]) -> list[day.Shift]:
            other = day.current_shift(stored, now)  # another process started one meanwhile
            if other is not None:
                chosen.append(other)
                return stored
            chosen.append(new)
            return [*day.close_abandoned(stored, times, now), new]

        self._change_shifts(change)
        shift = chosen[0]
        return DayShift(started=shift.start, queue_size=shift.queue, resumed=shift is not new)

    def day_status(self) -> DayProgress:
        """Progress of today's running shift (``ServiceError`` when none is running)."""
        shift = self._running_shift()
        remaining = self._queue_remaining(shift.start)
        row = self._next_row(shift)
        return DayProgress(
            started=shift.start,
            done=min(shift.queue, max(0, shift.queue - remaining)),
            queue_size=shift.queue,
            remaining=remaining,
            skipped=sum(1 for root in shift.skipped if self._needs_tags(root)),
            elapsed=max(self.now() - shift.start, timedelta()),
            next_thread_id=None if row is None else row.id,
        )

    def _summaries(self, rows: Sequence[ThreadRow]) -> list[ThreadSummary]:
        notes = self.userdb.notes(self.account)
        pending = self._pending_by_root()
        return [self._summary(row, notes, pending).sanitized() for row in rows]

    def day_queue(self, limit: int | None = None) -> list[ThreadSummary]:
        """The running shift's threads still missing a tag, oldest first (skipped ones too)."""
        return self._summaries(self._queue_rows(self._running_shift(), limit))

    def day_next(self) -> ThreadSummary | None:
        """The oldest thread of the running shift's queue still missing a tag and not skipped;
        None when the queue is through."""
        row = self._next_row(self._running_shift())
        return None if row is None else self._summaries([row])[0]

    def day_skip(self, ref: str) -> ThreadSummary | None:
        """Skip a thread for the rest of today's shift; returns the next one (``day_next``)."""
        root = self.resolve(ref)
        start = self._running_shift().start

        def change(stored: list[day.Shift]) -> list[day.Shift]:
            return [
                dataclasses.replace(s, skipped=(*s.skipped, root))
                if s.start == start and root not in s.skipped
                else s
                for s in stored
            ]

        self._change_shifts(change)
        return self.day_next()

    def day_end(self) -> DaySummary:
        """End today's running shift (its progress is recorded) and return the day's summary."""
        from storage import day

        now = self.now()
        shift = self._running_shift()
        done = self._done(shift)

        def change(stored: list[day.Shift]) -> list[day.Shift]:
            return [
                dataclasses.replace(s, end=max(now, s.start), done=done)
                if s.start == shift.start
                else s
                for s in stored
            ]

        self._change_shifts(change)
        return self.day_summary(day.shift_day(shift, now.tzinfo))

    def _thread_info(self, root: str) -> tuple[str, str, tuple[str, ...]]:
        row = self.cache.thread(self.account, root)
        if row is None:
            return thread_id(root), "", ()
        return row.id, row.subject, _thread_tags(row.keywords)

    def day_summary(self, on: date | None = None, *, raw: bool = False) -> DaySummary:
        """The summary of the customer-day shifts of ``on`` (default today): threads handled,
        tags added and removed by kind, notes and quotes saved, time spent."""
        from storage import day

        now = self.now()
        wanted = on or now.date()
        shifts = [s for s in self._shifts() if day.shift_day(s, now.tzinfo) == wanted]
        if not shifts:
            raise ServiceError(f"no customer day on {wanted.isoformat()}")
        running = day.current_shift(shifts, now)
        summary = day.summarize(
            wanted,
            shifts,
            self.userdb.activity(self.account, since=shifts[0].start.timestamp()),
            notes=self.userdb.notes(self.account),
            quotes=self.quotes(raw=True),
            thread_info=self._thread_info,
            now=now,
            live_done=None if running is None else self._done(running),
        )
        return summary if raw else summary.sanitized()


def _distinct(rows: Iterable[MessageRow]) -> list[MessageRow]:
    """Each distinct message once (first copy wins); see :mod:`storage.copies`."""
    seen: set[CopyKey] = set()
    out: list[MessageRow] = []
    for row in rows:
        key = envelope_copy_key(row.message_id, row.size, row.envelope.date)
        if key not in seen:
            seen.add(key)
            out.append(row)
    return out
