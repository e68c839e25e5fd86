"""Reports over the tagged mailbox: counts per tag and period, spikes, trends, bugs by reach,
the voice of the customer, and a digest. Pure functions over plain rows; no sqlite here.

The service hands these functions :class:`ReportThread` rows (from ``Cache.report_rows``) and, for
quotes, a ``body_of(rowid)`` lookup into the cached bodies; they return the frozen values of
``storage.models``.

Who is a customer
    The distinct sender addresses of a thread that are not the team's. The team is the configured
    ``team_addresses`` plus the account's own address, *and* everyone at the non-free-mail
    domain of one of those addresses (agents answer from ``maya@plotline.example``, not only from
    ``support@plotline.example``). Companies are counted by domain; a free-mail domain
    (:data:`FREEMAIL_DOMAINS`, plus ``yahoo.*``, ``hotmail.*``, ``outlook.*`` ... in any country)
    says nothing about the company, so each free-mail address counts as its own company.

Periods
    ``day`` (local midnight), ``week`` (ISO: Monday 00:00) or ``month``, in the time zone of the
    report's end. A thread counts once per tag, in the period of its first message.

Spikes: a one-sided Poisson test per tag and period
    The count of a period is compared with the previous :data:`SPIKE_HISTORY` (8) periods of the
    same tag: with ``baseline`` the mean of those counts, the p-value is
    ``P(X >= latest)`` for ``X ~ Poisson(max(baseline, 0.5))``, computed exactly with ``math``.
    A period is flagged when ``p < 0.01`` **and** ``latest >= 3``.

    Why this test: ticket arrivals are the textbook Poisson process, and counts per tag are small
    (0-5 a week is typical), where a z-score or "mean + 3 sd" misfires: with a history of zeros the
    standard deviation is 0 and a single thread becomes an infinite z-score. The Poisson tail is
    exact for small counts. The floor of 0.5 threads per period keeps a tag that went from nothing
    to one or two from being flagged (0 -> 3 gives p = 0.014, not flagged; 0 -> 4 gives
    p = 0.0018, flagged), and ``latest >= 3`` is a second guard against noise. The test needs at
    least :data:`MIN_HISTORY` (4) previous periods that lie after the first thread in the cache,
    so a freshly synced mailbox does not "spike" against empty weeks that were never fetched.
    A period that is still running (the current week on a Tuesday) is compared like for like: the
    previous periods are counted only up to the same offset into each period (Monday 00:00 to
    Tuesday 10:00 of each earlier week), which also respects weekday patterns. The baseline
    overdisperses in real life (bursty weeks), so the test leans towards flagging; 1 % per tag and
    period is the accepted false-alarm rate.

Trend: Mann-Kendall
    Over the window's complete periods (the running one is left out: it is short by design),
    Kendall's S with the tie-corrected variance and a continuity correction gives a two-sided
    p-value from the normal approximation; ``rising``/``falling`` when ``p < 0.05``, else
    ``steady``; None with fewer than 6 periods. A rank test suits counts: it needs no normality,
    treats the many ties (weeks with 0 or 1) properly, and one outlier week (the spike itself)
    cannot make a trend alone, where a least-squares slope would follow it.

Quotes
    :func:`customer_paragraph` keeps what a customer wrote themselves: it cuts the message at the
    first reply header (``On ... wrote:``, ``Am ... schrieb ...:``, ``在 ... 写道：``, Outlook's
    ``-----Original Message-----`` / ``____`` + ``From:``/``Von:``/``发件人:`` blocks), at the
    signature (``-- ``) or a "Sent from my iPhone" footer, drops ``>`` lines and the greeting, and
    returns the first paragraph left, trimmed to about 280 characters at a word boundary.
"""

from __future__ import annotations

import bisect
import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo

from storage.models import (
    Address,
    BugGroup,
    BugReach,
    Digest,
    DigestGroup,
    DigestItem,
    FeatureRequest,
    Granularity,
    PeriodCount,
    Quote,
    Report,
    ReportMessage,
    ReportThread,
    SpikeTest,
    TagKind,
    TagReport,
    Trend,
    VoiceReport,
)
from storage.tags import tag_kind

