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

import sys
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from supportmail.storage.service import Service
from supportmail.storage.user import journal
from tests.bench.bench_reports import _median, size_and_runs, warm_service


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
    while len(service.userdb.activity(service.account)) < journal.ACTIVITY_MAX:
        service.userdb.log_activity(service.account, "<bench@x>", events, at=at)
    seconds, _ = _median(5, lambda: service.userdb.set_note(service.account, "<b@x>", "n"))
    return seconds


def main() -> None:
    size, runs = size_and_runs(__doc__.split("\n")[0])
    with warm_service(size) as (service, threads, _last, built):
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
        print(f"{f'set_note, {journal.ACTIVITY_MAX:,} activity entries':<34} {note:>8.3f}")


if __name__ == "__main__":
    main()
