"""Saved quotes and the customer day through ``Service`` on the demo mailbox at a fixed moment."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from supportmail.storage.models import ThreadQuery, ThreadSummary
from supportmail.storage.service import Service, ServiceError

NOW = datetime(2026, 11, 24, 10, 30, tzinfo=UTC)
TEAM_DOMAIN = "@plotline.example"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo mailbox loaded once; each test opens its own copy."""
    root = tmp_path_factory.mktemp("demo")
    Service.open_demo(root, now=NOW).close()
    return root


@pytest.fixture
def service(template: Path, tmp_path: Path) -> Iterator[Service]:
    shutil.copytree(template, tmp_path, dirs_exist_ok=True)
    with Service.open_demo(tmp_path, now=NOW) as service:
        yield service


def _at(service: Service, moment: datetime) -> None:
    service.clock = lambda: moment


def _untagged(service: Service) -> list[ThreadSummary]:
    return sorted(
        service.list_threads(ThreadQuery(untagged=True)), key=lambda s: (s.first_date, s.id)
    )


def _bare(service: Service) -> ThreadSummary:
    """The oldest queued thread with no tags at all."""
    return next(s for s in _untagged(service) if not s.tags)


# --- saved quotes ------------------------------------------------------------------------------


def test_quote_round_trip(service: Service, tmp_path: Path) -> None:
    thread = _bare(service)
    detail = service.thread(thread.id)
    first = detail.messages[0]
    saved = service.save_quote(thread.id, f"<{first.message_id}>", "  Half my team\n is affected. ")
    assert saved.id == 1 and saved.text == "Half my team is affected."
    assert saved.thread_id == thread.id and saved.message_id == first.message_id
    assert saved.sender == first.sender and saved.date == first.date
    assert saved.company == first.sender.addr.split("@")[1]
    assert saved.saved == NOW
    line = service.quote_with_attribution(saved)
    assert line == (
        f'"Half my team is affected." — {first.sender.name}, {saved.company}, '
        f"{first.date:%Y-%m-%d} (thread {thread.id})"
    )
    other = service.save_quote(_untagged(service)[0].id, "1", "Other words")
    assert [q.id for q in service.quotes(thread.id)] == [1]
    assert [q.id for q in service.quotes()] == [1, 2]
    service.close()
    with Service.open_demo(tmp_path, now=NOW) as again:  # durable, like notes
        assert again.quotes(thread.id) == [saved]
        again.remove_quote(saved.id)
        assert again.quotes() == [other]
        with pytest.raises(ServiceError, match="no saved quote 1"):
            again.remove_quote(saved.id)


def test_quote_mistakes_are_service_errors(service: Service) -> None:
    thread = _bare(service)
    with pytest.raises(ServiceError, match="needs some text"):
        service.save_quote(thread.id, "1", " \n ")
    with pytest.raises(ServiceError, match="not in thread"):
        service.save_quote(thread.id, "<nobody@nowhere>", "words")
    with pytest.raises(ServiceError, match="not in thread"):
        service.save_quote(thread.id, "99", "words")
    with pytest.raises(ServiceError, match="no thread matches"):
        service.save_quote("ffffffffffff", "1", "words")
    assert service.quotes() == []


def test_default_message_is_the_first_customer_message(service: Service) -> None:
    thread = _bare(service)
    paragraphs = service.customer_paragraphs(thread.id)
    assert paragraphs, "the demo thread has customer text"
    saved = service.save_quote(thread.id, None, paragraphs[-1])
    assert not saved.sender.addr.endswith(TEAM_DOMAIN)
    words = service.first_customer_words(thread.id)
    assert words is not None and words.text == paragraphs[0] and words.sender == saved.sender


def test_voice_prefers_saved_quotes(service: Service) -> None:
    since = NOW - timedelta(days=200)
    before = service.voice(since)
    request = before.requests[0]
    thread = request.thread_ids[-1]  # the oldest thread of the top request
    saved = service.save_quote(thread, None, "Please, a dark theme for night shifts.")
    after = service.voice(since).requests[0]
    assert after.tag == request.tag
    assert after.quotes[0].text == saved.text and after.quotes[0].saved
    assert after.quotes[0].thread_id == thread
    assert len(after.quotes) == min(3, len(request.quotes) + 1)
    assert not any(q.saved for q in after.quotes[1:])
    senders = [q.sender.addr for q in after.quotes]
    assert len(senders) == len(set(senders))


# --- the customer day --------------------------------------------------------------------------


def test_no_shift_yet(service: Service) -> None:
    for call in (service.day_status, service.day_next, service.day_end, service.day_queue):
        with pytest.raises(ServiceError, match="no customer day is running"):
            call()
    with pytest.raises(ServiceError, match="no customer day on 2026-11-24"):
        service.day_summary()


