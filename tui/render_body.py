"""A message in the thread pane -> ``Content``: its body in blocks (text, quote, attribution,
signature; quotes folded or dimmed), its compact header lines and its attachment lines.

Pure, like ``tui.render`` (whose ``safe`` every mail string goes through): the widget passes in
the styles it resolved from CSS component classes. Used by ``widgets.message_view``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Literal

from textual.content import Content
from textual.style import Style

from supportmail.storage.sanitize import sanitize_text
from supportmail.tui.render import ATTACHMENT_MARK, UNREAD_MARK, full_date, safe
from supportmail.tui.units import format_size

if TYPE_CHECKING:
    from supportmail.storage.models import Address, Attachment, MessageView

__all__ = [
    "BodyBlock",
    "BodyStyles",
    "HeaderStyles",
    "attachments_content",
    "body_content",
    "message_header",
    "split_body",
]

BlockKind = Literal["text", "quote", "attribution", "signature"]

_ATTRIBUTION = re.compile(
    r"""^(
        on\s.{4,200}\swrote:\s*$                       # On Mon, 1 Jan 2026, X wrote:
      | am\s.{4,200}\sschrieb.{0,100}:\s*$            # Am 01.01.2026 um 10:00 schrieb X:
      | le\s.{4,200}\sa\sécrit\s?:\s*$                # Le 1 janv. 2026, X a écrit :
      | 在.{2,200}写道[:：]\s*$                         # 在 2026年1月1日，X 写道：
      | -{2,}\s*(original\smessage|ursprüngliche\snachricht|urspr\S*\snachricht)\s*-{2,}\s*$
    )""",
    re.IGNORECASE | re.VERBOSE,
)
_OUTLOOK_HEADER = re.compile(r"^(from|von|de):\s.+$", re.IGNORECASE)
_OUTLOOK_NEXT = re.compile(r"^(sent|gesendet|date|datum|envoyé):\s", re.IGNORECASE)
_MOBILE_SIGNATURE = re.compile(r"^(sent from my |von meinem \S+ gesendet)", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class BodyBlock:
    """A run of body lines of one kind."""

    kind: BlockKind
    lines: tuple[str, ...]


def _attribution_length(lines: Sequence[str], index: int) -> tuple[int, bool]:
    """(lines, rest_is_quote) of a reply attribution starting at ``index``; (0, False) if none.

    ``rest_is_quote`` is true for Outlook-style headers, below which the whole earlier message
    follows without ``>`` marks.
    """
    line = lines[index].strip()
    if _ATTRIBUTION.match(line):
        return 1, line.startswith("-")
    if index + 1 < len(lines):
        nxt = lines[index + 1].strip()
        joined = f"{line} {nxt}"
        if len(joined) < 300 and _ATTRIBUTION.match(joined):
            return 2, False
        if _OUTLOOK_HEADER.match(line) and _OUTLOOK_NEXT.match(nxt):
            return 1, True
    return 0, False


def _is_signature_start(lines: Sequence[str], index: int) -> bool:
    line = lines[index]
    if line == "-- ":
        return True
    if line.rstrip() == "--":
        return len(lines) - index <= 12
    return bool(_MOBILE_SIGNATURE.match(line.strip())) and len(lines) - index <= 3


def split_body(text: str) -> list[BodyBlock]:
    """The body as blocks: the customer's own words, quotes, attributions and the signature.

    ``>`` lines are quotes (blank lines inside a quote stay in it); a reply attribution ("On …
    wrote:", "Am … schrieb …:", "Le … a écrit :", "在 … 写道：") is its own block; below an
    Outlook-style header ("-----Original Message-----", ``From:`` then ``Sent:``) the rest of the
    message is quoted; a ``-- `` line starts the signature.
    """
    lines = text.split("\n")
    while lines and not lines[-1].strip():
        lines.pop()
    blocks: list[BodyBlock] = []
    current: list[str] = []
    kind: BlockKind = "text"

    def flush(next_kind: BlockKind) -> None:
        nonlocal current, kind
        if current:
            blocks.append(BodyBlock(kind, tuple(current)))
        current, kind = [], next_kind

    index = 0
    while index < len(lines):
        line = lines[index]
        size, rest_is_quote = _attribution_length(lines, index)
        if size:
            flush("attribution")
            current = list(lines[index : index + size])
            flush("quote" if rest_is_quote else "text")
            if rest_is_quote:
                current = list(lines[index + size :])
                break
            index += size
            continue
        if line.startswith(">"):
            if kind != "quote":
                flush("quote")
        elif kind == "quote" and line.strip():
            flush("text")
        if kind == "text" and _is_signature_start(lines, index):
            flush("signature")
        current.append(line)
        index += 1
    flush("text")
    return blocks


@dataclass(frozen=True)
class BodyStyles:
    """Styles for the parts of a message body."""

    text: Style = field(default_factory=Style)
    quote: Style = field(default_factory=Style)
    attribution: Style = field(default_factory=Style)
    signature: Style = field(default_factory=Style)
    fold: Style = field(default_factory=Style)


FOLD_AFTER = 3
"""Quote blocks longer than this many lines are folded to one line (unless unfolded)."""


def body_content(text: str, styles: BodyStyles, *, fold_quotes: bool = True) -> Content:
    """A message body: own words plain, quotes/attribution/signature dimmed, long quotes folded."""
    parts: list[tuple[str, Style]] = []
    for block in split_body(sanitize_text(text)):
        lines = block.lines
        if block.kind == "quote" and fold_quotes and len(lines) > FOLD_AFTER:
            parts.append((f"┆ {len(lines)} quoted lines folded\n", styles.fold))
            continue
        style = {
            "text": styles.text,
            "quote": styles.quote,
            "attribution": styles.attribution,
            "signature": styles.signature,
        }[block.kind]
        parts.append(("\n".join(lines) + "\n", style))
    content = Content.assemble(*parts)
    return content.rstrip("\n").expand_tabs(8)


# --------------------------------------------------------------------------- message header


@dataclass(frozen=True)
class HeaderStyles:
    """Styles for a message's header lines."""

    sender: Style = field(default_factory=Style)
    address: Style = field(default_factory=Style)
    date: Style = field(default_factory=Style)
    meta: Style = field(default_factory=Style)
    unread: Style = field(default_factory=Style)


def _addresses(people: Sequence[Address]) -> str:
    return ", ".join(safe(p.display()) for p in people)


def message_header(
    message: MessageView, *, now: datetime, index: int, total: int, styles: HeaderStyles
) -> Content:
    """``Grace Hopper <grace@…>  ·  Mon 23 Nov 09:00  ·  2/3`` and a ``to … cc …`` line."""
    sender = message.sender
    first: list[tuple[str, Style]] = [
        (safe(sender.name or sender.addr or "(unknown)"), styles.sender)
    ]
    if sender.name and sender.addr:
        first.append((f" <{safe(sender.addr)}>", styles.address))
    first.append((f"  {full_date(message.date, now)}", styles.date))
    first.append((f"  {index}/{total}", styles.meta))
    if message.unread:
        first.append((f"  {UNREAD_MARK} unread", styles.unread))
    second: list[tuple[str, Style]] = []
    if message.to:
        second.append((f"to {_addresses(message.to)}", styles.meta))
    if message.cc:
        second.append((f"  cc {_addresses(message.cc)}", styles.meta))
    if not second:
        return Content.assemble(*first)
    return Content.assemble(*first, ("\n", Style()), *second)


def attachments_content(attachments: Sequence[Attachment], style: Style) -> Content:
    """One line per attachment: ``▣ export.log  text/plain  47.1 KB``."""
    lines = [
        f"{ATTACHMENT_MARK} {safe(a.filename) or '(unnamed)'}  {safe(a.content_type)}  "
        f"{format_size(a.size)}"
        for a in attachments
    ]
    return Content.assemble(("\n".join(lines), style))
