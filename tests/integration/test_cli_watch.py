"""``supportmail watch`` as a real process against the real Dovecot: it mirrors what arrives, says
when it is offline (one stderr line) and back, and stops on SIGTERM/SIGINT with exit 0."""

from __future__ import annotations

import os
import queue
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import IO

import pytest

from supportmail.storage.models import ThreadQuery
from supportmail.storage.service import Service
from supportmail.storage.settings import load_settings
from tests.command import supportmail_argv
from tests.dovecot import MailUser
from tests.faults.proxy import Fault, FaultProxy
from tests.integration.test_live import mail

pytestmark = pytest.mark.dovecot

ROOT = Path(__file__).resolve().parents[2]
DEADLINE = 30.0


def _config(path: Path, user: MailUser, port: int) -> Path:
    path.write_text(
        "[accounts.support]\n"
        'host = "127.0.0.1"\n'
        f"port = {port}\n"
        'tls = "none"\n'
        f'username = "{user.username}"\n'
        f'password_command = "printf {user.password}"\n'
        'folders = ["INBOX"]\n'
        "timeout = 5\n",
        encoding="utf-8",
    )
    return path


class Lines:
    """A stream of a child process read line by line in a thread (never blocks the test)."""

    def __init__(self, stream: IO[str]) -> None:
        self.seen: list[str] = []
        self._queue: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._pump, args=(stream,), daemon=True).start()

    def _pump(self, stream: IO[str]) -> None:
        for line in stream:
            self._queue.put(line.rstrip("\n"))

    def until(self, needle: str, timeout: float = DEADLINE) -> str:
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no line with {needle!r} in {timeout:g} s: {self.seen}")
            try:
                line = self._queue.get(timeout=remaining)
            except queue.Empty:
                continue
            self.seen.append(line)
            if needle in line:
                return line

    def rest(self) -> list[str]:
        while True:
            try:
                self.seen.append(self._queue.get(timeout=2))
            except queue.Empty:
                return self.seen


def _start(config: Path, data: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        supportmail_argv(config, data, "watch"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )


def _subjects(config: Path, data: Path) -> set[str]:
    settings = load_settings(config)
    with Service.open(settings, settings.account(None), data) as service:
        return {t.subject for t in service.list_threads(ThreadQuery())}


@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT])
def test_watch_mirrors_new_mail_and_stops_cleanly(
    mail_user: MailUser, tmp_path: Path, signum: int
) -> None:
    mail_user.append("INBOX", mail(1, "Already there"))
    config = _config(tmp_path / "config.toml", mail_user, mail_user.port)
    data = tmp_path / "data"
    proc = _start(config, data)
    try:
        out, err = Lines(proc.stdout), Lines(proc.stderr)  # type: ignore[arg-type]
        first = out.until("1 new")
        assert first.split(" ", 1)[1].startswith("support: 1 folder")
        mail_user.append("INBOX", mail(2, "Arrived while watching"))
        out.until("1 new")
        proc.send_signal(signum)
        assert proc.wait(timeout=DEADLINE) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    errors = err.rest()
    assert not any("Traceback" in line for line in errors), errors
    assert errors == []
    assert {"Already there", "Arrived while watching"} <= _subjects(config, data)


def test_watch_reports_offline_once_and_comes_back(mail_user: MailUser, tmp_path: Path) -> None:
    with FaultProxy(mail_user.host, mail_user.port) as proxy:
        proxy.arm(Fault("cut", after_client=rb"IDLE\r\n"))
        config = _config(tmp_path / "config.toml", mail_user, proxy.port)
        data = tmp_path / "data"
        proc = _start(config, data)
        try:
            out, err = Lines(proc.stdout), Lines(proc.stderr)  # type: ignore[arg-type]
            out.until("0 new")
            offline = err.until("offline: ")
            assert offline.startswith("supportmail: offline: ") and offline.endswith("(retrying)")
            err.until("back online")
            mail_user.append("INBOX", mail(3, "After coming back"))
            out.until("1 new")
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=DEADLINE) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        errors = err.rest()
        assert sum("offline" in line for line in errors) == 1, errors
    assert "After coming back" in _subjects(config, data)
