"""The answering commands of ``supportmail``: responses, reply, forward and drafts.

``tui.cli`` registers them with :func:`add_answer_parsers` and dispatches through the
``ANSWER_COMMANDS`` table; the first-reply report's printing is in ``tui.cli.responses``.

``reply``/``forward`` open ``$VISUAL``/``$EDITOR`` on the draft (header block + body), then ask
``Send? [y/N]`` (``--yes`` does not ask). An unchanged text sends nothing; "no" keeps the text
as a draft (``drafts --send ID`` sends it later). ``--body-file FILE`` (``-``: stdin) gives the
text instead, written above the signature and the quote, and no editor runs. Without it the
editor needs the terminal: when stdin and stdout are not both one (a pipe, cron, a redirect) the
command says so in one line naming ``--body-file`` and exits 2 before anything is composed,
rather than hand an editor a file or a pipe (it would wait forever or write escape sequences).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from supportmail.storage.dates import relative_label
from supportmail.storage.sanitize import sanitize_line
from supportmail.storage.service import ServiceError, UnknownMessageError
from supportmail.tui.cli.output import PROG, UsageError, clip, dump_json, pad, say_empty
from supportmail.tui.cli.responses import add_responses_parser, cmd_responses

if TYPE_CHECKING:
    from supportmail.storage.service import Service
    from supportmail.storage.service.api import Composed, OutboxMail

STATE_LABEL = {
    "draft": "draft",
    "queued": "unsent",
    "sending": "unsent",
    "data": "unsure",
    "accepted": "sent*",
    "filed": "sent",
}
"""How ``drafts`` names the outbox states (``sent*``: the Sent copy is not filed yet)."""


def add_answer_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    add_responses_parser(sub, common)
    p = sub.add_parser(
        "reply", parents=[common], help="answer a thread in $EDITOR and send it over SMTP"
    )
    p.add_argument("thread", metavar="THREAD", help="short id, unique prefix or root Message-ID")
    p.add_argument("--all", action="store_true", help="reply to everyone (not the team)")
    p.add_argument(
        "--message", metavar="N", help="answer message N as `show` numbers it (or a Message-ID)"
    )
    p.add_argument("--yes", action="store_true", help="send without asking")
    _body_option(p)

    p = sub.add_parser(
        "forward", parents=[common], help="forward a thread's customer message to an address"
    )
    p.add_argument("thread", metavar="THREAD")
    p.add_argument("--to", required=True, metavar="ADDRESS", help="e.g. eng@example.com")
    p.add_argument("--message", metavar="N", help="forward message N (default: the customer's)")
    p.add_argument("--yes", action="store_true", help="send without asking")
    _body_option(p)

    p = sub.add_parser(
        "drafts", parents=[common], help="drafts and unsent mail; --send ID, --discard ID"
    )
    group = p.add_mutually_exclusive_group()
    group.add_argument("--send", metavar="ID", help="send a draft, or retry an unsent message")
    group.add_argument("--discard", metavar="ID", help="drop a draft or an unsent message")
    p.add_argument("--json", action="store_true", help="machine-readable output")


def _body_option(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--body-file",
        metavar="FILE",
        help="your text from FILE ('-': stdin) instead of $EDITOR; it goes above the quote",
    )


def editor_terminal() -> bool:
    """Whether ``$EDITOR`` can have the terminal: stdin and stdout are both one."""
    return sys.stdin.isatty() and sys.stdout.isatty()


def _body(args: argparse.Namespace) -> str | None:
    """The text ``--body-file`` gives (None: the editor writes it). No ``--body-file`` and no
    terminal for the editor: a usage mistake, said before anything is composed."""
    name = args.body_file
    if name is None:
        if not editor_terminal():
            raise UsageError(
                f"{args.command}: no terminal for $EDITOR (stdin and stdout are not both one); "
                "give the text with --body-file FILE, or --body-file - to read it from stdin"
            )
        return None
    if name == "-":
        if sys.stdin.isatty():  # typed by hand: say how it ends
            print("supportmail: your text, then ctrl-D on a line of its own", file=sys.stderr)
        stream = getattr(sys.stdin, "buffer", None)
        text = _decoded(stream.read()) if stream else sys.stdin.read().removeprefix("\ufeff")
    else:
        try:
            text = _decoded(Path(name).read_bytes())
        except OSError as exc:
            raise UsageError(f"--body-file {sanitize_line(name)}: {exc.strerror or exc}") from None
    if not text.strip():
        where = "stdin" if name == "-" else sanitize_line(name)
        raise UsageError(f"--body-file: {where} is empty: nothing to send")
    return text


def _decoded(raw: bytes) -> str:
    """A body file's text: UTF-8 (a leading byte-order mark, as Windows editors write, dropped),
    else Windows-1252, the usual other encoding of a hand-written file, which maps every byte
    but five: those become U+FFFD."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def _edit(path: str) -> None:
    from supportmail.tui.editor import (  # imports Textual: only when editing
        EditorError,
        editor_command,
    )

    try:
        argv = editor_command(os.environ)
    except EditorError as exc:
        raise UsageError(str(exc)) from None
    try:
        status = subprocess.run([*argv, path], check=False).returncode
    except OSError as exc:
        raise ServiceError(f"could not start the editor {argv[0]}: {exc.strerror or exc}") from exc
    if status != 0:
        raise ServiceError(f"the editor {argv[0]} exited with status {status}: nothing sent")


