"""The list-navigation bindings shared by list screens (report, skim).

They reuse the main list's binding ids (``thread.next``, ``page.down``, ...), so a keymap that
moves those keys (vim's ``G``, emacs's ``ctrl+n``) moves them on every list screen too. Each
screen implements ``action_move(delta)``, ``action_edge(end)`` and ``action_page(direction)``.
"""

from __future__ import annotations

from textual.binding import Binding


def list_navigation(noun: str) -> list[Binding]:
    """Next/previous/first/last/page bindings whose descriptions name ``noun`` ("tag", ...)."""
    return [
        Binding("down,j", "move(1)", f"Next {noun}", id="thread.next", show=False),
        Binding("up,k", "move(-1)", f"Previous {noun}", id="thread.prev", show=False),
        Binding("home", "edge(0)", f"First {noun}", id="thread.first", show=False),
        Binding("end", "edge(-1)", f"Last {noun}", id="thread.last", show=False),
        Binding("pagedown", "page(1)", "One page down", id="page.down", show=False),
        Binding("pageup", "page(-1)", "One page up", id="page.up", show=False),
    ]
