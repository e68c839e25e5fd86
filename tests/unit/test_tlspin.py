"""Tests for storage.imap.tlspin (fingerprint parsing, pinned contexts) and the ``tls_fingerprint``
config key in storage.settings. The handshake itself is tested against Dovecot in
tests/integration/test_tls_pinning.py."""

from __future__ import annotations

import hashlib
import ssl
from pathlib import Path

import pytest

from supportmail.storage.imap import ImapConnection
from supportmail.storage.imap.tlspin import (
    FingerprintMismatch,
    certificate_fingerprint,
    format_fingerprint,
    parse_fingerprint,
    pinned_context,
    unverified_context,
)
from supportmail.storage.settings import ConfigError, load_settings

DIGEST = bytes(range(0xA0, 0xC0))
CANONICAL = "sha256:" + ":".join(f"{b:02X}" for b in DIGEST)
HEX = DIGEST.hex()


@pytest.mark.parametrize(
    "spelling",
    [
        CANONICAL,
        CANONICAL.lower(),
        "SHA256:" + HEX.upper(),
        HEX,
        HEX.upper(),
        CANONICAL.removeprefix("sha256:"),
        f"  {CANONICAL}  ",
    ],
)
def test_accepted_spellings_give_the_canonical_form(spelling: str) -> None:
    assert parse_fingerprint(spelling) == CANONICAL


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "sha256:",
        HEX[:-2],  # 31 bytes
        HEX + "ab",  # 33 bytes
        "sha1:" + HEX,
        "md5:" + HEX,
        HEX[:-1] + "g",
        CANONICAL + ":",
        CANONICAL.replace(":", " "),
        CANONICAL.replace(":", "", 3),  # colons in some places only
        "sha256 Fingerprint=" + CANONICAL.removeprefix("sha256:"),
        "sha256:sha256:" + HEX,
    ],
)
def test_anything_else_is_rejected(bad: str) -> None:
    assert parse_fingerprint(bad) is None


def test_format_and_certificate_fingerprint() -> None:
    assert format_fingerprint(DIGEST) == CANONICAL
    der = b"not really DER, but any bytes hash"
    expected = format_fingerprint(hashlib.sha256(der).digest())
    assert certificate_fingerprint(der) == expected


def test_pinned_context_checks_only_the_pin() -> None:
    context = pinned_context(HEX)
    assert context.verify_mode == ssl.CERT_NONE
    assert context.check_hostname is False
    assert context.minimum_version >= ssl.TLSVersion.TLSv1_2
    assert issubclass(context.sslsocket_class, ssl.SSLSocket)
    assert context.sslsocket_class is not ssl.SSLSocket


def test_pinned_context_rejects_a_malformed_pin() -> None:
    with pytest.raises(ValueError, match="not a SHA-256 fingerprint"):
        pinned_context("abc")


def test_unverified_context_is_a_plain_socket_context() -> None:
    context = unverified_context()
    assert context.verify_mode == ssl.CERT_NONE
    assert context.sslsocket_class is ssl.SSLSocket


def test_mismatch_is_an_ssl_error_naming_both() -> None:
    error = FingerprintMismatch("sha256:AA", CANONICAL)
    assert isinstance(error, ssl.SSLError)
    assert (error.presented, error.expected) == ("sha256:AA", CANONICAL)


def test_connection_refuses_a_pin_without_tls_or_with_ca_file() -> None:
    with pytest.raises(ValueError):
        ImapConnection("127.0.0.1", 143, "none", "u", "p", tls_fingerprint=HEX)
    with pytest.raises(ValueError):
        ImapConnection("h", 993, "implicit", "u", "p", tls_fingerprint=HEX, ca_file="/ca.pem")


# --------------------------------------------------------------------------- the config key

BASE = """\
[accounts.support]
host = "imap.example.com"
username = "support@example.com"
password_env = "SUPPORTMAIL_TEST_PASSWORD"
"""


def _load(tmp_path: Path, extra: str) -> str | None:
    path = tmp_path / "config.toml"
    path.write_text(BASE + extra, encoding="utf-8")
    return load_settings(path).account("support").tls_fingerprint


def _error(tmp_path: Path, extra: str) -> str:
    with pytest.raises(ConfigError) as caught:
        _load(tmp_path, extra)
    message = str(caught.value)
    assert "\n" not in message
    return message


def test_config_stores_the_canonical_fingerprint(tmp_path: Path) -> None:
    assert _load(tmp_path, f'tls_fingerprint = "{HEX.upper()}"\n') == CANONICAL
    assert _load(tmp_path, 'tls = "starttls"\n' + f'tls_fingerprint = "{CANONICAL}"\n') == CANONICAL
    assert _load(tmp_path, "") is None


def test_config_rejects_a_malformed_fingerprint_on_its_line(tmp_path: Path) -> None:
    message = _error(tmp_path, 'tls_fingerprint = "sha1:abcd"\n')
    assert message == (
        f"{tmp_path / 'config.toml'}:5: accounts.support.tls_fingerprint: must be a SHA-256 "
        "certificate fingerprint (\"sha256:AB:CD:...\", 64 hex digits), got 'sha1:abcd'"
    )
    assert "must be a SHA-256" in _error(tmp_path, "tls_fingerprint = 42\n")


def test_config_rejects_a_fingerprint_with_ca_file(tmp_path: Path) -> None:
    message = _error(tmp_path, f'ca_file = "ca.pem"\ntls_fingerprint = "{HEX}"\n')
    assert message.endswith(
        ":6: accounts.support.tls_fingerprint: set either ca_file or tls_fingerprint, not both "
        "(the pin replaces the CA)"
    )


def test_config_rejects_a_fingerprint_without_tls(tmp_path: Path) -> None:
    text = (
        BASE.replace("imap.example.com", "127.0.0.1")
        + 'tls = "none"\n'
        + f'tls_fingerprint = "{HEX}"\n'
    )
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert str(caught.value).endswith(
        ':6: accounts.support.tls_fingerprint: needs tls = "implicit" or "starttls"'
    )
