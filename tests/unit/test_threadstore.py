"""Incremental threading in the cache equals threading the whole mailbox, after any sequence of
arrivals and removals (storage.cache.threadstore against storage.threads.thread_messages)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from supportmail.storage.cache import Cache, threadstore
from supportmail.storage.mime import Envelope
from supportmail.storage.models import Address
from supportmail.storage.threads import thread_id, thread_messages

ACCOUNT = "a"
START = datetime(2026, 1, 1, tzinfo=UTC)
IDS = [f"m{i}@x" for i in range(14)]
GHOSTS = ["g0@x", "g1@x", "g2@x"]
SUBJECTS = ["Help", "Re: Help", "Password reset", "RE: password reset", "Fwd: Help", "", "Invoice"]


def _envelope(
    mid: str, irt: tuple[str, ...], refs: tuple[str, ...], subject: str, day: int
) -> Envelope:
    return Envelope(
        message_id=mid,
        in_reply_to=irt,
        references=refs,
        subject=subject,
        sender=Address("C", "c@example.com"),
        to=(),
        cc=(),
        reply_to=(),
        date=START + timedelta(days=day),
    )


_message = st.tuples(
    st.sampled_from(IDS),
    st.lists(st.sampled_from(IDS + GHOSTS), max_size=1).map(tuple),
    st.lists(st.sampled_from(IDS + GHOSTS), max_size=3).map(tuple),
    st.sampled_from(SUBJECTS),
    st.sampled_from([0, 0, 1, 30, 59, 61, 90, 200]),
)
_step = st.one_of(
    st.tuples(
        st.just("add"),
        st.sampled_from(["INBOX", "Sent"]),
        st.lists(_message, min_size=1, max_size=5),
    ),
    st.tuples(st.just("remove"), st.sampled_from(["INBOX", "Sent"]), st.integers(0, 2**16)),
)


def _assert_same_as_full(cache: Cache) -> None:
    expected = thread_messages(cache.thread_inputs(ACCOUNT))
    got = dict(
        cache._db.execute("SELECT id, thread_root FROM messages WHERE account=?", (ACCOUNT,))
    )
    assert got == expected
    # The component table is what one pass over every threaded message would write.
    threaded = cache._db.execute(
        "SELECT id, message_id, in_reply_to, refs, subject, date FROM messages"
        " WHERE account=? AND thread_root IS NOT NULL",
        (ACCOUNT,),
    ).fetchall()
    stored = dict(cache._db.execute("SELECT id, comp FROM thread_ids WHERE account=?", (ACCOUNT,)))
    assert stored == threadstore._components(threaded)
    incremental = sorted(cache._db.execute("SELECT * FROM threads"))
    cache.rebuild_threads(ACCOUNT)
    assert sorted(cache._db.execute("SELECT * FROM threads")) == incremental


def _run(cache: Cache, steps: list[tuple[object, ...]]) -> None:
    uids = {"INBOX": 0, "Sent": 0}
    for step in steps:
        if step[0] == "add":
            _, folder, messages = step
            items = []
            for mid, irt, refs, subject, day in messages:  # type: ignore[union-attr]
                uids[folder] += 1  # type: ignore[index]
                env = _envelope(mid, irt, tuple(r for r in refs if r != mid), subject, day)
                items.append((uids[folder], env, (), 100, None, None))  # type: ignore[index]
            cache.add_messages(ACCOUNT, folder, items)  # type: ignore[arg-type]
        else:
            _, folder, seed = step
            present = cache.folder_uids(ACCOUNT, folder)  # type: ignore[arg-type]
            chosen = random.Random(seed).sample(present, k=len(present) // 2)  # type: ignore[arg-type]
            roots = cache.remove_uids(ACCOUNT, folder, chosen)  # type: ignore[arg-type]
            cache.rebuild_threads(ACCOUNT, roots)
        roots = cache.thread_pending(ACCOUNT) | cache.dirty_roots(ACCOUNT)
        if roots:
            cache.rebuild_threads(ACCOUNT, roots)
        assert not cache.has_unthreaded(ACCOUNT)
        _assert_same_as_full(cache)


@settings(max_examples=250, deadline=None)
@given(st.lists(_step, min_size=1, max_size=8))
def test_incremental_threading_equals_threading_everything(steps: list[tuple[object, ...]]) -> None:
    cache = Cache(":memory:")
    try:
        _run(cache, steps)
    finally:
        cache.close()


def test_a_reply_arriving_after_its_ticket_joins_it_and_only_its_thread_is_touched() -> None:
    cache = Cache(":memory:")
    try:
        first = [(1, _envelope("t1@x", (), (), "Broken export", 0), (), 1, None, None)]
        others = [
            (i + 2, _envelope(f"o{i}@x", (), (), f"Other {i}", 1), (), 1, None, None)
            for i in range(50)
        ]
        cache.add_messages(ACCOUNT, "INBOX", first + others)  # type: ignore[arg-type]
        cache.rebuild_threads(ACCOUNT, cache.thread_pending(ACCOUNT))
        reply = _envelope("r1@x", ("t1@x",), ("t1@x",), "Re: Broken export", 2)
        cache.add_messages(ACCOUNT, "Sent", [(1, reply, (), 1, None, None)])  # type: ignore[list-item]
        touched = cache.thread_pending(ACCOUNT)
        assert touched == {"t1@x"}
        cache.rebuild_threads(ACCOUNT, touched)
        assert cache.thread(ACCOUNT, "t1@x").messages == 2  # type: ignore[union-attr]
        _assert_same_as_full(cache)
    finally:
        cache.close()


def test_a_subject_reply_moves_when_a_nearer_ticket_arrives() -> None:
    cache = Cache(":memory:")
    try:
        old = _envelope("t-old@x", (), (), "Password reset", 0)
        reply = _envelope("r@x", (), (), "Re: Password reset", 50)
        cache.add_messages(
            ACCOUNT, "INBOX", [(1, old, (), 1, None, None), (2, reply, (), 1, None, None)]
        )  # type: ignore[list-item]
        cache.rebuild_threads(ACCOUNT, cache.thread_pending(ACCOUNT))
        assert cache.thread(ACCOUNT, "t-old@x").messages == 2  # type: ignore[union-attr]
        new = _envelope("t-new@x", (), (), "Password reset", 40)
        cache.add_messages(ACCOUNT, "INBOX", [(3, new, (), 1, None, None)])  # type: ignore[list-item]
        touched = cache.thread_pending(ACCOUNT)
        assert {"t-old@x", "t-new@x"} <= touched
        cache.rebuild_threads(ACCOUNT, touched)
        assert cache.thread(ACCOUNT, "t-new@x").messages == 2  # type: ignore[union-attr]
        assert cache.thread(ACCOUNT, "t-old@x").messages == 1  # type: ignore[union-attr]
        _assert_same_as_full(cache)
    finally:
        cache.close()


@pytest.mark.parametrize("batch", [1, 3])
def test_small_batches_give_the_same_threads(
    batch: int, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr("supportmail.storage.cache.threadstore.BATCH", batch)
    cache = Cache(tmp_path / "c.sqlite3")
    try:
        rng = random.Random(batch)
        items = []
        for uid in range(1, 40):
            mid = f"m{uid}@x"
            parent = f"m{rng.randrange(1, uid)}@x" if uid > 1 and rng.random() < 0.6 else ""
            irt = (parent,) if parent else ()
            items.append(
                (
                    uid,
                    _envelope(mid, irt, irt, rng.choice(SUBJECTS), rng.randrange(0, 120)),
                    (),
                    1,
                    None,
                    None,
                )
            )
        rng.shuffle(items)
        cache.add_messages(ACCOUNT, "INBOX", items)  # type: ignore[arg-type]
        cache.rebuild_threads(ACCOUNT, cache.thread_pending(ACCOUNT))
        assert not cache.has_unthreaded(ACCOUNT)
        _assert_same_as_full(cache)
    finally:
        cache.close()


def test_a_thread_id_shown_before_its_root_moved_still_finds_the_thread() -> None:
    cache = Cache(":memory:")
    try:
        reply = _envelope("r@x", ("t@x",), ("t@x",), "Re: Export", 5)
        cache.add_messages(ACCOUNT, "INBOX", [(1, reply, (), 1, None, None)])  # type: ignore[list-item]
        cache.rebuild_threads(ACCOUNT, cache.thread_pending(ACCOUNT))
        shown = thread_id("t@x")
        assert cache.find_roots(ACCOUNT, shown) == ["t@x"]
        # The ticket arrives and turns out to answer an older conversation: the root moves.
        ticket = _envelope("t@x", ("o@x",), ("o@x",), "Export", 4)
        cache.add_messages(ACCOUNT, "INBOX", [(2, ticket, (), 1, None, None)])  # type: ignore[list-item]
        cache.rebuild_threads(ACCOUNT, cache.thread_pending(ACCOUNT))
        assert cache.thread(ACCOUNT, "t@x") is None
        assert cache.find_roots(ACCOUNT, shown) == ["o@x"]
        assert cache.find_roots(ACCOUNT, shown[:8]) == ["o@x"]
        # And on again: the oldest message arrives with a parent of its own.
        old = _envelope("o@x", ("p@x",), ("p@x",), "Export", 3)
        cache.add_messages(ACCOUNT, "INBOX", [(3, old, (), 1, None, None)])  # type: ignore[list-item]
        cache.rebuild_threads(ACCOUNT, cache.thread_pending(ACCOUNT))
        assert cache.find_roots(ACCOUNT, shown) == ["p@x"]
    finally:
        cache.close()
