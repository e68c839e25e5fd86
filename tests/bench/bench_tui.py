"""Benchmark: the terminal UI on a big mailbox with a warm cache (prints figures, asserts nothing).

Run on purpose, not in the test suite (needs ``tmux``)::

    .venv/bin/python tests/bench/bench_tui.py                    # 50,000 threads
    .venv/bin/python tests/bench/bench_tui.py --threads 250000   # about 7 minutes
    .venv/bin/python tests/bench/bench_tui.py --threads 250000 --data /tmp/tui250k  # build once
    .venv/bin/python tests/bench/bench_tui.py --smoke            # 2,000 threads, < 30 s

The mailbox is built without IMAP: generated support conversations (``tests/mailgen.py``, INBOX
and Sent, the newest tenth unread) are parsed with ``storage.mime.parse_envelope``, added to
the cache of a fresh data dir under the account ``demo`` and threaded, as ``storage/sync/``
does after a first sync. One extra thread, ``BENCH-NEWEST``, is the newest, so the first row of
the list is known. ``supportmail demo`` opens such a data dir as it is (it loads the bundled demo
only into an empty cache), so the real CLI can be timed on it; tags stay local, as in the demo.
``--data DIR`` keeps that data dir and reuses it while it holds ``--threads`` threads (a cache
the current schema dropped is built anew).

Measured:

* launch -> first rows, **tmux**: ``python -m supportmail.tui ... demo`` in a 120x40 tmux pane, from
  ``new-session`` until ``capture-pane`` (polled every 10 ms) shows ``BENCH-NEWEST``; includes
  interpreter start-up and imports. Median of ``--runs``, and the app's peak RSS (``VmHWM``).
  Then until the tag digit works (the catalog loads in a worker after the first rows).
* tag key -> row updated, **tmux**: ``send-keys 1`` until the captured first row shows (or loses)
  `` bug ``, each press after 0.3 s of quiet; and the same with the keys back to back (the next
  press as soon as the row changed, while the previous edit is still being stored and the
  catalog reloaded). Includes the terminal round trip and the 10 ms polls. A press after which
  the row does not reach the asked state within 3 s counts as missed (the run goes on).
* in a child process, **in-process** with ``App.run_test(size=(120, 40))``: launch
  (``Service.open_demo`` + app start) until the first frame whose rendering drew row 0; the
  tag key -> the first frame that drew the cursor row with the chip (``--presses`` presses on
  successive untagged rows, median, p95, how many within one 60 Hz frame), and -> the store
  worker's ``TagsStored``. Then keys held down, posted as key events at a fixed rate:
  ``down`` at 200/s for ``--scroll`` rows from the top (faster than any key repeat); ``down``
  at 40/s (a common key repeat) for ``--repeat`` rows from the top, the middle and the end;
  ``pagedown`` at 40/s for ``--pages`` presses from the top and again ending at the last row.
  For each: rows/s, key -> the first frame showing the cursor at or past that key's row,
  frame render time, time between frames, the longest gap in each tenth of the stretch (a
  stall that grows with the position shows as a rising series), the page queries the UI
  thread waited for (and the slowest per tenth) and those read ahead in a worker. Last
  ``end`` and ``home`` -> the frame that drew the oldest / newest row. Frames are counted by
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
import threading
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
TOGGLE_TIMEOUT = 3.0
"""A tag key press whose row shows no change within this long counts as missed."""
SETTLE = 1.0
"""Seconds for every queued tag edit and catalog reload to finish (1 s at 250k threads)."""
CHIP = " bug "
"""How the list row shows ``category:bug``, the catalog's shortcut 1."""
EXIT_MARK = "bench-tui-exit="
SCROLL_RATE = 200.0
"""Keys per second of the burst (faster than any terminal's key repeat, 30-60/s)."""
REPEAT_RATE = 40.0
"""Keys per second of a held key at a common terminal key repeat rate."""
FRAME = 1 / 60
"""One frame: Textual draws at most 60 per second."""
STALL = 0.05
"""A frame, or a wait for one, longer than this is a visible stall."""
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
    from supportmail.storage.mime import parse_envelope
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
    from supportmail.storage.cache import FolderState
    from supportmail.storage.service import Service
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


