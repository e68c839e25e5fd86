"""Pilot: the live mirror (start-up sync, ``s``, changes that arrive without a key, online /
offline / syncing in the status bar), pending edits pushed, the demo."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

from textual.pilot import Pilot
from textual.widgets import Static

from supportmail.keymaps import load_keymap
from supportmail.tui.app import SupportMailApp
from tests.tui.conftest import main_screen, settle
from tests.tui.fakes import NOW, FakeService


def _app(service: FakeService, poll_seconds: float = 60.0) -> SupportMailApp:
    return SupportMailApp(
        service,
        load_keymap(),
        now=NOW,
        preview_delay=0,
        poll_seconds=poll_seconds,
        push_delay=3600,  # these tests push with `s`; push-behind has its own tests
    )


async def test_a_real_account_syncs_on_start_and_on_request() -> None:
    service = FakeService(demo=False)
    app = _app(service)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        status = main_screen(app).status
        assert len(service.called("sync")) == 1
        assert status.connection == "online"
        await pilot.press("1")
        await settle(pilot)
        assert status.pending == 1
        await pilot.press("s")
        await settle(pilot)
        assert len(service.called("sync")) == 2
        assert status.pending == 0
        assert "1 pushed" in status.hint


async def test_a_sync_that_parks_an_edit_says_so_once_and_counts_it_no_more() -> None:
    service = FakeService(demo=False)
    app = _app(service)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        status = main_screen(app).status
        await pilot.press("1")
        await settle(pilot)
        assert status.pending == 1
        service.park_on_sync = 1  # another client expunged the thread meanwhile
        await pilot.press("s")
        await settle(pilot)
        assert status.pending == 0
        assert status.hint == (
            "synced: 0 new, 0 changed, 0 pushed; "
            "1 tag edit parked: its thread is no longer on the server"
        )
        await pilot.press("s")
        await settle(pilot)
        assert "parked" not in status.hint


async def test_a_failed_sync_shows_offline_and_keeps_working() -> None:
    service = FakeService(demo=False)
    service.fail_sync = True
    app = _app(service)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        assert screen.status.connection == "offline"
        assert "connection refused" in screen.status.hint
        await pilot.press("j", "1")  # triage goes on while offline
        await settle(pilot)
        assert screen.status.pending == 1
        service.fail_sync = False
        await pilot.press("s")
        await settle(pilot)
        assert screen.status.connection == "online"


async def _until(pilot: Pilot[None], check: Callable[[], bool], what: str) -> None:
    """Wait (on the app's own loop) until ``check()`` holds; a generous deadline."""
    deadline = time.monotonic() + 10
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await pilot.pause(0.02)


async def test_the_live_mirror_runs_with_the_configured_poll_interval() -> None:
    service = FakeService(demo=False)
    app = _app(service, poll_seconds=7)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert service.called("live") == [7]
        assert main_screen(app).sync.live.running


async def test_new_mail_appears_without_a_key_press() -> None:
    service = FakeService(demo=False)
    app = _app(service)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        before = screen.thread_list.count
        arrived = replace(
            service.threads[service.order[0]],
            id="fresh0001",
            root_message_id="<fresh@example>",
            subject="Brand new: the app logs me out every hour",
            last_date=NOW,
            tags=(),
        )
        service.server_change(lambda s: s.add_thread(arrived))
        await _until(pilot, lambda: screen.thread_list.count == before + 1, "the new thread")
        first = screen.thread_list.summary_at(0)
        assert first is not None and first.subject == arrived.subject
        assert screen.status.connection == "online"


async def test_a_teammates_tag_reaches_the_list_and_the_side_panel() -> None:
    service = FakeService(demo=False)
    app = _app(service)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        current = screen.thread_list.current
        assert current is not None and "category:praise" not in current.tags

        def tag(s: FakeService) -> None:
            s.threads[current.id] = replace(
                s.threads[current.id], tags=(*current.tags, "category:praise")
            )

        service.server_change(tag)

        def shown() -> bool:
            now = screen.thread_list.current
            return now is not None and "category:praise" in now.tags

        await _until(pilot, shown, "the teammate's tag in the list")
        tags = screen.side_panel.query_one("#tags", Static)
        await _until(
            pilot, lambda: "category:praise" in str(tags.content), "the tag in the side panel"
        )


async def test_the_status_bar_says_offline_then_online_again() -> None:
    service = FakeService(demo=False)
    app = _app(service)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        assert screen.status.connection == "online"
        mirror = service.lives[0]
        mirror.go_offline("connection to 127.0.0.1:143 lost (closed by the server)")
        await _until(pilot, lambda: screen.status.connection == "offline", "offline")
        assert "closed by the server" in screen.status.hint
        syncs = len(service.called("sync"))
        mirror.go_online()
        await _until(pilot, lambda: len(service.called("sync")) > syncs, "the sync after")
        await _until(pilot, lambda: screen.status.connection == "online", "online again")


async def test_quitting_stops_the_live_mirror() -> None:
    service = FakeService(demo=False)
    app = _app(service)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        mirror = service.lives[0]
        await pilot.press("q")
    assert mirror.finished.wait(5)


async def test_the_demo_has_nothing_to_sync() -> None:
    service = FakeService(demo=True)
    app = _app(service)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        assert service.called("sync") == []
        assert screen.status.connection == "local"
        await pilot.press("s")
        await settle(pilot)
        assert screen.status.connection == "local"
        assert "demo" in screen.status.hint


def test_a_threads_progress_is_never_superseded_by_the_headers_behind_it() -> None:
    """Textual's pump asks the queued message ``can_replace(next)``: True drops the queued one.
    The first chunk's "threads" step is followed at once by "headers"; the list must see it."""
    from supportmail.storage.models import SyncProgress
    from supportmail.tui.messages import SyncProgressed

    threads = SyncProgressed(SyncProgress(folder="INBOX", phase="threads"))
    headers = SyncProgressed(SyncProgress(folder="INBOX", phase="headers", done=250, total=900))
    later = SyncProgressed(SyncProgress(folder="INBOX", phase="headers", done=2250, total=900))
    assert not threads.can_replace(headers)
    assert headers.can_replace(later)
    assert headers.can_replace(threads)
