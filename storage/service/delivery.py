"""Moving outbox messages along their states: send, recover an interrupted send, file the Sent
copy, forget the message once the synced copy is in the cache. Runs under the outbox lock
(``Replies.send`` / ``Replies.retry`` take it); see ``storage.user.mail_outbox`` for the states and
``storage.service.replying`` for the idempotency rules.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import TYPE_CHECKING

from supportmail.storage.imap import ImapConnectionLost, ImapError, quirks
from supportmail.storage.models import LOCAL_FOLDER
from supportmail.storage.smtp import SmtpNotSent, SmtpUncertain
from supportmail.storage.user.mail_outbox import OutboxMail, State

if TYPE_CHECKING:
    from supportmail.storage.imap import ImapConnection
    from supportmail.storage.service import Service
    from supportmail.storage.service.replying import Replies, RetryResult
    from supportmail.storage.settings import AccountConfig
    from supportmail.storage.smtp import SmtpSender

__all__ = ["Delivery"]

log = logging.getLogger(__name__)


def _folder_hint(conn: ImapConnection, folder: str) -> str | None:
    """What the server probably calls ``folder`` (``quirks.folder_hint``), or None."""
    try:
        return quirks.folder_hint(folder, conn.personal_namespaces(), conn.list_folders())
    except ImapConnectionLost:
        raise
    except ImapError:
        return None


_UNSENT = ("queued", "sending", "data")


class Delivery:
    """One pass of sending and filing, with one SMTP sender; IMAP goes through the service's
    interactive session (``Service.on_server``: logged in once, kept, re-established when
    dropped), so a send or a retry after every sync logs in no more."""

    def __init__(
        self, replies: Replies, service: Service, account: AccountConfig, sender: SmtpSender
    ) -> None:
        self.replies = replies
        self.service = service
        self.account = account
        self.outbox = replies.outbox
        self.sender = sender

    # -- a whole pass ----------------------------------------------------------------------------

    def run(self, mails: Iterable[OutboxMail]) -> RetryResult:
        from supportmail.storage.service.replying import RetryResult

        sent = filed = 0
        errors: list[str] = []
        for mail in mails:
            if mail.state == "draft" or (mail.state == "queued" and mail.permanent):
                continue
            before = mail.state
            try:
                after = self.advance(mail)
            except Exception as exc:  # one bad message must not stop the others
                log.warning("outbox %s: %s", mail.id, exc, exc_info=True)
                errors.append(f"{mail.id}: {exc}")
                continue
            if before in _UNSENT and after.state not in _UNSENT:
                sent += 1
            if before in (*_UNSENT, "accepted") and after.state == "filed":
                filed += 1
            if after.error and after.state in (*_UNSENT, "accepted"):
                errors.append(f"{after.id}: {after.error}")
        return RetryResult(sent=sent, filed=filed, errors=tuple(errors))

    def advance(self, mail: OutboxMail, *, force: bool = False) -> OutboxMail:
        """As far along the states as it goes now. ``force``: send a message the server
        refused for good (the user asked again)."""
        if mail.state == "data":
            mail = self._recover(mail)
        if mail.state in ("queued", "sending"):
            if mail.permanent and not force:
                return mail
            mail = self._send(mail)
        if mail.state == "accepted":
            mail = self._file(mail)
        if mail.state == "filed":
            self._finish(mail)
        return mail

    # -- the steps -------------------------------------------------------------------------------

    def _send(self, mail: OutboxMail) -> OutboxMail:
        outbox = self.outbox
        current = outbox.move(mail, "sending", attempts=mail.attempts + 1)

        def before_data() -> None:
            nonlocal current
            current = outbox.move(current, "data")

        try:
            reply = self.sender.send(
                current.raw, current.sender, current.recipients, before_data=before_data
            )
        except SmtpNotSent as exc:
            log.info("outbox %s not sent: %s", mail.id, exc)
            return outbox.move(current, "queued", error=str(exc), permanent=exc.permanent)
        except SmtpUncertain as exc:
            return outbox.move(current, "data", error=str(exc))
        accepted = outbox.move(current, "accepted", error="", permanent=False)
        log.info("outbox %s accepted: %s", mail.id, reply)
        self._show(accepted)
        return accepted

    def _show(self, mail: OutboxMail) -> None:
        if mail.kind == "forward":
            return  # a forward is not an answer: its thread keeps waiting
        try:
            self.replies.show_locally(mail)
        except Exception as exc:  # the cache is a view: the outbox still has the message
            log.warning("outbox %s: not shown in the cache: %s", mail.id, exc, exc_info=True)

    def _recover(self, mail: OutboxMail) -> OutboxMail:
        """A send that was cut during DATA: look for the message before sending it again."""
        service = self.service
        copies = service.cache.locations(service.account, [mail.message_id])
        if any(folder != LOCAL_FOLDER for folder in copies):
            return self.outbox.move(mail, "accepted", error="")
        sent_folder = self.account.sent_folder

        def look(conn: ImapConnection) -> str | None:
            """The folder holding a copy, or None (re-run whole on a dropped connection)."""
            for folder in dict.fromkeys((sent_folder, *service.folders)):
                try:
                    conn.select(folder)
                except ImapConnectionLost:
                    raise
                except ImapError:
                    continue  # a folder that does not exist (yet) holds no copy
                if conn.search_message_id(mail.message_id):
                    return folder
            return None

        try:
            found_in = service.on_server(look)
        except Exception as exc:  # cannot check: never send blindly, try again later
            return self.outbox.move(
                mail, "data", error=f"cannot check whether it was sent ({exc}); will retry"
            )
        if found_in is None:
            return self.outbox.move(mail, "queued")
        log.info("outbox %s: found in %s after an interrupted send", mail.id, found_in)
        state: State = "filed" if found_in == sent_folder else "accepted"
        found = self.outbox.move(mail, state, error="")
        self._show(found)
        return found

    def _file(self, mail: OutboxMail) -> OutboxMail:
        """APPEND the Sent copy (``\\Seen``) unless the Sent folder has it already."""
        self._show(mail)
        folder = self.account.sent_folder

        def file(conn: ImapConnection) -> None:
            """Idempotent: a re-run after a dropped connection looks for the copy first."""
            try:
                conn.select(folder)
                present = bool(conn.search_message_id(mail.message_id))
            except ImapConnectionLost:
                raise
            except ImapError:  # no Sent folder yet: APPEND creates it
                present = False
            if not present:
                try:
                    conn.append(folder, mail.raw, ("\\Seen",))
                except ImapConnectionLost:
                    raise
                except ImapError as exc:  # Courier: "Sent" is "INBOX.Sent": say which to set
                    hint = _folder_hint(conn, folder)
                    if hint is None:
                        raise
                    raise ImapError(f"{exc} (sent_folder {hint})") from exc

        try:
            self.service.on_server(file)
        except Exception as exc:
            log.info("outbox %s: Sent copy not filed: %s", mail.id, exc)
            return self.outbox.move(mail, "accepted", error=f"Sent copy not filed yet: {exc}")
        return self.outbox.move(mail, "filed", error="")

    def _finish(self, mail: OutboxMail) -> None:
        """Forget a filed message once its thread no longer needs the local copy."""
        service = self.service
        if self.account.sent_folder not in service.folders or self.replies.drop_local(mail):
            self.outbox.remove(mail.id)
