"""Local-file faults through the real CLI: a damaged ``userdb.json`` and a full disk.

- A truncated or garbage ``userdb.json`` is moved aside (``userdb.json.corrupt-<time>``, holding
  exactly the damaged bytes), ``userdb.json.bak`` is restored (its notes are there again) and the
  user is told in exactly one stderr line; the command itself still works (exit 0).
- A full disk while saving a note (a real tmpfs, filled up): exit status 1, one stderr line, no
  traceback, and the previous note is intact afterwards, whether the disk is completely full (the
  cache cannot even open) or almost full (the new ``userdb.json`` does not fit).

The demo account (``--account demo``) is used: no server is needed. The full-disk tests mount a
tmpfs and so need root (``tests/faults/tmpfs.py``: skipped loudly otherwise, failed under CI).
"""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from supportmail.storage.service import Service
from supportmail.storage.user.db import UserDB
from supportmail.tui.cli import run
from tests.faults.tmpfs import fill, free_bytes, mounted_tmpfs

ROOT = Path(__file__).resolve().parents[2]
USERDB = Path("demo") / "userdb.json"


@pytest.fixture(scope="module")
def demo_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory holding the loaded demo mailbox (built once per module)."""
    root = tmp_path_factory.mktemp("demo-template")
    Service.open_demo(root).close()
    return root


def _cli(data: Path, *args: str) -> tuple[int, str, str]:
    """The CLI in this process (fast); stderr captured."""
    out, err = io.StringIO(), io.StringIO()
    real = sys.stderr
    sys.stderr = err
    try:
        code = run(["--data-dir", str(data), "--account", "demo", *args], out)
    finally:
        sys.stderr = real
    return code, out.getvalue(), err.getvalue()


def _cli_process(data: Path, *args: str) -> tuple[int, str, str]:
    """The real ``supportmail`` as a subprocess: a traceback would show on its stderr."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "supportmail.tui",
            "--data-dir",
            str(data),
            "--account",
            "demo",
            *args,
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return done.returncode, done.stdout, done.stderr


def _two_threads(data: Path) -> tuple[str, str]:
    code, out, _ = _cli(data, "threads", "--limit", "2", "--json")
    assert code == 0
    first, second = (t["id"] for t in json.loads(out))
    return first, second


# ---------------------------------------------------------------------------------------------
# A damaged userdb.json
# ---------------------------------------------------------------------------------------------


def _truncated(raw: bytes) -> bytes:
    return raw[: len(raw) // 2]


def _garbage(raw: bytes) -> bytes:
    return b"\x00\xff garbage \x1b[2J" * 40


@pytest.mark.parametrize("damage", [_truncated, _garbage], ids=["truncated", "garbage"])
def test_damaged_userdb_is_moved_aside_and_the_backup_restored(
    demo_template: Path, tmp_path: Path, damage: Callable[[bytes], bytes]
) -> None:
    data = tmp_path / "data"
    shutil.copytree(demo_template, data)
    first, second = _two_threads(data)
    assert _cli(data, "note", first, "first note")[0] == 0
    assert _cli(data, "note", second, "second note")[0] == 0
    db = data / USERDB
    backup = db.with_name("userdb.json.bak").read_bytes()  # one write behind: both notes
    damaged = damage(db.read_bytes())
    db.write_bytes(damaged)

    code, out, err = _cli(data, "note", first, "--show")
    assert (code, out) == (0, "first note\n")
    assert err.count("\n") == 1, err
    assert err.startswith(f"supportmail: {db} was damaged; moved it to userdb.json.corrupt-")
    assert err.endswith(" and restored userdb.json.bak\n")
    aside = sorted(db.parent.glob("userdb.json.corrupt-*"))
    assert len(aside) == 1 and aside[0].name in err
    assert aside[0].read_bytes() == damaged
    assert json.loads(db.read_bytes()) == json.loads(backup)

    code, out, err = _cli(data, "note", second, "--show")
    assert (code, out, err) == (0, "second note\n", "")  # told once, not on every command


# ---------------------------------------------------------------------------------------------
# A full disk while saving a note
# ---------------------------------------------------------------------------------------------


@pytest.fixture
def full_disk_data(demo_template: Path, tmp_path: Path) -> Iterator[Path]:
    """The demo data directory on a private 16 MiB tmpfs (the demo cache takes about 7)."""
    with mounted_tmpfs(tmp_path / "disk") as mount:
        shutil.copytree(demo_template, mount, dirs_exist_ok=True)
        yield mount


def _assert_one_clean_line(err: str) -> None:
    assert err.count("\n") == 1, err
    assert err.startswith("supportmail: ") and "Traceback" not in err


def test_note_on_an_almost_full_disk_fails_in_one_line_and_keeps_the_previous_note(
    full_disk_data: Path,
) -> None:
    data = full_disk_data
    thread, _ = _two_threads(data)
    assert _cli_process(data, "note", thread, "the previous note")[0] == 0
    with UserDB(data / USERDB) as db:  # other notes make the file ~1 MiB, more than is left
        for n in range(40):
            db.set_note("demo", f"<padding-{n}@example.com>", f"{n} " + "x" * 25_000)
    before = (data / USERDB).read_bytes()
    filler = fill(data, leave=512 * 1024)  # enough for the cache to open, not for the userdb
    assert free_bytes(data) < len(before)

    code, out, err = _cli_process(data, "note", thread, "the new note")
    assert (code, out) == (1, "")
    _assert_one_clean_line(err)
    assert err == (
        f"supportmail: note not saved: cannot save {data / USERDB}: No space left on device\n"
    )
    assert (data / USERDB).read_bytes() == before
    assert not list((data / "demo").glob("*.tmp-*"))

    filler.unlink()
    assert _cli_process(data, "note", thread, "--show")[1] == "the previous note\n"
    assert _cli_process(data, "note", thread, "the new note")[0] == 0
    assert _cli_process(data, "note", thread, "--show")[1] == "the new note\n"


def test_note_on_a_completely_full_disk_fails_in_one_line_and_keeps_the_previous_note(
    full_disk_data: Path,
) -> None:
    data = full_disk_data
    thread, _ = _two_threads(data)
    assert _cli_process(data, "note", thread, "the previous note")[0] == 0
    before = (data / USERDB).read_bytes()
    filler = fill(data)
    assert free_bytes(data) == 0

    code, out, err = _cli_process(data, "note", thread, "the new note")
    assert (code, out) == (1, "")
    _assert_one_clean_line(err)
    # the cache cannot open (sqlite says "disk is full" or "disk I/O error"): nothing attempted
    assert "disk is full" in err or "disk I/O error" in err
    assert (data / USERDB).read_bytes() == before

    filler.unlink()
    assert _cli_process(data, "note", thread, "--show")[1] == "the previous note\n"


def test_a_full_disk_does_not_delete_the_cache(full_disk_data: Path) -> None:
    data = full_disk_data
    cache = data / "demo" / "cache.sqlite3"
    size = cache.stat().st_size
    filler = fill(data)
    assert _cli_process(data, "threads", "--limit", "1")[0] == 1
    filler.unlink()
    assert cache.stat().st_size == size
