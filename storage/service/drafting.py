"""Drafting an answer: which message is answered, reading it whole, the draft for ``$EDITOR``
and reading the edited text back. ``Replies`` (``storage.service.replying``) inherits these methods;
the rules for headers, recipients and quoting are the pure functions of ``storage.compose``.

The answered message is the thread's newest customer message (or the one named with
``--message``). It is read whole from the server when the server answers (its Reply-To is not
cached), else from the cache; the editor's file is a private 0600 ``reply-*.eml`` in the
account's data directory, removed once the text is in the outbox.
"""

from __future__ import annotations

import contextlib
import dataclasses
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from supportmail.storage import mime
from supportmail.storage.models import LOCAL_FOLDER, Address

if TYPE_CHECKING:  # compose (the email package) is imported when first used
    from supportmail.storage.cache import MessageRow
    from supportmail.storage.compose import DraftText, Original
    from supportmail.storage.imap import ImapConnection
    from supportmail.storage.service import Service
    from supportmail.storage.settings import AccountConfig

__all__ = ["Composed", "Drafting", "EditFile"]


def _error(text: str) -> Exception:
    from supportmail.storage.service import ServiceError

    return ServiceError(text)


@dataclass(frozen=True, slots=True)
class Composed:
    """A new reply or forward, ready for the editor."""

    kind: str
    thread_root: str
    thread_id: str
    template: DraftText
    text: str
    """What the editor opens (``compose.render_draft``)."""
    in_reply_to: str
    refs: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class EditFile:
    """The file ``$EDITOR`` edits (see ``Replies.editing``)."""

    path: Path

    def read(self) -> str:
        try:
            return self.path.read_bytes().decode("utf-8", errors="replace")
        except OSError as exc:
            raise _error(f"cannot read the edited draft: {exc.strerror or exc}") from exc


def _thread_id(root: str) -> str:
    from supportmail.storage.threads import thread_id

    return thread_id(root)


