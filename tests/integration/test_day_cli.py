"""``supportmail quote``, ``quotes`` and ``day`` end to end on the bundled demo (no server).

The CLI runs in-process for most tests, with ``sys.stdin`` replaced: a plain ``StringIO`` is "not
a terminal" (``day`` prints the queue and exits), a ``StringIO`` that says it is a tty drives the
interactive loop. One test runs the real program in a pseudo-terminal (``pty``) and types into
it. The demo is loaded once at the real time (the CLI's clock), and each test gets a copy.
"""

from __future__ import annotations

import io
import json
import os
import pty
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from supportmail.storage.models import Address
from supportmail.storage.service import Service, ServiceError
from supportmail.tui.cli import run

ROOT = Path(__file__).resolve().parents[2]
PTY_SECONDS = 60.0


class FakeTty(io.StringIO):
    """Typed lines on a 'terminal'."""

    def isatty(self) -> bool:
        return True


class DemoCli:
    """Runs the CLI in-process against one demo data directory."""

    def __init__(self, data: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        self.data = data
        self.monkeypatch = monkeypatch

    def __call__(self, *args: str, code: int = 0, stdin: io.StringIO | None = None) -> str:
        out, err = io.StringIO(), io.StringIO()
        self.monkeypatch.setattr(sys, "stdin", stdin or io.StringIO(""))
        self.monkeypatch.setattr(sys, "stderr", err)
        got = run(["--data-dir", str(self.data), "--account", "demo", *args], out)
        self.monkeypatch.undo()
        assert got == code, f"exit {got}: {err.getvalue()}"
        return out.getvalue() if code == 0 else err.getvalue()

    def json(self, *args: str) -> Any:
        return json.loads(self(*args))


@pytest.fixture(scope="module")
def template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("demo-data")
    Service.open_demo(data).close()
    return data


@pytest.fixture
def cli(template: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> DemoCli:
    data = tmp_path / "demo-data"
    shutil.copytree(template, data)
    return DemoCli(data, monkeypatch)


def _queue(cli: DemoCli) -> list[dict[str, Any]]:
    """Untagged threads, oldest first (the order ``day`` must use)."""
    threads = cli.json("threads", "--untagged", "--json")
    return sorted(threads, key=lambda t: (t["first_date"], t["id"]))


def _bare(cli: DemoCli) -> dict[str, Any]:
    return next(t for t in _queue(cli) if not t["tags"])


# --- quotes ------------------------------------------------------------------------------------


def test_quote_paragraph_list_save_and_remove(cli: DemoCli) -> None:
    thread = _bare(cli)["id"]
    listed = cli("quote", thread)
    heading, first_line = listed.splitlines()[:2]
    assert heading.startswith("message 1 from ") and heading.endswith(">:")
    assert "plotline.example" not in heading
    assert first_line.startswith(" 1  ") and "--paragraph N" in listed
    first_paragraph = first_line[4:]
    saved = cli("quote", thread, "--paragraph", "1")
    assert saved.startswith("saved quote 1 (private): ")
    assert f'"{first_paragraph}" — ' in saved and f"(thread {thread})" in saved
    cli("quote", thread, "--message", "1", "Our own   words")
    quotes = cli.json("quotes", thread, "--json")
    assert [q["id"] for q in quotes] == [1, 2]
    assert quotes[1]["text"] == "Our own words" and quotes[1]["thread_id"] == thread
    assert set(quotes[0]) == {
        "id", "thread_id", "root_message_id", "message_id", "text", "from", "company", "date",
        "saved",
    }  # fmt: skip
    table = cli("quotes")
    assert table.splitlines()[1].startswith('   2  "Our own words" — ')
    assert cli("quote", "--remove", "1") == "quote 1 removed\n"
    assert [q["id"] for q in cli.json("quotes", "--json")] == [2]


def test_quotes_walk_only_customers_messages(template: Path, cli: DemoCli) -> None:
    """Agents answer from their own plotline.example addresses: they are the team, so the
    TUI's paragraph walk skips them and `quote THREAD` lists the customer's message."""
    service = Service.open_demo(template)
    try:
        assert service.is_team_address(Address("Jonas", "jonas@plotline.example"))
        assert service.is_team_address(Address("", "SUPPORT@plotline.example"))
        assert not service.is_team_address(Address("Farah", "farah@gmail.com"))
        # A thread whose only customer joins the team has no customer message left to quote.
        summary = next(t for t in service.list_threads() if t.messages == 1)
        customer = service.thread(summary.id).messages[0].sender.addr
        service.team_addresses = service.team_addresses | {customer.lower()}
        assert service.is_team_address(Address("", customer))
        with pytest.raises(ServiceError, match="no message from a customer: name one"):
            service.customer_paragraphs(summary.id)
        assert service.customer_paragraphs(summary.id, "1") is not None
    finally:
        service.close()
    thread = next(t for t in cli.json("threads", "--json") if t["messages"] >= 3)["id"]
    listed = cli("quote", thread, "--message", "2")
    assert listed.startswith("message 2 from ") and "plotline.example>:" in listed
    assert "All the best" not in listed and not any(
        line.strip().endswith(",") for line in listed.splitlines()
    )
    assert "plotline.example" not in cli("quote", thread).splitlines()[0]


def test_quote_mistakes_are_one_line(cli: DemoCli) -> None:
    thread = _bare(cli)["id"]
    for args, code in (
        (("quote", thread, "--paragraph", "99"), 2),
        (("quote", thread, "text", "--paragraph", "1"), 2),
        (("quote", "--remove", "1", thread), 2),
        (("quote",), 2),
        (("quote", "--remove", "7"), 1),
        (("quote", thread, "--message", "<nobody@x>", "words"), 2),
        (("quote", thread, "   "), 1),
    ):
        err = cli(*args, code=code)
        assert err.count("\n") == 1, (args, err)


def test_an_unknown_message_is_a_usage_mistake_for_every_command(cli: DemoCli) -> None:
    """``--message`` naming no message of the thread exits 2 wherever it is taken (as ``links``
    and ``save`` did, and ``quote --paragraph 99``); an unknown THREAD stays 1."""
    thread = _bare(cli)["id"]
    for args in (
        ("quote", thread, "--message", "99999"),
        ("quote", thread, "--message", "99999", "--paragraph", "1"),
        ("quote", thread, "--message", "<nobody@x>"),
        ("quote", thread, "--message", "abc", "some words"),
        ("links", thread, "--message", "99999"),
        ("save", thread, "--message", "99999"),
    ):
        err = cli(*args, code=2)
        assert err.count("\n") == 1 and "error:" in err, (args, err)
    assert "no thread matches" in cli("quote", "ffffffffffff", "--message", "1", code=1)


# --- the customer day --------------------------------------------------------------------------


def test_day_without_a_terminal_prints_the_queue_and_exits(cli: DemoCli) -> None:
    queue = _queue(cli)
    text = cli("day", "--limit", "5")
    lines = text.splitlines()
    assert lines[0].startswith("Customer day started at ")
    assert f"{len(queue)} threads missing a team or a category tag" in lines[0]
    assert lines[1].startswith(f"[----------] 0/{len(queue)} · {len(queue)} to go")
    assert [line.split()[0] for line in lines[2:7]] == [t["id"] for t in queue[:5]]
    assert lines[7] == f"… and {len(queue) - 5} more"
    again = cli("day", "--limit", "5")
    assert again.startswith("Customer day resumed at ")


def test_day_in_a_terminal_tags_skips_and_ends_with_a_summary(cli: DemoCli) -> None:
    queue = _queue(cli)
    typed = FakeTty("+team:billing +category:bug\nwhat\nn\n-nothing:here +team:api\nq\n")
    text = cli("day", stdin=typed)
    assert f"[----------] 0/{len(queue)}" in text and f"[----------] 1/{len(queue)}" in text
    assert text.count(f"\n{queue[0]['id']}  ") == 1  # tagged once, then the next thread
    assert f"{queue[0]['id']}: " in text and "category:bug" in text
    assert "! 'what': type +TAG -TAG, n or q" in text
    assert "(1 skipped)" in text
    summary = text[text.index("Customer day 20") :]
    # The third thread is done too when the demo gave it a category already (the demo is
    # dated from now, so which thread is third depends on the time of day).
    done = 1 + any(tag.startswith("category:") for tag in queue[2]["tags"])
    assert f"Queue: {done} of {len(queue)} done, 1 skipped" in summary
    assert "Tags added: 2 team, 1 category, 0 label; 1 removed" in summary
    assert f"{queue[0]['id']}  " in summary and "+team:billing +category:bug" in summary
    ids = [t["id"] for t in queue]
    assert f"{ids[2]}  " in summary  # the thread after the skipped one got +team:api

    md = cli("day", "--summary", "--format", "md")
    assert md.startswith("## Customer day, ")
    assert "- Threads handled: 2" in md
    assert "| team:billing | team | 1 | 0 |" in md and "| Tag | Kind | Added | Removed |" in md
    data = cli.json("day", "--summary", "--format", "json")
    assert data["added_by_kind"] == {"team": 2, "category": 1, "label": 0}
    assert data["done"] == done and data["queue_size"] == len(queue) and data["ended"]
    assert [t["id"] for t in data["threads"]] == [ids[0], ids[2]]


def test_day_summary_lists_notes_and_quotes_as_markdown(cli: DemoCli) -> None:
    cli("day")  # starts the shift (no terminal)
    thread = _bare(cli)["id"]
    cli("tag", thread, "+team:billing", "+category:bug")
    cli("note", thread, "Refund *promised*.")
    cli("quote", thread, "The invoice is wrong.")
    md = cli("day", "--end", "--format", "md")
    assert "### Notes" in md and "Refund \\*promised\\*." in md
    assert "### Quotes\n\n> The invoice is wrong.\n>\n> — " in md
    assert f"(thread {thread})" in md
    assert cli("day", "--end", code=1).startswith("supportmail: no customer day is running")


def test_day_summary_dates(cli: DemoCli) -> None:
    assert "no customer day on 2020-01-01" in cli(
        "day", "--summary", "--date", "2020-01-01", code=1
    )
    assert "--date: expected YYYY-MM-DD" in cli("day", "--summary", "--date", "monday", code=2)
    assert "no customer day on" in cli("day", "--summary", code=1)


def _read_until(fd: int, token: bytes, seen: bytearray) -> None:
    """Read the pty until ``token`` shows up (fails after PTY_SECONDS, never a blind sleep)."""
    deadline = time.monotonic() + PTY_SECONDS
    while token not in seen:
        left = deadline - time.monotonic()
        assert left > 0, f"waited for {token!r}; got:\n{seen.decode(errors='replace')}"
        ready, _, _ = select.select([fd], [], [], min(left, 1.0))
        if ready:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # the program exited and the pty closed
                chunk = b""
            assert chunk, f"pty closed before {token!r}:\n{seen.decode(errors='replace')}"
            seen.extend(chunk)


def test_day_in_a_real_pseudo_terminal(cli: DemoCli) -> None:
    queue = _queue(cli)
    main, child = pty.openpty()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "supportmail.tui",
            "--data-dir",
            str(cli.data),
            "--account",
            "demo",
            "day",
        ],
        stdin=child,
        stdout=child,
        stderr=child,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        close_fds=True,
    )
    os.close(child)
    seen = bytearray()
    try:
        _read_until(main, f"{queue[0]['id']}  ".encode(), seen)
        _read_until(main, b"> ", seen)
        os.write(main, b"+team:billing +category:bug\n")
        _read_until(main, f"[----------] 1/{len(queue)}".encode(), seen)
        _read_until(main, f"{queue[1]['id']}  ".encode(), seen)
        os.write(main, b"q\n")
        _read_until(main, b"Threads handled: 1", seen)
        assert proc.wait(timeout=PTY_SECONDS) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        os.close(main)
    assert cli.json("day", "--summary", "--format", "json")["done"] == 1


def test_voice_json_marks_saved_quotes(cli: DemoCli) -> None:
    since = ("voice", "--since", "2026-05-01", "--format", "json")
    request = cli.json(*since)["requests"][0]
    assert not any(q["saved"] for q in request["quotes"])
    thread = request["thread_ids"][-1]
    cli("quote", thread, "A dark theme for night shifts, please.")
    first = cli.json(*since)["requests"][0]["quotes"][0]
    assert first["saved"] is True and first["thread_id"] == thread
    assert first["text"] == "A dark theme for night shifts, please."
