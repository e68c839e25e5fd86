"""Fixtures for the UI tests: a fake service, an app factory with no debounce, and ``settle``.

``async def`` tests run on a fresh event loop each (``pytest_pyfunc_call`` below), so the suite
needs no asyncio plugin.

``settle`` waits on workers and the message queue (never on wall-clock sleeps), a few rounds,
since a worker's result message can start another worker (a tag edit refreshes the catalog).
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Mapping

import pytest
from textual.pilot import Pilot

from keymaps import load_keymap
from tests.tui.fakes import NOW, FakeService
from tui.app import SupportMailApp
from tui.screens.main import MainScreen

AppFactory = Callable[..., SupportMailApp]


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """Run ``async def`` tests with ``asyncio.run``."""
    if not inspect.iscoroutinefunction(pyfuncitem.obj):
        return None
    names = pyfuncitem._fixtureinfo.argnames
    asyncio.run(pyfuncitem.obj(**{name: pyfuncitem.funcargs[name] for name in names}))
    return True


@pytest.fixture
def service() -> FakeService:
    return FakeService()


@pytest.fixture
def make_app(service: FakeService) -> AppFactory:
    """``make_app(keymap="vim", service=..., raw_keymap={...})`` -> an app ready for run_test."""

    def factory(
        keymap: str = "default",
        *,
        service: FakeService = service,
        raw_keymap: Mapping[str, str] | None = None,
    ) -> SupportMailApp:
        keys = dict(raw_keymap) if raw_keymap is not None else load_keymap(keymap)
        return SupportMailApp(
            service,  # type: ignore[arg-type]
            keys,
            keymap_name=keymap,
            now=NOW,
            preview_delay=0,
            search_delay=0,
        )

    return factory


async def settle(pilot: Pilot[object], rounds: int = 3) -> None:
    """Let workers finish and their messages be handled."""
    for _ in range(rounds):
        await pilot.pause()
        await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def main_screen(app: SupportMailApp) -> MainScreen:
    screen = app.main_screen
    assert screen is not None
    return screen
