"""Models -> ``Content``: the only place that turns mail data into styled text.

Everything here is pure (no widgets, no app): the widgets pass in the styles they resolved from
CSS component classes, and get back ``Content`` built with ``Content.assemble`` from plain strings
(or a row's parts, which the list draws as segments). Mail text is never parsed as markup, and
every string is run through the storage sanitiser once more on the way in (it is idempotent), so
neither ``[@click=...]`` nor an ESC byte can reach the terminal even if a caller forgot.

The row's values are named tuples, not dataclasses: this module loads before the window's first
frame, where a dataclass costs ~4 M instructions to define and a named tuple a third of that.

==========================  ===============================================================
function                    used by
==========================  ===============================================================
``thread_row_parts``        ``widgets.thread_rows`` (one row of the list, drawn as segments)
``thread_row``              the same row as ``Content`` (tests hold the two equal)
``tag_chips``               the thread list, the side panel
``customer_name``           the thread list and the thread view title
==========================  ===============================================================

A message's body, header and attachment lines are drawn by ``tui.render_body``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Literal, NamedTuple

from rich.cells import cell_len, set_cell_size
from textual.content import Content
from textual.style import Style

from supportmail.storage.dates import format_duration, relative_label, waited
from supportmail.storage.sanitize import sanitize_line, sanitize_text
from supportmail.storage.tags import tag_kind
from supportmail.tui.units import first_customer

if TYPE_CHECKING:
    from supportmail.storage.models import Address, ThreadSummary

TagKind = Literal["team", "category", "label"]

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

UNREAD_MARK = "●"
NOTE_MARK = "✎"
PENDING_MARK = "↑"
SELECTED_MARK = "▶"
ATTACHMENT_MARK = "▣"

PLAIN = Style()
"""The style of the gaps between a row's parts: the row's own (the cursor's background)."""


# --------------------------------------------------------------------------- small helpers


def safe(text: str) -> str:
    """One terminal line, control characters made visible (idempotent)."""
    return sanitize_line(text)


def safe_text(text: str) -> str:
    """Multi-line text (a note), control characters made visible (idempotent)."""
    return sanitize_text(text)


def tag_label(name: str) -> str:
    """The chip text: the name without its ``team:``/``category:`` prefix."""
    kind = tag_kind(name)
    return name[len(kind) + 1 :] if kind != "label" else name


def canonical_guess(name: str) -> str:
    """What ``storage.tags.canonical_tag`` will make of a typed name, for the optimistic row.

    The service's answer replaces this guess as soon as the edit is stored.
    """
    text = " ".join(name.split()).lower()
    for prefix in ("team:", "category:"):
        if text.startswith(prefix):
            text = prefix + text[len(prefix) :].strip()
    return text


def customer_name(summary: ThreadSummary, is_team: Callable[[Address], bool]) -> str:
    """The first participant who is not on the team (else the first participant)."""
    person = first_customer(summary, is_team)
    return safe(person.display()) if person is not None else "(nobody)"


def full_date(moment: datetime | None, now: datetime) -> str:
    """``Mon 23 Nov 09:00`` this year, ``Mon 23 Nov 2025 09:00`` before (English names)."""
    if moment is None:
        return "(no date)"
    local = moment.astimezone(now.tzinfo)
    year = f" {local.year}" if local.year != now.year else ""
    return (
        f"{_DAYS[local.weekday()]} {local.day} {MONTHS[local.month - 1]}{year} "
        f"{local.hour:02d}:{local.minute:02d}"
    )


def date_column(moment: datetime, now: datetime, width: int) -> str:
    """``relative_label`` fitted to ``width`` cells: a date of another year keeps its day,
    month and year (``20 Oct 2025``, or ``20 Oct 25`` in 9 cells); narrower, the year alone."""
    label = relative_label(moment, now)
    if len(label) > width:
        day, month, year = label.split(" ")
        short = f"{day} {month} {year[-2:]}"
        label = short if len(short) <= width else year
    return label.rjust(width)


def waiting_column(since: datetime, now: datetime, width: int) -> str:
    """How long a customer has waited ('3h 05m'), fitted to ``width`` cells."""
    label = format_duration(waited(since, now).total_seconds())
    if len(label) > width:
        label = label.split(" ", 1)[0]
    return label.rjust(width)


def fit(text: str, width: int) -> str:
    """``text`` (one safe line) cut to ``width`` cells with an ellipsis, padded to exactly
    ``width``; a wide character the cut halves becomes a space."""
    if width <= 0:
        return ""
    length = cell_len(text)
    if length == width:
        return text
    if length < width:
        return text + " " * (width - length)
    return set_cell_size(text, width - 1) + "…"


# --------------------------------------------------------------------------- thread rows


class RowStyles(NamedTuple):
    """Styles for the parts of a thread row (resolved from CSS by the widget)."""

    date: Style = PLAIN
    customer: Style = PLAIN
    subject: Style = PLAIN
    unread: Style = PLAIN
    message_count: Style = PLAIN
    marker: Style = PLAIN
    pending: Style = PLAIN
    selected: Style = PLAIN
    team: Style = PLAIN
    category: Style = PLAIN
    label: Style = PLAIN


class RowLayout(NamedTuple):
    """Column widths of a thread row for a given total width."""

    width: int
    date: int
    customer: int

    @classmethod
    def for_width(cls, width: int) -> RowLayout:
        if width >= 110:
            return cls(width, 11, 24)
        if width >= 76:
            return cls(width, 9, 18)  # "20 Oct 25": old mail keeps its day, month and year
        return cls(width, 9, max(6, min(14, width // 5)))


def tag_chip(
    name: str, styles: RowStyles, *, pending: bool = False, full: bool = False
) -> tuple[str, Style]:
    """A chip: `` billing `` in the team style, `` bug `` in the category style (``↑`` pending)."""
    kind = tag_kind(name)
    style = {"team": styles.team, "category": styles.category, "label": styles.label}[kind]
    text = safe(name if full else tag_label(name))
    return f" {text}{PENDING_MARK if pending else ''} ", style


def tag_chips(
    tags: Sequence[str], styles: RowStyles, pending: Sequence[str] = ()
) -> list[tuple[str, Style]]:
    """Chips for ``tags``, one space apart."""
    parts: list[tuple[str, Style]] = []
    for name in tags:
        if parts:
            parts.append((" ", PLAIN))
        parts.append(tag_chip(name, styles, pending=name in pending))
    return parts


def _chips_fitting(
    tags: Sequence[str], pending: Sequence[str], styles: RowStyles, room: int
) -> list[tuple[str, Style]]:
    """As many chips as fit in ``room`` cells, then ``+N`` for the rest."""
    out: list[tuple[str, Style]] = []
    used = 0
    for index, name in enumerate(tags):
        chip = tag_chips([name], styles, pending)
        size = sum(cell_len(text) for text, _ in chip) + (1 if out else 0)
        rest = len(tags) - index - 1
        reserve = len(f" +{rest}") if rest else 0
        if used + size + reserve > room:
            more = f"+{len(tags) - index}"
            if used + len(more) + 1 <= room:
                out.append((" " + more if out else more, styles.marker))
            break
        if out:
            out.append((" ", PLAIN))
        out.extend(chip)
        used += size
    return out


def thread_row_parts(
    summary: ThreadSummary,
    *,
    now: datetime,
    customer: str,
    layout: RowLayout,
    styles: RowStyles,
    selected: bool = False,
) -> list[tuple[str, Style]]:
    """One thread list row as (text, style) parts, ``layout.width`` cells in all when the
    width leaves room for the fixed columns (the caller crops or pads to the width).

    ``▶● 14:02 Grace Hopper     Export crashes on large…  billing  bug    3 ✎↑``
    """
    width = layout.width
    unread = summary.unread > 0
    head: list[tuple[str, Style]] = [
        (SELECTED_MARK if selected else " ", styles.selected),
        (UNREAD_MARK if unread else " ", styles.unread),
        (" ", PLAIN),
        (
            date_column(summary.last_date, now, layout.date)
            if summary.waiting_since is None
            else waiting_column(summary.waiting_since, now, layout.date),
            styles.date,
        ),
        (" ", PLAIN),
        (fit(customer, layout.customer), styles.customer),
        (" ", PLAIN),
    ]
    count = str(summary.messages) if summary.messages > 1 else ""
    tail: list[tuple[str, Style]] = [
        (" ", PLAIN),
        (count.rjust(3), styles.message_count),
        (NOTE_MARK if summary.has_note else " ", styles.marker),
        (PENDING_MARK if summary.pending_tags else " ", styles.pending),
    ]
    fixed = sum(cell_len(t) for t, _ in head) + sum(cell_len(t) for t, _ in tail)
    room = max(0, width - fixed)
    chips = (
        _chips_fitting(summary.tags, summary.pending_tags, styles, max(0, room // 2))
        if summary.tags
        else []
    )
    chip_width = sum(cell_len(t) for t, _ in chips)
    subject_width = max(0, room - chip_width - (1 if chips else 0))
    subject_style = styles.subject + styles.unread if unread else styles.subject
    body: list[tuple[str, Style]] = [(fit(safe(summary.subject), subject_width), subject_style)]
    if chips:
        body.append((" ", PLAIN))
    return [*head, *body, *chips, *tail]


def thread_row(
    summary: ThreadSummary,
    *,
    now: datetime,
    customer: str,
    layout: RowLayout,
    styles: RowStyles,
    selected: bool = False,
) -> Content:
    """``thread_row_parts`` as ``Content``, exactly ``layout.width`` cells wide."""
    parts = thread_row_parts(
        summary, now=now, customer=customer, layout=layout, styles=styles, selected=selected
    )
    return Content.assemble(*parts).truncate(layout.width, pad=True)
