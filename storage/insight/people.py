"""Who is the team and who is a customer; companies by mail domain.

The customers of a thread are the distinct sender addresses that are not the team's. The team is
the configured ``team_addresses`` plus the account's own address, *and* everyone at the
non-free-mail domain of one of those addresses (agents answer from ``maya@plotline.example``, not
only from ``support@plotline.example``). Companies are counted by domain; a free-mail domain
(:data:`FREEMAIL_DOMAINS`, plus ``yahoo.*``, ``hotmail.*``, ``outlook.*`` ... in any country)
says nothing about the company, so each free-mail address counts as its own company.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:
    from supportmail.storage.models import (
        Address,
        ReportThread,
    )

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


class Team(NamedTuple):
    """The team's own people: addresses, and the company domains those addresses are at (a
    named tuple: the window builds one before its first frame, to tell customers from the team)."""

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


def customer_keys(people: Iterable[Address]) -> tuple[set[str], set[str]]:
    """The lowercased addresses of ``people`` and the companies they are at."""
    addrs = {p.addr.strip().lower() for p in people}
    return addrs, {company_key(a) for a in addrs}
