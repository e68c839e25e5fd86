"""The bundled demo mailbox that ``supportmail demo`` opens: a fictional support inbox, offline.

The mailbox belongs to "Plotline", an invented project-planning SaaS (web and mobile apps, Slack /
Jira / Google Calendar integrations, billing through Stripe). Its customers' words are written by
hand in ``storage/demo_data/*.toml``; this module turns them into complete RFC 5322 messages:

* ``openers_*.toml`` hold hand-written first messages (some with a scripted conversation),
  ``cases.toml`` short cases (mostly bugs) dressed in varied context sentences,
  ``features.toml`` the feature requests, ``spike.toml`` the invoice incident of the last week,
  ``replies.toml`` the pools the conversations continue from, ``people.toml`` names, companies
  and the support team.
* Threads are planned with one seeded random generator, so the output depends only on ``now``
  (dates are spread over the six months before it); the same ``now`` gives byte-identical mail.
* Mail is encoded the way real clients do it: UTF-8, ISO-8859-1 / windows-1252 quoted-printable,
  GB2312 / GBK with RFC 2047 subjects, multipart/alternative and text/html-only HTML, attachments.
  A handful of threads carry hostile text (markup, escape sequences, bidi overrides) on purpose.

Who calls what:

=================  ============================================================================
function           used by
=================  ============================================================================
demo_messages      ``supportmail demo`` and the snapshot tests: feeds the cache like an account
demo_notes         the same, to seed the private notes keyed by thread root Message-ID
=================  ============================================================================
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import html
import random
import re
import struct
import tomllib
import zlib
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, date, datetime, timedelta, timezone
from email.utils import format_datetime
from html.entities import codepoint2name
from importlib import resources
from typing import Any

from storage.demo_account import DEMO_ACCOUNT, DEMO_ADDRESS

__all__ = ["DEMO_ACCOUNT", "DEMO_ADDRESS", "DemoMessage", "demo_messages", "demo_notes"]


_SEED = "plotline-demo-v1"
_SEEN = "\\Seen"
_TARGET_THREADS = 345
_HISTORY_DAYS = 182.0
_SPIKE_DAYS = 6.8
_SUPPORT_NAME = "Plotline Support"
_DATA_FILES = (
    "people",
    "replies",
    "openers_en",
    "openers_de",
    "openers_zh",
    "cases",
    "features",
    "spike",
)
_LANGS = ("en", "de", "zh")


@dataclass(frozen=True, slots=True)
class DemoMessage:
    """One message of the demo mailbox, as an IMAP APPEND would store it."""

    folder: str
    """``INBOX`` (customer mail) or ``Sent`` (the team's replies)."""
    raw: bytes
    """A complete RFC 5322 message with CRLF line endings."""
    flags: tuple[str, ...]
    """IMAP flags and keywords: ``\\Seen`` for read mail, then the thread's tag keywords."""


# --------------------------------------------------------------------------------------------
# Time zones (fixed offsets with the usual daylight-saving rules; no tz database needed)
# --------------------------------------------------------------------------------------------

_ZONES: dict[str, tuple[int, int, str]] = {
    "us-east": (-300, -240, "us"),
    "us-central": (-360, -300, "us"),
    "us-west": (-480, -420, "us"),
    "uk": (0, 60, "eu"),
    "cet": (60, 120, "eu"),
    "eet": (120, 180, "eu"),
    "cn": (480, 480, ""),
    "sg": (480, 480, ""),
    "in": (330, 330, ""),
    "au": (600, 660, "au"),
}


def _sunday(year: int, month: int, nth: int) -> date:
    """The nth Sunday of a month (``nth=-1``: the last one)."""
    if nth > 0:
        first = date(year, month, 1)
        return first + timedelta(days=(6 - first.weekday()) % 7 + 7 * (nth - 1))
    nxt = date(year + (month == 12), month % 12 + 1, 1)
    last = nxt - timedelta(days=1)
    return last - timedelta(days=(last.weekday() + 1) % 7)


def _is_dst(rule: str, when: datetime) -> bool:
    day = when.date()
    if rule == "eu":
        return _sunday(day.year, 3, -1) <= day < _sunday(day.year, 10, -1)
    if rule == "us":
        return _sunday(day.year, 3, 2) <= day < _sunday(day.year, 11, 1)
    if rule == "au":
        return not _sunday(day.year, 4, 1) <= day < _sunday(day.year, 10, 1)
    return False


def _zone(name: str, when: datetime) -> timezone:
    """The fixed-offset zone in force in ``name`` at the UTC instant ``when``."""
    std, dst, rule = _ZONES[name]
    return timezone(timedelta(minutes=dst if _is_dst(rule, when) else std))


def _local(name: str, when: datetime) -> datetime:
    return when.astimezone(_zone(name, when))


# --------------------------------------------------------------------------------------------
# The hand-written data
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Opener:
    """A thread's first message and how the conversation and its tags go on."""

    lang: str
    team: str
    category: str
    subject: str
    body: str
    labels: tuple[str, ...] = ()
    script: tuple[str, ...] = ()
    """Later turns written by hand, alternating team reply and customer answer."""
    note: str = ""
    html: str = ""
    """``""`` (decided at random), ``"plain"``, ``"alt"`` or ``"only"``."""
    attach: str = ""
    plain: bool = False
    """True: the body is the whole text (no greeting, sign-off or signature added)."""
    pool: str = ""
    """Which reply pool continues the conversation (defaults to the category)."""
    tagging: str = ""
    """``""`` (decided at random), ``"full"``, ``"none"``, ``"team"`` or ``"category"``."""
    window: tuple[float, float] = (0.0, _HISTORY_DAYS)
    """Days before ``now`` the thread may start in."""
    agent: str = ""
    length: int = 0
    slots: tuple[tuple[str, str], ...] = ()
    kind: str = "normal"
    sender: str = ""
    """A fixed sender (``Name <addr>``) instead of a generated customer."""


@dataclass(frozen=True, slots=True)
class _Company:
    name: str
    domain: str
    lang: str
    zone: str


@dataclass(frozen=True, slots=True)
class _Agent:
    name: str
    first: str
    addr: str
    title: str
    zone: str
    langs: tuple[str, ...]
    local_name: str


@dataclass(frozen=True, slots=True)
class _Feature:
    label: str
    count: int
    team: str
    names: Mapping[str, str]
    subjects: Mapping[str, tuple[str, ...]]
    asks: Mapping[str, tuple[str, ...]]
    reasons: Mapping[str, tuple[str, ...]]
    bodies: Mapping[str, tuple[str, ...]]
    langs: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class _Data:
    people: Mapping[str, Any]
    companies: tuple[_Company, ...]
    agents: tuple[_Agent, ...]
    pools: Mapping[str, Any]
    openers: tuple[_Opener, ...]
    cases: tuple[_Opener, ...]
    case_context: Mapping[str, Any]
    features: tuple[_Feature, ...]
    feature_extra: Mapping[str, tuple[str, ...]]
    spike: tuple[_Opener, ...]
    spike_template: Mapping[str, Any]


_OPENER_FIELDS = frozenset(f.name for f in fields(_Opener))


def _tuple(value: Any) -> tuple[str, ...]:
    if isinstance(value, str):
        return (value,)
    return tuple(str(v) for v in value or ())


def _opener(table: Mapping[str, Any], **defaults: Any) -> _Opener:
    """Build an opener from a TOML table; unknown keys are typos in the data and raise."""
    unknown = set(table) - _OPENER_FIELDS
    if unknown:
        raise ValueError(f"demo data: unknown opener keys {sorted(unknown)} in {table!r:.80}")
    values: dict[str, Any] = {**defaults, **table}
    for key in ("labels", "script"):
        values[key] = _tuple(values.get(key, ()))
    if "window" in values:
        values["window"] = (float(values["window"][0]), float(values["window"][1]))
    if "slots" in values and isinstance(values["slots"], Mapping):
        values["slots"] = tuple(sorted((str(k), str(v)) for k, v in values["slots"].items()))
    return _Opener(**values)


def _feature(table: Mapping[str, Any]) -> _Feature:
    def per_lang(key: str) -> dict[str, tuple[str, ...]]:
        return {lang: _tuple(v) for lang, v in table.get(key, {}).items()}

    return _Feature(
        label=table["label"],
        count=int(table["count"]),
        team=table["team"],
        names=dict(table["name"]),
        subjects=per_lang("subjects"),
        asks=per_lang("asks"),
        reasons=per_lang("reasons"),
        bodies=per_lang("bodies"),
        langs=_tuple(table.get("langs", _LANGS)),
    )


def _read_toml(name: str) -> dict[str, Any]:
    path = resources.files("storage").joinpath("demo_data").joinpath(f"{name}.toml")
    return tomllib.loads(path.read_text(encoding="utf-8"))


@functools.cache
def _data() -> _Data:
    """Load and check every data file once per process."""
    raw = {name: _read_toml(name) for name in _DATA_FILES}
    people = raw["people"]
    openers: list[_Opener] = []
    for lang in _LANGS:
        openers.extend(_opener(t, lang=lang) for t in raw[f"openers_{lang}"]["opener"])
    cases = raw["cases"]
    spike = raw["spike"]
    return _Data(
        people=people,
        companies=tuple(_Company(n, d, lang, z) for n, d, lang, z in people["companies"]),
        agents=tuple(
            _Agent(
                a["name"],
                a["first"],
                a["addr"],
                a["title"],
                a["zone"],
                _tuple(a["langs"]),
                a.get("local_name", a["name"]),
            )
            for a in people["agent"]
        ),
        pools=raw["replies"],
        openers=tuple(openers),
        cases=tuple(_opener(t, category="bug", kind="case") for t in cases["case"]),
        case_context=cases["context"],
        features=tuple(_feature(t) for t in raw["features"]["feature"]),
        feature_extra={k: _tuple(v) for k, v in raw["features"]["extra"].items()},
        spike=tuple(_opener(t, **_SPIKE_DEFAULTS) for t in spike["opener"]),
        spike_template=spike["template"],
    )


_SPIKE_DEFAULTS: dict[str, Any] = {
    "team": "billing",
    "category": "bug",
    "kind": "spike",
    "pool": "spike",
    "tagging": "full",
    "window": (0.0, _SPIKE_DAYS),
}

# --------------------------------------------------------------------------------------------
# Small text helpers
# --------------------------------------------------------------------------------------------

_SLOT = re.compile(r"\{([a-z_]+)\}")


def _fill(template: str, slots: Mapping[str, str]) -> str:
    """Replace ``{slot}`` by its value; unknown braces (JSON, code) stay as they are."""
    return _SLOT.sub(lambda m: slots.get(m.group(1), m.group(0)), template)


def _digest(*parts: object) -> bytes:
    return hashlib.sha256("/".join(str(p) for p in (_SEED, *parts)).encode()).digest()


def _hex(*parts: object) -> str:
    return _digest(*parts).hex()


def _weighted(rng: random.Random, table: Sequence[tuple[str, float]]) -> str:
    return rng.choices([k for k, _ in table], [w for _, w in table])[0]


def _ascii_slug(text: str) -> str:
    for src, dst in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss"), ("é", "e"), ("è", "e")):
        text = text.replace(src, dst).replace(src.upper(), dst.capitalize())
    return re.sub(r"[^a-z0-9]+", "", text.lower())


# --------------------------------------------------------------------------------------------
# Customers
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Person:
    name: str
    first: str
    addr: str
    lang: str
    zone: str
    company: str
    title: str
    client: str


_FREEMAIL: dict[str, tuple[tuple[str, float], ...]] = {
    "en": (("gmail.com", 6), ("outlook.com", 3)),
    "de": (("web.de", 4), ("gmail.com", 2), ("outlook.com", 1)),
    "zh": (("qq.com", 5), ("163.com", 3)),
}
_FREEMAIL_CLIENT = {
    "gmail.com": "gmail",
    "outlook.com": "outlook",
    "web.de": "webde",
    "qq.com": "qq",
    "163.com": "netease",
}
_COMPANY_CLIENTS: dict[str, tuple[tuple[str, float], ...]] = {
    "en": (("outlook", 4), ("gmail", 3), ("apple", 2), ("thunderbird", 1)),
    "de": (("outlook", 4), ("thunderbird", 2), ("apple", 2), ("gmail", 1)),
    "zh": (("foxmail", 3), ("outlook", 3), ("qq", 2)),
}
_FREEMAIL_ZONES = {"en": ("us-east", "us-west", "uk", "us-central"), "de": ("cet",), "zh": ("cn",)}


class _Roster:
    """Invents customers: about 150 companies, some free-mail senders, a few repeat writers."""

    def __init__(self, data: _Data, rng: random.Random) -> None:
        self._data = data
        self._rng = rng
        self._queues: dict[str, list[_Company]] = {}
        for lang in _LANGS:
            queue = [c for c in data.companies if c.lang == lang]
            rng.shuffle(queue)
            self._queues[lang] = queue
        self._turn = dict.fromkeys(_LANGS, 0)
        self._known: dict[str, list[_Person]] = {lang: [] for lang in _LANGS}
        self._addrs: set[str] = set()

    def pick(self, lang: str, fresh: bool) -> _Person:
        """A customer writing in ``lang``: usually a new one, sometimes one who wrote before."""
        known = self._known[lang]
        if not fresh and known and self._rng.random() < 0.2:
            return self._rng.choice(known)
        person = self._new(lang)
        known.append(person)
        return person

    def _next_company(self, lang: str) -> _Company:
        queue = self._queues[lang]
        company = queue[self._turn[lang] % len(queue)]
        self._turn[lang] += 1
        return company

    def _new(self, lang: str) -> _Person:
        rng = self._rng
        if rng.random() < 0.22:
            domain = _weighted(rng, _FREEMAIL[lang])
            company, zone, client = "", rng.choice(_FREEMAIL_ZONES[lang]), _FREEMAIL_CLIENT[domain]
        else:
            firm = self._next_company(lang)
            domain, company, zone = firm.domain, firm.name, firm.zone
            client = _weighted(rng, _COMPANY_CLIENTS[lang])
        name, first, handle = self._name(lang)
        addr = self._unique(self._local_part(handle, domain), domain)
        title = rng.choice(self._data.people["titles"][lang]) if company else ""
        return _Person(name, first, addr, lang, zone, company, title, client)

    def _name(self, lang: str) -> tuple[str, str, tuple[str, str]]:
        """(display name, first name for greetings, (given, family) ASCII handle parts)."""
        rng = self._rng
        names = self._data.people["names"][lang]
        if lang == "zh":
            family, family_py = rng.choice(names["family"])
            if rng.random() < 0.2:
                given = rng.choice(names["english"])
                return f"{given} {family_py}", given, (given.lower(), family_py.lower())
            given_zh, given_py = rng.choice(names["given"])
            full = family + given_zh
            return full, full, (given_py.lower(), family_py.lower())
        given = rng.choice(names["given"])
        family = rng.choice(names["family"])
        return f"{given} {family}", given, (_ascii_slug(given), _ascii_slug(family))

    def _local_part(self, handle: tuple[str, str], domain: str) -> str:
        rng = self._rng
        given, family = handle
        if domain == "qq.com" and rng.random() < 0.7:
            return str(rng.randint(10_000_000, 3_999_999_999))
        if domain in ("gmail.com", "outlook.com", "web.de", "163.com"):
            sep = rng.choice([".", "", "_"])
            tail = rng.choice(["", str(rng.randint(1, 99)), str(rng.randint(1970, 2001))])
            return f"{given}{sep}{family}{tail}"
        style = rng.random()
        if style < 0.55:
            return f"{given}.{family}"
        if style < 0.8:
            return f"{given[0]}{family}"
        return given

    def _unique(self, local: str, domain: str) -> str:
        addr, n = f"{local}@{domain}", 1
        while addr in self._addrs:
            n += 1
            addr = f"{local}{n}@{domain}"
        self._addrs.add(addr)
        return addr


# --------------------------------------------------------------------------------------------
# Scenarios: which threads exist (independent of ``now``)
# --------------------------------------------------------------------------------------------


class _Deck:
    """Draws from lists of phrases without repeating one until all were used."""

    def __init__(self, table: Mapping[str, Any], rng: random.Random) -> None:
        self._table = table
        self._rng = rng
        self._left: dict[str, list[str]] = {}

    def draw(self, key: str) -> str:
        left = self._left.get(key)
        if not left:
            left = list(_tuple(self._table[key]))
            self._rng.shuffle(left)
            self._left[key] = left
        return left.pop()


def _feature_openers(data: _Data, rng: random.Random) -> list[_Opener]:
    """The feature requests: each label ``count`` times, in several languages."""
    out: list[_Opener] = []
    for feat in data.features:
        used: dict[str, int] = {}
        decks: dict[str, _Deck] = {}
        for i in range(feat.count):
            lang = _feature_lang(feat, i, rng)
            phrases = {"asks": feat.asks.get(lang, ()), "reasons": feat.reasons.get(lang, ())}
            deck = decks.setdefault(
                lang, _Deck({**phrases, "extra": data.feature_extra[lang]}, rng)
            )
            out.append(_feature_opener(feat, lang, used.get(lang, 0), deck, rng))
            used[lang] = used.get(lang, 0) + 1
    return out


def _feature_lang(feat: _Feature, i: int, rng: random.Random) -> str:
    if i == 0 or len(feat.langs) == 1:
        return "en"
    roll = rng.random()
    if roll < 0.16 and "de" in feat.langs:
        return "de"
    if roll < 0.24 and "zh" in feat.langs:
        return "zh"
    return "en"


def _feature_opener(
    feat: _Feature, lang: str, nth: int, deck: _Deck, rng: random.Random
) -> _Opener:
    """The nth request for a feature in one language: hand-written first, then composed."""
    bodies = feat.bodies.get(lang, ())
    if nth < len(bodies):
        body = bodies[nth]
    else:
        body = deck.draw("asks") + " " + deck.draw("reasons")
        if rng.random() < 0.6:
            body += "\n\n" + deck.draw("extra")
    subjects = feat.subjects[lang]
    return _Opener(
        lang=lang,
        team=feat.team,
        category="feature-request",
        labels=(feat.label,),
        subject=subjects[nth % len(subjects)],
        body=body,
        tagging="full",
        kind="feature",
        slots=(("feature", feat.names[lang]),),
    )


def _case_openers(data: _Data, rng: random.Random, count: int) -> list[_Opener]:
    """Short cases (mostly bug reports), each dressed in its own context sentences."""
    cases = list(data.cases)
    decks = {
        (lang, group): _Deck(table, rng)
        for lang, groups in data.case_context.items()
        for group, table in groups.items()
    }
    out: list[_Opener] = []
    rounds = 0
    while len(out) < count:
        rng.shuffle(cases)
        for case in cases:
            if len(out) == count:
                break
            if rounds and rng.random() < (0.45 if case.lang == "en" else 0.7):
                continue
            group = "bug" if case.category == "bug" else "question"
            out.append(_dress_case(case, decks[case.lang, group]))
        rounds += 1
    return out


def _dress_case(case: _Opener, deck: _Deck) -> _Opener:
    slots = {key: deck.draw(key) for key in ("since", "platform", "impact", "ask")}
    error = dict(case.slots).get("error", "")
    slots["error_line"] = _fill(deck.draw("error_line"), {"error": error}) + "\n\n" if error else ""
    slots["symptom"] = case.body.strip()
    return replace(case, body=_fill(deck.draw("shape"), slots).strip())


def _spike_openers(data: _Data, rng: random.Random) -> list[_Opener]:
    """The invoice incident: ~25 tagged threads in the last week, a few not yet triaged."""
    out = list(data.spike)
    tpl = data.spike_template
    langs = [lang for lang, w in (("en", 11), ("de", 3), ("zh", 1)) for _ in range(w)]
    untagged = int(tpl["untagged"])
    total = int(tpl["tagged"]) + untagged
    decks = {lang: _Deck(tpl[lang], rng) for lang in _LANGS}
    while len(out) < total:
        lang = rng.choice(langs)
        deck = decks[lang]
        body = deck.draw("bodies")
        if rng.random() < 0.5:
            body += "\n\n" + deck.draw("extra")
        fresh = len(out) >= total - untagged
        defaults = {**_SPIKE_DEFAULTS, "lang": lang}
        if fresh:
            defaults.update(tagging="none", window=(0.0, 0.8))
        out.append(_opener({"subject": deck.draw("subjects"), "body": body}, **defaults))
    return out


def _scenarios(data: _Data, rng: random.Random) -> list[_Opener]:
    fixed = list(data.openers) + _feature_openers(data, rng) + _spike_openers(data, rng)
    fixed += _case_openers(data, rng, max(0, _TARGET_THREADS - len(fixed)))
    rng.shuffle(fixed)
    return _steady_billing_bugs(fixed)


def _steady_billing_bugs(openers: list[_Opener]) -> list[_Opener]:
    """Spread the billing bugs before the incident evenly, so the spike stands out clearly."""
    steady = [
        i
        for i, op in enumerate(openers)
        if op.team == "billing" and op.category == "bug" and op.kind != "spike"
    ]
    lo, hi = _SPIKE_DAYS + 0.7, _HISTORY_DAYS
    step = (hi - lo) / max(1, len(steady))
    out = list(openers)
    for slot, i in enumerate(steady):
        out[i] = replace(out[i], window=(lo + slot * step, lo + (slot + 1) * step))
    return out


# --------------------------------------------------------------------------------------------
# Plans: who writes, when, how long the thread is, which tags it carries
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Plan:
    index: int
    opener: _Opener
    customer: _Person
    agent: _Agent
    start: datetime
    length: int
    tags: tuple[str, ...]
    html: str
    charset: str
    attach: str
    slots: Mapping[str, str] = field(default_factory=dict)


_LENGTHS = ((1, 14), (2, 30), (3, 20), (4, 13), (5, 8), (6, 6), (7, 5), (8, 4))
_HOURS = tuple(
    (h, w)
    for h, w in zip(
        range(24),
        (1, 1, 0.5, 0.5, 0.5, 1, 2, 4, 8, 10, 10, 9, 7, 8, 9, 9, 8, 6, 4, 3, 3, 2, 2, 1),
        strict=True,
    )
)


def _start(rng: random.Random, now: datetime, zone: str, window: tuple[float, float]) -> datetime:
    """A start time inside ``window`` (days before now), mostly on working days and hours."""
    lo, hi = window
    for _ in range(8):
        u = rng.random() if rng.random() < 0.5 else max(rng.random(), rng.random())
        day = _local(zone, now - timedelta(days=hi - (hi - lo) * u)).date()
        hour = rng.choices([h for h, _ in _HOURS], [w for _, w in _HOURS])[0]
        local = datetime(day.year, day.month, day.day, hour, rng.randrange(60), rng.randrange(60))
        when = local.replace(tzinfo=_zone(zone, now)).astimezone(UTC)
        if day.weekday() >= 5 and rng.random() < 0.75:
            continue
        if now - timedelta(days=hi) <= when <= now - timedelta(minutes=12):
            return when
    return now - timedelta(days=lo, hours=rng.uniform(0.3, 6))


def _tags(op: _Opener, rng: random.Random, age_days: float) -> tuple[str, ...]:
    team = (f"team:{op.team}",) if op.team else ()
    cat = (f"category:{op.category}",) if op.category else ()
    full = team + cat + op.labels
    mode = op.tagging
    if not mode:
        p_none = 0.6 if age_days < 2.5 else 0.18
        roll = rng.random()
        mode = (
            "none"
            if roll < p_none
            else "team"
            if roll < p_none + 0.07
            else ("category" if roll < p_none + 0.13 else "full")
        )
    if mode == "none":
        return ()
    if mode == "team":
        return team
    if mode == "category":
        return cat + op.labels
    return full


def _charset(lang: str, rng: random.Random) -> str:
    if lang == "de":
        return _weighted(rng, (("iso-8859-1", 5), ("utf-8", 4), ("windows-1252", 1)))
    if lang == "zh":
        return _weighted(rng, (("gb2312", 4), ("gbk", 2), ("utf-8", 4)))
    return "utf-8"


def _html_mode(op: _Opener, person: _Person, rng: random.Random) -> str:
    if op.html:
        return op.html
    roll = rng.random()
    boost = 1.5 if person.client in ("qq", "outlook", "foxmail") else 1.0
    if roll < 0.03 * boost:
        return "only"
    if roll < 0.075 * boost:
        return "alt"
    return "plain"


def _agent_for(op: _Opener, data: _Data, rng: random.Random) -> _Agent:
    if op.agent:
        return next(a for a in data.agents if a.first == op.agent)
    pool = [a for a in data.agents if op.lang in a.langs and "founder" not in a.title.lower()]
    if op.category == "churn-risk" and op.lang == "en" and rng.random() < 0.6:
        pool = [a for a in data.agents if "founder" in a.title.lower()]
    weights = [3.0 if len(a.langs) == 1 and op.lang != "en" else 1.0 for a in pool]
    return rng.choices(pool, weights)[0]


def _thread_slots(
    op: _Opener, person: _Person, agent: _Agent, rng: random.Random
) -> dict[str, str]:
    money = {"en": "${:,}.00", "de": "{:,},00 €", "zh": "¥{:,}.00"}[op.lang]
    seats = rng.randint(3, 48)
    unit = {"en": 12, "de": 11, "zh": 78}[op.lang]
    slots = {
        "name": person.first,
        "full": person.name,
        "company": person.company or person.name,
        "agent": agent.first if op.lang != "zh" else agent.local_name,
        "ticket": f"PL-{rng.randint(3100, 5899)}",
        "invoice": f"PL-2026-{rng.randint(10000, 99999)}",
        "seats": str(seats),
        "amount": money.format(seats * unit).replace(",", "." if op.lang == "de" else ","),
        "plan": rng.choice(["Team", "Business", "Business"]),
        "card": str(rng.randint(1000, 9999)),
        "days": str(rng.randint(2, 9)),
    }
    slots.update(op.slots)
    return slots


def _plans(now: datetime) -> list[_Plan]:
    """Every thread's plan. Who writes and what is said never depends on ``now``; only dates do
    (and through them which recent messages exist yet, are unread or still untagged)."""
    data = _data()
    rng = random.Random(_SEED)
    roster = _Roster(data, rng)
    plans: list[_Plan] = []
    for index, op in enumerate(_scenarios(data, rng)):
        person = _sender(op) if op.sender else roster.pick(op.lang, fresh=op.kind == "feature")
        plans.append(_plan(index, op, person, data, now))
    return plans


def _plan(index: int, op: _Opener, person: _Person, data: _Data, now: datetime) -> _Plan:
    rng = random.Random(_hex("plan", index))
    agent = _agent_for(op, data, rng)
    sampled = rng.choices([n for n, _ in _LENGTHS], [w for _, w in _LENGTHS])[0]
    length = op.length or (len(op.script) + 1 if op.script else sampled)
    bug_shot = op.category == "bug" and rng.random() < 0.05
    fixed = _Plan(
        index=index,
        opener=op,
        customer=person,
        agent=agent,
        start=now,
        length=length,
        tags=(),
        html=_html_mode(op, person, rng),
        charset=_charset(op.lang, rng),
        attach=op.attach or ("png" if bug_shot else ""),
        slots=_thread_slots(op, person, agent, rng),
    )
    timing = random.Random(_hex("start", index))
    start = _start(timing, now, person.zone, op.window)
    age = (now - start).total_seconds() / 86400
    return replace(fixed, start=start, tags=_tags(op, timing, age))


def _sender(op: _Opener) -> _Person:
    name, _, addr = op.sender.partition(" <")
    addr = addr.rstrip(">")
    zone = {"en": "us-east", "de": "cet", "zh": "cn"}[op.lang]
    return _Person(name, name.split(" ")[0], addr, op.lang, zone, "", "", "outlook")


# --------------------------------------------------------------------------------------------
# Conversations: the text of every turn
# --------------------------------------------------------------------------------------------


def _pool(data: _Data, lang: str, role: str, key: str) -> tuple[str, ...]:
    table = data.pools[lang][role]
    return _tuple(table.get(key) or table["default"])


def _turn_bodies(plan: _Plan, data: _Data, rng: random.Random) -> list[str]:
    """The core text of each turn: the opener, scripted turns, then pool replies."""
    op = plan.opener
    key = op.pool or op.category or "default"
    bodies = [op.body]
    used: set[str] = set()
    for k in range(1, plan.length):
        if k - 1 < len(op.script):
            bodies.append(op.script[k - 1])
            continue
        customer = k % 2 == 0
        last = k == plan.length - 1
        role = ("cust_" if customer else "team_") + (
            "first" if k == 1 else "last" if last else "mid"
        )
        options = [t for t in _pool(data, op.lang, role, key) if t not in used] or list(
            _pool(data, op.lang, role, key)
        )
        choice = rng.choice(options)
        used.add(choice)
        bodies.append(choice)
    return bodies


def _turn_dates(plan: _Plan, rng: random.Random, count: int) -> list[datetime]:
    """When each turn is sent: team answers within hours, customers within hours or days."""
    dates = [plan.start]
    slow = plan.opener.kind == "spike"
    for k in range(1, count):
        team = k % 2 == 1
        if team:
            hours = rng.uniform(3, 30) if slow else rng.choice([0.4, 1, 2, 3, 5, 18, 22, 26])
        else:
            hours = rng.choice([0.5, 1.5, 3, 20, 26, 45, 70, 140])
        when = dates[-1] + timedelta(hours=hours * rng.uniform(0.6, 1.4))
        zone = plan.agent.zone if team else plan.customer.zone
        dates.append(_office_hours(when, zone, team, rng))
    return dates


def _office_hours(when: datetime, zone: str, team: bool, rng: random.Random) -> datetime:
    """Move a night-time send to the next morning (and the team's weekend to Monday), mostly."""
    local = _local(zone, when)
    if 7 <= local.hour < 21 and not (team and local.weekday() >= 5):
        return when
    if rng.random() < 0.1:
        return when
    day = local.date() + timedelta(days=0 if local.hour < 7 else 1)
    while team and day.weekday() >= 5:
        day += timedelta(days=1)
    hour, minute, second = rng.randint(7, 10), rng.randrange(60), rng.randrange(60)
    morning = datetime(day.year, day.month, day.day, hour, minute, second)
    return morning.replace(tzinfo=_zone(zone, when)).astimezone(UTC)


# --------------------------------------------------------------------------------------------
# Wrapping: greetings, sign-offs, signatures, quotes
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Sent:
    """A rendered message the next turn quotes."""

    sender_name: str
    sender_addr: str
    date: datetime
    subject: str
    message_id: str
    references: tuple[str, ...]
    fresh: str
    """The message's own text: greeting, body, sign-off, signature."""
    quotable: str
    """The fresh text plus one level of the message it quoted."""


@dataclass(frozen=True, slots=True)
class _Style:
    """How one customer writes: picked once per person so every message looks alike."""

    greet: str
    signoff: str
    signature: str
    quotes: bool


def _style(person: _Person, data: _Data) -> _Style:
    rng = random.Random(_hex("style", person.addr))
    wrap = data.pools[person.lang]["wrap"]
    roll = rng.random()
    signature = ""
    if person.company and roll < 0.55:
        signature = _company_signature(person, rng)
    elif roll < 0.72:
        signature = _mobile_footer(person.client, wrap["mobile_footer"], rng)
    return _Style(
        greet=rng.choice(wrap["cust_greet"]),
        signoff=rng.choice(wrap["cust_signoff"]),
        signature=signature,
        quotes=rng.random() < 0.88,
    )


def _mobile_footer(client: str, footers: Sequence[str], rng: random.Random) -> str:
    """A "Sent from ..." line that matches the sender's mail client."""
    marker = {"apple": "iP", "outlook": "Outlook"}.get(client, "")
    fitting = [f for f in footers if marker and marker in f] or [
        f for f in footers if "iP" not in f and "Outlook" not in f
    ]
    return rng.choice(fitting or list(footers))


def _company_signature(person: _Person, rng: random.Random) -> str:
    lines = ["-- ", person.name, f"{person.title} | {person.company}"]
    if person.lang == "en" and person.zone.startswith("us") and rng.random() < 0.6:
        area = rng.choice(["212", "312", "415", "512", "617", "303", "206"])
        lines.append(f"+1 ({area}) 555-01{rng.randint(0, 99):02d}")
    if rng.random() < 0.5:
        lines.append(f"www.{person.addr.split('@')[1]}")
    return "\n".join(lines)


def _customer_text(plan: _Plan, k: int, body: str, data: _Data) -> str:
    person, op = plan.customer, plan.opener
    if k == 0 and op.plain:
        return _fill(body, plan.slots)
    style = _style(person, data)
    wrap = data.pools[person.lang]["wrap"]
    greet = (
        style.greet
        if k == 0
        else random.Random(_hex("greet", plan.index, k)).choice(wrap["cust_greet_reply"])
    )
    if not greet:
        body = body[:1].upper() + body[1:]
    parts = [greet, body, style.signoff]
    text = "\n\n".join(p for p in parts if p)
    if style.signature:
        text += "\n" + ("\n" if not style.signature.startswith("-- ") else "") + style.signature
    return _fill(text, {**plan.slots, "first": person.first})


def _team_text(plan: _Plan, k: int, body: str, data: _Data) -> str:
    """An agent's answer: greeting, body, sign-off, first name, then the team signature."""
    agent, lang = plan.agent, plan.opener.lang
    wrap = data.pools[lang]["wrap"]
    rng = random.Random(_hex("team", plan.index, k))
    full = agent.local_name if lang == "zh" else agent.name
    title = _fill(wrap["team_title"], {"title": agent.title})
    signature = "\n".join(["-- ", full, title, "help.plotline.example"])
    parts = [rng.choice(wrap["team_greet"]), body, rng.choice(wrap["team_signoff"])]
    text = "\n\n".join(parts) + "\n" + (agent.local_name if lang == "zh" else agent.first)
    return _fill(text + "\n" + signature, plan.slots)


_WEEKDAYS = {
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    "de": ("Mo.", "Di.", "Mi.", "Do.", "Fr.", "Sa.", "So."),
    "zh": ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日"),
}
_MONTHS = {
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    "de": (
        "Jan.",
        "Feb.",
        "März",
        "Apr.",
        "Mai",
        "Juni",
        "Juli",
        "Aug.",
        "Sept.",
        "Okt.",
        "Nov.",
        "Dez.",
    ),
}
_LONG_WEEKDAYS = {
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "de": ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"),
}
_LONG_MONTHS = {
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
    "de": (
        "Januar",
        "Februar",
        "März",
        "April",
        "Mai",
        "Juni",
        "Juli",
        "August",
        "September",
        "Oktober",
        "November",
        "Dezember",
    ),
}


def _quote_lines(text: str) -> str:
    return "\n".join(
        ">" if not line else "> " + line if line[0] != ">" else ">" + line
        for line in text.split("\n")
    )


def _attribution(client: str, lang: str, prev: _Sent, at: datetime) -> str:
    """The line (or block) a mail client writes above the quoted message."""
    d = at
    who = f"{prev.sender_name} <{prev.sender_addr}>"
    hm = f"{d.hour:02d}:{d.minute:02d}"
    if lang == "zh":
        if client in ("qq", "foxmail"):
            noon = "上午" if d.hour < 12 else "下午"
            return (
                "------------------ 原始邮件 ------------------\n"
                f'发件人: "{prev.sender_name}"<{prev.sender_addr}>;\n'
                f"发送时间: {d.year}年{d.month}月{d.day}日({_WEEKDAYS['zh'][d.weekday()]}) "
                f"{noon}{(d.hour - 1) % 12 + 1}:{d.minute:02d}\n"
                f"主题: {prev.subject}\n"
            )
        return f"在 {d.year}年{d.month}月{d.day}日 {hm}，{who} 写道："
    if client == "outlook":
        long_w, long_m = _LONG_WEEKDAYS[lang], _LONG_MONTHS[lang]
        if lang == "de":
            sent = f"{long_w[d.weekday()]}, {d.day}. {long_m[d.month - 1]} {d.year} {hm}"
            labels = ("Von", "Gesendet", "Betreff")
        else:
            sent = f"{long_w[d.weekday()]}, {long_m[d.month - 1]} {d.day}, {d.year} {hm}"
            labels = ("From", "Sent", "Subject")
        return (
            "________________________________\n"
            f"{labels[0]}: {who}\n{labels[1]}: {sent}\n{labels[2]}: {prev.subject}\n"
        )
    wd, mo = _WEEKDAYS[lang][d.weekday()], _MONTHS[lang][d.month - 1]
    if lang == "de":
        if client in ("thunderbird", "webde"):
            day = f"{d.day:02d}.{d.month:02d}.{d.year % 100:02d}"
            return f"Am {day} um {hm} schrieb {prev.sender_name}:"
        if client == "apple":
            return f"Am {d.day:02d}.{d.month:02d}.{d.year} um {hm} schrieb {who}:"
        return f"Am {wd}, {d.day}. {mo} {d.year} um {hm} Uhr schrieb {who}:"
    if client == "gmail":
        ampm = f"{(d.hour - 1) % 12 + 1}:{d.minute:02d} {'AM' if d.hour < 12 else 'PM'}"
        return f"On {wd}, {mo} {d.day}, {d.year} at {ampm} {who} wrote:"
    if client == "apple":
        return f"On {d.day} {mo} {d.year}, at {hm}, {who} wrote:"
    if client == "thunderbird":
        return f"On {d.day:02d}/{d.month:02d}/{d.year} {hm}, {prev.sender_name} wrote:"
    return f"On {wd}, {d.day} {mo} {d.year}, {prev.sender_name} wrote:"


def _with_quote(
    fresh: str, prev: _Sent | None, client: str, lang: str, zone: str
) -> tuple[str, str]:
    """(full text, quotable text) of a message that answers ``prev``."""
    if prev is None:
        return fresh, fresh
    head = _attribution(client, lang, prev, _local(zone, prev.date))
    if head.startswith(("____", "------")):
        full = f"{fresh}\n\n{head}\n{prev.quotable}"
        return full, f"{fresh}\n\n{head}\n{prev.fresh}"
    full = f"{fresh}\n\n{head}\n{_quote_lines(prev.quotable)}"
    return full, f"{fresh}\n\n{head}\n{_quote_lines(prev.fresh)}"


# --------------------------------------------------------------------------------------------
# Encoding: headers (RFC 2047), bodies (QP, base64), HTML, attachments
# --------------------------------------------------------------------------------------------


def _encodable(text: str, charset: str) -> bool:
    try:
        text.encode(charset)
    except UnicodeEncodeError:
        return False
    return True


def _fit_charset(text: str, charset: str) -> str:
    chains = {
        "iso-8859-1": ("iso-8859-1", "windows-1252", "utf-8"),
        "windows-1252": ("windows-1252", "utf-8"),
        "gb2312": ("gb2312", "gbk", "gb18030"),
        "gbk": ("gbk", "gb18030"),
    }
    for candidate in chains.get(charset, (charset,)):
        if _encodable(text, candidate):
            return candidate
    return "utf-8"


def _encoded_words(text: str, charset: str) -> list[str]:
    """RFC 2047 encoded words of at most 75 characters, never splitting a character."""
    q = charset not in ("utf-8", "gb2312", "gbk", "gb18030") or (
        charset == "utf-8" and sum(ord(c) > 127 for c in text) * 4 < len(text)
    )
    prefix = f"=?{charset}?{'Q' if q else 'B'}?"
    budget = 75 - len(prefix) - 2
    words: list[str] = []
    chunk = ""
    for ch in text:
        trial = chunk + ch
        if len(_ew_payload(trial, charset, q)) > budget and chunk:
            words.append(prefix + _ew_payload(chunk, charset, q) + "?=")
            trial = ch
        chunk = trial
    if chunk:
        words.append(prefix + _ew_payload(chunk, charset, q) + "?=")
    return words


def _ew_payload(text: str, charset: str, q: bool) -> str:
    data = text.encode(charset)
    if not q:
        return base64.b64encode(data).decode("ascii")
    safe = b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!*+-/"
    return "".join("_" if b == 32 else chr(b) if b in safe else f"={b:02X}" for b in data)


def _header_text(text: str, charset: str) -> str:
    """A header value: ASCII as is, else an ASCII prefix plus encoded words."""
    if text.isascii() and not any(ord(c) < 32 for c in text):
        return text
    charset = _fit_charset(text, charset)
    cut = 0
    for i, ch in enumerate(text):
        if not ch.isascii() or ord(ch) < 32:
            break
        if ch == " ":
            cut = i + 1
    head, tail = text[:cut], text[cut:]
    return head + " ".join(_encoded_words(tail, charset))


def _address(name: str, addr: str, charset: str) -> str:
    if not name:
        return addr
    if name.isascii() and not any(ord(c) < 32 for c in name):
        if re.search(r"[()<>\[\]:;@\\,.\"]", name):
            name = '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
        return f"{name} <{addr}>"
    return f"{_header_text(name, charset)} <{addr}>"


def _fold(name: str, value: str) -> str:
    """``Name: value`` folded at spaces so lines stay under 78 characters where possible."""
    line = f"{name}: "
    out: list[str] = []
    for word in value.split(" "):
        if len(line) + len(word) > 77 and line.strip() and not line.endswith(": "):
            out.append(line.rstrip(" "))
            line = " "
        line += word + " "
    out.append(line.rstrip(" ") if line.strip() else line)
    return "\r\n".join(out)


def _crlf(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\n", "\r\n")


def _transfer(text: str, charset: str, prefer: str) -> tuple[str, bytes]:
    """(Content-Transfer-Encoding, payload) for text in a charset; CRLF line ends."""
    data = _crlf(text).encode(charset)
    long_lines = any(len(line) > 900 for line in data.split(b"\r\n"))
    if data.isascii() and not long_lines and prefer != "base64":
        return "7bit", data
    if prefer == "8bit" and not long_lines:
        return "8bit", data
    if prefer == "base64":
        return "base64", base64.encodebytes(data).replace(b"\n", b"\r\n")
    return "quoted-printable", binascii.b2a_qp(data, istext=True)


def _prefer(charset: str, lang: str, rng: random.Random) -> str:
    if lang == "zh":
        return "8bit" if charset == "gbk" and rng.random() < 0.5 else "base64"
    if lang == "de" and charset == "utf-8" and rng.random() < 0.5:
        return "8bit"
    return "quoted-printable"


@dataclass(frozen=True, slots=True)
class _Part:
    headers: tuple[str, ...]
    body: bytes

    def encode(self) -> bytes:
        return "\r\n".join(self.headers).encode("ascii") + b"\r\n\r\n" + self.body


def _text_part(subtype: str, text: str, charset: str, prefer: str) -> _Part:
    charset = _fit_charset(text, charset)
    cte, payload = _transfer(text, charset, prefer)
    return _Part(
        (f'Content-Type: text/{subtype}; charset="{charset}"', f"Content-Transfer-Encoding: {cte}"),
        payload,
    )


def _multipart(subtype: str, parts: Sequence[_Part], boundary: str) -> _Part:
    body = b"".join(b"--" + boundary.encode() + b"\r\n" + p.encode() + b"\r\n" for p in parts)
    body += b"--" + boundary.encode() + b"--\r\n"
    return _Part((f'Content-Type: multipart/{subtype};\r\n boundary="{boundary}"',), body)


def _entities(text: str) -> str:
    """HTML-escape and write Latin-1 letters as named entities, as many HTML mailers do."""
    out = html.escape(text, quote=False)
    return "".join(
        f"&{codepoint2name[ord(c)]};" if 160 <= ord(c) < 256 and ord(c) in codepoint2name else c
        for c in out
    )


def _html_blocks(lines: list[str], loud: bool) -> str:
    """Paragraphs, quote runs as nested blockquotes, the signature in its own div."""
    out: list[str] = []
    para: list[str] = []
    i = 0

    def flush() -> None:
        if para:
            style = ' style="margin:0 0 12px 0"' if loud else ""
            out.append(f"<p{style}>" + "<br>\n".join(para) + "</p>")
            para.clear()

    while i < len(lines):
        line = lines[i]
        if line.startswith(">"):
            flush()
            run = []
            while i < len(lines) and lines[i].startswith(">"):
                run.append(lines[i][2:] if lines[i].startswith("> ") else lines[i][1:])
                i += 1
            out.append(
                '<blockquote style="margin:0 0 0 .8ex;border-left:1px solid #ccc;'
                'padding-left:1ex">' + _html_blocks(run, loud) + "</blockquote>"
            )
            continue
        if line == "-- ":
            flush()
            sig = []
            i += 1
            while i < len(lines) and lines[i]:
                sig.append(_entities(lines[i]) if loud else html.escape(lines[i], quote=False))
                i += 1
            out.append(
                '<div class="signature" style="color:#777">-- <br>' + "<br>".join(sig) + "</div>"
            )
            continue
        if line:
            esc = _entities(line) if loud else html.escape(line, quote=False)
            para.append(esc.replace(",  ", ",&nbsp; ").replace(". ", ".&nbsp; ") if loud else esc)
        else:
            flush()
        i += 1
    flush()
    return "\n".join(out)


def _html(text: str, loud: bool, charset: str, pixel: str) -> str:
    body = _html_blocks(text.split("\n"), loud)
    if not loud:
        return f'<div dir="ltr">\n{body}\n</div>\n'
    return (
        "<html><head>\n"
        f'<meta http-equiv="Content-Type" content="text/html; charset={charset}">\n'
        "</head>\n"
        '<body style="margin:0;padding:0">\n'
        '<div style="font-family:Calibri,Arial,Helvetica,sans-serif;font-size:11pt;color:#1f1f1f">'
        f"\n{body}\n"
        "<p>&nbsp;</p>\n</div>\n"
        f'<img src="{pixel}" width="1" height="1" alt="" style="display:block;border:0">\n'
        "</body></html>\n"
    )


# --- attachments ------------------------------------------------------------------------------


def _png(seed: str, width: int = 96, height: int = 54) -> bytes:
    """A tiny 4-bit palette "screenshot" (stored deflate blocks, so bytes never vary)."""
    rng = random.Random(seed)
    palette = [
        (246, 246, 248),
        (52, 58, 74),
        (88, 134, 232),
        (232, 96, 84),
        (120, 190, 130),
        (200, 204, 214),
        (255, 255, 255),
        (250, 200, 80),
    ]
    grid = [[0] * width for _ in range(height)]
    _rect(grid, 0, 0, width, 7, 1)
    _rect(grid, 0, 7, 16, height, 5)
    for row in range(5):
        x = 20 + rng.randrange(0, 30)
        _rect(grid, x, 11 + row * 8, x + rng.randrange(14, 40), 16 + row * 8, rng.choice([2, 4, 7]))
    _rect(grid, 48, 26, 90, 44, 6)
    _rect(grid, 50, 28, 88, 31, 3)
    raw = b"".join(
        b"\x00" + bytes((r[i] << 4) | r[i + 1] for i in range(0, width, 2)) for r in grid
    )
    ihdr = struct.pack(">IIBBBBB", width, height, 4, 3, 0, 0, 0)
    plte = b"".join(bytes(c) for c in palette)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", ihdr)
        + _chunk(b"PLTE", plte)
        + _chunk(b"IDAT", _stored_zlib(raw))
        + _chunk(b"IEND", b"")
    )


def _rect(grid: list[list[int]], x0: int, y0: int, x1: int, y1: int, colour: int) -> None:
    for y in range(y0, min(y1, len(grid))):
        for x in range(x0, min(x1, len(grid[0]))):
            grid[y][x] = colour


def _chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def _stored_zlib(data: bytes) -> bytes:
    out = b"\x78\x01"
    for pos in range(0, len(data), 65535):
        block = data[pos : pos + 65535]
        final = 1 if pos + 65535 >= len(data) else 0
        out += struct.pack("<BHH", final, len(block), 0xFFFF ^ len(block)) + block
    return out + struct.pack(">I", zlib.adler32(data))


def _pdf(lines: Sequence[str]) -> bytes:
    """A one-page PDF with a few lines of Helvetica text and a correct xref table."""
    text = (
        "BT /F1 11 Tf 56 780 Td 15 TL "
        + " ".join(
            "(" + line.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)") + ") '"
            for line in lines
        )
        + " ET"
    )
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(text)} >>\nstream\n{text}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for n, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += f"{n} 0 obj\n{obj}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += b"".join(f"{o:010d} 00000 n \n".encode() for o in offsets)
    out += (
        f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    )
    return out


