"""Benchmark for the customer day on a warm cache: the calls behind each step of ``day``.

Run on purpose, not in the test suite::

    .venv/bin/python tests/bench/bench_day.py                 # 50,000 messages
    .venv/bin/python tests/bench/bench_day.py --size 250000
    .venv/bin/python tests/bench/bench_day.py --smoke         # 2,000 messages, seconds

The cache is the one ``bench_reports.py`` builds (generated support mail, a fifth of the threads
untagged, every body cached). One shift is started, then each call runs ``--runs`` times and the
median seconds are printed: the work of one interactive step is ``day_status`` + ``day_next`` +
``first_customer_words`` + ``edit_tags``. Finally the activity log is filled to its cap to show
what a userdb write costs then.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from storage import userdb
from storage.service import Service
from tests.bench.bench_reports import _median, build
from tests.mailgen import TEAM


def _step(service: Service) -> object:
    """One interactive step: progress, the next thread and its text, then tag it fully."""
    service.day_status()
    thread = service.day_next()
    if thread is None:
        return None
    service.first_customer_words(thread.id)
    return service.edit_tags(thread.id, ["team:billing", "category:bug"])


def _fill_activity(service: Service) -> float:
    """Fill the activity log to its cap; the median seconds of one ``set_note`` afterwards."""
    events = [("note", None)] * 500
    at = service.now().timestamp()
    while len(service.userdb.activity(service.account)) < userdb.ACTIVITY_MAX:
        service.userdb.log_activity(service.account, "<bench@x>", events, at=at)
    seconds, _ = _median(5, lambda: service.userdb.set_note(service.account, "<b@x>", "n"))
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=int, default=50_000, help="messages (default 50,000)")
    parser.add_argument("--runs", type=int, default=5, help="runs per operation (median)")
    parser.add_argument("--smoke", action="store_true", help="2,000 messages, 2 runs")
    args = parser.parse_args()
    size, runs = (2_000, 2) if args.smoke else (args.size, args.runs)

    with tempfile.TemporaryDirectory() as tmp:
        clock: list[datetime] = []
        service = Service(
            account="bench",
            data_dir=Path(tmp) / "bench",
            folders=("INBOX", "Sent"),
            connector=None,
            own_address=TEAM,
            clock=lambda: clock[0],
        )
        start = time.perf_counter()
        threads, last = build(service, size)
        clock.append(last + timedelta(hours=1))
        built = time.perf_counter() - start
        shift = service.day_start()
        print(
            f"== {size:,} messages, {threads:,} threads, queue of {shift.queue_size:,} "
            f"(built in {built:.1f} s) =="
        )
        operations: list[tuple[str, Callable[[], object]]] = [
            ("day_start (resume)", service.day_start),
            ("day_status", service.day_status),
            ("day_next", service.day_next),
            ("day_queue(20)", lambda: service.day_queue(20)),
            ("one interactive step", lambda: _step(service)),
            ("day_summary", service.day_summary),
        ]
        print(f"{'operation':<34} {'seconds':>8}")
        for name, call in operations:
            seconds, _ = _median(runs, call)
            print(f"{name:<34} {seconds:>8.3f}")
        note = _fill_activity(service)
        print(f"{f'set_note, {userdb.ACTIVITY_MAX:,} activity entries':<34} {note:>8.3f}")
        service.close()


if __name__ == "__main__":
    main()
