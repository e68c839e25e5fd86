"""Benchmark: keys stay within one frame while the body mirror runs (prints figures only).

Issue 12's target: the median key -> frame time stays within one 60 Hz frame (16.7 ms) while a
sync mirrors message bodies in the background. Run on purpose (needs Dovecot 2.3)::

    .venv/bin/python tests/bench/bench_keys_mirror.py                  # 50,000 messages
    .venv/bin/python tests/bench/bench_keys_mirror.py --size 250000
    .venv/bin/python tests/bench/bench_keys_mirror.py --smoke          # 2,000 messages

A throwaway Dovecot is seeded with the body-rich support mailbox of ``bench_bodies.py``; a
``supportmail sync --headers-only`` fills the cache with headers alone. Then the real app runs
in-process (``App.run_test(size=(120, 40))``) on the real service: its start-up sync finds every
body missing and mirrors them in its worker, and meanwhile ``down`` is held (key events posted
at 40/s, a common key repeat) for ``--keys`` rows (120: 3 s, within the mirror at 50k).
Measured per key with ``bench_tui.py``'s probes: from posting the key to the first frame whose
cursor reached its row. The same hold is repeated once the mirror has finished, as the
baseline. Also printed: how many bodies the mirror stored during the held keys (a hold that
missed the mirror shows), and frame render times. Never asserts a time.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from supportmail.keymaps import load_keymap  # noqa: E402
from supportmail.storage.service import CACHE_FILE, Service  # noqa: E402
from supportmail.storage.settings import load_settings  # noqa: E402
from tests.bench.bench_bodies import seed  # noqa: E402
from tests.bench.bench_sync import PASSWORD, USER, Bench  # noqa: E402
from tests.bench.bench_tui import Hold, Probe, _hold, _install_probe, _timed_queries  # noqa: E402
from tests.dovecot import Dovecot, dovecot_available  # noqa: E402

FRAME = 1 / 60


def _bodies(data: Path) -> int:
    with contextlib.closing(sqlite3.connect(data / "support" / CACHE_FILE)) as db:
        return int(db.execute("SELECT count(*) FROM bodies").fetchone()[0])


def _mirroring(progress: str) -> bool:
    """The status bar's progress says the mirror has stored some bodies (``bodies 200/1000``)."""
    words = progress.split()
    if "bodies" not in words or words[-1] == "bodies":
        return False
    done = words[words.index("bodies") + 1].split("/")[0]
    return done.isdigit() and int(done) > 0


def _figures(label: str, hold: dict[str, Any], stored: int | None) -> str:
    latency = sorted(hold["latency"])
    if not latency:
        return f"{label}: no key moved the cursor"
    median = statistics.median(latency)
    p95 = latency[min(len(latency) - 1, int(0.95 * len(latency)))]
    within = sum(1 for x in latency if x <= FRAME)
    frames = hold["frames"]
    render = statistics.median(frames) * 1000 if frames else float("nan")
    during = f"; bodies stored meanwhile: {stored}" if stored is not None else ""
    return (
        f"{label}: key -> frame median {median * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms, "
        f"max {latency[-1] * 1000:.1f} ms; {within}/{len(latency)} within one frame; "
        f"render median {render:.1f} ms{during}"
    )


async def _measure(data: Path, config: Path, keys: int) -> list[str]:
    from supportmail.tui.app import SupportMailApp
    from supportmail.tui.main.screen import MainScreen

    settings = load_settings(config)
    service = Service.open(settings, settings.account("support"), data)
    probe = Probe()
    _install_probe(probe)
    queries = _timed_queries(service)
    app = SupportMailApp(service, load_keymap(), poll_seconds=3600.0)
    app.post_display_hook = probe.on_display  # type: ignore[method-assign]
    lines: list[str] = []
    try:
        async with app.run_test(size=(120, 40)):
            screen = app.screen
            assert isinstance(screen, MainScreen)
            threads = screen.thread_list
            probe.cursor = lambda: threads.cursor
            deadline = time.perf_counter() + 120
            while not _mirroring(screen.status.progress):  # the mirror has begun
                if time.perf_counter() > deadline:
                    app.exit()
                    raise RuntimeError(
                        f"the body mirror never began ({threads.count} threads, status "
                        f"{screen.status.connection!r} {screen.status.progress!r})"
                    )
                await asyncio.sleep(0.005)
            before = _bodies(data)
            hold = await _hold(app, threads, probe, queries, Hold("mirror", "down", 40, keys, 0))
            lines.append(_figures("while mirroring", hold, _bodies(data) - before))
            while "bodies" in screen.status.progress or screen.status.connection == "syncing":
                await asyncio.sleep(0.1)
            hold = await _hold(app, threads, probe, queries, Hold("idle", "down", 40, keys, 0))
            lines.append(_figures("mirror done (baseline)", hold, None))
            app.exit()
    finally:
        service.close()
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--size", type=int, default=50_000, help="messages in the mailbox")
    parser.add_argument("--keys", type=int, default=120, help="held `down` keys per stretch")
    parser.add_argument("--smoke", action="store_true", help="2,000 messages, 10 keys")
    args = parser.parse_args(argv)
    if args.smoke:
        args.size, args.keys = 2000, 10
    reason = dovecot_available()
    if reason is not None:
        print(f"bench_keys_mirror: skipped: {reason}")
        return 0
    with tempfile.TemporaryDirectory(prefix="bench-keys-mirror-") as tmp:
        scratch = Path(tmp)
        server = Dovecot()
        server.start(scratch / "dovecot")
        try:
            user = server.add_user(USER, PASSWORD)
            counts, total, _big = seed(user, args.size)
            bench = Bench(user, scratch, 1)
            data = bench.fresh_data_dir()
            bench.cli(data, "sync", "--headers-only")
            print(
                f"keys while the body mirror runs: {sum(counts.values()):,} messages "
                f"({total / 2**20:.0f} MiB), {args.keys} `down` keys at 40/s per stretch"
            )
            for line in asyncio.run(_measure(data, bench.config, args.keys)):
                print(line)
            from textual import constants  # imported by the app, after supportmail.tui

            print(f"Textual's frame rate: at most {constants.MAX_FPS} frames/s (TEXTUAL_FPS)")
            print(f"target: median <= {FRAME * 1000:.1f} ms while mirroring")
        finally:
            server.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
