"""Benchmark for ``storage.threads.thread_messages`` on synthetic support-mailbox threads.

Run on purpose, not in the test suite::

    .venv/bin/python tests/bench/bench_threads.py            # 10k, 50k, 250k messages
    .venv/bin/python tests/bench/bench_threads.py 2000       # a smoke size

The generator builds support tickets: a first message (subjects drawn from a small pool, so many
unrelated tickets share "Password reset"-style subjects), replies of mixed depth with full or
truncated References, some tickets whose first message was never fetched (ghost roots), some
replies from clients that send no References at all (subject-only "Re:"), and some messages that
also sit in a second folder (duplicate Message-IDs). It prints the seconds and messages/second for
threading each size, plus the number of threads found.
"""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from supportmail.storage.threads import ThreadInput, thread_messages

SUBJECTS = (
    "Password reset",
    "Cannot log in",
    "Invoice question",
    "Refund request",
    "Account locked",
    "Feature request",
    "Bug report",
    "Export to CSV fails",
    "Two-factor authentication",
    "Change of billing address",
)
START = 1_600_000_000.0
YEAR = 365 * 86400.0


class _Mailbox:
    """Accumulates synthetic messages; ``key`` is the running row id."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.out: list[ThreadInput] = []
        self.serial = 0

    def new_id(self) -> str:
        self.serial += 1
        return f"{self.serial:x}.{self.rng.getrandbits(32):08x}@support.example.com"

    def emit(
        self, mid: str, irt: tuple[str, ...], refs: tuple[str, ...], subj: str, t: float
    ) -> None:
        self.out.append(ThreadInput(len(self.out), mid, irt, refs, subj, t))
        if self.rng.random() < 0.02:  # the same message also in the Sent folder
            self.out.append(ThreadInput(len(self.out), mid, irt, refs, subj, t))

    def ticket(self) -> None:
        rng = self.rng
        subject = rng.choice(SUBJECTS)
        if rng.random() < 0.5:
            subject = f"{subject} ({rng.randrange(100_000)})"
        when = START + rng.random() * 2 * YEAR
        size = min(1 + int(rng.expovariate(0.35)), 40)
        ancestry: list[tuple[str, ...]] = [()]
        ids = [self.new_id()]
        if rng.random() >= 0.05:  # 5 %: the first message was never fetched -> ghost root
            self.emit(ids[0], (), (), subject, when)
        for _ in range(size - 1):
            when += rng.random() * 3 * 86400.0
            parent = len(ids) - 1 if rng.random() < 0.8 else rng.randrange(len(ids))
            mid = self.new_id()
            chain = (*ancestry[parent], ids[parent])
            ids.append(mid)
            ancestry.append(chain)
            self.reply(mid, chain, subject, when)

    def reply(self, mid: str, chain: tuple[str, ...], subject: str, when: float) -> None:
        rng = self.rng
        roll = rng.random()
        if roll < 0.05:  # a client that sends no References: only the subject links it
            self.emit(mid, (), (), f"Re: {subject}", when)
        elif roll < 0.15:  # In-Reply-To only
            self.emit(mid, (chain[-1],), (), f"RE: {subject}", when)
        elif roll < 0.25 and len(chain) > 4:  # truncated References (first + last three)
            self.emit(mid, (chain[-1],), (chain[0], *chain[-3:]), f"AW: {subject}", when)
        else:
            self.emit(mid, (chain[-1],), chain, f"Re: {subject}", when)


def generate(count: int, seed: int = 1) -> list[ThreadInput]:
    """About ``count`` synthetic messages (exactly ``count``: the tail is trimmed)."""
    box = _Mailbox(random.Random(seed))
    while len(box.out) < count:
        box.ticket()
    return box.out[:count]


def main(argv: list[str]) -> None:
    sizes = [int(a) for a in argv] or [10_000, 50_000, 250_000]
    for size in sizes:
        msgs = generate(size)
        start = time.perf_counter()
        roots = thread_messages(msgs)
        seconds = time.perf_counter() - start
        threads = len(set(roots.values()))
        print(
            f"{size:>8} messages  {threads:>7} threads  {seconds:7.3f} s  "
            f"{size / seconds:>10,.0f} messages/s"
        )


if __name__ == "__main__":
    main(sys.argv[1:])
