"""supportmail.tui.units: the rules the CLI and the screens share (one implementation each)."""

from __future__ import annotations

from datetime import UTC, datetime

from supportmail.storage.models import Address, ThreadSummary
from supportmail.tui.units import first_customer, format_size

TEAM = Address("Maya", "maya@team.example")
CUSTOMER = Address("Ann", "ann@customer.example")


def _summary(*people: Address) -> ThreadSummary:
    when = datetime(2026, 1, 1, tzinfo=UTC)
    return ThreadSummary(
        id="abc",
        root_message_id="<a@b>",
        subject="s",
        participants=people,
        messages=len(people),
        first_date=when,
        last_date=when,
        tags=(),
        unread=0,
        has_note=False,
    )


def test_first_customer_skips_the_team() -> None:
    def is_team(a: Address) -> bool:
        return a.addr.endswith("@team.example")

    assert first_customer(_summary(TEAM, CUSTOMER), is_team) == CUSTOMER
    assert first_customer(_summary(TEAM), is_team) == TEAM
    assert first_customer(_summary(), is_team) is None


def test_format_size_units() -> None:
    assert [format_size(n) for n in (0, 1023, 1024, 5 * 1024 * 1024)] == [
        "0 B",
        "1023 B",
        "1.0 KB",
        "5.0 MB",
    ]
