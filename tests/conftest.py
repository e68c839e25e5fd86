"""Shared pytest fixtures, one section per concern.

* Isolation (autouse): every test gets its own XDG and supportmail directories under ``tmp_path``,
  so a developer's real config, data or cache never decides a test.
* Dovecot: one throwaway server per test session (``tests/dovecot.py``), a fresh mailbox user per
  test, a user without keyword rights, and an account config file pointing at the user.

Tests that need Dovecot are marked ``@pytest.mark.dovecot``. When Dovecot cannot run here they are
skipped with a loud reason, except under ``CI=true``, where that is a failure.
"""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.dovecot import Dovecot, MailUser, dovecot_available

# ---------------------------------------------------------------------------------------------
# Isolation from the developer's own environment
# ---------------------------------------------------------------------------------------------


@pytest.fixture(autouse=True)
def isolated_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point XDG dirs and ``SUPPORTMAIL_CONFIG``/``SUPPORTMAIL_DATA`` into ``tmp_path``.

    ``SUPPORTMAIL_CONFIG`` names ``tmp_path/config.toml``, which does not exist until a test (or
    ``account_config``) writes it; ``SUPPORTMAIL_DATA`` is ``tmp_path/data``."""
    for variable, name in (
        ("XDG_CONFIG_HOME", "xdg-config"),
        ("XDG_DATA_HOME", "xdg-data"),
        ("XDG_CACHE_HOME", "xdg-cache"),
        ("XDG_STATE_HOME", "xdg-state"),
    ):
        monkeypatch.setenv(variable, str(tmp_path / name))
    monkeypatch.setenv("SUPPORTMAIL_CONFIG", str(tmp_path / "config.toml"))
    monkeypatch.setenv("SUPPORTMAIL_DATA", str(tmp_path / "data"))


# ---------------------------------------------------------------------------------------------
# Dovecot
# ---------------------------------------------------------------------------------------------

_user_numbers = itertools.count(1)


def _dovecot_missing(reason: str) -> None:
    message = f"DOVECOT UNAVAILABLE - IMAP INTEGRATION TESTS NOT RUN: {reason}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope="session")
def dovecot(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dovecot]:
    """One throwaway Dovecot for the whole session (own config, free port, stopped by PID)."""
    reason = dovecot_available()
    if reason is not None:
        _dovecot_missing(reason)
    server = Dovecot()
    server.start(tmp_path_factory.mktemp("dovecot"))
    try:
        yield server
    finally:
        server.stop()


def _unique_name(request: pytest.FixtureRequest, prefix: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", request.node.name.lower()).strip("-")[:32]
    return f"{prefix}{next(_user_numbers)}-{slug}".rstrip("-")


@pytest.fixture
def mail_user(dovecot: Dovecot, request: pytest.FixtureRequest) -> MailUser:
    """A new user with an empty INBOX, named after the test."""
    return dovecot.add_user(_unique_name(request, "u"), "secret-pw")


@pytest.fixture
def noperm_user(dovecot: Dovecot, request: pytest.FixtureRequest) -> MailUser:
    """A new user whose INBOX lacks ``\\*`` in PERMANENTFLAGS: keyword stores are ignored."""
    return dovecot.add_user(_unique_name(request, "noperm"), "secret-pw", keywords=False)


@pytest.fixture
def account_config(mail_user: MailUser, tmp_path: Path) -> Path:
    """The config file (at ``$SUPPORTMAIL_CONFIG``) with one account ``support`` for
    ``mail_user``."""
    path = Path(os.environ.get("SUPPORTMAIL_CONFIG") or tmp_path / "config.toml")
    path.write_text(
        "[accounts.support]\n"
        f'host = "{mail_user.host}"\n'
        f"port = {mail_user.port}\n"
        'tls = "none"\n'
        f'username = "{mail_user.username}"\n'
        f'password_command = "printf {mail_user.password}"\n'
        'folders = ["INBOX"]\n'
    )
    return path
