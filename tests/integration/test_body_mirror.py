"""The body mirror end to end against the test Dovecot: a plain ``sync`` brings every message's
readable text into the cache (and the search index), ``--headers-only`` does not, the ``bodies``
key is respected, a big attachment is listed but never downloaded, a broken message does not
stop the mirror, and a message in two folders is fetched once.

The kill -9 test is in tests/faults/test_kill9_bodies.py.
"""

from __future__ import annotations

import imaplib
import json
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from supportmail.storage.imap import ImapConnection
from supportmail.storage.mime import Body, parse_body
from supportmail.storage.models import ThreadQuery
from supportmail.storage.service import CACHE_FILE, Service
from supportmail.storage.settings import load_settings
from supportmail.storage.sync import bodies as bodymirror
from supportmail.storage.tags import encode_keyword
from tests.dovecot import MailUser
from tests.integration.test_cli_sync import Cli
from tests.mailgen import message

pytestmark = pytest.mark.dovecot

NOW = datetime.now(UTC)


def _mail(n: int, body: str, *, days_ago: float = 1.0, **extra: Any) -> bytes:
    return message(
        message_id=f"m{n}@customer{n}.example",
        subject=f"Question {n}",
        sender=f"Customer {n} <c{n}@customer{n}.example>",
        to="support@plotline.example",
        date=NOW - timedelta(days=days_ago, minutes=n),
        body=body,
        **extra,
    )


def _cache(data: Path) -> sqlite3.Connection:
    return sqlite3.connect(data / "support" / CACHE_FILE)


def _bodies(data: Path) -> dict[str, str]:
    """Message-ID -> stored body text (without its trailing blank lines)."""
    with closing(_cache(data)) as db:
        rows = db.execute(
            "SELECT m.message_id, b.text FROM messages m JOIN bodies b ON b.message = m.id"
        ).fetchall()
    return {mid: text.rstrip("\n") for mid, text in rows}


def _count(data: Path, table: str) -> int:
    with closing(_cache(data)) as db:
        return int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


@pytest.fixture
def cli(account_config: Path, tmp_path: Path) -> Cli:
    return Cli(account_config, tmp_path / "data")


def _service(config: Path, data: Path) -> Service:
    settings = load_settings(config)
    return Service.open(settings, settings.account("support"), data)


@pytest.fixture
def fetched(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[int]]:
    """Every UID whose whole message ``ImapConnection.fetch_whole`` brought, in order."""
    uids: list[int] = []
    original = ImapConnection.fetch_whole

    def counting(self: ImapConnection, wanted: Any) -> dict[int, bytes]:
        got = original(self, wanted)
        uids.extend(got)
        return got

    monkeypatch.setattr(ImapConnection, "fetch_whole", counting)
    yield uids


def test_a_plain_sync_mirrors_bodies_for_search_and_voice(
    mail_user: MailUser, cli: Cli, tmp_path: Path
) -> None:
    request = encode_keyword("category:feature-request")
    label = encode_keyword("dark-mode")
    for n in range(12):
        uid = mail_user.append(
            "INBOX", _mail(n, f"Hello,\n\nPlease add a dark mode, quokkaword{n} here.\n")
        )
        mail_user.set_flags("INBOX", [uid], [request, label])
    _code, out, _err = cli("sync")
    assert "12 new" in out and "12 bodies fetched" in out
    assert len(out.strip().splitlines()) == 1
    bodies = _bodies(cli.data)
    assert len(bodies) == 12 and "quokkaword3 here." in bodies["m3@customer3.example"]
    # No thread was opened: the search finds a word that is only in a body.
    found = cli.json("threads", "--search", "quokkaword7")
    assert [t["subject"] for t in found] == ["Question 7"]
    _code, voice, _err = cli("voice", "--format", "json")
    assert '"quotes": [' in voice and "dark mode" in voice
    requests = json.loads(voice)["requests"]
    assert requests and requests[0]["tag"] == "dark-mode" and requests[0]["quotes"]
    # A second sync finds nothing left to fetch.
    _code, again, _err = cli("sync")
    assert "0 new" in again and "0 bodies fetched" in again


def test_headers_only_leaves_bodies_to_the_next_plain_sync(mail_user: MailUser, cli: Cli) -> None:
    for n in range(5):
        mail_user.append("INBOX", _mail(n, f"Text {n} with walrusword.\n"))
    _code, out, _err = cli("sync", "--headers-only")
    assert "5 new" in out and "bodies" not in out
    assert _count(cli.data, "bodies") == 0
    assert cli.json("threads", "--search", "walrusword") == []
    _code, out, _err = cli("sync")
    assert "0 new" in out and "5 bodies fetched" in out
    assert len(cli.json("threads", "--search", "walrusword")) == 5


@pytest.mark.parametrize(
    ("setting", "where"),
    [('bodies = "none"\n', "top"), ('bodies = "30 days"\n', "account")],
)
def test_the_bodies_key_is_respected(
    setting: str, where: str, mail_user: MailUser, account_config: Path, tmp_path: Path
) -> None:
    text = account_config.read_text()
    account_config.write_text(setting + text if where == "top" else text + setting)
    mail_user.append("INBOX", _mail(1, "Recent words.\n", days_ago=2))
    mail_user.append("INBOX", _mail(2, "Old words.\n", days_ago=400))
    cli = Cli(account_config, tmp_path / "data")
    _code, out, _err = cli("sync")
    if "none" in setting:
        assert "bodies" not in out and _bodies(cli.data) == {}
    else:
        assert "1 body fetched" in out
        assert list(_bodies(cli.data)) == ["m1@customer1.example"]


