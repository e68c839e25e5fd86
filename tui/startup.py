"""Start-up pacing shared by the app and the main screen."""

from __future__ import annotations

from collections.abc import Callable

from textual.dom import DOMNode

__all__ = ["AFTER_FIRST_FRAME", "after_first_frame"]

AFTER_FIRST_FRAME = 0.05
"""Seconds between the first frame and the start-up work that follows it (the collector, the
tag catalog, the background sync). Textual writes frames on its output thread, which needs the
GIL: work started at once (a full collection is one 25 ms C call; the sync worker imports the
IMAP stack) kept the first frame off the terminal for another 75 ms at 250k threads."""


def after_first_frame(node: DOMNode, callback: Callable[[], object]) -> None:
    """Run ``callback`` on ``node`` once the first frame is out (see ``AFTER_FIRST_FRAME``)."""
    node.call_after_refresh(node.set_timer, AFTER_FIRST_FRAME, callback)
