"""Tests for storage.settings: file locations, strict validation, and password sources."""

from __future__ import annotations

import shlex
import sys
import traceback
from pathlib import Path

import keyring
import keyring.errors
import platformdirs
import pytest

from supportmail.storage.settings import (
    AccountConfig,
    BodiesSetting,
    ConfigError,
    PasswordError,
    config_path,
    data_dir,
    get_password,
    load_settings,
    passwords,
)

ACCOUNT = """\
[accounts.support]
host = "imap.example.com"
username = "support@example.com"
password_env = "SUPPORTMAIL_TEST_PASSWORD"
"""


def write(tmp_path: Path, text: str, name: str = "config.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def load_error(tmp_path: Path, text: str) -> str:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(str(path))
    return message


def account(**changes: object) -> AccountConfig:
    values: dict[str, object] = {
        "name": "support",
        "host": "imap.example.com",
        "port": 993,
        "tls": "implicit",
        "username": "support@example.com",
        "folders": ("INBOX",),
        "password_command": None,
        "password_keyring": False,
        "password_env": None,
        "address": None,
        "ca_file": None,
        "timeout": 30.0,
    }
    values.update(changes)
    return AccountConfig(**values)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- locations


def test_config_path_prefers_the_command_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUPPORTMAIL_CONFIG", "/env/config.toml")
    assert config_path("/cli/config.toml") == Path("/cli/config.toml")


def test_config_path_uses_the_environment_next(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUPPORTMAIL_CONFIG", "/env/config.toml")
    assert config_path(None) == Path("/env/config.toml")


def test_config_path_expands_the_home_directory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", "/home/alice")
    assert config_path("~/sm.toml") == Path("/home/alice/sm.toml")


def test_config_path_falls_back_to_the_platform_dir(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("SUPPORTMAIL_CONFIG", raising=False)
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path))
    expected = platformdirs.user_config_path("supportmail", appauthor=False) / "config.toml"
    assert config_path() == expected
    if sys.platform.startswith("linux"):
        assert config_path() == tmp_path / "supportmail" / "config.toml"


def test_empty_environment_variable_counts_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUPPORTMAIL_CONFIG", "")
    assert config_path().name == "config.toml"
    assert config_path() != Path("")


def test_data_dir_precedence(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SUPPORTMAIL_DATA", "/env/data")
    assert data_dir("/cli/data") == Path("/cli/data")
    assert data_dir() == Path("/env/data")
    monkeypatch.delenv("SUPPORTMAIL_DATA")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    assert data_dir() == platformdirs.user_data_path("supportmail", appauthor=False)
    if sys.platform.startswith("linux"):
        assert data_dir() == tmp_path / "supportmail"


# --------------------------------------------------------------------------- loading


def test_missing_file_means_no_accounts(tmp_path: Path) -> None:
    loaded = load_settings(tmp_path / "absent.toml")
    assert loaded.path is None
    assert loaded.accounts == {}
    assert loaded.default_account is None
    assert (loaded.keymap, loaded.team_addresses, loaded.poll_seconds) == ("default", (), 60)


def test_asking_for_an_account_when_none_exist_is_one_clear_line(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no account is configured") as caught:
        load_settings(tmp_path / "absent.toml").account(None)
    assert "\n" not in str(caught.value)


def test_empty_file_is_not_an_error(tmp_path: Path) -> None:
    loaded = load_settings(write(tmp_path, "# nothing yet\n"))
    assert loaded.accounts == {}
    assert loaded.path == tmp_path / "config.toml"


def test_minimal_account_gets_the_defaults(tmp_path: Path) -> None:
    loaded = load_settings(write(tmp_path, ACCOUNT))
    acc = loaded.account(None)
    assert acc == account(password_env="SUPPORTMAIL_TEST_PASSWORD")
    assert loaded.default_account == "support"
    assert (loaded.keymap, loaded.team_addresses, loaded.poll_seconds) == ("default", (), 60)


def test_every_key_is_read(tmp_path: Path) -> None:
    text = """\
default_account = "sales"
keymap = "vim"
team_addresses = ["Alice@Example.com", "bob@example.com", "ALICE@example.com"]
poll_seconds = 120

[accounts.support]
host = "imap.example.com"
username = "support@example.com"
password_keyring = true

[accounts.sales]
host = "127.0.0.1"
port = 1143
tls = "none"
username = "sales"
folders = ["INBOX", "Sent Items"]
password_command = "pass show mail/sales"
address = "sales@example.com"
ca_file = "certs/ca.pem"
timeout = 7.5
"""
    (tmp_path / "certs").mkdir()
    (tmp_path / "certs" / "ca.pem").write_text("PEM\n")
    loaded = load_settings(write(tmp_path, text))
    assert list(loaded.accounts) == ["support", "sales"]
    assert loaded.default_account == "sales"
    assert loaded.keymap == "vim"
    assert loaded.team_addresses == ("alice@example.com", "bob@example.com")
    assert loaded.poll_seconds == 120
    assert loaded.account(None) == account(
        name="sales",
        host="127.0.0.1",
        port=1143,
        tls="none",
        username="sales",
        folders=("INBOX", "Sent Items"),
        password_command="pass show mail/sales",
        address="sales@example.com",
        ca_file=str(tmp_path / "certs" / "ca.pem"),
        timeout=7.5,
    )
    assert loaded.account("support").password_keyring is True


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('"all"', BodiesSetting()),
        ('"none"', BodiesSetting(enabled=False)),
        ('"365 days"', BodiesSetting(days=365)),
        ('" 1 day "', BodiesSetting(days=1)),
        ('"30DAYS"', BodiesSetting(days=30)),
    ],
)
def test_bodies_values(tmp_path: Path, value: str, expected: BodiesSetting) -> None:
    loaded = load_settings(write(tmp_path, f"bodies = {value}\n" + ACCOUNT))
    assert loaded.bodies == expected
    assert loaded.account(None).bodies == expected


def test_bodies_default_is_all_and_an_account_overrides_the_top_level(tmp_path: Path) -> None:
    assert load_settings(write(tmp_path, ACCOUNT)).account(None).bodies == BodiesSetting()
    text = 'bodies = "none"\n' + ACCOUNT + ACCOUNT.replace("support]", "sales]")
    text += 'bodies = "90 days"\n'
    loaded = load_settings(write(tmp_path, text))
    assert loaded.account("support").bodies == BodiesSetting(enabled=False)
    assert loaded.account("sales").bodies == BodiesSetting(days=90)
    assert [str(a.bodies) for a in loaded.accounts.values()] == ["none", "90 days"]
    assert str(BodiesSetting()) == "all"


def test_default_port_follows_tls(tmp_path: Path) -> None:
    starttls = ACCOUNT + 'tls = "starttls"\n'
    assert load_settings(write(tmp_path, starttls)).account(None).port == 143
    plain = ACCOUNT.replace("imap.example.com", "localhost") + 'tls = "none"\n'
    assert load_settings(write(tmp_path, plain)).account(None).port == 143
    assert load_settings(write(tmp_path, ACCOUNT)).account(None).port == 993


def test_ca_file_expands_the_home_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home" / "alice"
    home.mkdir(parents=True)
    (home / "ca.pem").write_text("PEM\n")
    monkeypatch.setenv("HOME", str(home))
    loaded = load_settings(write(tmp_path, ACCOUNT + 'ca_file = "~/ca.pem"\n'))
    assert loaded.account(None).ca_file == str(home / "ca.pem")


def test_a_missing_ca_file_is_a_config_error_naming_it(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, ACCOUNT + 'ca_file = "missing.pem"\n'))
    assert "accounts.support.ca_file" in str(caught.value)
    assert f"no such file: {tmp_path / 'missing.pem'}" in str(caught.value)