def reused_mailbox(data: Path) -> Built:
    """A data dir built by an earlier run (``--data``): counted, not rebuilt."""
    from supportmail.storage.service import Service

    service = Service.open_demo(data)
    try:
        count = service.count_threads()
        messages = service.cache.message_count(ACCOUNT)
    finally:
        service.close()
    size = sum(f.stat().st_size for f in (data / ACCOUNT).iterdir() if f.is_file())
    return Built(threads=count, messages=messages, seconds=float("nan"), size_mib=size / 2**20)


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

    def wait(
        self, check: Callable[[list[str]], bool], what: str, timeout: float = TMUX_TIMEOUT
    ) -> float:
        """Poll every 10 ms until ``check`` holds; returns the moment (perf_counter)."""
        deadline = time.perf_counter() + timeout
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
    ready: list[float] = field(default_factory=list)
    """Launch until the tag digit works (the catalog is loaded by a worker after the first
    rows show; before that the digit says 'no tag has the shortcut 1')."""
    tag_idle: list[float] = field(default_factory=list)
    """Tag key on an idle app (0.3 s of quiet before each press), on and off alternately."""
    tag_busy: list[float] = field(default_factory=list)
    """Tag key pressed as soon as the previous one showed (its store worker still running)."""
    missed_idle: int = 0
    missed_busy: int = 0
    """Presses after which the row never showed the asked state (``TOGGLE_TIMEOUT``)."""
    rss_mib: list[float] = field(default_factory=list)


def _first_row(lines: list[str]) -> str:
    return lines[0] if lines else ""


def _has_chip(tmux: Tmux) -> bool:
    return CHIP in _first_row(tmux.lines())


def _toggle(tmux: Tmux, on: bool, timeout: float = TOGGLE_TIMEOUT) -> float | None:
    """Press the tag digit; seconds until the newest row shows (or lost) the chip, None when
    it did not within ``timeout``."""
    pressed = time.perf_counter()
    tmux.keys("1")
    try:
        done = tmux.wait(lambda ls: (CHIP in _first_row(ls)) == on, f"chip {on=}", timeout)
    except RuntimeError:
        return None
    return done - pressed


def _until_digit_works(tmux: Tmux) -> float:
    """Press the tag digit until it toggles the newest row (the catalog is loaded); returns
    that moment and leaves the row without the chip."""
    deadline = time.perf_counter() + TMUX_TIMEOUT
    while time.perf_counter() < deadline:
        if _toggle(tmux, not _has_chip(tmux), timeout=0.5) is not None:
            ready = time.perf_counter()
            time.sleep(SETTLE)
            if _has_chip(tmux):
                _toggle(tmux, on=False)
            return ready
    raise RuntimeError(
        "tmux: the tag digit never toggled the newest row:\n" + "\n".join(tmux.lines())
    )


def _tmux_run(tmux: Tmux, argv: Sequence[str], presses: int, result: TmuxResult) -> None:
    started = time.perf_counter()
    tmux.start(argv)
    shown = tmux.wait(lambda ls: SENTINEL in _first_row(ls), "newest thread")
    result.launches.append(shown - started)
    result.ready.append(_until_digit_works(tmux) - started)
    for _ in range(2 * presses):
        time.sleep(QUIET)
        took = _toggle(tmux, on=not _has_chip(tmux))
        if took is None:
            result.missed_idle += 1
        else:
            result.tag_idle.append(took)
    time.sleep(QUIET)
    for _ in range(2 * presses):
        took = _toggle(tmux, on=not _has_chip(tmux))
        if took is None:
            result.missed_busy += 1
            time.sleep(SETTLE)
        else:
            result.tag_busy.append(took)
    time.sleep(SETTLE)  # the last edits are stored: the next run starts without the chip
    if _has_chip(tmux):
        _toggle(tmux, on=False)
        time.sleep(SETTLE)
    pid = tmux.app_pid()
    if pid is not None:
        result.rss_mib.append(vm_hwm_mib(pid))
    tmux.keys("q")
    tmux.wait(lambda ls: any(EXIT_MARK in line for line in ls), "exit")


def measure_tmux(data: Path, workdir: Path, runs: int, presses: int) -> TmuxResult:
    """``runs`` launches of ``supportmail demo`` in tmux, with tag key presses in each."""
    argv = [sys.executable, "-m", "supportmail.tui", "--config", str(workdir / "none.toml")]
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
        self.displays: list[tuple[float, int]] = []
        """(moment, cursor) of every frame written to the terminal."""
        self.frame_times: list[float] = []
        self.cursor: Callable[[], int] = lambda: -1
        """Reads the list's cursor (set once the list is mounted)."""

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
        self.displays.append((now, self.cursor()))
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

    from supportmail.tui.widgets.thread_list import ThreadList

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