def test_the_queue_is_untagged_threads_oldest_first(service: Service) -> None:
    expected = _untagged(service)
    shift = service.day_start()
    assert (shift.started, shift.queue_size, shift.resumed) == (NOW, len(expected), False)
    queue = service.day_queue()
    assert [s.id for s in queue] == [s.id for s in expected]
    for summary in queue:
        kinds = {t.split(":")[0] for t in summary.tags if ":" in t}
        assert not {"team", "category"} <= kinds
    assert service.day_queue(limit=3) == queue[:3]
    nxt = service.day_next()
    assert nxt is not None and nxt.id == queue[0].id
    progress = service.day_status()
    assert (progress.done, progress.queue_size, progress.remaining) == (0, len(queue), len(queue))
    assert progress.next_thread_id == queue[0].id and progress.elapsed == timedelta(0)


def test_threads_newer_than_the_start_are_not_in_the_queue(service: Service) -> None:
    start = NOW - timedelta(days=3)
    _at(service, start)
    older = [s for s in _untagged(service) if s.first_date <= start]
    assert len(older) < len(_untagged(service))
    assert service.day_start().queue_size == len(older)
    assert [s.id for s in service.day_queue()] == [s.id for s in older]


def test_progress_advances_when_a_queued_thread_gets_both_tags(service: Service) -> None:
    service.day_start()
    thread = _bare(service)
    queue = service.day_queue()
    service.edit_tags(thread.id, ["team:billing"])
    assert service.day_status().done == 0  # still missing a category
    service.edit_tags(thread.id, ["category:bug"])
    progress = service.day_status()
    assert (progress.done, progress.remaining) == (1, len(queue) - 1)
    assert thread.id not in {s.id for s in service.day_queue()}
    service.edit_tags(thread.id, remove=["category:bug"])
    assert service.day_status().done == 0  # back in the queue


def test_skipping_moves_on_and_is_remembered(service: Service) -> None:
    service.day_start()
    queue = service.day_queue()
    assert service.day_skip(queue[0].id) == queue[1]
    assert service.day_next() == queue[1]
    assert service.day_status().skipped == 1
    assert service.day_start().resumed  # same day: the same shift, skips kept
    assert service.day_next() == queue[1]


def test_a_shift_resumes_the_same_day_and_not_the_next(service: Service) -> None:
    first = service.day_start()
    _at(service, NOW + timedelta(hours=2))
    again = service.day_start()
    assert again.resumed and again.started == first.started
    assert service.day_status().elapsed == timedelta(hours=2)
    _at(service, NOW + timedelta(days=1))
    tomorrow = service.day_start()
    assert not tomorrow.resumed and tomorrow.started == NOW + timedelta(days=1)
    yesterday = service.day_summary(NOW.date())
    assert yesterday.ended == NOW and yesterday.done is None  # left open, closed at its start


def test_the_summary_counts_tags_by_kind_and_lists_notes_and_quotes(service: Service) -> None:
    early = _bare(service)
    service.set_note(early.id, "before the shift")  # not part of the day
    service.edit_tags(early.id, ["team:api"])
    _at(service, NOW + timedelta(minutes=5))
    service.day_start()
    done = service.day_next()
    assert done is not None
    _at(service, NOW + timedelta(minutes=20))
    service.edit_tags(done.id, ["team:billing", "category:bug", "dark-mode"])
    service.edit_tags(done.id, remove=["dark-mode"])
    service.set_note(done.id, "Refund promised.\nCheck Friday.")
    quote = service.save_quote(done.id, None, "The invoice is wrong.")
    service.mark_read(done.id)
    _at(service, NOW + timedelta(minutes=65))
    summary = service.day_end()
    assert summary.day == date(2026, 11, 24)
    assert summary.started == NOW + timedelta(minutes=5) and summary.ended == NOW + timedelta(
        minutes=65
    )
    assert summary.elapsed == timedelta(hours=1)
    assert summary.added_by_kind() == {"team": 1, "category": 1, "label": 1}
    assert {(t.tag, t.added, t.removed) for t in summary.tags} == {
        ("team:billing", 1, 0),
        ("category:bug", 1, 0),
        ("dark-mode", 1, 1),
    }
    assert [t.id for t in summary.threads] == [done.id]
    assert summary.threads[0].added == ("team:billing", "category:bug", "dark-mode")
    assert [(n.thread_id, n.text) for n in summary.notes] == [
        (done.id, "Refund promised.\nCheck Friday.")
    ]
    assert [q.id for q in summary.quotes] == [quote.id]
    assert summary.marked_read == 1
    assert summary.done is not None and summary.done >= 1
    assert service.day_summary() == summary  # stored, and the same when asked again
    with pytest.raises(ServiceError, match="no customer day is running"):
        service.day_status()
    assert not service.day_start().resumed  # an ended shift is not resumed


def test_every_action_lands_in_the_activity_log(service: Service) -> None:
    thread = _bare(service)
    root = thread.root_message_id
    service.edit_tags(thread.id, ["team:billing"], ["category:bug"])
    service.set_note(thread.id, "n")
    service.mark_read(thread.id, read=False)
    service.save_quote(thread.id, None, "words")
    log = service.userdb.activity(service.account)
    assert [(a.root, a.what, a.tag, a.kind) for a in log] == [
        (root, "tag", "team:billing", "team"),
        (root, "untag", "category:bug", "category"),
        (root, "note", None, None),
        (root, "unread", None, None),
        (root, "quote", None, None),
    ]
    assert {a.at for a in log} == {NOW.timestamp()}