@pytest.mark.parametrize("host", ["127.0.0.1", "127.8.9.10", "::1", "localhost", "LocalHost"])
def test_plaintext_is_allowed_to_loopback_hosts(tmp_path: Path, host: str) -> None:
    text = ACCOUNT.replace("imap.example.com", host) + 'tls = "none"\n'
    assert load_settings(write(tmp_path, text)).account(None).tls == "none"


def test_unknown_account_name_suggests_a_close_match(tmp_path: Path) -> None:
    loaded = load_settings(write(tmp_path, ACCOUNT))
    with pytest.raises(ConfigError) as caught:
        loaded.account("suport")
    message = str(caught.value)
    assert "'suport'" in message
    assert "did you mean 'support'?" in message
    assert "known: support" in message
    assert "\n" not in message


# --------------------------------------------------------------------------- validation


def test_the_documented_example_message(tmp_path: Path) -> None:
    message = load_error(tmp_path, ACCOUNT + 'port = "abc"\n')
    assert message == (
        f"{tmp_path / 'config.toml'}:5: accounts.support.port: "
        "must be an integer 1-65535, got 'abc'"
    )


def test_toml_syntax_error_names_file_and_line(tmp_path: Path) -> None:
    message = load_error(tmp_path, ACCOUNT + 'port = "unterminated\nhost = 1\n')
    assert message.startswith(f"{tmp_path / 'config.toml'}:5: invalid TOML: ")
    assert "line 5" in message


