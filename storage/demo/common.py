"""What every part of the demo generator shares: the seed and sizes, :class:`DemoMessage`,
fixed-offset time zones with the usual daylight-saving rules (no tz database), and small
text helpers (slot filling, seeded hashes, weighted choices)."""

from __future__ import annotations

import hashlib
import random
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone

SEED = "plotline-demo-v1"
SEEN = "\\Seen"
TARGET_THREADS = 345
HISTORY_DAYS = 182.0
SPIKE_DAYS = 6.8
SUPPORT_NAME = "Plotline Support"
DATA_FILES = (
    "people",
    "replies",
    "openers_en",
    "openers_de",
    "openers_zh",
    "cases",
    "features",
    "spike",
)
LANGS = ("en", "de", "zh")


@dataclass(frozen=True, slots=True)
class DemoMessage:
    """One message of the demo mailbox, as an IMAP APPEND would store it."""

    folder: str
    """``INBOX`` (customer mail) or ``Sent`` (the team's replies)."""
    raw: bytes
    """A complete RFC 5322 message with CRLF line endings."""
    flags: tuple[str, ...]
    """IMAP flags and keywords: ``\\Seen`` for read mail, then the thread's tag keywords."""


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


def zone_at(name: str, when: datetime) -> timezone:
    """The fixed-offset zone in force in ``name`` at the UTC instant ``when``."""
    std, dst, rule = _ZONES[name]
    return timezone(timedelta(minutes=dst if _is_dst(rule, when) else std))


def local_time(name: str, when: datetime) -> datetime:
    """``when`` in the local time of the zone ``name``."""
    return when.astimezone(zone_at(name, when))


_SLOT = re.compile(r"\{([a-z_]+)\}")


def fill_slots(template: str, slots: Mapping[str, str]) -> str:
    """Replace ``{slot}`` by its value; unknown braces (JSON, code) stay as they are."""
    return _SLOT.sub(lambda m: slots.get(m.group(1), m.group(0)), template)


def digest(*parts: object) -> bytes:
    """A SHA-256 of the seed and ``parts``: the demo's stable source of randomness."""
    return hashlib.sha256("/".join(str(p) for p in (SEED, *parts)).encode()).digest()


def hex_digest(*parts: object) -> str:
    """``digest(*parts)`` as hex (seeds a ``random.Random``)."""
    return digest(*parts).hex()


def weighted_choice(rng: random.Random, table: Sequence[tuple[str, float]]) -> str:
    """One key of ``table``, drawn with its weight."""
    return rng.choices([k for k, _ in table], [w for _, w in table])[0]


def ascii_slug(text: str) -> str:
    """``text`` as lower-case ASCII letters and digits (umlauts spelt out), for addresses."""
    for src, dst in (("ä", "ae"), ("ö", "oe"), ("ü", "ue"), ("ß", "ss"), ("é", "e"), ("è", "e")):
        text = text.replace(src, dst).replace(src.upper(), dst.capitalize())
    return re.sub(r"[^a-z0-9]+", "", text.lower())
