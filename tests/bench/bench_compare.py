"""supportmail against aerc and NeoMutt on the same mailbox, in the same run: one table.

    .venv/bin/python tests/bench/bench_compare.py [--sizes 10000,50000,250000] [--runs 3]
    .venv/bin/python tests/bench/bench_compare.py --smoke      # 2,000 messages, CI

For each size it starts a throwaway Dovecot (``tests/dovecot.py``), seeds INBOX with that many
generated support messages (``tests/mailgen.py``: tickets, team replies and follow-ups, so
threading has work to do) plus one newest message with a unique subject, and measures:

* the floor: raw imaplib ``UID FETCH 1:* (FLAGS ENVELOPE)``, nothing parsed;
* supportmail: the full cold index (``supportmail sync`` into an empty data dir: every header
  fetched, parsed, stored, threaded and indexed for search), a no-change sync, the TUI's first
  screen from cold (empty data dir: the sync runs behind while the newest threads show) and warm
  (cache filled), the TUI's peak RSS once its cold sync has finished, search (a new word: count
  and first page, as the search bar asks), and a tag edit until the server has it;
* aerc and NeoMutt (Debian packages, ``tests/bench/other_clients.py``): first screen cold and
  warm, peak RSS.

A first screen is timed from the start of the tmux session to the moment ``capture-pane`` shows
the newest subject. Every client gets one unreported warm-up launch first, so Dovecot has built
its own caches for that kind of request. Medians of ``--runs``; ratios against the floor and
against aerc. Prints Markdown tables (paste-ready for the README) and never asserts a time.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime as dt
import email.utils
import imaplib
import itertools
import json
import os
import platform
import re
import shlex
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from supportmail.storage.models import ThreadQuery  # noqa: E402
from supportmail.storage.service import Service  # noqa: E402
from supportmail.storage.settings import load_settings  # noqa: E402
from tests.bench import other_clients  # noqa: E402
from tests.bench.bench_sync import LAUNCHER  # noqa: E402
from tests.dovecot import Dovecot, MailUser, dovecot_available  # noqa: E402
from tests.mailgen import support_mailbox  # noqa: E402

SUPPORTMAIL = ROOT / ".venv" / "bin" / "supportmail"
USER, PASSWORD = "bench", "bench-pw"
SEARCH_WORDS = ("charged", "teammate", "timeline", "cancelling", "password")
"""Words of the generated subjects, each in a few percent of them; a new word each time so no
query is answered from the previous one's memo."""
TAG_EDITS = 15
TUI_TIMEOUT = 600.0


@dataclasses.dataclass
class Result:
    """The figures of one size (seconds, MiB; None when not measured or failed)."""

    size: int
    floor: float | None = None
    cold_index: float | None = None
    cold_index_rss: float | None = None
    no_change: float | None = None
    new_mail: float | None = None
    new_mail_rss: float | None = None
    tui_cold: float | None = None
    tui_cold_rss: float | None = None
    tui_warm: float | None = None
    tui_warm_rss: float | None = None
    search_ms: float | None = None
    search_first_page_ms: float | None = None
    tag_server_ms: float | None = None
    threads: int = 0
    others: dict[str, list[other_clients.ClientRun]] = dataclasses.field(default_factory=dict)
    notes: list[str] = dataclasses.field(default_factory=list)


# -- the mailbox --------------------------------------------------------------------------------


def seed(user: MailUser, size: int) -> str:
    """``size`` generated messages in INBOX (old ones ``\\Seen``), then one newest with a unique
    subject (highest UID and latest date), which is returned."""
    # Dated from 2020 so that even 250k messages (two years of tickets) lie in the past: a Date
    # more than a year ahead is not believed (the arrival time is used), which would reorder.
    start = dt.datetime(2020, 1, 1, 9, 0, tzinfo=dt.UTC)
    raw = [m.raw for m in itertools.islice(support_mailbox(size, start=start), size)]
    split = int(len(raw) * 0.9)
    user.seed("INBOX", raw[:split], flags=["\\Seen"])
    user.seed("INBOX", raw[split:])
    subject = f"BENCH-NEWEST-{size}"
    # Replies are dated after later tickets: the newest message comes after the latest Date.
    latest = max(raw, key=_date_of)
    user.seed("INBOX", [other_clients.newest_message(latest, subject)])
    return subject


