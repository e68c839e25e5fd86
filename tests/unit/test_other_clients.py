"""The pure parts of ``tests/bench/other_clients.py``: config rendering and failure reporting."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest

from tests.bench import other_clients as oc

ACCOUNT = oc.Account("127.0.0.1", 14300, "team@example.test", 'pa"ss$`\\word', "Support")


@pytest.fixture
def dirs(tmp_path: Path) -> oc.Dirs:
    return oc.Dirs(tmp_path / "client")


def test_aerc_uses_plaintext_imap_a_header_cache_and_a_password_command(dirs: oc.Dirs) -> None:
    files = oc.aerc_files(ACCOUNT, dirs)
    accounts = files[dirs.config / "aerc" / "accounts.conf"]
    assert "source = imap+insecure://team%40example.test@127.0.0.1:14300\n" in accounts
    assert "cache-headers = true\n" in accounts
    assert "default = Support\n" in accounts
    assert f"source-cred-cmd = cat {dirs.password_file}\n" in accounts
    assert ACCOUNT.password not in "".join(files.values())
    assert "q = :quit<Enter>" in files[dirs.config / "aerc" / "binds.conf"]


def test_neomutt_escapes_strings_and_keeps_its_caches_under_the_client_dir(dirs: oc.Dirs) -> None:
    muttrc = oc.neomutt_files(ACCOUNT, dirs)[dirs.config / "neomutt" / "neomuttrc"]
    assert 'set imap_pass = "pa\\"ss\\$\\`\\\\word"\n' in muttrc
    assert 'set folder = "imap://team%40example.test@127.0.0.1:14300/"\n' in muttrc
    assert 'set spoolfile = "+Support"\n' in muttrc
    assert f'set header_cache = "{dirs.cache}/neomutt/headers/"\n' in muttrc
    assert "set ssl_starttls = no\n" in muttrc
    assert "set sort = reverse-date\n" in muttrc
    assert oc.client_argv("neomutt", dirs)[:3] == ["neomutt", "-n", "-F"]


def test_prepare_writes_private_files_and_empties_the_cache(dirs: oc.Dirs) -> None:
    oc.prepare("aerc", ACCOUNT, dirs)
    stale = dirs.cache / "aerc" / "bench" / "CURRENT"
    stale.parent.mkdir(parents=True)
    stale.write_text("x")
    oc.empty_cache("aerc", dirs)
    assert not stale.exists() and (dirs.cache / "aerc").is_dir()
    assert dirs.password_file.read_text() == ACCOUNT.password
    assert (dirs.config / "aerc" / "accounts.conf").stat().st_mode & 0o777 == 0o600
    assert set(dirs.env()) >= {"HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_RUNTIME_DIR"}


def test_a_missing_or_unknown_client_gives_runs_without_seconds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    kwargs: dict[str, Any] = {
        "host": "127.0.0.1",
        "port": 1,
        "username": "u",
        "password": "p",
        "subject": "S",
    }
    unknown = oc.measure("mutt", workdir=tmp_path, runs=2, **kwargs)
    assert [(r.mode, r.seconds) for r in unknown] == [
        ("cold", None),
        ("warm", None),
        ("warm", None),
    ]
    monkeypatch.setattr(oc, "client_version", lambda _name: None)
    missing = oc.measure("aerc", workdir=tmp_path, **kwargs)
    assert missing[0].seconds is None and "not installed" in missing[0].note


def test_summary_lines_show_failures_and_medians() -> None:
    runs = [
        oc.ClientRun("aerc", "cold", 0.5, 40.0, "aerc 0.14.0"),
        oc.ClientRun("aerc", "warm", 0.3, 41.0, "aerc 0.14.0"),
        oc.ClientRun("aerc", "warm", None, None, "not visible after 5 s: Connecting..."),
    ]
    lines = oc.summary_lines(runs)
    assert "not visible after 5 s" in lines[3]
    assert lines[-1].startswith("aerc     warm median 0.30 s of 1/2, peak RSS max 41 MiB")


def test_last_words_squeezes_the_screen_into_one_line() -> None:
    screen = "\n  Connecting   to server  \n\n" + oc.EXIT_MARK + "1\n"
    assert oc._last_words(screen) == "Connecting to server"
    assert oc._last_words("\n\n") == "(blank screen)"


def test_a_workdir_that_cannot_be_written_gives_runs_without_seconds() -> None:
    # A short path: under pytest-xdist tmp_path is long enough that aerc's socket-path budget
    # sends the client root to a fresh temp dir, which can be written.
    short = Path(tempfile.mkdtemp(prefix="oc-"))
    blocker = short / "file"
    blocker.write_text("not a directory")
    try:
        _measure_and_check(blocker)
    finally:
        shutil.rmtree(short, ignore_errors=True)


def _measure_and_check(blocker: Path) -> None:
    runs = oc.measure(
        "neomutt",
        host="127.0.0.1",
        port=1,
        username="u",
        password="p",
        subject="S",
        workdir=blocker,
    )
    assert [r.seconds for r in runs] == [None, None]
    assert runs[0].note.startswith(("NotADirectoryError", "FileExistsError"))
