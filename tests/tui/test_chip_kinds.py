"""Pilot: the three kinds of tag chip stay apart where colour is scarce.

A chip shows the short name (``billing``), and both ``team:billing`` and the seeded
``category:billing`` exist, so the kind must show. On a 16-colour terminal (``TERM=xterm``, the
Linux console) the team and category colours both fell to bright black; under ``NO_COLOR`` they
became nearly the same grey. Now they map to blue, magenta and grey, and under ``NO_COLOR``
team chips are bold and category chips underlined.
"""

from __future__ import annotations

import pytest
from rich.color import ColorSystem
from textual.style import Style as VisualStyle
from textual.widget import Widget

from supportmail.keymaps import load_keymap
from supportmail.storage.service import Service
from supportmail.tui.app import SupportMailApp
from supportmail.tui.widgets.thread_list import ThreadList
from tests.tui.conftest import DEMO_NOW, settle

KINDS = ("team", "category", "label")


def _app(service: Service) -> SupportMailApp:
    return SupportMailApp(service, load_keymap(), now=DEMO_NOW, preview_delay=0, search_delay=0)


def _chip_styles(widget: Widget, prefix: str) -> dict[str, VisualStyle]:
    return {kind: widget.get_visual_style(f"{prefix}--{kind}") for kind in KINDS}


def _downgraded(styles: dict[str, VisualStyle], system: ColorSystem) -> dict[str, int | None]:
    out: dict[str, int | None] = {}
    for kind, style in styles.items():
        assert style.background is not None
        out[kind] = style.background.rich_color.downgrade(system).number
    return out


async def test_chip_kinds_differ_on_a_16_colour_terminal(demo_service: Service) -> None:
    app = _app(demo_service)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        styles = _chip_styles(app.screen.query_one(ThreadList), "thread-list")
        for system in (ColorSystem.STANDARD, ColorSystem.EIGHT_BIT):
            colours = _downgraded(styles, system)
            assert len(set(colours.values())) == 3, (system, colours)


async def test_chip_kinds_differ_by_style_under_no_color(
    demo_service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = _app(demo_service)
    assert app.no_color
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        styles = _chip_styles(app.screen.query_one(ThreadList), "thread-list")
        looks = {kind: (bool(s.bold), bool(s.underline)) for kind, s in styles.items()}
        assert looks == {"team": (True, False), "category": (False, True), "label": (False, False)}
    monkeypatch.delenv("NO_COLOR")
    plain = _app(demo_service)
    async with plain.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        styles = _chip_styles(plain.screen.query_one(ThreadList), "thread-list")
        assert not any(s.bold or s.underline for s in styles.values())
