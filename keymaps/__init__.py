"""Key maps: which keys run which action, as data files layered default -> named map -> user.

A key map is a plain ``dict`` from a binding id (``"thread.next"``) to a comma-separated key
string in Textual's syntax (``"down,j"``); the app hands the merged map to ``App.set_keymap``.

============================  ================================================================
file                          role
============================  ================================================================
``default.toml``              the reference: every binding id with its keys and a description
``vim``, ``emacs``, ``mutt``  overrides only (``[keys]`` table), ``extends = "default"``
a user file (any path)        the same shape as vim.toml; ``extends`` names the map it starts
                              from
``user_overrides``            a dict from the config, applied last
============================  ================================================================

Mistakes are refused with one :class:`KeymapError` line that names the file, the id or the key:
an unknown id (with a close-match hint), a malformed key, or one key bound to two actions.
This module never imports Textual; the key names it accepts are Textual's.
"""

from __future__ import annotations

import difflib
import functools
import tomllib
import unicodedata
from collections.abc import Mapping
from pathlib import Path
from typing import Any, NamedTuple

__all__ = [
    "BUILTIN_KEYMAPS",
    "BindingInfo",
    "Keymap",
    "KeymapError",
    "binding_catalog",
    "check_key",
    "load_keymap",
    "split_keys",
]

Keymap = dict[str, str]
"""Binding id -> comma-separated keys (Textual syntax)."""

BUILTIN_KEYMAPS: tuple[str, ...] = ("default", "vim", "emacs", "mutt")

MODIFIERS = frozenset({"ctrl", "shift", "alt", "meta", "super", "hyper"})

_NAMED_KEYS = frozenset(
    {
        "escape", "enter", "return", "tab", "backspace", "space", "insert", "delete",
        "up", "down", "left", "right", "home", "end", "pageup", "pagedown",
        *(f"f{n}" for n in range(1, 25)),
    }
)  # fmt: skip

# Textual names punctuation keys after their Unicode names, with a few friendlier ones.
_FRIENDLY = {
    "solidus": "slash",
    "reverse_solidus": "backslash",
    "commercial_at": "at",
    "hyphen_minus": "minus",
    "plus_sign": "plus",
    "low_line": "underscore",
}


def _punctuation_names() -> frozenset[str]:
    names = set()
    for code in range(0x21, 0x7F):
        char = chr(code)
        if char.isalnum():
            continue
        name = unicodedata.name(char).lower().replace(" ", "_").replace("-", "_")
        names.add(_FRIENDLY.get(name, name))
    return frozenset(names)


CHARACTER_KEY_NAMES = _punctuation_names()
"""Names of the ASCII punctuation keys, e.g. ``question_mark``, ``slash``, ``comma``."""


class KeymapError(ValueError):
    """A key map file or override that cannot be used; the text is one line."""


class BindingInfo(NamedTuple):
    """One binding id of the reference map."""

    id: str
    keys: str
    description: str


# --------------------------------------------------------------------------- keys


def split_keys(keys: str) -> list[str]:
    """The single keys of a comma-separated key string, stripped."""
    return [key.strip() for key in keys.split(",")]


def check_key(key: str) -> str:
    """Return ``key`` if it is one key Textual can bind, else raise ValueError saying why."""
    if not key:
        raise ValueError("empty key (write 'comma' for the comma key)")
    if len(key) == 1:
        if not key.isprintable() or key.isspace():
            raise ValueError(f"{key!r} is not a key (write 'space' for the space bar)")
        return key
    parts = key.split("+")
    base = parts[-1]
    modifiers = parts[:-1]
    for modifier in modifiers:
        if modifier not in MODIFIERS:
            known = ", ".join(sorted(MODIFIERS))
            raise ValueError(f"unknown modifier {modifier!r} in {key!r} (known: {known})")
    if len(set(modifiers)) != len(modifiers):
        raise ValueError(f"repeated modifier in {key!r}")
    if len(base) == 1 and modifiers and base.isprintable() and not base.isspace():
        return key
    if base.lower() in _NAMED_KEYS or base in CHARACTER_KEY_NAMES:
        return key
    if not base:
        raise ValueError(f"{key!r} has no key after the modifier")
    hint = _did_you_mean(base, sorted(_NAMED_KEYS | CHARACTER_KEY_NAMES))
    raise ValueError(f"unknown key name {base!r} in {key!r}{hint}")


def _normal_form(key: str) -> str:
    """The key as Textual compares it: single punctuation characters by name."""
    if len(key) == 1 and not key.isalnum():
        name = unicodedata.name(key, key).lower().replace(" ", "_").replace("-", "_")
        return _FRIENDLY.get(name, name)
    return key


