"""Pilot: digit shortcuts, the tag picker (toggle and create), bulk tagging, undo, failures."""

from __future__ import annotations

import threading

from textual.pilot import Pilot

from supportmail.keymaps import load_keymap
from supportmail.storage.models import ThreadSummary
from supportmail.tui.app import SupportMailApp
from supportmail.tui.screens.tag_picker import TagPicker, rank_tags
from tests.tui.conftest import AppFactory, main_screen, settle, wait_until
from tests.tui.fakes import NOW, FakeService


async def _on_thread_one(pilot: Pilot[None], app: SupportMailApp) -> ThreadSummary:
    """Settle, move to thread 1 (tagged team:tech only) and return it."""
    await settle(pilot)
    await pilot.press("j")
    first = main_screen(app).thread_list.current
    assert first is not None and first.tags == ("team:tech",)
    return first


async def test_digit_toggles_the_shortcut_tag_at_once(
    make_app: AppFactory, service: FakeService
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        threads = main_screen(app).thread_list
        first = await _on_thread_one(pilot, app)
        await pilot.press("1")
        # The row shows the edit in the same frame, before the worker has stored it.
        assert threads.current is not None
        assert threads.current.tags == ("team:tech", "category:bug")
        await settle(pilot)
        assert service.called("edit_tags") == [(first.id, ("category:bug",), ())]
        assert service.threads[first.id].tags == ("team:tech", "category:bug")
        await pilot.press("1")
        await settle(pilot)
        assert service.threads[first.id].tags == ("team:tech",)
        assert threads.current.tags == ("team:tech",)


async def test_digit_zero_toggles_its_tag(make_app: AppFactory, service: FakeService) -> None:
    """The catalog, the CLI and the tag form accept the shortcut 0: the 0 key toggles that tag."""
    service.shortcuts["team:billing"] = "0"
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        first = await _on_thread_one(pilot, app)
        await pilot.press("0")
        await settle(pilot)
        assert service.called("edit_tags") == [(first.id, ("team:billing",), ())]


async def test_side_panel_shows_the_tags(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        await pilot.press("j", "2")
        await settle(pilot)
        shown = str(screen.side_panel.query_one("#tags").render())
        assert "team:tech" in shown and "category:feature-request" in shown


async def test_picker_filters_and_enter_toggles(make_app: AppFactory, service: FakeService) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        thread_id = main_screen(app).thread_list.current.id  # type: ignore[union-attr]
        await pilot.press("t")
        await settle(pilot)
        assert isinstance(app.screen, TagPicker)
        await pilot.press(*"churn")
        options = app.screen.options
        assert options.get_option_at_index(options.highlighted or 0).id == "category:churn-risk"
        await pilot.press("enter")
        await settle(pilot)
        assert not isinstance(app.screen, TagPicker)
        assert "category:churn-risk" in service.threads[thread_id].tags


async def test_picker_creates_a_new_tag(make_app: AppFactory, service: FakeService) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        thread_id = main_screen(app).thread_list.current.id  # type: ignore[union-attr]
        await pilot.press("t")
        await settle(pilot)
        await pilot.press(*"team:Mobile Apps")
        options = app.screen.options  # type: ignore[attr-defined]
        assert options.get_option_at_index(options.highlighted).id == "\x00create"
        await pilot.press("enter")
        await settle(pilot)
        assert "team:mobile apps" in service.threads[thread_id].tags
        assert "team:mobile apps" in service.catalog
        assert "team:mobile apps" in [t.name for t in main_screen(app).catalog]


async def test_picker_escape_changes_nothing(make_app: AppFactory, service: FakeService) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)
        await pilot.press("b", "escape")
        await settle(pilot)
        assert not isinstance(app.screen, TagPicker)
        assert service.called("edit_tags") == []


async def test_bulk_tag_on_selected_threads(make_app: AppFactory, service: FakeService) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        threads = main_screen(app).thread_list
        await pilot.press("x", "x", "x")  # select threads 0, 1, 2 (the cursor moves down)
        assert [s.id for s in threads.selected] == ["0000abcd", "0001abcd", "0002abcd"]
        await pilot.press("2")
        await settle(pilot)
        edited = sorted(args[0] for args in service.called("edit_tags"))  # type: ignore[index]
        assert edited == ["0000abcd", "0001abcd", "0002abcd"]
        for thread_id in edited:
            assert "category:feature-request" in service.threads[thread_id].tags
        # All three carry it now, so the same key removes it from all three.
        await pilot.press("2")
        await settle(pilot)
        for thread_id in edited:
            assert "category:feature-request" not in service.threads[thread_id].tags


async def test_undo_reverts_the_last_edit(make_app: AppFactory, service: FakeService) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        threads = main_screen(app).thread_list
        before = threads.current.tags  # type: ignore[union-attr]
        await pilot.press("3", "4")
        await settle(pilot)
        assert {"category:product-confusion", "category:didnt-know"} <= set(
            service.threads["0000abcd"].tags
        )
        await pilot.press("z")
        await settle(pilot)
        assert "category:didnt-know" not in service.threads["0000abcd"].tags
        assert "category:product-confusion" in service.threads["0000abcd"].tags
        await pilot.press("z")
        await settle(pilot)
        assert service.threads["0000abcd"].tags == before
        assert threads.current.tags == before  # type: ignore[union-attr]
        await pilot.press("z")
        assert main_screen(app).status.hint == "nothing to undo"


async def test_failed_edit_is_reverted_and_reported(
    make_app: AppFactory, service: FakeService
) -> None:
    service.fail_edits = True
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        before = screen.thread_list.current.tags  # type: ignore[union-attr]
        await pilot.press("5")
        await settle(pilot)
        assert screen.thread_list.current.tags == before  # type: ignore[union-attr]
        assert "outbox is locked" in screen.status.hint
        assert len(screen.triage.undo_stack) == 0


async def test_pending_marker_and_count_for_a_real_account() -> None:
    service = FakeService(demo=False)
    # The edit is pending until the push-behind runs; keep that from racing the assertions.
    app = SupportMailApp(
        service,
        load_keymap(),
        now=NOW,
        preview_delay=0,
        push_delay=3600,
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        await pilot.press("j", "1")
        await settle(pilot)
        assert screen.thread_list.current.pending_tags == ("category:bug",)  # type: ignore[union-attr]
        assert screen.status.pending == 1


def test_rank_tags_is_fuzzy_and_keeps_order_when_empty() -> None:
    names = ["team:billing", "category:bug", "category:billing"]
    assert [n for n, _ in rank_tags("", names)] == names
    ranked = [n for n, _ in rank_tags("cbil", names)]
    assert ranked[0] == "category:billing"
    assert rank_tags("zzz", names) == []


def _online_app(service: FakeService) -> SupportMailApp:
    return SupportMailApp(
        service,
        load_keymap(),
        now=NOW,
        preview_delay=0,
        push_delay=0.05,
    )


async def test_stored_edits_are_pushed_behind_without_a_key() -> None:
    """The sync runs behind: shortly after a stored edit the outbox is pushed, no key needed."""
    service = FakeService(demo=False)
    app = _online_app(service)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        await pilot.press("1")
        await wait_until(pilot, lambda: screen.status.pending == 0, "the push behind")
        assert service.called("push")
        assert service.pending == 0 and screen.status.pending == 0


async def test_a_failed_push_keeps_the_edit_and_says_offline() -> None:
    service = FakeService(demo=False)
    app = _online_app(service)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        service.fail_sync = True
        await pilot.press("1")
        await wait_until(pilot, lambda: bool(service.called("push")), "the push attempt")
        await wait_until(pilot, lambda: screen.status.connection == "offline", "offline")
        assert service.pending == 1 and screen.status.pending == 1
        assert screen.status.connection == "offline"
        assert "edits kept" in screen.status.hint


async def test_toggles_pressed_faster_than_they_are_stored_end_as_pressed(
    make_app: AppFactory, service: FakeService
) -> None:
    """A stored result must not overwrite a newer edit of the same thread that is still queued
    (the chip flipped back and the next toggle worked from the stale state)."""
    gate = threading.Semaphore(0)
    service.edit_gate = gate
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        threads = main_screen(app).thread_list
        first = await _on_thread_one(pilot, app)
        await pilot.press("1", "1", "1")  # on, off, on: stored one batch at a time
        assert threads.current is not None
        assert threads.current.tags == ("team:tech", "category:bug")
        for stored in range(1, 4):
            gate.release()  # one store completes; the later presses are still queued
            await wait_until(
                pilot, lambda n=stored: len(service.called("edit_tags")) >= n, then_settle=False
            )
            await pilot.pause()  # the stored result's message is handled
            assert threads.current.tags == ("team:tech", "category:bug"), stored
        await settle(pilot)
        assert service.threads[first.id].tags == ("team:tech", "category:bug")


async def test_picker_edits_a_tags_description_and_shortcut(
    make_app: AppFactory, service: FakeService
) -> None:
    """ctrl+t in the picker opens a one-line form on the highlighted tag; enter saves the
    description and the shortcut (taken from the tag that held it) and the digit follows."""
    from supportmail.tui.screens.tag_edit import TagEditForm

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)
        await pilot.press(*"churn")
        await pilot.press("ctrl+t")
        await settle(pilot)
        assert isinstance(app.screen, TagEditForm)
        await pilot.press(*"customer may leave", "tab", "1", "enter")
        await settle(pilot)
        assert isinstance(app.screen, TagPicker)
        await wait_until(pilot, lambda: service.descriptions.get("category:churn-risk") is not None)
        assert service.descriptions["category:churn-risk"] == "customer may leave"
        assert service.shortcuts["category:churn-risk"] == "1"
        assert "category:bug" not in service.shortcuts
        options = app.screen.options
        shown = [str(options.get_option_at_index(i).prompt) for i in range(options.option_count)]
        assert any("customer may leave" in line for line in shown), shown
        await pilot.press("escape")
        await settle(pilot)
        await wait_until(
            pilot,
            lambda: any(
                t.name == "category:churn-risk" and t.shortcut == "1"
                for t in main_screen(app).catalog
            ),
        )
