"""The shared tag catalog against the real Dovecot: two teammates (two data dirs, one account)
converge through IMAP METADATA, and through the folder when METADATA is hidden."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from supportmail.storage import catalog_sync
from supportmail.storage.models import LiveEvent
from supportmail.storage.service import Service
from supportmail.storage.settings import load_settings
from tests.dovecot import MailUser
from tests.mailgen import support_mailbox

pytestmark = pytest.mark.dovecot


def _open(config: Path, data: Path) -> Service:
    settings = load_settings(config)
    return Service.open(settings, settings.account(None), data)


@pytest.fixture(params=["metadata", "folder"])
def store(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Both paths: METADATA as Dovecot offers it, and the folder with the capability hidden."""
    if request.param == "folder":
        monkeypatch.setattr(catalog_sync, "METADATA_CAPABILITY", "X-HIDDEN-METADATA")
    yield request.param


def _described(service: Service) -> dict[str, tuple[str | None, str | None]]:
    return {t.name: (t.description, t.shortcut) for t in service.tags() if t.in_catalog}


def test_two_teammates_converge(
    account_config: Path, mail_user: MailUser, tmp_path: Path, store: str
) -> None:
    mail_user.seed("INBOX", [m.raw for m in support_mailbox(6) if m.folder == "INBOX"])
    with _open(account_config, tmp_path / "a") as a, _open(account_config, tmp_path / "b") as b:
        a.sync()
        b.sync()
        info, problem = a.tag_catalog.set(
            "category:docs-gap", description="customer missed a documented feature"
        )
        assert problem is None
        assert info.description == "customer missed a documented feature"
        # Concurrent edits of different tags: B edits another tag before it has A's edit.
        _info, problem = b.tag_catalog.set("category:bug", description="it is broken")
        assert problem is None
        b.tag_catalog.set("team:billing", shortcut="0", share=False)
        shared = b.tag_catalog.sync()
        assert shared is not None
        assert shared.where == ("metadata" if store == "metadata" else "Supportmail/Catalog")
        a.tag_catalog.sync()
        for service in (a, b):
            service.tag_catalog.sync()
        seen_a, seen_b = _described(a), _described(b)
        assert seen_a == seen_b
        assert seen_a["category:docs-gap"] == ("customer missed a documented feature", None)
        assert seen_a["category:bug"] == ("it is broken", "1")
        assert seen_a["team:billing"] == (None, "0")
        # A deletion travels as a tombstone; a later edit of another tag keeps it deleted.
        a.tag_catalog.delete("category:praise")
        b.tag_catalog._last_sync = None  # a mail sync brings it (at most every SYNC_EVERY s)
        b.sync()
        assert "category:praise" not in _described(b)
    if store == "folder":
        assert len(mail_user.flags("Supportmail/Catalog")) == 1


def test_same_tag_last_writer_wins(account_config: Path, tmp_path: Path, store: str) -> None:
    with _open(account_config, tmp_path / "a") as a, _open(account_config, tmp_path / "b") as b:
        a.tag_catalog.set("team:support", description="first", share=False)
        b.tag_catalog.set("team:support", description="second", share=False)
        a.tag_catalog.sync()
        b.tag_catalog.sync()
        a.tag_catalog.sync()
        assert _described(a)["team:support"] == ("second", None)
        assert _described(b)["team:support"] == ("second", None)


def test_folder_race_leaves_two_messages_then_merges(
    account_config: Path, mail_user: MailUser, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two pushes that read the same old message both append; the next sync merges both."""
    monkeypatch.setattr(catalog_sync, "METADATA_CAPABILITY", "X-HIDDEN-METADATA")
    with _open(account_config, tmp_path / "a") as a, _open(account_config, tmp_path / "b") as b:
        a.tag_catalog.sync()
        assert a._connector is not None and b._connector is not None
        conn_a, conn_b = a._connector(), b._connector()
        try:
            store_a, _ = catalog_sync.choose_store(conn_a, "INBOX")
            store_b, _ = catalog_sync.choose_store(conn_b, "INBOX")
            a.tag_catalog.set("team:one", description="from a", share=False)
            b.tag_catalog.set("team:two", description="from b", share=False)
            from supportmail.storage.user.catalog import encode_document, merge

            store_a.write(encode_document(merge(a.userdb.catalog_entries())))
            store_b.write(encode_document(merge(b.userdb.catalog_entries())))
        finally:
            conn_a.close()
            conn_b.close()
        assert len(mail_user.flags("Supportmail/Catalog")) == 2
        a.tag_catalog.sync()
        b.tag_catalog.sync()
        assert _described(a) == _described(b)
        assert _described(a)["team:one"] == ("from a", None)
        assert _described(a)["team:two"] == ("from b", None)
        assert len(mail_user.flags("Supportmail/Catalog")) == 1


def test_a_teammates_catalog_change_reaches_a_running_window_without_mail_changing(
    account_config: Path, mail_user: MailUser, tmp_path: Path, store: str
) -> None:
    """A's live mirror (the open window) IDLEs on INBOX. B describes a tag and adds one: only
    the shared catalog changes (a METADATA entry, or a message in the catalog folder), which
    no IDLE on INBOX reports. The watcher probes the catalog at each check, and the sync that
    follows shares it although A shared it a moment ago (at most every SYNC_EVERY otherwise).
    Nothing else makes A sync meanwhile: no mail arrives, no flag changes."""
    mail_user.seed("INBOX", [m.raw for m in support_mailbox(2) if m.folder == "INBOX"])
    with _open(account_config, tmp_path / "a") as a, _open(account_config, tmp_path / "b") as b:
        a.sync()
        b.sync()
        events: list[LiveEvent] = []
        mirror = a.live(events.append, check_seconds=0.2, debounce=0.0)
        watching = threading.Thread(target=mirror.run, daemon=True)
        watching.start()
        try:
            _wait(lambda: mirror.watcher.mode == "idle" and mirror.syncs >= 2 and mirror.idle)
            syncs = mirror.syncs
            _info, problem = b.tag_catalog.set("category:docs-gap", description="missed docs")
            assert problem is None
            _wait(lambda: _described(a).get("category:docs-gap") == ("missed docs", None))
            assert mirror.syncs > syncs  # the probe made it sync
            b.tag_catalog.set("category:bug", description="it is broken")
            _wait(lambda: _described(a)["category:bug"] == ("it is broken", "1"))
            # A's own share changes the server's copy too: at most one more sync, then quiet.
            _wait(lambda: mirror.idle)
            settled = mirror.syncs
            deadline = time.monotonic() + 1.0  # five checks: no sync without a change
            while time.monotonic() < deadline:
                assert mirror.syncs <= settled + 1
                time.sleep(0.05)
        finally:
            mirror.stop()
            watching.join(10)
        assert not watching.is_alive()
        assert [e.detail for e in events if e.kind == "sync_failed"] == []


def _wait(check: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)
