"""Insight over the tagged mailbox: pure functions over plain rows (no sqlite but coverage's).

The package re-exports the report functions the service calls (``insight.build_report`` ...).
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

from supportmail.storage.insight.counts import build_report
from supportmail.storage.insight.digest import digest, digest_message
from supportmail.storage.insight.paragraphs import (
    QUOTE_LIMIT,
    customer_paragraph,
    customer_paragraphs,
    shorten,
)
from supportmail.storage.insight.people import (
    FREEMAIL_DOMAINS,
    Team,
    company_domain,
    company_key,
    customers,
    domain_of,
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
    MIN_HISTORY,
    SPIKE_HISTORY,
    mann_kendall,
    poisson_sf,
    spike_test,
    trend,
)
from supportmail.storage.insight.voice import (
    BUG_TAG,
    FEATURE_TAG,
    VOICE_QUOTES,
    VOICE_TOP,
    BodyLookup,
    bugs_by_reach,
    first_customer_message,
    tagged_in_window,
    voice,
)

__all__ = [
    "BUG_TAG",
    "DEFAULT_PERIODS",
    "FEATURE_TAG",
    "FREEMAIL_DOMAINS",
    "GRANULARITIES",
    "MIN_HISTORY",
    "QUOTE_LIMIT",
    "SPIKE_HISTORY",
    "VOICE_QUOTES",
    "VOICE_TOP",
    "BodyLookup",
    "Team",
    "bugs_by_reach",
    "build_report",
    "company_domain",
    "company_key",
    "customer_paragraph",
    "customer_paragraphs",
    "customers",
    "digest",
    "digest_message",
    "domain_of",
    "first_customer_message",
    "is_freemail",
    "mann_kendall",
    "parse_quarter",
    "period_start",
    "period_starts",
    "poisson_sf",
    "shift_period",
    "shorten",
    "spike_test",
    "tagged_in_window",
    "trend",
    "voice",
]
