"""Benchmark: first sync, incremental syncs and thread listing against a throwaway Dovecot.

Run on purpose, not in the test suite (needs Dovecot 2.3; as root it runs Dovecot as the
``supportmail-test`` system user, see ``tests/dovecot.py``)::

    .venv/bin/python tests/bench/bench_sync.py                      # 10,000 and 50,000 messages
    .venv/bin/python tests/bench/bench_sync.py --sizes 2000,20000
    .venv/bin/python tests/bench/bench_sync.py --smoke              # 500 messages, one run each

For each size it starts a Dovecot in a temp dir, seeds INBOX and Sent with that many generated
support messages (``tests/mailgen.py``; older INBOX mail and all of Sent are ``\\Seen``), writes a
minimal config and, after one raw header fetch that fills Dovecot's own header cache (timed and
shown, so every later row sees a server in use, not one that was just filled), measures:

* first sync (empty data dir) through the real CLI, ``supportmail sync``, as a subprocess; then
  in-process through ``Service.sync`` with a progress callback: time to the first committed chunk
  of the newest 500 headers ("first screen" proxy), to the end of the header fetch, to the first
  moment ``Service.count_threads()`` is non-zero (what a thread list can show), and in total;
* incremental sync with nothing new, and after another client added a keyword to 1 % of messages;
* ``supportmail threads --json``, ``threads --limit 50`` and ``threads --search`` on the warm cache;
* the floor: the same header items fetched by bare ``imaplib`` (one ``UID FETCH 1:*`` per folder,
  no parsing) and by a plain IMAPClient ``fetch`` loop in chunks of 500, and supportmail's ratio
  to each;
* peak RSS of every CLI subprocess (``os.wait4`` rusage of that very child, see ``LAUNCHER``).

Quick measurements are the median of ``--runs`` runs; the cold sync is run once for sizes above
10,000. A Markdown table of all sizes is printed last.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import imaplib
import itertools
import json
import os
import platform
import random
import re
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from imapclient import IMAPClient  # noqa: E402

from supportmail.storage.mime import HEADER_FIELDS  # noqa: E402
from supportmail.storage.models import SyncProgress  # noqa: E402
from supportmail.storage.service import Service  # noqa: E402
from supportmail.storage.settings import load_settings  # noqa: E402
from supportmail.storage.sync.headers import FIRST_CHUNK  # noqa: E402
from tests.dovecot import Dovecot, MailUser, dovecot_available  # noqa: E402
from tests.mailgen import support_mailbox  # noqa: E402

SUPPORTMAIL = ROOT / ".venv" / "bin" / "supportmail"
FOLDERS = ("INBOX", "Sent")
USER, PASSWORD = "bench", "bench-pw"
FIRST_SCREEN = FIRST_CHUNK
"""Headers that make the first screen (the first sync chunk)."""
IMAPCLIENT_CHUNK = 500
SEARCH_WORD = "charged"
"""In one subject of ten (``I was charged twice for November``)."""
UNSEEN_SHARE = 0.1
"""The newest tenth of INBOX is unread; everything older (and all of Sent) is ``\\Seen``."""
CHANGED_SHARE = 0.01
CLI_TIMEOUT = 1800.0
LAUNCHER = """
import os, sys, time
start = time.perf_counter()
pid = os.fork()
if pid == 0:
    os.execv(sys.argv[2], sys.argv[2:])
_pid, status, usage = os.wait4(pid, 0)
seconds = time.perf_counter() - start
with open(sys.argv[1], "w") as report:
    report.write(f"{seconds} {usage.ru_maxrss}")
