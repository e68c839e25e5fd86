"""The service's catalog side: describe, rename and delete tags, and share the catalog.

``Service.tag_catalog`` is one :class:`TagCatalog` per service. Renaming and deleting retag every
cached thread through the durable outbox: the outbox edits (add NEW, remove OLD) and the catalog
change are written in **one** userdb batch, so a kill leaves either nothing or all of it, and
the next sync pushes whatever is still pending. The cache is updated after the batch (a kill in
between only delays the local view until the next sync). The catalog travels through the server
(``storage.catalog_sync``) on every sync and right after each change here.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from supportmail.storage.models import TagInfo, ThreadQuery
from supportmail.storage.service.errors import CatalogInputError, ServiceError
from supportmail.storage.tags import TagError, canonical_tag, encode_keyword
from supportmail.storage.user.catalog import DESCRIPTION_MAX, CatalogEntry, valid_shortcut
from supportmail.storage.user.records import UserDBError

if TYPE_CHECKING:  # storage.catalog_sync (IMAP) is imported when a sync runs
    from supportmail.storage.catalog_sync import CatalogSync
    from supportmail.storage.imap.sessions import Session
    from supportmail.storage.service.facade import Service

__all__ = ["CatalogChange", "CatalogInputError", "TagCatalog"]

_log = logging.getLogger(__name__)

SYNC_EVERY = 120.0
"""Seconds between catalog syncs that ride along with mail syncs in one process."""


@dataclass(frozen=True, slots=True)
class CatalogChange:
    """What a rename or delete did."""

    name: str
    """The tag renamed or deleted (canonical)."""
    new_name: str | None
    threads: int
    """Threads retagged."""
    pending: int
    """Edits still waiting for the server (0 in the demo)."""
    shared: str | None = None
    """Why the change did not reach the server yet (offline, refused), or None."""


def _canonical(name: str) -> str:
    try:
        return canonical_tag(name)
    except TagError as exc:
        raise CatalogInputError(str(exc)) from None


def _inherited(kept: CatalogEntry | None, was: CatalogEntry | None) -> dict[str, str | None]:
    """The fields a renamed tag takes over from the old one: those the new one lacks."""
    out: dict[str, str | None] = {}
    for field in ("description", "shortcut", "color"):
        mine = getattr(kept, field) if kept is not None else None
        out[field] = None if mine or was is None else getattr(was, field)
    return out


class TagCatalog:
    """Catalog edits and sharing for one service's account."""

    def __init__(self, service: Service) -> None:
        self.service = service
        self._last_sync: float | None = None

    # -- sharing -----------------------------------------------------------------------------

    def sync(self, session: Session | None = None) -> CatalogSync | None:
        """Pull, merge and push the shared catalog now (None in the demo), on ``session`` or
        the interactive one. Raises ``ServiceError`` when the server cannot be reached or
        refuses."""
        from supportmail.storage.catalog_sync import sync_catalog
        from supportmail.storage.imap import ImapConnection, ImapError

        s = self.service
        if s.is_demo:
            return None
        mailbox = s.folders[0] if s.folders else "INBOX"

        def work(conn: ImapConnection) -> CatalogSync:
            return sync_catalog(conn, s.userdb, mailbox)

        try:
            if session is not None:
                return session.run(work)
            return s.on_server(work)
        except ImapError as exc:
            raise ServiceError(f"tag catalog not shared: {exc}") from exc
        except ServiceError as exc:
            raise ServiceError(f"tag catalog not shared: {exc}") from exc
        except UserDBError as exc:
            raise ServiceError(f"tag catalog not merged: {exc}") from exc

    def sync_quietly(self, session: Session | None = None) -> str | None:
        """``sync`` for the end of a mail sync, at most every :data:`SYNC_EVERY` seconds in one
        process (a window syncs often): one line when it failed, else None."""
        now = time.monotonic()
        if self._last_sync is not None and now - self._last_sync < SYNC_EVERY:
            return None
        try:
            self.sync(session)
        except ServiceError as exc:
            _log.warning("%s", exc)
            return str(exc)
        self._last_sync = now
        return None

    def due(self) -> None:
        """The next ``sync_quietly`` shares the catalog whenever it comes (the live mirror's
        watcher saw the server's copy change); thread-safe."""
        self._last_sync = None

    def _share(self, *, push: bool) -> str | None:
        """Push the outbox (``push``) and the catalog after a change; why not, or None."""
        s = self.service
        if s.is_demo:
            return None
        try:
            if push:
                result = s.push()
                if result.errors:
                    return result.errors[0]
            self.sync()
        except ServiceError as exc:
            return str(exc)
        return None

    # -- edits -------------------------------------------------------------------------------

    def set(
        self,
        name: str,
        *,
        description: str | None = None,
        shortcut: str | None = None,
        color: str | None = None,
        share: bool = True,
    ) -> tuple[TagInfo, str | None]:
        """Add ``name`` to the catalog or change its description, shortcut (a digit) or colour;
        None keeps a field, "" clears it. Returns the tag and why it is not shared yet (or
        None). ``share=False``: leave sharing to the next sync (the TUI's picker)."""
        canonical = _canonical(name)
        if shortcut and not valid_shortcut(shortcut):
            raise CatalogInputError(f"a shortcut is one digit 0-9, got {shortcut!r:.20}")
        if description is not None:
            description = " ".join(description.split())
            if len(description) > DESCRIPTION_MAX:
                raise CatalogInputError(f"a description is at most {DESCRIPTION_MAX} characters")
        if color is not None and (len(color) > 40 or not color.strip().isprintable()):
            raise CatalogInputError(f"not a colour name: {color!r:.40}")
        try:
            self.service.userdb.add_catalog_tag(
                canonical, description=description, shortcut=shortcut, color=color
            )
        except UserDBError as exc:
            raise CatalogInputError(str(exc)) from None
        problem = self._share(push=False) if share else None
        info = next(t for t in self.service.tags() if t.name == canonical)
        return info, problem

    def _roots_with(self, name: str) -> list[str]:
        s = self.service
        rows = s.cache.list_threads(s.account, ThreadQuery(), [encode_keyword(name)])
        return [row.root for row in rows]

    def rename(self, old: str, new: str) -> CatalogChange:
        """Rename tag ``old`` to ``new`` in the catalog and on every thread (add new, remove
        old, through the outbox). ``new`` keeps its own description, shortcut and colour where
        it has them (renaming into an existing tag merges the two), else takes ``old``'s."""
        old_name, new_name = _canonical(old), _canonical(new)
        if old_name == new_name:
            raise CatalogInputError(f"{old_name} is already called that")
        return self._retag(old_name, new_name)

    def delete(self, name: str) -> CatalogChange:
        """Remove tag ``name`` from the catalog and from every thread (through the outbox)."""
        return self._retag(_canonical(name), None)

    def _retag(self, old: str, new: str | None) -> CatalogChange:
        s = self.service
        entries = {e.name: e for e in s.userdb.catalog_entries() if not e.deleted}
        roots = self._roots_with(old)
        if old not in entries and not roots:
            raise ServiceError(f"no tag {old} in the catalog or on any cached thread")
        plans = [s.plan_tag_edits(root, [new] if new else [], [old]) for root in roots]
        message_ids = {root: s.cache.thread_message_ids(s.account, root) for root in roots}
        was, kept = entries.get(old), entries.get(new) if new else None
        with s.batched():
            if not s.is_demo:
                for root, _adds, _removes, edits in plans:
                    for _name, keyword, on in edits:
                        s.userdb.outbox_put(s.account, root, message_ids[root], keyword, on)
            s.userdb.remove_catalog_tag(old)
            if new is not None:
                taken = _inherited(kept, was)
                s.userdb.add_catalog_tag(
                    new,
                    description=taken["description"],
                    shortcut=taken["shortcut"],
                    color=taken["color"],
                )
        for root, _adds, _removes, edits in plans:
            for _name, keyword, on in edits:
                s.cache.apply_keyword(s.account, message_ids[root], keyword, on)
        if roots:
            s.cache.rebuild_threads(s.account, set(roots))
        problem = self._share(push=bool(roots))
        return CatalogChange(
            name=old,
            new_name=new,
            threads=len(roots),
            pending=s.pending_count(),
            shared=problem,
        )
