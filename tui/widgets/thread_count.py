"""Counting a search's threads off the UI thread, for the thread list (``tui.widgets.thread_list``).

A search's exact count maps every match to its thread (about 80 ms for a word in 150k of 250k
bodies; a word in every subject is counted from the thread rows in ~20 ms: ``docs/search.md``),
so the list shows its first page and counts in a thread worker: first up to a bound
(``(1000+)`` when more match, within milliseconds), then exactly when the bound was passed.
The worker posts :class:`CountRead` to the list for each result.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from textual.message import Message

from supportmail.storage.models import ThreadQuery

if TYPE_CHECKING:
    from supportmail.storage.service.api import ServiceApi


class CountRead(Message, bubble=False):
    """A count worker's result (``count`` None: it failed with ``error``; ``more``: a preview,
    more than ``count`` threads match and the exact count follows)."""

    def __init__(
        self, generation: int, count: int | None, error: str | None, *, more: bool = False
    ) -> None:
        super().__init__()
        self.generation = generation
        self.count = count
        self.error = error
        self.more = more


def count_in_worker(
    service: ServiceApi,
    post: Callable[[Message], object],
    generation: int,
    query: ThreadQuery,
    preview: int,
) -> None:
    """In a thread worker: count ``query`` up to ``preview`` threads, post that as a preview
    when more match and count them all; post the exact count (or the failure)."""
    try:
        count = service.count_threads(query, at_most=preview)
        if count > preview:
            post(CountRead(generation, preview, None, more=True))
            count = service.count_threads(query)
    except Exception as exc:  # any backend failure becomes one status line
        post(CountRead(generation, None, str(exc) or type(exc).__name__))
        return
    post(CountRead(generation, count, None))