def _attachment(plan: _Plan, at: datetime) -> tuple[str, str, bytes]:
    """(filename, content type, bytes) of the file a customer attached to the opener."""
    kind, lang, s = plan.attach, plan.opener.lang, plan.slots
    stamp = at.strftime("%Y-%m-%d at %H.%M.%S")
    if kind == "png":
        names = {
            "en": f"Screenshot {stamp}.png",
            "de": "image001.png",
            "zh": f"微信截图_{at.strftime('%Y%m%d%H%M%S')}.png",
        }
        return names[lang], "image/png", _png(_hex("png", plan.index))
    if kind == "pdf":
        name = {"en": "Invoice", "de": "Rechnung", "zh": "发票"}[lang] + f"-{s['invoice']}.pdf"
        lines = [
            "Plotline Ltd - Invoice " + s["invoice"],
            f"Billed to: {plan.customer.addr}",
            f"Plan: {s['plan']} ({s['seats']} seats)",
            "Period: monthly",
            "Charged to card ending " + s["card"],
            "Status: PAID",
        ]
        return name, "application/pdf", _pdf(lines)
    if kind == "csv":
        return _csv(plan)
    return (
        "Remittance_advice_\u202efdp.exe",
        "application/octet-stream",
        b"MZ" + b"\x00" * 30 + b"harmless demo bytes, not a program\r\n",
    )


