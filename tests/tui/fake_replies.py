"""An in-memory stand-in for ``Service.replies`` (``storage.service.replying.Replies``): the
methods the TUI's answer flow calls, with drafts kept in a dict and a send that can be made to
fail."""

from __future__ import annotations

import contextlib
import dataclasses
import tempfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from supportmail.storage import compose
from supportmail.storage.compose import DraftText
from supportmail.storage.models import Address
from supportmail.storage.service.replying import Composed, EditFile
from supportmail.storage.user.mail_outbox import OutboxMail

if TYPE_CHECKING:
    from tests.tui.fakes import FakeService


class FakeReplyError(Exception):
    """What a refused send raises (one line, like ServiceError)."""


class FakeReplies:
    """Drafts and sends in memory; ``fail_send`` makes the next sends fail with that text."""

    def __init__(self, service: FakeService) -> None:
        self.service = service
        self.mails: dict[str, OutboxMail] = {}
        self.thread_of: dict[str, str] = {}
        """Mail id -> the fake thread id it answers."""
        self.fail_send: str | None = None
        self.sent: list[OutboxMail] = []

    def can_send(self) -> bool:
        return True

    def unsent(self) -> int:
        return sum(1 for m in self.mails.values() if m.state == "queued")

    def compose_reply(
        self, ref: str, *, reply_all: bool = False, message: str | None = None
    ) -> Composed:
        summary = self.service.threads[ref]
        customer = next(
            (p for p in summary.participants if not self.service.is_team_address(p)),
            Address("", "someone@example.com"),
        )
        draft = DraftText(
            to=(customer,),
            cc=(),
            subject=compose.reply_subject(summary.subject),
            body=f"\n\n-- \nDana\n\n{customer.display()} wrote:\n> Hello, it broke.\n",
        )
        return Composed(
            "reply", summary.root_message_id, ref, draft, compose.render_draft(draft), "x@y", ()
        )

    def compose_forward(self, ref: str, to: str, *, message: str | None = None) -> Composed:
        composed = self.compose_reply(ref)
        draft = dataclasses.replace(composed.template, to=(), subject="Fwd: x")
        return dataclasses.replace(
            composed, kind="forward", template=draft, text=compose.render_draft(draft)
        )

    @contextlib.contextmanager
    def editing(self, text: str) -> Iterator[EditFile]:
        with tempfile.TemporaryDirectory(prefix="fake-replies-") as folder:
            path = Path(folder) / "draft.eml"
            path.write_text(text, encoding="utf-8")
            yield EditFile(path)

    def written(self, composed: Composed, text: str) -> bool:
        return compose.written(compose.parse_draft(text), composed.template)

    def recipients(self, text: str) -> list[str]:
        try:
            draft = compose.parse_draft(text)
        except compose.DraftError as exc:
            raise FakeReplyError(str(exc)) from None
        return [p.formatted() for p in (*draft.to, *draft.cc)]

    def save_draft(self, composed: Composed, text: str) -> OutboxMail:
        mail_id = f"d{len(self.mails) + 1}"
        mail = OutboxMail(
            id=mail_id,
            kind="reply" if composed.kind == "reply" else "forward",
            state="draft",
            thread_root=composed.thread_root,
            message_id="",
            subject=composed.template.subject,
            to=tuple(p.formatted() for p in composed.template.to),
            created=0.0,
            updated=0.0,
            text=text,
        )
        self.mails[mail_id] = mail
        self.thread_of[mail_id] = composed.thread_id
        return mail

    def queue_draft(self, mail_id: str, *, refs: Sequence[str] | None = None) -> OutboxMail:
        mail = dataclasses.replace(self.mails[mail_id], state="queued")
        self.mails[mail_id] = mail
        return mail

    def send(self, mail_id: str) -> OutboxMail:
        if self.fail_send is not None:
            raise FakeReplyError(f"not sent: {self.fail_send} (kept in the outbox)")
        mail = dataclasses.replace(self.mails.pop(mail_id), state="filed")
        self.sent.append(mail)
        self.service.answered.add(self.thread_of[mail_id])
        return mail
