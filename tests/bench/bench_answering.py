"""Benchmark for the answering reads on a warm cache: the awaiting view and ``responses``.

Run on purpose, not in the test suite::

    .venv/bin/python tests/bench/bench_answering.py                 # 50,000 messages
    .venv/bin/python tests/bench/bench_answering.py --size 250000
    .venv/bin/python tests/bench/bench_answering.py --smoke         # 2,000 messages, seconds

The cache is the one ``bench_reports.py`` builds (generated support mail over six months, team
replies in Sent). The issue states no number for these; the figures show what the TUI's awaiting
view costs (computed in a worker; pages after it come from the memo) and what a report costs.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from supportmail.storage.models import ResponseReport, ThreadQuery
from tests.bench.bench_reports import _median, size_and_runs, warm_service


def main() -> None:
    size, runs = size_and_runs(__doc__ or "")
    with warm_service(size) as (service, threads, _last, built):
        print(f"== {size:,} messages, {threads:,} threads (built in {built:.1f} s) ==")
        answers = service.answers

        def cold_waiting() -> object:
            answers.invalidate()
            return answers.waiting()

        def page(query: ThreadQuery) -> object:
            return service.list_threads(query)

        first_page = ThreadQuery(awaiting=True, limit=100)
        one_tag = ThreadQuery(awaiting=True, tags=("team:billing",), limit=100)
        rows: list[tuple[str, float, str]] = []
        seconds, found = _median(runs, cold_waiting)
        waiting = len(found) if isinstance(found, list) else 0
        rows.append(("awaiting list (cold: the worker's scan)", seconds, f"{waiting:,} wait"))
        seconds, _ = _median(runs, lambda: page(first_page))
        rows.append(("awaiting page of 100 (memo)", seconds, ""))
        seconds, _ = _median(runs, lambda: page(one_tag))
        rows.append(("awaiting page, one tag (memo)", seconds, ""))
        seconds, report = _median(runs, lambda: answers.responses(by="week"))
        total = report.total if isinstance(report, ResponseReport) else None
        rows.append(
            (
                "responses --by week (12 weeks)",
                seconds,
                f"{total.threads:,} threads" if total else "",
            )
        )
        seconds, _ = _median(runs, lambda: answers.responses(by="month", kind="team"))
        rows.append(("responses --by month --kind team", seconds, ""))
        print(f"{'operation':<42} {'median s':>9}  result")
        for name, secs, note in rows:
            print(f"{name:<42} {secs:>9.3f}  {note}")


if __name__ == "__main__":
    main()
