"""The live window against the real Dovecot: persistent sessions, the watcher and the live mirror.

"The other client" is ``MailUser`` (its own short imaplib sessions). Every wait is on a condition
with a generous deadline, never a fixed sleep. The proxies of ``tests/faults/proxy.py`` count
logins, cut a connection mid-IDLE, or hide IDLE from the capabilities (Dovecot stays behind).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from supportmail.storage.models import LiveEvent, ThreadQuery
from supportmail.storage.service import Service, ServiceError
from supportmail.storage.settings import load_settings
from tests.dovecot import MailUser
from tests.faults.proxy import CountingProxy, Fault, FaultProxy, NoIdleProxy
from tests.mailgen import message

pytestmark = pytest.mark.dovecot

DEADLINE = 20.0


def wait_for(check: Callable[[], bool], what: str, timeout: float = DEADLINE) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")
        time.sleep(0.02)


def open_service(tmp_path: Path, user: MailUser, port: int | None = None) -> Service:
    config = tmp_path / "config.toml"
    config.write_text(
        "[accounts.support]\n"
        'host = "127.0.0.1"\n'
        f"port = {port or user.port}\n"
        'tls = "none"\n'
        f'username = "{user.username}"\n'
        f'password_command = "printf {user.password}"\n'
        'folders = ["INBOX"]\n'
        "timeout = 5\n",
        encoding="utf-8",
    )
    settings = load_settings(config)
    return Service.open(settings, settings.account(None), tmp_path / "data")


def mail(n: int, subject: str) -> bytes:
    return message(
        message_id=f"live{n}.{time.monotonic_ns()}@customer.example",
        subject=subject,
        sender=f"Customer {n} <c{n}@customer.example>",
        to="Support <support@acme.example>",
        date=datetime(2026, 11, 20, 9, n % 60, tzinfo=UTC),
        body=f"Hello,\n\nmessage number {n}.\n\nThanks",
    )


def subjects(service: Service) -> set[str]:
    return {t.subject for t in service.list_threads(ThreadQuery())}


def tags_of(service: Service, subject: str) -> tuple[str, ...]:
    found = [t for t in service.list_threads(ThreadQuery()) if t.subject == subject]
    return found[0].tags if found else ()


class Events:
    """Collects a mirror's events (from its threads) for the test to wait on."""

    def __init__(self) -> None:
        self.items: list[LiveEvent] = []
        self._lock = threading.Lock()

    def __call__(self, event: LiveEvent) -> None:
        with self._lock:
            self.items.append(event)

    def kinds(self) -> list[str]:
        with self._lock:
            return [e.kind for e in self.items if e.kind != "progress"]

    def count(self, kind: str) -> int:
        return self.kinds().count(kind)

    def online(self) -> list[str]:
        with self._lock:
            return [e.detail for e in self.items if e.kind == "online"]


@pytest.fixture
def running() -> Iterator[Callable[..., tuple[Service, Events]]]:
    """``running(service, **live_options)``: the service's live mirror running in a thread;
    stopped and the service closed at the end."""
    started: list[tuple[Service, threading.Thread]] = []

    def start(service: Service, **options: object) -> tuple[Service, Events]:
        events = Events()
        mirror = service.live(events, **options)  # type: ignore[arg-type]
        thread = threading.Thread(target=mirror.run, daemon=True)
        thread.start()
        started.append((service, thread))
        wait_for(lambda: events.count("synced") >= 1, "the initial sync")
        wait_for(lambda: bool(events.online()), "the watcher online")
        wait_for(lambda: mirror.idle, "the sync after the watcher listens")
        return service, events

    yield start
    for service, thread in started:
        service.close()
        thread.join(10)
        assert not thread.is_alive(), "the live mirror did not stop"


