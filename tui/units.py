"""Plain-text rules the CLI and the screens share (no Textual here, so the CLI can import them):
a size in B/KB/MB, a share in percent, and which participant of a thread is the customer."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from supportmail.storage.models import Address, ThreadSummary

__all__ = ["first_customer", "format_share", "format_size"]


def format_size(size: int) -> str:
    """``512 B``, ``47.1 KB``, ``3.2 MB``."""
    if size < 1024:
        return f"{size} B"
    if size < 1024 * 1024:
        return f"{size / 1024:.1f} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def format_share(value: float | None) -> str:
    """``87%``; ``-`` when there is nothing to share out."""
    return "-" if value is None else f"{round(value * 100)}%"


def first_customer(summary: ThreadSummary, is_team: Callable[[Address], bool]) -> Address | None:
    """The first participant who is not on the team, else the first participant (None: nobody)."""
    for person in summary.participants:
        if not is_team(person):
            return person
    return summary.participants[0] if summary.participants else None
