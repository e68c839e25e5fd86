"""Secrets and file safety, against a real Dovecot: what the app writes, and where the password
never goes.

- Every file the app writes in its data directory is mode 0600, every directory 0700.
- The password appears in no file the app writes (cache, userdb, backups, locks), and in no line
  it prints, even when the login fails.
"""

from __future__ import annotations

import io
import stat
import sys
from pathlib import Path
from typing import Any

import pytest

from supportmail.tui.cli import run
from tests.mailgen import support_mailbox

pytestmark = pytest.mark.dovecot


def _cli(config: Path, data: Path, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    real = sys.stderr
    sys.stderr = err
    try:
        code = run(["--config", str(config), "--data-dir", str(data), *args], out)
    finally:
        sys.stderr = real
    return code, out.getvalue(), err.getvalue()


def _use_everything(mail_user: Any, config: Path, data: Path) -> None:
    for m in support_mailbox(5):
        if m.folder == "INBOX":
            mail_user.append("INBOX", m.raw)
    assert _cli(config, data, "sync")[0] == 0
    code, out, _ = _cli(config, data, "threads", "--json")
    assert code == 0
    tid = out.split('"id": "')[1].split('"')[0]
    assert _cli(config, data, "show", tid)[0] == 0
    assert _cli(config, data, "tag", tid, "+team:billing")[0] == 0
    assert _cli(config, data, "note", tid, "private words")[0] == 0
    assert _cli(config, data, "sync")[0] == 0


def test_files_are_0600_in_0700_directories(
    mail_user: Any, account_config: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    _use_everything(mail_user, account_config, data)
    seen = 0
    for path in [data, *data.rglob("*")]:
        mode = stat.S_IMODE(path.stat().st_mode)
        if path.is_dir():
            assert mode == 0o700, f"{path}: {oct(mode)}"
        else:
            assert mode == 0o600, f"{path}: {oct(mode)}"
            seen += 1
    assert seen >= 3  # cache, userdb, its backup at least


def test_the_password_is_written_nowhere_and_printed_nowhere(
    mail_user: Any, account_config: Path, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    _use_everything(mail_user, account_config, data)
    secret = mail_user.password.encode()
    for path in data.rglob("*"):
        if path.is_file():
            assert secret not in path.read_bytes(), f"password found in {path}"
    # A wrong password: the error line names the user, never the password tried.
    wrong = tmp_path / "wrong.toml"
    wrong.write_text(
        account_config.read_text(encoding="utf-8").replace(
            f"printf {mail_user.password}", "printf hunter2-not-it"
        ),
        encoding="utf-8",
    )
    code, out, err = _cli(wrong, tmp_path / "other", "sync")
    assert code == 1 and err.count("\n") == 1
    assert "hunter2" not in out + err and mail_user.password not in out + err
