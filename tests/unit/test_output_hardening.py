"""Output hardening: JSON printed to a terminal cannot drive it; data directories are private."""

from __future__ import annotations

import io
import json
import stat
from pathlib import Path

import pytest

from supportmail.storage.private import private_dir
from supportmail.storage.sanitize import escape_json_controls
from supportmail.storage.service import Service
from supportmail.tui.cli.output import dump_json

HOSTILE = "a\x85b\x9b2Jc\u202eevil\u2066d\u2028e\x7ff\x1b[31m"


def test_json_escapes_c1_bidi_and_separators_but_keeps_the_value() -> None:
    out = io.StringIO()
    dump_json({"subject": HOSTILE, "name": "Zoë 张伟"}, out)
    text = out.getvalue()
    for raw in ("\x85", "\x9b", "\u202e", "\u2066", "\u2028", "\x7f", "\x1b"):
        assert raw not in text
    assert "\\u0085" in text and "\\u202e" in text and "\\u001b" in text
    assert "Zoë 张伟" in text  # readable non-ASCII stays readable
    assert json.loads(text) == {"subject": HOSTILE, "name": "Zoë 张伟"}


def test_escape_leaves_clean_documents_alone() -> None:
    document = json.dumps({"a": "plain ü"}, ensure_ascii=False)
    assert escape_json_controls(document) is document


def test_a_loose_data_dir_is_tightened(tmp_path: Path) -> None:
    base = tmp_path / "data"
    account = base / "support"
    account.mkdir(parents=True)
    base.chmod(0o755)
    account.chmod(0o777)
    Service(account="support", data_dir=account, folders=["INBOX"], connector=None).close()
    assert stat.S_IMODE(base.stat().st_mode) == 0o700
    assert stat.S_IMODE(account.stat().st_mode) == 0o700


def test_private_dir_creates_missing_parents(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b"
    private_dir(target)
    assert stat.S_IMODE(target.stat().st_mode) == 0o700


@pytest.mark.parametrize("mode", [0o700, 0o750])
def test_private_dir_keeps_or_tightens(tmp_path: Path, mode: int) -> None:
    target = tmp_path / "d"
    target.mkdir(mode=mode)
    target.chmod(mode)
    private_dir(target)
    assert stat.S_IMODE(target.stat().st_mode) == 0o700
