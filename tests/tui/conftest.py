"""Fixtures for the UI tests: a fake service, an app factory with no debounce, and ``settle``.

``demo_service`` is the real ``Service`` over the bundled demo mailbox (the path of
``supportmail demo``), built once per session and copied for each test, so every test starts
from the same untouched mailbox.

``async def`` tests run on a fresh event loop each (``pytest_pyfunc_call`` below), so the suite
needs no asyncio plugin.

Nothing a UI test makes in the default temp dir may outlive the tests
(``nothing_left_in_the_temp_dir``): the fakes write under the test's ``tmp_path``.

``settle`` waits on workers and the message queue (never on wall-clock sleeps), a few rounds,
since a worker's result message can start another worker (a tag edit refreshes the catalog).
"""

from __future__ import annotations

import asyncio
import inspect
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from datetime import UTC, datetime
from pathlib import Path

import pytest
from textual.pilot import Pilot

from supportmail.keymaps import load_keymap
from supportmail.storage.service import Service
from supportmail.tui.app import SupportMailApp
from supportmail.tui.main.screen import MainScreen
from tests.tui.fakes import NOW, FakeService

AppFactory = Callable[..., SupportMailApp]

DEMO_NOW = datetime(2026, 11, 24, 10, 30, tzinfo=UTC)
"""The fixed moment the demo mailbox is generated around in the UI tests."""


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> bool | None:
    """Run ``async def`` tests with ``asyncio.run``."""
    if not inspect.iscoroutinefunction(pyfuncitem.obj):
        return None
    names = pyfuncitem._fixtureinfo.argnames
    asyncio.run(pyfuncitem.obj(**{name: pyfuncitem.funcargs[name] for name in names}))
    return True


@pytest.fixture(scope="package", autouse=True)
def nothing_left_in_the_temp_dir(tmp_path_factory: pytest.TempPathFactory) -> Iterator[None]:
    """The UI tests run with a private, empty default temp dir (``tempfile.tempdir``); what is
    left in it when they end (a fake's ``mkdtemp`` that nothing removes) fails the run."""
    tmp_path_factory.getbasetemp()  # pytest's own temp dirs stay where pytest keeps them
    private = Path(tempfile.mkdtemp(prefix="supportmail-tui-tmp-"))
    before, tempfile.tempdir = tempfile.tempdir, str(private)
    try:
        yield
    finally:
        tempfile.tempdir = before
        left = sorted(p.name for p in private.iterdir())
        shutil.rmtree(private, ignore_errors=True)
    assert not left, f"the UI tests left these in the temp dir: {', '.join(left)}"


@pytest.fixture
def service(tmp_path: Path) -> FakeService:
    return FakeService(files=tmp_path / "fake-files")


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
            service,
            keys,
            keymap_name=keymap,
            now=NOW,
            preview_delay=0,
            search_delay=0,
        )

    return factory


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory holding the loaded demo mailbox (built once: about a second)."""
    root = tmp_path_factory.mktemp("demo-template")
    Service.open_demo(root, now=DEMO_NOW).close()
    return root


@pytest.fixture
def demo_service(demo_template: Path, tmp_path: Path) -> Iterator[Service]:
    """The real service over a private copy of the demo mailbox."""
    data_dir = tmp_path / "demo-data"
    shutil.copytree(demo_template, data_dir)
    service = Service.open_demo(data_dir, now=DEMO_NOW)
    yield service
    service.close()


@pytest.fixture
def demo_app(demo_service: Service) -> SupportMailApp:
    """The app as ``supportmail demo`` builds it, with a fixed clock and no debounce."""
    return SupportMailApp(
        demo_service, load_keymap(), now=DEMO_NOW, preview_delay=0, search_delay=0
    )


async def settle(pilot: Pilot[object], rounds: int = 3) -> None:
    """Let workers finish and their messages be handled (all but the live mirror's worker,
    which runs until the screen goes: see ``tui/controllers/live.py``)."""
    for _ in range(rounds):
        await pilot.pause()
        workers = [w for w in pilot.app.workers if w.group != "live"]
        if workers:  # an empty list would mean "all" to wait_for_complete
            await pilot.app.workers.wait_for_complete(workers)
    await pilot.pause()


async def wait_until(
    pilot: Pilot[object],
    condition: Callable[[], bool],
    what: str = "",
    timeout: float = 10.0,
    *,
    then_settle: bool = True,
) -> None:
    """Let the app run until ``condition()`` holds (checked after every event-loop round, so a
    test waits exactly as long as the app needs, never a fixed time), then let the workers
    finish (``then_settle``; off while a test holds a worker on purpose); fail after
    ``timeout``."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what or condition}")
        await pilot.pause(0.01)
    if then_settle:
        await settle(pilot)
    else:
        await pilot.pause()


def main_screen(app: SupportMailApp) -> MainScreen:
    screen = app.main_screen
    assert screen is not None
    return screen
