"""``supportmail save`` and ``supportmail links``: a thread's attachments on disk, its links.

=========================================  ======================================================
``save THREAD [--message N] [--dir DIR]``  write the attachments (of message N only) into DIR
                                           (default: the current directory); safe names, an
                                           existing file never overwritten (``name (1).pdf``)
``links THREAD [--message N] [--json]``    a message's links: the text and the real target
=========================================  ======================================================

Attachments are fetched from the server when asked (``storage.service.attachments``); the demo saves
from its bundled messages. ``tui.cli`` registers these with :func:`add_files_parsers` and
dispatches through :data:`FILES_COMMANDS`.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from supportmail.storage.sanitize import sanitize_line
from supportmail.tui.cli.output import UsageError, clip, dump_json, positive_int, say_empty
from supportmail.tui.units import format_size

if TYPE_CHECKING:
    from supportmail.storage.service import Service

__all__ = ["FILES_COMMANDS", "add_files_parsers"]


def add_files_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    p = sub.add_parser(
        "save", parents=[common], help="write a thread's attachments into a directory"
    )
    p.add_argument("thread", metavar="THREAD")
    p.add_argument(
        "--message", type=positive_int, metavar="N", help="only message N (1 = oldest, as show)"
    )
    p.add_argument("--dir", metavar="DIR", default=".", help="where (default: here)")
    p = sub.add_parser("links", parents=[common], help="a message's links: text and real target")
    p.add_argument("thread", metavar="THREAD")
    p.add_argument(
        "--message", type=positive_int, metavar="N", help="message N (default: the newest)"
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")


def _message(service: Service, ref: str, wanted: int | None, *, newest: bool) -> int | None:
    count = len(service.thread(ref, fetch=False, raw=True).messages)
    if wanted is None:
        return count if newest else None
    if wanted > count:
        raise UsageError(f"--message {wanted}: the thread has {count} message(s)")
    return wanted


def cmd_save(service: Service, args: argparse.Namespace, out: TextIO) -> int:
    directory = Path(args.dir)
    if not directory.is_dir():
        raise UsageError(f"--dir {sanitize_line(args.dir)}: no such directory")
    message = _message(service, args.thread, args.message, newest=False)
    saved = service.attachments.save(args.thread, directory, message)
    if not saved:
        where = f"message {message}" if message else "the thread"
        out.write(f"no attachments in {where}\n")
        return 0
    for item in saved:
        a = item.attachment.sanitized()
        out.write(
            f"saved {sanitize_line(str(item.path))}  "
            f"(message {a.message}, {a.content_type}, {format_size(a.size)})\n"
        )
    return 0


def cmd_links(service: Service, args: argparse.Namespace, out: TextIO) -> int:
    message = _message(service, args.thread, args.message, newest=True)
    assert message is not None
    if args.json:
        links = service.attachments.links(args.thread, message, raw=True)
        dump_json([{"text": link.text, "target": link.target} for link in links], out)
        return 0
    links = service.attachments.links(args.thread, message)
    if not links:
        say_empty(f"no links in message {message}")
    for link in links:
        out.write(f"{clip(link.text or '(no text)', 40)}  ->  {link.target}\n")
    return 0


FILES_COMMANDS = {"save": cmd_save, "links": cmd_links}
