"""The userdb's catalog table: tags with shortcut, colour and description, kept as mergeable
entries (edit time and writer, deletions as tombstones) so the shared catalog merges per tag.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from supportmail.storage.tags import canonical_tag, tag_kind
from supportmail.storage.user.core import Q, Tables, UserDBCore, entry_doc
from supportmail.storage.user.records import UserDBError

if TYPE_CHECKING:  # the catalog's values load with its first use (a first screen reads none)
    from supportmail.storage.user.catalog import CatalogEntry, CatalogTag


def entry_from(doc: Mapping[str, Any]) -> CatalogEntry:
    from supportmail.storage.user.catalog import CatalogEntry

    return CatalogEntry(
        name=str(doc["name"]),
        description=doc.get("description"),
        shortcut=doc.get("shortcut"),
        color=doc.get("color"),
        updated=float(doc.get("updated", 0.0)),
        writer=str(doc.get("writer", "")),
        deleted=bool(doc.get("deleted", False)),
    )


def tag_from(entry: CatalogEntry) -> CatalogTag:
    from supportmail.storage.user.catalog import CatalogTag

    return CatalogTag(
        name=entry.name,
        kind=tag_kind(entry.name),
        shortcut=entry.shortcut,
        color=entry.color,
        description=entry.description,
    )


def check_attribute(what: str, value: str | None) -> None:
    """None keeps what is stored and "" clears it; anything else must be printable text."""
    if value and (not value.strip() or not value.isprintable()):
        raise UserDBError(f"a tag {what} must be printable and not blank, got {value!r}")


class CatalogStore(UserDBCore):
    """The catalog methods of :class:`storage.user.db.UserDB`."""

    # Catalog -------------------------------------------------------------------------------
    # Entries are kept with their edit time and writer, deletions as tombstones, so the shared
    # catalog merges per tag (``storage.user.catalog``, ``storage.catalog_sync``).

    def catalog(self) -> list[CatalogTag]:
        """Every live catalog tag, in the order they were added (a shortcut claimed by two
        tags shows on the newer writer's only)."""
        from supportmail.storage.user.catalog import effective

        return [tag_from(e) for e in effective(self.catalog_entries())]

    def catalog_entries(self) -> list[CatalogEntry]:
        """Every catalog entry, tombstones included, in the order they were added."""
        return self._run(lambda t: [entry_from(doc) for doc in t.catalog.all()])

    @staticmethod
    def _writer(t: Tables) -> str:
        doc = t.settings.get(Q.key == "catalog_writer")
        if doc is not None:
            return str(doc["value"])
        writer = os.urandom(8).hex()
        t.settings.insert({"key": "catalog_writer", "value": writer})
        return writer

    def add_catalog_tag(
        self,
        name: str,
        *,
        shortcut: str | None = None,
        color: str | None = None,
        description: str | None = None,
        implicit: bool = False,
    ) -> CatalogTag:
        """Add ``name`` (canonicalised) or update its shortcut, colour or description; returns
        the stored tag. None keeps what is stored, "" clears it.

        A shortcut already held by another live tag is an error. ``implicit``: the tag is only
        being used (a thread tagged with a new name): a new entry then carries no edit time, so
        any teammate's deliberate edit of it wins in the shared catalog.
        """
        canonical = canonical_tag(name)
        for what, value in (("shortcut", shortcut), ("color", color)):
            check_attribute(what, value)
        if description and not description.isprintable():
            raise UserDBError(f"a tag description must be printable, got {description!r:.60}")
        from supportmail.storage.user.catalog import CatalogEntry, effective

        def action(t: Tables) -> CatalogTag:
            docs = t.catalog.all()
            if shortcut:
                live = effective(entry_from(d) for d in docs)
                for other in live:
                    if other.shortcut == shortcut and other.name != canonical:
                        raise UserDBError(f"shortcut {shortcut!r} is already used by {other.name}")
            existing = next((d for d in docs if d["name"] == canonical), None)
            old = entry_from(existing) if existing is not None else CatalogEntry(canonical)
            if implicit and existing is not None and not old.deleted:
                return tag_from(old)
            changes: dict[str, Any] = {"deleted": False}
            for field, value in (
                ("shortcut", shortcut),
                ("color", color),
                ("description", description),
            ):
                if value is not None:
                    changes[field] = value.strip() or None
            if not implicit or existing is not None:
                changes.update(updated=time.time(), writer=self._writer(t))
            entry = dataclasses.replace(old, **changes)
            if existing is not None:
                t.catalog.update(entry_doc(entry), doc_ids=[existing.doc_id])
            else:
                t.catalog.insert(entry_doc(entry))
            return tag_from(entry)

        return self._run(action)

    def remove_catalog_tag(self, name: str) -> bool:
        """Delete ``name`` (as given or canonicalised) from the catalog, as a tombstone that
        travels to teammates; False if it was absent or deleted already."""
        names = {name}
        with contextlib.suppress(ValueError):
            names.add(canonical_tag(name))

        def action(t: Tables) -> bool:
            removed = False
            for doc in t.catalog.search(Q.name.one_of(sorted(names))):
                entry = entry_from(doc)
                if entry.deleted:
                    continue
                gone = dataclasses.replace(
                    entry,
                    deleted=True,
                    shortcut=None,
                    updated=time.time(),
                    writer=self._writer(t),
                )
                t.catalog.update(entry_doc(gone), doc_ids=[doc.doc_id])
                removed = True
            return removed

        return self._run(action)

    def merge_catalog(self, remote: Mapping[str, CatalogEntry]) -> dict[str, CatalogEntry]:
        """Merge a teammate's (the server's) catalog into this one, per tag (see
        ``storage.user.catalog.merge``), in one locked call; returns the merged catalog."""
        from supportmail.storage.user.catalog import merge

        def action(t: Tables) -> dict[str, CatalogEntry]:
            docs = {str(d["name"]): d for d in t.catalog.all()}
            local = {name: entry_from(d) for name, d in docs.items()}
            merged = merge(local.values(), remote.values())
            for name, entry in merged.items():
                if name not in docs:
                    t.catalog.insert(entry_doc(entry))
                elif local[name] != entry:
                    t.catalog.update(entry_doc(entry), doc_ids=[docs[name].doc_id])
            return merged

        return self._run(action)
