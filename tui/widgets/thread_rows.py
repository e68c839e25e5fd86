"""How the thread list draws a row: ``RowPainter`` turns a ``ThreadSummary`` into a ``Strip``.

Each rendered row is kept in an LRU keyed by everything that changes its look (thread, width,
cursor, selection, focus) and checked against the summary it shows, so an unchanged screen costs
no rendering. The part styles come from the list's component classes (``thread-list--*``),
read once per style update; customer names are cached per participant tuple. A row's parts
(``render.thread_row_parts``) become segments directly, each part's style laid over the row's
(what ``Content.render_segments`` does, without building a ``Content`` per row: half the cost
of a first screen's rows).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, NamedTuple

from rich.segment import Segment
from rich.style import Style as RichStyle
from textual.cache import LRUCache
from textual.content import Content
from textual.strip import Strip
from textual.style import Style
from textual.widget import Widget

from supportmail.tui.render import RowLayout, RowStyles, customer_name, thread_row_parts

if TYPE_CHECKING:
    from supportmail.storage.models import Address, ThreadSummary

__all__ = ["RowPainter"]


class _CachedRow(NamedTuple):
    """A rendered row and the summary it shows (compared by identity first: cheaper than
    hashing every field of the summary for each line of each frame)."""

    summary: ThreadSummary
    strip: Strip


class RowPainter:
    """Rows of one thread list, rendered and cached."""

    def __init__(
        self, widget: Widget, *, now: Callable[[], datetime], is_team: Callable[[Address], bool]
    ) -> None:
        self._widget = widget
        self._now = now
        self._is_team = is_team
        self._strips: LRUCache[tuple[object, ...], _CachedRow] = LRUCache(1024)
        self._customers: dict[tuple[Address, ...], str] = {}
        self._styles: RowStyles | None = None
        self._layered: dict[tuple[int, int], tuple[Style, Style, RichStyle]] = {}

    def forget(self) -> None:
        """Drop the rendered rows (the rows or the focus changed)."""
        self._strips.clear()

    def restyle(self) -> None:
        """The styles changed: read them again, render every row again."""
        self._styles = None
        self._layered.clear()
        self._strips.clear()

    def row(
        self, summary: ThreadSummary, width: int, *, is_cursor: bool, selected: bool, focused: bool
    ) -> Strip:
        """The row of ``summary`` (from the cache when nothing changed its look)."""
        key = (summary.id, width, is_cursor, selected, focused)
        cached = self._strips.get(key)
        if cached is not None and (cached.summary is summary or cached.summary == summary):
            return cached.strip
        strip = self._render(summary, width, is_cursor=is_cursor, selected=selected)
        self._strips.set(key, _CachedRow(summary, strip))
        return strip

    def empty(self, width: int, *, search: bool) -> Strip:
        """The first line of an empty view."""
        style = self._widget.get_visual_style("thread-list--empty")
        text = "  No threads match." if search else "  No threads in this view."
        segments = Content(text).render_segments(style)
        return Strip(segments).adjust_cell_length(width, style.rich_style)

    def _render(
        self, summary: ThreadSummary, width: int, *, is_cursor: bool, selected: bool
    ) -> Strip:
        widget = self._widget
        base = widget.get_visual_style()
        if selected:
            base = widget.get_visual_style("thread-list--selected-row")
        if is_cursor:
            base = widget.get_visual_style("thread-list--cursor")
        parts = thread_row_parts(
            summary,
            now=self._now(),
            customer=self._customer(summary),
            layout=RowLayout.for_width(width),
            styles=self._row_styles(),
            selected=selected,
        )
        layered = self._layer
        segments = [Segment(text, layered(base, style)) for text, style in parts if text]
        return Strip(segments).adjust_cell_length(width, base.rich_style)

    def _layer(self, base: Style, style: Style) -> RichStyle:
        """``style`` over the row's ``base``, as Rich draws it; kept per pair of style objects
        (the row styles live until the next restyle, the bases are the widget's own)."""
        key = (id(base), id(style))
        hit = self._layered.get(key)
        if hit is not None and hit[0] is base and hit[1] is style:
            return hit[2]
        rich = (base + style).rich_style
        if len(self._layered) > 256:
            self._layered.clear()
        self._layered[key] = (base, style, rich)
        return rich

    def _part(self, name: str) -> Style:
        # Text parts are partial (no background, so the cursor row shows through); chips are
        # full styles, since a partial style drops an opaque background.
        chip = name in ("team", "category", "label")
        return self._widget.get_visual_style(f"thread-list--{name}", partial=not chip)

    def _row_styles(self) -> RowStyles:
        if self._styles is None:
            part = self._part
            self._styles = RowStyles(
                date=part("date"),
                customer=part("customer"),
                subject=part("subject"),
                unread=part("unread"),
                message_count=part("count"),
                marker=part("marker"),
                pending=part("pending"),
                selected=part("selected"),
                team=part("team"),
                category=part("category"),
                label=part("label"),
            )
        return self._styles

    def _customer(self, summary: ThreadSummary) -> str:
        key = summary.participants
        name = self._customers.get(key)
        if name is None:
            name = customer_name(summary, self._is_team)
            if len(self._customers) > 4096:
                self._customers.clear()
            self._customers[key] = name
        return name
