"""The password never shows in a process listing, a child's environment, the screen or a file.

While the real ``supportmail`` runs (a CLI ``sync`` as a subprocess, the TUI in tmux), a
background watcher reads ``/proc/*/cmdline`` (what ``ps -eww -o args`` shows) and
``/proc/*/environ`` of every process on the machine, over and over, and records any that holds
the password:

- ``password_command`` (a script that sleeps, then prints the password from a file it is not
  given on its command line): no process's argv and no process's environment ever holds it.
- ``password_env``: no argv ever holds it; only supportmail's own environment does (that is the
  user's choice; supportmail starts no child that would need it).

The watcher must also have seen the supportmail process and the password command's process, so
a test cannot pass by watching nothing. A failing password command whose stdout and stderr say
``SECRET-OUTPUT`` and that exits 3 gives, in the CLI, exactly one stderr line naming exit status
3 and, in the TUI, that line in the status bar, and never the output. After the runs, no file
under the test's directories (data, config, XDG cache/data, where a log would go) holds the
password, and neither does the terminal's scrollback.
"""

from __future__ import annotations

import os
import subprocess
import threading
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

from tests.command import supportmail_argv
from tests.dovecot import Dovecot, MailUser
from tests.e2e.test_tmux import ROOT, Terminal, _synced, _tmux_binary, status
from tests.mailgen import support_mailbox

pytestmark = pytest.mark.dovecot

FAILING_OUTPUT = "SECRET-OUTPUT"
ENV_NAME = "SUPPORTMAIL_E2E_PASSWORD"


class ProcessWatch:
    """Scans every process's argv and environment until stopped; remembers what it found."""

    def __init__(self, secret: str, markers: Mapping[str, str]) -> None:
        self.secret = secret.encode()
        self.markers = {name: text.encode() for name, text in markers.items()}
        self.in_argv: dict[int, str] = {}
        self.in_environ: dict[int, str] = {}
        self.seen: dict[str, set[int]] = {name: set() for name in markers}
        self.scans = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> ProcessWatch:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.scan()
            self._stop.wait(0.02)
        self.scan()

    def scan(self) -> None:
        own = os.getpid()
        for entry in os.scandir("/proc"):
            if not entry.name.isdigit() or int(entry.name) == own:
                continue
            pid = int(entry.name)
            argv = _read(f"/proc/{pid}/cmdline")
            if argv is None:
                continue
            shown = argv.replace(b"\0", b" ").decode(errors="replace")
            for name, marker in self.markers.items():
                if marker in argv:
                    self.seen[name].add(pid)
            if self.secret in argv:
                self.in_argv[pid] = shown
            environ = _read(f"/proc/{pid}/environ")
            if environ is not None and self.secret in environ:
                self.in_environ[pid] = shown
        self.scans += 1


def _read(path: str) -> bytes | None:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError:  # the process ended, or is a kernel thread
        return None


@pytest.fixture
def secret_user(dovecot: Dovecot) -> MailUser:
    """A user whose password is unique to this test (so no other process can hold it)."""
    user = dovecot.add_user(f"pw-{uuid.uuid4().hex[:12]}", f"pw-{uuid.uuid4().hex}")
    for message in support_mailbox(3):
        if message.folder == "INBOX":
            user.append("INBOX", message.raw)
    return user


@pytest.fixture
def password_script(tmp_path: Path, secret_user: MailUser) -> Path:
    """An executable that waits a moment (so the watcher sees it), then prints the password
    from a file outside the directories the app writes to."""
    vault = tmp_path / "vault"
    vault.mkdir(mode=0o700)
    (vault / "pw").write_text(secret_user.password + "\n")
    script = vault / "get-imap-password"
    script.write_text(f"#!/bin/sh\nsleep 0.3\nexec cat {vault / 'pw'}\n")
    script.chmod(0o700)
    return script


def _config(path: Path, user: MailUser, source: str) -> Path:
    path.write_text(
        "[accounts.support]\n"
        f'host = "{user.host}"\nport = {user.port}\ntls = "none"\n'
        f'username = "{user.username}"\n{source}\n'
        'folders = ["INBOX"]\n',
        encoding="utf-8",
    )
    return path