__all__ = [
    "FREEMAIL_DOMAINS",
    "GRANULARITIES",
    "MIN_HISTORY",
    "SPIKE_HISTORY",
    "ReportMessage",
    "ReportThread",
    "Team",
    "bugs_by_reach",
    "build_report",
    "company_domain",
    "customer_paragraph",
    "customer_paragraphs",
    "digest",
    "digest_message",
    "first_customer_message",
    "is_freemail",
    "mann_kendall",
    "parse_quarter",
    "period_start",
    "period_starts",
    "poisson_sf",
    "shift_period",
    "spike_test",
    "tagged_in_window",
    "voice",
]

GRANULARITIES: tuple[Granularity, ...] = ("day", "week", "month")
DEFAULT_PERIODS = 12
"""Periods a report shows when no start is given."""
SPIKE_HISTORY = 8
"""Previous periods a period is compared with."""
MIN_HISTORY = 4
"""Fewer previous periods with data than this: no spike test."""
SPIKE_P = 0.01
SPIKE_MIN_COUNT = 3
BASELINE_FLOOR = 0.5
"""Threads per period assumed at least, so 0 -> 1 or 2 is never a spike."""
TREND_P = 0.05
TREND_MIN_PERIODS = 6
QUOTE_LIMIT = 280
VOICE_TOP = 10
VOICE_QUOTES = 3
_QUOTE_ATTEMPTS = 30  # bodies looked at per request at most (bodies may not be cached)

BUG_TAG = "category:bug"
FEATURE_TAG = "category:feature-request"

FREEMAIL_DOMAINS: frozenset[str] = frozenset(
    {
        "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "msn.com",
        "yahoo.com", "ymail.com", "rocketmail.com", "icloud.com", "me.com", "mac.com", "aol.com",
        "gmx.de", "gmx.net", "gmx.at", "gmx.ch", "web.de", "t-online.de", "freenet.de",
        "posteo.de", "mailbox.org", "qq.com", "foxmail.com", "163.com", "126.com", "yeah.net",
        "sina.com", "sohu.com", "aliyun.com", "yandex.ru", "yandex.com", "ya.ru", "mail.ru",
        "bk.ru", "inbox.ru", "list.ru", "rambler.ru", "proton.me", "protonmail.com", "pm.me",
        "tutanota.com", "tuta.io", "zoho.com", "fastmail.com", "hey.com", "orange.fr",
        "free.fr", "laposte.net", "libero.it", "naver.com", "daum.net", "rediffmail.com",
    }
)  # fmt: skip
"""Mail providers anyone can sign up with: their domain says nothing about a company."""

# Providers with one domain per country (yahoo.co.uk, hotmail.de, outlook.fr, gmx.com ...).
_FREEMAIL_BRANDS = frozenset({"yahoo", "hotmail", "outlook", "live", "msn", "gmx", "aol"})
_KIND_ORDER: dict[str, int] = {"team": 0, "category": 1, "label": 2}


# --------------------------------------------------------------------------------------------
# Customers
# --------------------------------------------------------------------------------------------


def domain_of(addr: str) -> str:
    """The lowercased domain of an address ('' without one)."""
    _, at, domain = addr.strip().rpartition("@")
    return domain.lower().strip(".") if at else ""


def is_freemail(domain: str) -> bool:
    """True for free-mail providers (gmail.com, web.de, qq.com, yahoo.co.uk ...)."""
    domain = domain.lower()
    if domain in FREEMAIL_DOMAINS:
        return True
    brand, _, suffix = domain.partition(".")
    # yahoo.co.uk, hotmail.de, outlook.com.br: the brand, then only a country or generic suffix.
    return (
        brand in _FREEMAIL_BRANDS
        and bool(suffix)
        and all(0 < len(part) <= 3 for part in suffix.split("."))
        and suffix.count(".") <= 1
    )


