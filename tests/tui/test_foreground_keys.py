"""The app tells the service about key presses, so background syncs yield to the keyboard."""

from __future__ import annotations

from tests.tui.conftest import AppFactory, settle
from tests.tui.fakes import FakeService


async def test_the_app_tells_the_service_about_keys(
    make_app: AppFactory, service: FakeService
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        before = service.key_presses
        await pilot.press("j", "k")
        assert service.key_presses >= before + 2
