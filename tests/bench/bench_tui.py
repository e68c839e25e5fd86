"""Benchmark: the terminal UI on a big mailbox with a warm cache (prints figures, asserts nothing).

Run on purpose, not in the test suite (needs ``tmux``)::

    .venv/bin/python tests/bench/bench_tui.py                    # 50,000 threads
    .venv/bin/python tests/bench/bench_tui.py --threads 10000 --runs 5
    .venv/bin/python tests/bench/bench_tui.py --smoke            # 2,000 threads, < 20 s

The mailbox is built without IMAP: generated support conversations (``tests/mailgen.py``, INBOX
and Sent, the newest tenth unread) are parsed with ``storage.message.parse_envelope``, added to
the cache of a fresh data dir under the account ``demo`` and threaded, as ``storage/sync.py``
does after a first sync. One extra thread, ``BENCH-NEWEST``, is the newest, so the first row of
the list is known. ``supportmail demo`` opens such a data dir as it is (it loads the bundled demo
only into an empty cache), so the real CLI can be timed on it; tags stay local, as in the demo.

Measured:

* launch -> first rows, **tmux**: ``python -m tui ... demo`` in a 120x40 tmux pane, from
  ``new-session`` until ``capture-pane`` (polled every 10 ms) shows ``BENCH-NEWEST``; includes
  interpreter start-up and imports. Median of ``--runs``, and the app's peak RSS (``VmHWM``).
* tag key -> row updated, **tmux**: ``send-keys 1`` until the captured first row shows `` bug ``
  (then ``1`` again until it is gone), each press after 0.3 s of quiet; and the same with the
  keys back to back (the next press as soon as the row changed, while the previous edit is still
  being stored and the catalog reloaded). Includes the terminal round trip and the 10 ms polls.
* in a child process, **in-process** with ``App.run_test(size=(120, 40))``: launch
  (``Service.open_demo`` + app start) until the first frame whose rendering drew row 0; the
  tag key -> the first frame that drew the cursor row with the chip (``--presses`` presses on
  successive rows, median and p95), and -> the store worker's ``TagsStored``; ``down`` held
  for ``--scroll`` rows (key events posted at 200/s, faster than any key repeat: rows/s, render
  time per frame, time between frames, the page queries it caused); ``end`` -> the frame that
  drew the oldest thread (the deepest page query). Frames are counted by
  ``App.post_display_hook``; rows by wrapping ``ThreadList.render_line``; frame render time by
  wrapping ``Screen._on_timer_update`` (layout + compositor), all inside this script.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import itertools
import json
import os
import platform
import shlex
import shutil
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

ACCOUNT = "demo"
FOLDERS = ("INBOX", "Sent")
SENTINEL = "BENCH-NEWEST"
"""Subject of the newest thread: short enough to show whole in a 120-column list."""
UNREAD_SHARE = 0.1
WIDTH, HEIGHT = 120, 40
TMUX_POLL = 0.01
TMUX_TIMEOUT = 60.0
QUIET = 0.3
"""Seconds of quiet before an 'idle' tag key press (the previous edit's workers are done)."""
CHIP = " bug "
"""How the list row shows ``category:bug``, the catalog's shortcut 1."""
EXIT_MARK = "bench-tui-exit="
SCROLL_RATE = 200.0
"""Keys per second while ``down`` is held (a fast terminal key repeat is 30-60)."""
CLEARED_ENV = ("TMUX", "TMUX_PANE", "COLUMNS", "LINES")
"""Not passed to tmux: COLUMNS/LINES would override the pane's size in the app (a process
started by pytest inherits ``COLUMNS=80 LINES=24``, set at C level where ``os.environ`` in
pytest does not show them)."""
TMUX_CONF = (
    "set -g status off\nset -g exit-empty off\nset -g default-shell /bin/sh\n"
    f"set -g default-size {WIDTH}x{HEIGHT}\n"
)


# ---------------------------------------------------------------------------------------------
# Small helpers
# ---------------------------------------------------------------------------------------------


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def p95(values: Sequence[float]) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


def secs(seconds: float) -> str:
    return f"{seconds:.2f} s"


def vm_hwm_mib(pid: int | str = "self") -> float:
    """Peak resident memory of a process (``VmHWM``, reset by exec), in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def git_commit() -> str:
    try:
        head = subprocess.run(
            ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        dirty = subprocess.run(
            ["git", "-C", str(ROOT), "status", "--porcelain"], capture_output=True, text=True
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("+dirty" if dirty else "")


def cpu_model() -> str:
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


# ---------------------------------------------------------------------------------------------
# The warm cache
# ---------------------------------------------------------------------------------------------


@dataclass
class Built:
    threads: int
    messages: int
    seconds: float
    size_mib: float


def _sentinel(when: dt.datetime) -> bytes:
    from tests.mailgen import TEAM, message

    return message(
        message_id=f"bench-newest-{uuid.uuid4().hex}@bench.example",
        subject=SENTINEL,
        sender="Bench Customer <bench@bench.example>",
        to=TEAM,
        date=when,
        body="The newest thread of the benchmark mailbox.\n",
    )


Item = tuple[int, Any, tuple[str, ...], int, None, None]
"""What ``Cache.add_messages`` takes: (uid, envelope, flags, size, modseq, internaldate)."""


def _generate(threads: int) -> dict[str, list[Item]]:
    """``threads - 1`` generated conversations ending about now, plus the sentinel, by folder."""
    from storage.message import parse_envelope
    from tests.mailgen import support_mailbox

    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    begin = now - dt.timedelta(minutes=10 * threads)
    generated = list(support_mailbox(threads - 1, replies=True, start=begin))
    unread_from = len(generated) - max(1, int(len(generated) * UNREAD_SHARE))
    items: dict[str, list[Item]] = {folder: [] for folder in FOLDERS}
    latest = begin
    for n, msg in enumerate(generated):
        env = parse_envelope(msg.raw)
        if env.date is not None:
            latest = max(latest, env.date)
        unread = msg.folder == "INBOX" and n >= unread_from
        box = items[msg.folder]
        box.append((len(box) + 1, env, () if unread else ("\\Seen",), len(msg.raw), None, None))
    raw = _sentinel(latest + dt.timedelta(minutes=5))
    inbox = items["INBOX"]
    inbox.append((len(inbox) + 1, parse_envelope(raw), (), len(raw), None, None))
    return items


def build_mailbox(data: Path, threads: int) -> Built:
    """Fill ``data/demo`` with ``threads`` threads, as a finished first sync would leave it."""
    from storage.cache import FolderState
    from storage.service import Service
    from tests.mailgen import TEAM

    started = time.perf_counter()
    items = _generate(threads)
    service = Service(
        account=ACCOUNT, data_dir=data / ACCOUNT, folders=FOLDERS, connector=None, own_address=TEAM
    )
    try:
        cache = service.cache
        for folder, rows in items.items():
            cache.save_folder(FolderState(ACCOUNT, folder, 1, 0, False))
            for first in range(0, len(rows), 5000):
                cache.add_messages(ACCOUNT, folder, rows[first : first + 5000])
        cache.thread_pending(ACCOUNT)
        cache.rebuild_threads(ACCOUNT)
        count = service.count_threads()
    finally:
        service.close()
    size = sum(f.stat().st_size for f in (data / ACCOUNT).iterdir() if f.is_file())
    return Built(
        threads=count,
        messages=sum(len(rows) for rows in items.values()),
        seconds=time.perf_counter() - started,
        size_mib=size / 2**20,
    )


# ---------------------------------------------------------------------------------------------
# tmux: the real process in a real terminal
# ---------------------------------------------------------------------------------------------


class Tmux:
    """A private tmux server (own socket and config) with one 120x40 pane."""

    def __init__(self, workdir: Path) -> None:
        self.socket = f"supportmail-bench-{os.getpid()}-{uuid.uuid4().hex[:8]}"
        self.conf = workdir / "tmux.conf"
        self.conf.write_text(TMUX_CONF)
        self.env = {k: v for k, v in os.environ.items() if k not in CLEARED_ENV}
        self.session = ""
        self.runs = 0

    def run(self, *args: str) -> str:
        return subprocess.run(
            ["tmux", "-L", self.socket, "-f", str(self.conf), *args],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=15,
            check=True,
        ).stdout

    def start(self, argv: Sequence[str]) -> None:
        if self.session:
            self.run("kill-session", "-t", self.session)
        self.runs += 1
        self.session = f"run{self.runs}"
        app = shlex.join(["env", "TERM=xterm-256color", *argv])
        # sh runs the app and reports its end (tmux's own dead-pane status is racy with utempter)
        command = f"{app}; echo {EXIT_MARK}$?; exec sleep 86400"
        self.run(
            "new-session", "-d", "-s", self.session, "-x", str(WIDTH), "-y", str(HEIGHT),
            "-c", str(ROOT), command,
        )  # fmt: skip

    def lines(self) -> list[str]:
        return self.run("capture-pane", "-p", "-t", self.session).splitlines()

    def keys(self, *keys: str) -> None:
        self.run("send-keys", "-t", self.session, *keys)

    def app_pid(self) -> int | None:
        """The app process: the child of the pane's shell."""
        shell = self.run("display-message", "-p", "-t", self.session, "#{pane_pid}").strip()
        with contextlib.suppress(OSError, ValueError):
            children = Path(f"/proc/{shell}/task/{shell}/children").read_text().split()
            return int(children[0]) if children else None
        return None

    def wait(self, check: Callable[[list[str]], bool], what: str) -> float:
        """Poll every 10 ms until ``check`` holds; returns the moment (perf_counter)."""
        deadline = time.perf_counter() + TMUX_TIMEOUT
        while True:
            lines = self.lines()
            if check(lines):
                return time.perf_counter()
            if any(EXIT_MARK in line for line in lines) or time.perf_counter() > deadline:
                raise RuntimeError(f"tmux: no {what}:\n" + "\n".join(lines))
            time.sleep(TMUX_POLL)

    def close(self) -> None:
        """Kill the server and remove its socket file (tmux 3.3 leaves it behind)."""
        with contextlib.suppress(subprocess.SubprocessError):
            path = self.run("display-message", "-p", "#{socket_path}").strip()
            self.run("kill-server")
            if path.endswith(self.socket):
                Path(path).unlink(missing_ok=True)


@dataclass
class TmuxResult:
    launches: list[float] = field(default_factory=list)
    tag_idle: list[float] = field(default_factory=list)
    """Tag key on an idle app (0.3 s of quiet before each press), on and off alternately."""
    tag_busy: list[float] = field(default_factory=list)
    """Tag key pressed as soon as the previous one showed (its store worker still running)."""
    rss_mib: list[float] = field(default_factory=list)


def _first_row(lines: list[str]) -> str:
    return lines[0] if lines else ""


def _toggle(tmux: Tmux, on: bool) -> float:
    """Press the tag digit; seconds until the newest row shows (or lost) the chip."""
    pressed = time.perf_counter()
    tmux.keys("1")
    done = tmux.wait(lambda ls: (CHIP in _first_row(ls)) == on, f"tag chip {on=}")
    return done - pressed


def _tmux_run(tmux: Tmux, argv: Sequence[str], presses: int, result: TmuxResult) -> None:
    started = time.perf_counter()
    tmux.start(argv)
    shown = tmux.wait(lambda ls: SENTINEL in _first_row(ls), "newest thread")
    result.launches.append(shown - started)
    for n in range(2 * presses):
        time.sleep(QUIET)
        result.tag_idle.append(_toggle(tmux, on=n % 2 == 0))
    time.sleep(QUIET)
    for _ in range(presses):
        result.tag_busy.append(_toggle(tmux, on=True))
        result.tag_busy.append(_toggle(tmux, on=False))
    pid = tmux.app_pid()
    if pid is not None:
        result.rss_mib.append(vm_hwm_mib(pid))
    tmux.keys("q")
    tmux.wait(lambda ls: any(EXIT_MARK in line for line in ls), "exit")


def measure_tmux(data: Path, workdir: Path, runs: int, presses: int) -> TmuxResult:
    """``runs`` launches of ``supportmail demo`` in tmux, with tag key presses in each."""
    argv = [sys.executable, "-m", "tui", "--config", str(workdir / "none.toml")]
    argv += ["--data-dir", str(data), "demo"]
    result = TmuxResult()
    tmux = Tmux(workdir)
    try:
        for _ in range(runs):
            _tmux_run(tmux, argv, presses, result)
    finally:
        tmux.close()
    return result


# ---------------------------------------------------------------------------------------------
# In-process: App.run_test in a child process (clean imports and peak RSS)
# ---------------------------------------------------------------------------------------------


class Probe:
    """Frame and row signals from inside the app (installed by ``_install_probe``)."""

    def __init__(self) -> None:
        self.want: Callable[[int, str, int], bool] | None = None
        self.matched = False
        self.frame_at: float | None = None
        self.displays: list[float] = []
        self.frame_times: list[float] = []

    def expect(self, want: Callable[[int, str, int], bool]) -> None:
        """Wait for the first frame that draws a row for which ``want(index, text, cursor)``
        holds; its display moment lands in ``frame_at``."""
        self.want = want
        self.matched = False
        self.frame_at = None

    def on_line(self, index: int, text: str, cursor: int) -> None:
        if self.want is not None and not self.matched and self.want(index, text, cursor):
            self.matched = True

    def on_display(self) -> None:
        now = time.perf_counter()
        self.displays.append(now)
        if self.matched and self.frame_at is None:
            self.frame_at = now

    async def frame(self, timeout: float = 60.0) -> float:
        """The display moment of the expected frame (waits for it)."""
        await _until(lambda: self.frame_at is not None, timeout)
        assert self.frame_at is not None
        return self.frame_at


def _install_probe(probe: Probe) -> None:
    """Wrap ``ThreadList.render_line`` (rows drawn) and ``Screen._on_timer_update`` (frame
    render time) for this benchmark process only."""
    from textual.screen import Screen
    from textual.strip import Strip

    from tui.widgets.thread_list import ThreadList

    render_line = ThreadList.render_line

    def probed_render_line(self: ThreadList, y: int) -> Strip:
        strip = render_line(self, y)
        probe.on_line(round(self.scroll_y) + y, strip.text, self.cursor)
        return strip

    on_timer_update = Screen._on_timer_update

    def timed_update(self: Screen[Any]) -> None:
        before = len(probe.displays)
        started = time.perf_counter()
        on_timer_update(self)
        if len(probe.displays) > before:
            probe.frame_times.append(time.perf_counter() - started)

    ThreadList.render_line = probed_render_line  # type: ignore[method-assign]
    Screen._on_timer_update = timed_update  # type: ignore[method-assign]


async def _until(check: Callable[[], bool], timeout: float = 60.0) -> None:
    deadline = time.perf_counter() + timeout
    while not check():
        if time.perf_counter() > deadline:
            raise RuntimeError("timed out waiting inside the app")
        await asyncio.sleep(0.001)


def _timed_queries(service: Any) -> list[float]:
    """Time every ``service.list_threads`` call (the list's page queries) from now on."""
    times: list[float] = []
    list_threads = service.list_threads

    def timed(*args: Any, **kwargs: Any) -> Any:
        begun = time.perf_counter()
        try:
            return list_threads(*args, **kwargs)
        finally:
            times.append(time.perf_counter() - begun)

    service.list_threads = timed
    return times


async def _tag_presses(
    pilot: Any, threads: Any, probe: Probe, stored: list[float], presses: int
) -> dict[str, Any]:
    """Press the tag digit on ``presses`` successive rows: -> chip drawn, -> edit stored."""
    app = pilot.app
    chip: list[float] = []
    store: list[float] = []
    for _ in range(presses):
        await app.workers.wait_for_complete()
        row = threads.cursor

        def chip_drawn(index: int, text: str, _cursor: int, row: int = row) -> bool:
            return index == row and CHIP in text

        probe.expect(chip_drawn)
        stored.clear()
        pressed = time.perf_counter()
        await pilot.press("1")
        shown = await probe.frame()
        await _until(lambda: bool(stored))
        chip.append(shown - pressed)
        store.append(stored[0] - pressed)
        await app.workers.wait_for_complete()
        await pilot.press("down")
        await asyncio.sleep(0.2)  # the new row's preview loads after 0.15 s
    return {"chip": chip, "stored": store}


async def _hold_down(app: Any, threads: Any, probe: Probe, rows: int) -> dict[str, Any]:
    """``down`` at ``SCROLL_RATE`` keys/s for ``rows`` rows, like a held key repeating fast."""
    from textual import events

    await asyncio.sleep(0.3)
    await app.workers.wait_for_complete()
    queries = _timed_queries(app.service)
    target = threads.cursor + rows
    probe.expect(lambda index, _text, cursor: cursor == target and index == target)
    probe.frame_times.clear()
    probe.displays.clear()
    began = time.perf_counter()
    for n in range(rows):
        app.post_message(events.Key("down", None))
        await asyncio.sleep(max(0.0, began + (n + 1) / SCROLL_RATE - time.perf_counter()))
    sent = time.perf_counter()
    shown = await probe.frame()
    gaps = [b - a for a, b in itertools.pairwise(probe.displays) if b <= shown]
    return {
        "scroll_rows": rows,
        "scroll_total": shown - began,
        "scroll_lag": shown - sent,
        "scroll_frames": list(probe.frame_times),
        "scroll_gaps": gaps,
        "scroll_queries": list(queries),
    }


async def _jump_end(pilot: Any, threads: Any, probe: Probe) -> float:
    """``end``: the oldest thread, the deepest page query."""
    await asyncio.sleep(0.3)
    await pilot.app.workers.wait_for_complete()
    last = threads.count - 1
    probe.expect(lambda index, text, _cursor: index == last and bool(text.strip()))
    pressed = time.perf_counter()
    await pilot.press("end")
    return await probe.frame() - pressed


async def _inprocess(data: Path, presses: int, scroll: int) -> dict[str, Any]:
    """Everything measured inside one app (run in a child process by ``measure_inprocess``)."""
    imports = time.perf_counter()
    from textual.message import Message

    from keymaps import load_keymap
    from storage.service import Service
    from tui.app import SupportMailApp
    from tui.messages import TagsStored
    from tui.screens.main import MainScreen
    from tui.widgets.thread_list import ThreadList

    out: dict[str, Any] = {"imports": time.perf_counter() - imports}
    probe = Probe()
    _install_probe(probe)
    stored: list[float] = []
    styles = Path(sys.modules[SupportMailApp.__module__].__file__ or "").parent / "styles"

    class BenchApp(SupportMailApp):
        CSS_PATH = str(styles / "app.tcss")

        def post_display_hook(self) -> None:
            probe.on_display()

    def hook(message: Message) -> None:
        if isinstance(message, TagsStored):
            stored.append(time.perf_counter())

    probe.expect(lambda index, text, _cursor: index == 0 and SENTINEL in text)
    started = time.perf_counter()
    service = Service.open_demo(data)
    out["open_service"] = time.perf_counter() - started
    app = BenchApp(service, load_keymap("default"), keymap_name="default")
    try:
        async with app.run_test(size=(WIDTH, HEIGHT), message_hook=hook) as pilot:
            out["launch"] = await probe.frame() - started
            screen = app.screen
            assert isinstance(screen, MainScreen)
            threads = screen.query_one(ThreadList)
            await _until(lambda: bool(screen.catalog))
            out.update(await _tag_presses(pilot, threads, probe, stored, presses))
            out.update(await _hold_down(app, threads, probe, scroll))
            out["end"] = await _jump_end(pilot, threads, probe)
            await app.workers.wait_for_complete()
    finally:
        service.close()
    out["rss_mib"] = vm_hwm_mib()
    return out


def measure_inprocess(data: Path, presses: int, scroll: int) -> dict[str, Any]:
    """Run ``_inprocess`` in a fresh interpreter; returns its JSON report."""
    argv = [sys.executable, __file__, "--inproc", str(data)]
    argv += ["--presses", str(presses), "--scroll", str(scroll)]
    child = subprocess.run(
        argv,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if child.returncode != 0:
        raise RuntimeError(f"in-process run failed ({child.returncode}):\n{child.stderr}")
    report: dict[str, Any] = json.loads(child.stdout.strip().splitlines()[-1])
    return report


# ---------------------------------------------------------------------------------------------
# Report
# ---------------------------------------------------------------------------------------------


def _spread(values: Sequence[float], fmt: Callable[[float], str]) -> str:
    if not values:
        return "n/a"
    if len(values) == 1:
        return fmt(values[0])
    return (
        f"median {fmt(median(values))}, p95 {fmt(p95(values))}, max {fmt(max(values))} "
        f"(n={len(values)})"
    )


def report(built: Built, tm: TmuxResult | None, ip: dict[str, Any], tmux_note: str) -> None:
    import textual

    print(f"== supportmail TUI: {built.threads:,} threads, {built.messages:,} messages ==")
    print(
        f"date {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %z} · {os.cpu_count()} CPU "
        f"({cpu_model()}) · Python {platform.python_version()} · SQLite "
        f"{sqlite3.sqlite_version} · textual {textual.__version__} · commit {git_commit()}"
    )
    rows: list[tuple[str, str, str]] = [
        (
            "build warm cache",
            secs(built.seconds),
            f"parse + add + thread, no IMAP; cache {built.size_mib:.0f} MiB",
        )
    ]
    if tm is not None:
        rows += [
            (
                "launch -> first rows, tmux",
                _spread(tm.launches, secs),
                "`python -m tui demo` until capture-pane shows the newest row",
            ),
            (
                "tag key -> row updated, tmux",
                _spread(tm.tag_idle, ms),
                "send-keys 1 until the captured row shows/loses the chip (10 ms polls)",
            ),
            (
                "  same, keys back to back",
                _spread(tm.tag_busy, ms),
                "next key as soon as the row changed (previous edit still storing)",
            ),
            ("peak RSS, TUI process", _spread(tm.rss_mib, lambda v: f"{v:.0f} MiB"), "VmHWM"),
        ]
    else:
        rows.append(("tmux rows", "skipped", tmux_note))
    rows += [
        ("imports (textual, tui)", secs(ip["imports"]), "in-process child"),
        ("launch -> first rows, in-process", secs(ip["launch"]), "open_demo + run_test"),
        ("  of which Service.open_demo", secs(ip["open_service"]), ""),
        ("tag key -> frame with chip", _spread(ip["chip"], ms), "optimistic row, next frame"),
        ("tag key -> edit stored", _spread(ip["stored"], ms), "store worker's TagsStored"),
        (
            f"down held, {ip['scroll_rows']:,} rows",
            f"{ip['scroll_rows'] / ip['scroll_total']:.0f} rows/s, "
            f"last frame {ms(ip['scroll_lag'])} after the last key",
            f"keys sent at {SCROLL_RATE:.0f}/s",
        ),
        ("  frame render time", _spread(ip["scroll_frames"], ms), "layout + compositor"),
        ("  time between frames", _spread(ip["scroll_gaps"], ms), "post_display_hook"),
        ("  page queries", _spread(ip["scroll_queries"], ms), "list_threads, 100 rows each"),
        ("end -> oldest row drawn", ms(ip["end"]), "deepest OFFSET"),
        ("peak RSS, in-process child", f"{ip['rss_mib']:.0f} MiB", "app + Pilot harness"),
    ]
    width = max(len(r[0]) for r in rows)
    for label, value, note in rows:
        print(f"{label:<{width}}  {value:<58}  {note}")
    print()
    print(f"| measurement | {built.threads:,} threads | note |")
    print("|---|---|---|")
    for label, value, note in rows:
        print(f"| {label.strip()} | {value} | {note} |")


# ---------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------


@contextlib.contextmanager
def workdir(keep: bool) -> Iterator[Path]:
    path = Path(tempfile.mkdtemp(prefix="supportmail-bench-tui-"))
    try:
        yield path
    finally:
        if keep:
            print(f"kept {path}")
        else:
            shutil.rmtree(path, ignore_errors=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--threads", type=int, default=50_000, help="threads in the mailbox")
    parser.add_argument("--smoke", action="store_true", help="2,000 threads, a few presses")
    parser.add_argument("--runs", type=int, default=3, help="tmux launches")
    parser.add_argument("--presses", type=int, default=50, help="tag key presses (in-process)")
    parser.add_argument("--scroll", type=int, default=2000, help="rows scrolled with down")
    parser.add_argument("--keep", action="store_true", help="keep the data dir")
    parser.add_argument("--inproc", metavar="DIR", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.inproc:
        result = asyncio.run(_inprocess(Path(args.inproc), args.presses, args.scroll))
        print(json.dumps(result))
        return 0
    # SIGTERM (the smoke test's timeout) unwinds through the finally blocks: tmux is killed
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if args.smoke:
        args.threads, args.runs, args.presses, args.scroll = 2000, 1, 10, 300
    tmux_presses = 3 if args.smoke else 10
    with workdir(args.keep) as base:
        data = base / "data"
        built = build_mailbox(data, args.threads)
        tm: TmuxResult | None = None
        tmux_note = ""
        if shutil.which("tmux") is None:
            tmux_note = "tmux not installed"
        else:
            tm = measure_tmux(data, base, args.runs, tmux_presses)
        ip = measure_inprocess(data, args.presses, args.scroll)
        report(built, tm, ip, tmux_note)
    return 0


if __name__ == "__main__":
    sys.exit(main())
