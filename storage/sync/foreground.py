"""Background work yields to the person at the keyboard.

The body mirror parses mail in Python on a worker thread of the TUI's process, and every
millisecond it holds the GIL is a millisecond a key waits (measured at 50k messages: key ->
frame median 24 ms while mirroring against 18 ms without, ``tests/bench/bench_keys_mirror.py``).
So the UI calls :meth:`Foreground.touch` on every key, and the mirror calls
:meth:`Foreground.yield_to_user` between messages: while keys arrive it sleeps until the user
has been quiet for :data:`QUIET` seconds (at most :data:`MAX_WAIT` at a time, so a key held for
minutes still lets the mirror creep on). Without a UI (the CLI, ``watch``) nobody touches it and
it never sleeps.
"""

from __future__ import annotations

import time
from collections.abc import Callable

__all__ = ["MAX_WAIT", "QUIET", "Foreground"]

QUIET = 0.15
"""Seconds after the last key before background work goes on."""
MAX_WAIT = 0.5
"""Longest single pause of background work."""


class Foreground:
    """When the user last pressed a key (monotonic seconds); thread-safe by assignment."""

    def __init__(
        self,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._clock = clock
        self._sleep = sleep
        self._last = float("-inf")

    def touch(self) -> None:
        """The user did something just now."""
        self._last = self._clock()

    def yield_to_user(self) -> float:
        """Sleep while the user is active; returns the seconds slept."""
        slept = 0.0
        while slept < MAX_WAIT and (left := self._last + QUIET - self._clock()) > 0:
            pause = min(left, MAX_WAIT - slept)
            self._sleep(pause)
            slept += pause
        return slept
