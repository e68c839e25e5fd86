"""Run the supportmail CLI and SIGKILL it at an exact moment of sending a reply.

    python -m tests.faults.die_at_send WHEN --config C --data-dir D reply T --yes

``WHEN`` is an outbox state (``data``, ``accepted``, ``filed``): the process dies right after
that state reached the disk; or ``smtp-accepted``: right after the SMTP server answered 250,
before the outbox recorded it. Nothing runs afterwards, exactly as when ``kill -9`` arrives.
"""

from __future__ import annotations

import os
import signal
import sys
from typing import Any

from supportmail.storage.smtp import SmtpSender
from supportmail.storage.user.mail_outbox import Outbox, OutboxMail


def _die() -> None:
    os.kill(os.getpid(), signal.SIGKILL)


def die_at(when: str) -> None:
    if when == "smtp-accepted":
        send = SmtpSender.send

        def dying_send(self: SmtpSender, *args: Any, **kwargs: Any) -> str:
            send(self, *args, **kwargs)
            _die()
            raise AssertionError("unreachable")

        SmtpSender.send = dying_send  # type: ignore[method-assign]
        return
    save = Outbox.save

    def dying_save(self: Outbox, mail: OutboxMail) -> OutboxMail:
        written = save(self, mail)
        if mail.state == when:
            _die()
        return written

    Outbox.save = dying_save  # type: ignore[method-assign]


def main(argv: list[str]) -> int:
    when, *cli_args = argv
    die_at(when)
    from supportmail.tui.cli import run

    return run(cli_args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
