"""Benchmark: the first sync with the body mirror against a throwaway Dovecot, beside the floor.

Run on purpose, not in the test suite (needs Dovecot 2.3 and the installed
``.venv/bin/supportmail``)::

    .venv/bin/python tests/bench/bench_bodies.py                    # 10,000 messages, 3 runs
    .venv/bin/python tests/bench/bench_bodies.py --sizes 10000,250000 --runs 3
    .venv/bin/python tests/bench/bench_bodies.py --smoke            # 500 messages, one run

For each size it starts a Dovecot, seeds INBOX and Sent with that many generated support
messages made body-rich (:func:`enrich`: a fifth are HTML-only or multipart/alternative, one in
25 carries a PDF of 20-120 KB, one in 2,000 a 2 MB attachment that the mirror must not
download), primes Dovecot's caches with one floor run, and prints:

* the floor: plain imaplib fetching, per folder, the header items supportmail's sync asks for
  plus every whole message (``BODY.PEEK[]``), in UID ranges of 10,000 (nothing parsed);
* ``supportmail sync`` into an empty data dir (headers, threading, then every body), as a
  subprocess: seconds and peak RSS (``os.wait4`` through ``bench_sync.LAUNCHER``), and the same
  with ``--headers-only``;
* in-process ``Service.sync``: when the body phase began and how long it took (progress
  callback), and what it fetched (bodies stored, bytes of the big attachments not fetched);
* the ratio of the cold sync with bodies to the floor (target: at most 10x), and the targets
  for 250k (at most 60 s, at most 150 MiB peak RSS);
* what the fetch strategy was chosen by (:func:`strategy`): every message's ``BODYSTRUCTURE``
  against every whole message, and for one message with an attachment of 16 KiB to 4 MiB a
  whole fetch against ``BODYSTRUCTURE`` plus its text section.

The cold syncs run ``--runs`` times up to 10,000 messages, once above. Never asserts a time.
"""

from __future__ import annotations

import argparse
import contextlib
import imaplib
import itertools
import random
import shutil
import signal
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from supportmail.storage.models import SyncProgress  # noqa: E402
from supportmail.storage.service import CACHE_FILE, Service  # noqa: E402
from supportmail.storage.settings import load_settings  # noqa: E402
from tests.bench.bench_sync import (  # noqa: E402
    FOLDERS,
    HEADER_ITEMS,
    PASSWORD,
    SUPPORTMAIL,
    USER,
    Bench,
    CliRun,
    _stop_on_sigterm,
    generate,
    machine_lines,
)
from tests.dovecot import Dovecot, MailUser, dovecot_available  # noqa: E402

FLOOR_SPAN = 10_000
"""UIDs per floor ``UID FETCH`` (bounds the floor's own memory at 250k)."""
HTML_EVERY, PDF_EVERY, BIG_EVERY = 5, 25, 2000
BIG_BYTES = 2 * 1024 * 1024
TARGET_RATIO, TARGET_SECONDS, TARGET_RSS = 10.0, 60.0, 150.0


# -- the mailbox --------------------------------------------------------------------------------


_MIME_FIELDS = (b"mime-version:", b"content-type:", b"content-transfer-encoding:")


def _split(raw: bytes) -> tuple[bytes, bytes]:
    """(header without its MIME fields, body) of a generated plain-text message."""
    head, _sep, body = raw.partition(b"\r\n\r\n")
    kept = [line for line in head.split(b"\r\n") if not line.lower().startswith(_MIME_FIELDS)]
    return b"\r\n".join(kept), body


def _base64_lines(data: bytes) -> bytes:
    import base64

    encoded = base64.b64encode(data)
    return b"\r\n".join(encoded[i : i + 76] for i in range(0, len(encoded), 76))


