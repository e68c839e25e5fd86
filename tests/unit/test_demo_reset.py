"""``supportmail demo --reset``: the demo starts afresh, never under an open window."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from supportmail.storage.demo.account import DEMO_ACCOUNT, reset_demo
from supportmail.storage.service import Service, ServiceError
from supportmail.tui.cli import build_parser

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def test_reset_drops_what_earlier_sessions_left(tmp_path: Path) -> None:
    with Service.open_demo(tmp_path, NOW) as service:
        thread = service.list_threads()[0]
        service.set_note(thread.id, "my own note")
        service.edit_tags(thread.id, ["label:kept-before-reset"], [])
    with Service.open_demo(tmp_path, NOW) as service:
        assert service.note(thread.id) == "my own note"
    with Service.open_demo(tmp_path, NOW, reset=True) as service:
        assert service.note(thread.id) != "my own note"
        assert "label:kept-before-reset" not in service.thread(thread.id).summary.tags
        assert service.list_threads()  # the demo mail is back


def test_reset_is_refused_while_a_window_has_the_demo_open(tmp_path: Path) -> None:
    with Service.open_demo(tmp_path, NOW) as window:
        window.claim_window()
        with pytest.raises(ServiceError, match="demo not reset: another supportmail window"):
            Service.open_demo(tmp_path, NOW, reset=True)
    assert (tmp_path / DEMO_ACCOUNT / "cache.sqlite3").exists()


def test_reset_of_a_demo_never_opened_is_nothing(tmp_path: Path) -> None:
    assert reset_demo(tmp_path / DEMO_ACCOUNT) == 0


def test_the_demo_command_takes_reset() -> None:
    args = build_parser().parse_args(["demo", "--reset"])
    assert args.command == "demo" and args.reset
