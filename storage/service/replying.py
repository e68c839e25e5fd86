"""Replying and forwarding for the service: drafts, sending over SMTP, the Sent copy, retries.

``Service.replies`` is one :class:`Replies`. The flow of one reply:

1. :meth:`Replies.compose_reply` (``storage.service.drafting``) picks the message to answer,
   reads it whole from the server when it can and makes the draft (``storage.compose``).
2. The UI lets the user edit :attr:`Composed.text` and hands the text to :meth:`Replies.queue`
   (send) or :meth:`Replies.save_draft` (later). Both write the outbox first
   (``storage.user.mail_outbox``): from here a crash loses nothing.
3. :meth:`Replies.send` / :meth:`Replies.retry` move each message along the outbox states under
   the outbox lock: SMTP (``storage.smtp``), ``accepted`` written durably right after the
   server's 250, the message put into the cache at once in the local folder :data:`LOCAL_FOLDER`
   (so the thread shows the answer and leaves the awaiting view), then the Sent copy filed with
   IMAP APPEND (``\\Seen``) unless a search by Message-ID finds it there already. When a sync
   has brought the Sent copy into the cache, the local row goes.

Idempotency: a message in ``accepted`` or later is never sent again. One killed during DATA
(state ``data``) is looked for by Message-ID in the Sent folder and every synced folder first;
only when no copy is found is it sent again (the one case where a server that took the message
in the instant before the kill, and kept no copy anywhere we can see, would get it twice).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from supportmail.storage import mime
from supportmail.storage.models import LOCAL_FOLDER, Address
from supportmail.storage.service.drafting import Composed, Drafting, EditFile
from supportmail.storage.service.errors import ServiceError
from supportmail.storage.user.mail_outbox import Outbox, OutboxBusy, OutboxError, OutboxMail

if TYPE_CHECKING:  # compose (the email package) and smtp are imported when first used
    from supportmail.storage.service import Service
    from supportmail.storage.settings import AccountConfig
    from supportmail.storage.smtp import SmtpSender

__all__ = ["Composed", "EditFile", "Replies", "RetryResult"]

log = logging.getLogger(__name__)

SEND_WAIT = 30.0
"""Seconds an explicit send waits for another process's send to finish."""


@dataclass(frozen=True, slots=True)
class RetryResult:
    """What one pass over the outbox did."""

    sent: int = 0
    filed: int = 0
    errors: tuple[str, ...] = ()
    busy: bool = False