def company_domain(addr: str) -> str | None:
    """The company domain of a customer address; None for free-mail and domainless addresses."""
    domain = domain_of(addr)
    return None if not domain or is_freemail(domain) else domain


def company_key(addr: str) -> str:
    """What counts as one company: the domain, or the address itself for free-mail."""
    return company_domain(addr) or addr.lower()


@dataclass(frozen=True, slots=True)
class Team:
    """The team's own people: addresses, and the company domains those addresses are at."""

    addresses: frozenset[str] = frozenset()
    domains: frozenset[str] = frozenset()

    @classmethod
    def from_addresses(cls, addresses: Iterable[str]) -> Team:
        """Team addresses plus every non-free-mail domain among them."""
        lowered = frozenset(a.strip().lower() for a in addresses if a.strip())
        domains = frozenset(d for a in lowered if (d := company_domain(a)) is not None)
        return cls(lowered, domains)

    def includes(self, addr: str) -> bool:
        lowered = addr.strip().lower()
        return lowered in self.addresses or domain_of(lowered) in self.domains


def customers(thread: ReportThread, team: Team) -> tuple[Address, ...]:
    """Distinct non-team senders of a thread, in the order they first wrote."""
    seen: dict[str, Address] = {}
    for msg in thread.messages:
        key = msg.sender.addr.strip().lower()
        if key and key not in seen and not team.includes(key):
            seen[key] = msg.sender
    return tuple(seen.values())


def _customer_keys(people: Iterable[Address]) -> tuple[set[str], set[str]]:
    addrs = {p.addr.strip().lower() for p in people}
    return addrs, {company_key(a) for a in addrs}


# --------------------------------------------------------------------------------------------
# Periods
# --------------------------------------------------------------------------------------------


def period_start(when: datetime, by: Granularity, tz: tzinfo | None = None) -> datetime:
    """The start of the day / ISO week / month holding ``when`` (in ``tz``, default its own)."""
    local = when.astimezone(tz) if tz is not None else when
    day = local.replace(hour=0, minute=0, second=0, microsecond=0)
    if by == "day":
        return day
    if by == "week":
        return day - timedelta(days=day.weekday())
    return day.replace(day=1)