sys.exit(os.waitstatus_to_exitcode(status))
"""
"""Runs one CLI command and reports its wall time and peak RSS (``os.wait4``). A child's
``ru_maxrss`` starts at the high-water mark of the process it was forked from (Linux copies it
at exec), so the CLI is forked from this small process, never from the big benchmark process."""
HEADER_SECTION = "BODY.PEEK[HEADER.FIELDS ({})]".format(" ".join(f.upper() for f in HEADER_FIELDS))
CLIENT_ITEMS = ["FLAGS", "INTERNALDATE", "RFC822.SIZE", "MODSEQ", HEADER_SECTION]
"""What ``storage.imap.fetch_headers`` asks for (Dovecot has CONDSTORE, so MODSEQ too)."""
HEADER_ITEMS = " ".join(["UID", *CLIENT_ITEMS])

# Row labels (tests/bench/test_bench_smoke.py looks for some of them).
ROW_SEED = "seed (MULTIAPPEND)"
ROW_PRIME = "prime Dovecot's header cache"
ROW_CLI_COLD = "first sync, CLI (cold)"
ROW_INPROC_COLD = "first sync, in-process (cold)"
ROW_FIRST_CHUNK = f"  first {FIRST_CHUNK} newest committed"
ROW_HEADERS_DONE = "  all headers committed"
ROW_LISTABLE = "  first thread listable"
ROW_WARM = "sync, nothing new (warm)"
ROW_FLAGS = "sync, 1% flags changed"
ROW_THREADS_JSON = "threads --json"
ROW_THREADS_50 = "threads --limit 50"
ROW_SEARCH = f"threads --search {SEARCH_WORD}"
ROW_RAW = "floor: imaplib UID FETCH 1:*"
ROW_IMAPCLIENT = "floor: IMAPClient fetch x500"
ROW_RATIO_RAW = "ratio first sync / imaplib"
ROW_RATIO_CLIENT = "ratio first sync / IMAPClient"


# ---------------------------------------------------------------------------------------------
# Measurements
# ---------------------------------------------------------------------------------------------


@dataclass
class Row:
    """One line of a size's table: median seconds, optional rate/RSS and a note."""

    label: str
    seconds: float | None = None
    per_second: float | None = None
    rss_mib: float | None = None
    note: str = ""
    runs: int = 1


@dataclass
class CliRun:
    seconds: float
    stdout: str
    rss_mib: float


@dataclass
class SizeReport:
    size: int
    rows: list[Row] = field(default_factory=list)

    def add(self, row: Row) -> Row:
        self.rows.append(row)
        return row

    def get(self, label: str) -> Row | None:
        return next((r for r in self.rows if r.label == label), None)


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


class Bench:
    """One size: a seeded Dovecot user, a config file and a scratch directory."""

    def __init__(self, user: MailUser, scratch: Path, runs: int) -> None:
        self.user = user
        self.scratch = scratch
        self.runs = runs
        self.config = scratch / "config.toml"
        self.config.write_text(
            "[accounts.support]\n"
            f'host = "{user.host}"\n'
            f"port = {user.port}\n"
            'tls = "none"\n'
            f'username = "{user.username}"\n'
            f'password_command = "printf {user.password}"\n'
            f"folders = {json.dumps(list(FOLDERS))}\n"
        )
        self._dirs = itertools.count(1)

    def fresh_data_dir(self) -> Path:
        return self.scratch / f"data-{next(self._dirs)}"

    def cli(self, data_dir: Path, *args: str) -> CliRun:
        """Run ``supportmail --config ... --data-dir ... ARGS`` through the small launcher; the
        launcher's own start-up is not in the time."""
        command = [str(SUPPORTMAIL), "--config", str(self.config), "--data-dir", str(data_dir)]
        with tempfile.TemporaryDirectory(prefix="cli-") as tmp:
            report = Path(tmp) / "report"
            done = subprocess.run(
                [sys.executable, "-c", LAUNCHER, str(report), *command, *args],
                capture_output=True,
                timeout=CLI_TIMEOUT,
                check=False,
            )
            if done.returncode != 0:
                raise RuntimeError(
                    f"supportmail {' '.join(args)} exited {done.returncode}: "
                    + done.stderr.decode(errors="replace")
                )
            seconds, maxrss_kib = report.read_text().split()
        return CliRun(float(seconds), done.stdout.decode(), int(maxrss_kib) / 1024)


def cli_row(label: str, runs: Sequence[CliRun], note: str = "", count: int = 0) -> Row:
    seconds = median([r.seconds for r in runs])
    return Row(
        label,
        seconds,
        count / seconds if count else None,
        max(r.rss_mib for r in runs),
        note,
        len(runs),
    )


# ---------------------------------------------------------------------------------------------
# Seeding
# ---------------------------------------------------------------------------------------------


def generate(size: int) -> dict[str, list[bytes]]:
    """Exactly ``size`` generated messages, by folder, oldest first."""
    folders: dict[str, list[bytes]] = {name: [] for name in FOLDERS}
    for message in itertools.islice(support_mailbox(size), size):
        folders[message.folder].append(message.raw)
    return folders


