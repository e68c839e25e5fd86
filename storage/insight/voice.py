"""The voice of the customer (top feature requests with the customers' own words) and bugs
ranked by reach (how many customers and companies reported them).

Both look at the threads tagged :data:`FEATURE_TAG` or :data:`BUG_TAG` that started in the
window; a thread speaks through its first customer message (:func:`first_customer_message`),
whose first paragraph (``storage.insight.paragraphs``) is the quote.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, tzinfo

from supportmail.storage.insight import VOICE_TOP
from supportmail.storage.insight.paragraphs import customer_paragraph
from supportmail.storage.insight.people import Team, company_domain, customer_keys, customers
from supportmail.storage.models import (
    BugGroup,
    BugReach,
    FeatureRequest,
    Quote,
    ReportMessage,
    ReportThread,
    VoiceReport,
)
from supportmail.storage.tags import tag_kind

VOICE_QUOTES = 3
_QUOTE_ATTEMPTS = 30  # bodies looked at per request at most (bodies may not be cached)

BUG_TAG = "category:bug"
FEATURE_TAG = "category:feature-request"

BodyLookup = Callable[[int], str | None]
"""The readable text of a cached message row (None when its body is not cached)."""


def first_customer_message(
    thread: ReportThread, team: Team, since: datetime | None = None
) -> ReportMessage | None:
    """The thread's first message (at or after ``since``) from an address not the team's."""
    for msg in thread.messages:
        addr = msg.sender.addr.strip()
        if addr and not team.includes(addr) and (since is None or msg.date >= since):
            return msg
    return None


def _quote(
    thread: ReportThread, team: Team, body_of: BodyLookup, tz: tzinfo | None
) -> Quote | None:
    msg = first_customer_message(thread, team)
    if msg is None:
        return None
    body = body_of(msg.rowid)
    text = customer_paragraph(body) if body else ""
    if not text:
        return None
    return Quote(
        text=text,
        sender=msg.sender,
        company=company_domain(msg.sender.addr),
        date=msg.date.astimezone(tz),
        thread_id=thread.id,
    )


def _quotes(
    group: Sequence[ReportThread], team: Team, body_of: BodyLookup, tz: tzinfo | None
) -> tuple[Quote, ...]:
    """Up to three quotes from different customers, newest threads first."""
    out: list[Quote] = []
    who: set[str] = set()
    for thread in group[:_QUOTE_ATTEMPTS]:
        quote = _quote(thread, team, body_of, tz)
        if quote is None or quote.sender.addr.lower() in who:
            continue
        who.add(quote.sender.addr.lower())
        out.append(quote)
        if len(out) == VOICE_QUOTES:
            break
    return tuple(out)


def _in_window(
    threads: Iterable[ReportThread], since: datetime, until: datetime
) -> list[ReportThread]:
    chosen = [t for t in threads if since <= t.first_date < until]
    chosen.sort(key=lambda t: (t.first_date, t.root), reverse=True)
    return chosen


def tagged_in_window(
    threads: Iterable[ReportThread], tag: str, since: datetime, until: datetime
) -> list[ReportThread]:
    """Threads carrying ``tag`` that started in [since, until), newest first (what ``voice``
    and ``bugs_by_reach`` are about)."""
    return [t for t in _in_window(threads, since, until) if tag in t.tags]


def _reach(group: Sequence[ReportThread], team: Team) -> tuple[int, int]:
    addrs: set[str] = set()
    companies: set[str] = set()
    for thread in group:
        a, c = customer_keys(customers(thread, team))
        addrs |= a
        companies |= c
    return len(addrs), len(companies)


def voice(
    threads: Iterable[ReportThread],
    team: Team,
    body_of: BodyLookup,
    *,
    since: datetime,
    until: datetime,
    top: int = VOICE_TOP,
) -> VoiceReport:
    """The ``top`` feature requests of the window: ``category:feature-request`` threads grouped
    by their label tags (by their team tags when they have no label), ranked by distinct
    customers, each with up to three quotes from different customers."""
    requests = tagged_in_window(threads, FEATURE_TAG, since, until)
    groups: dict[str, list[ReportThread]] = {}
    unlabelled = 0
    for thread in requests:
        labels = [t for t in thread.tags if tag_kind(t) == "label"]
        keys = labels or [t for t in thread.tags if tag_kind(t) == "team"]
        if not keys:
            unlabelled += 1
        for key in keys:
            groups.setdefault(key, []).append(thread)
    ranked = sorted(
        ((tag, group, *_reach(group, team)) for tag, group in groups.items()),
        key=lambda g: (-g[2], -g[3], -len(g[1]), g[0]),
    )[:top]
    return VoiceReport(
        since=since,
        until=until,
        requests=tuple(
            FeatureRequest(
                tag=tag,
                kind=tag_kind(tag),
                threads=len(group),
                customers=people,
                companies=companies,
                thread_ids=tuple(t.id for t in group),
                quotes=_quotes(group, team, body_of, until.tzinfo),
            )
            for tag, group, people, companies in ranked
        ),
        threads=len(requests),
        unlabelled=unlabelled,
    )


def bugs_by_reach(
    threads: Iterable[ReportThread], team: Team, *, since: datetime, until: datetime
) -> BugReach:
    """``category:bug`` threads of the window grouped by each of their team and label tags
    (bugs with neither form one group with tag None), ranked by distinct customers."""
    bugs = tagged_in_window(threads, BUG_TAG, since, until)
    groups: dict[str | None, list[ReportThread]] = {}
    for thread in bugs:
        keys: list[str | None] = [t for t in thread.tags if tag_kind(t) in ("team", "label")]
        for key in keys or [None]:
            groups.setdefault(key, []).append(thread)
    built = []
    for tag, group in groups.items():
        people, companies = _reach(group, team)
        built.append(
            BugGroup(
                tag=tag,
                kind=None if tag is None else tag_kind(tag),
                threads=len(group),
                customers=people,
                companies=companies,
                last_date=group[0].first_date.astimezone(until.tzinfo),
                thread_ids=tuple(t.id for t in group),
            )
        )
    built.sort(key=lambda g: (-g.customers, -g.companies, -g.threads, g.tag is None, g.tag or ""))
    return BugReach(since=since, until=until, threads=len(bugs), groups=tuple(built))
