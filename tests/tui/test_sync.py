"""Pilot: the sync worker (progress, status, pending edits pushed, offline) and polling."""

from __future__ import annotations

from keymaps import load_keymap
from tests.tui.conftest import main_screen, settle
from tests.tui.fakes import NOW, FakeService
from tui.app import SupportMailApp


def _app(service: FakeService, poll_seconds: float = 60.0) -> SupportMailApp:
    return SupportMailApp(
        service,  # type: ignore[arg-type]
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


async def test_polling_syncs_without_a_key_press() -> None:
    service = FakeService(demo=False)
    app = _app(service, poll_seconds=0.05)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.pause(0.2)
        await settle(pilot)
        assert len(service.called("sync")) >= 2


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
    from storage.models import SyncProgress
    from tui.messages import SyncProgressed

    threads = SyncProgressed(SyncProgress(folder="INBOX", phase="threads"))
    headers = SyncProgressed(SyncProgress(folder="INBOX", phase="headers", done=250, total=900))
    later = SyncProgressed(SyncProgress(folder="INBOX", phase="headers", done=2250, total=900))
    assert not threads.can_replace(headers)
    assert headers.can_replace(later)
    assert headers.can_replace(threads)