def seed(user: MailUser, size: int) -> tuple[Row, dict[str, int]]:
    folders = generate(size)
    user.create_folder("Sent")
    start = time.perf_counter()
    inbox = folders["INBOX"]
    split = int(len(inbox) * (1 - UNSEEN_SHARE))
    user.seed("INBOX", inbox[:split], flags=["\\Seen"])
    user.seed("INBOX", inbox[split:])
    user.seed("Sent", folders["Sent"], flags=["\\Seen"])
    seconds = time.perf_counter() - start
    counts = {name: len(items) for name, items in folders.items()}
    note = ", ".join(f"{name} {n:,}" for name, n in counts.items())
    return Row(ROW_SEED, seconds, size / seconds, note=note), counts


# ---------------------------------------------------------------------------------------------
# In-process sync with a progress clock
# ---------------------------------------------------------------------------------------------


@dataclass
class Timeline:
    """Seconds since the sync started at which progress events arrived."""

    start: float = field(default_factory=time.perf_counter)
    first_chunk: float | None = None
    headers_done: float | None = None
    listable: float | None = None
    """When ``Service.count_threads()`` first saw a thread (what the TUI's list shows)."""
    phases: dict[str, float] = field(default_factory=dict)
    probe: Callable[[], bool] | None = None

    def __call__(self, progress: SyncProgress) -> None:
        now = time.perf_counter() - self.start
        self.phases.setdefault(progress.phase, now)
        if self.listable is None and self.probe is not None and self.probe():
            self.listable = time.perf_counter() - self.start
        if progress.phase != "headers":
            return
        if self.first_chunk is None and progress.done >= min(FIRST_SCREEN, progress.total):
            self.first_chunk = now
        if progress.done >= progress.total:
            self.headers_done = now


def inprocess_sync(bench: Bench) -> tuple[float, Timeline]:
    settings = load_settings(bench.config)
    account = settings.account("support")
    timeline = Timeline()
    with Service.open(settings, account, bench.fresh_data_dir()) as service:
        timeline.probe = lambda: service.count_threads() > 0
        timeline.start = time.perf_counter()
        service.sync(timeline)
        total = time.perf_counter() - timeline.start
    if timeline.listable is None:
        timeline.listable = total
    return total, timeline


# ---------------------------------------------------------------------------------------------
# The floor: bare clients fetching the same header items
# ---------------------------------------------------------------------------------------------


def raw_imaplib_fetch(user: MailUser) -> int:
    """One ``UID FETCH 1:*`` per folder with imaplib; counts the literals, parses nothing."""
    conn = imaplib.IMAP4(user.host, user.port, timeout=300)
    try:
        conn.login(user.username, user.password)
        count = 0
        for folder in FOLDERS:
            conn.select(f'"{folder}"', readonly=True)
            typ, data = conn.uid("FETCH", "1:*", f"({HEADER_ITEMS})")
            if typ != "OK":
                raise RuntimeError(f"UID FETCH failed: {data!r}")
            count += sum(1 for item in data if isinstance(item, tuple))
            conn.untagged_responses.clear()
        return count
    finally:
        with contextlib.suppress(Exception):
            conn.logout()


def imapclient_fetch(user: MailUser) -> int:
    """IMAPClient ``fetch`` over the UIDs, newest first, 500 at a time (parsed by IMAPClient)."""
    client = IMAPClient(user.host, user.port, ssl=False, timeout=300)
    try:
        client.login(user.username, user.password)
        count = 0
        for folder in FOLDERS:
            client.select_folder(folder, readonly=True)
            uids = sorted(client.search("ALL"), reverse=True)
            for start in range(0, len(uids), IMAPCLIENT_CHUNK):
                count += len(client.fetch(uids[start : start + IMAPCLIENT_CHUNK], CLIENT_ITEMS))
        return count
    finally:
        with contextlib.suppress(Exception):
            client.logout()


def timed(action: Callable[[], int], runs: int) -> tuple[float, int]:
    seconds: list[float] = []
    count = 0
    for _ in range(runs):
        start = time.perf_counter()
        count = action()
        seconds.append(time.perf_counter() - start)
    return median(seconds), count


# ---------------------------------------------------------------------------------------------
# One size
# ---------------------------------------------------------------------------------------------


def change_flags(user: MailUser, counts: dict[str, int], run: int) -> int:
    """Another client adds a new keyword to 1 % of each folder's messages; returns how many."""
    rng = random.Random(run)
    changed = 0
    for folder, total in counts.items():
        take = max(1, round(total * CHANGED_SHARE))
        uids = rng.sample(range(1, total + 1), take)
        user.set_flags(folder, uids, [f"team:shift-{run}"])
        changed += take
    return changed


