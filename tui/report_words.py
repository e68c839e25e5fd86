"""Reports in words, shared by the CLI and the TUI (no Textual here: the CLI imports it).

:func:`empty_report_reason` says why a report has no rows, so ``supportmail report`` and the
report screen (``I``) give the same reason: no thread started in the window, threads but none
tagged, or no tag of the chosen kind.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from supportmail.storage.models import Report

__all__ = ["empty_report_reason"]


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def empty_report_reason(report: Report) -> str:
    """Why ``report`` has no rows, in one lower-case sentence without a full stop (the CLI
    prints it in parentheses, the TUI capitalised in its detail pane)."""
    window = (
        f"{report.since:%Y-%m-%d} to {report.until:%Y-%m-%d}, "
        f"{_plural(len(report.period_starts), report.by)}"
    )
    if report.threads == 0:
        return f"no threads started in this window ({window}): sync, or choose longer periods"
    threads = _plural(report.threads, "thread")
    if report.kind is not None:
        return f"no {report.kind} tags on the {threads} of this window ({window})"
    return f"no tagged threads in this window: none of its {threads} has a tag yet"