def enrich(raw: bytes, n: int, rng: random.Random) -> bytes:
    """Message ``n`` made like real support mail: some HTML, some attachments, rarely a big one."""
    head, body = _split(raw)
    text = body.decode("utf-8")
    plain = b"\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
    if n % BIG_EVERY == BIG_EVERY - 1:
        return _with_attachment(head, text, "screen-recording.mp4", "video/mp4", BIG_BYTES, rng)
    if n % PDF_EVERY == PDF_EVERY - 1:
        size = rng.randrange(20_000, 120_000)
        return _with_attachment(head, text, f"invoice-{n}.pdf", "application/pdf", size, rng)
    if n % HTML_EVERY == HTML_EVERY - 1:
        html = "<html><body><p>" + text.replace("\r\n", "<br>\r\n") + "</p></body></html>"
        boundary = f"alt-{n}"
        parts = (
            f"--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n"
            f"--{boundary}\r\nContent-Type: text/html; charset=utf-8\r\n\r\n{html}\r\n"
            f"--{boundary}--\r\n"
        )
        header = f'MIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary="{boundary}"'
        return head + b"\r\n" + header.encode() + b"\r\n\r\n" + parts.encode()
    return head + plain + body


def _with_attachment(
    head: bytes, text: str, name: str, ctype: str, size: int, rng: random.Random
) -> bytes:
    boundary = f"mix-{rng.randrange(10**9)}"
    data = _base64_lines(rng.randbytes(size))
    return (
        head
        + f'\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="{boundary}"\r\n\r\n'
        f"--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n{text}\r\n"
        f"--{boundary}\r\nContent-Type: {ctype}; name={name}\r\n"
        f"Content-Disposition: attachment; filename={name}\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n".encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )


def seed(user: MailUser, size: int) -> tuple[dict[str, int], int, int]:
    """Seed the enriched mailbox: (messages by folder, total bytes, big messages)."""
    rng = random.Random(11)
    folders = generate(size)
    user.create_folder("Sent")
    total = big = 0
    counter = itertools.count()
    for folder, items in folders.items():
        enriched = []
        for raw in items:
            n = next(counter)
            enriched.append(enrich(raw, n, rng))
            big += n % BIG_EVERY == BIG_EVERY - 1
        total += sum(len(m) for m in enriched)
        for start in range(0, len(enriched), 5000):
            user.seed(folder, enriched[start : start + 5000], flags=["\\Seen"])
    return {name: len(items) for name, items in folders.items()}, total, big


# -- the floor ----------------------------------------------------------------------------------


def floor(user: MailUser) -> tuple[float, int]:
    """imaplib: the sync's header items, then every whole message, per folder in UID ranges.
    Returns (seconds, bytes of the literals)."""
    conn = imaplib.IMAP4(user.host, user.port, timeout=600)
    try:
        conn.login(user.username, user.password)
        start = time.perf_counter()
        got = 0
        for folder in FOLDERS:
            typ, data = conn.select(f'"{folder}"', readonly=True)
            count = int(data[0] or 0)
            for low in range(1, count + 1, FLOOR_SPAN):
                span = f"{low}:{min(low + FLOOR_SPAN - 1, count)}"
                for items in (f"({HEADER_ITEMS})", "(UID BODY.PEEK[])"):
                    typ, fetched = conn.fetch(span, items)
                    if typ != "OK":
                        raise RuntimeError(f"FETCH failed: {fetched!r}")
                    got += sum(len(i[1]) for i in fetched if isinstance(i, tuple))
                    conn.untagged_responses.clear()
                    del fetched
        return time.perf_counter() - start, got
    finally:
        with contextlib.suppress(Exception):
            conn.logout()


# -- choosing the strategy ----------------------------------------------------------------------

THRESHOLD_SIZES = (16_384, 65_536, 262_144, 1_048_576, 4_194_304)
"""Attachment sizes of the messages the whole-vs-structure comparison fetches."""


