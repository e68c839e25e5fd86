"""Quotes: a paragraph cursor over the customer's own words, saved and copied with attribution.

The first ``]``/``[`` in a thread finds the customer's paragraphs (``_load_paragraphs``, a thread
worker: ``service.customer_paragraphs`` per customer message), then walks them, highlighted in
the thread pane. ``Q`` saves the paragraph as a private quote (``service.save_quote``), ``C``
copies it with who and when (``service.quote_with_attribution``, OSC 52), saving it first if
needed. The open thread's saved quotes show in the side panel (``load``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on, work

from supportmail.tui.controllers.base import Controller, error_text
from supportmail.tui.messages import ParagraphsLoaded, QuoteFailed, QuoteSaved, QuotesLoaded

if TYPE_CHECKING:
    from supportmail.storage.models import SavedQuote

__all__ = ["QuoteController"]


class QuoteController(Controller):
    """The paragraph cursor and the open thread's saved quotes."""

    paragraphs: tuple[tuple[str, str], ...] = ()
    """The open thread's customer paragraphs (message id, text), once a quote key asked."""
    paragraph_index: int | None = None
    thread_quotes: tuple[SavedQuote, ...] = ()
    """The open thread's saved quotes."""
    _paragraphs_of: str | None = None
    _paragraph_step = 0

    def forget(self) -> None:
        """Another thread is shown: no paragraphs, no quotes until found again."""
        self.paragraphs = ()
        self.paragraph_index = None
        self._paragraphs_of = None
        self._paragraph_step = 0
        self.thread_quotes = ()

    def reselect(self) -> None:
        """Keep the highlight when the open thread is shown again (a reload, quotes unfolded)."""
        if self.paragraph_index is not None:
            self.main.message_view.select_paragraph(*self.paragraphs[self.paragraph_index])

    def step(self, step: int) -> None:
        """Move the paragraph cursor; the first press finds the paragraphs (in a worker)."""
        detail = self.main.message_view.detail
        if detail is None:
            self.hint("open a thread to pick a paragraph")
            return
        thread_id = detail.summary.id
        if self._paragraphs_of != thread_id:
            if self._paragraph_step == 0:
                customers = [
                    m for m in detail.messages if not self.service.is_team_address(m.sender)
                ]
                self._load_paragraphs(thread_id, tuple(m.message_id for m in customers))
            self._paragraph_step = step
            return
        self._move(step)

    def _move(self, step: int) -> None:
        if not self.paragraphs:
            self.hint("no paragraph written by a customer in this thread")
            return
        count = len(self.paragraphs)
        if self.paragraph_index is None:
            index = 0 if step > 0 else count - 1
        else:
            index = max(0, min(count - 1, self.paragraph_index + step))
        self.paragraph_index = index
        message_id, text = self.paragraphs[index]
        self.main.message_view.select_paragraph(message_id, text)
        self.hint(f"paragraph {index + 1}/{count}: Q saves it, C copies it")

    @work(thread=True, exclusive=True, group="paragraphs", exit_on_error=False)
    def _load_paragraphs(self, thread_id: str, message_ids: tuple[str, ...]) -> None:
        found: list[tuple[str, str]] = []
        try:
            for message_id in message_ids:
                texts = self.service.customer_paragraphs(thread_id, message_id)
                found += [(message_id, text) for text in texts]
        except Exception as exc:  # one line in the status bar
            self.post_message(QuoteFailed(f"paragraphs not found: {error_text(exc)}"))
            return
        self.post_message(ParagraphsLoaded(thread_id, found))

    @on(ParagraphsLoaded)
    def _paragraphs_loaded(self, message: ParagraphsLoaded) -> None:
        step, self._paragraph_step = self._paragraph_step, 0
        if message.thread_id != self.main.reader.shown:
            return
        self._paragraphs_of = message.thread_id
        self.paragraphs = message.paragraphs
        self.paragraph_index = None
        self._move(step or 1)

    def _selected(self) -> tuple[str, str, str] | None:
        """(thread id, message id, text) of the highlighted paragraph."""
        if self.paragraph_index is None or self._paragraphs_of is None:
            self.hint(self.main.speak_keys("pick a paragraph first ({quote.next} / {quote.prev})"))
            return None
        return (self._paragraphs_of, *self.paragraphs[self.paragraph_index])

    def save(self) -> None:
        selected = self._selected()
        if selected is not None:
            self._save(*selected, copy=False)

    def copy(self) -> None:
        """Copy the paragraph with who and when (OSC 52); it is saved as a quote too if needed."""
        selected = self._selected()
        if selected is None:
            return
        _thread_id, message_id, text = selected
        saved = next(
            (q for q in self.thread_quotes if q.message_id == message_id and q.text == text), None
        )
        if saved is None:
            self._save(*selected, copy=True)
        else:
            self._copy(saved)

    @work(thread=True, group="quote", exit_on_error=False)
    def _save(self, thread_id: str, message_id: str, text: str, *, copy: bool) -> None:
        try:
            quote = self.service.save_quote(thread_id, message_id, text)
            line = self.service.quote_with_attribution(quote) if copy else None
        except Exception as exc:  # one line in the status bar
            self.post_message(QuoteFailed(f"quote not saved: {error_text(exc)}"))
            return
        self.post_message(QuoteSaved(quote, line))

    @work(thread=True, group="quote", exit_on_error=False)
    def _copy(self, quote: SavedQuote) -> None:
        try:
            line = self.service.quote_with_attribution(quote)
        except Exception as exc:  # one line in the status bar
            self.post_message(QuoteFailed(f"quote not copied: {error_text(exc)}"))
            return
        self.post_message(QuoteSaved(quote, line))

    @on(QuoteSaved)
    def _saved(self, message: QuoteSaved) -> None:
        quote = message.quote
        known = any(q.id == quote.id for q in self.thread_quotes)
        if message.copy_text is not None:
            self.app.copy_to_clipboard(message.copy_text)
            extra = "" if known else " (and saved as a quote)"
            self.hint(f"quote copied to the clipboard with attribution{extra}")
        else:
            self.hint(f"quote saved (private, {len(quote.text)} characters)")
        if not known and quote.thread_id == self.main.reader.shown:
            self.thread_quotes = (*self.thread_quotes, quote)
            self.main.side_panel.show_quotes(self.thread_quotes)

    @work(thread=True, exclusive=True, group="quotes", exit_on_error=False)
    def load(self, thread_id: str) -> None:
        """The saved quotes of ``thread_id``, for the side panel."""
        try:
            quotes = self.service.quotes(thread_id)
        except Exception as exc:  # the panel just shows none
            self.post_message(QuoteFailed(f"saved quotes not read: {error_text(exc)}"))
            return
        self.post_message(QuotesLoaded(thread_id, quotes))

    @on(QuotesLoaded)
    def _quotes_loaded(self, message: QuotesLoaded) -> None:
        if message.thread_id == self.main.reader.shown:
            self.thread_quotes = message.quotes
            current = self.main.thread_list.current
            if current is not None and current.id == message.thread_id:
                self.main.side_panel.show_quotes(message.quotes)

    @on(QuoteFailed)
    def _quote_failed(self, message: QuoteFailed) -> None:
        self._paragraph_step = 0
        self.hint(message.error)
