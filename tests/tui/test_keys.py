"""Pilot: key maps (vim, emacs, clashes), the help screen and the command palette."""

from __future__ import annotations

from textual.command import CommandPalette

from supportmail.tui.screens.help import HelpScreen
from tests.tui.conftest import AppFactory, main_screen, settle
from tests.tui.fakes import FakeService


async def test_vim_keymap(make_app: AppFactory, service: FakeService) -> None:
    app = make_app("vim")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        threads = screen.thread_list
        await pilot.press("j", "j")
        assert threads.cursor == 2
        await pilot.press("G")
        assert threads.cursor == threads.count - 1
        await pilot.press("g")
        assert threads.cursor == 0
        await pilot.press("1")
        await settle(pilot)
        await pilot.press("u")  # vim: undo, not the untagged view
        await settle(pilot)
        assert not threads.thread_query.untagged
        assert service.threads["0000abcd"].tags == ("team:billing", "category:bug")
        assert len(service.called("edit_tags")) == 2
        await pilot.press("m")  # vim's key for the untagged view
        assert threads.thread_query.untagged


async def test_emacs_keymap(make_app: AppFactory) -> None:
    app = make_app("emacs")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        threads = screen.thread_list
        await pilot.press("ctrl+n", "ctrl+n", "ctrl+p")
        assert threads.cursor == 1
        assert not isinstance(app.screen, CommandPalette)  # ctrl+p moved up, no palette
        await pilot.press("ctrl+s")
        assert app.focused is screen.search_bar
        await pilot.press("escape", "alt+x")
        await settle(pilot)
        assert isinstance(app.screen, CommandPalette)


async def test_default_keys_do_not_leak_into_other_maps(make_app: AppFactory) -> None:
    app = make_app("emacs")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("ctrl+p")
        assert not isinstance(app.screen, CommandPalette)


async def test_clashing_keys_are_named(make_app: AppFactory) -> None:
    # load_keymap refuses clashes; a raw dict reaching the app is reported, not ignored.
    app = make_app(raw_keymap={"thread.next": "k", "thread.prev": "k"})
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("k")
        await settle(pilot)
        assert app.clashes
        assert "'k'" in app.clashes[0] and "clashes" in app.clashes[0]


async def test_help_lists_the_keys_in_force(make_app: AppFactory) -> None:
    app = make_app("vim")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        entries = {e.binding_id: e for e in main_screen(app).help_entries()}
        assert "G" in entries["thread.last"].keys
        assert entries["undo"].keys == ("u",)
        assert entries["note.edit"].description == "Edit the private note of this thread"
        await pilot.press("question_mark")
        await settle(pilot)
        assert isinstance(app.screen, HelpScreen)
        assert {e.binding_id for e in app.screen.entries} >= {"thread.next", "tag.pick", "quit"}
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_palette_runs_an_action_by_name(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        await pilot.press("ctrl+p")
        await settle(pilot)
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"untagged")
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        assert screen.thread_list.thread_query.untagged


async def test_palette_offers_every_action(make_app: AppFactory) -> None:
    from supportmail.tui.app import binding_ids
    from supportmail.tui.commands import ActionCommands

    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        provider = ActionCommands(main_screen(app))
        helps = [c.help for c in provider._commands()]
        for binding_id in binding_ids():
            if binding_id != "palette":
                assert binding_id in helps, binding_id