async def _settle(app: Any) -> None:
    """Let the previous step's timers fire and its workers (preview, catalog) finish; the live
    mirror's worker (an account, not the demo) runs until the app quits."""
    await asyncio.sleep(0.3)
    workers = [w for w in app.workers if w.group != "live"]
    if workers:  # an empty list would mean "all"
        await app.workers.wait_for_complete(workers)


@dataclass(frozen=True)
class Query:
    """One ``service.list_threads`` call (a page query of the list)."""

    offset: int
    seconds: float
    ui: bool
    """Run on the UI thread (the frame waited for it), not in a prefetch worker."""


def _timed_queries(service: Any) -> list[Query]:
    """Time every ``service.list_threads`` call (the list's page queries) from now on."""
    times: list[Query] = []
    list_threads = service.list_threads

    def timed(*args: Any, **kwargs: Any) -> Any:
        query = args[0] if args else kwargs.get("query")
        ui = threading.current_thread() is threading.main_thread()
        begun = time.perf_counter()
        try:
            return list_threads(*args, **kwargs)
        finally:
            seconds = time.perf_counter() - begun
            times.append(Query(getattr(query, "offset", 0), seconds, ui))

    service.list_threads = timed
    return times


async def _tag_presses(
    pilot: Any, threads: Any, probe: Probe, stored: list[float], presses: int
) -> dict[str, Any]:
    """Press the tag digit on ``presses`` successive rows without the tag: -> chip drawn,
    -> edit stored. Rows already tagged (by an earlier run on a kept data dir) are skipped."""
    app = pilot.app
    tag = next(t.name for t in app.screen.catalog if t.shortcut == "1")
    chip: list[float] = []
    store: list[float] = []
    for _ in range(presses):
        await app.workers.wait_for_complete()
        while (current := threads.current) is not None and tag in current.tags:
            await pilot.press("down")
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


@dataclass(frozen=True)
class Hold:
    """A key held down: ``keys`` events posted at ``rate`` per second from row ``start``."""

    label: str
    key: str
    rate: float
    keys: int
    start: int


def _key_latencies(
    posted: Sequence[float], targets: Sequence[int], displays: Sequence[tuple[float, int]]
) -> list[float]:
    """Per key: from posting it to the first frame whose cursor reached the key's row (keys
    that moved nothing, at the end of the list, are left out)."""
    out: list[float] = []
    j = 0
    previous = -1
    for moment, target in zip(posted, targets, strict=True):
        if target == previous:
            continue
        previous = target
        while j < len(displays) and (displays[j][0] < moment or displays[j][1] < target):
            j += 1
        if j == len(displays):
            break
        out.append(displays[j][0] - moment)
    return out


