"""The report commands end to end on the bundled demo: ``report``, ``bugs``, ``voice``, ``digest``.

No server is needed (``--account demo``). The demo's dates follow the moment it is first loaded,
so the main fixture loads it once at a fixed moment (Friday 6 November 2026, 17:00 UTC) into its
own data directory and every command runs with explicit dates. One test loads it at the real
time, as a user would see it.
"""

from __future__ import annotations

import csv
import io
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from supportmail.storage.service import Service
from supportmail.tui.cli import run

NOW = datetime(2026, 11, 6, 17, 0, tzinfo=UTC)
UNTIL = "2026-11-06T17:00:00+00:00"


class DemoCli:
    """Runs the CLI in-process against one demo data directory."""

    def __init__(self, data: Path) -> None:
        self.data = data

    def __call__(self, *args: str, code: int = 0) -> tuple[str, str]:
        out, err = io.StringIO(), io.StringIO()
        real_err = sys.stderr
        sys.stderr = err
        try:
            got = run(["--data-dir", str(self.data), "--account", "demo", *args], out)
        finally:
            sys.stderr = real_err
        assert got == code, f"exit {got}: {err.getvalue()}"
        return out.getvalue(), err.getvalue()

    def json(self, *args: str) -> Any:
        return json.loads(self(*args, "--format", "json")[0])


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoCli:
    data = tmp_path_factory.mktemp("demo-data")
    Service.open_demo(data, now=NOW).close()
    return DemoCli(data)


def test_billing_spike_is_flagged_in_the_latest_week(demo: DemoCli) -> None:
    tags = {t["tag"]: t for t in demo.json("report", "--until", UNTIL)}
    billing = tags["team:billing"]
    latest = billing["periods"][-1]
    assert latest["start"].startswith("2026-11-02")  # the ISO week holding the end
    assert latest["spike"] is True and latest["threads"] >= 15
    spike = billing["spike"]
    assert spike["latest"] == latest["threads"] and spike["baseline"] < 3 and spike["p"] < 1e-6
    assert spike["partial"] is True and spike["history"] == 8
    flagged = {name for name, t in tags.items() if t["spike"] is not None}
    assert flagged == {"team:billing", "category:bug"}
    assert len(billing["periods"]) == 12
    for tag in tags.values():
        assert set(tag) == {
            "tag", "kind", "threads", "customers", "companies", "periods", "spike", "trend"
        }  # fmt: skip
        assert tag["trend"] in ("rising", "falling", "steady", None)
        assert tag["threads"] == sum(p["threads"] for p in tag["periods"])
        assert tag["customers"] <= tag["threads"]


def test_report_formats_parse(demo: DemoCli) -> None:
    text, _ = demo("report", "--until", UNTIL, "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert list(rows[0]) == [
        "tag", "kind", "period_start", "threads", "customers", "companies", "spike"
    ]  # fmt: skip
    billing = [r for r in rows if r["tag"] == "team:billing"]
    assert len(billing) == 12 and billing[-1]["spike"] == "1"
    md, _ = demo("report", "--until", UNTIL, "--format", "md")
    lines = md.splitlines()
    header = next(i for i, line in enumerate(lines) if line.startswith("| Tag | Threads |"))
    assert lines[header + 1].startswith("|---|")
    assert any(line.startswith("| team:billing |") and "SPIKE" in line for line in lines)
    table, _ = demo("report", "--until", UNTIL)
    assert any(line.startswith("team:billing") and "SPIKE" in line for line in table.splitlines())
    days = demo.json("report", "--until", UNTIL, "--by", "day", "--since", "2026-11-01")
    assert all(len(t["periods"]) == 6 for t in days)
    months = demo.json("report", "--until", UNTIL, "--by", "month", "--kind", "label")
    assert months and all(t["kind"] == "label" for t in months)


