"""The main screen's server search: the search field's words, searched on the IMAP server.

The search field filters the list as you type, over the local cache (subjects, people and the
mirrored bodies). ``search.server`` (``S`` in the list, ``ctrl+s`` in the field) runs the same
words on the server (``Service.search_server``) in a thread worker, showing "searching the
server…" meanwhile; the list then shows the cached threads the server matched (the view's other
filters still apply) until the words change or the search is cleared. Offline, or when the
server refuses, the status line says so in one line and the local results stay.

``ServerSearch`` keeps the state and builds the lines; the screen owns the widgets and calls it
from three thin hooks: the action, the message handler, and ``narrow`` in its query.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING

from textual.message import Message
from textual.worker import get_current_worker

if TYPE_CHECKING:
    from textual.dom import DOMNode

    from supportmail.storage.models import ServerSearch as Found
    from supportmail.storage.models import ThreadQuery
    from supportmail.storage.service.api import ServiceApi

__all__ = ["ServerSearch", "ServerSearched"]


class ServerSearched(Message):
    """A server search ended: ``found`` or one line of ``error``."""

    def __init__(self, text: str, found: Found | None, error: str | None) -> None:
        super().__init__()
        self.text = text
        self.found = found
        self.error = error


class ServerSearch:
    """What the server found for the search field's words, and the search running now."""

    def __init__(self, service: ServiceApi) -> None:
        self.service = service
        self.running: str | None = None
        """The words being searched on the server now."""
        self.found: Found | None = None
        """The last result (shown while the search field holds its words)."""

    def start(self, owner: DOMNode, text: str) -> str:
        """Start searching ``text`` on the server from a thread worker of ``owner`` (which
        receives ``ServerSearched``); returns the status line to show."""
        words = " ".join(text.split())
        if not words:
            return "type the words to search for first (/), then search the server"
        self.running = words
        owner.run_worker(
            lambda: self._search(owner, words),
            name="server-search",
            group="server-search",
            thread=True,
            exclusive=True,
            exit_on_error=False,
        )
        return f'searching the server for "{words}"…'

    def _search(self, owner: DOMNode, text: str) -> None:
        worker = get_current_worker()
        try:
            found = self.service.search_server(text)
        except Exception as exc:  # one status line, never fatal
            if not worker.is_cancelled:
                owner.post_message(ServerSearched(text, None, str(exc) or type(exc).__name__))
            return
        if not worker.is_cancelled:
            owner.post_message(ServerSearched(text, found, None))

    def finished(self, message: ServerSearched, current: str) -> str | None:
        """Take a worker's result; returns the status line, or None when the search field
        moved on meanwhile (the result is dropped)."""
        if message.text == self.running:
            self.running = None
        if message.text != current:
            return None
        if message.found is None:
            error = message.error or "no answer"
            return error if error.startswith("server search") else f"server search: {error}"
        self.found = message.found
        return self.summary(message.found)

    @staticmethod
    def summary(found: Found) -> str:
        count = len(found.roots)
        line = f'server: {count} thread{"s" if count != 1 else ""} for "{found.text}"'
        note = found.unknown_note()
        if note is not None:
            line += f"; {note}"
        if found.missing_folders:
            line += "; no such folder: " + ", ".join(found.missing_folders)
        return line

    def active(self, text: str) -> bool:
        """The list shows the server's threads for ``text``."""
        return self.found is not None and self.found.text == text

    def narrow(self, query: ThreadQuery) -> ThreadQuery:
        """``query`` with its search answered by the server, when the server answered it."""
        if query.search is None or not self.active(query.search):
            return query
        assert self.found is not None
        return dataclasses.replace(query, search=None, roots=self.found.roots)

    def label(self, text: str) -> str:
        """The view label's search part."""
        if self.running == text:
            return f'search "{text}" · searching the server…'
        if self.active(text):
            return f'server search "{text}"'
        return f'search "{text}"'
