"""The answering config keys (``[accounts.NAME.smtp]``, ``sent_folder``, ``signature``) and the
SMTP sender's TLS rules, against the real aiosmtpd server on loopback where a server is needed."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from supportmail.storage.settings import AccountConfig, ConfigError, load_settings
from supportmail.storage.settings.smtp import SmtpConfig
from supportmail.storage.smtp import SmtpNotSent, SmtpSender
from tests.smtpserver import SmtpServer

ACCOUNT = """\
[accounts.support]
host = "imap.example.com"
username = "support@example.com"
password_env = "IMAP_PW"
address = "support@example.com"
"""


def load(tmp_path: Path, extra: str) -> AccountConfig:
    path = tmp_path / "config.toml"
    path.write_text(ACCOUNT + extra, encoding="utf-8")
    return load_settings(path).account("support")


def error(tmp_path: Path, extra: str) -> str:
    path = tmp_path / "config.toml"
    path.write_text(ACCOUNT + extra, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    message = str(caught.value)
    assert "\n" not in message and message.startswith(str(path))
    return message


def test_defaults_without_smtp(tmp_path: Path) -> None:
    account = load(tmp_path, "")
    assert account.smtp is None
    assert account.sent_folder == "Sent"
    assert account.signature is None


def test_smtp_defaults_follow_tls_and_the_imap_login(tmp_path: Path) -> None:
    account = load(
        tmp_path,
        'sent_folder = "Sent Items"\nsignature = "Maya\\nPlotline"\n'
        '[accounts.support.smtp]\nhost = "smtp.example.com"\n',
    )
    smtp = account.smtp
    assert smtp is not None
    assert smtp == SmtpConfig(
        host="smtp.example.com",
        port=465,
        tls="implicit",
        username="support@example.com",
        password_command=None,
        password_keyring=False,
        password_env=None,
        ca_file=None,
        timeout=30.0,
    )
    assert not smtp.own_password_source
    assert account.sent_folder == "Sent Items"
    assert account.signature == "Maya\nPlotline"
    starttls = load(
        tmp_path, '[accounts.support.smtp]\nhost = "smtp.example.com"\ntls = "starttls"\n'
    )
    assert starttls.smtp is not None and starttls.smtp.port == 587
    (tmp_path / "ca.pem").write_text("PEM\n")
    own = load(
        tmp_path,
        '[accounts.support.smtp]\nhost = "smtp.example.com"\nusername = "relay"\n'
        'password_env = "SMTP_PW"\nport = 2525\ntls = "starttls"\nca_file = "ca.pem"\n',
    )
    assert own.smtp is not None
    assert own.smtp.username == "relay" and own.smtp.own_password_source
    assert own.smtp.ca_file == str(tmp_path / "ca.pem")


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        ('[accounts.support.smtp]\nhost = "smtp.example.com"\ntls = "none"\n', "loopback"),
        ("[accounts.support.smtp]\nport = 25\n", "missing required key 'host'"),
        ('[accounts.support.smtp]\nhost = "h"\nprot = 25\n', "did you mean 'port'"),
        ('[accounts.support.smtp]\nhost = "h"\nport = 0\n', "accounts.support.smtp.port"),
        (
            '[accounts.support.smtp]\nhost = "h"\npassword_env = "A"\npassword_keyring = true\n',
            "several password sources",
        ),
        ('smtp = "smtp.example.com"\n', "must be a table"),
        ("sent_folder = 3\n", "sent_folder: must be a non-empty string"),
        ("signature = 3\n", "signature: must be a string"),
    ],
)
def test_mistakes_are_one_line(tmp_path: Path, extra: str, problem: str) -> None:
    assert problem in error(tmp_path, extra)


def test_plaintext_smtp_to_loopback_is_allowed(tmp_path: Path) -> None:
    account = load(
        tmp_path, '[accounts.support.smtp]\nhost = "127.0.0.1"\ntls = "none"\nusername = ""\n'
    )
    assert account.smtp is not None
    assert account.smtp.port == 25 and account.smtp.username == ""


def _config(port: int, **changes: object) -> SmtpConfig:
    base = SmtpConfig("127.0.0.1", port, "none", "", None, False, None, None, 5.0)
    return dataclasses.replace(base, **changes)  # type: ignore[arg-type]


def test_starttls_is_required_when_configured() -> None:
    with SmtpServer() as server:  # offers no STARTTLS
        sender = SmtpSender(_config(server.port, tls="starttls"), lambda: "pw")
        with pytest.raises(SmtpNotSent, match="does not offer STARTTLS"):
            sender.send(b"Subject: x\r\n\r\nhi\r\n", "a@b.example", ["c@d.example"])
        assert server.received == []


def test_implicit_tls_to_a_plaintext_server_is_not_sent() -> None:
    with SmtpServer() as server:
        sender = SmtpSender(_config(server.port, tls="implicit"), lambda: "pw")
        with pytest.raises(SmtpNotSent) as caught:
            sender.send(b"Subject: x\r\n\r\nhi\r\n", "a@b.example", ["c@d.example"])
        assert not caught.value.permanent and server.received == []


def test_plaintext_to_another_host_is_refused_before_connecting() -> None:
    sender = SmtpSender(_config(25, host="192.0.2.1"), lambda: "pw")
    with pytest.raises(SmtpNotSent, match="only for localhost") as caught:
        sender.send(b"x", "a@b.example", ["c@d.example"])
    assert caught.value.permanent


def test_a_wrong_password_is_a_permanent_refusal_without_the_password() -> None:
    with SmtpServer(login=("support", "right")) as server:
        sender = SmtpSender(_config(server.port, username="support"), lambda: "wrong-secret")
        with pytest.raises(SmtpNotSent) as caught:
            sender.send(b"Subject: x\r\n\r\nhi\r\n", "a@b.example", ["c@d.example"])
        assert caught.value.permanent and "wrong-secret" not in str(caught.value)
        ok = SmtpSender(_config(server.port, username="support"), lambda: "right")
        assert ok.send(b"Subject: x\r\n\r\nhi\r\n", "a@b.example", ["c@d.example"]).startswith(
            "250"
        )


def test_refused_recipients_send_nothing() -> None:
    with SmtpServer() as server:
        server.refuse("rcpt", "550 5.1.1 no such user")
        sender = SmtpSender(_config(server.port), lambda: "")
        with pytest.raises(SmtpNotSent, match="no such user") as caught:
            sender.send(b"Subject: x\r\n\r\nhi\r\n", "a@b.example", ["x@d.example", "y@d.example"])
        assert caught.value.permanent and server.received == []
