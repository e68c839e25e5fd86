"""Pilot: mark.read / mark.unread on the cursor thread or the selection, optimistic, reverted."""

from __future__ import annotations

from supportmail.keymaps import load_keymap
from supportmail.tui.app import SupportMailApp
from supportmail.tui.triage import apply_read, plan_read
from tests.tui.conftest import AppFactory, main_screen, settle
from tests.tui.fakes import NOW, FakeService


async def test_r_marks_the_cursor_thread_read_at_once(
    make_app: AppFactory, service: FakeService
) -> None:
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        threads = screen.thread_list
        assert threads.current is not None and threads.current.unread == 1
        assert any(m.unread for m in screen.message_view.detail.messages)  # type: ignore[union-attr]
        await pilot.press("r")
        # The row changes in the same frame, before the worker has stored it, after the mark
        # is durable in the outbox.
        assert threads.current.unread == 0
        assert service.called("queue_read") == [("0000abcd", True)]
        assert screen.status.hint == "marked 1 thread read"
        await settle(pilot)
        assert service.called("mark_read") == [("0000abcd", True)]
        assert service.threads["0000abcd"].unread == 0
        detail = screen.message_view.detail
        assert detail is not None and not any(m.unread for m in detail.messages)


async def test_shift_r_marks_every_message_unread(
    make_app: AppFactory, service: FakeService
) -> None:
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        threads = main_screen(app).thread_list
        await pilot.press("j")  # thread 1: two messages, both read
        assert threads.current is not None and threads.current.unread == 0
        await pilot.press("R")
        assert threads.current.unread == 2
        await settle(pilot)
        assert service.called("mark_read") == [("0001abcd", False)]
        assert service.threads["0001abcd"].unread == 2


async def test_marking_applies_to_the_selection(make_app: AppFactory, service: FakeService) -> None:
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        threads = main_screen(app).thread_list
        await pilot.press("x", "x", "x", "x", "x")  # threads 0..4; 0 and 4 are unread
        await pilot.press("r")
        await settle(pilot)
        # both made durable in one write (one batch), then stored in the worker
        assert service.called("batched") == [()]
        assert service.called("queue_read") == [("0000abcd", True), ("0004abcd", True)]
        assert service.called("mark_read") == [("0000abcd", True), ("0004abcd", True)]
        assert all(s.unread == 0 for s in threads.selected)
        await pilot.press("R")
        await settle(pilot)
        marked = [args[0] for args in service.called("mark_read")[2:]]  # type: ignore[index]
        assert marked == [f"{n:04x}abcd" for n in range(5)]
        for n in range(5):
            summary = threads.known_summary(f"{n:04x}abcd")
            assert summary is not None and summary.unread == summary.messages


async def test_nothing_to_do_says_so(make_app: AppFactory, service: FakeService) -> None:
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        await pilot.press("j", "r")
        await settle(pilot)
        assert screen.status.hint == "already read"
        assert service.called("mark_read") == []


async def test_failed_mark_is_reverted_and_reported(
    make_app: AppFactory, service: FakeService
) -> None:
    service.fail_reads = True
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        await pilot.press("r")
        await settle(pilot)
        assert screen.thread_list.current.unread == 1  # type: ignore[union-attr]
        assert screen.status.hint.startswith("not marked read: ")
        assert "outbox is locked" in screen.status.hint
        service.fail_reads = False
        await pilot.press("r")  # the queue is free again
        await settle(pilot)
        assert service.threads["0000abcd"].unread == 0


async def test_marks_and_tag_edits_share_one_ordered_queue(
    make_app: AppFactory, service: FakeService
) -> None:
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("1", "r", "2", "R")
        await settle(pilot)
        order = [name for name, _ in service.calls if name in ("edit_tags", "mark_read")]
        assert order == ["edit_tags", "mark_read", "edit_tags", "mark_read"]
        assert service.threads["0000abcd"].unread == 1


async def test_pending_count_for_a_real_account() -> None:
    service = FakeService(demo=False)
    app = SupportMailApp(
        service,
        load_keymap(),
        now=NOW,
        preview_delay=0,
        push_delay=3600,  # the count before the push-behind runs
    )
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        await pilot.press("r")
        await settle(pilot)
        assert screen.status.pending == 1


async def test_keys_are_in_help_and_palette_in_every_map(make_app: AppFactory) -> None:
    from supportmail.tui.commands import ActionCommands

    for name in ("default", "vim", "emacs"):
        app = make_app(name)
        async with app.run_test(size=(120, 40)) as pilot:
            await settle(pilot)
            screen = main_screen(app)
            entries = {e.binding_id: e for e in screen.help_entries()}
            assert entries["mark.read"].keys == ("r",)
            assert entries["mark.unread"].keys == ("R",)
            assert entries["note.external"].keys == ("E",)
            commands = {c.help: c.title for c in ActionCommands(screen)._commands()}
            assert commands["mark.unread"].endswith(" (R)")
            # Textual reports remapped multi-key ids as clashing with themselves; the app
            # filters that quirk, so the shipped maps report no clash at all.
            assert app.clashes == []


def test_plan_read_skips_threads_already_in_that_state() -> None:
    service = FakeService()
    rows = service.list_threads()[:4]  # unread counts 1, 0, 0, 0; 1..4 messages
    assert plan_read(rows, True).thread_ids == (rows[0].id,)
    assert plan_read(rows, False).thread_ids == tuple(r.id for r in rows[1:])
    assert plan_read(rows, True).describe() == "marked 1 thread read"
    assert plan_read(rows, False).describe() == "marked 3 threads unread"
    assert apply_read(rows[3], False).unread == rows[3].messages


async def test_a_mark_that_cannot_be_made_durable_is_never_drawn(
    make_app: AppFactory, service: FakeService
) -> None:
    service.fail_read_queue = True
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        await pilot.press("r")
        await settle(pilot)
        current = screen.thread_list.current
        assert current is not None and current.unread == 1
        assert screen.status.hint == (
            "not marked read: the outbox is locked by another supportmail"
        )
        assert service.called("mark_read") == []
