"""``tags rename`` / ``tags delete`` SIGKILLed at exact moments against the test Dovecot: the
outbox edits and the catalog change were written in one userdb batch, so after the kill either
nothing happened or a plain ``sync`` finishes the retagging on the server."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.command import supportmail_argv
from tests.dovecot import MailUser
from tests.faults.kill_rounds import ROOT, app_env, write_config
from tests.mailgen import support_mailbox

pytestmark = pytest.mark.dovecot

TAGGED = 4
"""INBOX messages (first UIDs) that carry the old tag on the server."""


def _cli(config: Path, data: Path, *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        supportmail_argv(config, data, *args),
        cwd=ROOT,
        env=app_env(),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, f"{args}: exit {done.returncode}\n{done.stderr}"
    return done


def _die_at(config: Path, data: Path, method: str, nth: int, *args: str) -> None:
    argv = [sys.executable, "-m", "tests.faults.die_at", method, str(nth)]
    argv += ["--config", str(config), "--data-dir", str(data), *args]
    done = subprocess.run(
        argv, cwd=ROOT, env=app_env(), capture_output=True, text=True, timeout=120
    )
    assert done.returncode == -signal.SIGKILL, f"never killed: {done.returncode}\n{done.stderr}"


def _setup(mail_user: MailUser, tmp_path: Path) -> tuple[Path, Path]:
    inbox = [m.raw for m in support_mailbox(8, replies=False) if m.folder == "INBOX"]
    mail_user.seed("INBOX", inbox)
    mail_user.create_folder("Sent")  # configured by write_config; a missing one makes sync exit 3
    mail_user.set_flags("INBOX", range(1, TAGGED + 1), ["category:old"])
    config = write_config(tmp_path / "catalog.toml", mail_user)
    data = tmp_path / "data"
    _cli(config, data, "sync")
    _cli(config, data, "tags", "set", "category:old", "--description", "the old name")
    return config, data


def _server_keywords(mail_user: MailUser) -> dict[int, set[str]]:
    return {uid: {f.lower() for f in flags} for uid, flags in mail_user.flags("INBOX").items()}


@pytest.mark.parametrize(
    ("method", "nth"),
    [
        ("apply_keyword", 1),  # the batch is durable, the cache not yet retagged
        ("locations", 3),  # in the middle of pushing the outbox
    ],
)
def test_rename_resumes_after_kill(
    method: str, nth: int, mail_user: MailUser, tmp_path: Path
) -> None:
    config, data = _setup(mail_user, tmp_path)
    _die_at(config, data, method, nth, "tags", "rename", "category:old", "category:new")
    _cli(config, data, "sync")
    keywords = _server_keywords(mail_user)
    for uid, flags in keywords.items():
        assert "category:old" not in flags, (uid, flags)
        assert ("category:new" in flags) == (uid <= TAGGED), (uid, flags)
    listed = _cli(config, data, "tags", "--json").stdout
    assert '"name": "category:new", "kind": "category", "keyword": "category:new", ' in listed
    assert '"description": "the old name"' in listed
    assert '"category:old"' not in listed
    threads = _cli(config, data, "threads", "--tag", "category:old").stdout
    assert threads == ""


def test_delete_resumes_after_kill(mail_user: MailUser, tmp_path: Path) -> None:
    config, data = _setup(mail_user, tmp_path)
    _die_at(config, data, "apply_keyword", 1, "tags", "delete", "category:old", "--yes")
    _cli(config, data, "sync")
    assert all("category:old" not in f for f in _server_keywords(mail_user).values())
    assert '"category:old"' not in _cli(config, data, "tags", "--json").stdout


def test_usage_errors_exit_2(mail_user: MailUser, tmp_path: Path) -> None:
    config = write_config(tmp_path / "usage.toml", mail_user)
    data = tmp_path / "data"
    for args in (
        ("tags", "set", "category:x", "--shortcut", "12"),
        ("tags", "set", "team:"),
        ("tags", "rename", "category:x", "Category:X"),
        ("tags", "rename", "category:x"),
        ("tags", "delete", "category:x"),  # no terminal, no --yes
        ("tags", "frobnicate"),
    ):
        done = subprocess.run(
            supportmail_argv(config, data, *args),
            cwd=ROOT,
            env=app_env(),
            capture_output=True,
            text=True,
            timeout=60,
            stdin=subprocess.DEVNULL,
        )
        assert done.returncode == 2, (args, done.stderr)
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr
