"""Keys and tag names in words: what the help screen, the pane notes, the command palette and the
status hints say instead of binding ids.

* :func:`binding_keys` maps each binding id of a screen to the keys the active keymap gives it,
  as the footer would print them (``f``, ``pgdn``, ``^s``). It reads the keymap itself, not the
  focus chain, so a key that a focused widget shadows (``home`` in a scrolled thread) is still
  named.
* :func:`speak` fills ``{thread.quotes}`` placeholders in a sentence with those keys ("f"; "z or
  ^z" for two; "(no key)" when the keymap leaves the id without one).
* :func:`describe` is a binding's description with the tag it toggles named
  ("Toggle category:bug").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from textual.app import App
from textual.binding import Binding, BindingType

if TYPE_CHECKING:
    from supportmail.storage.models import TagInfo

__all__ = ["NO_KEY", "binding_keys", "describe", "join_keys", "speak"]

NO_KEY = "(no key)"
"""What stands for a key when the keymap gives a binding id none."""

_PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_.]*)\}")
_TOGGLE = re.compile(r"^tag\.toggle\.(\d)$")


def binding_keys(
    app: App[Any], bindings: Iterable[BindingType], keymap: Mapping[str, str] | None = None
) -> dict[str, tuple[str, ...]]:
    """Binding id -> displayed keys: the keymap's keys for the id (default: the app's
    ``keymap``), else the binding's own."""
    if keymap is None:
        keymap = getattr(app, "keymap", None) or {}
    out: dict[str, tuple[str, ...]] = {}
    for binding in bindings:
        if not isinstance(binding, Binding) or binding.id is None:
            continue
        spec = keymap.get(binding.id, binding.key)
        keys = [k.strip() for k in spec.split(",") if k.strip()]
        shown = tuple(app.get_key_display(Binding(k, "")) for k in keys)
        out[binding.id] = out.get(binding.id, ()) + tuple(
            k for k in shown if k not in out.get(binding.id, ())
        )
    return out


def join_keys(keys: Sequence[str]) -> str:
    """``f``; ``z or ^z``; :data:`NO_KEY` for none."""
    return " or ".join(keys) if keys else NO_KEY


def speak(text: str, keys: Mapping[str, Sequence[str]]) -> str:
    """``text`` with each ``{binding.id}`` replaced by its keys (unknown ids stay as written)."""

    def fill(match: re.Match[str]) -> str:
        binding_id = match.group(1)
        return join_keys(keys[binding_id]) if binding_id in keys else match.group(0)

    return _PLACEHOLDER.sub(fill, text)


def describe(binding_id: str, description: str, catalog: Sequence[TagInfo]) -> str:
    """The description, with a tag toggle naming its tag ("Toggle category:bug"; "Toggle
    shortcut tag 4 (no tag has it)" when no tag has that shortcut)."""
    match = _TOGGLE.match(binding_id)
    if match is None:
        return description
    number = match.group(1)
    tag = next((t.name for t in catalog if t.shortcut == number), None)
    return f"Toggle {tag}" if tag else f"Toggle shortcut tag {number}: no tag has it"