def _csv(plan: _Plan) -> tuple[str, str, bytes]:
    if plan.opener.lang == "de":
        rows = [
            "Aufgabe;Verantwortlich;Fällig;Status",
            "Angebot prüfen;Jürgen;03.12.2026;offen",
            "Baubesprechung Süd;Anja;05.12.2026;in Arbeit",
            "Lieferantenliste übertragen;Malte;08.12.2026;offen",
        ]
        return "Aufgaben_Import.csv", "text/csv", "\r\n".join(rows).encode("windows-1252")
    rows = [
        "Task,Owner,Due,Status",
        "Draft launch brief,Priya,2026-12-03,Open",
        '"Fix ""Save"" button, mobile",Leo,2026-12-05,In progress',
        "Customer interviews (5),Ana,2026-12-08,Open",
    ]
    return "tasks-import.csv", "text/csv", "\r\n".join(rows).encode("utf-8")


def _file_part(filename: str, ctype: str, data: bytes) -> _Part:
    if filename.isascii():
        disp = f'attachment; filename="{filename}"'
        name = f'; name="{filename}"'
    else:
        quoted = "".join(
            chr(b) if b < 128 and (chr(b).isalnum() or chr(b) in "-._") else f"%{b:02X}"
            for b in filename.encode("utf-8")
        )
        disp = f"attachment;\r\n filename*=utf-8''{quoted}"
        name = ""
    return _Part(
        (
            f"Content-Type: {ctype}{name}",
            f"Content-Disposition: {disp}",
            "Content-Transfer-Encoding: base64",
        ),
        base64.encodebytes(data).replace(b"\n", b"\r\n"),
    )


