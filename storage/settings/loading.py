"""Loading the config file: where it and the data directory live, reading the TOML, and the
validator that turns it into :class:`Settings` through the schema's checks, raising one
:class:`ConfigError` line at the first mistake."""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import platformdirs

from supportmail.storage.hosts import is_loopback
from supportmail.storage.settings import schema as k
from supportmail.storage.settings.errors import ConfigError, did_you_mean, dotted, find_line, show
from supportmail.storage.settings.model import AccountConfig, BodiesSetting, Settings, TlsMode

if TYPE_CHECKING:
    from supportmail.storage.settings.smtp import SmtpConfig

_T = TypeVar("_T")
_D = TypeVar("_D")

__all__ = ["APP_NAME", "Validator", "config_path", "data_dir", "load_settings"]

APP_NAME = "supportmail"

_PASSWORD_KEYS = ("password_command", "password_keyring", "password_env")
_ACCOUNT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")
_TOML_POSITION = re.compile(r"at line (\d+), column \d+")


def config_path(cli_value: str | None = None) -> Path:
    """The config file: ``--config``, else ``$SUPPORTMAIL_CONFIG``, else the user config dir."""
    chosen = cli_value or os.environ.get("SUPPORTMAIL_CONFIG")
    if chosen:
        return Path(chosen).expanduser()
    return platformdirs.user_config_path(APP_NAME, appauthor=False) / "config.toml"


def data_dir(cli_value: str | None = None) -> Path:
    """The data directory: ``--data-dir``, else ``$SUPPORTMAIL_DATA``, else the user data dir."""
    chosen = cli_value or os.environ.get("SUPPORTMAIL_DATA")
    if chosen:
        return Path(chosen).expanduser()
    return platformdirs.user_data_path(APP_NAME, appauthor=False)


# --------------------------------------------------------------------------- loading