def _timed_fetch(conn: imaplib.IMAP4, items: str, count: int) -> float:
    start = time.perf_counter()
    for low in range(1, count + 1, FLOOR_SPAN):
        typ, fetched = conn.fetch(f"{low}:{min(low + FLOOR_SPAN - 1, count)}", items)
        if typ != "OK":
            raise RuntimeError(f"FETCH failed: {fetched!r}")
        conn.untagged_responses.clear()
        del fetched
    return time.perf_counter() - start


def strategy(user: MailUser) -> list[tuple[str, float, str]]:
    """The measurements the fetch strategy was chosen by: BODYSTRUCTURE of every message
    against every whole message; and for one message with an attachment of each of
    :data:`THRESHOLD_SIZES` bytes, one whole ``BODY.PEEK[]`` against ``BODYSTRUCTURE`` plus
    its text section (two round trips), median of 5."""
    rng = random.Random(5)
    user.create_folder("Sizes")
    base = next(iter(generate(1).values()))[0]
    head, body = _split(base)
    for size in THRESHOLD_SIZES:
        raw = _with_attachment(head, body.decode(), "a.bin", "application/zip", size, rng)
        user.append("Sizes", raw)
    rows: list[tuple[str, float, str]] = []
    conn = imaplib.IMAP4(user.host, user.port, timeout=600)
    try:
        conn.login(user.username, user.password)
        whole = structure = 0.0
        for folder in FOLDERS:
            _typ, data = conn.select(f'"{folder}"', readonly=True)
            count = int(data[0] or 0)
            whole += _timed_fetch(conn, "(UID BODY.PEEK[])", count)
            structure += _timed_fetch(conn, "(UID BODYSTRUCTURE)", count)
        rows.append(("strategy: every whole message", whole, "BODY.PEEK[], all folders"))
        rows.append(("strategy: BODYSTRUCTURE of every message", structure, "all folders"))
        conn.select('"Sizes"', readonly=True)
        for n, size in enumerate(THRESHOLD_SIZES, 1):
            one: list[float] = []
            two: list[float] = []
            for _ in range(5):
                start = time.perf_counter()
                conn.fetch(str(n), "(UID BODY.PEEK[])")
                conn.untagged_responses.clear()
                one.append(time.perf_counter() - start)
                start = time.perf_counter()
                conn.fetch(str(n), "(UID BODYSTRUCTURE)")
                conn.fetch(str(n), "(UID BODY.PEEK[1]<0.2097152>)")
                conn.untagged_responses.clear()
                two.append(time.perf_counter() - start)
            label = f"  one message, {size // 1024} KiB attachment"
            by_whole, by_structure = median(one), median(two)
            note = f"whole {by_whole * 1000:.2f} ms, structure + text {by_structure * 1000:.2f} ms"
            rows.append((label, by_whole, note))
    finally:
        with contextlib.suppress(Exception):
            conn.logout()
    return rows


# -- supportmail --------------------------------------------------------------------------------


@dataclass
class Phases:
    """In-process sync: seconds since start of the first ``bodies`` event and of the end."""

    start: float = field(default_factory=time.perf_counter)
    bodies_from: float | None = None
    end: float = 0.0

    def __call__(self, progress: SyncProgress) -> None:
        if progress.phase == "bodies" and self.bodies_from is None:
            self.bodies_from = time.perf_counter() - self.start


