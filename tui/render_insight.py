"""Reports and digests -> ``Content``: the rows of the report screen and the morning skim view.

Like ``tui.render`` (whose chips and helpers it reuses), everything here is pure: the widgets
pass in the styles they resolved from CSS component classes and get back ``Content`` assembled
from plain strings, each run through the storage sanitiser once more (it is idempotent), so a
tag named ``[bold]x[/]`` or a subject holding an ESC byte shows literally and never reaches the
terminal as markup or as a control sequence.

==========================  ===============================================================
function                    used by
==========================  ===============================================================
``sparkline``               ``report_row`` (one block character per period)
``spike_label``             ``report_row`` and ``report_detail`` (``SPIKE 9 vs 1.1/wk p<0.001``)
``ReportLayout``            column widths of the report for a given width
``report_header``           the column titles above the report rows
``report_row``              ``screens.report`` (one row per tag)
``report_detail``           ``screens.report`` (the highlighted tag, period by period)
``skim_heading``            ``screens.skim`` (one category of the digest)
``skim_item``               ``screens.skim`` (one thread: the customer's words, then who/what)
==========================  ===============================================================
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from textual.content import Content
from textual.style import Style

from supportmail.storage.dates import relative_label
from supportmail.tui.render import MONTHS, RowStyles, fit, full_date, safe, tag_chip
from supportmail.tui.spark import SPARK_BLOCKS, spark_level

if TYPE_CHECKING:
    from supportmail.storage.models import (
        DigestGroup,
        DigestItem,
        Granularity,
        SpikeTest,
        TagReport,
        Trend,
    )

PERIOD_UNIT: dict[Granularity, str] = {"day": "day", "week": "wk", "month": "mo"}
PERIOD_NAME: dict[Granularity, str] = {"day": "days", "week": "weeks", "month": "months"}
TREND_LABEL: dict[Trend, str] = {"rising": "↗ rising", "falling": "↘ falling", "steady": "→ steady"}

NBSP = "\u00a0"

WIDE_REPORT = 100
"""From this many columns the report shows companies and the spike's numbers in the row."""


@dataclass(frozen=True)
class InsightStyles:
    """Styles for the parts of report rows and skim items (resolved from CSS by the widgets)."""

    team: Style = field(default_factory=Style)
    category: Style = field(default_factory=Style)
    label: Style = field(default_factory=Style)
    muted: Style = field(default_factory=Style)
    spark: Style = field(default_factory=Style)
    spike: Style = field(default_factory=Style)
    rising: Style = field(default_factory=Style)
    falling: Style = field(default_factory=Style)
    heading: Style = field(default_factory=Style)
    text: Style = field(default_factory=Style)

    def chips(self) -> RowStyles:
        """The chip styles in the shape ``tui.render.tag_chip`` takes."""
        return RowStyles(team=self.team, category=self.category, label=self.label)


# --------------------------------------------------------------------------- small labels


def sparkline(
    counts: Sequence[int], spikes: Sequence[bool], styles: InsightStyles, width: int = 0
) -> Content:
    """One block per period, scaled to the largest count; spike periods in the spike style.

    ``width`` pads on the left (older periods first, so the latest stays in the last column).
    """
    peak = max(counts, default=0)
    parts: list[tuple[str, Style]] = []
    for value, spike in zip(counts, spikes, strict=True):
        parts.append(
            (SPARK_BLOCKS[spark_level(value, peak)], styles.spike if spike else styles.spark)
        )
    line = Content.assemble(*parts)
    if width > len(counts):
        line = Content.assemble(" " * (width - len(counts)), line)
    return line


def p_label(p: float) -> str:
    """``p<0.001`` or ``p=0.004``."""
    return "p<0.001" if p < 0.001 else f"p={p:.3f}"


