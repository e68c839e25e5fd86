"""Coverage in the insight commands: ``voice``, ``bugs``, ``digest`` and ``skim`` say how many of
their threads have local text, in JSON always and in human output when some have none.

The demo mailbox (every body cached) is loaded at a fixed moment; one copy then loses the bodies
of a few threads of each kind, as a sync without the body mirror leaves them.
"""

from __future__ import annotations

import io
import json
import shutil
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from supportmail.storage.service import Service
from supportmail.tui.cli import run
from tests.unit.test_coverage import forget_bodies

NOW = datetime(2026, 11, 6, 17, 0, tzinfo=UTC)
SINCE = "2026-08-01"
DIGEST_SINCE = "2026-10-01"
WINDOWS = {
    "voice": ("--since", SINCE),
    "bugs": ("--since", SINCE),
    "digest": ("--since", DIGEST_SINCE),
    "skim": ("--peek",),
}
"""Each command with a window that holds demo threads (skim: since the remembered moment)."""


def _cli(data: Path, *args: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    real_err, sys.stderr = sys.stderr, err
    try:
        code = run(["--data-dir", str(data), "--account", "demo", *args], out)
    finally:
        sys.stderr = real_err
    assert code == 0, f"exit {code}: {err.getvalue()}"
    return out.getvalue()


def _json(data: Path, command: str) -> Any:
    return json.loads(_cli(data, command, *WINDOWS[command], "--format", "json"))


@pytest.fixture(scope="module")
def complete(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("complete")
    with Service.open_demo(data, now=NOW) as service:
        service.remember_skim(datetime.fromisoformat(DIGEST_SINCE).replace(tzinfo=UTC))
    return data


@pytest.fixture(scope="module")
def partial(complete: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, set[str]]:
    """A copy that lost the bodies of two threads of each command; returns (data, their ids)."""
    data = tmp_path_factory.mktemp("partial")
    shutil.copytree(complete, data, dirs_exist_ok=True)
    gone: set[str] = set()
    for command in ("voice", "bugs", "digest"):
        report = _json(data, command)
        gone |= set(sorted(_thread_ids(command, report))[:2])
    with Service.open_demo(data, now=NOW) as service:
        forget_bodies(service, sorted(gone))
    return data, gone


def _thread_ids(command: str, report: Any) -> set[str]:
    if command == "voice":
        return {t for r in report["requests"] for t in r["thread_ids"]}
    if command == "bugs":
        return {t for g in report["groups"] for t in g["thread_ids"]}
    return {i["thread_id"] for g in report["groups"] for i in g["items"]}


@pytest.mark.parametrize("command", sorted(WINDOWS))
def test_json_always_carries_the_coverage(complete: Path, command: str) -> None:
    report = _json(complete, command)
    threads = report["threads"]
    assert threads > 0
    assert report["coverage"] == {"threads": threads, "with_text": threads, "not_mirrored": 0}


@pytest.mark.parametrize("command", sorted(WINDOWS))
def test_json_counts_the_threads_not_mirrored(partial: tuple[Path, set[str]], command: str) -> None:
    data, gone = partial
    report = _json(data, command)
    cov = report["coverage"]
    assert cov["threads"] == report["threads"]
    assert cov["with_text"] + cov["not_mirrored"] == cov["threads"]
    assert cov["not_mirrored"] > 0
    if command != "voice":  # voice lists only its top 10 requests' threads
        assert cov["not_mirrored"] == len(_thread_ids(command, report) & gone)


@pytest.mark.parametrize(
    ("command", "fmt", "what"),
    [
        ("voice", "md", "Quotes from"),
        ("bugs", "table", "Text of"),
        ("digest", "md", "Excerpts from"),
        ("digest", "text", "Excerpts from"),
        ("skim", "text", "Excerpts from"),
        ("skim", "md", "Excerpts from"),
    ],
)
def test_human_output_says_what_is_missing_only_when_something_is(
    complete: Path, partial: tuple[Path, set[str]], command: str, fmt: str, what: str
) -> None:
    args = (command, *WINDOWS[command], "--format", fmt)
    report = _json(partial[0], command)
    cov = report["coverage"]
    line = f"{what} {cov['with_text']} of {cov['threads']} threads; {cov['not_mirrored']} not"
    assert line + " mirrored yet." in _cli(partial[0], *args)
    assert "not mirrored" not in _cli(complete, *args)