def measure_cold(bench: Bench, report: SizeReport, size: int, cold_runs: int) -> Path:
    """First syncs; returns the data dir of the last CLI run (the warm cache)."""
    runs: list[CliRun] = []
    data_dir = bench.fresh_data_dir()
    for _ in range(cold_runs):
        data_dir = bench.fresh_data_dir()
        runs.append(bench.cli(data_dir, "sync"))
    report.add(cli_row(ROW_CLI_COLD, runs, runs[-1].stdout.strip().split(" (")[0], size))
    totals, timelines = [], []
    for _ in range(cold_runs):
        total, timeline = inprocess_sync(bench)
        totals.append(total)
        timelines.append(timeline)
    seconds = median(totals)
    threads_at = median([t.phases.get("threads", 0.0) for t in timelines])
    report.add(
        Row(
            ROW_INPROC_COLD,
            seconds,
            size / seconds,
            note=f"threading from {threads_at:.2f}s",
            runs=cold_runs,
        )
    )
    first = median([t.first_chunk or 0.0 for t in timelines])
    report.add(Row(ROW_FIRST_CHUNK, first, runs=cold_runs, note="first-screen proxy"))
    done = median([t.headers_done or 0.0 for t in timelines])
    report.add(Row(ROW_HEADERS_DONE, done, size / done, runs=cold_runs))
    listable = median([t.listable or 0.0 for t in timelines])
    report.add(Row(ROW_LISTABLE, listable, runs=cold_runs, note="count_threads() > 0"))
    return data_dir


def measure_warm(bench: Bench, report: SizeReport, counts: dict[str, int], data_dir: Path) -> None:
    warm = [bench.cli(data_dir, "sync") for _ in range(bench.runs)]
    report.add(cli_row(ROW_WARM, warm, warm[-1].stdout.strip().split(" (")[0]))
    flagged: list[CliRun] = []
    changed = 0
    for run in range(bench.runs):
        changed = change_flags(bench.user, counts, run)
        flagged.append(bench.cli(data_dir, "sync"))
    seen = re.search(r"(\d+) changed", flagged[-1].stdout)
    note = f"another client changed {changed:,}; sync saw {seen.group(1) if seen else '?'}"
    report.add(cli_row(ROW_FLAGS, flagged, note))


def measure_listing(bench: Bench, report: SizeReport, data_dir: Path) -> None:
    runs = [bench.cli(data_dir, "threads", "--json") for _ in range(bench.runs)]
    threads = len(json.loads(runs[-1].stdout))
    report.add(cli_row(ROW_THREADS_JSON, runs, f"{threads:,} threads"))
    runs = [bench.cli(data_dir, "threads", "--limit", "50") for _ in range(bench.runs)]
    report.add(cli_row(ROW_THREADS_50, runs, f"{len(runs[-1].stdout.splitlines())} lines"))
    runs = [bench.cli(data_dir, "threads", "--search", SEARCH_WORD) for _ in range(bench.runs)]
    report.add(cli_row(ROW_SEARCH, runs, f"{len(runs[-1].stdout.splitlines()):,} threads"))


def measure_floor(bench: Bench, report: SizeReport, size: int) -> None:
    raw, raw_count = timed(lambda: raw_imaplib_fetch(bench.user), bench.runs)
    report.add(Row(ROW_RAW, raw, size / raw, note=f"{raw_count:,} msgs", runs=bench.runs))
    client, client_count = timed(lambda: imapclient_fetch(bench.user), bench.runs)
    report.add(
        Row(ROW_IMAPCLIENT, client, size / client, note=f"{client_count:,} msgs", runs=bench.runs)
    )
    cli = report.get(ROW_CLI_COLD)
    inproc = report.get(ROW_INPROC_COLD)
    if cli is not None and cli.seconds and inproc is not None and inproc.seconds:
        for label, floor in ((ROW_RATIO_RAW, raw), (ROW_RATIO_CLIENT, client)):
            note = f"CLI {cli.seconds / floor:.1f}x, in-process {inproc.seconds / floor:.1f}x"
            report.add(Row(label, note=note))


