"""The real-world fixture corpus (tests/corpus/realworld) through Dovecot: every distinct message
is listed, shown and counted the same way (issue 13, items 1 and 2).

The corpus holds real cases of both: php-mime-mail-parser's fixtures reuse Message-IDs across
different messages (m0011/m0012, issue158a/b/c, ...), and many mime4j fixtures have no
Message-ID and equal headers (basic-plain*.msg, multi-simple/multi-clen/multi-badnames.msg).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from supportmail.storage.mime import is_synthetic, parse_envelope
from tests.integration.test_cli_sync import Cli

pytestmark = pytest.mark.dovecot

ROOT = Path(__file__).resolve().parents[1] / "corpus" / "realworld"
NOT_MAIL = {"LICENSE", "NOTICE", "README.md", "expectations.json"}


def corpus() -> list[Path]:
    return sorted(p for p in ROOT.rglob("*") if p.is_file() and p.name not in NOT_MAIL)


def _shown_ids(cli: Cli) -> list[str]:
    ids: list[str] = []
    for row in cli.json("threads"):
        shown = cli.json("show", row["id"])
        assert len(shown["messages"]) == row["messages"], row["subject"]
        ids.extend(m["message_id"] for m in shown["messages"])
    return ids


def test_every_distinct_message_is_listed_shown_and_counted(
    mail_user: Any, account_config: Path, tmp_path: Path
) -> None:
    files = corpus()
    for path in files:
        mail_user.append("INBOX", path.read_bytes())
    cli = Cli(account_config, tmp_path / "data")
    cli("sync")
    rows = cli.json("threads")
    assert sum(row["messages"] for row in rows) == len(files)
    ids = _shown_ids(cli)
    assert len(ids) == len(files)
    # No Message-ID: each message has its own synthetic id, unique per (folder, UID, ...).
    synthetic = [i for i in ids if is_synthetic(i)]
    assert len(synthetic) == len(set(synthetic)) >= 30
    # A fresh sync of the same mailbox gives the same ids (threads and notes key on them).
    again = Cli(account_config, tmp_path / "again")
    again("sync")
    assert sorted(_shown_ids(again)) == sorted(ids)


def test_messages_sharing_a_message_id_are_all_shown(
    mail_user: Any, account_config: Path, tmp_path: Path
) -> None:
    names = ["m0011", "m0012", "issue158a", "issue158b", "issue158c"]
    for name in names:
        mail_user.append("INBOX", (ROOT / "php-mime-mail-parser" / name).read_bytes())
    cli = Cli(account_config, tmp_path / "data")
    cli("sync")
    rows = cli.json("threads")
    assert sorted(row["messages"] for row in rows) == [2, 3]
    assert len(_shown_ids(cli)) == 5
    # Each shows its own text (the body mirror copies a body only to copies of one message).
    texts = {
        " ".join(m["text"].split())[:40]
        for row in rows
        for m in cli.json("show", row["id"])["messages"]
    }
    assert len(texts) == 4, texts  # m0011 and m0012 differ in a header, not in their text
    assert any(t.startswith("A text/plain response to an REC822") for t in texts)


def test_a_byte_identical_copy_collapses(
    mail_user: Any, account_config: Path, tmp_path: Path
) -> None:
    raw = (ROOT / "php-mime-mail-parser" / "m0011").read_bytes()
    assert not is_synthetic(parse_envelope(raw).message_id)
    mail_user.append("INBOX", raw)
    mail_user.append("INBOX", raw)
    cli = Cli(account_config, tmp_path / "data")
    cli("sync")
    [row] = cli.json("threads")
    assert row["messages"] == 1
    assert len(cli.json("show", row["id"])["messages"]) == 1


def test_sync_exits_3_when_a_configured_folder_is_missing(
    mail_user: Any, account_config: Path, tmp_path: Path
) -> None:
    """Issue 13 item 9: scripts can tell; the summary line is still printed, with the name the
    server has (found by NAMESPACE and LIST; here a case difference on Dovecot)."""
    mail_user.create_folder("Archive")
    mail_user.append("INBOX", (ROOT / "php-mime-mail-parser" / "m0011").read_bytes())
    text = account_config.read_text().replace(
        'folders = ["INBOX"]', 'folders = ["INBOX", "archive"]'
    )
    account_config.write_text(text)
    cli = Cli(account_config, tmp_path / "data")
    code, out, err = cli("sync", ok=False)
    assert code == 3, err
    [line] = out.splitlines()
    assert "1 new" in line
    assert 'folder not found on server: archive (archive: did you mean "Archive"?)' in line
    assert cli.json("threads")[0]["messages"] == 1
