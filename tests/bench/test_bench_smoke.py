"""Smoke runs of the benchmark scripts: each must run to the end at its smallest size.

No timing is asserted (the figures depend on the machine); only that every script exits 0 and
prints its table. ``bench_sync.py --smoke`` needs Dovecot and is marked ``dovecot``; when Dovecot
cannot run here it is skipped, except under ``CI=true``, where that is a failure.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.dovecot import dovecot_available

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parents[1]
SYNC_TIMEOUT = 120.0
SCRIPT_TIMEOUT = 60.0

SYNC_ROWS = (
    "== 500 messages ==",
    "seed (MULTIAPPEND)",
    "first sync, CLI (cold)",
    "first sync, in-process (cold)",
    "first 250 newest committed",
    "first thread listable",
    "sync, nothing new (warm)",
    "sync, 1% flags changed",
    "threads --json",
    "threads --limit 50",
    "threads --search",
    "floor: imaplib UID FETCH 1:*",
    "floor: IMAPClient fetch x500",
    "ratio first sync / imaplib",
    "| measurement | 500 msgs |",
)


def _run_script(args: list[str], timeout: float) -> tuple[int, str, str]:
    """Run a bench script; on timeout send SIGTERM first (bench_sync then stops its Dovecot)."""
    proc = subprocess.Popen(
        [sys.executable, *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGTERM)
        try:
            out, err = proc.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
        pytest.fail(f"{args[0]} did not finish within {timeout:.0f} s\n{out}\n{err}")
    return proc.returncode, out, err


def _need_dovecot(what: str) -> None:
    """Skip loudly without Dovecot; under ``CI=true`` a missing server is a failure."""
    reason = dovecot_available()
    if reason is not None:
        message = f"DOVECOT UNAVAILABLE - {what.upper()} BENCHMARK NOT RUN: {reason}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)


@pytest.mark.dovecot
def test_bench_sync_smoke() -> None:
    _need_dovecot("sync")
    code, out, err = _run_script([str(BENCH / "bench_sync.py"), "--smoke"], SYNC_TIMEOUT)
    assert code == 0, f"exit {code}\n{out}\n{err}"
    missing = [row for row in SYNC_ROWS if row not in out]
    assert not missing, f"rows missing from the output: {missing}\n{out}"


@pytest.mark.parametrize(
    ("script", "args", "expected"),
    [
        ("bench_parse.py", ["2000"], "parse_envelope"),
        ("bench_threads.py", ["2000"], "messages/s"),
        ("bench_userdb.py", ["--smoke"], "outbox_put ms"),
        ("bench_reports.py", ["--smoke"], "voice"),
        ("bench_day.py", ["--smoke"], "day_summary"),
        ("bench_search.py", ["--smoke"], "common word"),
        ("bench_answering.py", ["--smoke"], "awaiting page"),
    ],
)
def test_other_benchmarks_smoke(script: str, args: list[str], expected: str) -> None:
    code, out, err = _run_script([str(BENCH / script), *args], SCRIPT_TIMEOUT)
    assert code == 0, f"exit {code}\n{out}\n{err}"
    assert expected in out


def test_bench_tui_smoke() -> None:
    """``bench_tui.py --smoke``: 2,000 threads; the tmux rows need tmux (skipped loudly without
    it, a failure under ``CI=true``)."""
    import shutil

    if shutil.which("tmux") is None:
        message = "TMUX NOT INSTALLED - TUI BENCHMARK NOT RUN"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    code, out, err = _run_script([str(BENCH / "bench_tui.py"), "--smoke"], SCRIPT_TIMEOUT)
    assert code == 0, f"exit {code}\n{out}\n{err}"
    for row in ("launch -> first rows, tmux", "tag key -> frame with chip", "frame render time"):
        assert row in out, f"{row!r} missing from the output\n{out}"


@pytest.mark.dovecot
def test_bench_compare_smoke() -> None:
    """``bench_compare.py --smoke --no-install``: 2,000 messages; the supportmail rows always,
    aerc and NeoMutt where installed (``scripts/test.sh`` installs them as root)."""
    import shutil

    reason = dovecot_available() or (None if shutil.which("tmux") else "tmux is not installed")
    if reason is not None:
        message = f"COMPARISON BENCHMARK NOT RUN: {reason}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)
    args = [str(BENCH / "bench_compare.py"), "--smoke", "--no-install"]
    code, out, err = _run_script(args, SYNC_TIMEOUT)
    assert code == 0, f"exit {code}\n{out}\n{err}"
    rows = [
        "| | 2,000 |",
        "supportmail full cold index",
        "supportmail first screen, cold",
        "supportmail first screen, warm",
        "search, new word",
        "tag edit until the server has it",
    ]
    rows += [f"{c} first screen, warm" for c in ("aerc", "neomutt") if shutil.which(c)]
    missing = [row for row in rows if row not in out]
    assert not missing, f"rows missing from the output: {missing}\n{out}\n{err}"


@pytest.mark.dovecot
def test_bench_first_screen_smoke() -> None:
    """``bench_first_screen.py --smoke``: 500 messages, one run of each start-up phase."""
    import shutil

    _need_dovecot("first-screen")
    if shutil.which("tmux") is None:
        pytest.skip("FIRST-SCREEN BENCHMARK NOT RUN: tmux is not installed")
    args = [str(BENCH / "bench_first_screen.py"), "--smoke"]
    code, out, err = _run_script(args, SYNC_TIMEOUT)
    assert code == 0, f"exit {code}\n{out}\n{err}"
    rows = ("CPU: Textual", "opening the service", "warm first screen", "an empty Textual app")
    missing = [row for row in rows if row not in out]
    assert not missing, f"rows missing from the output: {missing}\n{out}\n{err}"


@pytest.mark.dovecot
def test_bench_bodies_smoke() -> None:
    """``bench_bodies.py --smoke``: 500 messages with bodies, one run of each row."""
    _need_dovecot("body")
    code, out, err = _run_script([str(BENCH / "bench_bodies.py"), "--smoke"], SYNC_TIMEOUT)
    assert code == 0, f"exit {code}\n{out}\n{err}"
    rows = (
        "== 500 messages",
        "floor: imaplib header items + BODY.PEEK[]",
        "sync, CLI, cold, with bodies",
        "sync --headers-only, CLI, cold",
        "in-process: body phase",
        "ratio cold sync with bodies / floor",
    )
    missing = [row for row in rows if row not in out]
    assert not missing, f"rows missing from the output: {missing}\n{out}"


@pytest.mark.dovecot
def test_bench_live_smoke() -> None:
    """``bench_live.py --smoke``: 200 messages, 3 rounds of APPEND and keyword STORE by another
    client, timed until the cache and the TUI's list show them."""
    _need_dovecot("live")
    code, out, err = _run_script([str(BENCH / "bench_live.py"), "--smoke"], SYNC_TIMEOUT)
    assert code == 0, f"exit {code}\n{out}\n{err}"
    for row in ("APPEND -> in the cache", "keyword STORE -> on screen", "target <= 2 s"):
        assert row in out, f"{row!r} missing from the output\n{out}"


@pytest.mark.dovecot
def test_bench_keys_mirror_smoke() -> None:
    """``bench_keys_mirror.py --smoke``: 2,000 messages, 10 held keys while the body mirror runs
    and 10 after it."""
    _need_dovecot("keys-while-mirroring")
    code, out, err = _run_script([str(BENCH / "bench_keys_mirror.py"), "--smoke"], SYNC_TIMEOUT)
    assert code == 0, f"exit {code}\n{out}\n{err}"
    for row in ("while mirroring: key -> frame median", "mirror done (baseline)", "target"):
        assert row in out, f"{row!r} missing from the output\n{out}"
