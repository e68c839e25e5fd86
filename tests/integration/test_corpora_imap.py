"""Every message of the real-world corpora, through a real IMAP server: lists and shows cleanly.

The corpora live in ../shared/corpora (notmuch's test corpus and CPython's email test data). Each
message is appended to Dovecot, synced, listed, shown as JSON and as sanitised text, and no
\\Seen flag appears on the server afterwards.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import sys
from pathlib import Path
from typing import Any

import pytest

from supportmail.storage.mime import is_synthetic, parse_envelope
from supportmail.storage.sanitize import has_unsafe
from supportmail.tui.cli import run

pytestmark = pytest.mark.dovecot

CORPORA = Path(__file__).resolve().parents[2].parent / "shared" / "corpora"


def corpus_files() -> list[Path]:
    if not CORPORA.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"corpora missing at {CORPORA} (required under CI=true)")
        pytest.skip(f"corpora not found at {CORPORA}: clone the project beside ../shared")
    skip = {"README.md", "LICENSE", "LICENSE-PSF.txt"}
    return sorted(
        p
        for p in CORPORA.rglob("*")
        if p.is_file()
        and p.name not in skip
        and not p.name.startswith("LICENSE")
        and p.suffix != ".md"
    )


def _run(config: Path, data: Path, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    real = sys.stderr
    sys.stderr = err
    try:
        code = run(["--config", str(config), "--data-dir", str(data), *args], out)
    finally:
        sys.stderr = real
    return code, out.getvalue(), err.getvalue()


def test_every_corpus_message_lists_and_shows(
    mail_user: Any, account_config: Path, tmp_path: Path
) -> None:
    files = corpus_files()
    assert len(files) > 300
    for path in files:
        mail_user.append("INBOX", path.read_bytes())
    data = tmp_path / "data"
    code, out, err = _run(account_config, data, "sync")
    assert code == 0, err
    code, out, err = _run(account_config, data, "threads", "--json")
    assert code == 0, err
    threads = json.loads(out)
    # Byte-identical copies (notmuch's corpus has 35) collapse into one message; every other
    # file is a message of its own, even when it shares a Message-ID (see storage.copies).
    distinct = {
        hashlib.sha256(data).digest() if not is_synthetic(parse_envelope(data).message_id) else p
        for p in files
        for data in [p.read_bytes()]
    }
    assert sum(t["messages"] for t in threads) == len(distinct)
    code, human, err = _run(account_config, data, "threads")
    assert code == 0 and not has_unsafe(human.replace("\n", " "))
    for t in threads:
        code, out, err = _run(account_config, data, "show", t["id"], "--json")
        assert code == 0, (t["subject"], err)
        shown = json.loads(out)
        assert len(shown["messages"]) >= 1
        assert all(m["body_loaded"] for m in shown["messages"])
        code, human, err = _run(account_config, data, "show", t["id"])
        assert code == 0, err
        assert not has_unsafe(human, body=True), t["subject"]
    assert all("\\Seen" not in f for f in mail_user.flags("INBOX").values())