def _run_cli(config: Path, data: Path, env: Mapping[str, str], *args: str) -> tuple[int, str, str]:
    done = subprocess.run(
        supportmail_argv(config, data, *args),
        cwd=ROOT,
        env=dict(env),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return done.returncode, done.stdout, done.stderr


def _files_holding(root: Path, secret: str, skip: Path) -> list[Path]:
    found = []
    for path in root.rglob("*"):
        if path.is_file() and skip not in path.parents and secret.encode() in path.read_bytes():
            found.append(path)
    return found


@pytest.fixture
def terminal(tmp_path: Path) -> Iterator[Terminal]:
    term = Terminal(_tmux_binary(), tmp_path)
    try:
        yield term
    finally:
        term.close()


# ---------------------------------------------------------------------------------------------
# The CLI
# ---------------------------------------------------------------------------------------------


def test_cli_sync_with_password_command_shows_the_password_to_no_process(
    secret_user: MailUser, password_script: Path, tmp_path: Path
) -> None:
    config = _config(
        tmp_path / "config.toml", secret_user, f'password_command = "{password_script}"'
    )
    markers = {"supportmail": str(config), "password command": password_script.name}
    with ProcessWatch(secret_user.password, markers) as watch:
        code, out, err = _run_cli(config, tmp_path / "data", os.environ, "sync")
    assert (code, err) == (0, ""), err
    assert watch.seen["supportmail"] and watch.seen["password command"], watch.scans
    assert watch.in_argv == {}
    assert watch.in_environ == {}
    assert secret_user.password not in out
    assert _files_holding(tmp_path, secret_user.password, skip=password_script.parent) == []


def test_cli_sync_with_password_env_keeps_it_out_of_every_argv(
    secret_user: MailUser, tmp_path: Path
) -> None:
    config = _config(tmp_path / "config.toml", secret_user, f'password_env = "{ENV_NAME}"')
    env = {**os.environ, ENV_NAME: secret_user.password}
    with ProcessWatch(secret_user.password, {"supportmail": str(config)}) as watch:
        code, out, err = _run_cli(config, tmp_path / "data", env, "sync")
    assert (code, err) == (0, ""), err
    assert watch.seen["supportmail"]
    assert watch.in_argv == {}
    assert set(watch.in_environ) <= watch.seen["supportmail"]  # its own environment only
    assert secret_user.password not in out
    assert _files_holding(tmp_path, secret_user.password, skip=tmp_path / "vault") == []


def test_failing_password_command_is_reported_by_exit_status_only(
    secret_user: MailUser, tmp_path: Path
) -> None:
    script = tmp_path / "failing-password"
    script.write_text(
        f"#!/bin/sh\necho {FAILING_OUTPUT}\necho {FAILING_OUTPUT} >&2\nexit 3\n", encoding="utf-8"
    )
    script.chmod(0o700)
    config = _config(tmp_path / "config.toml", secret_user, f'password_command = "{script}"')
    code, out, err = _run_cli(config, tmp_path / "data", os.environ, "sync")
    assert (code, out) == (1, "")
    assert err == "supportmail: password_command for account 'support' failed with exit status 3\n"
    assert FAILING_OUTPUT not in err


# ---------------------------------------------------------------------------------------------
# The TUI
# ---------------------------------------------------------------------------------------------


def test_tui_with_password_command_shows_the_password_to_no_process(
    terminal: Terminal, secret_user: MailUser, password_script: Path, tmp_path: Path
) -> None:
    config = _config(
        tmp_path / "config.toml", secret_user, f'password_command = "{password_script}"'
    )
    data = tmp_path / "data"
    markers = {"supportmail": str(config), "password command": password_script.name}
    with ProcessWatch(secret_user.password, markers) as watch:
        terminal.start("--config", str(config), "--data-dir", str(data))
        terminal.wait_for(_synced, what="the sync on launch to finish")
        listing = subprocess.run(
            ["ps", "-e", "-ww", "-o", "args"],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout
        terminal.keys("s")  # a second sync: the password is asked for only once per run
        terminal.wait_for(lambda s: "synced:" in status(s), what="the second sync")
        terminal.quit_cleanly()
    assert str(config) in listing and secret_user.password not in listing
    assert watch.seen["supportmail"] and watch.seen["password command"], watch.scans
    assert watch.in_argv == {}
    assert watch.in_environ == {}
    assert secret_user.password not in terminal.screen(history=True)
    assert _files_holding(tmp_path, secret_user.password, skip=password_script.parent) == []


def test_tui_with_password_env_keeps_it_out_of_every_argv(
    terminal: Terminal, secret_user: MailUser, tmp_path: Path
) -> None:
    config = _config(tmp_path / "config.toml", secret_user, f'password_env = "{ENV_NAME}"')
    terminal.env[ENV_NAME] = secret_user.password  # exported in the user's shell
    with ProcessWatch(secret_user.password, {"supportmail": str(config)}) as watch:
        terminal.start("--config", str(config), "--data-dir", str(tmp_path / "data"))
        terminal.wait_for(_synced, what="the sync on launch to finish")
        terminal.quit_cleanly()
    assert watch.seen["supportmail"]
    assert watch.in_argv == {}
    assert secret_user.password not in terminal.screen(history=True)
    assert _files_holding(tmp_path, secret_user.password, skip=tmp_path / "vault") == []


def test_tui_reports_a_failing_password_command_by_exit_status_only(
    terminal: Terminal, secret_user: MailUser, tmp_path: Path
) -> None:
    script = tmp_path / "failing-password"
    script.write_text(
        f"#!/bin/sh\necho {FAILING_OUTPUT}\necho {FAILING_OUTPUT} >&2\nexit 3\n", encoding="utf-8"
    )
    script.chmod(0o700)
    config = _config(tmp_path / "config.toml", secret_user, f'password_command = "{script}"')
    terminal.start("--config", str(config), "--data-dir", str(tmp_path / "data"))
    terminal.wait_for(lambda s: "exit status 3" in status(s), what="the password error")
    terminal.quit_cleanly()
    assert FAILING_OUTPUT not in terminal.screen(history=True)
