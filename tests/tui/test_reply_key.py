"""Pilot: the reply key (A) runs $EDITOR on the draft, asks before sending, and the thread
leaves the awaiting view; "n" keeps a draft; a refused send says so and counts as unsent."""

from __future__ import annotations

import contextlib
from pathlib import Path

import pytest

from supportmail.tui.app import SupportMailApp
from supportmail.tui.screens.answer import ConfirmSend
from tests.tui.conftest import AppFactory, main_screen, settle
from tests.tui.fakes import FakeService

ANSWER = "Thanks, fixed in 4.2."


@pytest.fixture
def service() -> FakeService:
    """A fake of a configured account (the demo cannot send)."""
    return FakeService(demo=False)


@pytest.fixture
def answering_editor(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """$EDITOR writes an answer above the signature and quote (as a person would)."""
    script = tmp_path / "editor.sh"
    script.write_text(
        "#!/bin/sh\n"
        f"python3 - \"$1\" <<'PY'\n"
        "import sys\n"
        "p = sys.argv[1]\n"
        "head, sep, body = open(p).read().partition('\\n\\n')\n"
        f"open(p, 'w').write(head + sep + {ANSWER!r} + '\\n' + body)\n"
        "PY\n"
    )
    script.chmod(0o755)
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", str(script))
    return script


def _no_suspend(app: SupportMailApp, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(app, "suspend", contextlib.nullcontext)


async def test_reply_sends_after_yes_and_leaves_the_awaiting_view(
    make_app: AppFactory,
    service: FakeService,
    answering_editor: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = make_app()
    _no_suspend(app, monkeypatch)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        await pilot.press("w")
        await settle(pilot)
        before = screen.thread_list.count
        first = screen.thread_list.current
        assert first is not None and before > 0
        await pilot.press("A")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmSend)
        await pilot.press("y")
        await settle(pilot)
        [sent] = service.replies.sent
        assert ANSWER in sent.text and sent.subject.startswith("Re: ")
        assert screen.status.hint.startswith("sent to ")
        assert screen.thread_list.count == before - 1
        assert screen.thread_list.current is None or screen.thread_list.current.id != first.id
        assert screen.status.unsent == 0


async def test_no_keeps_a_draft_and_a_refusal_counts_unsent(
    make_app: AppFactory,
    service: FakeService,
    answering_editor: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = make_app()
    _no_suspend(app, monkeypatch)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        await pilot.press("A")
        await settle(pilot)
        await pilot.press("n")
        await settle(pilot)
        assert "kept as draft d1" in screen.status.hint
        assert [m.state for m in service.replies.mails.values()] == ["draft"]
        service.replies.fail_send = "451 try later"
        await pilot.press("A")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert "451 try later" in screen.status.hint and "next sync" in screen.status.hint
        assert screen.status.unsent == 1
        assert "1 unsent" in screen.status.render().plain


async def test_unchanged_text_sends_nothing(
    make_app: AppFactory, service: FakeService, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setenv("EDITOR", "true")
    app = make_app()
    _no_suspend(app, monkeypatch)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        await pilot.press("A")
        await settle(pilot)
        assert not isinstance(app.screen, ConfirmSend)
        assert screen.status.hint == "nothing written: not sent"
        assert service.replies.mails == {}


async def test_the_demo_cannot_send(demo_app: SupportMailApp) -> None:
    async with demo_app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("A")
        await settle(pilot)
        assert "cannot send" in main_screen(demo_app).status.hint


async def test_mutt_keymap_replies_with_r(
    make_app: AppFactory,
    service: FakeService,
    answering_editor: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    app = make_app("mutt")
    _no_suspend(app, monkeypatch)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        await pilot.press("r")
        await settle(pilot)
        assert isinstance(app.screen, ConfirmSend)
        await pilot.press("escape")
        await settle(pilot)
        assert "kept as draft" in screen.status.hint
        await pilot.press("ctrl+r")  # mark read moved from r
        await settle(pilot)
        assert service.called("mark_read") or service.called("queue_read")


async def test_hostile_subject_in_the_question_is_text(
    make_app: AppFactory,
    service: FakeService,
    answering_editor: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from textual.widgets import Static

    app = make_app()
    _no_suspend(app, monkeypatch)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        current = main_screen(app).thread_list.current
        assert current is not None and current.subject == "[bold]x[/] not bold"
        await pilot.press("A")
        await settle(pilot)
        confirm = app.screen
        assert isinstance(confirm, ConfirmSend)
        shown = str(confirm.query_one("#confirm-send-subject", Static).render())
        assert "Re: [bold]x[/] not bold" in shown  # markup shown as text, not applied
