"""The team tag catalog as data: entries, per-tag merge, and the shared document's codec.

The catalog (names, descriptions, shortcuts, colours) travels through the IMAP server so that a
teammate's next sync brings the same shortcuts and meanings (``storage.catalog_sync`` moves the
document). Each tag is one :class:`CatalogEntry`; teammates' copies merge **per tag, last writer
wins**: the entry with the larger ``(updated, writer)`` pair is kept whole. A deletion is a
tombstone (``deleted=True``) with its own time, so it wins over older edits and loses to newer
ones, and edits of *different* tags never touch each other. The merge is commutative,
associative and idempotent, so every copy converges whatever the order of syncs.

Two tags may end up holding the same shortcut (two people picked ``5`` at once); the entries
keep what each writer wrote, and :func:`effective` gives the shortcut to the newer writer only,
the same answer on every machine.

A live entry as the user sees it is a :class:`CatalogTag` (``storage.user.catalog_store``).
This module loads with the catalog's first use: a first screen reads no catalog.

Entries created implicitly (by tagging a thread with a new name, or the seeded categories) carry
``updated = 0``: any deliberate edit anywhere wins over them.
"""

from __future__ import annotations

import dataclasses
import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from supportmail.storage.tags import TagError, canonical_tag

__all__ = [
    "DESCRIPTION_MAX",
    "FORMAT",
    "CatalogEntry",
    "CatalogTag",
    "decode_document",
    "effective",
    "encode_document",
    "entry_from_json",
    "entry_json",
    "merge",
    "valid_shortcut",
]

_log = logging.getLogger(__name__)

FORMAT = "supportmail-catalog/1"
"""The shared document's ``format`` value; a document of another format is left alone."""
DESCRIPTION_MAX = 300
"""Longest description kept, in characters."""
SHORTCUTS = frozenset("0123456789")
"""Shortcut keys: the digit keys toggle tags in the TUI."""


@dataclass(frozen=True, slots=True)
class CatalogEntry:
    """One tag of the catalog as stored and shared (``deleted``: a tombstone)."""

    name: str
    description: str | None = None
    shortcut: str | None = None
    color: str | None = None
    updated: float = 0.0
    """Epoch seconds of the last deliberate edit (0: created implicitly)."""
    writer: str = ""
    """Who made that edit: a random id per data directory (breaks ties of ``updated``)."""
    deleted: bool = False

    @property
    def version(self) -> tuple[float, str, bool, str, str, str]:
        """The order the merge keeps the larger of; total, so ties resolve alike everywhere."""
        return (
            self.updated,
            self.writer,
            self.deleted,
            self.description or "",
            self.shortcut or "",
            self.color or "",
        )


@dataclass(frozen=True, slots=True)
class CatalogTag:
    """A tag the user keeps in the catalog, with its optional shortcut key and colour."""

    name: str
    kind: str
    shortcut: str | None
    color: str | None
    description: str | None = None


def valid_shortcut(value: str) -> bool:
    return value in SHORTCUTS


def merge(*copies: Iterable[CatalogEntry]) -> dict[str, CatalogEntry]:
    """Per-tag last-writer-wins over every copy: name -> the entry with the largest version."""
    out: dict[str, CatalogEntry] = {}
    for copy in copies:
        for entry in copy:
            held = out.get(entry.name)
            if held is None or entry.version > held.version:
                out[entry.name] = entry
    return out


def effective(entries: Iterable[CatalogEntry]) -> list[CatalogEntry]:
    """The live tags (tombstones left out), each shortcut held by one tag only: the newest
    writer of it keeps it, the others show none. Order is kept."""
    alive = [e for e in entries if not e.deleted]
    holder: dict[str, CatalogEntry] = {}
    for entry in alive:
        if entry.shortcut is None:
            continue
        other = holder.get(entry.shortcut)
        if other is None or (entry.updated, entry.writer, entry.name) > (
            other.updated,
            other.writer,
            other.name,
        ):
            holder[entry.shortcut] = entry
    return [
        e
        if e.shortcut is None or holder.get(e.shortcut) is e
        else dataclasses.replace(e, shortcut=None)
        for e in alive
    ]


# -- the shared document ---------------------------------------------------------------------


def entry_json(entry: CatalogEntry) -> dict[str, Any]:
    return dataclasses.asdict(entry)


def _text(value: object, limit: int) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > limit or not value.isprintable():
        raise ValueError(f"bad text {value!r:.40}")
    return value if value.strip() else None


def entry_from_json(doc: Mapping[str, Any]) -> CatalogEntry:
    """An entry from its JSON form (ours, or a teammate's: checked). Bad fields raise
    ``ValueError``."""
    name = doc.get("name")
    if not isinstance(name, str):
        raise ValueError("no name")
    try:
        canonical = canonical_tag(name)
    except TagError as exc:
        raise ValueError(str(exc)) from None
    if canonical != name:
        raise ValueError(f"not a canonical tag name: {name!r:.60}")
    shortcut = _text(doc.get("shortcut"), 1)
    updated = doc.get("updated", 0.0)
    writer = doc.get("writer", "")
    deleted = doc.get("deleted", False)
    if not isinstance(updated, int | float) or isinstance(updated, bool):
        raise ValueError("bad updated")
    if not isinstance(writer, str) or len(writer) > 64 or not writer.isprintable():
        raise ValueError("bad writer")
    if not isinstance(deleted, bool):
        raise ValueError("bad deleted")
    return CatalogEntry(
        name=name,
        description=_text(doc.get("description"), DESCRIPTION_MAX),
        shortcut=shortcut,
        color=_text(doc.get("color"), 40),
        updated=float(updated),
        writer=writer,
        deleted=deleted,
    )


def encode_document(entries: Mapping[str, CatalogEntry]) -> bytes:
    """The shared document: ASCII JSON (non-ASCII escaped), one tag per line, names sorted, so
    equal catalogs give equal bytes and no line is long."""
    lines = [
        json.dumps(entry_json(entries[n]), ensure_ascii=True, sort_keys=True)
        for n in sorted(entries)
    ]
    body = ",\n".join(lines)
    return f'{{"format": "{FORMAT}", "tags": [\n{body}\n]}}\n'.encode("ascii")


def decode_document(raw: bytes | str) -> dict[str, CatalogEntry] | None:
    """The entries of a shared document, merged (a name listed twice keeps the newer); None when
    it is not a catalog document at all. Entries that do not check out are skipped (logged)."""
    try:
        doc = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        return None
    if not isinstance(doc, dict) or doc.get("format") != FORMAT:
        return None
    tags = doc.get("tags")
    if not isinstance(tags, list):
        return None
    entries: list[CatalogEntry] = []
    for item in tags:
        if not isinstance(item, dict):
            continue
        try:
            entries.append(entry_from_json(item))
        except ValueError as exc:
            _log.warning("shared catalog: skipped an entry (%s)", exc)
    return merge(entries)
