"""The Textual app: ``SupportMailApp`` wires a ``Service`` and a key map to the main screen.

``run_app(service, keymap)`` is what ``tui.cli`` calls for ``supportmail`` and ``supportmail demo``.
The app owns what is app-wide: the key map (``App.set_keymap`` on mount, with a notice when two
bindings clash), the clock used for the list's relative dates, the command palette entries, and
quitting (which first saves any unsaved note). It holds no lock: the service serialises its own
work (``storage.service``, Threads).
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import TYPE_CHECKING, ClassVar

from textual import events
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.dom import DOMNode
from textual.screen import Screen

from supportmail.keymaps import load_keymap
from supportmail.tui import logfile
from supportmail.tui.main.screen import MainScreen
from supportmail.tui.startup import after_first_frame

if TYPE_CHECKING:
    from textual.command import Provider
    from textual.widget import Widget

    from supportmail.storage.service.api import ServiceApi

__all__ = ["SupportMailApp", "binding_ids", "run_app"]


def _settle_garbage_collector() -> None:
    """After the first frame: move everything alive so far (Textual, the screens, the first
    pages) out of the collector's sight and collect less often. Held keys through 250k threads
    otherwise stalled 40-80 ms whenever a full collection rescanned those objects (86 full
    collections in a 4,000-key run; 14 after this, and no frame over 50 ms). ``tui.launch``
    starts the app with the collector off; it is on from here."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(10_000, 10, 10)
    gc.enable()


_TYPED_AHEAD = 64
"""Keys remembered for ``_typed_ahead`` at most (a key a widget consumed never comes back)."""
_UNTYPED = object()
"""``_typed_ahead``: a key that was not typed (nothing remembered for it)."""
UI_SWITCH_INTERVAL = 0.001
"""Seconds a thread may hold the GIL while another waits (Python's default: 0.005)."""


def action_commands() -> type[Provider]:
    """The command palette's provider of the app's actions, imported when the palette first
    opens (Textual takes a callable for that): the first screen needs none of it."""
    from supportmail.tui.commands import ActionCommands

    return ActionCommands


def app_css_variables(theme: Mapping[str, str]) -> dict[str, str]:
    """The app's CSS variables, from the theme's (``theme``): pane borders, tag chips, the side
    panel's width."""
    return {
        "pane-border": theme["surface-lighten-2"],
        "pane-border-focus": theme["accent"],
        # Chip colours that stay apart on a 16-colour terminal (TERM=xterm, linux): team ->
        # blue, category -> magenta, label -> grey. Under NO_COLOR the kinds differ by style
        # (app.tcss, at its end).
        "team-chip": "#143c88",
        "team-chip-text": "#e8f1fb",
        "category-chip": "#782884",
        "category-chip-text": "#f7ecfa",
        "label-chip": theme["surface-lighten-2"],
        "side-width": "28",
    }


