"""Pilot: every hostile thread opens in the app without an exception, and the screen it draws
holds no raw ESC, C1 or other control character (only Textual's own colours and cursor moves)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from supportmail.keymaps import load_keymap
from supportmail.storage.service import Service
from supportmail.tui.app import SupportMailApp
from tests.corpus import load_hostile
from tests.corpus.generators import corpus, whatwg_charsets
from tests.tui.conftest import DEMO_NOW, main_screen, settle
from tests.tui.screen_text import raw_escapes, screen_ansi, screen_text

CONTROLS = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f]")


def _cases() -> list[tuple[str, bytes]]:
    """Every hostile case, but one charset label per codec (each label is parsed and listed
    in ``tests/unit/test_hostile_corpus.py``; on screen, labels of one codec look the same)."""
    first_labels: dict[str, str] = {}
    for label, codec in whatwg_charsets():
        first_labels.setdefault(codec, label)
    keep = {f"charset-{label}" for label in first_labels.values()}
    return [(n, raw) for n, raw in corpus() if not n.startswith("charset-") or n in keep]


@pytest.fixture
def hostile(tmp_path: Path) -> Iterator[Service]:
    service = load_hostile(tmp_path, _cases())
    yield service
    service.close()


def _assert_clean(app: SupportMailApp, where: str) -> None:
    text = screen_text(app)
    found = CONTROLS.search(text)
    assert found is None, f"{where}: control {found.group()!r} on screen"
    assert raw_escapes(screen_ansi(app)) == [], where


async def test_every_hostile_thread_renders_clean(hostile: Service) -> None:
    count = hostile.count_threads()
    app = SupportMailApp(hostile, load_keymap(), now=DEMO_NOW, preview_delay=0, search_delay=0)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        seen: set[str] = set()
        for index in range(count):
            current = screen.thread_list.current
            detail = screen.message_view.detail
            assert current is not None and detail is not None
            assert detail.summary.id == current.id, "the preview shows the cursor thread"
            seen.add(current.id)
            _assert_clean(app, f"thread {index} {current.subject[:60]!r}")
            await pilot.press("down")
            await settle(pilot, rounds=1)
        assert len(seen) == count
        await pilot.press("home", "enter")
        await settle(pilot)
        _assert_clean(app, "first thread opened")
        assert app.is_running