def spike_label(test: SpikeTest | None, by: Granularity, *, short: bool = False) -> str:
    """``SPIKE 9 vs 1.1/wk p<0.001`` for a flagged period (``SPIKE`` if ``short``), else ``""``."""
    if test is None or not test.flagged:
        return ""
    if short:
        return "SPIKE"
    return f"SPIKE {test.latest} vs {test.baseline:.1f}/{PERIOD_UNIT[by]} {p_label(test.p)}"


def period_label(start: datetime, by: Granularity) -> str:
    """``23 Nov`` for a day or a week, ``Nov 2026`` for a month (``Nov 26`` read as a day)."""
    if by == "month":
        return f"{MONTHS[start.month - 1]} {start.year}"
    return f"{start.day} {MONTHS[start.month - 1]}"


# --------------------------------------------------------------------------- report rows


@dataclass(frozen=True)
class ReportLayout:
    """Column widths of the report for a given total width."""

    width: int
    tag: int
    spark: int
    spike: int
    companies: bool

    NUMBER = 10
    TREND = 10

    @classmethod
    def for_width(cls, width: int, tags: Sequence[str], periods: int) -> ReportLayout:
        """The widest tag decides the first column, within what the other columns leave."""
        wide = width >= WIDE_REPORT
        spark = max(periods, 6)
        spike = 28 if wide else 7
        numbers = cls.NUMBER * (3 if wide else 2)
        fixed = numbers + 2 + spark + 2 + spike + cls.TREND
        wanted = max((len(safe(t)) + 2 for t in tags), default=10)
        tag = max(10, min(wanted, 34, width - fixed))
        return cls(width=width, tag=tag, spark=spark, spike=spike, companies=wide)


def report_header(layout: ReportLayout, by: Granularity, periods: int, style: Style) -> Content:
    """The column titles, aligned with ``report_row``."""
    numbers = ["threads", "customers"] + (["companies"] if layout.companies else [])
    spark = f"{periods} {PERIOD_NAME[by]}"
    text = (
        fit(" tag", layout.tag)
        + "".join(name.rjust(layout.NUMBER) for name in numbers)
        + "  "
        + fit(spark, layout.spark)
        + "  "
        + fit("spike", layout.spike)
        + fit("trend", layout.TREND)
    )
    return Content.assemble((text, style)).truncate(layout.width, pad=True)


def chip_cell(name: str, width: int, styles: InsightStyles) -> Content:
    """The full-name chip of ``name`` cut to leave one blank cell, padded to ``width`` cells."""
    text, style = tag_chip(name, styles.chips(), full=True)
    chip = Content.assemble((text, style))
    if chip.cell_length > width - 1:
        chip = Content.assemble((text.rstrip(), style)).truncate(width - 1, ellipsis=True)
    return chip.truncate(width, pad=True)


def report_row(
    tag: TagReport, layout: ReportLayout, by: Granularity, styles: InsightStyles
) -> Content:
    """``category:bug   84   79   75  ▅▄▃▃▇▃▂▄▃▂█▆  SPIKE 9 vs 1.1/wk p<0.001  → steady``."""
    numbers = [tag.threads, tag.customers] + ([tag.companies] if layout.companies else [])
    counts = [p.threads for p in tag.periods]
    spikes = [p.spike for p in tag.periods]
    spike = spike_label(tag.latest, by, short=not layout.companies)
    trend = TREND_LABEL[tag.trend] if tag.trend is not None else ""
    trend_style = {"rising": styles.rising, "falling": styles.falling}.get(
        tag.trend or "", styles.muted
    )
    row = Content.assemble(
        chip_cell(tag.tag, layout.tag, styles),
        ("".join(str(n).rjust(layout.NUMBER) for n in numbers), styles.text),
        "  ",
        sparkline(counts, spikes, styles, width=layout.spark),
        "  ",
        (fit(spike, layout.spike), styles.spike),
        (fit(trend, layout.TREND), trend_style),
    )
    return row.truncate(layout.width, pad=True)


