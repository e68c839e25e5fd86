"""Background work yields to the keyboard: the body mirror pauses while keys arrive."""

from __future__ import annotations

from supportmail.storage.sync.foreground import MAX_WAIT, QUIET, Foreground


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def test_no_key_no_pause() -> None:
    clock = _Clock()
    assert Foreground(clock, clock.sleep).yield_to_user() == 0.0
    assert clock.slept == []


def test_a_recent_key_pauses_until_quiet() -> None:
    clock = _Clock()
    foreground = Foreground(clock, clock.sleep)
    foreground.touch()
    clock.now += 0.05
    assert abs(foreground.yield_to_user() - (QUIET - 0.05)) < 1e-9
    assert foreground.yield_to_user() == 0.0  # quiet now


def test_a_held_key_never_stops_the_work_for_long() -> None:
    clock = _Clock()
    foreground = Foreground(clock, clock.sleep)

    def sleep_while_pressing(seconds: float) -> None:
        clock.sleep(seconds)
        foreground.touch()  # the key repeats while we sleep

    foreground._sleep = sleep_while_pressing
    foreground.touch()
    assert foreground.yield_to_user() <= MAX_WAIT + 1e-9
