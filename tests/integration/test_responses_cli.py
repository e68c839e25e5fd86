"""``supportmail responses`` and ``threads --awaiting`` end to end on the bundled demo."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import pytest

from supportmail.storage.service import Service
from tests.integration.test_reports_cli import NOW, UNTIL, DemoCli


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> DemoCli:
    data = tmp_path_factory.mktemp("demo-responses")
    Service.open_demo(data, now=NOW).close()
    return DemoCli(data)


def test_responses_json_has_the_documented_shape(demo: DemoCli) -> None:
    report = demo.json("responses", "--until", UNTIL, "--by", "week")
    assert {"since", "until", "tags", "waiting"} <= set(report)
    assert report["until"] == UNTIL
    tag = report["tags"][0]
    assert set(tag) == {
        "tag", "kind", "threads", "answered", "first_reply_median_s", "first_reply_p90_s",
        "within_1h", "within_24h", "periods",
    }  # fmt: skip
    assert len(tag["periods"]) == 12
    for t in report["tags"]:
        assert t["answered"] <= t["threads"]
        if t["answered"]:
            assert 0 <= t["first_reply_median_s"] <= t["first_reply_p90_s"]
            assert 0 <= t["within_1h"] <= t["within_24h"] <= 1
    assert report["waiting"] and set(report["waiting"][0]) == {"thread_id", "since"}
    waits = [datetime.fromisoformat(w["since"]) for w in report["waiting"]]
    assert waits == sorted(waits)


def test_responses_kind_formats_and_bad_usage(demo: DemoCli) -> None:
    teams = demo.json("responses", "--until", UNTIL, "--kind", "team")
    assert teams["tags"] and all(t["kind"] == "team" for t in teams["tags"])
    table, _ = demo("responses", "--until", UNTIL)
    assert "MEDIAN" in table and "(all threads)" in table and "wait for a reply" in table
    md, _ = demo("responses", "--until", UNTIL, "--format", "md")
    assert md.startswith("### First replies") and "| Tag |" in md
    rows = list(csv.DictReader(io.StringIO(demo("responses", "--format", "csv")[0])))
    assert rows and rows[0]["kind"] == "all"
    demo("responses", "--since", "not a date", code=2)
    demo("responses", "--since", UNTIL, "--until", "2026-01-01", code=2)


def test_threads_awaiting_lists_the_same_threads_as_responses(demo: DemoCli) -> None:
    listed = json.loads(demo("threads", "--awaiting", "--json")[0])
    now = datetime.now(UTC)
    waiting = demo.json("responses", "--until", now.isoformat())["waiting"]
    assert [t["id"] for t in listed] == [w["thread_id"] for w in waiting]
    assert all("waiting_since" in t for t in listed)
    text, _ = demo("threads", "--awaiting", "--limit", "3")
    assert len(text.splitlines()) == 3 and all("waits " in line for line in text.splitlines())
    billing = json.loads(demo("threads", "--awaiting", "--tag", "team:billing", "--json")[0])
    assert billing and all("team:billing" in t["tags"] for t in billing)
    assert {t["id"] for t in billing} < {t["id"] for t in listed}