def shift_period(start: datetime, by: Granularity, n: int = 1) -> datetime:
    """The period start ``n`` periods after (negative: before) the period start ``start``."""
    if by == "day":
        return start + timedelta(days=n)
    if by == "week":
        return start + timedelta(weeks=n)
    months = start.year * 12 + start.month - 1 + n
    return start.replace(year=months // 12, month=months % 12 + 1, day=1)


def period_starts(since: datetime, until: datetime, by: Granularity) -> list[datetime]:
    """Starts of every period from the one holding ``since`` to the one holding the last
    moment before ``until`` (at least one), in ``until``'s time zone."""
    tz = until.tzinfo
    start = period_start(since, by, tz)
    out = [start]
    while (start := shift_period(start, by)) < until:
        out.append(start)
    return out


# --------------------------------------------------------------------------------------------
# Statistics
# --------------------------------------------------------------------------------------------


def poisson_sf(k: int, lam: float) -> float:
    """``P(X >= k)`` for ``X ~ Poisson(lam)``, exact to double precision for any k and lam."""
    if k <= 0:
        return 1.0
    if lam <= 0:
        return 0.0
    log_lam = math.log(lam)
    if k > lam:
        # Upper tail: terms fall from the first one on; sum until they stop counting.
        term = math.exp(-lam + k * log_lam - math.lgamma(k + 1))
        total, i = 0.0, k
        while term > total * 1e-17:
            total += term
            i += 1
            term *= lam / i
        return min(1.0, total)
    # Lower tail P(X <= k-1): sum downwards from its largest term.
    term = math.exp(-lam + (k - 1) * log_lam - math.lgamma(k))
    lower, i = 0.0, k - 1
    while i >= 0 and term > lower * 1e-17:
        lower += term
        term *= i / lam
        i -= 1
    return min(1.0, max(0.0, 1.0 - lower))


def spike_test(latest: int, history: Sequence[int], *, partial: bool = False) -> SpikeTest | None:
    """Test ``latest`` against the counts of previous periods; None with too little history."""
    if len(history) < MIN_HISTORY:
        return None
    baseline = sum(history) / len(history)
    p = poisson_sf(latest, max(baseline, BASELINE_FLOOR))
    return SpikeTest(
        latest=latest,
        baseline=baseline,
        p=p,
        flagged=p < SPIKE_P and latest >= SPIKE_MIN_COUNT,
        history=len(history),
        partial=partial,
    )


def mann_kendall(values: Sequence[float]) -> tuple[int, float]:
    """Kendall's S and the two-sided p-value (normal approximation, ties and continuity
    corrected) for a monotonic trend in ``values``."""
    n = len(values)
    s = 0
    for i in range(n - 1):
        xi = values[i]
        for xj in values[i + 1 :]:
            s += (xj > xi) - (xj < xi)
    ties = sum(t * (t - 1) * (2 * t + 5) for t in Counter(values).values())
    variance = (n * (n - 1) * (2 * n + 5) - ties) / 18
    if variance <= 0 or s == 0:
        return s, 1.0
    z = (s - 1 if s > 0 else s + 1) / math.sqrt(variance)
    return s, math.erfc(abs(z) / math.sqrt(2))


def trend(values: Sequence[float]) -> Trend | None:
    """``rising``/``falling`` when Mann-Kendall finds a trend at p < 0.05, else ``steady``."""
    if len(values) < TREND_MIN_PERIODS:
        return None
    s, p = mann_kendall(values)
    if p >= TREND_P:
        return "steady"
    return "rising" if s > 0 else "falling"


# --------------------------------------------------------------------------------------------
# Counts per tag and period
# --------------------------------------------------------------------------------------------


@dataclass(slots=True)
class _Window:
    """The periods of a report: history periods (for the baseline) then the shown ones."""

    starts: list[datetime]
    shown_from: int
    until: datetime
    by: Granularity
    data_from: int
    """First period index at or after the first thread in the cache."""

    def index(self, when: datetime) -> int:
        return bisect.bisect_right(self.starts, when) - 1

    def end(self, i: int) -> datetime:
        return (
            self.starts[i + 1]
            if i + 1 < len(self.starts)
            else shift_period(self.starts[i], self.by)
        )

    @property
    def partial(self) -> bool:
        return self.until < self.end(len(self.starts) - 1)


@dataclass(slots=True)
class _TagCounts:
    threads: dict[int, int] = field(default_factory=dict)
    addrs: dict[int, set[str]] = field(default_factory=dict)
    companies: dict[int, set[str]] = field(default_factory=dict)
    offsets: dict[int, list[timedelta]] = field(default_factory=dict)
    """Per period: how far into the period each thread started (for like-for-like tests)."""

    def add(self, i: int, offset: timedelta, addrs: set[str], companies: set[str]) -> None:
        self.threads[i] = self.threads.get(i, 0) + 1
        self.addrs.setdefault(i, set()).update(addrs)
        self.companies.setdefault(i, set()).update(companies)
        self.offsets.setdefault(i, []).append(offset)


def _window(
    since: datetime, until: datetime, by: Granularity, data_start: datetime | None
) -> _Window:
    shown = period_starts(since, until, by)
    history = [shift_period(shown[0], by, -n) for n in range(SPIKE_HISTORY, 0, -1)]
    starts = history + shown
    data_from = 0
    if data_start is not None:
        first = period_start(data_start, by, until.tzinfo)
        data_from = bisect.bisect_left(starts, first)
    return _Window(starts, len(history), until, by, data_from)


def _period_test(counts: _TagCounts, win: _Window, i: int) -> SpikeTest | None:
    lo = max(i - SPIKE_HISTORY, win.data_from)
    previous = range(lo, i)
    last = i == len(win.starts) - 1
    if last and win.partial:
        elapsed = win.until - win.starts[i]
        history = [sum(1 for o in counts.offsets.get(j, ()) if o < elapsed) for j in previous]
        return spike_test(counts.threads.get(i, 0), history, partial=True)
    history = [counts.threads.get(j, 0) for j in previous]
    return spike_test(counts.threads.get(i, 0), history)


def _tag_report(tag: str, counts: _TagCounts, win: _Window) -> TagReport:
    periods: list[PeriodCount] = []
    tests: list[SpikeTest | None] = []
    addrs: set[str] = set()
    companies: set[str] = set()
    for i in range(win.shown_from, len(win.starts)):
        test = _period_test(counts, win, i) if i >= win.data_from else None
        tests.append(test)
        addrs |= counts.addrs.get(i, set())
        companies |= counts.companies.get(i, set())
        periods.append(
            PeriodCount(
                start=win.starts[i],
                threads=counts.threads.get(i, 0),
                customers=len(counts.addrs.get(i, ())),
                companies=len(counts.companies.get(i, ())),
                spike=test is not None and test.flagged,
            )
        )
    complete = len(win.starts) - (1 if win.partial else 0)
    series = [counts.threads.get(i, 0) for i in range(max(win.shown_from, win.data_from), complete)]
    return TagReport(
        tag=tag,
        kind=tag_kind(tag),
        threads=sum(p.threads for p in periods),
        customers=len(addrs),
        companies=len(companies),
        periods=tuple(periods),
        latest=tests[-1],
        trend=trend(series),
    )


def build_report(
    threads: Iterable[ReportThread],
    team: Team,
    *,
    since: datetime,
    until: datetime,
    by: Granularity = "week",
    kind: TagKind | None = None,
    data_start: datetime | None = None,
) -> Report:
    """Per tag (of ``kind``, or all) and period: threads and distinct customers, spike tests
    per period against the previous 8, and the trend. ``threads`` should cover the 8 periods
    before ``since`` too (for the baselines); ``data_start`` is the first thread in the cache."""
    win = _window(since, until, by, data_start)
    per_tag: dict[str, _TagCounts] = {}
    total_threads = 0
    all_addrs: set[str] = set()
    all_companies: set[str] = set()
    for thread in threads:
        if not win.starts[0] <= thread.first_date < until:
            continue
        i = win.index(thread.first_date)
        addrs, companies = _customer_keys(customers(thread, team))
        if i >= win.shown_from:
            total_threads += 1
            all_addrs |= addrs
            all_companies |= companies
        offset = thread.first_date - win.starts[i]
        for tag in thread.tags:
            if kind is None or tag_kind(tag) == kind:
                per_tag.setdefault(tag, _TagCounts()).add(i, offset, addrs, companies)
    reports = [_tag_report(tag, counts, win) for tag, counts in per_tag.items()]
    shown = [r for r in reports if r.threads > 0]
    shown.sort(key=lambda r: (_KIND_ORDER[r.kind], -r.threads, r.tag))
    return Report(
        since=win.starts[win.shown_from],  # periods are whole: the start rounds down
        until=until,
        by=by,
        kind=kind,
        period_starts=tuple(win.starts[win.shown_from :]),
        threads=total_threads,
        customers=len(all_addrs),
        companies=len(all_companies),
        tags=tuple(shown),
    )


# --------------------------------------------------------------------------------------------
# Quotes: the customer's own first paragraph
# --------------------------------------------------------------------------------------------

_ATTRIBUTION_ONE_LINE = re.compile(
    r"^(on\s.+\swrote:|am\s.+\sschrieb\s?.*:|le\s.+\sa\s[ée]crit\s?:|el\s.+\sescribi[óo]:"
    r"|在.+写道[:：]?)$",
    re.IGNORECASE,
)
_ATTRIBUTION_START = re.compile(r"^(on|am|le|el)\s", re.IGNORECASE)
_ATTRIBUTION_END = re.compile(r"(wrote|schrieb.*|a\s[ée]crit|escribi[óo])\s?:$", re.IGNORECASE)
_SEPARATOR = re.compile(
    r"^(-{2,}\s*(original message|ursprüngliche nachricht|message d'origine|mensaje original"
    r"|forwarded message|weitergeleitete nachricht)\s*-{2,}|-*\s*原始邮件\s*-*|_{10,}"
    r"|begin forwarded message:)$",
    re.IGNORECASE,
)
_HEADER_FROM = re.compile(r"^(from|von|de|发件人|寄件者)\s?[:：]", re.IGNORECASE)
_HEADER_NEXT = re.compile(
    r"^(sent|date|to|cc|subject|gesendet|datum|an|betreff|envoyé|objet|发送时间|日期|收件人|主题)"
    r"\s?[:：]",
    re.IGNORECASE,
)
_FOOTER = re.compile(
    r"^(sent from my \S+.*|sent from (outlook|mail|yahoo mail|my \S+)\b.*|get outlook for \S+"
    r"|von meinem \S+ gesendet\.?|gesendet von \S+.*"
    r"|diese nachricht wurde von meinem .* gesendet\.?|发自我的.+|来自.*邮箱.*)$",
    re.IGNORECASE,
)
_GREETING = re.compile(
    r"^(hi|hello|hey|hiya|dear|good (morning|afternoon|evening)|greetings|hallo|moin|servus"
    r"|guten (tag|morgen|abend)|liebe[rs]?|sehr geehrte[rs]?|grüß gott|bonjour|hola"
    r"|你好|您好|各位)\b",
    re.IGNORECASE,
)
_CLOSINGS = (
    "thanks", "thank you", "thanks in advance", "thank you in advance", "many thanks", "cheers",
    "thanks again", "thanks so much", "thank you so much", "thanks a lot", "much appreciated",
    "best", "regards", "kind regards", "best regards", "warm regards", "warmest regards",
    "all the best", "best wishes", "sincerely", "yours", "yours sincerely", "yours truly",
    "take care", "talk soon", "have a great day", "have a nice day", "speak soon",
    "viele grüße", "mit freundlichen grüßen", "beste grüße", "freundliche grüße",
    "liebe grüße", "herzliche grüße", "schöne grüße", "mit besten grüßen", "grüße", "gruß",
    "lg", "vg", "mfg", "danke", "danke und gruß", "danke im voraus", "vielen dank",
    "vielen dank im voraus", "vielen dank vorab", "danke vorab", "besten dank",
    "schönen tag noch",
    "谢谢", "多谢", "感谢", "非常感谢", "祝好", "此致", "敬礼", "期待回复", "期待您的回复",
    "祝工作顺利", "祝一切顺利", "顺祝商祺",
)  # fmt: skip
_CLOSING = re.compile(
    "^(" + "|".join(sorted(map(re.escape, _CLOSINGS), key=len, reverse=True)) + r")(?=\W|$)",
    re.IGNORECASE,
)
_CJK = re.compile(r"^[\u4e00-\u9fff]")
_CJK_NAME = re.compile(r"^[\u4e00-\u9fff·]{2,4}$")
_SIGNOFF_DASH = re.compile(r"^[-–—]\s*\w+$")
_GREETING_ENDS = (",", ":", "，", "：")
_SPACE = re.compile(r"\s+")


def _starts_quote(lines: Sequence[str], i: int) -> bool:
    """True when line ``i`` starts quoted, forwarded or signature text."""
    raw = lines[i]
    line = raw.strip()
    if raw.rstrip("\r\n") in ("-- ", "--") or _FOOTER.match(line) or _SEPARATOR.match(line):
        return True
    if _ATTRIBUTION_ONE_LINE.match(line):
        return True
    nxt = lines[i + 1 : i + 4]
    # Long attributions wrap: "On Mon, 1 Jun 2026 at 09:14, Anna Schmidt <" / "a@b> wrote:"
    wrapped = bool(nxt) and len(line) < 200 and bool(_ATTRIBUTION_END.search(nxt[0].strip()))
    if wrapped and _ATTRIBUTION_START.match(line):
        return True
    return bool(_HEADER_FROM.match(line)) and any(_HEADER_NEXT.match(n.strip()) for n in nxt)


def _cut_point(lines: Sequence[str]) -> int:
    """Index of the first line that starts quoted, forwarded or signature text."""
    return next((i for i in range(len(lines)) if _starts_quote(lines, i)), len(lines))


def _paragraphs(lines: Sequence[str]) -> list[list[str]]:
    out: list[list[str]] = [[]]
    for raw in lines:
        line = raw.strip()
        if not line or line.startswith(">"):
            if out[-1]:
                out.append([])
            continue
        out[-1].append(line)
    return [p for p in out if p]


def _is_greeting(line: str, alone: bool) -> bool:
    """ "Hi team," / "Sehr geehrte Damen und Herren," / "您好！"; a short line ending in a comma
    or colon counts only when it is a paragraph of its own (wrapped text ends lines in commas)."""
    if len(line) > 60:
        return False
    if _GREETING.match(line) and (len(line) <= 40 or line.endswith(_GREETING_ENDS)):
        return True
    return alone and len(line) <= 40 and line.endswith(_GREETING_ENDS)


def _looks_like_name(word: str) -> bool:
    """ "Anna", "O'Neill", "张伟": a capitalised word, or two to four CJK characters."""
    if _CJK.match(word):
        return bool(_CJK_NAME.match(word))
    return word[0].isupper()


def _is_closing(lines: Sequence[str]) -> bool:
    """ "Thanks,", "Best regards, Anna Schmidt", "LG Jörg", "- Anna", "祝好 张伟": the sign-off,
    not content ("Thanks, that worked." is content: what follows the closing word must look like
    a name). The same rules hold for a customer's and a team member's sign-off."""
    first = lines[0]
    if len(lines) > 3:
        return False
    if _SIGNOFF_DASH.match(first):
        return True
    match = _CLOSING.match(first)
    if match is None:
        return False
    rest = first[match.end() :].strip(" ,.!！，。~")
    words = rest.split()
    if words[:1] in (["aus"], ["from"]):  # "Herzliche Grüße aus Köln", "Cheers from Leeds"
        words = words[1:]
    return len(words) <= 2 and all(_looks_like_name(w) for w in words)


def shorten(text: str, limit: int = QUOTE_LIMIT) -> str:
    """``text`` on one line, cut to about ``limit`` characters at a word boundary (``…``)."""
    text = _SPACE.sub(" ", text).strip()
    if len(text) <= limit:
        return text
    head = text[: limit + 1]
    cut = head.rfind(" ")
    if cut < limit * 0.6:  # no space nearby (Chinese, a long URL): cut at the character
        cut = limit
    return text[:cut].rstrip(" ,;:-–—") + "…"


def customer_paragraphs(text: str) -> list[str]:
    """Every paragraph a customer wrote in a message, each on one line, in order: what comes
    before the quoted text, reply headers and signature, without the greeting, up to the
    sign-off ("Thanks, Anna"). Empty when there is none."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    lines = lines[: _cut_point(lines)]
    out: list[str] = []
    for para in _paragraphs(lines):
        if _is_greeting(para[0], alone=len(para) == 1):
            para = para[1:]
            if not para:
                continue
        if _is_closing(para):
            break
        out.append(_SPACE.sub(" ", " ".join(para)).strip())
    if len(out) > 1 and _is_bare_name(out[-1]):
        out.pop()  # "Dmitri" alone at the end: the sign-off without a closing word
    return out


def _is_bare_name(line: str) -> bool:
    """ "Dmitri", "Anna Schmidt", "张伟": up to three capitalised words (or two to four CJK
    characters) and no sentence punctuation."""
    words = line.split()
    if len(words) == 1 and _CJK_NAME.match(line):
        return True
    return (
        0 < len(words) <= 3
        and all(w[0].isupper() and w.replace("-", "").replace(".", "").isalpha() for w in words)
        and not line.endswith((".", "!", "?", ":"))
    )


def customer_paragraph(text: str, limit: int = QUOTE_LIMIT) -> str:
    """The first paragraph a customer wrote in a message, without greeting, quotes, signature
    or reply headers, trimmed to about ``limit`` characters; '' when there is none."""
    paragraphs = customer_paragraphs(text)
    return shorten(paragraphs[0], limit) if paragraphs else ""


# --------------------------------------------------------------------------------------------
# Voice of the customer, bugs by reach, digest
# --------------------------------------------------------------------------------------------

BodyLookup = Callable[[int], str | None]


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
        a, c = _customer_keys(customers(thread, team))
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


def digest_message(
    thread: ReportThread, team: Team, since: datetime, until: datetime
) -> ReportMessage | None:
    """The message a digest shows for the thread: the customer's first in [since, until)."""
    msg = first_customer_message(thread, team, since)
    return None if msg is None or msg.date >= until else msg


def _digest_item(
    thread: ReportThread, team: Team, body_of: BodyLookup, since: datetime, until: datetime
) -> DigestItem | None:
    msg = digest_message(thread, team, since, until)
    if msg is None:
        return None
    body = body_of(msg.rowid)
    return DigestItem(
        thread_id=thread.id,
        subject=thread.subject,
        customer=msg.sender,
        company=company_domain(msg.sender.addr),
        date=msg.date.astimezone(until.tzinfo),
        new=thread.first_date >= since,
        text=customer_paragraph(body) if body else "",
        tags=thread.tags,
    )


def digest(
    threads: Iterable[ReportThread],
    team: Team,
    body_of: BodyLookup,
    *,
    since: datetime,
    until: datetime,
) -> Digest:
    """Threads in which a customer wrote in [since, until), grouped by category (a thread with
    two categories is in both; None: no category yet), largest group first, newest first inside
    a group, each with the first paragraph of the customer's first message in the window."""
    items: list[DigestItem] = []
    for thread in threads:
        item = _digest_item(thread, team, body_of, since, until)
        if item is not None:
            items.append(item)
    items.sort(key=lambda i: (i.date, i.thread_id), reverse=True)
    groups: dict[str | None, list[DigestItem]] = {}
    for item in items:
        categories: list[str | None] = [t for t in item.tags if tag_kind(t) == "category"]
        for key in categories or [None]:
            groups.setdefault(key, []).append(item)
    ordered = sorted(groups.items(), key=lambda g: (g[0] is None, -len(g[1]), g[0] or ""))
    return Digest(
        since=since,
        until=until,
        threads=len(items),
        groups=tuple(DigestGroup(category=c, items=tuple(g)) for c, g in ordered),
    )


# --------------------------------------------------------------------------------------------
# Quarters
# --------------------------------------------------------------------------------------------

_QUARTER = re.compile(r"^\s*(?:(\d{4})\s*[-/ ]?\s*q([1-4])|q([1-4])\s*[-/ ]?\s*(\d{4}))\s*$", re.I)


def parse_quarter(text: str, tz: tzinfo | None) -> tuple[datetime, datetime]:
    """``2026Q3`` (also ``2026-Q3``, ``Q3 2026``) -> (1 July 2026 00:00, 1 October 2026 00:00)
    in ``tz``; ValueError with one line otherwise."""
    match = _QUARTER.match(text)
    if match is None:
        shown = text.strip()[:20]
        raise ValueError(f"can't understand quarter '{shown}': try 2026Q3")
    year = int(match.group(1) or match.group(4))
    quarter = int(match.group(2) or match.group(3))
    start = datetime(year, 3 * quarter - 2, 1, tzinfo=tz)
    return start, shift_period(start, "month", 3)
