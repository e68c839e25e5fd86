"""The value checks of the config keys: each takes a parsed TOML value and returns it converted,
or None when it is not acceptable (the schema pairs each check with the words of its error)."""

from __future__ import annotations

import ipaddress
import math
import re
import shlex
from collections.abc import Callable
from typing import Any, cast

from supportmail.storage.imap.tlspin import parse_fingerprint
from supportmail.storage.settings.model import TLS_MODES, BodiesSetting, TlsMode

__all__ = [
    "BODIES_EXPECTED",
    "bodies",
    "boolean",
    "command",
    "env_name",
    "fingerprint",
    "folder_list",
    "host",
    "int_range",
    "string",
    "string_list",
    "table",
    "text",
    "timeout",
    "tls",
]

_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_BODIES_WINDOW = re.compile(r"\s*(\d{1,6})\s*days?\s*", re.IGNORECASE)
BODIES_EXPECTED = '"all", "none" or a window of days such as "365 days"'
_BODIES_DAYS_MAX = 100_000


def string(value: Any) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def boolean(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None


def int_range(low: int, high: int) -> Callable[[Any], int | None]:
    def check(value: Any) -> int | None:
        ok = isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
        return cast(int, value) if ok else None

    return check


def timeout(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    number = float(value)
    return number if math.isfinite(number) and 0 < number <= 3600 else None


def bodies(value: Any) -> BodiesSetting | None:
    if not isinstance(value, str):
        return None
    word = value.strip().lower()
    if word == "all":
        return BodiesSetting()
    if word == "none":
        return BodiesSetting(enabled=False)
    match = _BODIES_WINDOW.fullmatch(value)
    if match is None or not 1 <= int(match.group(1)) <= _BODIES_DAYS_MAX:
        return None
    return BodiesSetting(days=int(match.group(1)))


def tls(value: Any) -> TlsMode | None:
    for mode in TLS_MODES:
        if value == mode:
            return mode
    return None


def host(value: Any) -> str | None:
    if not isinstance(value, str) or not value or any(not c.isprintable() for c in value):
        return None
    if any(c.isspace() or c in "/[]@" for c in value):
        return None
    if ":" in value and not _is_ip(value):
        return None  # "imap.example.com:993": the port goes in `port`
    return value


def fingerprint(value: Any) -> str | None:
    return parse_fingerprint(value) if isinstance(value, str) else None


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def string_list(value: Any) -> tuple[str, ...] | None:
    if not isinstance(value, list) or not all(string(item) for item in value):
        return None
    return tuple(item.strip() for item in value)


def folder_list(value: Any) -> tuple[str, ...] | None:
    items = string_list(value)
    return items if items else None


def command(value: Any) -> str | None:
    if string(value) is None:
        return None
    try:
        argv = shlex.split(value)
    except ValueError:
        return None
    return cast(str, value) if argv else None


def env_name(value: Any) -> str | None:
    return value if isinstance(value, str) and _ENV_NAME.fullmatch(value) else None


def table(value: Any) -> dict[str, Any] | None:
    return cast(dict[str, Any], value) if isinstance(value, dict) else None
