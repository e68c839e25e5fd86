"""Dev/test helper: the current screen of a running app as plain text (and raw ANSI)."""

from __future__ import annotations

import io
import re

from rich.console import Console
from textual.app import App


def screen_ansi(app: App[object]) -> str:
    """What the terminal would receive for a full repaint of the current screen."""
    width, height = app.size
    console = Console(
        width=width,
        height=height,
        file=io.StringIO(),
        force_terminal=True,
        color_system="truecolor",
        record=True,
        legacy_windows=False,
        safe_box=False,
    )
    console.print(
        app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    )
    output = console.file.getvalue()  # type: ignore[attr-defined]
    return str(output)


def screen_text(app: App[object]) -> str:
    """The current screen's characters, one line per row, trailing spaces kept."""
    width, height = app.size
    console = Console(
        width=width, height=height, file=io.StringIO(), record=True, legacy_windows=False
    )
    console.print(
        app.screen._compositor.render_update(full=True, screen_stack=app._background_screens)
    )
    return console.export_text()


def raw_escapes(ansi: str) -> list[str]:
    """Escape sequences in the output other than Textual's own colours (SGR) and cursor moves."""
    sequences = re.findall(r"\x1b(?:\[[0-9;]*[A-Za-z]|\][^\x07\x1b]*|.)", ansi)
    allowed = re.compile(r"\x1b\[[0-9;]*m|\x1b\[[0-9]+;[0-9]+H")
    return [s for s in sequences if not allowed.fullmatch(s)]