# --------------------------------------------------------------------------------------------
# Rendering a thread into messages
# --------------------------------------------------------------------------------------------

_REPLY_PREFIX = {"en": "Re: ", "de": "AW: ", "zh": "回复："}
_MAILERS = {
    "outlook": "X-Mailer: Microsoft Outlook 16.0",
    "apple": "X-Mailer: Apple Mail (2.3826.200.121)",
    "thunderbird": "User-Agent: Mozilla Thunderbird",
    "foxmail": "X-Mailer: Foxmail 7.2.25.375[cn]",
    "qq": "X-QQ-Mailer: QQMail 2.x",
    "netease": "X-Mailer: Coremail Webmail Server Version 2023.1-cmXT",
    "webde": "X-UI-Message-Type: mail",
}


def _message_id(plan: _Plan, k: int, customer: bool) -> str:
    h = _digest("mid", plan.index, k)
    hexd = h.hex()
    if not customer:
        return f"{hexd[:20]}.{plan.index:04d}@plotline.example"
    client, domain = plan.customer.client, plan.customer.addr.split("@")[1]
    if client == "gmail":
        token = base64.urlsafe_b64encode(h).decode().rstrip("=").replace("-", "+")
        return f"CA{token[:42]}@mail.gmail.com"
    if client == "outlook":
        box = f"AM{h[0] % 9 + 1}PR0{h[1] % 8 + 1}MB{1000 + h[2] * 31 % 9000}"
        return f"{box}{hexd[:28].upper()}@{box}.eurprd0{h[3] % 9 + 1}.prod.outlook.com"
    if client == "qq":
        return f"tencent_{hexd[:40].upper()}@qq.com"
    if client == "netease":
        return f"{hexd[:8]}.{hexd[8:12]}.{hexd[12:23]}.Coremail.{plan.customer.addr}"
    if client == "webde":
        token = f"{hexd[:8]}-{hexd[8:12]}-{hexd[12:16]}-{hexd[16:28]}-{h[4]}"
        return f"trinity-{token}@3c-app-webde-bs{h[5] % 60:02d}"
    uuid = f"{hexd[:8]}-{hexd[8:12]}-{hexd[12:16]}-{hexd[16:20]}-{hexd[20:32]}"
    return f"{uuid.upper() if client == 'apple' else uuid}@{domain}"