class Drafting:
    """Composing replies and forwards (a base of ``storage.service.replying.Replies``)."""

    _service: Service

    @property
    def account(self) -> AccountConfig | None:
        """The configured account (None: the demo, or a service built without a config)."""
        return self._service.account_config

    def _config(self) -> AccountConfig:
        account = self.account
        if self._service.is_demo or account is None:
            raise _error("the demo mailbox cannot send mail")
        if account.smtp is None:
            raise _error(
                f"account '{account.name}' has no [accounts.{account.name}.smtp] table: "
                "replies need one (see docs/answering.md)"
            )
        if not account.address:
            raise _error(f"account '{account.name}' has no address: replies are sent from it")
        return account

    def can_send(self) -> bool:
        try:
            self._config()
        except Exception:
            return False
        return True

    def _answered_row(self, root: str, message: str | None) -> MessageRow:
        service = self._service
        if message is not None:
            return service.pick_message(root, message)
        rows = service.thread_rows(root)
        if not rows:
            raise _error("that thread has no messages in the cache")
        team = service.report_team()
        customers = [
            r for r in rows if r.envelope.sender.addr and not team.includes(r.envelope.sender.addr)
        ]
        return (customers or rows)[-1]

    def _original(self, row: MessageRow) -> Original:
        from supportmail.storage.compose import Original

        env = row.envelope
        text: str | None = None
        service = self._service
        if row.folder != LOCAL_FOLDER and not service.is_demo:
            raw = self._fetch_raw(row)
            if raw is not None:
                env = dataclasses.replace(mime.parse_envelope(raw), message_id=row.message_id)
                text = mime.parse_body(raw).text
        if text is None:
            text = service.message_text(row)
        return Original(
            message_id=row.message_id,
            references=env.references,
            in_reply_to=env.in_reply_to,
            subject=env.subject,
            sender=env.sender,
            reply_to=env.reply_to,
            to=env.to,
            cc=env.cc,
            date=env.date,
            text=text,
        )

    def _fetch_raw(self, row: MessageRow) -> bytes | None:
        """The whole message from the server, on the service's interactive session (logged in
        once, kept); None when offline or refused (the cached envelope and body do then)."""
        from supportmail.storage.service import ServiceError

        def fetch(conn: ImapConnection) -> bytes | None:
            if conn.selected != row.folder:
                conn.select(row.folder)
            return conn.fetch_body(row.uid)

        try:
            return self._service.on_server(fetch)
        except (ServiceError, OSError):
            return None

    def compose_reply(
        self, ref: str, *, reply_all: bool = False, message: str | None = None
    ) -> Composed:
        """A reply to the thread ``ref`` (its newest customer message unless ``message``)."""
        from supportmail.storage import compose

        account = self._config()
        service = self._service
        root = service.resolve(ref)
        original = self._original(self._answered_row(root, message))
        draft = compose.reply_draft(
            original, service.report_team(), reply_all=reply_all, signature=account.signature
        )
        return Composed(
            kind="reply",
            thread_root=root,
            thread_id=_thread_id(root),
            template=draft,
            text=compose.render_draft(draft),
            in_reply_to=original.message_id,
            refs=compose.references(original),
        )

    def forward_to(self, to: str, field: str = "--to") -> tuple[Address, ...]:
        """The addresses of a forward's ``to`` (ServiceError naming ``field`` and a malformed
        one); ``()`` for a blank one, to fill in in the editor."""
        from supportmail.storage import compose
        from supportmail.storage.compose import DraftError

        try:
            return compose.parse_addresses(to, field)
        except DraftError as exc:
            raise _error(str(exc)) from None

    def compose_forward(self, ref: str, to: str, *, message: str | None = None) -> Composed:
        """A forward of a thread's message (default: its first customer message) to ``to``."""
        from supportmail.storage import compose

        account = self._config()
        service = self._service
        people = self.forward_to(to)
        root = service.resolve(ref)
        row = service.pick_message(root, message)
        draft = compose.forward_draft(self._original(row), people, signature=account.signature)
        return Composed(
            kind="forward",
            thread_root=root,
            thread_id=_thread_id(root),
            template=draft,
            text=compose.render_draft(draft),
            in_reply_to="",
            refs=(),
        )

    def filled(self, composed: Composed, body: str) -> str:
        """The draft's text with ``body`` written where the editor's cursor starts: above the
        signature and the quoted (or forwarded) message (``reply``/``forward --body-file``)."""
        from supportmail.storage import compose

        own = body.replace("\r\n", "\n").rstrip("\n") + "\n"
        template = composed.template
        rest = template.body.removeprefix("\n")  # the empty line the cursor starts on
        return compose.render_draft(dataclasses.replace(template, body=own + rest))

    def recipients(self, text: str) -> list[str]:
        """The edited draft's To and Cc, formatted (ServiceError naming what is malformed)."""
        from supportmail.storage import compose
        from supportmail.storage.compose import DraftError

        try:
            draft = compose.parse_draft(text)
        except DraftError as exc:
            raise _error(str(exc)) from None
        return [p.formatted() for p in (*draft.to, *draft.cc)]

    def written(self, composed: Composed, text: str) -> bool:
        """Whether the edited ``text`` holds something the user wrote (else: nothing to send)."""
        from supportmail.storage import compose
        from supportmail.storage.compose import DraftError

        try:
            return compose.written(compose.parse_draft(text), composed.template)
        except DraftError:
            return True  # a broken header block is the user's writing: keep it

    @contextlib.contextmanager
    def editing(self, text: str) -> Iterator[EditFile]:
        """A private 0600 ``.eml`` file in the data directory holding ``text`` for ``$EDITOR``;
        read it back with :meth:`EditFile.read`. Removed when the block ends: save the text
        to the outbox (``queue`` / ``save_draft``) inside the block. A process killed while the
        editor runs leaves the file (``reply-*.eml``) behind, with what was typed."""
        try:
            fd, name = tempfile.mkstemp(prefix="reply-", suffix=".eml", dir=self._service.data_dir)
            path = Path(name)
            with os.fdopen(fd, "w", encoding="utf-8", newline="") as handle:
                os.fchmod(handle.fileno(), 0o600)
                handle.write(text)
        except OSError as exc:
            raise _error(f"cannot write the draft file: {exc.strerror or exc}") from exc
        try:
            yield EditFile(path)
        finally:
            path.unlink(missing_ok=True)
