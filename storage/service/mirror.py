"""The mirror/sync facade (``MirrorFacade``): ``sync`` and ``push`` on the persistent sessions,
``on_server`` (work on the interactive session), the live mirror (``live``), login counts."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, TypeVar

from supportmail.storage.service.core import ServiceCore
from supportmail.storage.service.errors import ServiceError
from supportmail.storage.user.records import UserDBError

if TYPE_CHECKING:  # imported where used: the first screen needs no sync values
    from supportmail.storage.imap import ImapConnection
    from supportmail.storage.imap.sessions import Session
    from supportmail.storage.models import LiveEvent, SyncResult
    from supportmail.storage.sync.base import ProgressCallback
    from supportmail.storage.sync.engine import SyncEngine
    from supportmail.storage.sync.live import LiveMirror

__all__ = ["MirrorFacade"]

T = TypeVar("T")


class MirrorFacade(ServiceCore):
    """Sync, push, the live mirror, work on the interactive session."""

    def _engine(
        self, progress: ProgressCallback | None, session: Session, *, bodies: bool = False
    ) -> SyncEngine:
        """An engine on ``session``'s persistent connection (call it with the lock held)."""
        from supportmail.storage.sync.engine import SyncEngine

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
        from supportmail.storage.cache.bodystore import ALL_DATES

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
        from supportmail.storage.imap import ImapError

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
        rides along (``storage.service.tag_catalog``)."""
        from supportmail.storage.models import SyncResult

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
        from supportmail.storage.models import SyncResult

        if self._sessions is None:
            return SyncResult(account=self.account)
        return self._run_engine(self._sessions.interactive, None, pull=False, what="push")

    def on_server(self, work: Callable[[ImapConnection], T]) -> T:
        """``work(connection)`` on the interactive session (its lock held; re-run once on a
        kept connection found dropped, so ``work`` must be idempotent): for what a person
        waits for, e.g. a server search. ``ImapError`` comes out as ``ServiceError``."""
        if self._sessions is None:
            raise ServiceError("the demo mailbox has no server")
        from supportmail.storage.imap import ImapError

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
        """The live mirror of this account (``storage.sync.live``): call ``run()`` in a thread of
        your own (it blocks), ``stop()`` from any; ``on_event`` gets ``LiveEvent``s from its
        threads. ``poll_seconds``: the polling interval of a server without IDLE; the rest
        default to ``storage.sync.live``/``storage.imap.watcher`` (tests shorten them). The
        shared tag catalog is probed at each of the watcher's checks (``check_seconds``): a
        teammate's change starts a sync that shares it."""
        if self._sessions is None:
            raise ServiceError("the demo mailbox has no server to watch")
        from supportmail.storage.catalog_sync import CatalogProbe
        from supportmail.storage.imap import watcher
        from supportmail.storage.sync import live

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
            # A teammate's catalog change reaches no IDLE: the watcher probes it at each check.
            probe=CatalogProbe(self.folders[0] if self.folders else "INBOX"),
            on_probe_change=self.tag_catalog.due,
        )
        self._lives = [m for m in self._lives if not m.done.is_set()] + [mirror]
        return mirror

    @property
    def logins(self) -> dict[str, int]:
        """How often each session logged in so far (tests and benchmarks read it)."""
        if self._sessions is None:
            return {}
        return {session.purpose: session.logins for session in self._sessions}
