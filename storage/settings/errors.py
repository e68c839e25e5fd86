"""Configuration errors and the pieces of their one-line messages: :class:`ConfigError`,
:class:`PasswordError`, how a value is shown, close-match hints, dotted key paths, and the cheap
scan that finds a key's line in the config file."""

from __future__ import annotations

import difflib
import re
from collections.abc import Sequence
from typing import Any

from supportmail.storage.sanitize import one_line

__all__ = ["ConfigError", "PasswordError", "did_you_mean", "dotted", "find_line", "show"]

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


class ConfigError(Exception):
    """A mistake in the configuration; ``str()`` is one line: file, key and what is wrong.

    Raise it with a ready message (``ConfigError("path: what is wrong")``) or build it from parts
    with :meth:`at`; the parts stay available as ``file``, ``line`` (1-based or None), ``key``
    (dotted key path, or "") and ``problem``.
    """

    def __init__(
        self,
        message: str,
        *,
        file: str = "",
        key: str = "",
        problem: str = "",
        line: int | None = None,
    ) -> None:
        super().__init__(one_line(message))
        self.file = file
        self.key = key
        self.problem = problem or one_line(message)
        self.line = line

    @classmethod
    def at(cls, file: str, key: str, problem: str, line: int | None = None) -> ConfigError:
        """``FILE[:LINE]: KEY: PROBLEM`` (the key part is left out when empty)."""
        where = f"{file}:{line}" if line is not None else file
        message = ": ".join([where, key, problem] if key else [where, problem])
        return cls(message, file=file, key=key, problem=problem, line=line)


class PasswordError(Exception):
    """A password could not be obtained; the one-line text never contains a password."""

    def __init__(self, message: str) -> None:
        super().__init__(one_line(message))


def show(value: Any) -> str:
    """A short, one-line description of a TOML value for an error message."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        shown = repr(value)
        return shown if len(shown) <= 60 else shown[:57] + "...'"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    return f"a {type(value).__name__}"


def did_you_mean(word: str, choices: Sequence[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def dotted(parts: Sequence[str]) -> str:
    return ".".join(p if _BARE_KEY.fullmatch(p) else _quote(p) for p in parts)


def _quote(part: str) -> str:
    escaped = part.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + "".join(c if c.isprintable() else f"\\u{ord(c):04x}" for c in escaped) + '"'


# --------------------------------------------------------------------------- line lookup
# A cheap scan of the file's lines: good for the usual "[table]" + "key = value" layout; anything
# fancier (inline tables, dotted keys) just gives no line number.


def find_line(lines: Sequence[str], table: tuple[str, ...], key: str | None) -> int | None:
    current: tuple[str, ...] = ()
    header_line: int | None = None
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if stripped.startswith("["):
            current = _header(stripped)
            if current == table:
                header_line = number
                if key is None:
                    return number
            continue
        if key is not None and current == table and _assigns(stripped, key):
            return number
    return header_line


def _header(line: str) -> tuple[str, ...]:
    inner = line.split("]", 1)[0].lstrip("[")
    return tuple(part.strip().strip("\"'") for part in inner.split("."))


def _assigns(line: str, key: str) -> bool:
    name = line.split("=", 1)[0].strip().strip("\"'") if "=" in line else None
    return name == key
