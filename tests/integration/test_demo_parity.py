"""Issue 12's "done when": a first plain ``sync`` of a real mailbox gives the same voice, digest,
skim and search as the demo gives, with no thread ever opened.

The demo's own mail (``storage.demo``) is appended to a real Dovecot account (INBOX and Sent, with
its flags and tag keywords), synced once with the CLI, and every insight output is compared with
the same call on the bundled demo over the same window."""

from __future__ import annotations

import io
import json
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from supportmail.storage.demo.account import DEMO_ADDRESS
from supportmail.storage.demo.generator import demo_messages
from supportmail.tui.cli import run
from tests.dovecot import MailUser

pytestmark = pytest.mark.dovecot

NOW = datetime.now(UTC).replace(microsecond=0)


def _cli(config: Path, data: Path, *args: str) -> str:
    out = io.StringIO()
    code = run(["--config", str(config), "--data-dir", str(data), *args], out)
    assert code == 0, args
    return out.getvalue()


def _seed_demo(user: MailUser) -> int:
    groups: dict[tuple[str, tuple[str, ...]], list[bytes]] = defaultdict(list)
    for message in demo_messages(NOW):
        groups[(message.folder, message.flags)].append(message.raw)
    user.create_folder("Sent")
    return sum(user.seed(folder, raws, flags) for (folder, flags), raws in groups.items())


@pytest.fixture
def synced(mail_user: MailUser, tmp_path: Path) -> tuple[Path, Path]:
    assert _seed_demo(mail_user) > 300
    config = tmp_path / "parity.toml"
    config.write_text(
        "[accounts.support]\n"
        f'host = "{mail_user.host}"\nport = {mail_user.port}\ntls = "none"\n'
        f'username = "{mail_user.username}"\npassword_command = "printf {mail_user.password}"\n'
        f'folders = ["INBOX", "Sent"]\naddress = "{DEMO_ADDRESS}"\n',
        encoding="utf-8",
    )
    data = tmp_path / "data"
    _cli(config, data, "sync")
    return config, data


def test_voice_digest_and_search_equal_the_demo(synced: tuple[Path, Path], tmp_path: Path) -> None:
    config, data = synced
    demo_data = tmp_path / "demo-data"
    from supportmail.storage.service import Service

    Service.open_demo(demo_data, NOW).close()  # the demo at the same moment
    since = (NOW - timedelta(days=92)).isoformat()

    def both(*args: str) -> tuple[Any, Any]:
        real = json.loads(_cli(config, data, *args))
        canned = json.loads(_cli(tmp_path / "none.toml", demo_data, "--account", "demo", *args))
        return real, canned

    real, canned = both("voice", "--since", since, "--format", "json")
    assert real["requests"], "no feature requests found"
    assert sum(len(r["quotes"]) for r in real["requests"]) > 0, "voice has no quotes"
    assert real["requests"] == canned["requests"]
    # Words only in message text (no subject has them), and one in subjects too.
    for word in ("browser", "screenshot", "workaround", "Firefox", "Gantt"):
        real_hits, demo_hits = both("threads", "--search", word, "--json")
        assert real_hits, word
        assert [t["id"] for t in real_hits] == [t["id"] for t in demo_hits], word
    digest_since = (NOW - timedelta(days=7)).isoformat()
    real, canned = both("digest", "--since", digest_since, "--format", "json")
    assert real["groups"] == canned["groups"]
