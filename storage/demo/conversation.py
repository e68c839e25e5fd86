"""Conversations: the text of every turn (reply pools per language and role), when each turn
is written (office hours), and how each side wraps it: greetings, sign-offs, signatures."""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from supportmail.storage.demo.common import fill_slots, hex_digest, local_time, zone_at
from supportmail.storage.demo.handwritten import DemoData, str_tuple
from supportmail.storage.demo.people import Person
from supportmail.storage.demo.plans import Plan


def _pool(data: DemoData, lang: str, role: str, key: str) -> tuple[str, ...]:
    table = data.pools[lang][role]
    return str_tuple(table.get(key) or table["default"])


def turn_bodies(plan: Plan, data: DemoData, rng: random.Random) -> list[str]:
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


def turn_dates(plan: Plan, rng: random.Random, count: int) -> list[datetime]:
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
    local = local_time(zone, when)
    if 7 <= local.hour < 21 and not (team and local.weekday() >= 5):
        return when
    if rng.random() < 0.1:
        return when
    day = local.date() + timedelta(days=0 if local.hour < 7 else 1)
    while team and day.weekday() >= 5:
        day += timedelta(days=1)
    hour, minute, second = rng.randint(7, 10), rng.randrange(60), rng.randrange(60)
    morning = datetime(day.year, day.month, day.day, hour, minute, second)
    return morning.replace(tzinfo=zone_at(zone, when)).astimezone(UTC)


@dataclass(frozen=True, slots=True)
class Sent:
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
class WritingStyle:
    """How one customer writes: picked once per person so every message looks alike."""

    greet: str
    signoff: str
    signature: str
    quotes: bool


def writing_style(person: Person, data: DemoData) -> WritingStyle:
    """How ``person`` writes (the same for every message of theirs)."""
    rng = random.Random(hex_digest("style", person.addr))
    wrap = data.pools[person.lang]["wrap"]
    roll = rng.random()
    signature = ""
    if person.company and roll < 0.55:
        signature = _company_signature(person, rng)
    elif roll < 0.72:
        signature = _mobile_footer(person.client, wrap["mobile_footer"], rng)
    return WritingStyle(
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


def _company_signature(person: Person, rng: random.Random) -> str:
    lines = ["-- ", person.name, f"{person.title} | {person.company}"]
    if person.lang == "en" and person.zone.startswith("us") and rng.random() < 0.6:
        area = rng.choice(["212", "312", "415", "512", "617", "303", "206"])
        lines.append(f"+1 ({area}) 555-01{rng.randint(0, 99):02d}")
    if rng.random() < 0.5:
        lines.append(f"www.{person.addr.split('@')[1]}")
    return "\n".join(lines)


def customer_text(plan: Plan, k: int, body: str, data: DemoData) -> str:
    """A customer's message ``k``: greeting, body, sign-off and signature in their style."""
    person, op = plan.customer, plan.opener
    if k == 0 and op.plain:
        return fill_slots(body, plan.slots)
    style = writing_style(person, data)
    wrap = data.pools[person.lang]["wrap"]
    greet = (
        style.greet
        if k == 0
        else random.Random(hex_digest("greet", plan.index, k)).choice(wrap["cust_greet_reply"])
    )
    if not greet:
        body = body[:1].upper() + body[1:]
    parts = [greet, body, style.signoff]
    text = "\n\n".join(p for p in parts if p)
    if style.signature:
        text += "\n" + ("\n" if not style.signature.startswith("-- ") else "") + style.signature
    return fill_slots(text, {**plan.slots, "first": person.first})


def team_text(plan: Plan, k: int, body: str, data: DemoData) -> str:
    """An agent's answer: greeting, body, sign-off, first name, then the team signature."""
    agent, lang = plan.agent, plan.opener.lang
    wrap = data.pools[lang]["wrap"]
    rng = random.Random(hex_digest("team", plan.index, k))
    full = agent.local_name if lang == "zh" else agent.name
    title = fill_slots(wrap["team_title"], {"title": agent.title})
    signature = "\n".join(["-- ", full, title, "help.plotline.example"])
    parts = [rng.choice(wrap["team_greet"]), body, rng.choice(wrap["team_signoff"])]
    text = "\n\n".join(parts) + "\n" + (agent.local_name if lang == "zh" else agent.first)
    return fill_slots(text + "\n" + signature, plan.slots)
