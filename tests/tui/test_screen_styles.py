"""The modal screens' rules (``modals.tcss``, ``report.tcss``) are not parsed for the first
screen; the first modal that names them loads them, app-wide, with the app's own variables."""

from __future__ import annotations

from pathlib import Path

from supportmail.tui.app import SupportMailApp, app_css_variables
from tests.tui.conftest import AppFactory, settle, wait_until


def _loaded(app: SupportMailApp) -> set[str]:
    return {Path(path).name for path, _name in app.stylesheet.source if path}


async def test_the_first_screen_parses_only_the_main_stylesheet(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        assert "app.tcss" in _loaded(app)
        assert {"modals.tcss", "report.tcss"} & _loaded(app) == set()
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: "modals.tcss" in _loaded(app))
        help_box = app.screen.query_one("#help")
        assert help_box.styles.border_top[0] == "thick"  # a rule of modals.tcss applies
        assert "report.tcss" not in _loaded(app)


async def test_the_app_variables_follow_the_theme(make_app: AppFactory) -> None:
    app = make_app()
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        variables = app.get_css_variables()
        assert variables["pane-border"] == variables["surface-lighten-2"]
        assert variables["pane-border-focus"] == variables["accent"]
        assert set(app_css_variables(variables)) <= set(variables)
        app.theme = "textual-light"
        await settle(pilot)
        light = app.get_css_variables()
        assert light["pane-border"] == light["surface-lighten-2"]