def inprocess(bench: Bench) -> tuple[Phases, int, int]:
    """(phases, bodies fetched, body rows) of one cold in-process sync."""
    settings = load_settings(bench.config)
    data = bench.fresh_data_dir()
    phases = Phases()
    with Service.open(settings, settings.account("support"), data) as service:
        phases.start = time.perf_counter()
        result = service.sync(phases)
        phases.end = time.perf_counter() - phases.start
    with contextlib.closing(sqlite3.connect(data / "support" / CACHE_FILE)) as db:
        rows = db.execute("SELECT count(*) FROM bodies").fetchone()[0]
    return phases, result.bodies or 0, rows


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def run_size(size: int, runs: int, workdir: Path) -> None:
    scratch = workdir / f"size-{size}"
    scratch.mkdir()
    server = Dovecot()
    server.start(scratch / "dovecot")
    try:
        user = server.add_user(USER, PASSWORD)
        started = time.perf_counter()
        counts, total_bytes, big = seed(user, size)
        seeded = time.perf_counter() - started
        floor(user)  # primes Dovecot's index cache for these items; not reported
        bench = Bench(user, scratch, runs)
        cold_runs = runs if size <= 10_000 else 1
        floors = [floor(user)[0] for _ in range(runs)]
        colds: list[CliRun] = [bench.cli(bench.fresh_data_dir(), "sync") for _ in range(cold_runs)]
        heads: list[CliRun] = [
            bench.cli(bench.fresh_data_dir(), "sync", "--headers-only") for _ in range(cold_runs)
        ]
        inproc = [inprocess(bench) for _ in range(cold_runs)]
        chosen = strategy(user)
    finally:
        server.stop()
    cold = median([c.seconds for c in colds])
    floor_s = median(floors)
    phases = [p for p, _f, _r in inproc]
    body_seconds = median([p.end - (p.bodies_from or p.end) for p in phases])
    print(f"\n== {size:,} messages ({', '.join(f'{k} {v:,}' for k, v in counts.items())}) ==")
    print(f"seeded {total_bytes / 2**20:,.0f} MiB in {seeded:.0f} s; {big} with a 2 MiB attachment")
    rows = [
        ("floor: imaplib header items + BODY.PEEK[]", floor_s, None, f"{runs} runs"),
        ("sync, CLI, cold, with bodies", cold, max(c.rss_mib for c in colds), colds[-1].stdout),
        (
            "sync --headers-only, CLI, cold",
            median([h.seconds for h in heads]),
            max(h.rss_mib for h in heads),
            heads[-1].stdout,
        ),
        (
            "  in-process: body phase",
            body_seconds,
            None,
            f"began at {median([p.bodies_from or 0.0 for p in phases]):.2f} s of "
            f"{median([p.end for p in phases]):.2f} s; fetched {inproc[-1][1]:,}, "
            f"body rows {inproc[-1][2]:,}",
        ),
    ]
    print(f"{'measurement':<44} {'seconds':>8} {'msgs/s':>9} {'RSS MiB':>8}  note")
    for label, seconds, rss, note in rows:
        rss_text = "" if rss is None else f"{rss:.0f}"
        print(f"{label:<44} {seconds:>8.2f} {size / seconds:>9,.0f} {rss_text:>8}  {note.strip()}")
    for label, seconds, note in chosen:
        print(f"{label:<44} {seconds:>8.3f} {'':>9} {'':>8}  {note}")
    ratio = cold / floor_s
    peak = max(c.rss_mib for c in colds)
    print(f"ratio cold sync with bodies / floor: {ratio:.1f}x (target <= {TARGET_RATIO:g}x)")
    if size >= 250_000:
        print(f"250k targets: {cold:.1f} s (<= {TARGET_SECONDS:g} s), {peak:.0f} MiB (<= 150)")
    sys.stdout.flush()


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--sizes", default="10000", help="comma-separated message counts")
    parser.add_argument("--runs", type=int, default=3, help="runs per measurement")
    parser.add_argument("--smoke", action="store_true", help="500 messages, one run")
    args = parser.parse_args(argv)
    if args.smoke:
        args.sizes, args.runs = "500", 1
    args.size_list = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    reason = dovecot_available()
    if reason is not None:
        print(f"bench_bodies: Dovecot unavailable: {reason}", file=sys.stderr)
        return 2
    if not SUPPORTMAIL.exists():
        print(f"bench_bodies: {SUPPORTMAIL} not found (pip install -e . first)", file=sys.stderr)
        return 2
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    for line in machine_lines():
        print(line)
    workdir = Path(tempfile.mkdtemp(prefix="bench-bodies-"))
    try:
        for size in args.size_list:
            run_size(size, args.runs, workdir)
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