def run_size(size: int, runs: int, workdir: Path) -> SizeReport:
    report = SizeReport(size)
    scratch = workdir / f"size-{size}"
    scratch.mkdir()
    server = Dovecot()
    server.start(scratch / "dovecot")
    try:
        user = server.add_user(USER, PASSWORD)
        seed_row, counts = seed(user, size)
        report.add(seed_row)
        prime, _count = timed(lambda: raw_imaplib_fetch(user), 1)
        note = "first FETCH of these fields fills dovecot.index.cache"
        report.add(Row(ROW_PRIME, prime, size / prime, note=note))
        bench = Bench(user, scratch, runs)
        cold_runs = runs if size <= 10_000 else 1
        data_dir = measure_cold(bench, report, size, cold_runs)
        measure_warm(bench, report, counts, data_dir)
        measure_listing(bench, report, data_dir)
        measure_floor(bench, report, size)
    finally:
        server.stop()
    return report


# ---------------------------------------------------------------------------------------------
# Output
# ---------------------------------------------------------------------------------------------


def _command_output(*command: str) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=10, cwd=ROOT)
    except (OSError, subprocess.SubprocessError):
        return "?"
    return done.stdout.strip() or "?"


def machine_lines() -> Iterator[str]:
    cpu = "?"
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    dirty = "+dirty" if _command_output("git", "status", "--porcelain", "--untracked=no") else ""
    yield f"date:     {dt.datetime.now(dt.UTC).strftime('%Y-%m-%d %H:%M UTC')}"
    yield f"machine:  {os.cpu_count()} CPUs (nproc {len(os.sched_getaffinity(0))}), {cpu}"
    yield f"python:   {platform.python_version()}, sqlite {sqlite3.sqlite_version}"
    yield f"dovecot:  {_command_output('dovecot', '--version')}"
    yield f"commit:   {_command_output('git', 'rev-parse', '--short', 'HEAD')}{dirty}"


def _fmt(value: float | None, spec: str) -> str:
    return "" if value is None else format(value, spec)


def print_report(report: SizeReport) -> None:
    print(f"\n== {report.size:,} messages ==")
    print(f"{'measurement':<32} {'seconds':>8} {'msgs/s':>9} {'RSS MiB':>8} {'runs':>4}  note")
    for row in report.rows:
        print(
            f"{row.label:<32} {_fmt(row.seconds, '8.2f'):>8} {_fmt(row.per_second, ',.0f'):>9}"
            f" {_fmt(row.rss_mib, '.0f'):>8} {row.runs if row.seconds else '':>4}  {row.note}"
        )
    sys.stdout.flush()


def _cell(row: Row | None) -> str:
    if row is None:
        return ""
    if row.seconds is None:
        return row.note
    text = f"{row.seconds:.2f} s"
    if row.per_second:
        text += f" ({row.per_second:,.0f}/s)"
    if row.rss_mib:
        text += f", {row.rss_mib:.0f} MiB"
    return text


def print_markdown(reports: Sequence[SizeReport]) -> None:
    print("\n| measurement | " + " | ".join(f"{r.size:,} msgs" for r in reports) + " |")
    print("|---" * (len(reports) + 1) + "|")
    for row in reports[0].rows:
        cells = [_cell(r.get(row.label)) for r in reports]
        print(f"| {row.label.strip()} | " + " | ".join(cells) + " |")


# ---------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------


def _stop_on_sigterm(_signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(143)  # unwinds the try/finally blocks, so Dovecot is stopped


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--sizes",
        default="10000,50000",
        help="comma-separated message counts (default: 10000,50000)",
    )
    parser.add_argument("--runs", type=int, default=3, help="runs per quick measurement")
    parser.add_argument("--smoke", action="store_true", help="500 messages, one run each")
    args = parser.parse_args(argv)
    if args.smoke:
        args.sizes, args.runs = "500", 1
    args.size_list = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    reason = dovecot_available()
    if reason is not None:
        print(f"bench_sync: Dovecot unavailable: {reason}", file=sys.stderr)
        return 2
    if not SUPPORTMAIL.exists():
        print(f"bench_sync: {SUPPORTMAIL} not found (pip install -e . first)", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    for line in machine_lines():
        print(line)
    reports: list[SizeReport] = []
    workdir = Path(tempfile.mkdtemp(prefix="bench-sync-"))
    try:
        for size in args.size_list:
            reports.append(run_size(size, args.runs, workdir))
            print_report(reports[-1])
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    print_markdown(reports)
    return 0


if __name__ == "__main__":
    sys.exit(main())
