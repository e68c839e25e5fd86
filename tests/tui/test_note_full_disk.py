"""Pilot: the real service on a full disk (a tmpfs, filled up while the app runs).

Saving a note fails with "No space left on device" in the status bar, the previous note stays on
disk untouched, the typed text stays in the editor, and once space is back quitting saves it.
Needs root to mount the tmpfs (``tests/faults/tmpfs.py``: skipped loudly otherwise, failed
under CI).
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from supportmail.keymaps import load_keymap
from supportmail.storage.models import ThreadQuery
from supportmail.storage.service import Service
from supportmail.storage.user.db import UserDB
from supportmail.tui.app import SupportMailApp
from tests.faults.tmpfs import fill, mounted_tmpfs
from tests.tui.conftest import DEMO_NOW, main_screen, settle


@pytest.fixture
def service_on_tmpfs(demo_template: Path, tmp_path: Path) -> Iterator[Service]:
    with mounted_tmpfs(tmp_path / "disk") as mount:
        shutil.copytree(demo_template, mount, dirs_exist_ok=True)
        service = Service.open_demo(mount, now=DEMO_NOW)
        try:
            yield service
        finally:
            service.close()


def _stored_note(service: Service, root: str) -> str | None:
    with UserDB(service.data_dir / "userdb.json") as db:
        return db.note(service.account, root)


async def test_full_disk_keeps_the_previous_note_and_says_so(service_on_tmpfs: Service) -> None:
    service = service_on_tmpfs
    app = SupportMailApp(service, load_keymap(), now=DEMO_NOW, preview_delay=0, search_delay=0)
    first = service.list_threads(ThreadQuery(limit=1))[0]
    service.set_note(first.id, "the previous note")
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        current = screen.thread_list.current
        assert current is not None and current.id == first.id
        filler = fill(service.data_dir.parent)

        await pilot.press("n")
        await settle(pilot)
        assert screen.note_editor.text == "the previous note"
        await pilot.press("end", *" (edited)", "escape")  # leaving the editor saves
        await settle(pilot)
        assert screen.status.hint.startswith("note not saved yet (will retry): cannot save ")
        assert screen.status.hint.endswith("userdb.json: No space left on device")
        assert _stored_note(service, current.root_message_id) == "the previous note"
        assert screen.note_editor.dirty

        filler.unlink()
        await app.action_quit()
    assert _stored_note(service, current.root_message_id) == "the previous note (edited)"
