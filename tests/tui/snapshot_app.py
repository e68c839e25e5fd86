"""The app the snapshot tests photograph: the fake mailbox, a fixed clock, the default keys."""

from __future__ import annotations

from supportmail.keymaps import load_keymap
from supportmail.tui.app import SupportMailApp
from tests.tui.fakes import NOW, FakeService


def snapshot_app() -> SupportMailApp:
    """A fresh app over a fresh fake service; dates relative to ``NOW`` (24 Nov 2026 10:30)."""
    return SupportMailApp(
        FakeService(),
        load_keymap(),
        now=NOW,
        preview_delay=0,
        search_delay=0,
    )