def test_dark_mode_tops_the_voice_of_the_customer(demo: DemoCli) -> None:
    voice = demo.json("voice", "--since", "2026-05-01")
    first = voice["requests"][0]
    assert first["tag"] == "dark-mode" and first["kind"] == "label"
    assert first["customers"] == max(r["customers"] for r in voice["requests"])
    assert 1 <= len(first["quotes"]) <= 3
    for quote in first["quotes"]:
        assert quote["text"] and len(quote["text"]) <= 281
        assert quote["thread_id"] in first["thread_ids"]
        assert not quote["from"]["address"].endswith("@plotline.example")
    assert len(voice["requests"]) <= 10
    md, _ = demo("voice", "--since", "2026-05-01")
    assert "| # | Request | Customers | Companies | Threads |" in md
    assert "### 1. dark-mode" in md and "\n> " in md
    quarter = demo.json("voice", "--quarter", "2026Q3")
    assert quarter["since"].startswith("2026-07-01") and quarter["until"].startswith("2026-10-01")


def test_bugs_and_digest(demo: DemoCli) -> None:
    bugs = json.loads(demo("bugs", "--since", "2026-08-01", "--format", "json")[0])["groups"]
    assert bugs[0]["tag"] == "team:billing"
    assert bugs[0]["customers"] == max(g["customers"] for g in bugs)
    table, _ = demo("bugs", "--since", "2026-08-01")
    assert " 1  team:billing" in table
    md, _ = demo("digest", "--since", "2026-11-05")
    assert md.startswith("## Digest") and "### category:bug" in md and "\n  > " in md
    text, _ = demo("digest", "--since", "2026-11-05", "--format", "text")
    assert "CATEGORY:BUG" in text


def test_usage_errors_are_one_line(demo: DemoCli) -> None:
    for args in (
        ("report", "--since", "the other day"),
        ("voice", "--quarter", "2026Q7"),
        ("report", "--by", "year"),
        ("voice", "--quarter", "2026Q3", "--since", "monday"),
        ("report", "--since", "2026-11-01", "--until", "2026-10-01"),
    ):
        _, err = demo(*args, code=2)
        assert err.count("\n") == 1, err
    assert "before" in err  # the last: --since after --until names both


def test_demo_at_the_real_time_shows_the_spike(tmp_path: Path) -> None:
    """The incident is the last 6.8 days, so it is in the running ISO week or the one before."""
    cli = DemoCli(tmp_path / "data")
    tags = {t["tag"]: t for t in cli.json("report")}
    last_two = tags["team:billing"]["periods"][-2:]
    assert any(p["spike"] for p in last_two)


def test_skim_remembers_the_last_skim(tmp_path: Path) -> None:
    cli = DemoCli(tmp_path / "data")
    peek, _ = cli("skim", "--peek")
    assert peek.startswith("First skim") and "(peek" in peek
    assert peek.splitlines()[1].startswith("Skim (peek) ") and "Digest" not in peek
    first, _ = cli("skim", "--format", "md")
    assert first.startswith("First skim") and "### category:bug" in first
    assert first.splitlines()[1].startswith("## Skim ")
    second, _ = cli("skim")
    assert not second.startswith("First skim") and ": 0 threads" in second
    assert second.startswith("Skim ")


def test_an_empty_report_says_why(demo: DemoCli) -> None:
    """The same reason as the report screen (``tui.report_words``)."""
    text, _ = demo("report", "--since", "2020-01-01", "--until", "2020-03-01")
    assert text.splitlines()[-1] == (
        "(no threads started in this window (2019-12-30 to 2020-03-01, 9 weeks): sync, or "
        "choose longer periods)"
    )


def test_a_long_window_draws_the_latest_periods_on_one_line(demo: DemoCli) -> None:
    """`--since 1990-01-01` by week is 1,900 weeks: the table's sparkline keeps the latest 53
    (the JSON keeps every period)."""
    table, _ = demo("report", "--until", UNTIL, "--since", "1990-01-01")
    header = table.splitlines()[2]
    assert "PER WEEK (LAST 53)" in header
    rows = [line for line in table.splitlines()[3:] if line.strip()]
    assert rows and all(len(line) < 200 for line in rows)
    every = demo.json("report", "--until", UNTIL, "--since", "1990-01-01")
    assert len(every[0]["periods"]) > 1000
