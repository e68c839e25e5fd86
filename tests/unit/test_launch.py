"""The entry point starts with the cyclic garbage collector off; it is back on for a command
at once (for ``sync`` when it ends) and for the terminal UI after its first frame
(``tui.launch``, ``tui.app``)."""

from __future__ import annotations

import gc
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from supportmail.tui import cli
from supportmail.tui.app import _settle_garbage_collector

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def collector_off() -> Iterator[None]:
    threshold = gc.get_threshold()
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
        gc.unfreeze()
        gc.set_threshold(*threshold)


@pytest.mark.usefixtures("collector_off")
def test_a_command_turns_the_collector_back_on(tmp_path: Path) -> None:
    config = tmp_path / "none.toml"
    code = cli.run(
        ["--config", str(config), "--data-dir", str(tmp_path), "--account", "demo", "tags"]
    )
    assert code == 0
    assert gc.isenabled()


@pytest.mark.usefixtures("collector_off")
def test_a_sync_runs_with_the_collector_off_and_turns_it_on_after(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[bool] = []

    def sync(*_args: object) -> int:
        seen.append(gc.isenabled())
        return 0

    monkeypatch.setitem(cli.COMMANDS, "sync", sync)
    gc.enable()
    config = tmp_path / "none.toml"
    code = cli.run(
        ["--config", str(config), "--data-dir", str(tmp_path), "--account", "demo", "sync"]
    )
    assert (code, seen) == (0, [False])
    assert gc.isenabled()


@pytest.mark.usefixtures("collector_off")
def test_the_first_frame_turns_the_collector_back_on() -> None:
    _settle_garbage_collector()
    assert gc.isenabled()
    assert gc.get_freeze_count() > 0


def test_the_launcher_runs_commands_with_the_collector_on(tmp_path: Path) -> None:
    probe = (
        "import gc, sys\n"
        "from supportmail.tui import cli, launch\n"
        "real = cli.COMMANDS['tags']\n"
        "def tags(*args):\n"
        "    print('collector', gc.isenabled())\n"
        "    return real(*args)\n"
        "cli.COMMANDS['tags'] = tags\n"
        "config, data = sys.argv[1:]\n"
        "sys.argv = ['supportmail', '--config', config, '--data-dir', data]\n"
        "sys.argv += ['--account', 'demo', 'tags']\n"
        "launch.main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, str(tmp_path / "none.toml"), str(tmp_path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "collector True" in done.stdout
