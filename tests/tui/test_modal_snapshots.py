"""Snapshot tests of the modal screens: tag picker, help, report, skim and the customer day's
summary (SVGs under __snapshots__; update with --snapshot-update).

The picker and help run over the fake mailbox (``snapshot_app``), the report, skim and day over
the real demo mailbox with its fixed clock (``demo_app``): both are deterministic.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from textual.pilot import Pilot

from supportmail.tui.app import SupportMailApp
from tests.tui.conftest import settle
from tests.tui.snapshot_app import snapshot_app


def _pressing(*keys: str) -> Callable[[Pilot[Any]], Awaitable[None]]:
    """A ``run_before`` that lets the app settle, presses ``keys`` and settles again."""

    async def run_before(pilot: Pilot[Any]) -> None:
        await settle(pilot)
        await pilot.press(*keys)
        await settle(pilot)

    return run_before


def test_tag_picker(snap_compare: Any) -> None:
    """The picker over the third thread ("Toggle a tag on 1 thread"): the filter field with its
    placeholder, the teams, then the categories with their shortcut digits, the key hint."""
    assert snap_compare(
        snapshot_app(), terminal_size=(100, 32), run_before=_pressing("j", "j", "t")
    )


def test_help(snap_compare: Any) -> None:
    """The help screen: "Keys in force (keymap: default)", each key with its description and
    binding id, scrollable, "escape closes"."""
    assert snap_compare(
        snapshot_app(), terminal_size=(100, 40), run_before=_pressing("question_mark")
    )


def test_report(snap_compare: Any, demo_app: SupportMailApp) -> None:
    """The report over the demo mailbox: 199 threads from 179 customers, the per-tag table
    (threads, customers, companies, 12 weekly sparks, SPIKE on team:billing and category:bug,
    trend) and the detail of the highlighted tag below."""
    assert snap_compare(demo_app, terminal_size=(120, 40), run_before=_pressing("I"))


def test_skim(snap_compare: Any, demo_app: SupportMailApp) -> None:
    """The first morning skim over the demo mailbox: "the last 24 hours", grouped by category,
    the customers' words first."""
    assert snap_compare(demo_app, terminal_size=(120, 40), run_before=_pressing("M"))


def test_day_summary(snap_compare: Any, demo_app: SupportMailApp) -> None:
    """A customer day started and ended at once: the summary modal ("Threads handled: 0  (queue:
    0 of 78 done, 0 skipped)", the export hint) over the list; the status says the day ended."""
    assert snap_compare(demo_app, terminal_size=(120, 40), run_before=_pressing("D", "e"))