def test_duplicate_table_is_a_syntax_error(tmp_path: Path) -> None:
    message = load_error(tmp_path, ACCOUNT + "\n" + ACCOUNT)
    assert "invalid TOML" in message


def test_file_that_is_not_utf8(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(b'keymap = "\xff"\n')
    with pytest.raises(ConfigError, match="not valid UTF-8") as caught:
        load_settings(path)
    assert str(path) in str(caught.value)


def test_a_byte_order_mark_is_no_mistake(tmp_path: Path) -> None:
    """Notepad writes UTF-8 with a BOM; it was 'invalid TOML: Invalid statement (at line 1,
    column 1)'. Mistakes after it keep their line numbers."""
    path = tmp_path / "config.toml"
    path.write_bytes(b"\xef\xbb\xbf" + ACCOUNT.encode())
    assert list(load_settings(path).accounts) == ["support"]
    path.write_bytes(b"\xef\xbb\xbf" + ACCOUNT.encode() + b"prot = 1\n")
    with pytest.raises(ConfigError, match=r"config.toml:5: accounts.support: unknown key 'prot'"):
        load_settings(path)


def test_a_directory_is_not_a_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read") as caught:
        load_settings(tmp_path)
    assert str(tmp_path) in str(caught.value)


INVALID = [
    # (id, TOML text, the key the message must name, a fragment of what is wrong)
    ("unknown-top-key", "acounts = 1\n", "acounts", "did you mean 'accounts'?"),
    ("unknown-account-key", ACCOUNT + "prot = 993\n", "prot", "did you mean 'port'?"),
    ("unknown-key-no-hint", ACCOUNT + "colour = 1\n", "colour", "unknown key 'colour'"),
    ("port-string", ACCOUNT + 'port = "abc"\n', "accounts.support.port", "got 'abc'"),
    ("port-zero", ACCOUNT + "port = 0\n", "accounts.support.port", "1-65535, got 0"),
    ("port-high", ACCOUNT + "port = 70000\n", "accounts.support.port", "got 70000"),
    ("port-bool", ACCOUNT + "port = true\n", "accounts.support.port", "got true"),
    ("port-float", ACCOUNT + "port = 993.0\n", "accounts.support.port", "got 993.0"),
    ("tls-other", ACCOUNT + 'tls = "ssl"\n', "accounts.support.tls", "got 'ssl'"),
    (
        "tls-none-remote",
        ACCOUNT + 'tls = "none"\n',
        "accounts.support.tls",
        "plaintext login is only allowed to a loopback host",
    ),
    (
        "tls-none-private-ip",
        ACCOUNT.replace("imap.example.com", "192.168.1.2") + 'tls = "none"\n',
        "accounts.support.tls",
        'use tls = "implicit" or "starttls"',
    ),
    (
        "username-empty",
        ACCOUNT.replace('"support@example.com"', '""'),
        "accounts.support.username",
        "non-empty string",
    ),
    (
        "username-missing",
        ACCOUNT.replace('username = "support@example.com"\n', ""),
        "accounts.support",
        "missing required key 'username'",
    ),
    (
        "host-missing",
        ACCOUNT.replace('host = "imap.example.com"\n', ""),
        "accounts.support",
        "missing required key 'host'",
    ),
    (
        "host-with-port",
        ACCOUNT.replace('"imap.example.com"', '"imap.example.com:993"'),
        "accounts.support.host",
        "the port goes in `port`",
    ),
    (
        "host-with-space",
        ACCOUNT.replace('"imap.example.com"', '"imap example"'),
        "accounts.support.host",
        "host name",
    ),
    ("folders-empty", ACCOUNT + "folders = []\n", "accounts.support.folders", "non-empty array"),
    ("folders-blank", ACCOUNT + 'folders = [""]\n', "accounts.support.folders", "non-empty"),
    ("folders-string", ACCOUNT + 'folders = "INBOX"\n', "accounts.support.folders", "array"),
    ("folders-int", ACCOUNT + "folders = [1]\n", "accounts.support.folders", "got an array"),
    (
        "folders-duplicate",
        ACCOUNT + 'folders = ["INBOX", "INBOX"]\n',
        "accounts.support.folders",
        "same folder twice",
    ),
    (
        "no-password-source",
        ACCOUNT.replace('password_env = "SUPPORTMAIL_TEST_PASSWORD"\n', ""),
        "accounts.support",
        "no password source",
    ),
    (
        "keyring-false-is-no-source",
        ACCOUNT.replace('password_env = "SUPPORTMAIL_TEST_PASSWORD"', "password_keyring = false"),
        "accounts.support",
        "no password source",
    ),
    (
        "several-password-sources",
        ACCOUNT + "password_keyring = true\n",
        "accounts.support",
        "several password sources (password_keyring, password_env)",
    ),
    (
        "keyring-not-bool",
        ACCOUNT + 'password_keyring = "yes"\n',
        "accounts.support.password_keyring",
        "true or false",
    ),
    (
        "env-bad-name",
        ACCOUNT.replace('"SUPPORTMAIL_TEST_PASSWORD"', '"1 BAD"'),
        "accounts.support.password_env",
        "environment variable name",
    ),
    (
        "command-empty",
        ACCOUNT.replace('password_env = "SUPPORTMAIL_TEST_PASSWORD"', 'password_command = " "'),
        "accounts.support.password_command",
        "command line",
    ),
    (
        "command-unbalanced-quote",
        ACCOUNT.replace(
            'password_env = "SUPPORTMAIL_TEST_PASSWORD"', 'password_command = "pass \'x"'
        ),
        "accounts.support.password_command",
        "command line",
    ),
    (
        "default-account-missing",
        'default_account = "sales"\n' + ACCOUNT,
        "default_account",
        "no account named 'sales'; known accounts: support",
    ),
    (
        "default-account-without-accounts",
        'default_account = "support"\n',
        "default_account",
        "known accounts: none",
    ),
    ("accounts-not-table", "accounts = 3\n", "accounts", "table of accounts"),
    ("account-not-table", "[accounts]\nsupport = 3\n", "accounts.support", "must be a table"),
    (
        "account-bad-name",
        ACCOUNT.replace("[accounts.support]", '[accounts."my box"]'),
        'accounts."my box"',
        "letters, digits",
    ),
    ("timeout-zero", ACCOUNT + "timeout = 0\n", "accounts.support.timeout", "got 0"),
    ("timeout-negative", ACCOUNT + "timeout = -1.5\n", "accounts.support.timeout", "got -1.5"),
    ("timeout-inf", ACCOUNT + "timeout = inf\n", "accounts.support.timeout", "got inf"),
    ("timeout-string", ACCOUNT + 'timeout = "30"\n', "accounts.support.timeout", "got '30'"),
    ("address-empty", ACCOUNT + 'address = ""\n', "accounts.support.address", "non-empty"),
    ("ca-file-number", ACCOUNT + "ca_file = 1\n", "accounts.support.ca_file", "got 1"),
    ("poll-zero", "poll_seconds = 0\n", "poll_seconds", "integer 1-86400, got 0"),
    ("poll-float", "poll_seconds = 1.5\n", "poll_seconds", "got 1.5"),
    ("keymap-number", "keymap = 3\n", "keymap", "non-empty string, got 3"),
    ("keymap-empty", 'keymap = ""\n', "keymap", "got ''"),
    ("team-addresses-string", 'team_addresses = "a@b.c"\n', "team_addresses", "array"),
    ("team-addresses-blank", 'team_addresses = [" "]\n', "team_addresses", "non-empty"),
    ("bodies-word", 'bodies = "some"\n', "bodies", 'must be "all", "none" or a window'),
    ("bodies-number", "bodies = 365\n", "bodies", "got 365"),
    ("bodies-no-unit", 'bodies = "365"\n', "bodies", "got '365'"),
    ("bodies-months", 'bodies = "12 months"\n', "bodies", 'such as "365 days"'),
    ("bodies-zero-days", 'bodies = "0 days"\n', "bodies", "got '0 days'"),
    ("bodies-negative", 'bodies = "-3 days"\n', "bodies", "got '-3 days'"),
    ("bodies-account", ACCOUNT + 'bodies = "never"\n', "accounts.support.bodies", "got 'never'"),
    (
        "table-value-shown-short",
        ACCOUNT + "port = { a = 1 }\n",
        "accounts.support.port",
        "got a table",
    ),
]


@pytest.mark.parametrize(
    ("text", "key", "fragment"), [case[1:] for case in INVALID], ids=[case[0] for case in INVALID]
)
def test_invalid_config_is_one_line_naming_file_and_key(
    tmp_path: Path, text: str, key: str, fragment: str
) -> None:
    message = load_error(tmp_path, text)
    assert key in message
    assert fragment in message


def test_error_points_at_the_line_of_the_key(tmp_path: Path) -> None:
    text = "keymap = 'vim'\n\n" + ACCOUNT + 'folders = ["INBOX"]\ntls = "ssl"\n'
    assert ":8: accounts.support.tls:" in load_error(tmp_path, text)


def test_unknown_key_points_at_its_line(tmp_path: Path) -> None:
    message = load_error(tmp_path, ACCOUNT + "\nprot = 1\n")
    assert message.startswith(f"{tmp_path / 'config.toml'}:6: accounts.support: unknown key")


def test_missing_key_points_at_the_table(tmp_path: Path) -> None:
    text = "keymap = 'vim'\n" + ACCOUNT.replace('host = "imap.example.com"\n', "")
    assert ":2: accounts.support: missing required key 'host'" in load_error(tmp_path, text)


def test_error_exposes_its_parts(tmp_path: Path) -> None:
    path = write(tmp_path, ACCOUNT + "port = 0\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    error = caught.value
    assert (error.file, error.line, error.key) == (str(path), 5, "accounts.support.port")


def test_config_error_can_be_raised_with_a_plain_message() -> None:
    error = ConfigError("/x/config.toml: no [accounts.NAME] table:\n write one")
    assert str(error) == "/x/config.toml: no [accounts.NAME] table: write one"
    assert ConfigError.at("/x/c.toml", "keymap", "bad", 3).args == ("/x/c.toml:3: keymap: bad",)


def test_long_string_values_are_shortened_in_messages(tmp_path: Path) -> None:
    message = load_error(tmp_path, ACCOUNT + f'tls = "{"x" * 500}"\n')
    assert len(message) < len(str(tmp_path)) + 200


# --------------------------------------------------------------------------- passwords


def test_password_from_command() -> None:
    assert get_password(account(password_command="printf secret")) == "secret"


def test_password_command_keeps_only_the_first_line() -> None:
    command = "printf 'first line\\nsecond line\\n'"
    assert get_password(account(password_command=command)) == "first line"


def test_password_command_expands_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    script = tmp_path / "getpw"
    script.write_text("#!/bin/sh\nprintf 'from-home\\n'\n")
    script.chmod(0o755)
    monkeypatch.setenv("HOME", str(tmp_path))
    assert get_password(account(password_command="~/getpw")) == "from-home"


def test_failing_password_command_does_not_leak_its_output() -> None:
    code = "import sys; print('hunter2'); sys.stderr.write('hunter2'); sys.exit(3)"
    command = shlex.join([sys.executable, "-c", code])
    with pytest.raises(PasswordError) as caught:
        get_password(account(password_command=command))
    assert str(caught.value) == "password_command for account 'support' failed with exit status 3"
    rendered = "".join(traceback.format_exception(caught.value))
    assert "hunter2" not in rendered
    assert "hunter2" not in repr(caught.value)


def test_password_command_with_empty_output() -> None:
    with pytest.raises(PasswordError, match="printed nothing"):
        get_password(account(password_command="printf ''"))


def test_password_command_with_blank_first_line() -> None:
    with pytest.raises(PasswordError, match="printed nothing"):
        get_password(account(password_command="printf '\\nsecret'"))


def test_password_command_that_does_not_exist() -> None:
    with pytest.raises(PasswordError, match="program 'no-such-program-xyz' not found"):
        get_password(account(password_command="no-such-program-xyz --flag"))


def test_password_command_that_is_not_executable(tmp_path: Path) -> None:
    script = tmp_path / "getpw"
    script.write_text("#!/bin/sh\necho x\n")
    script.chmod(0o644)
    with pytest.raises(PasswordError, match="not executable"):
        get_password(account(password_command=str(script)))


def test_password_command_runs_without_a_shell(tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    command = f"printf secret; touch {marker}"
    assert get_password(account(password_command=command)) == "secret;"
    assert not marker.exists()


def test_password_command_that_hangs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(passwords, "PASSWORD_COMMAND_TIMEOUT", 0.2)
    with pytest.raises(PasswordError, match=r"did not finish within 0\.2 s"):
        get_password(account(password_command="sleep 5"))


def test_password_command_output_that_is_not_utf8() -> None:
    with pytest.raises(PasswordError, match="not UTF-8"):
        get_password(account(password_command="printf '\\377'"))


def test_password_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SM_PW", "s3cret")
    assert get_password(account(password_env="SM_PW")) == "s3cret"


def test_unset_environment_variable_is_named(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SM_PW", raising=False)
    with pytest.raises(PasswordError, match=r"environment variable SM_PW .* is not set"):
        get_password(account(password_env="SM_PW"))


def test_empty_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SM_PW", "")
    with pytest.raises(PasswordError, match=r"SM_PW .* is empty"):
        get_password(account(password_env="SM_PW"))


def test_password_from_keyring(monkeypatch: pytest.MonkeyPatch) -> None:
    asked: list[tuple[str, str]] = []

    def fake(service: str, user: str) -> str:
        asked.append((service, user))
        return "from-keyring"

    monkeypatch.setattr(keyring, "get_password", fake)
    assert get_password(account(password_keyring=True)) == "from-keyring"
    assert asked == [("supportmail", "support@example.com@imap.example.com")]


def test_missing_keyring_entry_says_how_to_store_one(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keyring, "get_password", lambda service, user: None)
    with pytest.raises(PasswordError) as caught:
        get_password(account(password_keyring=True))
    assert "keyring set supportmail support@example.com@imap.example.com" in str(caught.value)
    assert "'support'" in str(caught.value)


def test_unusable_keyring_is_a_password_error(monkeypatch: pytest.MonkeyPatch) -> None:
    def broken(service: str, user: str) -> str:
        raise keyring.errors.NoKeyringError("No recommended backend was available.\nInstall one.")

    monkeypatch.setattr(keyring, "get_password", broken)
    with pytest.raises(PasswordError, match="No recommended backend") as caught:
        get_password(account(password_keyring=True))
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize(
    "changes",
    [{}, {"password_env": "SM_PW", "password_keyring": True}],
    ids=["none", "two"],
)
def test_get_password_needs_exactly_one_source(changes: dict[str, object]) -> None:
    with pytest.raises(PasswordError, match="exactly one password source"):
        get_password(account(**changes))
