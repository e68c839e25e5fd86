"""The shared catalog's merge and document codec (``storage.user.catalog``) and the userdb's catalog
entries (tombstones, implicit adds, merging a teammate's copy)."""

from __future__ import annotations

import itertools
from pathlib import Path

from supportmail.storage.user.catalog import (
    CatalogEntry,
    decode_document,
    effective,
    encode_document,
    merge,
)
from supportmail.storage.user.db import UserDB

A = CatalogEntry("team:billing", description="money", updated=10.0, writer="a")
B = CatalogEntry("team:billing", description="invoices", updated=20.0, writer="b")
GONE = CatalogEntry("team:billing", deleted=True, updated=30.0, writer="a")
OTHER = CatalogEntry("category:bug", shortcut="1", updated=5.0, writer="b")


def test_merge_is_per_tag_last_writer_wins_in_any_order() -> None:
    copies = [[A, OTHER], [B], [GONE]]
    results = {tuple(sorted(merge(*order).items())) for order in itertools.permutations(copies)}
    assert len(results) == 1
    merged = merge(*copies)
    assert merged["team:billing"] == GONE
    assert merged["category:bug"] == OTHER
    assert merge([A], [B])["team:billing"] == B
    assert merge(merge([A]).values(), [A]) == merge([A])  # idempotent


def test_effective_hides_tombstones_and_gives_a_shortcut_to_the_newer_writer() -> None:
    older = CatalogEntry("team:a", shortcut="5", updated=1.0, writer="x")
    newer = CatalogEntry("team:b", shortcut="5", updated=2.0, writer="y")
    shown = effective([older, newer, GONE])
    assert [(e.name, e.shortcut) for e in shown] == [("team:a", None), ("team:b", "5")]


def test_document_round_trip_and_hostile_entries() -> None:
    entries = merge([A, OTHER, CatalogEntry("dark mode", description="Größe 🙂", updated=1.0)])
    raw = encode_document(entries)
    assert raw.isascii() and max(len(line) for line in raw.splitlines()) < 400
    assert decode_document(raw) == entries
    assert decode_document(b"not json") is None
    assert decode_document(b'{"format": "other", "tags": []}') is None
    hostile = (
        b'{"format": "supportmail-catalog/1", "tags": ['
        b'{"name": "Team:Billing"}, {"name": "team:x", "description": "\\u001b[2J"},'
        b'{"name": "team:y", "updated": "soon"}, 7, {"name": "team:ok", "shortcut": "3"}]}'
    )
    assert list(decode_document(hostile) or {}) == ["team:ok"]


def test_userdb_keeps_tombstones_and_merges_a_teammates_copy(tmp_path: Path) -> None:
    with UserDB(tmp_path / "u.json") as db:
        db.add_catalog_tag("team:billing", description="money")
        assert db.remove_catalog_tag("team:billing")
        assert "team:billing" not in [t.name for t in db.catalog()]
        gone = next(e for e in db.catalog_entries() if e.name == "team:billing")
        assert gone.deleted and gone.updated > 0 and gone.writer
        # Tagging a thread with it later brings it back (a deliberate use).
        db.add_catalog_tag("team:billing", implicit=True)
        assert "team:billing" in [t.name for t in db.catalog()]
        # An implicit add of a new name carries no time: any deliberate edit wins over it.
        db.add_catalog_tag("team:new", implicit=True)
        mate = CatalogEntry("team:new", description="from a teammate", updated=1.0, writer="m")
        merged = db.merge_catalog({"team:new": mate})
        assert merged["team:new"] == mate
        assert next(t for t in db.catalog() if t.name == "team:new").description == (
            "from a teammate"
        )
        db.add_catalog_tag("team:new", description="")  # "" clears
        assert next(t for t in db.catalog() if t.name == "team:new").description is None


def test_folder_message_keeps_long_descriptions_within_line_limits() -> None:
    from supportmail.storage.catalog_sync import _catalog_message, _document_of

    entries = merge([CatalogEntry("team:x", description="ü" * 300, updated=1.0, writer="a")])
    raw = _catalog_message(encode_document(entries))
    assert max(len(line) for line in raw.splitlines()) <= 78
    assert _document_of(raw) == entries
    assert _document_of(b"Subject: hi\r\n\r\nnot ours") is None
