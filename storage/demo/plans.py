"""Plans: for each scenario who writes, when (spread over the months before ``now``), how long
the thread is, which tags it carries, its charset and HTML mode, and the agent who answers."""

from __future__ import annotations

import random
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from supportmail.storage.demo.common import SEED, hex_digest, local_time, weighted_choice, zone_at
from supportmail.storage.demo.handwritten import Agent, DemoData, Opener, demo_data
from supportmail.storage.demo.people import Person, Roster
from supportmail.storage.demo.scenarios import scenario_openers


@dataclass(frozen=True, slots=True)
class Plan:
    """One thread's plan: opener, customer, agent, start, length, tags, charset, HTML mode."""

    index: int
    opener: Opener
    customer: Person
    agent: Agent
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
        day = local_time(zone, now - timedelta(days=hi - (hi - lo) * u)).date()
        hour = rng.choices([h for h, _ in _HOURS], [w for _, w in _HOURS])[0]
        local = datetime(day.year, day.month, day.day, hour, rng.randrange(60), rng.randrange(60))
        when = local.replace(tzinfo=zone_at(zone, now)).astimezone(UTC)
        if day.weekday() >= 5 and rng.random() < 0.75:
            continue
        if now - timedelta(days=hi) <= when <= now - timedelta(minutes=12):
            return when
    return now - timedelta(days=lo, hours=rng.uniform(0.3, 6))


def _tags(op: Opener, rng: random.Random, age_days: float) -> tuple[str, ...]:
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
        return weighted_choice(rng, (("iso-8859-1", 5), ("utf-8", 4), ("windows-1252", 1)))
    if lang == "zh":
        return weighted_choice(rng, (("gb2312", 4), ("gbk", 2), ("utf-8", 4)))
    return "utf-8"


def _html_mode(op: Opener, person: Person, rng: random.Random) -> str:
    if op.html:
        return op.html
    roll = rng.random()
    boost = 1.5 if person.client in ("qq", "outlook", "foxmail") else 1.0
    if roll < 0.03 * boost:
        return "only"
    if roll < 0.075 * boost:
        return "alt"
    return "plain"


def _agent_for(op: Opener, data: DemoData, rng: random.Random) -> Agent:
    if op.agent:
        return next(a for a in data.agents if a.first == op.agent)
    pool = [a for a in data.agents if op.lang in a.langs and "founder" not in a.title.lower()]
    if op.category == "churn-risk" and op.lang == "en" and rng.random() < 0.6:
        pool = [a for a in data.agents if "founder" in a.title.lower()]
    weights = [3.0 if len(a.langs) == 1 and op.lang != "en" else 1.0 for a in pool]
    return rng.choices(pool, weights)[0]


def _thread_slots(op: Opener, person: Person, agent: Agent, rng: random.Random) -> dict[str, str]:
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


def thread_plans(now: datetime) -> list[Plan]:
    """Every thread's plan. Who writes and what is said never depends on ``now``; only dates do
    (and through them which recent messages exist yet, are unread or still untagged)."""
    data = demo_data()
    rng = random.Random(SEED)
    roster = Roster(data, rng)
    plans: list[Plan] = []
    for index, op in enumerate(scenario_openers(data, rng)):
        person = _sender(op) if op.sender else roster.pick(op.lang, fresh=op.kind == "feature")
        plans.append(_plan(index, op, person, data, now))
    return plans


def _plan(index: int, op: Opener, person: Person, data: DemoData, now: datetime) -> Plan:
    rng = random.Random(hex_digest("plan", index))
    agent = _agent_for(op, data, rng)
    sampled = rng.choices([n for n, _ in _LENGTHS], [w for _, w in _LENGTHS])[0]
    length = op.length or (len(op.script) + 1 if op.script else sampled)
    bug_shot = op.category == "bug" and rng.random() < 0.05
    fixed = Plan(
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
    timing = random.Random(hex_digest("start", index))
    start = _start(timing, now, person.zone, op.window)
    age = (now - start).total_seconds() / 86400
    return replace(fixed, start=start, tags=_tags(op, timing, age))


def _sender(op: Opener) -> Person:
    name, _, addr = op.sender.partition(" <")
    addr = addr.rstrip(">")
    zone = {"en": "us-east", "de": "cet", "zh": "cn"}[op.lang]
    return Person(name, name.split(" ")[0], addr, op.lang, zone, "", "", "outlook")