def _subject(plan: _Plan, k: int, customer: bool) -> str:
    base = _fill(plan.opener.subject, plan.slots)
    if k == 0:
        return base
    if not customer:
        return "Re: " + base
    lang, client = plan.opener.lang, plan.customer.client
    prefix = _REPLY_PREFIX[lang]
    if lang == "en" and client == "outlook":
        prefix = "RE: "
    if lang == "de" and client not in ("outlook", "webde"):
        prefix = "Re: "
    if lang == "zh" and client not in ("qq", "foxmail", "netease"):
        prefix = "答复: " if client == "outlook" else "Re: "
    if lang == "de" and client == "outlook" and k >= 4:
        return prefix + "Re: " + base
    return prefix + base


@dataclass(frozen=True, slots=True)
class _Rendered:
    sent: _Sent
    message: DemoMessage


def _render_thread(plan: _Plan, now: datetime, data: _Data) -> list[_Rendered]:
    rng = random.Random(_hex("thread", plan.index))
    bodies = _turn_bodies(plan, data, rng)
    dates = [d for d in _turn_dates(plan, rng, len(bodies)) if d <= now]
    out: list[_Rendered] = []
    prev: _Sent | None = None
    for k, when in enumerate(dates):
        customer = k % 2 == 0
        seen = customer is False or _is_seen(plan, k, len(dates), when, now, rng)
        rendered = _render_one(plan, k, bodies[k], when, prev, seen, data)
        out.append(rendered)
        prev = rendered.sent
    return out


