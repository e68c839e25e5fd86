"""Pilot: the morning skim says how many of its threads have no local text yet, and says
nothing about it when every excerpt is local."""

from __future__ import annotations

from supportmail.storage.service import Service
from supportmail.tui.app import SupportMailApp
from supportmail.tui.screens.skim import SkimScreen
from tests.tui.conftest import settle
from tests.tui.screen_text import screen_text
from tests.unit.test_coverage import forget_bodies


async def _skim_text(app: SupportMailApp) -> str:
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("M")
        await settle(pilot)
        assert isinstance(app.screen, SkimScreen)
        return screen_text(app)


async def test_a_complete_skim_says_nothing_about_coverage(demo_app: SupportMailApp) -> None:
    assert "not mirrored" not in await _skim_text(demo_app)


async def test_the_skim_counts_threads_not_mirrored_yet(
    demo_app: SupportMailApp, demo_service: Service
) -> None:
    digest = demo_service.skim(remember=False)
    ids = sorted({i.thread_id for g in digest.groups for i in g.items})
    assert len(ids) == digest.threads > 2
    forget_bodies(demo_service, ids[:2])
    text = await _skim_text(demo_app)
    n = digest.threads
    assert f"excerpts from {n - 2} of {n} threads; 2 not mirrored yet" in text
    assert "(not in the cache yet)" in text