def _date_of(raw: bytes) -> dt.datetime:
    match = re.search(rb"^Date: (.+?)\r?$", raw, re.MULTILINE)
    if match is None:
        return dt.datetime.min.replace(tzinfo=dt.UTC)
    return email.utils.parsedate_to_datetime(match.group(1).decode())


def write_config(path: Path, user: MailUser) -> None:
    """INBOX only, as aerc and NeoMutt open it; no polling during a measurement."""
    path.write_text(
        "poll_seconds = 3600\n"
        "[accounts.support]\n"
        f'host = "{user.host}"\n'
        f"port = {user.port}\n"
        'tls = "none"\n'
        f'username = "{user.username}"\n'
        f'password_command = "printf {user.password}"\n'
        'folders = ["INBOX"]\n'
    )


def new_mail(user: MailUser, config: Path, data: Path, n: int) -> tuple[float, float]:
    """One message arrives (dated in the past, so the newest subject stays on top), then
    ``supportmail sync``: (seconds, peak RSS MiB). Threading is incremental, so this costs
    about the same at any mailbox size."""
    raw = (
        "From: Late Customer <late@example.org>\r\nTo: support@example.com\r\n"
        f"Subject: a late question {n}\r\nMessage-ID: <late-{n}-{time.time_ns()}@example.org>\r\n"
        "Date: Wed, 01 Jan 2020 08:00:00 +0000\r\n\r\nHello?\r\n"
    ).encode()
    user.seed("INBOX", [raw])
    return cli(config, data, "sync")


# -- the floor ----------------------------------------------------------------------------------


def floor(user: MailUser) -> float:
    """Raw imaplib ``UID FETCH 1:* (FLAGS ENVELOPE)``: the transfer, nothing parsed."""
    client = imaplib.IMAP4(user.host, user.port)
    try:
        client.login(user.username, user.password)
        client.select("INBOX", readonly=True)
        start = time.perf_counter()
        client.uid("FETCH", "1:*", "(FLAGS ENVELOPE)")
        return time.perf_counter() - start
    finally:
        with contextlib.suppress(Exception):
            client.logout()


# -- supportmail --------------------------------------------------------------------------------


def cli(config: Path, data: Path, *args: str) -> tuple[float, float]:
    """``supportmail ARGS`` through the launcher: (seconds, peak RSS MiB)."""
    command = [str(SUPPORTMAIL), "--config", str(config), "--data-dir", str(data), *args]
    with tempfile.TemporaryDirectory(prefix="cli-") as tmp:
        report = Path(tmp) / "report"
        done = subprocess.run(
            [sys.executable, "-c", LAUNCHER, str(report), *command],
            capture_output=True,
            timeout=3600,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"supportmail {' '.join(args)}: {done.stderr.decode()[-300:]}")
        seconds, kib = report.read_text().split()
    return float(seconds), int(kib) / 1024


def tui_launch(
    workdir: Path, config: Path, data: Path, subject: str, *, until_synced: bool
) -> tuple[float, float | None]:
    """The TUI in a private tmux server: (seconds to the newest subject, peak RSS MiB). With
    ``until_synced`` the RSS is read once the status bar says the (cold) sync is done."""
    tmux = other_clients.Tmux(workdir, 160, 48)
    try:
        tmux.start_server()
        argv = [str(SUPPORTMAIL), "--config", str(config), "--data-dir", str(data)]
        mark = other_clients.EXIT_MARK
        command = f"{shlex.join(argv)}; echo {mark}$?; exec sleep 86400"
        start = time.perf_counter()
        tmux.new_session(command)
        shown = other_clients.wait_for(tmux, lambda screen: subject in screen, TUI_TIMEOUT)
        pid = tmux.client_pid()
        if until_synced:
            other_clients.wait_for(tmux, lambda screen: "· synced:" in screen, TUI_TIMEOUT)
        rss = other_clients.vm_hwm_mib(pid) if pid is not None else None
        tmux.keys("q")
        with contextlib.suppress(other_clients.LaunchError):
            other_clients.wait_for(tmux, lambda screen: mark in screen, 30)
        return shown - start, rss
    finally:
        tmux.close()