def _is_seen(
    plan: _Plan, k: int, count: int, when: datetime, now: datetime, rng: random.Random
) -> bool:
    age = (now - when).total_seconds() / 86400
    waiting = k == count - 1
    if age < 1.5:
        return rng.random() < (0.1 if waiting else 0.45)
    if age < 6:
        return rng.random() < (0.35 if waiting else 0.9)
    return rng.random() < 0.994


@dataclass(frozen=True, slots=True)
class _Voice:
    """Who writes one message: the customer or the agent, with their mail client and charset."""

    name: str
    from_name: str
    addr: str
    zone: str
    client: str
    charset: str
    customer: bool


def _voice(plan: _Plan, customer: bool) -> _Voice:
    if customer:
        p = plan.customer
        return _Voice(p.name, p.name, p.addr, p.zone, p.client, plan.charset, True)
    a = plan.agent
    return _Voice(a.name, f"{a.name} (Plotline)", a.addr, a.zone, "team", "utf-8", False)


def _render_one(
    plan: _Plan, k: int, body: str, when: datetime, prev: _Sent | None, seen: bool, data: _Data
) -> _Rendered:
    voice = _voice(plan, customer=k % 2 == 0)
    if voice.customer:
        fresh = _customer_text(plan, k, body, data)
        quoting = k == 0 or _style(plan.customer, data).quotes
    else:
        fresh, quoting = _team_text(plan, k, body, data), True
    lang = plan.opener.lang
    text, quotable = _with_quote(fresh, prev if quoting else None, voice.client, lang, voice.zone)
    refs = () if prev is None else (*prev.references[-12:], prev.message_id)
    sent = _Sent(
        voice.name,
        voice.addr,
        when,
        _subject(plan, k, voice.customer),
        _message_id(plan, k, voice.customer),
        refs,
        fresh,
        quotable,
    )
    head = "\r\n".join(_headers(plan, voice, sent, prev)).encode("ascii")
    raw = head + b"\r\n" + _body(plan, k, text, voice, sent.date).encode()
    flags = ((_SEEN,) if seen else ()) + plan.tags
    return _Rendered(sent, DemoMessage("INBOX" if voice.customer else "Sent", raw, flags))


