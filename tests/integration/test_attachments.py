"""``supportmail save`` and ``links`` against the real Dovecot: attachments fetched by section
(never setting ``\\Seen``), hostile names made safe, existing files never overwritten; links as
(text, real target) from the HTML part."""

from __future__ import annotations

import json
import os
from email.message import EmailMessage
from pathlib import Path

import pytest

from supportmail.tui.cli import run
from tests.dovecot import MailUser

pytestmark = pytest.mark.dovecot

PDF = b"%PDF-1.4\n" + bytes(range(256)) * 40
HOSTILE = "../../.bashrc\x1b[2J\u202eevil.pdf"


def _message() -> bytes:
    msg = EmailMessage()
    msg["From"] = "Farah <farah@customer.example>"
    msg["To"] = "support@acme.example"
    msg["Subject"] = "Invoice is wrong"
    msg["Message-ID"] = "<attach-1@customer.example>"
    msg["Date"] = "Mon, 02 Nov 2026 10:00:00 +0000"
    msg.set_content("Please see the attached invoice.\n")
    msg.add_alternative(
        '<p>Please see <a href="https://evil.example/login">https://acme.example/billing</a>'
        ' and <a href="#top">top</a>.</p>',
        subtype="html",
    )
    msg.add_attachment(PDF, maintype="application", subtype="pdf", filename=HOSTILE)
    msg.add_attachment(b"a,b\n1,2\n", maintype="text", subtype="csv", filename="data.csv")
    return msg.as_bytes()


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = run(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_save_fetches_parts_with_safe_names(
    account_config: Path,
    mail_user: MailUser,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    mail_user.append("INBOX", _message())
    data = str(tmp_path / "data")
    assert _run(capsys, "--data-dir", data, "sync")[0] == 0
    code, out, _err = _run(capsys, "--data-dir", data, "threads", "--json")
    thread = json.loads(out)[0]["id"]
    target = tmp_path / "files"
    target.mkdir()
    (target / "data.csv").write_bytes(b"mine")  # never overwritten
    code, out, err = _run(capsys, "--data-dir", data, "save", thread, "--dir", str(target))
    assert code == 0, err
    names = sorted(os.listdir(target))
    assert len(names) == 3, names
    assert (target / "data.csv").read_bytes() == b"mine"
    assert (target / "data (1).csv").read_bytes() == b"a,b\n1,2\n"
    pdf = next(n for n in names if n.endswith(".pdf"))
    assert "/" not in pdf and "\x1b" not in pdf and "\u202e" not in pdf
    assert not pdf.startswith(".")
    assert (target / pdf).read_bytes() == PDF
    assert "\x1b" not in out
    # Nothing outside the directory, and the message is still unread on the server.
    assert sorted(os.listdir(tmp_path)) == sorted(["data", "files", *_others(tmp_path)])
    assert all("\\Seen" not in flags for flags in mail_user.flags("INBOX").values())
    code, out, err = _run(capsys, "--data-dir", data, "links", thread, "--json")
    assert code == 0, err
    assert json.loads(out) == [
        {"text": "https://acme.example/billing", "target": "https://evil.example/login"}
    ]
    code, _out, err = _run(capsys, "--data-dir", data, "save", thread, "--message", "5")
    assert code == 2 and "1 message" in err


def _others(tmp_path: Path) -> list[str]:
    """Files the fixtures put there (the config)."""
    return [n for n in os.listdir(tmp_path) if n not in ("data", "files")]


def _sharing(n: int, link: str, attachment: bytes) -> bytes:
    """Message ``n`` of two different messages that share one Message-ID (mailing-list copies,
    resent mail: notmuch's corpus has several)."""
    msg = EmailMessage()
    msg["From"] = "Farah <farah@customer.example>"
    msg["To"] = "support@acme.example"
    msg["Subject"] = "Same id, different mail"
    msg["Message-ID"] = "<shared-id@customer.example>"
    msg["Date"] = f"Mon, 02 Nov 2026 1{n}:00:00 +0000"
    msg.set_content(f"Message {n}: see {link}\n")
    msg.add_attachment(attachment, maintype="text", subtype="plain", filename=f"part{n}.txt")
    return msg.as_bytes()


def test_messages_sharing_a_message_id_are_numbered_as_show_numbers_them(
    account_config: Path,
    mail_user: MailUser,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``show`` lists both messages (1/2, 2/2); ``links`` and ``save`` take the same numbers.
    They counted one message per Message-ID: ``links THREAD`` failed ("there is no message 2")
    and ``--message 2`` was refused."""
    mail_user.append("INBOX", _sharing(1, "https://one.example/a", b"first"))
    mail_user.append("INBOX", _sharing(2, "https://two.example/b", b"second"))
    data = str(tmp_path / "data")
    assert _run(capsys, "--data-dir", data, "sync")[0] == 0
    code, out, err = _run(capsys, "--data-dir", data, "show", "shared-id@customer.example")
    assert code == 0 and "[2/2]" in out, err
    thread = "shared-id@customer.example"
    code, out, err = _run(capsys, "--data-dir", data, "links", thread, "--json")
    assert code == 0, err
    assert [link["target"] for link in json.loads(out)] == ["https://two.example/b"]
    code, out, err = _run(capsys, "--data-dir", data, "links", thread, "--message", "1", "--json")
    assert code == 0, err
    assert [link["target"] for link in json.loads(out)] == ["https://one.example/a"]
    target = tmp_path / "files"
    target.mkdir()
    code, out, err = _run(
        capsys, "--data-dir", data, "save", thread, "--message", "2", "--dir", str(target)
    )
    assert code == 0, err
    assert sorted(os.listdir(target)) == ["part2.txt"]
    assert (target / "part2.txt").read_bytes() == b"second"
