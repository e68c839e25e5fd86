"""Benchmark: milliseconds per durable UserDB call as the database grows.

Every write re-reads the file under the lock, rewrites it to a temp file, fsyncs, keeps the
``.bak`` and renames, so the cost grows with the file. Prints one row per size::

    .venv/bin/python tests/bench/bench_userdb.py            # 100, 1k, 5k entries
    .venv/bin/python tests/bench/bench_userdb.py --smoke    # 100 entries, a few calls (CI)

"Entries" means that many outbox edits *and* that many notes already in the file.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from supportmail.storage.tags import SEED_CATEGORIES, tag_kind
from supportmail.storage.user.atomic import AtomicJSONStorage
from supportmail.storage.user.db import UserDB

ACCOUNT = "support"


def prefill(path: Path, entries: int) -> None:
    """Write a database with ``entries`` outbox edits and notes in one go."""
    now = time.time()
    outbox = {
        str(i): {
            "account": ACCOUNT,
            "thread_root": f"<root-{i}@example.com>",
            "keyword": "team:billing" if i % 2 else "category:bug",
            "add": True,
            "message_ids": [f"<msg-{i}-{j}@example.com>" for j in range(4)],
            "seq": i,
            "created": now,
        }
        for i in range(1, entries + 1)
    }
    notes = {
        str(i): {
            "account": ACCOUNT,
            "root": f"<root-{i}@example.com>",
            "text": f"Customer {i} asked about the invoice twice; call back on Monday.",
            "updated": now,
        }
        for i in range(1, entries + 1)
    }
    catalog = {
        str(i): {"name": n, "kind": tag_kind(n), "shortcut": str(i), "color": None}
        for i, n in enumerate(SEED_CATEGORIES, start=1)
    }
    meta = {"1": {"schema": 1, "next_seq": entries + 1}}
    data = {"meta": meta, "catalog": catalog, "outbox": outbox, "notes": notes, "settings": {}}
    AtomicJSONStorage(path).save(data)


def per_call_ms(calls: int, action: Callable[[int], object]) -> float:
    start = time.perf_counter()
    for i in range(calls):
        action(i)
    return (time.perf_counter() - start) * 1000 / calls


def bench(entries: int, calls: int, workdir: Path) -> tuple[float, float, float, int]:
    path = workdir / f"userdb-{entries}.json"
    prefill(path, entries)
    db = UserDB(path)
    try:
        put = per_call_ms(
            calls,
            lambda i: db.outbox_put(
                ACCOUNT, f"<new-{i}@example.com>", [f"<m-{i}@example.com>"], "team:billing", True
            ),
        )
        note = per_call_ms(
            calls, lambda i: db.set_note(ACCOUNT, f"<root-{i + 1}@example.com>", f"edited {i}")
        )
        read = per_call_ms(calls, lambda i: db.outbox(ACCOUNT))
    finally:
        db.close()
    return put, note, read, path.stat().st_size


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--smoke", action="store_true", help="one small size, a few calls")
    parser.add_argument("--calls", type=int, default=30, help="calls timed per operation")
    args = parser.parse_args()
    sizes = [100] if args.smoke else [100, 1_000, 5_000]
    calls = 5 if args.smoke else args.calls
    header = ("entries", "file KiB", "outbox_put ms", "set_note ms", "outbox() ms")
    print(f"{header[0]:>8} {header[1]:>9} {header[2]:>14} {header[3]:>12} {header[4]:>12}")
    with tempfile.TemporaryDirectory(prefix="bench-userdb-") as tmp:
        for entries in sizes:
            put, note, read, size = bench(entries, calls, Path(tmp))
            print(f"{entries:>8} {size / 1024:>9.0f} {put:>14.2f} {note:>12.2f} {read:>12.2f}")


if __name__ == "__main__":
    main()