def test_idle_sees_an_append_and_a_keyword_store(
    mail_user: MailUser, tmp_path: Path, running: Callable[..., tuple[Service, Events]]
) -> None:
    uid = mail_user.append("INBOX", mail(1, "Invoice is wrong"))
    service, events = running(open_service(tmp_path, mail_user))
    assert events.online() == ["idle"]
    assert "Invoice is wrong" in subjects(service)

    mail_user.append("INBOX", mail(2, "Export crashes since the update"))
    wait_for(lambda: "Export crashes since the update" in subjects(service), "the new message")

    mail_user.set_flags("INBOX", [uid], ["category:bug"])
    wait_for(
        lambda: "category:bug" in tags_of(service, "Invoice is wrong"), "the teammate's keyword"
    )
    # One login per session used: the syncs share one, the watcher has its own.
    assert service.logins == {"sync": 1, "interactive": 0, "watch": 1}


def test_a_cut_mid_idle_reconnects_and_sees_changes_again(
    mail_user: MailUser,
    tmp_path: Path,
    running: Callable[..., tuple[Service, Events]],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The records of the live mirror's logger, whatever an earlier in-process CLI run did to the
    # "supportmail" logger (tui.logfile stops it propagating to the root, where caplog listens).
    records: list[logging.LogRecord] = []
    handler = logging.Handler(logging.INFO)
    handler.emit = records.append  # type: ignore[method-assign]
    live_log = logging.getLogger("supportmail.storage.sync.live")
    monkeypatch.setattr(live_log, "handlers", [*live_log.handlers, handler])
    monkeypatch.setattr(live_log, "level", logging.INFO)
    mail_user.append("INBOX", mail(1, "Before the cut"))
    with FaultProxy(mail_user.host, mail_user.port) as proxy:
        proxy.arm(Fault("cut", after_client=rb"IDLE\r\n"))
        service, events = running(open_service(tmp_path, mail_user, proxy.port), backoff=(0.2, 0.5))
        wait_for(proxy.fired.is_set, "the cut")
        wait_for(lambda: events.count("offline") == 1, "offline reported")
        wait_for(lambda: len(events.online()) == 2, "back online")
        kinds = events.kinds()
        assert kinds.index("offline") < len(kinds) - 1 - kinds[::-1].index("online")
        offline = next(e for e in events.items if e.kind == "offline")
        assert offline.detail and "\n" not in offline.detail
        # The log says when the window was offline and why, and when it came back.
        logged = [(r.levelno, r.getMessage()) for r in records]
        assert (logging.WARNING, f"offline: {offline.detail}") in logged, logged
        assert any(level == logging.INFO and "back online" in text for level, text in logged)
        mail_user.append("INBOX", mail(2, "After the cut"))
        wait_for(lambda: "After the cut" in subjects(service), "the message after the cut")


def test_a_server_without_idle_is_polled(
    mail_user: MailUser, tmp_path: Path, running: Callable[..., tuple[Service, Events]]
) -> None:
    with NoIdleProxy(mail_user.host, mail_user.port) as proxy:
        service, events = running(open_service(tmp_path, mail_user, proxy.port), poll_seconds=0.5)
        assert events.online() == ["polling"]
        uid = mail_user.append("INBOX", mail(1, "Seen by polling"))
        wait_for(lambda: "Seen by polling" in subjects(service), "the polled message")
        mail_user.set_flags("INBOX", [uid], ["team:billing"])
        wait_for(lambda: "team:billing" in tags_of(service, "Seen by polling"), "the keyword")


def test_a_burst_of_tag_pushes_logs_in_once(mail_user: MailUser, tmp_path: Path) -> None:
    for n in range(6):
        mail_user.append("INBOX", mail(n, f"Question {n}"))
    with CountingProxy(mail_user.host, mail_user.port) as proxy:
        service = open_service(tmp_path, mail_user, proxy.port)
        try:
            service.sync()
            service.sync()
            assert proxy.logins == 1
            for thread in service.list_threads(ThreadQuery()):
                result = service.edit_tags(thread.id, ["team:billing"], push=True)
                assert result.pushed and result.push_error is None
            assert service.pending_count() == 0
            assert proxy.logins == 2  # the sync session's and the interactive session's
            assert service.logins == {"sync": 1, "interactive": 1, "watch": 0}
        finally:
            service.close()
    flags = mail_user.flags("INBOX")
    assert all("team:billing" in f for f in flags.values())


def test_a_dropped_interactive_session_is_re_established(
    mail_user: MailUser, tmp_path: Path
) -> None:
    mail_user.append("INBOX", mail(1, "One"))
    mail_user.append("INBOX", mail(2, "Two"))
    service = open_service(tmp_path, mail_user)
    try:
        service.sync()
        first, second = service.list_threads(ThreadQuery())
        service.edit_tags(first.id, ["team:tech"], push=True)
        assert mail_user.kill_imap_processes() >= 1
        result = service.edit_tags(second.id, ["team:tech"], push=True)
        assert result.pushed, result.push_error
        assert service.logins["interactive"] == 2
    finally:
        service.close()


def test_opening_a_thread_does_not_wait_for_a_running_sync(
    mail_user: MailUser, tmp_path: Path
) -> None:
    mail_user.append("INBOX", mail(1, "Already synced"))
    with FaultProxy(mail_user.host, mail_user.port) as proxy:
        service = open_service(tmp_path, mail_user, proxy.port)
        try:
            service.sync()
            (thread,) = service.list_threads(ThreadQuery())
            mail_user.append("INBOX", mail(2, "Arrives during the stalled sync"))
            # The next sync stalls in its header fetch: the server seems to hang.
            proxy.arm(Fault("stall", after_client=rb"BODY\.PEEK\[HEADER"))
            syncing = threading.Thread(target=_sync_quietly, args=(service,), daemon=True)
            syncing.start()
            wait_for(proxy.fired.is_set, "the sync stalled")
            began = time.monotonic()
            detail = service.thread(thread.id, fetch=True)
            took = time.monotonic() - began
            assert syncing.is_alive(), "the sync was expected to be stuck still"
            assert detail.messages[0].body_loaded
            assert "message number 1" in detail.messages[0].text
            assert took < 5, f"opening the thread waited {took:.1f} s"  # the sync waits 5 s+
        finally:
            service.close()
        syncing.join(15)
        assert not syncing.is_alive()


def _sync_quietly(service: Service) -> None:
    try:
        service.sync()
    except Exception:  # interrupted by close(): that is the point
        return


def test_a_burst_of_teammates_changes_makes_one_sync(
    mail_user: MailUser, tmp_path: Path, running: Callable[..., tuple[Service, Events]]
) -> None:
    uids = [mail_user.append("INBOX", mail(n, f"Burst {n}")) for n in range(10)]
    service, events = running(open_service(tmp_path, mail_user))
    before = events.count("syncing")
    with mail_user.session() as client:  # a teammate tags ten threads, one STORE each
        client.select("INBOX")
        for uid in uids:
            client.uid("STORE", str(uid), "+FLAGS.SILENT", "(team:billing)")
    wait_for(
        lambda: all("team:billing" in tags_of(service, f"Burst {n}") for n in range(10)),
        "all ten tags",
    )
    assert events.count("syncing") - before <= 2  # one, two if the burst straddled a sync


def test_a_refused_command_keeps_the_session(mail_user: MailUser, tmp_path: Path) -> None:
    """The server saying NO (a folder that does not exist) leaves the connection usable: no
    new login for the next call (a sync that meets the same refusal every time would log in
    every time). A lost connection is re-established."""
    service = open_service(tmp_path, mail_user)
    try:
        with pytest.raises(ServiceError, match="does not exist"):
            service.on_server(lambda conn: conn.select("No such folder"))
        assert service.on_server(lambda conn: conn.select("INBOX").name) == "INBOX"
        assert service.logins["interactive"] == 1
        assert mail_user.kill_imap_processes() >= 1
        assert service.on_server(lambda conn: conn.select("INBOX").name) == "INBOX"
        assert service.logins["interactive"] == 2
    finally:
        service.close()
