"""IMAP (and SMTP) passwords from the account's one configured source: a command's first line of
output, an environment variable, or the OS keyring. A password is never written anywhere, and no
error text contains one."""

from __future__ import annotations

import os
import shlex
import subprocess

from supportmail.storage.settings.errors import PasswordError
from supportmail.storage.settings.model import AccountConfig

__all__ = ["KEYRING_SERVICE", "PASSWORD_COMMAND_TIMEOUT", "get_password"]

KEYRING_SERVICE = "supportmail"
PASSWORD_COMMAND_TIMEOUT = 30.0


def get_password(account: AccountConfig) -> str:
    """The account's password from its one configured source; PasswordError when unavailable."""
    sources = [
        account.password_command is not None,
        account.password_keyring,
        account.password_env is not None,
    ]
    if sum(sources) != 1:
        raise PasswordError(
            f"account {account.name!r} must have exactly one password source "
            "(password_command, password_keyring or password_env)"
        )
    if account.password_command is not None:
        return _password_from_command(account.name, account.password_command)
    if account.password_env is not None:
        return _password_from_env(account.name, account.password_env)
    return _password_from_keyring(account)


def _password_from_command(name: str, command: str) -> str:
    what = f"password_command for account {name!r}"
    try:
        argv = shlex.split(command)
    except ValueError:
        raise PasswordError(f"{what} is not a valid command line") from None
    if not argv:
        raise PasswordError(f"{what} is empty")
    argv[0] = os.path.expanduser(argv[0])
    program = argv[0]
    try:
        done = subprocess.run(
            argv,
            capture_output=True,
            stdin=subprocess.DEVNULL,
            timeout=PASSWORD_COMMAND_TIMEOUT,
            check=False,
        )
    except FileNotFoundError:
        raise PasswordError(f"{what}: program {program!r} not found") from None
    except PermissionError:
        raise PasswordError(f"{what}: program {program!r} is not executable") from None
    except subprocess.TimeoutExpired:
        limit = f"{PASSWORD_COMMAND_TIMEOUT:g}"
        raise PasswordError(f"{what} did not finish within {limit} s") from None
    except OSError as exc:
        raise PasswordError(f"{what}: cannot run {program!r}: {exc.strerror}") from None
    if done.returncode != 0:
        raise PasswordError(f"{what} failed with exit status {done.returncode}")
    return _first_line(done.stdout, what)


def _first_line(output: bytes, what: str) -> str:
    try:
        text = output.decode("utf-8")
    except UnicodeDecodeError:
        raise PasswordError(f"{what} printed something that is not UTF-8") from None
    lines = text.splitlines()
    if not lines or not lines[0]:
        raise PasswordError(f"{what} printed nothing on its first line of output")
    return lines[0]


def _password_from_env(name: str, variable: str) -> str:
    value = os.environ.get(variable)
    if value is None:
        raise PasswordError(
            f"environment variable {variable} (password_env of account {name!r}) is not set"
        )
    if not value:
        raise PasswordError(
            f"environment variable {variable} (password_env of account {name!r}) is empty"
        )
    return value


def _password_from_keyring(account: AccountConfig) -> str:
    import keyring  # imported on use: loading the backends costs time at start-up
    import keyring.errors

    user = f"{account.username}@{account.host}"
    try:
        value = keyring.get_password(KEYRING_SERVICE, user)
    except keyring.errors.KeyringError as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise PasswordError(
            f"cannot read the OS keyring for account {account.name!r}: {reason}"
        ) from None
    if not value:
        command = shlex.join(["keyring", "set", KEYRING_SERVICE, user])
        raise PasswordError(
            f"no password in the OS keyring for account {account.name!r}; store one with: {command}"
        )
    return value
