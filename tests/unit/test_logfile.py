"""The log file: a failure the user sees as one line has its traceback there."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

import pytest

from supportmail.tui import cli, logfile


@pytest.fixture
def log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "logs" / "supportmail.log"
    monkeypatch.setenv("SUPPORTMAIL_LOG", str(path))
    return path


def test_default_path_is_the_platform_log_dir(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SUPPORTMAIL_LOG", raising=False)
    assert logfile.log_path().name == "supportmail.log"
    assert "supportmail" in logfile.log_path().parts


def test_a_cli_failure_is_one_line_with_its_traceback_in_the_log(
    log: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.run(["--account", "demo", "show", "ffffffffffff"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no thread matches" in err
    text = log.read_text()
    assert "Traceback" in text and "ServiceError" in text
    assert stat.S_IMODE(log.stat().st_mode) == 0o600
    assert stat.S_IMODE(log.parent.stat().st_mode) == 0o700


def test_an_unexpected_error_names_the_log(
    log: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object) -> int:
        raise RuntimeError("boom")

    monkeypatch.setitem(cli.COMMANDS, "tags", broken)
    assert cli.run(["--account", "demo", "tags"]) == 1
    err = capsys.readouterr().err
    assert err == f"supportmail: unexpected error: boom (details: {log})\n"
    assert "RuntimeError: boom" in log.read_text()


def test_debug_raises_the_level(log: Path) -> None:
    assert cli.run(["--account", "demo", "--debug", "tags"]) == 0
    assert logging.getLogger(logfile.LOGGER).level == logging.DEBUG
    assert cli.run(["--account", "demo", "tags"]) == 0
    assert logging.getLogger(logfile.LOGGER).level == logging.INFO


def test_an_unwritable_log_never_stops_the_command(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    monkeypatch.setenv("SUPPORTMAIL_LOG", str(blocker / "sub" / "supportmail.log"))
    assert cli.run(["--account", "demo", "show", "ffffffffffff"]) == 1
    assert capsys.readouterr().err.count("\n") == 1


def test_a_tui_worker_failure_is_logged(log: Path) -> None:
    from supportmail.tui.controllers.base import error_text

    logfile.setup()
    try:
        raise OSError("disk on fire")
    except OSError as exc:
        assert error_text(exc) == "disk on fire"
    assert "OSError: disk on fire" in log.read_text()


def test_storage_modules_log_under_their_own_names(log: Path) -> None:
    logfile.setup()
    logging.getLogger("supportmail.storage.sync").warning("reconnecting to %s", "imap.example")
    assert "supportmail.storage.sync: reconnecting to imap.example" in log.read_text()


def test_a_library_warning_goes_to_the_log_not_stderr(log: Path) -> None:
    """imapclient warns when a server's reply is not ASCII (a localised NO, a hostile one):
    without a handler Python's last-resort handler printed it on stderr, beside the one line
    (and over the TUI's screen)."""
    assert cli.run(["--account", "demo", "--debug", "tags"]) == 0
    imapclient = logging.getLogger("imapclient.util")
    imapclient.warning("An error occurred while decoding %r", b"NO \xc3\xa9chec")
    imapclient.debug("> b'a1 LOGIN user secret'")  # protocol lines stay out, even with --debug
    text = log.read_text()
    assert "WARNING MainThread imapclient.util: An error occurred while decoding" in text
    assert "LOGIN" not in text