def _spike_sentence(tag: TagReport, by: Granularity) -> str:
    test = tag.latest
    unit = PERIOD_UNIT[by]
    if test is None:
        return f"no spike test: fewer than 4 earlier {PERIOD_NAME[by]} in the cache"
    when = f"this {by} so far" if test.partial else f"the latest {by}"
    same = f" (counted to the same point of each {by})" if test.partial else ""
    verdict = "a SPIKE" if test.flagged else "no spike"
    return (
        f"{when}: {test.latest} vs {test.baseline:.2f}/{unit} over the previous {test.history} "
        f"{PERIOD_NAME[by]}{same}, {p_label(test.p)}: {verdict}"
    )


def report_detail(tag: TagReport, by: Granularity, styles: InsightStyles) -> Content:
    """The highlighted tag in words: totals, the spike test, the trend, and every period."""
    chip_text, chip_style = tag_chip(tag.tag, styles.chips(), full=True)
    totals = (
        f"  {tag.threads} thread{'s' if tag.threads != 1 else ''} from {tag.customers} "
        f"customer{'s' if tag.customers != 1 else ''} at {tag.companies} "
        f"compan{'ies' if tag.companies != 1 else 'y'}"
    )
    trend = (
        f"trend: {tag.trend} (Mann-Kendall over the complete {PERIOD_NAME[by]})"
        if tag.trend is not None
        else f"trend: needs 6 complete {PERIOD_NAME[by]}"
    )
    periods: list[tuple[str, Style]] = []
    for period in tag.periods:
        if periods:
            periods.append((" · ", styles.muted))
        label = period_label(period.start, by).replace(" ", NBSP)
        periods.append((label + NBSP, styles.muted))  # a period never breaks across lines
        periods.append((str(period.threads), styles.spike if period.spike else styles.text))
    spike_style = styles.spike if tag.spike is not None else styles.text
    return Content.assemble(
        (chip_text, chip_style),
        (totals, styles.text),
        "\n",
        (_spike_sentence(tag, by), spike_style),
        "\n",
        (trend, styles.muted),
        "\n",
        *periods,
    )


# --------------------------------------------------------------------------- the skim


def skim_heading(group: DigestGroup, styles: InsightStyles) -> Content:
    """`` bug `` chip (or ``not categorised``) and the number of threads."""
    count = f"  {len(group.items)} thread{'s' if len(group.items) != 1 else ''}"
    if group.category is None:
        return Content.assemble(("not categorised", styles.heading), (count, styles.muted))
    chip_text, chip_style = tag_chip(group.category, styles.chips())
    return Content.assemble((chip_text, chip_style + styles.heading), (count, styles.muted))


def _who(item: DigestItem) -> str:
    if item.customer is None:
        return "(no customer)"
    who = safe(item.customer.display())
    if item.company and item.company not in who:
        who += f" ({safe(item.company)})"
    return who


def skim_item(item: DigestItem, now: datetime, styles: InsightStyles) -> Content:
    """The customer's own words first, then who, the subject, when, and ``follow-up``."""
    words = safe(item.text)
    first = (f"“{words}”", styles.text) if words else ("(not in the cache yet)", styles.muted)
    meta = [_who(item), safe(item.subject) or "(no subject)", relative_label(item.date, now)]
    if not item.new:
        meta.append("follow-up")
    others = [t for t in item.tags if not t.startswith("category:")]
    chips: list[tuple[str, Style]] = []
    for name in others:
        chips += [(" ", Style()), tag_chip(name, styles.chips())]
    return Content.assemble(first, "\n", ("  — " + " · ".join(meta), styles.muted), *chips)


def skim_title(since: datetime, until: datetime, threads: int, *, first: bool) -> str:
    """``13 threads since Mon 23 Nov 10:30 (your last skim)``."""
    count = f"{threads} thread{'s' if threads != 1 else ''}"
    where = "first skim: the last 24 hours" if first else "your last skim"
    return f"{count} since {full_date(since, until)} ({where})"
