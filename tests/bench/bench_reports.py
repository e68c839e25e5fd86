"""Benchmark for the report commands on a warm cache: ``report``, ``voice``, ``bugs``, ``digest``.

Run on purpose, not in the test suite::

    .venv/bin/python tests/bench/bench_reports.py                 # 50,000 messages
    .venv/bin/python tests/bench/bench_reports.py --size 250000
    .venv/bin/python tests/bench/bench_reports.py --smoke         # 2,000 messages, seconds

The cache is built directly (no IMAP), the way ``Service.open_demo`` loads the demo: generated
support mail from ``tests/mailgen.py`` (a customer's question, team replies in Sent, follow-ups)
over about six months, every thread tagged like a triaged mailbox (team, category, and a label on
feature requests; a fifth left untagged), every body cached. Each operation then runs ``--runs``
times on the warm cache and the median seconds are printed, with what it returned.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from supportmail.storage.cache import FolderState
from supportmail.storage.mime import parse_body, parse_envelope
from supportmail.storage.service import Service
from supportmail.storage.tags import encode_keyword
from tests.mailgen import _TOPICS, TEAM, support_mailbox

_TEAMS = {
    "billing": "team:billing",
    "bug": "team:editor",
    "feature-request": "team:editor",
    "product-confusion": "team:editor",
    "account": "team:accounts",
    "how-to": "team:editor",
    "praise": "team:editor",
    "churn-risk": "team:accounts",
}
_LABELS = ("dark-mode", "csv-export", "gantt-view", "sso", "offline-mode", "api-webhooks")


def _flags(topic_index: int, rng: random.Random) -> tuple[str, ...]:
    """A triaged thread's keywords: team, category (as mailgen's topic), a label on requests."""
    if rng.random() < 0.2:
        return ()
    category = _TOPICS[topic_index % len(_TOPICS)][1]
    tags = [_TEAMS[category], f"category:{category}"]
    if category == "feature-request":
        tags.append(rng.choices(_LABELS, weights=(6, 5, 4, 3, 2, 1))[0])
    return tuple(encode_keyword(t) for t in tags)


def build(service: Service, size: int) -> tuple[int, datetime]:
    """Load ``size`` generated messages into the service's cache; returns (threads, last date)."""
    rng = random.Random(11)
    thread_flags: dict[int, tuple[str, ...]] = {}
    by_folder: dict[str, list[tuple[int, object, tuple[str, ...], int, None, None]]] = {}
    raws: list[tuple[str, int, bytes]] = []
    last: datetime | None = None
    for n, msg in enumerate(support_mailbox(size, seed=5)):
        if n == size:
            break
        flags = thread_flags.setdefault(msg.thread_key, _flags(msg.thread_key, rng))
        items = by_folder.setdefault(msg.folder, [])
        uid = len(items) + 1
        env = parse_envelope(msg.raw)
        items.append((uid, env, ("\\Seen", *flags), len(msg.raw), None, None))
        raws.append((msg.folder, uid, msg.raw))
        if env.date is not None and (last is None or env.date > last):
            last = env.date
    for folder, items in by_folder.items():
        service.cache.save_folder(FolderState(service.account, folder, 1, 0, False))
        service.cache.add_messages(service.account, folder, items)  # type: ignore[arg-type]
    rowids = service.cache.rowids(service.account)
    for folder, uid, raw in raws:
        service.cache.save_body(rowids[(folder, uid)], parse_body(raw))
    service.cache.thread_pending(service.account)
    service.cache.rebuild_threads(service.account)
    if last is None:
        raise SystemExit("no dated messages generated")
    return len(thread_flags), last


def _median(runs: int, call: Callable[[], object]) -> tuple[float, object]:
    times = []
    result: object = None
    for _ in range(runs):
        start = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - start)
    return statistics.median(times), result


def size_and_runs(description: str) -> tuple[int, int]:
    """``--size``/``--runs``/``--smoke`` as every cache benchmark takes them."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--size", type=int, default=50_000, help="messages (default 50,000)")
    parser.add_argument("--runs", type=int, default=5, help="runs per operation (median)")
    parser.add_argument("--smoke", action="store_true", help="2,000 messages, 2 runs")
    args = parser.parse_args()
    return (2_000, 2) if args.smoke else (args.size, args.runs)


@contextmanager
def warm_service(size: int) -> Iterator[tuple[Service, int, datetime, float]]:
    """A server-less service over ``size`` generated messages in a temp dir, its clock one hour
    after the newest message: (service, threads, newest date, seconds it took to build)."""
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
        try:
            yield service, threads, last, time.perf_counter() - start
        finally:
            service.close()


def main() -> None:
    size, runs = size_and_runs(__doc__.split("\n")[0])
    with warm_service(size) as (service, threads, last, built):
        print(f"== {size:,} messages, {threads:,} threads, warm cache (built in {built:.1f} s) ==")
        quarter = (last - timedelta(days=91), last + timedelta(hours=1))
        operations: list[tuple[str, Callable[[], object], Callable[[object], str]]] = [
            ("report --by week (12 weeks)", lambda: service.report(), _report_note),
            (
                "report --by day (since 12 weeks)",
                lambda: service.report(last - timedelta(weeks=12), by="day"),
                _report_note,
            ),
            (
                "report --by month (all)",
                lambda: service.report(last - timedelta(days=400), by="month"),
                _report_note,
            ),
            ("voice (last 3 months)", lambda: service.voice(), _voice_note),
            ("voice (quarter)", lambda: service.voice(*quarter), _voice_note),
            ("bugs (12 weeks)", lambda: service.bugs_by_reach(), _bugs_note),
            ("digest (24 hours)", lambda: service.digest(), _digest_note),
        ]
        print(f"{'operation':<34} {'seconds':>8}  result")
        for name, call, note in operations:
            seconds, result = _median(runs, call)
            print(f"{name:<34} {seconds:>8.3f}  {note(result)}")


def _report_note(result: object) -> str:
    tags = getattr(result, "tags", ())
    spikes = sum(1 for t in tags if t.spike is not None)
    return f"{getattr(result, 'threads', 0):,} threads, {len(tags)} tags, {spikes} spikes"


def _voice_note(result: object) -> str:
    requests = getattr(result, "requests", ())
    quotes = sum(len(r.quotes) for r in requests)
    return f"{getattr(result, 'threads', 0):,} requests, top {len(requests)}, {quotes} quotes"


def _bugs_note(result: object) -> str:
    return f"{getattr(result, 'threads', 0):,} bugs in {len(getattr(result, 'groups', ()))} groups"


def _digest_note(result: object) -> str:
    return f"{getattr(result, 'threads', 0):,} threads"


if __name__ == "__main__":
    main()
