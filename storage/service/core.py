"""The state every facade of ``Service`` shares (``ServiceCore``): the account, its cache and
userdb, the IMAP sessions, the clock and the team; opening (a configured account or the demo),
claiming the window, closing. Also the small helpers the facades share: a thread's tags in
order, each distinct message once."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Self

from supportmail.storage import insight, mime
from supportmail.storage.cache import Cache, FolderState
from supportmail.storage.copies import envelope_copy_key
from supportmail.storage.demo.account import DEMO_ACCOUNT, DEMO_ADDRESS, DemoResetError, reset_demo
from supportmail.storage.instance import WindowLock, WindowLockError
from supportmail.storage.private import data_dir_problem, private_dir
from supportmail.storage.service.errors import ServiceError
from supportmail.storage.settings import (
    BodiesSetting,
    PasswordError,
    get_password,
)
from supportmail.storage.sync.coalesce import Coalescer
from supportmail.storage.sync.foreground import Foreground
from supportmail.storage.tags import keyword_to_tag, tag_sort_key
from supportmail.storage.user.db import UserDB
from supportmail.storage.user.records import UserDBError

if TYPE_CHECKING:  # imported where used: the TUI's first screen needs no IMAP code
    from supportmail.storage.cache import MessageRow
    from supportmail.storage.copies import CopyKey
    from supportmail.storage.imap import ImapConnection
    from supportmail.storage.imap.sessions import Sessions
    from supportmail.storage.mime import Body
    from supportmail.storage.models import Address, SyncResult
    from supportmail.storage.service.answering import Answers
    from supportmail.storage.service.replying import Replies
    from supportmail.storage.service.tag_catalog import TagCatalog
    from supportmail.storage.settings import (
        AccountConfig,
        Settings,
    )
    from supportmail.storage.sync.live import LiveMirror

__all__ = ["CACHE_FILE", "USERDB_FILE", "ServiceCore", "distinct", "thread_tags"]

CLOSE_WAIT = 5.0
"""Seconds ``close`` waits for a live mirror's thread to end."""

CACHE_FILE = "cache.sqlite3"
USERDB_FILE = "userdb.json"


def thread_tags(keywords: Sequence[str]) -> tuple[str, ...]:
    """A thread's tags from its keywords: teams first, then categories, then labels."""
    names = {t for kw in keywords if (t := keyword_to_tag(kw)) is not None}
    return tuple(sorted(names, key=tag_sort_key))


def distinct(rows: Iterable[MessageRow]) -> list[MessageRow]:
    """Each distinct message once (first copy wins); see :mod:`storage.copies`."""
    seen: set[CopyKey] = set()
    out: list[MessageRow] = []
    for row in rows:
        key = envelope_copy_key(row.message_id, row.size, row.envelope.date)
        if key not in seen:
            seen.add(key)
            out.append(row)
    return out


class ServiceCore:
    """The state every facade shares: the account, its cache and userdb, the sessions, the
    clock; opening and closing. The parts (``answers``, ``replies``, ``tag_catalog``) are
    made by ``Service``, which knows the whole service (all but ``answers`` when first used)."""

    answers: Answers
    """Awaiting replies and first-reply times (``storage.service.answering``)."""

    if TYPE_CHECKING:  # ``Service`` builds these when first used

        @property
        def replies(self) -> Replies:
            """Reply, forward, the mail outbox (``storage.service.replying``)."""

        @property
        def tag_catalog(self) -> TagCatalog:
            """Describe, rename, delete tags; the catalog shared through the server."""

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
        self._team: tuple[frozenset[str], insight.Team] | None = None
        """The team as last built, and the addresses it was built from (on first use)."""
        self.clock = clock or (lambda: datetime.now(UTC).astimezone())
        try:
            private_dir(data_dir.parent)
            private_dir(data_dir)
        except OSError as exc:  # a file in the way, a read-only or missing mount
            raise ServiceError(data_dir_problem(data_dir, exc)) from exc
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
        self._sessions: Sessions | None = None
        if connector is not None:
            from supportmail.storage.imap.sessions import Sessions

            self._sessions = Sessions(connector)
        self._syncs: dict[bool, Coalescer[SyncResult]] = {True: Coalescer(), False: Coalescer()}
        """One per ``bodies`` value; the sync session's lock runs one sync at a time."""
        self._lives: list[LiveMirror] = []
        self.account_config: AccountConfig | None = None
        """The configured account (``open`` sets it; None: the demo, or a service built without
        a config): replies need its address and SMTP server."""
        self._attach_parts()

    def _attach_parts(self) -> None:
        """Build the parts that need the whole service (``Service`` adds them); none here."""

    # -- construction ------------------------------------------------------------------------

    @classmethod
    def open(cls, settings: Settings, account: AccountConfig, data_dir: Path) -> Self:
        """A service for a configured IMAP account, its files in ``data_dir / account.name``.
        Connects lazily (the password too)."""
        password: list[str] = []
        asking = threading.Lock()  # three sessions may log in at once: ask for it once

        def connect() -> ImapConnection:
            from supportmail.storage.imap import ImapConnection

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
        service.account_config = account
        return service

    @classmethod
    def open_demo(cls, data_dir: Path, now: datetime | None = None, *, reset: bool = False) -> Self:
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
            from supportmail.storage.demo import (
                generator,  # builds the mail: imported only to load it
            )

            service._load_demo(generator.demo_messages(moment), generator.demo_notes(moment))
        return service

    def _load_demo(self, messages: Sequence[object], notes: dict[str, str]) -> None:
        from supportmail.storage.demo.generator import DemoMessage

        uids: dict[str, int] = {}
        bodies: list[tuple[str, int, Body]] = []
        by_folder: dict[str, list[tuple[int, object, tuple[str, ...], int, None, None]]] = {}
        for msg in messages:
            assert isinstance(msg, DemoMessage)
            uid = uids[msg.folder] = uids.get(msg.folder, 0) + 1
            env = mime.per_message(mime.parse_envelope(msg.raw), msg.folder, 1, uid, len(msg.raw))
            by_folder.setdefault(msg.folder, []).append(
                (uid, env, msg.flags, len(msg.raw), None, None)
            )
            bodies.append((msg.folder, uid, mime.parse_body(msg.raw)))
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
        """The user pressed a key: background syncs yield for a moment
        (``storage.sync.foreground``)."""
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

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def take_notice(self) -> str | None:
        """A one-time message for the user (e.g. the notes file was damaged and restored)."""
        notice = self.userdb.recovered
        self.userdb.recovered = None
        return notice

    def is_team_address(self, address: Address) -> bool:
        """The team's: a configured address, the account's own, or anyone at the company
        domain of one of those (``maya@plotline.example`` when ``support@`` is configured)."""
        if self._team is None or self._team[0] is not self.team_addresses:
            self._team = (self.team_addresses, insight.Team.from_addresses(self.team_addresses))
        return self._team[1].includes(address.addr)

    def now(self) -> datetime:
        return self.clock()

    # -- reports (pure functions in storage.insight over rows from the cache) ---------------

    def report_team(self) -> insight.Team:
        """The team as reports and answers count it (``team_addresses``)."""
        return insight.Team.from_addresses(self.team_addresses)

    def _log(self, root: str, events: Sequence[tuple[str, str | None]]) -> None:
        """Append to the activity log (what the customer-day summary reads)."""
        try:
            self.userdb.log_activity(self.account, root, events, at=self.now().timestamp())
        except UserDBError as exc:
            raise ServiceError(f"saved, but the activity log failed: {exc}") from exc
