"""``supportmail notes`` and ``Service.notes``: every note listed, unmatched ones kept and shown.

An unmatched note is one whose thread (root Message-ID) is not in the cache. These tests plant
such notes in the demo's userdb directly (as a UIDVALIDITY reset or an expunge leaves them; the
real server cases are in ``tests/faults/test_server_changes.py``) and check that listing never
deletes them, that ``note ID --show`` / ``--clear`` reach them, and that human output is
sanitised while ``--json`` keeps the decoded text.
"""

from __future__ import annotations

import io
import json
import shutil
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from supportmail.storage.service import Service
from supportmail.storage.threads import thread_id
from supportmail.tui.cli import run
from supportmail.tui.cli.notes import UNMATCHED_HEADING

NOW = datetime(2026, 11, 24, 10, 30, tzinfo=UTC)
GONE = "gone-1@customer.example"
HOSTILE = "evil\x1b]0;pwned\x07@customer.example"


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The demo mailbox loaded once; each test copies it."""
    root = tmp_path_factory.mktemp("demo")
    Service.open_demo(root, now=NOW).close()
    return root


@pytest.fixture
def data(template: Path, tmp_path: Path) -> Path:
    shutil.copytree(template, tmp_path / "data")
    return tmp_path / "data"


@pytest.fixture
def service(data: Path) -> Iterator[Service]:
    with Service.open_demo(data, now=NOW) as service:
        yield service


def cli(data: Path, *args: str) -> tuple[int, str, str]:
    out, err, real_err = io.StringIO(), io.StringIO(), sys.stderr
    sys.stderr = err
    try:
        code = run(["--data-dir", str(data), "--account", "demo", *args], out)
    finally:
        sys.stderr = real_err
    return code, out.getvalue(), err.getvalue()


def _plant(service: Service, root: str, text: str) -> None:
    service.userdb.set_note(service.account, root, text)


def test_notes_lists_every_note_with_thread_id_subject_and_first_line(
    service: Service, data: Path
) -> None:
    stored = service.userdb.notes(service.account)
    assert stored, "the demo ships notes"
    code, out, err = cli(data, "notes")
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert len(lines) == len(stored)
    assert UNMATCHED_HEADING not in out
    newest = service.notes()[0]
    assert lines[0].startswith(f"{newest.thread_id}  {newest.subject[:20]}")
    assert newest.text.splitlines()[0][:30] in lines[0]
    assert all(not e.orphan for e in service.notes())


def test_unmatched_notes_are_listed_after_the_others_and_never_deleted(
    service: Service, data: Path
) -> None:
    _plant(service, GONE, "Promised a refund on the phone\nSecond line stays in the note")
    orphans_before = service.orphan_notes()
    assert set(orphans_before) == {GONE}
    code, out, _ = cli(data, "notes")
    assert code == 0
    head, _, tail = out.partition(UNMATCHED_HEADING + "\n")
    assert tail == f"{thread_id(GONE)}  {'<' + GONE + '>':<48}  Promised a refund on the phone\n"
    assert head.endswith("\n\n") and GONE not in head
    code, out, _ = cli(data, "notes", "--orphans")
    assert code == 0
    assert out.splitlines() == [UNMATCHED_HEADING, tail.rstrip("\n")]
    assert service.orphan_notes() == orphans_before  # listing deletes nothing


def test_notes_json_marks_orphans_and_keeps_the_whole_text(service: Service, data: Path) -> None:
    _plant(service, GONE, "line one\nline two")
    code, out, _ = cli(data, "notes", "--json")
    assert code == 0
    entries: list[dict[str, Any]] = json.loads(out)
    assert len(entries) == len(service.userdb.notes(service.account))
    orphan = entries[-1]
    assert orphan == {
        "thread_id": thread_id(GONE),
        "root_message_id": GONE,
        "subject": None,
        "text": "line one\nline two",
        "orphan": True,
    }
    assert all(e["subject"] for e in entries[:-1]) and not any(e["orphan"] for e in entries[:-1])
    code, out, _ = cli(data, "notes", "--orphans", "--json")
    assert json.loads(out) == [orphan]


def test_an_unmatched_note_can_be_shown_and_cleared_by_its_id(service: Service, data: Path) -> None:
    _plant(service, GONE, "keep me")
    tid = thread_id(GONE)
    assert cli(data, "note", tid[:8], "--show")[1] == "keep me\n"
    assert cli(data, "note", f"<{GONE}>", "--show")[1] == "keep me\n"
    code, out, _ = cli(data, "note", tid, "--clear")
    assert code == 0 and out == "note cleared\n"
    assert service.orphan_notes() == {}
    code, _, err = cli(data, "note", tid, "--show")
    assert code == 1 and err.count("\n") == 1 and "no thread matches" in err


def test_human_output_is_sanitised_json_is_decoded(service: Service, data: Path) -> None:
    _plant(service, HOSTILE, "\x1b[2Jcleared your screen\u202e")
    code, out, _ = cli(data, "notes", "--orphans")
    assert code == 0
    assert "\x1b" not in out and "\x07" not in out and "\u202e" not in out
    assert "␛]0;pwned" in out and "␛[2Jcleared your screen" in out
    entry = json.loads(cli(data, "notes", "--orphans", "--json")[1])[0]
    assert entry["root_message_id"] == HOSTILE
    assert entry["text"] == "\x1b[2Jcleared your screen\u202e"


def test_no_notes_prints_no_row(service: Service, data: Path) -> None:
    """stdout stays empty (what a terminal's stderr is told: ``tests/unit/test_empty_lists.py``)."""
    assert cli(data, "notes", "--orphans") == (0, "", "")
    for root in service.userdb.notes(service.account):
        service.userdb.set_note(service.account, root, "")
    assert service.notes() == []
    assert cli(data, "notes") == (0, "", "")
    assert json.loads(cli(data, "notes", "--json")[1]) == []