def search_ms(config: Path, data: Path) -> tuple[float, float, int]:
    """Median ms for a new word: (count + first page of 100, first page alone, threads)."""
    settings = load_settings(config)
    service = Service.open(settings, settings.account(None), data)
    try:
        both: list[float] = []
        pages: list[float] = []
        for n, word in enumerate(SEARCH_WORDS):
            # A different spelling each round so the memo of the previous query never answers.
            query = word if n % 2 else word.upper()
            start = time.perf_counter()
            service.list_threads(ThreadQuery(search=query, limit=100))
            pages.append((time.perf_counter() - start) * 1000)
            service.count_threads(ThreadQuery(search=query))
            both.append((time.perf_counter() - start) * 1000)
        return statistics.median(both), statistics.median(pages), service.count_threads()
    finally:
        service.close()


def tag_to_server_ms(config: Path, data: Path) -> float:
    """Median ms from a tag edit (durable locally) until the server acknowledged it: what the
    TUI does 20 ms after a tag key (``push_delay``), minus those 20 ms."""
    settings = load_settings(config)
    service = Service.open(settings, settings.account(None), data)
    try:
        times: list[float] = []
        threads = service.list_threads(ThreadQuery(limit=TAG_EDITS))
        for n, thread in enumerate(threads):
            start = time.perf_counter()
            service.edit_tags(thread.id, add=[f"team:bench{n % 3}"])
            service.push()
            times.append((time.perf_counter() - start) * 1000)
        return statistics.median(times)
    finally:
        service.close()


# -- one size -----------------------------------------------------------------------------------


def median_of(runs: int, measure: Callable[[], float]) -> float:
    return statistics.median(measure() for _ in range(runs))


def measure_size(size: int, runs: int, clients: Sequence[str], workdir: Path) -> Result:
    result = Result(size)
    server = Dovecot()
    server.start(workdir / "dovecot")
    try:
        user = server.add_user(USER, PASSWORD)
        started = time.perf_counter()
        subject = seed(user, size)
        print(f"[{size:,}] seeded in {time.perf_counter() - started:.1f} s", file=sys.stderr)
        config = workdir / "config.toml"
        write_config(config, user)
        floor(user)  # Dovecot builds its index cache for these fields once
        result.floor = median_of(runs, lambda: floor(user))

        scratch = itertools.count(1)

        def fresh() -> Path:
            return workdir / f"data-{next(scratch)}"

        cli(config, fresh(), "sync")  # the same warm-up every other client gets
        colds = [cli(config, fresh(), "sync") for _ in range(1 if size > 50_000 else runs)]
        result.cold_index = statistics.median(c[0] for c in colds)
        result.cold_index_rss = max(c[1] for c in colds)
        warm = fresh()
        cli(config, warm, "sync")
        result.no_change = median_of(runs, lambda: cli(config, warm, "sync")[0])
        arrivals = [new_mail(user, config, warm, n) for n in range(runs)]
        result.new_mail = statistics.median(a[0] for a in arrivals)
        result.new_mail_rss = max(a[1] for a in arrivals)
        print(f"[{size:,}] supportmail CLI done", file=sys.stderr)

        try:
            tui_launch(workdir, config, fresh(), subject, until_synced=True)  # warm-up
            cold = tui_launch(workdir, config, fresh(), subject, until_synced=True)
            result.tui_cold, result.tui_cold_rss = cold
            warms = [
                tui_launch(workdir, config, warm, subject, until_synced=False) for _ in range(runs)
            ]
            result.tui_warm = statistics.median(w[0] for w in warms)
            result.tui_warm_rss = max((w[1] or 0.0) for w in warms) or None
        except other_clients.LaunchError as exc:
            result.notes.append(f"supportmail TUI: {exc}")
        print(f"[{size:,}] supportmail TUI done", file=sys.stderr)

        result.search_ms, result.search_first_page_ms, result.threads = search_ms(config, warm)
        result.tag_server_ms = tag_to_server_ms(config, warm)

        for client in clients:
            result.others[client] = other_clients.measure(
                client,
                host=user.host,
                port=user.port,
                username=user.username,
                password=user.password,
                subject=subject,
                workdir=workdir / client,
                runs=runs,
                timeout=TUI_TIMEOUT,
            )
            print(f"[{size:,}] {client} done", file=sys.stderr)
    finally:
        server.stop()
    return result