def _did_you_mean(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


# --------------------------------------------------------------------------- files


def _builtin_text(name: str) -> str:
    """A bundled key map's text: the file beside this module, as every install but a zip has
    it (``importlib.resources`` and the modules it imports cost the start-up ~7 ms)."""
    try:
        return Path(__file__).with_name(name).read_text("utf-8")
    except OSError:
        from importlib import resources

        return resources.files(__name__).joinpath(name).read_text("utf-8")


def _read_toml(path: Path | None, builtin: str | None) -> dict[str, Any]:
    """A key map file's table; a bundled map's is read once per process (the start-up asks
    for ``default.toml`` twice). Callers only read the tables they get."""
    if path is None and builtin is not None:
        return _builtin_table(builtin)
    return _parse_file(path, builtin)


@functools.cache
def _builtin_table(builtin: str) -> dict[str, Any]:
    return _parse_file(None, builtin)


def _parse_file(path: Path | None, builtin: str | None) -> dict[str, Any]:
    where = str(path) if path is not None else f"keymaps/{builtin}.toml"
    try:
        if path is not None:
            text = path.read_text(encoding="utf-8").removeprefix("\ufeff")  # Notepad's BOM
        else:
            text = _builtin_text(f"{builtin}.toml")
        return tomllib.loads(text)
    except FileNotFoundError:
        raise KeymapError(f"{where}: keymap file not found") from None
    except OSError as exc:
        raise KeymapError(f"{where}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise KeymapError(f"{where}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise KeymapError(f"{where}: not valid TOML: {exc}") from None


def binding_catalog() -> dict[str, BindingInfo]:
    """Every binding id of the app, from ``default.toml``, in file order."""
    return dict(_catalog())


@functools.cache
def _catalog() -> dict[str, BindingInfo]:
    data = _read_toml(None, "default")
    table = data.get("bindings")
    if not isinstance(table, dict):
        raise KeymapError("keymaps/default.toml: missing [bindings] table")
    out: dict[str, BindingInfo] = {}
    for binding_id, entry in table.items():
        if not isinstance(entry, dict) or not isinstance(entry.get("keys"), str):
            raise KeymapError(f'keymaps/default.toml: {binding_id}: needs keys = "..."')
        out[binding_id] = BindingInfo(binding_id, entry["keys"], str(entry.get("description", "")))
    return out


def _layer_file(name: str) -> tuple[str, Path | None, str | None]:
    """(label for errors, path or None, builtin name or None) for a map name or file path."""
    if name in BUILTIN_KEYMAPS:
        return f"keymaps/{name}.toml", None, name
    if name.endswith(".toml") or "/" in name or name.startswith("~"):
        path = Path(name).expanduser()
        return str(path), path, None
    hint = _did_you_mean(name, list(BUILTIN_KEYMAPS))
    known = ", ".join(BUILTIN_KEYMAPS)
    raise KeymapError(f"unknown keymap {name!r}{hint}; known: {known}, or a path to a .toml file")


def _read_layer(name: str, seen: tuple[str, ...]) -> list[tuple[str, dict[str, Any]]]:
    """The chain of override tables for ``name``, base first (``extends`` followed)."""
    if name == "default":
        return []
    label, path, builtin = _layer_file(name)
    if name in seen:
        raise KeymapError(f"{label}: 'extends' loops back to {name!r}")
    data = _read_toml(path, builtin)
    unknown = sorted(set(data) - {"extends", "keys"})
    if unknown:
        hint = _did_you_mean(unknown[0], ["extends", "keys"])
        raise KeymapError(f"{label}: unknown setting {unknown[0]!r}{hint}; expected extends, keys")
    base = data.get("extends", "default")
    if not isinstance(base, str) or not base:
        raise KeymapError(f'{label}: extends must be the name of a keymap, e.g. "vim"')
    keys = data.get("keys", {})
    if not isinstance(keys, dict):
        raise KeymapError(f'{label}: [keys] must be a table of binding id = "keys"')
    return [*_read_layer(base, (*seen, name)), (label, keys)]


# --------------------------------------------------------------------------- merging


def _key_string(label: str, binding_id: str, value: object) -> str:
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        value = ",".join(value)
    if not isinstance(value, str):
        raise KeymapError(f'{label}: {binding_id}: keys must be a string such as "j,down"')
    keys = split_keys(value)
    for key in keys:
        try:
            check_key(key)
        except ValueError as exc:
            raise KeymapError(f"{label}: {binding_id}: {exc}") from None
    return ",".join(keys)


def _apply(
    label: str, keymap: Keymap, overrides: Mapping[str, object], known: Mapping[str, BindingInfo]
) -> None:
    for binding_id, value in overrides.items():
        if binding_id not in known:
            hint = _did_you_mean(binding_id, list(known))
            raise KeymapError(f"{label}: unknown binding id {binding_id!r}{hint}")
        keymap[binding_id] = _key_string(label, binding_id, value)


def _check_clashes(keymap: Keymap, origin: str) -> None:
    owner: dict[str, str] = {}
    for binding_id, keys in keymap.items():
        for key in split_keys(keys):
            normal = _normal_form(key)
            other = owner.setdefault(normal, binding_id)
            if other != binding_id:
                raise KeymapError(
                    f"{origin}: key {key!r} is bound to both {other!r} and {binding_id!r}"
                )


def load_keymap(name: str = "default", user_overrides: Mapping[str, str] | None = None) -> Keymap:
    """The merged key map: ``default.toml``, then the map ``name`` (or file), then overrides.

    Every binding id appears in the result. Raises :class:`KeymapError` (one line) on an unknown
    map, id or key name, on a malformed file, and when one key ends up bound to two actions.
    """
    known = binding_catalog()
    keymap: Keymap = {}
    _apply("keymaps/default.toml", keymap, {i: b.keys for i, b in known.items()}, known)
    layers = _read_layer(name, ())
    for label, table in layers:
        _apply(label, keymap, table, known)
    origin = layers[-1][0] if layers else "keymaps/default.toml"
    if user_overrides:
        _apply("keymap overrides", keymap, user_overrides, known)
        origin = f"{origin} + overrides" if layers else "keymap overrides"
    _check_clashes(keymap, origin)
    return keymap
