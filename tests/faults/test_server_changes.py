"""The server changes under us: what other clients and admins do must not cost the user anything.

Each test builds the same starting point on a real Dovecot (``_Marks``): a thread whose tag was
pushed (its keyword is on the server), a thread with a tag edit still pending in the outbox, and
private notes on both. Then the server changes under the client:

* another client expunges messages while a first sync is fetching headers in batches;
* the folder is recreated (new UIDVALIDITY) with its messages, and without them;
* a configured folder is deleted;
* the server restarts between two syncs and in the middle of one;
* the server stops accepting keywords (PERMANENTFLAGS without ``\\*``) and stops offering
  CONDSTORE.

What must hold each time: the sync completes (or reports one clear line), nothing is duplicated,
pushed tags are still shown, pending edits are still pending, on the server, or parked when their
thread left the server (``supportmail tags --parked``), and every note is kept: on its thread,
or listed as unmatched (``supportmail notes --orphans``), never deleted.
A server with no ``\\*`` from the start and one without CONDSTORE from the start are covered by
``tests/integration/test_cli_sync.py``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from supportmail.storage.imap import ImapConnection
from supportmail.storage.models import SyncProgress, ThreadSummary
from supportmail.storage.service import CACHE_FILE, Service
from supportmail.storage.settings import load_settings
from supportmail.storage.sync.headers import FIRST_CHUNK
from supportmail.storage.threads import thread_id
from tests.command import account_config, run_cli
from tests.mailgen import GenMessage, support_mailbox

pytestmark = pytest.mark.dovecot

PUSHED = "team:billing"
PENDING = "category:bug"


# -- helpers ---------------------------------------------------------------------------------


def _config(user: Any, path: Path, folders: tuple[str, ...] = ("INBOX",)) -> Path:
    return account_config(user, path, folders)


@pytest.fixture
def config(mail_user: Any, tmp_path: Path) -> Path:
    return _config(mail_user, tmp_path / "server-changes.toml")


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return tmp_path / "data"


def _open(config: Path, data: Path) -> Service:
    settings = load_settings(config)
    return Service.open(settings, settings.account(None), data)


def _cli(config: Path, data: Path, *args: str) -> tuple[int, str, str]:
    return run_cli(config, data, *args)


def _mailbox(threads: int) -> list[GenMessage]:
    """``threads`` single-message conversations (INBOX only), oldest first."""
    return [m for m in support_mailbox(threads, replies=False) if m.folder == "INBOX"]


def _seed(user: Any, messages: list[GenMessage], folder: str = "INBOX") -> None:
    assert user.seed(folder, [m.raw for m in messages]) == len(messages)


def _by_root(service: Service) -> dict[str, ThreadSummary]:
    return {s.root_message_id: s for s in service.list_threads(raw=True)}


def _keywords_on_server(user: Any, folder: str = "INBOX") -> set[str]:
    return {kw for flags in user.flags(folder).values() for kw in flags}


@dataclass(frozen=True)
class _Marks:
    """What the user did before the server changed: one pushed tag, one pending edit, notes."""

    pushed_root: str
    pending_root: str

    @staticmethod
    def make(service: Service, pushed_root: str, pending_root: str) -> _Marks:
        """Tag ``pushed_root`` and push it, note both threads, then tag ``pending_root``
        without pushing."""
        service.edit_tags(pushed_root, [PUSHED])
        result = service.push()
        assert result.pushed == 1 and result.pending == 0, result
        service.set_note(pushed_root, f"note on {pushed_root}")
        service.set_note(pending_root, f"note on {pending_root}")
        service.edit_tags(pending_root, [PENDING])
        assert service.pending_count() == 1
        return _Marks(pushed_root, pending_root)

    def assert_notes_kept(self, service: Service) -> None:
        """Both notes still in the userdb, word for word (on a thread or unmatched)."""
        notes = service.userdb.notes(service.account)
        for root in (self.pushed_root, self.pending_root):
            assert notes.get(root) == f"note on {root}", (root, notes)

    def assert_attached(self, service: Service, user: Any, *, pushed: bool = True) -> None:
        """Both threads are listed with their tags and notes; the pending edit is either still
        pending or on the server now."""
        threads = _by_root(service)
        for root in (self.pushed_root, self.pending_root):
            assert root in threads, f"thread {root} is missing"
            assert threads[root].has_note
            assert service.note(root) == f"note on {root}"
        assert PUSHED in threads[self.pushed_root].tags
        assert PENDING in threads[self.pending_root].tags
        on_server = _keywords_on_server(user)
        assert PUSHED in on_server
        if pushed:
            assert PENDING in on_server and service.pending_count() == 0
        assert service.orphan_notes() == {}


# -- another client expunges during a batch fetch ---------------------------------------------


def test_expunge_during_the_batch_fetch_of_a_first_sync(
    mail_user: Any, config: Path, data: Path
) -> None:
    """The cache is deleted (a rebuild: the same as a first sync); while the sync commits its
    first chunk of headers (the newest), another client expunges 5 of those and 5 of the older
    ones not fetched yet. The sync completes without an error. Dovecot may still answer the
    headers of expunged messages from its own cache until it tells this session, so up to all
    10 can be cached when the sync ends; the next sync drops every one of them, and the one
    after that has nothing to do. Tags and notes of the surviving threads are all there."""
    messages = _mailbox(1500)
    _seed(mail_user, messages)
    with _open(config, data) as service:
        service.sync()
        marks = _Marks.make(service, messages[-1].message_id, messages[0].message_id)
    for name in (CACHE_FILE, CACHE_FILE + "-wal", CACHE_FILE + "-shm"):
        (data / "support" / name).unlink(missing_ok=True)

    uids = sorted(mail_user.flags("INBOX"))  # UID order == message order
    fetched_first = uids[-6:-1]  # in the first (newest) chunk; the newest keeps its tag and note
    not_yet = uids[1:6]  # in the later chunk; the oldest keeps its pending edit and note
    gone_ids = {messages[uids.index(u)].message_id for u in fetched_first + not_yet}
    expunged: list[int] = []

    def expunge_after_first_chunk(p: SyncProgress) -> None:
        if p.phase == "headers" and not expunged:
            expunged.append(p.done)
            mail_user.expunge("INBOX", fetched_first + not_yet)

    with _open(config, data) as service:
        result = service.sync(expunge_after_first_chunk)
        assert expunged == [FIRST_CHUNK], "the expunge did not happen between two header chunks"
        assert result.errors == () and result.pushed == 1
        stale = set(_by_root(service)) & gone_ids
        assert service.count_threads() == 1490 + len(stale)
        marks.assert_attached(service, mail_user)
    assert len(mail_user.flags("INBOX")) == 1490

    code, out, err = _cli(config, data, "sync")
    assert code == 0, err
    assert f"0 new, 0 changed, {len(stale)} gone, 0 tag edits pushed" in out
    with _open(config, data) as service:
        assert not (set(_by_root(service)) & gone_ids)
        assert service.count_threads() == 1490
        marks.assert_attached(service, mail_user)
    code, out, err = _cli(config, data, "sync")
    assert code == 0 and "0 new, 0 changed, 0 gone, 0 tag edits pushed" in out, (out, err)


def test_messages_expunged_mid_first_sync_are_gone_when_it_ends(
    mail_user: Any, config: Path, data: Path
) -> None:
    messages = _mailbox(800)
    _seed(mail_user, messages)
    uids = sorted(mail_user.flags("INBOX"))
    victims = uids[-3:]  # newest: fetched in the first chunk
    done: list[int] = []

    def expunge_after_first_chunk(p: SyncProgress) -> None:
        if p.phase == "headers" and not done:
            done.append(p.done)
            mail_user.expunge("INBOX", victims)

    with _open(config, data) as service:
        service.sync(expunge_after_first_chunk)
        assert done == [FIRST_CHUNK]
        assert service.count_threads() == 797


# -- UIDVALIDITY changes -----------------------------------------------------------------------


def test_uidvalidity_change_with_the_messages_reattaches_tags_and_notes(
    mail_user: Any, config: Path, data: Path
) -> None:
    """``test_cli_sync.py::test_uidvalidity_change_keeps_notes_and_pending_edits`` covers a
    pending edit and a note; here a pushed tag too, and thread ids stay the same."""
    messages = _mailbox(6)
    _seed(mail_user, messages)
    with _open(config, data) as service:
        service.sync()
        marks = _Marks.make(service, messages[1].message_id, messages[4].message_id)
        ids_before = {s.root_message_id: s.id for s in service.list_threads()}
    before = mail_user.uidvalidity("INBOX")
    assert mail_user.recreate_folder("INBOX", keep_messages=True) != before
    code, out, err = _cli(config, data, "sync")
    assert code == 0, err
    assert "UIDVALIDITY changed, refetched INBOX" in out and "1 tag edit pushed" in out
    with _open(config, data) as service:
        assert {s.root_message_id: s.id for s in service.list_threads()} == ids_before
        marks.assert_attached(service, mail_user)
        rows = service.cache.thread_messages(service.account, marks.pending_root)
        assert [PENDING in r.flags for r in rows] == [True]


def test_folder_recreated_without_its_messages_keeps_notes_and_pending_edits(
    mail_user: Any, config: Path, data: Path
) -> None:
    """The folder comes back empty: the notes stay in the userdb word for word and the edit
    is parked (kept in the outbox, no longer pending: "1 tag edit parked"). When the messages
    are appended again, the notes and the parked edit re-attach by Message-ID and the edit is
    pushed. (The pushed tag lived on the deleted messages; a re-append without flags does not
    bring it back: the server dropped it with them.)"""
    messages = _mailbox(4)
    _seed(mail_user, messages)
    with _open(config, data) as service:
        service.sync()
        marks = _Marks.make(service, messages[0].message_id, messages[2].message_id)
    mail_user.recreate_folder("INBOX", keep_messages=False)

    code, out, err = _cli(config, data, "sync")
    assert code == 0, err
    assert "UIDVALIDITY changed" in out and "0 tag edits pushed" in out
    assert "pending" not in out and "1 tag edit parked" in out
    with _open(config, data) as service:
        assert list(service.cache.folder_uids(service.account, "INBOX")) == []
        marks.assert_notes_kept(service)
        assert service.userdb.outbox(service.account) == []
        assert [e.keyword for e in service.userdb.outbox(service.account, parked=True)] == [PENDING]
    _seed(mail_user, messages)
    code, out, err = _cli(config, data, "sync")
    assert code == 0, err
    assert "4 new" in out and "1 tag edit pushed" in out
    with _open(config, data) as service:
        threads = _by_root(service)
        assert PENDING in threads[marks.pending_root].tags
        assert PUSHED not in threads[marks.pushed_root].tags
        assert service.orphan_notes() == {} and service.pending_count() == 0
        marks.assert_notes_kept(service)
        assert threads[marks.pushed_root].has_note and threads[marks.pending_root].has_note
    assert PENDING in _keywords_on_server(mail_user)


def test_folder_recreated_without_its_messages_lists_their_notes_as_unmatched(
    mail_user: Any, config: Path, data: Path
) -> None:
    messages = _mailbox(4)
    _seed(mail_user, messages)
    with _open(config, data) as service:
        service.sync()
        marks = _Marks.make(service, messages[0].message_id, messages[2].message_id)
    mail_user.recreate_folder("INBOX", keep_messages=False)
    assert _cli(config, data, "sync")[0] == 0
    with _open(config, data) as service:
        assert service.count_threads() == 0
        assert set(service.orphan_notes()) == {marks.pushed_root, marks.pending_root}


def test_thread_expunged_by_another_client_leaves_its_note_unmatched_and_listed(
    mail_user: Any, config: Path, data: Path
) -> None:
    """Another client expunges two threads: after the next sync their notes are unmatched,
    listed by ``notes`` (under their own heading) and ``notes --orphans``, and kept; the pending
    edit is parked, listed by ``tags --parked``. Appended again (a restore from backup), both
    threads get their notes back and the edit is pushed."""
    messages = _mailbox(5)
    _seed(mail_user, messages)
    with _open(config, data) as service:
        service.sync()
        marks = _Marks.make(service, messages[1].message_id, messages[3].message_id)
    uids = sorted(mail_user.flags("INBOX"))
    mail_user.expunge("INBOX", [uids[1], uids[3]])

    code, out, err = _cli(config, data, "sync")
    assert code == 0, err
    assert "2 gone" in out and "0 tag edits pushed" in out and "1 tag edit parked" in out
    assert "pending" not in out
    code, listed, _ = _cli(config, data, "tags", "--parked")
    assert code == 0 and f"{thread_id(marks.pending_root)}  +{PENDING}" in listed
    with _open(config, data) as service:
        assert service.count_threads() == 3
        assert set(service.orphan_notes()) == {marks.pushed_root, marks.pending_root}
        marks.assert_notes_kept(service)
    code, out, _ = _cli(config, data, "notes")
    assert code == 0
    matched, _, unmatched = out.partition("Unmatched notes (thread not in the cache")
    assert matched == "" and unmatched
    code, out, _ = _cli(config, data, "notes", "--orphans")
    assert code == 0 and out.startswith("Unmatched notes")
    for root in (marks.pushed_root, marks.pending_root):
        assert f"{thread_id(root)}  <{root}>" in out and f"note on {root}" in out
    assert _cli(config, data, "note", thread_id(marks.pending_root), "--show")[1] == (
        f"note on {marks.pending_root}\n"
    )

    _seed(mail_user, [messages[1], messages[3]])
    code, out, err = _cli(config, data, "sync")
    assert code == 0 and "2 new" in out and "1 tag edit pushed" in out, (out, err)
    with _open(config, data) as service:
        assert service.orphan_notes() == {}
        threads = _by_root(service)
        assert threads[marks.pushed_root].has_note and threads[marks.pending_root].has_note
        assert PENDING in threads[marks.pending_root].tags
    assert _cli(config, data, "notes", "--orphans")[1] == ""  # no unmatched note left


# -- a configured folder is deleted ------------------------------------------------------------


def _two_folders(
    mail_user: Any, tmp_path: Path, order: tuple[str, str] = ("INBOX", "Escalations")
) -> tuple[Path, list[GenMessage], list[GenMessage]]:
    mail_user.create_folder("Escalations")
    inbox, escalated = _mailbox(6)[:3], _mailbox(6)[3:]
    _seed(mail_user, inbox)
    _seed(mail_user, escalated, "Escalations")
    return _config(mail_user, tmp_path / "two.toml", order), inbox, escalated


def test_deleted_folder_is_reported_in_one_line_and_nothing_is_lost(
    mail_user: Any, tmp_path: Path, data: Path
) -> None:
    """Sync skips the missing folder with one clause in its one summary line, every time (no
    loop, no crash, exit 0) and syncs the others. The deleted folder's cached messages are
    kept (still listed, with their tags and notes) until the folder leaves the config; the
    pending edit is kept."""
    config, inbox, escalated = _two_folders(mail_user, tmp_path)
    with _open(config, data) as service:
        service.sync()
        assert service.count_threads() == 6
        service.edit_tags(escalated[0].message_id, [PUSHED])
        assert service.push().pushed == 1
        service.set_note(escalated[0].message_id, "escalated to Maya")
        marks = _Marks.make(service, inbox[0].message_id, inbox[1].message_id)
    mail_user.delete_folder("Escalations")
    mail_user.append("INBOX", _mailbox(7)[6].raw)

    for new in (1, 0):
        code, out, err = _cli(config, data, "sync")
        assert code == 3 and err == "", err  # a missing folder: exit 3 (issue 13)
        lines = out.splitlines()
        assert len(lines) == 1
        assert lines[0].startswith(f"support: 2 folders, {new} new")
        assert "; folder not found on server: Escalations" in lines[0]
    with _open(config, data) as service:
        assert service.count_threads() == 7  # 3 + 1 new in INBOX, 3 kept from Escalations
        marks.assert_attached(service, mail_user, pushed=False)
        # pushed although a configured folder is gone
        assert service.pending_count() == 0
        assert PENDING in _keywords_on_server(mail_user)
        threads = _by_root(service)
        assert PUSHED in threads[escalated[0].message_id].tags
        assert service.note(escalated[0].message_id) == "escalated to Maya"


def test_a_missing_folder_does_not_stop_edits_in_the_others_from_being_pushed(
    mail_user: Any, tmp_path: Path, data: Path
) -> None:
    config, inbox, _escalated = _two_folders(mail_user, tmp_path)
    with _open(config, data) as service:
        service.sync()
        service.edit_tags(inbox[0].message_id, [PENDING])
    mail_user.delete_folder("Escalations")
    code, out, err = _cli(config, data, "sync")
    assert code == 3 and "1 tag edit pushed" in out and "refused" not in out, (out, err)
    assert PENDING in _keywords_on_server(mail_user)


def test_a_pending_edit_in_a_deleted_folder_does_not_fail_the_sync(
    mail_user: Any, tmp_path: Path, data: Path
) -> None:
    config, inbox, escalated = _two_folders(mail_user, tmp_path, ("Escalations", "INBOX"))
    with _open(config, data) as service:
        service.sync()
        service.edit_tags(escalated[0].message_id, [PENDING])  # first in the outbox
        service.edit_tags(inbox[0].message_id, [PUSHED])
    mail_user.delete_folder("Escalations")
    code, out, err = _cli(config, data, "sync")
    assert code == 3, err  # a missing folder: exit 3 (issue 13)
    assert "1 tag edit pushed, 1 pending" in out and "folder not found on server" in out
    assert PUSHED in _keywords_on_server(mail_user)


# -- the server restarts -----------------------------------------------------------------------


def test_server_restart_between_two_syncs(
    mail_user: Any, dovecot: Any, config: Path, data: Path
) -> None:
    messages = _mailbox(5)
    _seed(mail_user, messages)
    with _open(config, data) as service:
        service.sync()
        marks = _Marks.make(service, messages[0].message_id, messages[3].message_id)
    dovecot.restart()
    code, out, err = _cli(config, data, "sync")
    assert code == 0, err
    assert "0 new, 0 changed, 0 gone, 1 tag edit pushed" in out
    with _open(config, data) as service:
        marks.assert_attached(service, mail_user)


@pytest.fixture
def restarted(dovecot: Any) -> Iterator[list[str]]:
    """Phases in which the test restarted the server; makes sure it is up again afterwards."""
    phases: list[str] = []
    yield phases
    if not dovecot.running:
        dovecot.restart()


def test_server_restart_during_header_fetch_and_during_push(
    mail_user: Any, dovecot: Any, config: Path, data: Path, restarted: list[str]
) -> None:
    """Restarted once after the first header chunk of 1,200 new messages and once while the
    outbox is pushed: the engine reconnects (with backoff) and resumes each time; nothing is
    cached twice and each edit lands once."""
    first = _mailbox(1205)
    _seed(mail_user, first[:5])
    with _open(config, data) as service:
        service.sync()
        marks = _Marks.make(service, first[0].message_id, first[3].message_id)
        service.edit_tags(first[4].message_id, ["team:mobile"])
    _seed(mail_user, first[5:])

    def restart_twice(p: SyncProgress) -> None:
        if p.phase == "headers" and "headers" not in restarted:
            restarted.append("headers")
            dovecot.restart()
        elif p.phase == "push" and p.done == 1 and "push" not in restarted:
            restarted.append("push")
            dovecot.restart()

    with _open(config, data) as service:
        result = service.sync(restart_twice)
        assert restarted == ["headers", "push"]
        assert result.errors == () and result.pending == 0 and result.pushed == 2
        assert service.count_threads() == 1205
        marks.assert_attached(service, mail_user)
        rows = service.cache.thread_messages(service.account, first[4].message_id)
        assert ["team:mobile" in r.flags for r in rows] == [True]
    flags = mail_user.flags("INBOX")
    assert sum("team:mobile" in f for f in flags.values()) == 1
    assert sum(PENDING in f for f in flags.values()) == 1
    code, out, err = _cli(config, data, "sync")
    assert code == 0 and "0 new, 0 changed, 0 gone, 0 tag edits pushed" in out, (out, err)


# -- PERMANENTFLAGS without \* and CONDSTORE off, appearing under a running setup -----------


def test_server_stops_storing_keywords_tags_stay_and_edits_wait(
    mail_user: Any, config: Path, data: Path
) -> None:
    """The admin revokes the right to store keywords (PERMANENTFLAGS loses ``\\*``): pushed tags
    are still fetched and shown, the pending edit stays local with one clause in the summary;
    once the right is back, the next sync pushes it."""
    messages = _mailbox(4)
    _seed(mail_user, messages)
    with _open(config, data) as service:
        service.sync()
        marks = _Marks.make(service, messages[0].message_id, messages[2].message_id)
    mail_user.set_keyword_rights(False)
    try:
        code, out, err = _cli(config, data, "sync")
        assert code == 0, err
        assert "0 tag edits pushed, 1 pending" in out
        assert "tags stay local in INBOX (server does not store keywords)" in out
        with _open(config, data) as service:
            marks.assert_attached(service, mail_user, pushed=False)
            assert service.pending_count() == 1
        assert PENDING not in _keywords_on_server(mail_user)
    finally:
        mail_user.set_keyword_rights(True)
    code, out, err = _cli(config, data, "sync")
    assert code == 0 and "1 tag edit pushed" in out, (out, err)
    with _open(config, data) as service:
        marks.assert_attached(service, mail_user)


def test_server_drops_condstore_between_syncs(
    mail_user: Any, config: Path, data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first sync had CONDSTORE (a HIGHESTMODSEQ is stored); then the server no longer
    offers it: the next syncs diff every flag, see a teammate's change, keep the pushed tag and
    push the pending edit; when CONDSTORE is back the stored state still works.
    (``test_cli_sync.py::test_sync_without_condstore_diffs_flags``: no CONDSTORE from the
    start.)"""
    messages = _mailbox(4)
    _seed(mail_user, messages)
    with _open(config, data) as service:
        service.sync()
        marks = _Marks.make(service, messages[0].message_id, messages[2].message_id)
    uids = sorted(mail_user.flags("INBOX"))
    mail_user.set_flags("INBOX", [uids[3]], ["category:praise"])
    with monkeypatch.context() as patch:
        patch.setattr(ImapConnection, "condstore", property(lambda self: False))
        code, out, err = _cli(config, data, "sync")
        assert code == 0, err
        assert "1 changed" in out and "1 tag edit pushed" in out
        with _open(config, data) as service:
            marks.assert_attached(service, mail_user)
            assert "category:praise" in _by_root(service)[messages[3].message_id].tags
    mail_user.set_flags("INBOX", [uids[1]], ["team:mobile"])
    code, out, err = _cli(config, data, "sync")
    assert code == 0 and "1 changed" in out, (out, err)
    with _open(config, data) as service:
        marks.assert_attached(service, mail_user)
        assert "team:mobile" in _by_root(service)[messages[1].message_id].tags