# -- the report ---------------------------------------------------------------------------------


def _s(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f} s"


def _mib(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f} MiB"


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f} ms"


def _ratio(a: float | None, b: float | None) -> str:
    return "—" if a is None or b is None or b <= 0 else f"{a / b:.1f}x"


def _client(result: Result, client: str) -> tuple[float | None, float | None, float | None]:
    """(cold s, median warm s, peak RSS MiB) of another client."""
    runs = result.others.get(client) or []
    cold = next((r.seconds for r in runs if r.mode == "cold"), None)
    warm = [r.seconds for r in runs if r.mode == "warm" and r.seconds is not None]
    rss = [r.peak_rss_mib for r in runs if r.peak_rss_mib is not None]
    return cold, (statistics.median(warm) if warm else None), (max(rss) if rss else None)


def machine_lines(runs: int) -> Iterator[str]:
    model = ""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    commit = subprocess.run(
        ["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    dovecot = subprocess.run(
        ["dovecot", "--version"], capture_output=True, text=True, check=False
    ).stdout.strip()
    yield f"date: {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC; commit {commit or '?'}"
    cpu = model or platform.processor()
    yield f"machine: {os.cpu_count()} x {cpu}, Python {platform.python_version()}"
    server = dovecot.split()[0] if dovecot else "?"
    yield f"SQLite {sqlite3.sqlite_version}; Dovecot {server} on 127.0.0.1"
    yield f"medians of {runs} run(s); a first screen = tmux new-session until the newest subject"
    yield "supportmail's bytecode is compiled first (compileall), as an installed package has it"


def print_tables(results: Sequence[Result], runs: int, clients: Sequence[str]) -> None:
    for line in machine_lines(runs):
        print(line)
    print()
    head = "| |" + "|".join(f" {r.size:,} " for r in results) + "|"
    print(head)
    print("|---|" + "---|" * len(results))

    def row(label: str, cells: Callable[[Result], str]) -> None:
        print(f"| {label} |" + "|".join(f" {cells(r)} " for r in results) + "|")

    row("floor: imaplib `UID FETCH 1:* (FLAGS ENVELOPE)`", lambda r: _s(r.floor))
    row("supportmail full cold index (CLI `sync`)", lambda r: _s(r.cold_index))
    row("  ratio to the floor", lambda r: _ratio(r.cold_index, r.floor))
    row("  peak RSS of that sync", lambda r: _mib(r.cold_index_rss))
    row("supportmail no-change sync", lambda r: _s(r.no_change))
    row("  ratio to the floor", lambda r: _ratio(r.no_change, r.floor))
    row("supportmail sync after one new message", lambda r: _s(r.new_mail))
    row("  peak RSS of that sync", lambda r: _mib(r.new_mail_rss))
    row("supportmail first screen, cold", lambda r: _s(r.tui_cold))
    row("supportmail first screen, warm", lambda r: _s(r.tui_warm))
    row("supportmail TUI peak RSS (cold, full sync done)", lambda r: _mib(r.tui_cold_rss))
    row("supportmail TUI peak RSS (warm start)", lambda r: _mib(r.tui_warm_rss))
    row("search, new word: first page / with count", _search_cell)
    row("tag edit until the server has it", lambda r: _ms(r.tag_server_ms))
    for client in clients:
        row(f"{client} first screen, cold", lambda r, c=client: _s(_client(r, c)[0]))
        row(f"{client} first screen, warm", lambda r, c=client: _s(_client(r, c)[1]))
        row(f"{client} peak RSS", lambda r, c=client: _mib(_client(r, c)[2]))
    for client in clients:
        row(
            f"supportmail warm / {client} warm",
            lambda r, c=client: _ratio(r.tui_warm, _client(r, c)[1]),
        )
        row(
            f"supportmail cold / {client} cold",
            lambda r, c=client: _ratio(r.tui_cold, _client(r, c)[0]),
        )
    print()
    for result in results:
        print(f"{result.size:,} messages: {result.threads:,} threads")
        for client, client_runs in result.others.items():
            print(f"  {client}: " + "; ".join(other_clients.summary_lines(client_runs)))
        for note in result.notes:
            print(f"  note: {note}")


def _search_cell(r: Result) -> str:
    if r.search_ms is None:
        return "—"
    return f"{_ms(r.search_first_page_ms)} / {_ms(r.search_ms)}"


# -- main ---------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,50000,250000", help="comma-separated sizes")
    parser.add_argument("--runs", type=int, default=3, help="runs per median (default 3)")
    parser.add_argument(
        "--clients", default="aerc,neomutt", help="other clients to measure ('' for none)"
    )
    parser.add_argument("--smoke", action="store_true", help="2,000 messages, 1 run (CI)")
    parser.add_argument(
        "--no-install", action="store_true", help="measure only the clients already installed"
    )
    parser.add_argument("--keep", action="store_true", help="keep the work directory")
    args = parser.parse_args(argv)
    try:
        args.sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    except ValueError:
        parser.error(f"--sizes: not a list of numbers: {args.sizes!r}")
    if args.smoke:
        args.sizes, args.runs = [2000], 1
    if args.runs < 1 or not args.sizes or min(args.sizes) < 1:
        parser.error("--runs and every size must be at least 1")
    args.clients = [c for c in args.clients.split(",") if c]
    unknown = [c for c in args.clients if c not in other_clients.CLIENTS]
    if unknown:
        parser.error(f"--clients: unknown {', '.join(unknown)} (known: aerc, neomutt)")
    return args


def compile_bytecode() -> None:
    """Write supportmail's bytecode first, as a pip install does and as any first run does
    unless PYTHONDONTWRITEBYTECODE is set (it is on some CI and sandbox machines, where every
    launch would otherwise compile the sources again: ~0.13 s of each first screen)."""
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", "storage", "tui", "keymaps"],
        cwd=ROOT,
        check=True,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": ""},
    )


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    reason = dovecot_available() or (None if shutil.which("tmux") else "tmux is not installed")
    if reason is not None:
        print(f"bench_compare: {reason}", file=sys.stderr)
        return 2
    if args.no_install:
        versions = {c: other_clients.client_version(c) for c in args.clients}
    else:
        versions = other_clients.ensure_installed(args.clients)
    clients = [c for c in args.clients if versions.get(c)]
    compile_bytecode()
    for missing in sorted(set(args.clients) - set(clients)):
        print(f"bench_compare: {missing} is not installed; its rows are left out", file=sys.stderr)
    results: list[Result] = []
    for size in args.sizes:
        work = Path(tempfile.mkdtemp(prefix=f"bench-compare-{size}-"))
        try:
            results.append(measure_size(size, args.runs, clients, work))
            print(json.dumps(dataclasses.asdict(results[-1]), default=str), file=sys.stderr)
        finally:
            if not args.keep:
                shutil.rmtree(work, ignore_errors=True)
    print_tables(results, args.runs, clients)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
