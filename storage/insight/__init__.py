"""Insight over the tagged mailbox: pure functions over plain rows (no sqlite but coverage's).

The package re-exports the report functions the service calls (``insight.build_report`` ...),
each imported when first used (``storage.lazy``); ``voice`` and ``digest`` share their module's
name, so they are imported from their modules (``storage.insight.voice.voice``).
Modules: ``people`` (who is the team, who a customer, companies), ``periods`` (days, weeks,
months, quarters), ``stats`` (the spike and trend tests), ``counts`` (counts per tag and period:
the report), ``paragraphs`` (a customer's own first paragraph), ``voice`` (the voice of the
customer, bugs by reach), ``digest`` (the digest and skim), ``coverage`` (which threads of an
insight have their text cached), ``responses`` (first-reply times and who waits), ``day`` (the
customer day) and ``quotes`` (saved quotes as models).

Each insight takes :class:`storage.models.ReportThread` rows (from ``Cache.report_rows``) and,
for quotes, a ``body_of(rowid)`` lookup into the cached bodies, and returns the frozen values of
``storage.models``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from supportmail.storage.lazy import lazy_exports

if TYPE_CHECKING:
    from supportmail.storage.insight.counts import build_report
    from supportmail.storage.insight.paragraphs import (
        customer_paragraph,
        customer_paragraphs,
    )
    from supportmail.storage.insight.people import (
        Team,
        company_domain,
        customers,
        is_freemail,
    )
    from supportmail.storage.insight.periods import (
        DEFAULT_PERIODS,
        GRANULARITIES,
        parse_quarter,
        period_start,
        period_starts,
        shift_period,
    )
    from supportmail.storage.insight.stats import (
        SPIKE_HISTORY,
        mann_kendall,
        poisson_sf,
        spike_test,
        trend,
    )
    from supportmail.storage.insight.voice import bugs_by_reach

VOICE_TOP = 10
"""How many feature requests ``voice`` ranks by default (here, not in ``voice``: the service's
signature names it, and importing it must not import the report code)."""

__all__ = [
    "DEFAULT_PERIODS",
    "GRANULARITIES",
    "SPIKE_HISTORY",
    "VOICE_TOP",
    "Team",
    "bugs_by_reach",
    "build_report",
    "company_domain",
    "customer_paragraph",
    "customer_paragraphs",
    "customers",
    "is_freemail",
    "mann_kendall",
    "parse_quarter",
    "period_start",
    "period_starts",
    "poisson_sf",
    "shift_period",
    "spike_test",
    "trend",
]

__getattr__ = lazy_exports(
    __name__,
    {
        "build_report": "counts",
        "customer_paragraph": "paragraphs",
        "customer_paragraphs": "paragraphs",
        "Team": "people",
        "company_domain": "people",
        "customers": "people",
        "is_freemail": "people",
        "DEFAULT_PERIODS": "periods",
        "GRANULARITIES": "periods",
        "parse_quarter": "periods",
        "period_start": "periods",
        "period_starts": "periods",
        "shift_period": "periods",
        "SPIKE_HISTORY": "stats",
        "mann_kendall": "stats",
        "poisson_sf": "stats",
        "spike_test": "stats",
        "trend": "stats",
        "bugs_by_reach": "voice",
    },
)