def load_settings(path: Path) -> Settings:
    """Read and validate the config file; a missing file gives Settings with no accounts."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return Settings(None, {}, None, "default", (), 60)
    except OSError as exc:
        raise ConfigError.at(
            str(path), "", f"cannot read the file: {exc.strerror or exc}"
        ) from None
    try:
        text = raw.decode("utf-8").removeprefix("\ufeff")  # Notepad's byte order mark
    except UnicodeDecodeError as exc:
        raise ConfigError.at(str(path), "", f"not valid UTF-8 (byte {exc.start})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        found = _TOML_POSITION.search(str(exc))
        line = int(found.group(1)) if found else None
        raise ConfigError.at(str(path), "", f"invalid TOML: {exc}", line) from None
    return Validator(path, text).settings(data)


class Validator:
    """Turns the parsed TOML into Settings, raising ConfigError at the first mistake (also used
    by ``storage.settings.smtp`` for the ``smtp`` table)."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.lines = text.splitlines()
        self.bodies = BodiesSetting()
        """The top-level ``bodies``: the default of every account's."""

    # -- errors

    def error(self, table: Sequence[str], key: str | None, problem: str) -> ConfigError:
        parts = [*table, key] if key is not None else list(table)
        line = find_line(self.lines, tuple(table), key)
        return ConfigError.at(str(self.path), dotted(parts), problem, line)

    def check_keys(
        self, table: Sequence[str], data: Mapping[str, Any], known: Sequence[str]
    ) -> None:
        for key in data:
            if key not in known:
                hint = did_you_mean(key, known)
                problem = f"unknown key {key!r}{hint}"
                line = find_line(self.lines, tuple(table), key)
                raise ConfigError.at(str(self.path), dotted(table), problem, line)

    # -- typed getters

    def get(
        self, table: Sequence[str], data: Mapping[str, Any], key: k.Key[_T], default: _D
    ) -> _T | _D:
        """``key``'s value in ``data`` checked by the schema, or ``default`` when absent."""
        if key.name not in data:
            return default
        value = data[key.name]
        result = key.check(value)
        if result is None:
            raise self.error(table, key.name, f"must be {key.expected}, got {show(value)}")
        return result

    def require(self, table: Sequence[str], data: Mapping[str, Any], key: k.Key[_T]) -> _T:
        """``key``'s checked value; its absence is an error."""
        if key.name not in data:
            raise self.error(table, None, f"missing required key {key.name!r}")
        result = self.get(table, data, key, None)
        assert result is not None  # get() raised if the check failed
        return result

    # -- top level

    def settings(self, data: dict[str, Any]) -> Settings:
        self.check_keys((), data, k.names(k.TOP))
        self.bodies = self.get((), data, k.BODIES, BodiesSetting())
        accounts = self.accounts(data.get("accounts", {}))
        default = self.get((), data, k.DEFAULT_ACCOUNT, None)
        if default is not None and default not in accounts:
            known = ", ".join(accounts) or "none"
            hint = did_you_mean(default, list(accounts))
            problem = f"no account named {default!r}{hint}; known accounts: {known}"
            raise self.error((), "default_account", problem)
        if default is None and accounts:
            default = next(iter(accounts))
        keymap = self.get((), data, k.KEYMAP, "default")
        no_addresses: tuple[str, ...] = ()
        addresses = self.get((), data, k.TEAM_ADDRESSES, no_addresses)
        poll = self.get((), data, k.POLL_SECONDS, 60)
        return Settings(
            path=self.path,
            accounts=accounts,
            default_account=default,
            keymap=keymap,
            team_addresses=tuple(dict.fromkeys(a.lower() for a in addresses)),
            poll_seconds=poll,
            bodies=self.bodies,
        )

    def accounts(self, value: Any) -> dict[str, AccountConfig]:
        if not isinstance(value, dict):
            raise self.error((), "accounts", f"must be a table of accounts, got {show(value)}")
        accounts: dict[str, AccountConfig] = {}
        for name, table in value.items():
            if not _ACCOUNT_NAME.fullmatch(name):
                problem = "account names may hold only letters, digits, '.', '_' and '-'"
                raise self.error(("accounts",), name, problem)
            if not isinstance(table, dict):
                problem = f"must be a table ([accounts.{name}]), got {show(table)}"
                raise self.error(("accounts",), name, problem)
            accounts[name] = self.account(name, table)
        return accounts

    # -- one account

    def account(self, name: str, data: dict[str, Any]) -> AccountConfig:
        where = ("accounts", name)
        self.check_keys(where, data, k.names(k.ACCOUNT))
        host = self.require(where, data, k.HOST)
        username = self.require(where, data, k.USERNAME)
        implicit: TlsMode = "implicit"
        tls = self.get(where, data, k.TLS, implicit)
        if tls == "none" and not is_loopback(host):
            problem = (
                "plaintext login is only allowed to a loopback host; "
                'use tls = "implicit" or "starttls"'
            )
            raise self.error(where, "tls", problem)
        default_port = 993 if tls == "implicit" else 143
        port = self.get(where, data, k.PORT, default_port)
        folders = self.get(where, data, k.FOLDERS, None)
        if folders is not None and len(set(folders)) != len(folders):
            raise self.error(where, "folders", "lists the same folder twice")
        timeout = self.get(where, data, k.TIMEOUT, 30.0)
        address = self.get(where, data, k.ADDRESS, None)
        ca_file = self.get(where, data, k.CA_FILE, None)
        fingerprint = self.fingerprint(where, data, tls, ca_file)
        command, keyring, env = self.password_sources(where, data)
        smtp, sent_folder, signature = self.sending(where, data, username)
        bodies = self.get(where, data, k.ACCOUNT_BODIES, self.bodies)
        return AccountConfig(
            name=name,
            host=host,
            port=port,
            tls=tls,
            username=username,
            folders=folders if folders is not None else ("INBOX",),
            password_command=command,
            password_keyring=keyring,
            password_env=env,
            address=address,
            ca_file=self.existing_file(where, "ca_file", ca_file),
            timeout=timeout,
            tls_fingerprint=fingerprint,
            smtp=smtp,
            sent_folder=sent_folder,
            signature=signature,
            bodies=bodies,
        )

    def sending(
        self, where: tuple[str, str], data: Mapping[str, Any], username: str
    ) -> tuple[SmtpConfig | None, str, str | None]:
        """The answering keys: ``smtp`` (storage.settings.smtp), ``sent_folder``, ``signature``."""
        smtp = None
        if "smtp" in data:  # its module only for an account that sends
            from supportmail.storage.settings.smtp import parse_smtp

            smtp = parse_smtp(self, where, data["smtp"], username)
        sent = self.get(where, data, k.SENT_FOLDER, "Sent")
        signature = self.get(where, data, k.SIGNATURE, None)
        return smtp, sent.strip(), signature

    def fingerprint(
        self, where: tuple[str, str], data: Mapping[str, Any], tls: TlsMode, ca_file: str | None
    ) -> str | None:
        value = self.get(where, data, k.TLS_FINGERPRINT, None)
        if value is None:
            return None
        if tls == "none":
            raise self.error(where, "tls_fingerprint", 'needs tls = "implicit" or "starttls"')
        if ca_file is not None:
            problem = "set either ca_file or tls_fingerprint, not both (the pin replaces the CA)"
            raise self.error(where, "tls_fingerprint", problem)
        return value

    def password_sources(
        self, where: tuple[str, str], data: Mapping[str, Any]
    ) -> tuple[str | None, bool, str | None]:
        command = self.get(where, data, k.PASSWORD_COMMAND, None)
        keyring = self.get(where, data, k.PASSWORD_KEYRING, False)
        env = self.get(where, data, k.PASSWORD_ENV, None)
        chosen = [
            key
            for key, used in zip(
                _PASSWORD_KEYS, (command is not None, keyring, env is not None), strict=True
            )
            if used
        ]
        if not chosen:
            problem = (
                "no password source; set one of password_command, "
                "password_keyring = true or password_env"
            )
            raise self.error(where, None, problem)
        if len(chosen) > 1:
            problem = f"several password sources ({', '.join(chosen)}); keep exactly one"
            raise self.error(where, chosen[1], problem)
        return command, keyring, env

    def existing_file(self, where: Sequence[str], key: str, value: str | None) -> str | None:
        """``value`` resolved (``resolve``), or a config error when no file is there: a CA
        file that is missing would otherwise fail only at the first connection."""
        if value is None:
            return None
        path = self.resolve(value)
        if not Path(path).is_file():
            raise self.error(where, key, f"no such file: {path}")
        return path

    def resolve(self, value: str) -> str:
        path = Path(value).expanduser()
        if not path.is_absolute():
            path = self.path.parent / path
        return str(path)
