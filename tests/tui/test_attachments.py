"""Pilot over the demo: ``o`` lists the open thread's attachments (open: a private copy handed to
the viewer without a shell; s: saved, never over an existing file), ``b`` lists its links with
text and real target (enter opens through xdg-open, c copies via OSC 52)."""

from __future__ import annotations

from pathlib import Path

import pytest

from supportmail.storage.models import Link
from supportmail.storage.service import Service
from supportmail.tui import opener
from supportmail.tui.app import SupportMailApp
from supportmail.tui.screens.attachments import AttachmentsScreen, LinksScreen, host_differs
from tests.tui.conftest import main_screen, settle, wait_until
from tests.tui.screen_text import screen_text


def _with_attachment(service: Service) -> int:
    return next(
        i
        for i, s in enumerate(service.list_threads())
        if any(m.attachments for m in service.thread(s.id).messages)
    )


async def test_attachments_open_and_save(
    demo_app: SupportMailApp,
    demo_service: Service,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    launched: list[list[str]] = []
    monkeypatch.setattr(opener, "launch", lambda argv: launched.append(list(argv)))
    monkeypatch.setattr(opener, "viewer_for", lambda path, ctype: ["viewer", str(path)])
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    monkeypatch.setattr(
        type(demo_service.attachments), "download_dir", staticmethod(lambda: downloads)
    )
    index = _with_attachment(demo_service)
    async with demo_app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        screen = main_screen(demo_app)
        screen.thread_list.cursor_to(index)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("o")
        await settle(pilot)
        assert isinstance(demo_app.screen, AttachmentsScreen)
        await wait_until(pilot, lambda: bool(demo_app.screen.items))  # type: ignore[attr-defined]
        assert ".pdf" in screen_text(demo_app) or "attachment" in screen_text(demo_app).lower()
        await pilot.press("enter")
        await wait_until(pilot, lambda: bool(launched) or "not opened" in screen_text(demo_app))
        assert launched, [line for line in screen_text(demo_app).splitlines() if "open" in line]
        assert launched[0][0] == "viewer"
        opened = Path(launched[0][1])
        assert opened.is_file() and opened.stat().st_size > 0
        assert (opened.parent.stat().st_mode & 0o777) == 0o700
        await pilot.press("s", "s")
        await wait_until(pilot, lambda: len(list(downloads.iterdir())) == 2)
        names = sorted(p.name for p in downloads.iterdir())
        assert any(" (1)" in n for n in names), names
        await pilot.press("escape")
        await settle(pilot)
        assert not isinstance(demo_app.screen, AttachmentsScreen)


async def test_links_side_by_side_open_and_copy(
    demo_app: SupportMailApp, demo_service: Service, monkeypatch: pytest.MonkeyPatch
) -> None:
    launched: list[list[str]] = []
    monkeypatch.setattr(opener, "launch", lambda argv: launched.append(list(argv)))
    monkeypatch.setattr(opener, "_desktop_opener", lambda target: ["xdg-open", target])
    index = next(
        i
        for i, s in enumerate(demo_service.list_threads())
        if demo_service.attachments.thread_links(s.id)
    )
    async with demo_app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        screen = main_screen(demo_app)
        screen.thread_list.cursor_to(index)
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("b")
        await settle(pilot)
        assert isinstance(demo_app.screen, LinksScreen)
        await wait_until(pilot, lambda: bool(demo_app.screen.items))  # type: ignore[attr-defined]
        assert "→" in screen_text(demo_app)
        await pilot.press("enter")
        await wait_until(pilot, lambda: bool(launched))
        assert launched[0][0] == "xdg-open" and launched[0][1].startswith("https://")
        await pilot.press("c")
        await settle(pilot)
        assert demo_app.clipboard == launched[0][1]


def test_host_differs_flags_a_deceptive_link() -> None:
    assert host_differs(Link("https://bank.example/login", "https://evil.example/x"))
    assert host_differs(Link("www.bank.example", "https://evil.example"))
    assert not host_differs(Link("www.bank.example", "https://bank.example/a"))
    assert not host_differs(Link("Log in here", "https://evil.example"))
    assert opener.url_opener("javascript:alert(1)") is None
    assert opener.url_opener("file:///etc/passwd") is None
