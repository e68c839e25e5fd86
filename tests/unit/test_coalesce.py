"""``storage.sync.coalesce.Coalescer``: one run at a time; calls made meanwhile share one more
run."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest

from supportmail.storage.sync.coalesce import Coalescer


def _wait_for(check: Callable[[], bool]) -> None:
    deadline = time.monotonic() + 10
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.005)


def test_calls_during_a_run_share_one_follow_up() -> None:
    coalescer: Coalescer[int] = Coalescer()
    gate = threading.Event()
    runs: list[int] = []
    results: list[int] = []

    def job() -> int:
        runs.append(len(runs) + 1)
        gate.wait(10)
        return len(runs)

    def call() -> None:
        results.append(coalescer.run(job))

    first = threading.Thread(target=call)
    first.start()
    _wait_for(lambda: coalescer.running)
    others = [threading.Thread(target=call) for _ in range(3)]
    for t in others:
        t.start()
    _wait_for(lambda: coalescer.waiting == 3)
    gate.set()
    for t in [first, *others]:
        t.join(10)
    assert runs == [1, 2]  # however many asked meanwhile: one more run, not one each
    assert sorted(results) == [1, 2, 2, 2]  # each got a run that started after it asked


def test_a_lone_call_runs_at_once_and_errors_reach_every_sharer() -> None:
    coalescer: Coalescer[str] = Coalescer()
    assert coalescer.run(lambda: "done") == "done"
    gate = threading.Event()
    errors: list[BaseException] = []

    def failing() -> str:
        gate.wait(10)
        raise RuntimeError("server gone")

    def call() -> None:
        try:
            coalescer.run(failing)
        except RuntimeError as exc:
            errors.append(exc)

    threads = [threading.Thread(target=call) for _ in range(3)]
    threads[0].start()
    _wait_for(lambda: coalescer.running)
    for t in threads[1:]:
        t.start()
    _wait_for(lambda: coalescer.waiting == 2)
    gate.set()
    for t in threads:
        t.join(10)
    assert [str(e) for e in errors] == ["server gone"] * 3
    with pytest.raises(ValueError):
        coalescer.run(lambda: (_ for _ in ()).throw(ValueError("x")))
    assert coalescer.run(lambda: "again") == "again"