def _headers(plan: _Plan, voice: _Voice, sent: _Sent, prev: _Sent | None) -> list[str]:
    customer = plan.customer
    to = (_SUPPORT_NAME, DEMO_ADDRESS) if voice.customer else (customer.name, customer.addr)
    headers = [
        _fold("From", _address(voice.from_name, voice.addr, voice.charset)),
        _fold("To", _address(*to, voice.charset)),
        _fold("Subject", _header_text(sent.subject, voice.charset)),
        "Date: " + format_datetime(_local(voice.zone, sent.date)),
        f"Message-ID: <{sent.message_id}>",
    ]
    if prev is not None:
        headers.append(f"In-Reply-To: <{prev.message_id}>")
        headers.append(_fold("References", " ".join(f"<{r}>" for r in sent.references)))
    if not voice.customer:
        headers.append(f"Reply-To: {_SUPPORT_NAME} <{DEMO_ADDRESS}>")
    headers.append("MIME-Version: 1.0")
    if voice.client in _MAILERS:
        headers.append(_MAILERS[voice.client])
    if voice.client == "outlook":
        language = {"en": "en-US", "de": "de-DE", "zh": "zh-CN"}[plan.opener.lang]
        headers.append(f"Content-Language: {language}")
    return headers


def _body(plan: _Plan, k: int, text: str, voice: _Voice, when: datetime) -> _Part:
    """The MIME body: plain text, HTML (alternative or HTML-only), maybe an attachment."""
    lang, charset = plan.opener.lang, voice.charset
    rng = random.Random(_hex("enc", plan.index, k))
    if voice.customer:
        prefer = _prefer(charset, lang, rng)
    else:
        prefer = "base64" if lang == "zh" else "quoted-printable"
    boundary = f"----=_Part_{_hex('b', plan.index, k)[:24]}"
    mode = plan.html if voice.customer else "plain"
    part = _text_part("plain", text, charset, prefer)
    if mode != "plain":
        domain = plan.customer.addr.split("@")[1]
        pixel = f"https://t.{domain}/o/{_hex('px', plan.index, k)[:16]}.gif"
        markup = _html(text, mode == "only", _fit_charset(text, charset), pixel)
        html_part = _text_part("html", markup, charset, "base64" if lang == "zh" else prefer)
        if mode == "only":
            part = html_part
        else:
            part = _multipart("alternative", [part, html_part], boundary + "_alt")
    if voice.customer and k == 0 and plan.attach:
        filename, ctype, data = _attachment(plan, _local(plan.customer.zone, when))
        part = _multipart("mixed", [part, _file_part(filename, ctype, data)], boundary + "_mix")
    return part


# --------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------


def _utc(now: datetime) -> datetime:
    return now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)


def _all_rendered(now: datetime) -> Iterator[tuple[datetime, int, int, DemoMessage]]:
    data = _data()
    for plan in _plans(now):
        for k, rendered in enumerate(_render_thread(plan, now, data)):
            yield rendered.sent.date, plan.index, k, rendered.message


def demo_messages(now: datetime) -> list[DemoMessage]:
    """Every message of the demo mailbox, oldest first (the order an import would append).

    Dates fall in the ~6 months before ``now`` (a naive ``now`` is taken as UTC); the same ``now``
    always gives byte-identical messages, and who writes what does not depend on ``now`` at all.
    """
    now = _utc(now)
    return [m for *_, m in sorted(_all_rendered(now), key=lambda t: t[:3])]


def demo_notes(now: datetime) -> dict[str, str]:
    """Private notes: thread root Message-ID (bare, without ``<>``) -> note text."""
    now = _utc(now)
    notes: dict[str, str] = {}
    for plan in _plans(now):
        if plan.opener.note:
            notes[_message_id(plan, 0, True)] = _fill(plan.opener.note.strip(), plan.slots)
    return notes
