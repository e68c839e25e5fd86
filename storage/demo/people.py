"""The demo's customers: names, addresses at companies or free-mail providers, mail clients,
time zones; a seeded roster hands them out so people write more than once."""

from __future__ import annotations

import random
from dataclasses import dataclass

from supportmail.storage.demo.common import LANGS, ascii_slug, weighted_choice
from supportmail.storage.demo.handwritten import Company, DemoData


@dataclass(frozen=True, slots=True)
class Person:
    """A customer: name, address, language, time zone, company and mail client."""

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


class Roster:
    """Invents customers: about 165 companies, some free-mail senders, a few repeat writers."""

    def __init__(self, data: DemoData, rng: random.Random) -> None:
        self._data = data
        self._rng = rng
        self._queues: dict[str, list[Company]] = {}
        for lang in LANGS:
            queue = [c for c in data.companies if c.lang == lang]
            rng.shuffle(queue)
            self._queues[lang] = queue
        self._turn = dict.fromkeys(LANGS, 0)
        self._known: dict[str, list[Person]] = {lang: [] for lang in LANGS}
        self._addrs: set[str] = set()

    def pick(self, lang: str, fresh: bool) -> Person:
        """A customer writing in ``lang``: usually a new one, sometimes one who wrote before."""
        known = self._known[lang]
        if not fresh and known and self._rng.random() < 0.2:
            return self._rng.choice(known)
        person = self._new(lang)
        known.append(person)
        return person

    def _next_company(self, lang: str) -> Company:
        queue = self._queues[lang]
        company = queue[self._turn[lang] % len(queue)]
        self._turn[lang] += 1
        return company

    def _new(self, lang: str) -> Person:
        rng = self._rng
        if rng.random() < 0.22:
            domain = weighted_choice(rng, _FREEMAIL[lang])
            company, zone, client = "", rng.choice(_FREEMAIL_ZONES[lang]), _FREEMAIL_CLIENT[domain]
        else:
            firm = self._next_company(lang)
            domain, company, zone = firm.domain, firm.name, firm.zone
            client = weighted_choice(rng, _COMPANY_CLIENTS[lang])
        name, first, handle = self._name(lang)
        addr = self._unique(self._local_part(handle, domain), domain)
        title = rng.choice(self._data.people["titles"][lang]) if company else ""
        return Person(name, first, addr, lang, zone, company, title, client)

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
        return f"{given} {family}", given, (ascii_slug(given), ascii_slug(family))

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
