"""Pilot: the help screen and the command palette speak keys and tag names, not binding ids."""

from __future__ import annotations

from supportmail.tui.commands import ActionCommands
from supportmail.tui.keynames import NO_KEY, speak
from supportmail.tui.screens.help import HelpScreen
from tests.tui.conftest import AppFactory, main_screen, settle, wait_until
from tests.tui.fakes import FakeService


def _palette(app: object) -> dict[str, str]:
    """binding id -> palette title."""
    screen = main_screen(app)  # type: ignore[arg-type]
    return {c.help: c.title for c in ActionCommands(screen)._commands()}


async def test_palette_names_tags_and_shows_every_key(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        await wait_until(pilot, lambda: bool(screen.catalog), "catalog loaded")
        await pilot.press("enter")  # the thread view has focus: its scroll keys shadow home/end
        await wait_until(pilot, lambda: screen.message_view.has_focus, "thread open")
        titles = _palette(app)
        assert titles["tag.toggle.1"] == "Toggle category:bug (1)"
        assert titles["thread.first"].endswith(" (home)")
        assert titles["thread.last"].endswith(" (end)")
        assert titles["page.down"].endswith(" (pgdn)")
        assert titles["page.up"].endswith(" (pgup)")
        assert titles["thread.quotes"] == "Show or fold quoted text (f)"
        assert titles["undo"].endswith(" (z, ^z)")
        assert not any("no key" in t for t in titles.values())
        system = [c.title for c in app.get_system_commands(screen)]
        quits = [t for t in [*system, *titles.values()] if t.startswith("Quit")]
        assert quits == ["Quit (q)"]


async def test_palette_follows_the_keymap(make_app: AppFactory) -> None:
    app = make_app("vim")
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        titles = _palette(app)
        assert "G" in titles["thread.last"] and "j" in titles["thread.next"]


async def test_help_speaks_keys_and_tag_names(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        await wait_until(pilot, lambda: bool(screen.catalog), "catalog loaded")
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen), "help open")
        help_screen = app.screen
        assert isinstance(help_screen, HelpScreen)
        notes = " ".join(help_screen.notes)
        assert "(f shows them)" in notes and "r does" in notes and "E opens it" in notes
        assert "] / [ pick a paragraph, Q keeps it" in notes
        assert "{" not in notes and ".quotes key" not in notes
        entries = {e.binding_id: e for e in help_screen.entries}
        assert entries["tag.toggle.1"].description == "Toggle category:bug"
        assert entries["thread.first"].keys == ("home",)
        assert entries["tag.toggle.9"].description == "Toggle category:churn-risk"


async def test_a_shortcut_no_tag_has_says_so(make_app: AppFactory, service: FakeService) -> None:
    del service.shortcuts["category:churn-risk"]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        await wait_until(pilot, lambda: bool(screen.catalog), "catalog loaded")
        assert _palette(app)["tag.toggle.9"] == "Toggle shortcut tag 9: no tag has it (9)"


async def test_a_paragraph_hint_names_the_keys(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        await pilot.press("enter", "Q")
        await wait_until(pilot, lambda: "pick a paragraph" in screen.status.hint, "hint")
        assert screen.status.hint == "pick a paragraph first (] / [)"


def test_speak_fills_keys() -> None:
    keys = {"undo": ("z", "^z"), "thread.quotes": ("f",), "gone": ()}
    assert speak("{thread.quotes} shows them", keys) == "f shows them"
    assert speak("{undo} undoes", keys) == "z or ^z undoes"
    assert speak("{gone} and {unknown.id}", keys) == f"{NO_KEY} and {{unknown.id}}"