def _ask(question: str) -> bool:
    sys.stderr.write(question)
    sys.stderr.flush()
    return sys.stdin.readline().strip().lower() in ("y", "yes")


def _queue(
    service: Service, composed: Composed, text: str, args: argparse.Namespace, out: TextIO
) -> OutboxMail | int:
    """Queue the written ``text`` to send; else the exit status (1: nothing written, 0: kept
    as a draft)."""
    replies = service.replies
    if not replies.written(composed, text):
        print(f"{PROG}: nothing written: not sent", file=sys.stderr)
        return 1
    try:
        to = ", ".join(replies.recipients(text))
    except ServiceError as exc:
        draft = replies.save_draft(composed, text)
        raise ServiceError(f"{exc} (kept as draft {draft.id})") from exc
    # With --body-file - the text came on stdin, so nothing is left there to answer.
    from_stdin = args.body_file == "-"
    if not args.yes and (from_stdin or not _ask(f"Send to {sanitize_line(to)}? [y/N] ")):
        draft = replies.save_draft(composed, text)
        why = " (stdin held the text; --yes sends at once)" if from_stdin else ""
        out.write(
            f"kept as draft {draft.id}{why}: send it with `{PROG} drafts --send {draft.id}`\n"
        )
        return 0
    return replies.queue(composed, text)  # on disk before the server is asked


def _compose_and_send(
    service: Service, composed: Composed, args: argparse.Namespace, out: TextIO, body: str | None
) -> int:
    replies = service.replies
    if body is not None:
        mail = _queue(service, composed, replies.filled(composed, body), args, out)
    else:
        with replies.editing(composed.text) as file:
            _edit(str(file.path))
            mail = _queue(service, composed, file.read(), args, out)
    if isinstance(mail, int):
        return mail
    sent = replies.send(mail.id)
    where = "filed in Sent" if sent.state == "filed" else "the Sent copy is filed by the next sync"
    out.write(f"sent {sent.id} to {sanitize_line(', '.join(sent.to))} ({where})\n")
    return 0


def cmd_reply(service: Service, args: argparse.Namespace, out: TextIO) -> int:
    body = _body(args)
    try:
        composed = service.replies.compose_reply(
            args.thread, reply_all=args.all, message=args.message
        )
    except UnknownMessageError as exc:
        raise UsageError(f"--message: {exc}") from None
    return _compose_and_send(service, composed, args, out, body)


def cmd_forward(service: Service, args: argparse.Namespace, out: TextIO) -> int:
    # --to is the command line's: a blank or malformed one is a usage mistake, said before the
    # editor opens (the TUI forwards with no address and lets it be typed in the draft).
    if not args.to.strip():
        raise UsageError("--to: give the address to forward to, e.g. eng@example.com")
    try:
        service.replies.forward_to(args.to)
    except ServiceError as exc:
        raise UsageError(str(exc)) from None
    body = _body(args)
    try:
        composed = service.replies.compose_forward(args.thread, args.to, message=args.message)
    except UnknownMessageError as exc:
        raise UsageError(f"--message: {exc}") from None
    return _compose_and_send(service, composed, args, out, body)


def cmd_drafts(service: Service, args: argparse.Namespace, out: TextIO) -> int:
    replies = service.replies
    if args.send:
        sent = replies.send(args.send)
        out.write(f"sent {sent.id} to {sanitize_line(', '.join(sent.to))}\n")
        return 0
    if args.discard:
        gone = replies.discard(args.discard)
        out.write(f"dropped {gone.id} ({STATE_LABEL[gone.state]})\n")
        return 0
    mails = replies.drafts()
    if args.json:
        dump_json(
            [
                {
                    "id": m.id,
                    "kind": m.kind,
                    "state": m.state,
                    "thread_id": m.thread_id,
                    "subject": m.subject,
                    "to": list(m.to),
                    "message_id": m.message_id or None,
                    "attempts": m.attempts,
                    "error": m.error or None,
                    "updated": datetime.fromtimestamp(m.updated).astimezone().isoformat(),
                }
                for m in mails
            ],
            out,
        )
        return 0
    if not mails:
        say_empty("no drafts and no unsent mail")
        return 0
    now = service.now()
    for m in mails:
        when = relative_label(datetime.fromtimestamp(m.updated).astimezone(), now)
        to = pad(sanitize_line(", ".join(m.to)), 28)
        out.write(
            f"{m.id}  {STATE_LABEL[m.state]:<6} {when:>11}  {m.thread_id}  {to}  "
            f"{clip(sanitize_line(m.subject), 50)}\n"
        )
        if m.error:
            out.write(f"          {clip(sanitize_line(m.error), 110)}\n")
    return 0


def report_outbox(service: Service, out: TextIO) -> None:
    """After ``sync``: what the retry of the mail outbox did (errors on stderr)."""
    retry = service.replies.last_retry
    if retry.sent:
        out.write(f"sent {retry.sent} message{'s' if retry.sent != 1 else ''} from the outbox\n")
    for error in retry.errors:
        print(f"{PROG}: outbox: {sanitize_line(error)}", file=sys.stderr)


ANSWER_COMMANDS: dict[str, Callable[[Service, argparse.Namespace, TextIO], int]] = {
    "responses": cmd_responses,
    "reply": cmd_reply,
    "forward": cmd_forward,
    "drafts": cmd_drafts,
}
