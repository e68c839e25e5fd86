"""supportmail.storage.imap against a real Dovecot (tests/dovecot.py), plus its pure helpers.

The "other client" (``MailUser`` helpers, plain imaplib) checks what the server really stored.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from supportmail.storage.hosts import is_loopback
from supportmail.storage.imap import (
    FlagRecord,
    ImapAuthError,
    ImapConnection,
    ImapConnectionLost,
    ImapError,
    ImapRefused,
    fetch,
    fetchparse,
    parse_fetch,
    parse_internaldate,
    parse_uid_set,
    search,
    uid_sets,
)
from tests.dovecot import Dovecot, MailUser

FIELDS = ["From", "Subject", "Message-ID", "References", "Date"]


def _message(n: int, subject: str | None = None) -> bytes:
    return (
        f"From: Customer {n} <c{n}@example.com>\r\n"
        f"To: support@example.com\r\n"
        f"Subject: {subject or f'Order problem {n}'}\r\n"
        f"Message-ID: <m{n}@example.com>\r\n"
        "Date: Mon, 03 Nov 2025 10:00:00 +0000\r\n"
        "\r\n"
        f"Hello, this is request {n}.\r\n"
    ).encode()


def _connect(user: MailUser, **kwargs: object) -> ImapConnection:
    conn = ImapConnection(user.host, user.port, "none", user.username, user.password, **kwargs)  # type: ignore[arg-type]
    conn.connect()
    return conn


@pytest.fixture
def conn(mail_user: MailUser) -> Iterator[ImapConnection]:
    connection = _connect(mail_user)
    try:
        yield connection
    finally:
        connection.close()


# ---------------------------------------------------------------------------------------------
# Pure helpers (no server)
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("host", "expected"),
    [
        ("127.0.0.1", True),
        ("127.5.6.7", True),
        ("::1", True),
        ("[::1]", True),
        ("::ffff:127.0.0.1", True),
        ("localhost", True),
        ("LOCALHOST.", True),
        ("10.0.0.1", False),
        ("imap.example.com", False),
        ("localhost.example.com", False),
        ("", False),
    ],
)
def test_is_loopback(host: str, expected: bool) -> None:
    assert is_loopback(host) is expected


def test_uid_sets_are_compact_sorted_and_split() -> None:
    assert uid_sets([5, 1, 2, 3, 9, 10, 3]) == ["1:3,5,9:10"]
    assert uid_sets([]) == []
    chunks = uid_sets(range(1, 20001, 2), max_chars=100)
    assert all(len(chunk) <= 100 for chunk in chunks)
    assert [uid for chunk in chunks for uid in parse_uid_set(chunk)] == list(range(1, 20001, 2))
    with pytest.raises(ValueError):
        uid_sets([0])


def test_parse_uid_set() -> None:
    assert parse_uid_set("1:3,7,10:9") == [1, 2, 3, 7, 9, 10]


def test_parse_internaldate_is_aware_and_locale_free() -> None:
    assert parse_internaldate(" 3-Nov-2025 10:00:00 +0130") == datetime(
        2025, 11, 3, 10, 0, tzinfo=timezone(timedelta(hours=1, minutes=30))
    )
    assert parse_internaldate("31-Feb-2025 10:00:00 +0000") is None
    assert parse_internaldate("garbage") is None


def test_parse_fetch_handles_literals_quoted_strings_and_nil() -> None:
    data = [
        (b'7 (UID 12 FLAGS (\\Seen $Label1) X-NAME "a \\"q\\" b" BODY[HEADER] {5}', b"ab\r\n\r"),
        b" MODSEQ (44))",
        b"8 (UID 13 BODY[] NIL)",
        (b"9 (BODY[1] {2}", b"xy"),
        (b" BODY[2] {1}", b"z"),
        b" UID 14)",
    ]
    first, second, third = parse_fetch(data)
    assert first[b"UID"] == b"12"
    assert first[b"FLAGS"] == [b"\\Seen", b"$Label1"]
    assert first[b"X-NAME"] == b'a "q" b'
    assert first[b"BODY[HEADER]"] == b"ab\r\n\r"
    assert first[b"MODSEQ"] == [b"44"]
    assert second[b"BODY[]"] == b"NIL" and not isinstance(second[b"BODY[]"], fetchparse.String)
    assert third[b"BODY[1]"] == b"xy" and third[b"BODY[2]"] == b"z" and third[b"UID"] == b"14"


def test_parse_fetch_rejects_garbage() -> None:
    with pytest.raises(ValueError):
        parse_fetch([b"7 (UID 12 FLAGS (\\Seen)"])
    with pytest.raises(ValueError):
        parse_fetch([b"not a fetch response"])


# ---------------------------------------------------------------------------------------------
# Connecting
# ---------------------------------------------------------------------------------------------


@pytest.mark.dovecot
def test_connect_logs_in_and_enables_qresync(conn: ImapConnection) -> None:
    assert {"CONDSTORE", "QRESYNC", "ESEARCH", "IDLE"} <= conn.capabilities
    assert conn.condstore and conn.qresync
    assert "INBOX" in conn.list_folders()


@pytest.mark.dovecot
def test_user_names_with_special_characters_log_in(dovecot: Dovecot) -> None:
    user = dovecot.add_user("first.last-support@example.com", 'pa ss"w\\rd')
    with _connect(user) as conn:
        assert conn.select("INBOX").exists == 0


@pytest.mark.dovecot
def test_bad_password_is_an_auth_error_without_the_password(mail_user: MailUser) -> None:
    wrong = "Wrong-Pa55word"
    bad = ImapConnection(mail_user.host, mail_user.port, "none", mail_user.username, wrong)
    with pytest.raises(ImapAuthError) as caught:
        bad.connect()
    message = str(caught.value)
    assert message.startswith(f"login failed for user {mail_user.username}")
    assert wrong not in message and "\n" not in message and "Traceback" not in message
    assert not bad.connected


@pytest.mark.dovecot
def test_plaintext_to_a_remote_host_is_refused_before_any_socket_opens(
    mail_user: MailUser, monkeypatch: pytest.MonkeyPatch
) -> None:
    attempts: list[object] = []

    def record(*args: object, **kwargs: object) -> None:
        attempts.append(args)
        raise AssertionError("a socket was opened")

    monkeypatch.setattr(socket, "create_connection", record)
    monkeypatch.setattr(socket.socket, "connect", record)
    remote = ImapConnection("192.0.2.10", 143, "none", mail_user.username, mail_user.password)
    with pytest.raises(ImapRefused) as caught:
        remote.connect()
    assert attempts == []
    assert mail_user.password not in str(caught.value)


@pytest.mark.dovecot
def test_nothing_listening_is_connection_lost(dovecot: Dovecot) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with pytest.raises(ImapConnectionLost, match="connection refused"):
        ImapConnection("127.0.0.1", port, "none", "nobody", "pw", timeout=5).connect()


def test_calls_before_connect_raise_connection_lost() -> None:
    idle = ImapConnection("127.0.0.1", 1, "none", "u", "p")
    with pytest.raises(ImapConnectionLost):
        idle.select("INBOX")
    with pytest.raises(ImapConnectionLost):
        idle.uids()
    idle.close()


@pytest.fixture(scope="module")
def tls_dovecot(dovecot: Dovecot, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dovecot]:
    """A second server with a self-signed certificate (``dovecot`` handles availability)."""
    server = Dovecot(tls=True)
    server.start(tmp_path_factory.mktemp("dovecot-tls"))
    try:
        yield server
    finally:
        server.stop()


@pytest.mark.dovecot
@pytest.mark.parametrize("mode", ["implicit", "starttls"])
def test_tls_verifies_the_certificate_and_ca_file_pins_it(tls_dovecot: Dovecot, mode: str) -> None:
    user = tls_dovecot.add_user(f"tls-{mode}", "tls-secret")
    assert tls_dovecot.tls_port is not None
    port = tls_dovecot.tls_port if mode == "implicit" else tls_dovecot.port
    untrusted = ImapConnection("127.0.0.1", port, mode, user.username, user.password)  # type: ignore[arg-type]
    with pytest.raises(ImapRefused, match=r"^127\.0\.0\.1:\d+: certificate not trusted \(self-s"):
        untrusted.connect()
    pinned = ImapConnection(
        "127.0.0.1",
        port,
        mode,
        user.username,
        user.password,
        ca_file=str(tls_dovecot.tls_cert),  # type: ignore[arg-type]
    )
    with pinned:
        assert pinned.select("INBOX").exists == 0


@pytest.mark.dovecot
def test_starttls_without_server_support_is_refused(mail_user: MailUser) -> None:
    conn = ImapConnection(mail_user.host, mail_user.port, "starttls", mail_user.username, "x")
    with pytest.raises(ImapRefused, match="does not offer STARTTLS"):
        conn.connect()


# ---------------------------------------------------------------------------------------------
# Folders
# ---------------------------------------------------------------------------------------------


@pytest.mark.dovecot
def test_select_reports_status_and_uidvalidity_changes(
    mail_user: MailUser, conn: ImapConnection
) -> None:
    for n in range(3):
        mail_user.append("INBOX", _message(n))
    status = conn.select("INBOX")
    assert (status.name, status.exists, status.uidnext) == ("INBOX", 3, 4)
    assert status.uidvalidity == mail_user.uidvalidity("INBOX")
    assert status.highestmodseq is not None and status.highestmodseq > 0
    assert status.permanent_keywords is True

    mail_user.create_folder("Archive")
    before = conn.select("Archive").uidvalidity
    after = mail_user.recreate_folder("Archive")
    assert after != before and conn.select("Archive").uidvalidity == after

    new_inbox = mail_user.recreate_folder("INBOX", keep_messages=True)
    again = conn.select("INBOX")
    assert again.uidvalidity == new_inbox != status.uidvalidity
    assert again.exists == 3


@pytest.mark.dovecot
def test_select_missing_folder(conn: ImapConnection) -> None:
    with pytest.raises(ImapError, match=r"^folder 'Nope' does not exist$"):
        conn.select("Nope")
    conn.select("INBOX")  # the connection is still usable


@pytest.mark.dovecot
def test_folder_names_round_trip_utf7(mail_user: MailUser, conn: ImapConnection) -> None:
    mail_user.create_folder("Kunden/Rückfragen & Co")
    assert "Kunden/Rückfragen & Co" in conn.list_folders()
    assert conn.select("Kunden/Rückfragen & Co").exists == 0


@pytest.mark.dovecot
def test_noperm_user_has_no_permanent_keywords(noperm_user: MailUser) -> None:
    uid = noperm_user.append("INBOX", _message(1))
    with _connect(noperm_user) as conn:
        assert conn.select("INBOX").permanent_keywords is False
        conn.store_keyword([uid], "team:billing", True)  # Dovecot ignores it silently
    assert noperm_user.flags("INBOX")[uid] == ()


# ---------------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------------


@pytest.mark.dovecot
def test_uids_lists_every_message(mail_user: MailUser, conn: ImapConnection) -> None:
    assert mail_user.seed("INBOX", (_message(n) for n in range(300))) == 300
    mail_user.expunge("INBOX", [5, 6, 7, 100, 300])
    conn.select("INBOX")
    assert (
        conn.uids()
        == sorted(mail_user.flags("INBOX"))
        == [uid for uid in range(1, 301) if uid not in {5, 6, 7, 100, 300}]
    )


@pytest.mark.dovecot
def test_uids_in_chunks_and_without_esearch(
    mail_user: MailUser, conn: ImapConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    mail_user.seed("INBOX", (_message(n) for n in range(60)))
    mail_user.expunge("INBOX", range(10, 40, 3))
    expected = sorted(mail_user.flags("INBOX"))
    conn.select("INBOX")
    monkeypatch.setattr(search, "_ESEARCH_SINGLE_MAX", 10)
    monkeypatch.setattr(search, "_ESEARCH_SPAN", 7)
    assert conn.uids() == expected
    monkeypatch.setattr(conn, "_capabilities", conn.capabilities - {"ESEARCH"})
    assert conn.uids() == expected


@pytest.mark.dovecot
def test_empty_folder(conn: ImapConnection) -> None:
    conn.select("INBOX")
    assert conn.uids() == []
    assert conn.fetch_flags() == []
    assert conn.fetch_headers([1, 2], FIELDS) == []


@pytest.mark.dovecot
def test_fetch_headers_returns_headers_and_flags_without_setting_seen(
    mail_user: MailUser, conn: ImapConnection
) -> None:
    when = datetime(2025, 11, 3, 9, 30, tzinfo=UTC)
    first = mail_user.append("INBOX", _message(1), flags=["$Forwarded", "team:billing"], date=when)
    second = mail_user.append("INBOX", _message(2, subject="=?utf-8?q?R=C3=BCckfrage?="))
    conn.select("INBOX")
    records = conn.fetch_headers([second, first, 999], FIELDS)
    assert [r.uid for r in records] == [second, first]
    one = records[1]
    assert one.header.startswith(b"From: Customer 1 <c1@example.com>\r\nSubject: Order problem 1")
    assert b"Hello" not in one.header and b"To:" not in one.header
    assert set(one.flags) == {"$Forwarded", "team:billing"}
    assert one.internaldate == when
    assert one.size == len(_message(1))
    assert one.modseq is not None
    assert b"=?utf-8?q?R=C3=BCckfrage?=" in records[0].header
    assert all("\\Seen" not in flags for flags in mail_user.flags("INBOX").values())


@pytest.mark.dovecot
def test_fetch_headers_general_parser_agrees_with_fast_path(
    mail_user: MailUser, conn: ImapConnection, monkeypatch: pytest.MonkeyPatch
) -> None:
    mail_user.seed("INBOX", (_message(n) for n in range(20)), flags=["\\Flagged", "kw:x"])
    conn.select("INBOX")
    uids = conn.uids()
    fast = conn.fetch_headers(uids, FIELDS)
    monkeypatch.setattr(fetch, "fast_header_record", lambda group: None)
    assert conn.fetch_headers(uids, FIELDS) == fast
    assert conn.fetch_headers(uids[:1], [])[0].header.startswith(b"From: ")


@pytest.mark.dovecot
def test_fetch_flags_changedsince_returns_only_changed(
    mail_user: MailUser, conn: ImapConnection
) -> None:
    uids = [mail_user.append("INBOX", _message(n), flags=["\\Seen"]) for n in range(5)]
    status = conn.select("INBOX")
    everything = conn.fetch_flags()
    assert [r.uid for r in everything] == uids
    assert all(r.flags == ("\\Seen",) and r.modseq for r in everything)
    assert status.highestmodseq is not None
    assert conn.fetch_flags(changedsince=status.highestmodseq) == []

    mail_user.set_flags("INBOX", [uids[1], uids[3]], ["team:billing"])
    changed = conn.fetch_flags(changedsince=status.highestmodseq)
    assert [(r.uid, set(r.flags)) for r in changed] == [
        (uids[1], {"\\Seen", "team:billing"}),
        (uids[3], {"\\Seen", "team:billing"}),
    ]
    assert all(isinstance(r, FlagRecord) and r.modseq > status.highestmodseq for r in changed)  # type: ignore[operator]


@pytest.mark.dovecot
def test_fetch_body_peeks_and_returns_none_when_gone(
    mail_user: MailUser, conn: ImapConnection
) -> None:
    raw = _message(1)
    uid = mail_user.append("INBOX", raw)
    keep = mail_user.append("INBOX", _message(2))
    conn.select("INBOX")
    assert conn.fetch_body(uid) == raw
    assert mail_user.flags("INBOX")[uid] == ()
    mail_user.expunge("INBOX", [uid])  # expunged by the other client while we are selected
    assert conn.fetch_body(uid) is None
    assert conn.fetch_body(12345) is None
    assert conn.fetch_body(keep) == _message(2)


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------


@pytest.mark.dovecot
@pytest.mark.parametrize("keyword", ["team:billing", "category:produkt=20verwirrung"])
def test_store_keyword_add_and_remove_is_seen_by_the_other_client(
    mail_user: MailUser, conn: ImapConnection, keyword: str
) -> None:
    uids = [mail_user.append("INBOX", _message(n), flags=["$Important"]) for n in range(3)]
    conn.select("INBOX")
    conn.store_keyword(uids[:2], keyword, add=True)
    flags = mail_user.flags("INBOX")
    assert [keyword in flags[uid] for uid in uids] == [True, True, False]
    assert all("$Important" in flags[uid] for uid in uids)

    mail_user.set_flags("INBOX", [uids[0]], ["team:other"])  # a teammate's edit
    conn.store_keyword([uids[0]], keyword, add=False)
    flags = mail_user.flags("INBOX")
    assert set(flags[uids[0]]) == {"$Important", "team:other"}
    assert keyword in flags[uids[1]]


@pytest.mark.dovecot
def test_too_long_keyword_is_an_imap_error(mail_user: MailUser, conn: ImapConnection) -> None:
    uid = mail_user.append("INBOX", _message(1))
    conn.select("INBOX")
    conn.store_keyword([uid], "k" * 50, add=True)
    with pytest.raises(ImapError, match="too long") as caught:
        conn.store_keyword([uid], "k" * 51, add=True)
    assert not isinstance(caught.value, ImapConnectionLost)
    assert mail_user.flags("INBOX")[uid] == ("k" * 50,)
    conn.noop()  # still connected


@pytest.mark.dovecot
@pytest.mark.parametrize("keyword", ["two words", "x)y", "\\Seen", "ümlaut", "a\r\nA1 LOGOUT", ""])
def test_invalid_keyword_is_refused_before_sending(
    mail_user: MailUser, conn: ImapConnection, keyword: str
) -> None:
    uid = mail_user.append("INBOX", _message(1))
    conn.select("INBOX")
    with pytest.raises(ImapError, match="not a valid IMAP keyword"):
        conn.store_keyword([uid], keyword, add=True)
    conn.noop()


@pytest.mark.dovecot
def test_set_seen_marks_read_and_unread(mail_user: MailUser, conn: ImapConnection) -> None:
    uid = mail_user.append("INBOX", _message(1), flags=["team:billing"])
    conn.select("INBOX")
    conn.set_seen([uid], True)
    assert set(mail_user.flags("INBOX")[uid]) == {"\\Seen", "team:billing"}
    conn.set_seen([uid], False)
    assert mail_user.flags("INBOX")[uid] == ("team:billing",)


@pytest.mark.dovecot
def test_commands_need_a_selected_folder(conn: ImapConnection) -> None:
    with pytest.raises(ImapError, match="no folder selected"):
        conn.fetch_flags()


# ---------------------------------------------------------------------------------------------
# Connection loss and waiting
# ---------------------------------------------------------------------------------------------


@pytest.mark.dovecot
def test_killed_server_process_raises_connection_lost_then_reconnects(
    dovecot: Dovecot, mail_user: MailUser, conn: ImapConnection
) -> None:
    mail_user.append("INBOX", _message(1))
    conn.select("INBOX")
    assert dovecot.kill_imap_processes(mail_user.username) == 1
    with pytest.raises(ImapConnectionLost) as caught:
        conn.fetch_flags()
    assert "\n" not in str(caught.value)
    assert not conn.connected
    with pytest.raises(ImapConnectionLost):
        conn.noop()
    conn.connect()
    conn.select("INBOX")
    assert len(conn.fetch_flags()) == 1


@pytest.mark.dovecot
def test_idle_wait_returns_on_new_mail(mail_user: MailUser, conn: ImapConnection) -> None:
    conn.select("INBOX")
    assert conn.idle_wait(0.2) is False
    timer = threading.Timer(0.2, mail_user.append, args=("INBOX", _message(1)))
    timer.start()
    try:
        assert conn.idle_wait(20) is True
    finally:
        timer.join()
    assert len(conn.uids()) == 1  # the connection is usable after IDLE


@pytest.mark.dovecot
def test_idle_wait_reports_a_killed_connection(
    dovecot: Dovecot, mail_user: MailUser, conn: ImapConnection
) -> None:
    conn.select("INBOX")
    timer = threading.Timer(0.2, dovecot.kill_imap_processes, args=(mail_user.username,))
    timer.start()
    try:
        with pytest.raises(ImapConnectionLost):
            conn.idle_wait(20)
    finally:
        timer.join()


@pytest.mark.dovecot
def test_restart_keeps_mail_and_drops_connections(
    dovecot: Dovecot, mail_user: MailUser, conn: ImapConnection
) -> None:
    uid = mail_user.append("INBOX", _message(1), flags=["team:billing"])
    conn.select("INBOX")
    dovecot.restart()
    with pytest.raises(ImapConnectionLost):
        conn.noop()
    conn.connect()
    conn.select("INBOX")
    assert conn.fetch_flags() == [FlagRecord(uid, ("team:billing",), conn.fetch_flags()[0].modseq)]


@pytest.mark.dovecot
def test_harness_writes_its_own_config(dovecot: Dovecot) -> None:
    config = (dovecot.base_dir / "dovecot.conf").read_text()
    assert "/etc/dovecot" not in config
    assert "mail_location = sdbox:~/sdbox" in config
    assert Path(dovecot.log_path).is_relative_to(dovecot.base_dir)
