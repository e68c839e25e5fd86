"""The mail outbox: every reply and forward is a file on disk until its Sent copy is filed.

One JSON file per message in ``DATA_DIR/ACCOUNT/mail-outbox/`` (mode 0600), replaced atomically
(temp file, fsync, rename, fsync of the directory) at every change of state, so a kill -9 at any
instant leaves either the old or the new state, never a torn file. A file that cannot be read
is moved aside as ``NAME.damaged`` and reported, never deleted.

States, in order (``storage.service.replying`` moves a message along them):

===========  ===================================================================================
``draft``    written but not sent (the user said no, or it was saved for later): the editor text
``queued``   to send: the final message bytes are stored; a failed attempt comes back here with
             the error (the next ``sync`` or the TUI retries it)
``sending``  a process is connecting and handing over MAIL/RCPT; a kill here means not sent
``data``     the message is being handed over (DATA): a kill here leaves it unknown whether the
             server has it; the retry looks for it by Message-ID before sending again
``accepted`` the server said 250: never sent again; the Sent copy is still to be filed
``filed``    the Sent copy is on the server; kept only until the local copy in the cache has
             been replaced by the synced one, then the file is removed
===========  ===================================================================================

Two processes (the TUI and a CLI ``sync``) never send the same message: sending and filing
happen under an exclusive ``flock`` on ``mail-outbox/.lock``.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import fcntl
import json
import logging
import os
import secrets
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from supportmail.storage.private import private_dir
from supportmail.storage.user.atomic import fsync_dir

__all__ = ["OUTBOX_DIR", "STATES", "Outbox", "OutboxBusy", "OutboxError", "OutboxMail", "State"]

log = logging.getLogger(__name__)

OUTBOX_DIR = "mail-outbox"
State = Literal["draft", "queued", "sending", "data", "accepted", "filed"]
STATES: tuple[State, ...] = ("draft", "queued", "sending", "data", "accepted", "filed")
Kind = Literal["reply", "forward"]


class OutboxError(Exception):
    """The outbox could not be read or written (one line)."""


class OutboxBusy(OutboxError):
    """Another process is sending from this outbox right now."""


@dataclass(frozen=True, slots=True)
class OutboxMail:
    """One message in the outbox."""

    id: str
    kind: Kind
    state: State
    thread_root: str
    """The thread it answers (a forward: the thread it forwards from)."""
    message_id: str
    """Bare Message-ID of the message to send (fixed when it is first queued)."""
    subject: str
    to: tuple[str, ...]
    """Formatted recipients, for listing (``Name <addr>``)."""
    created: float
    updated: float
    text: str = ""
    """The editor text (header block + body): what a draft holds."""
    raw: bytes = b""
    """The final message, from ``queued`` on."""
    sender: str = ""
    recipients: tuple[str, ...] = ()
    """Envelope recipients (bare addresses: To and Cc)."""
    in_reply_to: str = ""
    attempts: int = 0
    error: str = ""
    """Why the last attempt failed (empty when none did)."""
    permanent: bool = False
    """The server refused for good (5xx): retried only when asked (``drafts --send``)."""

    @property
    def thread_id(self) -> str:
        """The short id of the thread (what ``threads`` prints)."""
        from supportmail.storage.threads import thread_id

        return thread_id(self.thread_root)

    def to_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["raw"] = base64.b64encode(self.raw).decode("ascii")
        data["to"] = list(self.to)
        data["recipients"] = list(self.recipients)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> OutboxMail:
        fields = {f.name for f in dataclasses.fields(cls)}
        values = {k: v for k, v in data.items() if k in fields}
        values["raw"] = base64.b64decode(values.get("raw", ""))
        values["to"] = tuple(values.get("to", ()))
        values["recipients"] = tuple(values.get("recipients", ()))
        if values.get("state") not in STATES:
            raise ValueError(f"unknown state {values.get('state')!r}")
        return cls(**values)


class Outbox:
    """The outbox directory of one account."""

    def __init__(self, account_dir: Path) -> None:
        self.path = account_dir / OUTBOX_DIR
        self.damaged: list[str] = []
        """Files moved aside since this object was made (reported once by the service)."""

    def _ensure(self) -> None:
        private_dir(self.path)

    def _file(self, mail_id: str) -> Path:
        if not mail_id.isalnum():
            raise OutboxError(f"'{mail_id[:20]}' is not an outbox id")
        return self.path / f"{mail_id}.json"

    # -- reading

    def all(self) -> list[OutboxMail]:
        """Every message, oldest first."""
        if not self.path.is_dir():
            return []
        out = []
        for file in sorted(self.path.glob("*.json")):
            mail = self._read(file)
            if mail is not None:
                out.append(mail)
        out.sort(key=lambda m: (m.created, m.id))
        return out

    def get(self, mail_id: str) -> OutboxMail | None:
        file = self._file(mail_id)
        return self._read(file) if file.exists() else None

    def find(self, prefix: str) -> OutboxMail:
        """The message whose id starts with ``prefix`` (OutboxError when none or several)."""
        prefix = prefix.strip()
        found = [m for m in self.all() if prefix and m.id.startswith(prefix)]
        if len(found) != 1:
            what = (
                "no message in the outbox matches"
                if not found
                else f"{len(found)} messages in the outbox match"
            )
            raise OutboxError(f"{what} '{prefix[:20]}' (see `drafts`)")
        return found[0]

    def _read(self, file: Path) -> OutboxMail | None:
        try:
            return OutboxMail.from_json(json.loads(file.read_bytes()))
        except FileNotFoundError:
            return None
        except (OSError, ValueError, TypeError, KeyError) as exc:
            aside = file.with_suffix(".damaged")
            with contextlib.suppress(OSError):
                os.replace(file, aside)
                self.damaged.append(f"outbox file {file.name} was damaged; kept as {aside.name}")
            log.warning("outbox file %s unreadable: %s", file, exc)
            return None

    # -- writing

    def new_id(self) -> str:
        while True:
            mail_id = secrets.token_hex(4)
            if not self._file(mail_id).exists():
                return mail_id

    def save(self, mail: OutboxMail) -> OutboxMail:
        """Write ``mail`` atomically and durably (updated now); returns what was written."""
        self._ensure()
        mail = dataclasses.replace(mail, updated=time.time())
        payload = json.dumps(mail.to_json(), ensure_ascii=True, indent=1).encode("ascii")
        target = self._file(mail.id)
        tmp = target.with_name(f".{mail.id}.tmp-{os.getpid()}")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
            try:
                os.write(fd, payload)
                os.fsync(fd)
            finally:
                os.close(fd)
            os.replace(tmp, target)
            fsync_dir(self.path)
        except OSError as exc:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise OutboxError(f"cannot write the outbox ({exc.strerror or exc})") from exc
        return mail

    def move(self, mail: OutboxMail, state: State, **changes: Any) -> OutboxMail:
        return self.save(dataclasses.replace(mail, state=state, **changes))

    def remove(self, mail_id: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self._file(mail_id).unlink()
            fsync_dir(self.path)

    # -- the sending lock

    @contextlib.contextmanager
    def sending(self, *, wait: float = 0.0) -> Iterator[None]:
        """Hold the outbox's send lock; OutboxBusy when another process holds it longer than
        ``wait`` seconds."""
        self._ensure()
        fd = os.open(self.path / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
        try:
            deadline = time.monotonic() + wait
            while True:
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except BlockingIOError:
                    if time.monotonic() >= deadline:
                        raise OutboxBusy("another supportmail is sending right now") from None
                    time.sleep(0.05)
            try:
                yield
            finally:
                fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)
