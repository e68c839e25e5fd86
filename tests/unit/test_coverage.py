"""Coverage: which threads of voice, bugs, digest and skim have their text in the local cache.

The pure rules (which message speaks for a thread) on hand-made rows, then the service over a
copy of the demo mailbox (every body cached) from which some threads' bodies are deleted, as a
sync without the body mirror would leave them.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from supportmail.storage.insight import coverage
from supportmail.storage.insight.people import Team
from supportmail.storage.mime import Body
from supportmail.storage.models import Address, Coverage, ReportMessage, ReportThread
from supportmail.storage.service import Service

NOW = datetime(2026, 11, 24, 10, 30, tzinfo=UTC)
TEAM = Team.from_addresses(["support@plotline.example"])
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def _thread(senders: Sequence[str], tags: Sequence[str] = ("category:bug",)) -> ReportThread:
    msgs = tuple(
        ReportMessage(10 + k, Address("", addr), T0 + timedelta(hours=k))
        for k, addr in enumerate(senders)
    )
    return ReportThread("root@x", "abc", "Help", T0, tuple(tags), msgs)


# --- the rules ----------------------------------------------------------------------------------


def test_the_first_customer_message_speaks_for_a_thread() -> None:
    thread = _thread(["support@plotline.example", "anna@acme.example", "bo@acme.example"])
    spoken = coverage.speaking_message(thread, TEAM)
    assert spoken is not None and spoken.rowid == 11


def test_a_thread_only_the_team_wrote_speaks_through_its_first_message() -> None:
    thread = _thread(["support@plotline.example", "support@plotline.example"])
    spoken = coverage.speaking_message(thread, TEAM)
    assert spoken is not None and spoken.rowid == 10


def test_count_asks_the_cache_once_for_every_speaking_message() -> None:
    asked: list[list[int]] = []

    def mirrored(rowids: Sequence[int]) -> set[int]:
        asked.append(list(rowids))
        return {r for r in rowids if r % 2 == 0}

    messages = [ReportMessage(n, Address("", "a@b.example"), T0) for n in (2, 3, 4, 5)]
    assert coverage.count([*messages, None], mirrored) == Coverage(threads=5, with_text=2)
    assert asked == [[2, 3, 4, 5]]


def test_the_digest_counts_the_message_in_its_window() -> None:
    thread = _thread(["anna@acme.example", "support@plotline.example", "anna@acme.example"])
    since = T0 + timedelta(minutes=30)  # the customer's first message is before the window
    got = coverage.digest([thread], TEAM, lambda ids: {12} & set(ids), since=since, until=NOW)
    assert got == Coverage(threads=1, with_text=1)
    got = coverage.digest([thread], TEAM, lambda ids: {10} & set(ids), since=since, until=NOW)
    assert got == Coverage(threads=1, with_text=0)


def test_the_note_names_what_is_missing_and_nothing_when_complete() -> None:
    assert Coverage(830, 812).note("quotes from") == (
        "quotes from 812 of 830 threads; 18 not mirrored yet"
    )
    assert Coverage(830, 812).not_mirrored == 18
    assert Coverage(830, 830).note("quotes from") is None
    assert Coverage().note("excerpts from") is None


# --- the service over the demo ----------------------------------------------------------------


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("demo")
    Service.open_demo(root, now=NOW).close()
    return root


@pytest.fixture
def service(template: Path, tmp_path: Path) -> Iterator[Service]:
    shutil.copytree(template, tmp_path, dirs_exist_ok=True)
    with Service.open_demo(tmp_path, now=NOW) as service:
        yield service


def forget_bodies(service: Service, thread_ids: Sequence[str]) -> None:
    """Delete every cached body of these threads (as a headers-only sync leaves them)."""
    rowids = [
        m.rowid
        for tid in thread_ids
        for m in service.cache.thread_messages(service.account, service.resolve(tid))
    ]
    with service.cache.transaction() as db:
        db.executemany("DELETE FROM bodies WHERE message=?", [(r,) for r in rowids])


def test_voice_counts_the_requests_without_local_text(service: Service) -> None:
    before = service.voice()
    assert before.threads > 3
    assert before.coverage == Coverage(before.threads, before.threads)
    gone = before.requests[0].thread_ids[:3]
    forget_bodies(service, gone)
    after = service.voice()
    assert after.coverage == Coverage(before.threads, before.threads - 3)
    assert after.threads == before.threads  # counts come from headers and tags
    assert not {q.thread_id for q in after.requests[0].quotes} & set(gone)


def test_bugs_and_digest_count_theirs(service: Service) -> None:
    bugs = service.bugs_by_reach()
    digest = service.digest(NOW - timedelta(days=30))
    assert bugs.coverage == Coverage(bugs.threads, bugs.threads) and bugs.threads > 2
    assert digest.coverage == Coverage(digest.threads, digest.threads) and digest.threads > 2
    gone = list(bugs.groups[0].thread_ids[:2])
    forget_bodies(service, gone)
    assert service.bugs_by_reach().coverage == Coverage(bugs.threads, bugs.threads - 2)
    in_digest = {i.thread_id for g in digest.groups for i in g.items}
    lost = len(in_digest & set(gone))
    after = service.digest(NOW - timedelta(days=30))
    assert after.coverage == Coverage(digest.threads, digest.threads - lost)
    assert all(not i.text for g in after.groups for i in g.items if i.thread_id in gone)


def test_an_empty_text_counts_as_mirrored(service: Service) -> None:
    bugs = service.bugs_by_reach()
    tid = bugs.groups[0].thread_ids[0]
    forget_bodies(service, [tid])
    for m in service.cache.thread_messages(service.account, service.resolve(tid)):
        service.cache.save_body(m.rowid, Body(text="", attachments=(), html_only=False))
    assert service.bugs_by_reach().coverage == Coverage(bugs.threads, bugs.threads)


def test_an_empty_skim_has_nothing_to_cover(service: Service) -> None:
    service.remember_skim(NOW)
    assert service.skim(remember=False).coverage == Coverage()
