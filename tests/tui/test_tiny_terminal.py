"""A terminal shrunk to a few columns while a list modal is open keeps the app running.

Rich cannot wrap an option into zero columns (``ValueError: range() arg 3 must not be zero``):
with the tag picker, the view-by-tag picker or the links open, resizing the window to 3x2 ended
the app (exit status 0, a traceback in the terminal). The stylesheet keeps every option list a
few columns wide, clipped by the screen.
"""

from __future__ import annotations

import pytest

from supportmail.tui.app import SupportMailApp
from tests.tui.conftest import settle


@pytest.mark.parametrize("key", ["t", "v", "b", "o", "I", "M"])
async def test_a_list_modal_survives_a_terminal_a_few_columns_wide(
    demo_app: SupportMailApp, key: str
) -> None:
    async with demo_app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press(key)
        await settle(pilot)
        opened = type(demo_app.screen)
        for width, height in ((3, 2), (1, 1), (2, 5), (80, 24)):
            await pilot.resize_terminal(width, height)
            await settle(pilot)
        assert demo_app.is_running
        assert type(demo_app.screen) is opened