class Replies(Drafting):
    """The answering side of one service: compose, queue, send, retry, list."""

    def __init__(self, service: Service) -> None:
        self._service = service
        self.outbox = Outbox(service.data_dir)
        self.last_retry = RetryResult()
        """What the retry after the last ``Service.sync`` did."""

    # -- configuration -------------------------------------------------------------------------

    def _sender(self, account: AccountConfig) -> SmtpSender:
        from supportmail.storage.settings import PasswordError, get_password
        from supportmail.storage.smtp import SmtpNotSent, SmtpSender

        smtp = account.smtp
        assert smtp is not None

        def password() -> str:
            source = account
            if smtp.own_password_source:
                source = dataclasses.replace(
                    account,
                    host=smtp.host,
                    username=smtp.username,
                    password_command=smtp.password_command,
                    password_keyring=smtp.password_keyring,
                    password_env=smtp.password_env,
                )
            try:
                return get_password(source)
            except PasswordError as exc:
                raise SmtpNotSent(str(exc), permanent=True) from None

        return SmtpSender(smtp, password)

    # -- composing -----------------------------------------------------------------------------

    # -- the outbox ------------------------------------------------------------------------------

    def _mail(self, composed: Composed, text: str) -> OutboxMail:
        now = self._service.now().timestamp()
        return OutboxMail(
            id=self.outbox.new_id(),
            kind="reply" if composed.kind == "reply" else "forward",
            state="draft",
            thread_root=composed.thread_root,
            message_id="",
            subject=composed.template.subject,
            to=tuple(p.formatted() for p in composed.template.to),
            created=now,
            updated=now,
            text=text,
            in_reply_to=composed.in_reply_to,
            sender="",
        )

    def save_draft(self, composed: Composed, text: str) -> OutboxMail:
        """Keep the edited text as a draft (nothing is sent)."""
        try:
            return self.outbox.save(self._mail(composed, text))
        except OutboxError as exc:
            raise ServiceError(str(exc)) from exc

    def queue(self, composed: Composed, text: str) -> OutboxMail:
        """Make the message from the edited text and put it in the outbox to send. A text the
        message cannot be made from is kept as a draft and the error raised."""
        mail = self.save_draft(composed, text)
        return self.queue_draft(mail.id, refs=composed.refs)

    def queue_draft(self, mail_id: str, *, refs: Sequence[str] | None = None) -> OutboxMail:
        """Turn a saved draft into a queued message (``drafts --send``)."""
        from supportmail.storage import compose
        from supportmail.storage.compose import DraftError

        account = self._config()
        assert account.address is not None
        try:
            mail = self.outbox.find(mail_id)
            if mail.state != "draft":
                return mail
            draft = compose.parse_draft(mail.text)
            if refs is None:
                refs = self._refs_for(mail)
            message_id = compose.new_message_id(account.address)
            raw = compose.build_message(
                draft,
                sender=Address("", account.address),
                message_id=message_id,
                date=self._service.now(),
                in_reply_to=mail.in_reply_to or None,
                refs=refs,
            )
        except (DraftError, OutboxError) as exc:
            raise ServiceError(str(exc)) from None
        except (ValueError, UnicodeError) as exc:  # an address the email package cannot write
            raise ServiceError(f"cannot make the message: {exc}") from None
        try:
            return self.outbox.move(
                mail,
                "queued",
                message_id=message_id,
                raw=raw,
                sender=account.address,
                recipients=tuple(p.addr for p in (*draft.to, *draft.cc)),
                subject=draft.subject,
                to=tuple(p.formatted() for p in draft.to),
            )
        except OutboxError as exc:
            raise ServiceError(str(exc)) from exc

    def _refs_for(self, mail: OutboxMail) -> tuple[str, ...]:
        if not mail.in_reply_to:
            return ()
        for row in self._service.thread_rows(mail.thread_root):
            if row.message_id == mail.in_reply_to:
                env = row.envelope
                chain = (*(env.references or env.in_reply_to[:1]), row.message_id)
                return tuple(dict.fromkeys(chain))
        return (mail.in_reply_to,)

    def drafts(self) -> list[OutboxMail]:
        """Everything in the outbox, oldest first (drafts, unsent, unfiled)."""
        return self.outbox.all()

    def unsent(self) -> int:
        """Messages to send that the server has not accepted yet (for the status bar)."""
        return sum(1 for m in self.outbox.all() if m.state in ("queued", "sending", "data"))

    def discard(self, mail_id: str) -> OutboxMail:
        """Drop a draft or an unsent message (never one the server may have)."""
        try:
            mail = self.outbox.find(mail_id)
            with self.outbox.sending(wait=SEND_WAIT):
                mail = self.outbox.find(mail_id)
                if mail.state not in ("draft", "queued", "sending"):
                    raise OutboxError(
                        f"{mail.id} was sent already (state {mail.state}); it cannot be dropped"
                    )
                self.outbox.remove(mail.id)
        except OutboxError as exc:
            raise ServiceError(str(exc)) from None
        return mail

    # -- sending ---------------------------------------------------------------------------------

    def send(self, mail_id: str) -> OutboxMail:
        """Send one queued message now (waiting for another process's send); ServiceError with
        the server's reason when it was not accepted (it stays in the outbox)."""
        from supportmail.storage.service.delivery import Delivery

        account = self._config()
        try:
            with self.outbox.sending(wait=SEND_WAIT):
                mail = self.outbox.find(mail_id)
                if mail.state == "draft":
                    mail = self.queue_draft(mail.id)
                delivery = Delivery(self, self._service, account, self._sender(account))
                mail = delivery.advance(mail, force=True)
        except OutboxError as exc:
            raise ServiceError(str(exc)) from None
        if mail.state in ("queued", "sending", "data"):
            raise ServiceError(f"not sent: {mail.error} (kept in the outbox: see `drafts`)")
        return mail

    def retry(self) -> RetryResult:
        """One pass over the outbox: send what waits, file Sent copies, drop synced local rows.
        Never blocks on another process (it is sending: ``busy``); errors are reported."""
        if self._service.is_demo or self.account is None or not self.outbox.path.is_dir():
            return RetryResult()
        from supportmail.storage.service.delivery import Delivery

        try:
            account = self._config()
        except Exception as exc:  # no smtp table any more: the mail waits
            waiting = [m for m in self.outbox.all() if m.state != "draft"]
            return RetryResult(errors=(str(exc),) if waiting else ())
        try:
            with self.outbox.sending():
                delivery = Delivery(self, self._service, account, self._sender(account))
                return delivery.run(self.outbox.all())
        except OutboxBusy:
            return RetryResult(busy=True)
        except OutboxError as exc:
            return RetryResult(errors=(str(exc),))
        except Exception as exc:  # a sync must not fail for the mail outbox: say it, log it
            log.warning("outbox retry failed: %s", exc, exc_info=True)
            return RetryResult(errors=(f"outbox not retried: {exc or type(exc).__name__}",))

    # -- the cache -------------------------------------------------------------------------------

    def show_locally(self, mail: OutboxMail) -> None:
        """Put a sent message into the cache (folder :data:`LOCAL_FOLDER`) so its thread shows
        it at once (nothing when the cache has the message already)."""
        service = self._service
        cache, account = service.cache, service.account
        if cache.locations(account, [mail.message_id]):
            return
        uids = cache.folder_uids(account, LOCAL_FOLDER)
        uid = (max(uids) if len(uids) else 0) + 1
        env = mime.parse_envelope(mail.raw)
        item = (uid, env, ("\\Seen",), len(mail.raw), None, None)
        cache.add_messages(account, LOCAL_FOLDER, [item])
        rowid = cache.rowids(account).get((LOCAL_FOLDER, uid))
        if rowid is not None:
            cache.save_body(rowid, mime.parse_body(mail.raw))
        self._rethread()

    def drop_local(self, mail: OutboxMail) -> bool:
        """Once the cache holds a synced copy: remove the local row. True when none is left."""
        service = self._service
        cache, account = service.cache, service.account
        where = cache.locations(account, [mail.message_id])
        if not any(folder != LOCAL_FOLDER for folder in where):
            return False
        if where.get(LOCAL_FOLDER):
            cache.remove_uids(account, LOCAL_FOLDER, where[LOCAL_FOLDER])
            self._rethread()
        return True

    def _rethread(self) -> None:
        service = self._service
        cache, account = service.cache, service.account
        roots = cache.thread_pending(account) | cache.dirty_roots(account)
        if roots:
            cache.rebuild_threads(account, roots)
        service.answers.invalidate()