def _by_tenth(pairs: Sequence[tuple[int, float]], first: int, last: int) -> list[float]:
    """The largest value per tenth of the rows ``first..last`` (NaN where none fell)."""
    span = max(1, last - first + 1)
    tenths = [float("nan")] * 10
    for row, value in pairs:
        k = min(9, max(0, (row - first) * 10 // span))
        if not value <= tenths[k]:  # NaN-safe max
            tenths[k] = value
    return tenths


async def _hold(app: Any, threads: Any, probe: Probe, queries: list[Query], hold: Hold) -> Any:
    """Post ``hold.key`` at ``hold.rate``/s, like a held key repeating; figures per frame and
    per key."""
    from textual import events

    threads.cursor_to(hold.start)
    await _settle(app)
    step = 1 if hold.key == "down" else max(1, threads.scrollable_content_region.height - 1)
    first, last = threads.cursor, threads.count - 1
    targets = [min(first + (n + 1) * step, last) for n in range(hold.keys)]
    final = targets[-1]
    probe.expect(lambda index, _text, cursor: cursor == final and index == final)
    probe.frame_times.clear()
    probe.displays.clear()
    asked = len(queries)
    posted: list[float] = []
    began = time.perf_counter()
    for n in range(hold.keys):
        posted.append(time.perf_counter())
        app.post_message(events.Key(hold.key, None))
        await asyncio.sleep(max(0.0, began + (n + 1) / hold.rate - time.perf_counter()))
    sent = posted[-1]
    shown = await probe.frame(timeout=60.0 + hold.keys / hold.rate)
    displays = [d for d in probe.displays if d[0] <= shown]
    gaps = [(b[1], b[0] - a[0]) for a, b in itertools.pairwise(displays)]
    ui = [(q.offset, q.seconds) for q in queries[asked:] if q.ui]
    ahead = [q.seconds for q in queries[asked:] if not q.ui]
    return {
        "label": hold.label,
        "key": hold.key,
        "rate": hold.rate,
        "keys": hold.keys,
        "rows": final - first,
        "first": first,
        "total": shown - began,
        "lag": shown - sent,
        "latency": _key_latencies(posted, targets, displays),
        "frames": list(probe.frame_times),
        "gaps": [g for _row, g in gaps],
        "gap_tenths": _by_tenth(gaps, first, final),
        "queries": [seconds for _offset, seconds in ui],
        "query_tenths": _by_tenth(ui, first, final),
        "prefetched": ahead,
    }


async def _jump(pilot: Any, threads: Any, probe: Probe, queries: list[Query], key: str) -> Any:
    """``end`` / ``home`` from the middle, no page cached: the key -> the first frame that drew
    the last / first row (``end`` waits for the deepest page query)."""
    threads.cursor_to(threads.count // 2)
    threads.reload()
    await _settle(pilot.app)
    target = threads.count - 1 if key == "end" else 0
    probe.expect(
        lambda index, text, cursor: index == target and cursor == target and bool(text.strip())
    )
    asked = len(queries)
    pressed = time.perf_counter()
    await pilot.press(key)
    shown = await probe.frame()
    return {"key": key, "latency": shown - pressed, "queries": [q.seconds for q in queries[asked:]]}


@dataclass(frozen=True)
class Plan:
    """What the in-process child measures."""

    presses: int
    scroll: int
    """Rows of ``down`` at ``SCROLL_RATE`` from the top."""
    repeat: int
    """Rows of ``down`` at ``REPEAT_RATE`` from each of the top, the middle and the end."""
    pages: int
    """``pagedown`` presses at ``REPEAT_RATE`` (0: enough to reach the end from the top)."""

    def holds(self, count: int, page_step: int) -> list[Hold]:
        middle, end = count // 2, max(0, count - self.repeat - 2)
        rate = f"{REPEAT_RATE:.0f}/s"
        holds = [
            Hold(f"down at {SCROLL_RATE:.0f}/s from the top", "down", SCROLL_RATE, self.scroll, 0),
            Hold(f"down at {rate} from the top", "down", REPEAT_RATE, self.repeat, 0),
            Hold(f"down at {rate} from row {middle:,}", "down", REPEAT_RATE, self.repeat, middle),
            Hold(f"down at {rate} from row {end:,}", "down", REPEAT_RATE, self.repeat, end),
        ]
        if not self.pages or self.pages * page_step >= count:
            keys = max(1, -(-count // page_step))
            return [
                *holds,
                Hold(f"pagedown at {rate} from the top", "pagedown", REPEAT_RATE, keys, 0),
            ]
        deep = max(0, count - 1 - self.pages * page_step)
        return [
            *holds,
            Hold(f"pagedown at {rate} from the top", "pagedown", REPEAT_RATE, self.pages, 0),
            Hold(
                f"pagedown at {rate} from row {deep:,}", "pagedown", REPEAT_RATE, self.pages, deep
            ),
        ]

    def seconds(self, count: int) -> float:
        """About how long the child runs (for its timeout)."""
        pages = 2 * self.pages if self.pages else count // 20
        keys = self.scroll / SCROLL_RATE + (3 * self.repeat + pages) / REPEAT_RATE
        return keys + 1.5 * self.presses + 30.0


async def _inprocess(data: Path, plan: Plan) -> dict[str, Any]:
    """Everything measured inside one app (run in a child process by ``measure_inprocess``)."""
    imports = time.perf_counter()
    from textual.message import Message

    from supportmail.keymaps import load_keymap
    from supportmail.storage.service import Service
    from supportmail.tui.app import SupportMailApp
    from supportmail.tui.main.screen import MainScreen
    from supportmail.tui.messages import TagsStored
    from supportmail.tui.widgets.thread_list import ThreadList

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
            probe.cursor = lambda: int(threads.cursor)
            await _until(lambda: bool(screen.catalog))
            out["catalog"] = time.perf_counter() - started
            out.update(await _tag_presses(pilot, threads, probe, stored, plan.presses))
            queries = _timed_queries(app.service)
            step = max(1, threads.scrollable_content_region.height - 1)
            out["holds"] = [
                await _hold(app, threads, probe, queries, hold)
                for hold in plan.holds(threads.count, step)
            ]
            out["jumps"] = [await _jump(pilot, threads, probe, queries, k) for k in ("end", "home")]
            await app.workers.wait_for_complete()
    finally:
        service.close()
    out["rss_mib"] = vm_hwm_mib()
    return out


def measure_inprocess(data: Path, plan: Plan, count: int) -> dict[str, Any]:
    """Run ``_inprocess`` in a fresh interpreter; returns its JSON report."""
    argv = [sys.executable, __file__, "--inproc", str(data)]
    argv += ["--presses", str(plan.presses), "--scroll", str(plan.scroll)]
    argv += ["--repeat", str(plan.repeat), "--pages", str(plan.pages)]
    child = subprocess.run(
        argv,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120 + 2 * plan.seconds(count),
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


def _tenths(values: Sequence[float]) -> str:
    return " ".join("-" if v != v else f"{v * 1000:.0f}" for v in values) + " ms"


def _over(values: Sequence[float], limit: float) -> str:
    return f"{sum(v > limit for v in values)} of {len(values)}"


Row = tuple[str, str, str]


def _tmux_rows(tm: TmuxResult) -> list[Row]:
    return [
        (
            "launch -> first rows, tmux",
            _spread(tm.launches, secs),
            "`python -m supportmail.tui demo` until capture-pane shows the newest row",
        ),
        (
            "launch -> tag digit works, tmux",
            _spread(tm.ready, secs),
            "the catalog is loaded by a worker; until then the digit is refused",
        ),
        (
            "tag key -> row updated, tmux",
            _spread(tm.tag_idle, ms),
            f"send-keys 1 until the captured row shows/loses the chip (10 ms polls); "
            f"missed {tm.missed_idle}",
        ),
        (
            "  same, keys back to back",
            _spread(tm.tag_busy, ms),
            f"next key as soon as the row changed (previous edit still storing); "
            f"missed {tm.missed_busy}",
        ),
        ("peak RSS, TUI process", _spread(tm.rss_mib, lambda v: f"{v:.0f} MiB"), "VmHWM"),
    ]


def _hold_rows(hold: dict[str, Any]) -> list[Row]:
    total = hold["total"]
    frames, gaps, latency = hold["frames"], hold["gaps"], hold["latency"]
    return [
        (
            f"{hold['label']}, {hold['keys']:,} keys",
            f"{hold['rows'] / total:,.0f} rows/s ({hold['keys'] / total:.0f} keys/s), "
            f"last frame {ms(hold['lag'])} after the last key",
            f"{hold['rows']:,} rows from row {hold['first']:,}",
        ),
        ("  key -> frame showing it", _spread(latency, ms), f"over 50 ms: {_over(latency, STALL)}"),
        (
            "  frame render time",
            _spread(frames, ms),
            f"layout + compositor; over 50 ms: {_over(frames, STALL)}",
        ),
        ("  time between frames", _spread(gaps, ms), f"over 50 ms: {_over(gaps, STALL)}"),
        ("  longest gap per tenth", _tenths(hold["gap_tenths"]), "does it grow down the list?"),
        ("  page queries, UI thread", _spread(hold["queries"], ms), "the frame waits for these"),
        (
            "  slowest of those per tenth",
            _tenths(hold["query_tenths"]),
            "OFFSET grows with the row",
        ),
        ("  page queries, prefetched", _spread(hold["prefetched"], ms), "in a thread worker"),
    ]


def _inprocess_rows(ip: dict[str, Any]) -> list[Row]:
    chip = ip["chip"]
    rows: list[Row] = [
        ("imports (textual, tui)", secs(ip["imports"]), "in-process child"),
        ("launch -> first rows, in-process", secs(ip["launch"]), "open_demo + run_test"),
        ("  of which Service.open_demo", secs(ip["open_service"]), ""),
        ("launch -> tag catalog loaded", secs(ip["catalog"]), "the digits work from then"),
        (
            "tag key -> frame with chip",
            _spread(chip, ms),
            f"optimistic row; within one frame ({ms(FRAME)}): "
            f"{sum(c <= FRAME for c in chip)} of {len(chip)}",
        ),
        ("tag key -> edit stored", _spread(ip["stored"], ms), "store worker's TagsStored"),
    ]
    for hold in ip["holds"]:
        rows += _hold_rows(hold)
    for jump in ip["jumps"]:
        what = "oldest" if jump["key"] == "end" else "newest"
        rows.append(
            (
                f"{jump['key']} -> {what} row drawn",
                ms(jump["latency"]),
                f"page queries {', '.join(ms(q) for q in jump['queries']) or 'none'}",
            )
        )
    rows.append(("peak RSS, in-process child", f"{ip['rss_mib']:.0f} MiB", "app + Pilot harness"))
    return rows


def report(built: Built, tm: TmuxResult | None, ip: dict[str, Any], tmux_note: str) -> None:
    import textual

    print(f"== supportmail TUI: {built.threads:,} threads, {built.messages:,} messages ==")
    print(
        f"date {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %z} · {os.cpu_count()} CPU "
        f"({cpu_model()}) · Python {platform.python_version()} · SQLite "
        f"{sqlite3.sqlite_version} · textual {textual.__version__} · commit {git_commit()}"
    )
    fresh = built.seconds == built.seconds  # NaN: reused with --data
    rows: list[Row] = [
        (
            "build warm cache",
            secs(built.seconds) if fresh else "reused",
            f"{'parse + add + thread, no IMAP; ' if fresh else '--data; '}"
            f"cache {built.size_mib:.0f} MiB",
        )
    ]
    rows += _tmux_rows(tm) if tm is not None else [("tmux rows", "skipped", tmux_note)]
    rows += _inprocess_rows(ip)
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


def _mailbox(data: Path | None, base: Path, threads: int) -> tuple[Path, Built]:
    """The data dir to measure: ``data`` as it is when it holds a cache (``--data``), else a
    fresh build of ``threads`` threads (into ``data`` when given, kept for the next run)."""
    if data is None:
        return base / "data", build_mailbox(base / "data", threads)
    if (data / ACCOUNT / "cache.sqlite3").exists():
        reused = reused_mailbox(data)
        if reused.threads == threads:
            return data, reused
        # another size, or a cache the current schema dropped (it then holds the demo)
        print(f"--data {data}: {reused.threads:,} threads, not {threads:,}; building anew")
        shutil.rmtree(data / ACCOUNT)
    return data, build_mailbox(data, threads)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--threads", type=int, default=50_000, help="threads in the mailbox")
    parser.add_argument("--smoke", action="store_true", help="2,000 threads, a few presses")
    parser.add_argument("--runs", type=int, default=3, help="tmux launches")
    parser.add_argument("--presses", type=int, default=50, help="tag key presses (in-process)")
    parser.add_argument(
        "--scroll", type=int, default=20_000, help=f"rows of down at {SCROLL_RATE:.0f}/s"
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1000,
        help=f"rows of down at {REPEAT_RATE:.0f}/s from the top, the middle and the end",
    )
    parser.add_argument(
        "--pages",
        type=int,
        default=600,
        help=f"pagedown presses at {REPEAT_RATE:.0f}/s from the top and again to the end "
        "(0: once through the whole list)",
    )
    parser.add_argument("--data", type=Path, help="data dir to reuse (built there if empty)")
    parser.add_argument("--no-tmux", action="store_true", help="in-process figures only")
    parser.add_argument("--keep", action="store_true", help="keep the work dir")
    parser.add_argument("--inproc", metavar="DIR", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.smoke:
        args.threads, args.runs, args.presses = 2000, 1, 10
        args.scroll, args.repeat, args.pages = 300, 40, 0
    plan = Plan(args.presses, args.scroll, args.repeat, args.pages)
    if args.inproc:
        result = asyncio.run(_inprocess(Path(args.inproc), plan))
        print(json.dumps(result))
        return 0
    # SIGTERM (the smoke test's timeout) unwinds through the finally blocks: tmux is killed
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    tmux_presses = 3 if args.smoke else 10
    with workdir(args.keep) as base:
        data, built = _mailbox(args.data, base, args.threads)
        tm: TmuxResult | None = None
        tmux_note = ""
        if args.no_tmux:
            tmux_note = "--no-tmux"
        elif shutil.which("tmux") is None:
            tmux_note = "tmux not installed"
        else:
            tm = measure_tmux(data, base, args.runs, tmux_presses)
        ip = measure_inprocess(data, plan, built.threads)
        report(built, tm, ip, tmux_note)
    return 0


if __name__ == "__main__":
    sys.exit(main())
