"""Command palette entries: every bound action of the main screen, by its description.

The palette (``ctrl+p``, or the ``palette`` binding id) lists each action as "what it does (its
keys in the active keymap)", a tag toggle naming its tag ("Toggle category:bug (1)"), with the
binding id as the help line; so any action can be run by name even when its key is unknown or
remapped away. Textual's own Quit entry is left out (the app's quit saves the note first).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from textual.binding import Binding
from textual.command import DiscoveryHit, Hit, Hits, Provider
from textual.content import Content
from textual.fuzzy import FuzzySearch
from textual.markup import escape
from textual.style import Style

from supportmail.tui.keynames import binding_keys, describe


@dataclass(frozen=True, slots=True)
class PaletteCommand:
    """One entry: what it does, its binding id and keys, and how to run it."""

    title: str
    help: str
    run: Callable[[], object]


def highlight(text: str, offsets: tuple[int, ...] | list[int]) -> Content:
    """``text`` with the matched characters emphasised (no markup parsing)."""
    content = Content(text)
    for offset in offsets:
        if offset < len(text):
            content = content.stylize(Style(bold=True, underline=True), offset, offset + 1)
    return content


class ActionCommands(Provider):
    """The main screen's actions for the command palette."""

    def _commands(self) -> list[PaletteCommand]:
        from supportmail.tui.main.screen import MainScreen

        screen = self.screen
        if not isinstance(screen, MainScreen):
            return []
        keys = binding_keys(self.app, screen.BINDINGS)
        commands = []
        for binding in screen.BINDINGS:
            if not isinstance(binding, Binding) or binding.id in (None, "palette"):
                continue
            title = describe(binding.id, binding.description, screen.catalog)
            shown = ", ".join(keys.get(binding.id, ())) or "no key"
            commands.append(
                PaletteCommand(
                    title=f"{title} ({shown})",
                    help=escape(binding.id),
                    run=partial(screen.run_action, binding.action),
                )
            )
        return commands

    async def discover(self) -> Hits:
        for command in self._commands():
            yield DiscoveryHit(Content(command.title), command.run, help=command.help)

    async def search(self, query: str) -> Hits:
        """Match the description first, then the binding id (``untagged`` finds view.untagged)."""
        search = FuzzySearch()
        wanted = query.lower()
        for command in self._commands():
            score, offsets = search.match(wanted, command.title.lower())
            display = highlight(command.title, list(offsets))
            if score <= 0:
                score, _ = search.match(wanted, command.help.lower())
                score *= 0.8
                display = Content(command.title)
            if score > 0:
                yield Hit(score, display, command.run, help=command.help)
