"""An unexpected error that closes the window is logged with its traceback, and ``run_app``
says so with its return code (the window closed on one and ``supportmail`` exited 0, with
nothing in the log)."""

from __future__ import annotations

from pathlib import Path

import pytest

from supportmail.tui import logfile
from supportmail.tui.app import SupportMailApp
from tests.tui.conftest import settle


class Boom(RuntimeError):
    pass


async def test_an_unhandled_error_is_logged_and_the_return_code_is_1(
    demo_app: SupportMailApp, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / "log" / "supportmail.log"
    monkeypatch.setenv("SUPPORTMAIL_LOG", str(log))
    logfile.setup()

    def boom() -> None:
        raise Boom("wrapped into zero columns")

    with pytest.raises(Boom):
        async with demo_app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            demo_app.call_later(boom)
            await settle(pilot)
    assert demo_app.return_code == 1
    text = log.read_text()
    assert "the window closed on an unexpected error" in text
    assert "Boom: wrapped into zero columns" in text
