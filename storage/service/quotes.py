"""The quotes facade (``QuotesFacade``): which message a customer wrote, its paragraphs, the
first customer words of a thread, and saved quotes (local only, like notes)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from supportmail.storage import insight, models
from supportmail.storage.sanitize import sanitize_line
from supportmail.storage.service.errors import ServiceError, UnknownMessageError
from supportmail.storage.service.threads import ThreadsFacade
from supportmail.storage.threads import thread_id
from supportmail.storage.user.records import UserDBError

if TYPE_CHECKING:
    from supportmail.storage.cache import MessageRow
    from supportmail.storage.models import Address, Quote, SavedQuote
    from supportmail.storage.user.journal_rows import StoredQuote

__all__ = ["QuotesFacade"]


class QuotesFacade(ThreadsFacade):
    """Customers' words: picking a message, its paragraphs, saved quotes (local only)."""

    def _first_customer_row(self, rows: Sequence[MessageRow]) -> MessageRow | None:
        team = self.report_team()
        for row in rows:
            addr = row.envelope.sender.addr.strip()
            if addr and not team.includes(addr):
                return row
        return None

    def pick_message(self, root: str, message: str | None) -> MessageRow:
        """A message of the thread: a Message-ID (with or without ``<>``), its number as
        ``show`` prints it, or (None) the first message a customer wrote."""
        rows = self.thread_rows(root)
        if not rows:
            raise ServiceError("that thread has no messages in the cache")
        if message is None:
            return self._first_customer_row(rows) or rows[0]
        ref = message.strip()
        if ref.isdigit() and 1 <= int(ref) <= len(rows):
            return rows[int(ref) - 1]
        bare = ref.strip("<>")
        exact = [row for row in rows if row.message_id == bare]
        folded = [row for row in rows if row.message_id.casefold() == bare.casefold()]
        if exact or folded:
            return (exact or folded)[0]
        raise UnknownMessageError(
            f"message '{sanitize_line(ref)[:60]}' is not in thread {thread_id(root)}: give its "
            f"Message-ID or its number 1-{len(rows)} as `show` prints it"
        )

    def _quoted_row(self, root: str, message: str | None) -> MessageRow:
        """``pick_message`` for quotes: without ``message``, a thread with no customer message
        is an error (a quote is the customer's words), not its first message."""
        if message is None and self._first_customer_row(self.thread_rows(root)) is None:
            raise ServiceError(
                f"thread {thread_id(root)} has no message from a customer: name one with "
                "--message N (its number as `show` prints it)"
            )
        return self.pick_message(root, message)

    def quoted_message(self, ref: str, message: str | None = None) -> tuple[int, Address]:
        """Which message ``customer_paragraphs(ref, message)`` reads: its number as ``show``
        prints it and its sender (display-safe)."""
        root = self.resolve(ref)
        row = self._quoted_row(root, message)
        number = next(n for n, r in enumerate(self.thread_rows(root), 1) if r.rowid == row.rowid)
        sender = row.envelope.sender
        return number, models.Address(sanitize_line(sender.name), sanitize_line(sender.addr))

    def customer_paragraphs(
        self, ref: str, message: str | None = None, *, raw: bool = False
    ) -> tuple[str, ...]:
        """The paragraphs a customer wrote in one message of a thread (``message``: a
        Message-ID, a number as ``show`` prints it, default the first customer message),
        without greeting, quoted text, reply headers and signature; each on one line."""
        row = self._quoted_row(self.resolve(ref), message)
        paragraphs = insight.customer_paragraphs(self.message_text(row))
        return tuple(paragraphs if raw else map(sanitize_line, paragraphs))

    def first_customer_words(self, ref: str, *, raw: bool = False) -> Quote | None:
        """The first paragraph of the first message a customer wrote in the thread (about 280
        characters), with who and when; None without a customer message or its body."""
        root = self.resolve(ref)
        row = self._first_customer_row(self.thread_rows(root))
        if row is None:
            return None
        text = insight.customer_paragraph(self.message_text(row))
        if not text:
            return None
        env = row.envelope
        thread = self.cache.thread(self.account, root)
        when = env.date or (thread.first_date if thread is not None else self.now())
        quote = models.Quote(
            text=text,
            sender=env.sender,
            company=insight.company_domain(env.sender.addr),
            date=when.astimezone(self.now().tzinfo),
            thread_id=thread_id(root),
        )
        return quote if raw else quote.sanitized()

    def _quote_root(self, stored: StoredQuote) -> str:
        """The root of the thread the quoted message is in now (threads merge), else the root
        stored with the quote."""
        roots = self.cache.find_roots(self.account, stored.message_id)
        return roots[0] if len(roots) == 1 else stored.root

    def _saved_quote(self, stored: StoredQuote, root: str | None = None) -> SavedQuote:
        tid = thread_id(root or self._quote_root(stored))
        from supportmail.storage.insight import quotes as saved_quotes

        return saved_quotes.saved_quote(stored, tid, self.now().tzinfo)

    def save_quote(
        self, ref: str, message_id: str | None, text: str, *, raw: bool = False
    ) -> SavedQuote:
        """Keep ``text`` (a passage of a message of the thread) as a quote: local only, like a
        note. Who and when come from the message (``message_id``: a Message-ID, a number as
        ``show`` prints it, or None for the first customer message). The text becomes one line
        of at most 1000 characters; blank text is a ``ServiceError``."""
        root = self.resolve(ref)
        row = self._quoted_row(root, message_id)
        from supportmail.storage.insight import quotes as saved_quotes

        clean = saved_quotes.clean_quote(text)
        if not clean:
            raise ServiceError("a quote needs some text")
        env = row.envelope
        try:
            stored = self.userdb.add_quote(
                self.account,
                root,
                row.message_id,
                clean,
                env.sender.name,
                env.sender.addr,
                "" if env.date is None else env.date.isoformat(),
                created=self.now().timestamp(),
            )
        except UserDBError as exc:
            raise ServiceError(str(exc)) from exc
        self._log(root, [("quote", None)])
        saved = self._saved_quote(stored, root)
        return saved if raw else saved.sanitized()

    def quotes(self, ref: str | None = None, *, raw: bool = False) -> list[SavedQuote]:
        """Your saved quotes, in the order saved; of one thread when ``ref`` is given (also
        quotes of messages that joined the thread later)."""
        stored = self.userdb.quotes(self.account)
        if ref is None:
            out = [self._saved_quote(q) for q in stored]
        else:
            root = self.resolve(ref)
            ids = {row.message_id for row in self.thread_rows(root)}
            out = [
                self._saved_quote(q, root) for q in stored if q.root == root or q.message_id in ids
            ]
        return out if raw else [q.sanitized() for q in out]

    def remove_quote(self, quote_id: int) -> None:
        """Delete a saved quote by its id."""
        try:
            removed = self.userdb.remove_quote(self.account, quote_id)
        except UserDBError as exc:
            raise ServiceError(str(exc)) from exc
        if not removed:
            raise ServiceError(f"no saved quote {quote_id} (see `supportmail quotes`)")

    def quote_with_attribution(self, quote: SavedQuote) -> str:
        """The line to copy to the clipboard:
        ``"…" — Name, company.example, 2026-11-20 (thread 3f9c2a1b04de)``; terminal-safe."""
        from supportmail.storage.insight import quotes as saved_quotes

        return saved_quotes.attribution(quote)

    def _voice_quotes(self) -> dict[str, list[Quote]]:
        """Saved quotes for the voice of the customer, by the thread id they belong to now."""
        from supportmail.storage.insight import quotes as saved_quotes

        out: dict[str, list[Quote]] = {}
        for stored in self.userdb.quotes(self.account):
            saved = self._saved_quote(stored)
            out.setdefault(saved.thread_id, []).append(saved_quotes.to_quote(saved))
        return out