def _big_message(attachment_bytes: int) -> bytes:
    import base64

    encoded = base64.encodebytes(b"\x89PNG" + b"\x00" * (attachment_bytes - 4))
    return (
        b"Message-ID: <big@customer.example>\r\nFrom: Big Customer <big@customer.example>\r\n"
        b"To: support@plotline.example\r\nSubject: Screenshot of the crash\r\n"
        + f"Date: {(NOW - timedelta(hours=1)).strftime('%a, %d %b %Y %H:%M:%S +0000')}\r\n".encode()
        + b'MIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary="b1"\r\n\r\n'
        b'--b1\r\nContent-Type: multipart/alternative; boundary="b2"\r\n\r\n'
        b"--b2\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nThe app crashes, see the "
        b"screenshot (pangolinword).\r\n"
        b"--b2\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>The app crashes</p>\r\n"
        b"--b2--\r\n"
        b'--b1\r\nContent-Type: image/png; name="crash.png"\r\n'
        b'Content-Disposition: attachment; filename="crash.png"\r\n'
        b"Content-Transfer-Encoding: base64\r\n\r\n" + encoded + b"--b1--\r\n"
    )


def test_a_big_attachment_is_listed_and_never_downloaded(
    mail_user: MailUser, account_config: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    size = 20 * 1024 * 1024
    mail_user.append("INBOX", _big_message(size))
    mail_user.append("INBOX", _mail(1, "A small one.\n"))
    received = [0]
    original = imaplib.IMAP4.read

    def counting(self: imaplib.IMAP4, n: int) -> bytes:
        data = original(self, n)
        received[0] += len(data)
        return data

    monkeypatch.setattr(imaplib.IMAP4, "read", counting)
    data = tmp_path / "data"
    with _service(account_config, data) as service:
        result = service.sync()
    assert result.bodies == 2
    assert received[0] < 1024 * 1024, f"{received[0]} bytes of literals read"
    with closing(_cache(data)) as db:
        text, attachments = db.execute(
            "SELECT b.text, b.attachments_json FROM bodies b JOIN messages m ON m.id = b.message"
            " WHERE m.message_id = 'big@customer.example'"
        ).fetchone()
    assert text.rstrip() == "The app crashes, see the screenshot (pangolinword)."
    [(name, ctype, listed)] = json.loads(attachments)
    assert (name, ctype) == ("crash.png", "image/png")
    assert abs(listed - size) < size // 100
    with _service(account_config, data) as service:
        hits = service.list_threads(ThreadQuery(search="pangolinword"))
        assert [t.subject for t in hits] == ["Screenshot of the crash"]


def test_a_broken_message_does_not_stop_the_mirror(
    mail_user: MailUser,
    account_config: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    fetched: list[int],
) -> None:
    for n in range(6):
        body = "EXPLODE on parse\n" if n == 3 else f"Fine message {n}.\n"
        mail_user.append("INBOX", _mail(n, body))
    # A hostile one too: nested multiparts with no end, bad base64, a NUL byte.
    hostile = (
        b"Message-ID: <hostile@x.example>\r\nSubject: broken\r\nFrom: x@x.example\r\n"
        b'Content-Type: multipart/mixed; boundary="a"\r\n\r\n--a\r\n'
        + b'Content-Type: multipart/mixed; boundary="a"\r\n\r\n--a\r\n' * 200
        + b"Content-Transfer-Encoding: base64\r\nContent-Type: text/plain\r\n\r\n@@@\x00==\r\n"
    )
    mail_user.append("INBOX", hostile)
    real = parse_body

    def parse(raw: bytes) -> Body:
        if b"EXPLODE" in raw:
            raise ValueError("boom")
        return real(raw)

    monkeypatch.setattr(bodymirror, "parse_body", parse)  # what the mirror calls
    data = tmp_path / "data"
    with _service(account_config, data) as service:
        result = service.sync()
    assert result.bodies == 7 and result.unreadable == 1
    assert "1 message(s) could not be read" in result.summary_line()
    bodies = _bodies(data)
    assert len(bodies) == 7
    assert bodies["m3@customer3.example"].startswith("[supportmail could not read this message")
    assert bodies["m5@customer5.example"] == "Fine message 5."
    assert sorted(fetched) == list(range(1, 8))


def test_a_message_in_two_folders_is_fetched_once(
    mail_user: MailUser, account_config: Path, tmp_path: Path, fetched: list[int]
) -> None:
    account_config.write_text(
        account_config.read_text().replace('folders = ["INBOX"]', 'folders = ["INBOX", "Sent"]')
    )
    mail_user.create_folder("Sent")
    raw = _mail(1, "Copied into Sent by a rule: otterword.\n")
    mail_user.append("INBOX", raw)
    mail_user.append("Sent", raw)
    mail_user.append("Sent", _mail(2, "Our answer.\n"))
    data = tmp_path / "data"
    with _service(account_config, data) as service:
        result = service.sync()
    assert result.bodies == 2 and len(fetched) == 2
    with closing(_cache(data)) as db:
        rows = db.execute(
            "SELECT m.folder, b.text FROM messages m JOIN bodies b ON b.message = m.id"
            " WHERE m.message_id = 'm1@customer1.example' ORDER BY m.folder"
        ).fetchall()
    assert [(folder, text.rstrip()) for folder, text in rows] == [
        ("INBOX", "Copied into Sent by a rule: otterword."),
        ("Sent", "Copied into Sent by a rule: otterword."),
    ]