class SupportMailApp(App[None]):
    """A keyboard-driven reader and tagger for one shared support mailbox."""

    TITLE = "supportmail"
    CSS_PATH = "styles/app.tcss"
    COMMANDS = App.COMMANDS | {action_commands}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "ctrl+p",
            "command_palette",
            "Command palette: every action by name",
            id="palette",
            show=False,
            priority=True,
        ),
    ]

    def __init__(
        self,
        service: ServiceApi,
        keymap: Mapping[str, str],
        *,
        keymap_name: str = "default",
        now: datetime | None = None,
        poll_seconds: float = 60.0,
        preview_delay: float = 0.15,
        search_delay: float = 0.08,
        push_delay: float = 0.02,
    ) -> None:
        """``now`` fixes the clock (snapshots); the delays are debounce times in seconds."""
        super().__init__()
        self.service = service
        self.keymap = dict(keymap)
        self.keymap_name = keymap_name
        self.fixed_now = now
        self.clashes: list[str] = []
        self._screen_options = {
            "poll_seconds": poll_seconds,
            "preview_delay": preview_delay,
            "search_delay": search_delay,
            "push_delay": push_delay,
        }
        self._quit_despite_unsaved = False
        self._key_targets: dict[int, Widget | None] = {}
        """Per key from the terminal (by ``id``), the widget it went to (``_typed_ahead``)."""

    def now(self) -> datetime:
        """The moment relative dates are computed against."""
        return self.fixed_now if self.fixed_now is not None else self.service.now()

    def get_default_screen(self) -> MainScreen:
        """The main screen is the first on the stack (not pushed over Textual's blank default
        screen: composing and styling that one cost the first frame ~20 ms)."""
        return MainScreen(
            self.service,
            now=self.now,
            keymap_name=self.keymap_name,
            **self._screen_options,
        )

    async def on_event(self, event: events.Event) -> None:
        if isinstance(event, events.Key):
            if not event.is_forwarded:  # from the terminal
                self.service.user_active()  # the body mirror pauses while keys arrive
                self._key_targets[id(event)] = self.focused
                while len(self._key_targets) > _TYPED_AHEAD:  # keys a widget consumed
                    del self._key_targets[next(iter(self._key_targets))]
            elif self._typed_ahead(event):
                return
        await super().on_event(event)

    def _typed_ahead(self, event: events.Key) -> bool:
        """A key that came back to the app's bindings from the widget focused when it was
        typed, after a key typed before it moved the focus (`/` and a word typed at once):
        it goes to the widget focused now, as a key typed a moment later would, instead of
        running the old widget's bindings or being dropped. True when it was sent on."""
        target = self._key_targets.pop(id(event), _UNTYPED)
        focused = self.focused
        # A key typed before anything had the focus (the window still starting) counts too.
        if target is _UNTYPED or focused is None or focused is target:
            return False
        again = events.Key(event.key, event.character)
        # Remembered as well: keys sent on behind a `/` that has not moved the focus yet come
        # back once it has, and follow it in turn.
        self._key_targets[id(again)] = focused
        focused._forward_event(again)
        return True

    def get_css_variables(self) -> dict[str, str]:
        """The theme's variables and the app's own, for every stylesheet: app.tcss and the
        files the modal screens load when first opened (``modals.tcss``, ``report.tcss``)."""
        theme = super().get_css_variables()
        return {**theme, **app_css_variables(theme)}

    def on_mount(self) -> None:
        # Only what differs from the BINDINGS (== default.toml, a test keeps them equal): Textual
        # re-applies the keymap to the focus chain on every key press, ~5 ms for all 40 ids.
        defaults = load_keymap("default")
        self.set_keymap({k: v for k, v in self.keymap.items() if defaults.get(k) != v})
        after_first_frame(self, _settle_garbage_collector)
        # Workers (the body mirror parses mail in Python) hold the GIL for up to the switch
        # interval before the UI thread gets it back: 5 ms by default, several hand-overs per
        # key. 1 ms keeps a key within a frame while a sync runs (tests/bench/bench_keys_mirror).
        sys.setswitchinterval(UI_SWITCH_INTERVAL)

    @property
    def main_screen(self) -> MainScreen | None:
        for screen in self.screen_stack:
            if isinstance(screen, MainScreen):
                return screen
        return None

    def handle_bindings_clash(self, clashed_bindings: set[Binding], node: DOMNode) -> None:
        """Say once, plainly, which binding lost its key to another one."""
        for binding in sorted(clashed_bindings, key=lambda b: (b.key, b.id or b.action)):
            if self._self_clash(binding):
                continue
            line = (
                f"keymap {self.keymap_name}: key '{binding.key}' of "
                f"'{binding.id or binding.action}' clashes with another binding"
            )
            if line not in self.clashes:
                self.clashes.append(line)
                self.notify(line, title="Key clash", severity="warning", markup=False)

    def _self_clash(self, binding: Binding) -> bool:
        """Textual reports a binding id with several default keys as clashing with itself when
        it is remapped (each old key re-adds the new one). Only the keymap's own id owns the key:
        not a clash. (Clashes between ids are refused earlier, when the keymap is loaded.)"""
        key = binding.key
        owners = [
            binding_id
            for binding_id, keys in self.keymap.items()
            if key in (k.strip() for k in keys.split(","))
        ]
        return owners == [binding.id]

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """Textual's palette entries but its Quit: the main screen's quit entry (which saves
        the note first) is the one Quit."""
        for command in super().get_system_commands(screen):
            if command.title != "Quit":
                yield command

    def _handle_exception(self, error: Exception) -> None:
        """An unhandled exception closes the window (Textual prints it on the terminal); its
        traceback goes to the log too, and ``run_app`` returns 1, not 0."""
        logfile.log_failure("the window closed on an unexpected error", error)
        super()._handle_exception(error)

    async def action_quit(self) -> None:
        """Quit, saving any unsaved note first (a failing save keeps the app open once)."""
        screen = self.main_screen
        error = screen.flush_notes() if screen is not None else None
        if error is not None and not self._quit_despite_unsaved:
            self._quit_despite_unsaved = True
            self.notify(
                f"{error}. Quit again to leave without saving it.",
                title="Note not saved",
                severity="error",
                markup=False,
            )
            return
        self.exit()


def binding_ids() -> list[str]:
    """Every binding id the app declares (app and main screen), in declaration order."""
    ids: list[str] = []
    for bindings in (SupportMailApp.BINDINGS, MainScreen.BINDINGS):
        for binding in bindings:
            if isinstance(binding, Binding) and binding.id is not None:
                ids.append(binding.id)
    return ids


def run_app(
    service: ServiceApi,
    keymap: Mapping[str, str],
    *,
    keymap_name: str = "default",
    poll_seconds: float = 60.0,
    now: datetime | None = None,
) -> int:
    """Run the TUI until the user quits (blocks); 0, or 1 when an unexpected error closed it.
    The caller closes the service afterwards."""
    app = SupportMailApp(
        service, keymap, keymap_name=keymap_name, poll_seconds=poll_seconds, now=now
    )
    app.run()
    return app.return_code or 0
