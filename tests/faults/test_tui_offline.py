"""The TUI under a half-open connection: it stays responsive, says it is offline while the sync
reconnects behind it, and comes back online with everything fetched (real Dovecot, the loopback
fault proxy of ``proxy.py``, ``timeout = 2``)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from supportmail.keymaps import load_keymap
from supportmail.storage.service import Service
from supportmail.storage.settings import load_settings
from supportmail.tui.app import SupportMailApp
from tests.faults.proxy import Fault, FaultProxy
from tests.mailgen import support_mailbox
from tests.tui.conftest import main_screen

pytestmark = pytest.mark.dovecot

HEADER_FETCH = rb"BODY\.PEEK\[HEADER"


@pytest.fixture
def proxy(mail_user: Any) -> Iterator[FaultProxy]:
    with FaultProxy(mail_user.host, mail_user.port) as p:
        yield p


def _config(path: Path, mail_user: Any, port: int) -> Path:
    path.write_text(
        "poll_seconds = 3600\n"
        "[accounts.support]\n"
        'host = "127.0.0.1"\n'
        f"port = {port}\n"
        'tls = "none"\n'
        f'username = "{mail_user.username}"\n'
        f'password_command = "printf {mail_user.password}"\n'
        'folders = ["INBOX"]\n'
        "timeout = 2\n",
        encoding="utf-8",
    )
    return path


def _open(config: Path, data: Path) -> Service:
    settings = load_settings(config)
    return Service.open(settings, settings.account(None), data)


@pytest.mark.timeout(120)
def test_tui_says_offline_during_a_stall_and_recovers(
    mail_user: Any, proxy: FaultProxy, tmp_path: Path
) -> None:
    asyncio.run(_stall_scenario(mail_user, proxy, tmp_path))


async def _stall_scenario(mail_user: Any, proxy: FaultProxy, tmp_path: Path) -> None:
    messages = [m.raw for m in support_mailbox(800, replies=False)]
    mail_user.seed("INBOX", messages[:200])
    config = _config(tmp_path / "config.toml", mail_user, proxy.port)
    data = tmp_path / "data"
    service = _open(config, data)
    service.sync()
    mail_user.seed("INBOX", messages[200:])
    # The TUI's start-up sync stalls 5 kB into the header FETCH of the 600 new messages.
    proxy.arm(Fault("stall", after_client=HEADER_FETCH, after_server_bytes=5000))
    app = SupportMailApp(service, load_keymap(), preview_delay=0)
    states: list[str] = []
    hints: list[str] = []
    moved = False
    try:
        async with app.run_test(size=(160, 48)) as pilot:
            screen = main_screen(app)
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                await asyncio.sleep(0.05)
                states.append(screen.status.connection)
                hints.append(screen.status.hint)
                if screen.status.connection == "offline" and not moved:
                    # Responsive while offline: the cursor moves, the list answers.
                    before = screen.thread_list.cursor
                    await pilot.press("down")
                    await pilot.pause()
                    moved = screen.thread_list.cursor == before + 1
                if "synced:" in screen.status.hint:
                    break
            count = screen.thread_list.count
    finally:
        service.close()
    assert proxy.fired.is_set()
    assert "offline" in states, sorted(set(states))
    assert any("reconnecting (1/4)" in h for h in hints), sorted(set(hints))
    assert moved, "the list did not move while the sync was reconnecting"
    assert states[-1] == "online" and count == 800, (states[-5:], hints[-3:], count)
