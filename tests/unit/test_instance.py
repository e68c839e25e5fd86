"""One TUI window per account: ``storage.instance.WindowLock`` and the refusal at launch.

The lock is a non-blocking ``flock`` held by the TUI process, so the tests use real processes:
a holder in a subprocess refuses this process (with the holder's pid in the message), a holder
killed with SIGKILL leaves no lock behind, and ``supportmail`` / ``supportmail demo`` launched on a
held data directory exit 1 with exactly one line on stderr, before any window opens. CLI
commands keep working next to a window.
"""

from __future__ import annotations

import os
import signal
import stat
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from supportmail.storage.instance import LOCK_FILE, WindowBusy, WindowLock
from supportmail.storage.service import Service, ServiceError

ROOT = Path(__file__).resolve().parents[2]
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}

HOLDER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from supportmail.storage.instance import WindowLock
    lock = WindowLock(Path(sys.argv[1]))
    lock.acquire()
    print("held", flush=True)
    sys.stdin.readline()  # hold until the test closes stdin (or kills us)
    """
)


@contextmanager
def holder(directory: Path) -> Iterator[subprocess.Popen[str]]:
    """A separate process holding the window lock on ``directory`` until the block ends."""
    directory.mkdir(parents=True, exist_ok=True)
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(directory)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        env=ENV,
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "held"
        yield proc
    finally:
        if proc.poll() is None:
            assert proc.stdin is not None
            proc.stdin.close()
            proc.wait(timeout=30)


def test_the_lock_file_is_private_and_names_the_holder(tmp_path: Path) -> None:
    lock = WindowLock(tmp_path)
    with lock:
        assert lock.held
        path = tmp_path / LOCK_FILE
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert path.read_text() == f"{os.getpid()}\n"
    assert not lock.held
    assert path.read_text() == ""  # released: nobody named
    with WindowLock(tmp_path):  # and free again
        pass


def test_a_second_lock_in_the_same_process_is_refused(tmp_path: Path) -> None:
    with WindowLock(tmp_path), pytest.raises(WindowBusy) as info:
        WindowLock(tmp_path).acquire()
    assert info.value.pid == os.getpid()
    assert str(info.value) == (
        f"another supportmail window is already open on {tmp_path} (pid {os.getpid()}); "
        "close it first"
    )


def test_another_process_holding_the_lock_refuses_this_one(tmp_path: Path) -> None:
    with holder(tmp_path) as proc:
        with pytest.raises(WindowBusy) as info:
            WindowLock(tmp_path).acquire()
        assert info.value.pid == proc.pid
        assert f"(pid {proc.pid})" in str(info.value)
    with WindowLock(tmp_path) as lock:  # the holder ended: free
        assert lock.held


def test_a_killed_holder_leaves_no_lock_behind(tmp_path: Path) -> None:
    with holder(tmp_path) as proc:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        assert (tmp_path / LOCK_FILE).read_text() == f"{proc.pid}\n"  # the stale pid stays
        with WindowLock(tmp_path) as lock:  # but the kernel dropped the flock with the process
            assert lock.held
            assert (tmp_path / LOCK_FILE).read_text() == f"{os.getpid()}\n"


def _service(data: Path) -> Service:
    return Service(account="support", data_dir=data / "support", folders=(), connector=None)


def test_service_claim_window_refuses_a_second_window_and_close_releases(
    tmp_path: Path,
) -> None:
    with _service(tmp_path) as first, _service(tmp_path) as second:
        first.claim_window()
        first.claim_window()  # idempotent
        with pytest.raises(ServiceError, match=r"already open on .*support \(pid \d+\); close"):
            second.claim_window()
        assert second.notes() == []  # the data dir stays usable for everything else
        first.close()
        second.claim_window()


# -- the launch path: `supportmail` and `supportmail demo` ------------------------------------


def _launch(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "supportmail.tui", *args],
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        env=ENV,
        timeout=120,
    )


def test_demo_window_on_a_held_data_dir_exits_1_with_one_line(tmp_path: Path) -> None:
    data = tmp_path / "data"
    with holder(data / "demo") as proc:
        done = _launch("--data-dir", str(data), "demo")
        assert done.returncode == 1, done.stderr
        assert done.stdout == ""
        assert done.stderr == (
            f"supportmail: another supportmail window is already open on {data / 'demo'} "
            f"(pid {proc.pid}); close it first\n"
        )
        # CLI commands stay allowed next to the window
        cli = _launch("--data-dir", str(data), "--account", "demo", "notes", "--orphans")
        assert cli.returncode == 0, cli.stderr
        assert cli.stdout == "" and cli.stderr == ""  # no unmatched notes, no terminal


def test_account_window_on_a_held_data_dir_exits_1_before_connecting(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        '[accounts.support]\nhost = "127.0.0.1"\nport = 1\ntls = "none"\n'
        'username = "support"\npassword_command = "false"\nfolders = ["INBOX"]\n',
        encoding="utf-8",
    )
    data = tmp_path / "data"
    with holder(data / "support") as proc:
        done = _launch("--config", str(config), "--data-dir", str(data))
    assert done.returncode == 1, done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0] == (
        f"supportmail: another supportmail window is already open on {data / 'support'} "
        f"(pid {proc.pid}); close it first"
    )


def test_the_window_without_a_terminal_exits_2_with_one_line(tmp_path: Path) -> None:
    """Redirected (or under cron) the window would write escape sequences to a file and wait for
    keys forever: it says what to do instead, writes nothing on stdout, and frees the window."""
    data = tmp_path / "data"
    done = _launch("--data-dir", str(data), "demo")
    assert done.returncode == 2, done.stderr
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1
    assert "needs a terminal" in done.stderr
    assert "supportmail threads --json" in done.stderr
    again = _launch("--data-dir", str(data), "demo")
    assert again.returncode == 2, again.stderr  # not "another window is open"
