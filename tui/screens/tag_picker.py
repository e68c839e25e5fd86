"""The tag picker: fuzzy search over the tag catalog; Enter picks, a new name creates a tag.

``TagPicker`` is a ``ModalScreen[str | None]``: it dismisses with the tag name the user picked
(an existing one, or the typed ``team:x`` / ``category:y`` / label to create) or ``None``. The
main screen decides what picking means: toggle it on the target threads (``mode="toggle"``), or
show the threads that carry it (``mode="filter"``, where creating makes no sense).

Each tag shows its description from the shared catalog; ctrl+t (or f2) opens
``tui.screens.tag_edit`` on the highlighted tag to edit its description and shortcut, which the
``on_edit`` callback (the main screen) saves and shares.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, ClassVar, Literal

from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.fuzzy import FuzzySearch
from textual.screen import ModalScreen
from textual.style import Style
from textual.widgets import Input, OptionList, Static
from textual.widgets.option_list import Option

from supportmail.storage.tags import tag_kind
from supportmail.tui.render import safe
from supportmail.tui.screens.tag_edit import TagEditForm

if TYPE_CHECKING:
    from supportmail.storage.models import TagInfo
    from supportmail.tui.screens.tag_edit import TagEdit
    from supportmail.tui.triage import TagState

PickerMode = Literal["toggle", "filter"]

_CREATE_ID = "\x00create"
_STATE_MARK = {"all": "✓", "some": "◐", "none": " "}


def rank_tags(query: str, names: Sequence[str]) -> list[tuple[str, Sequence[int]]]:
    """``names`` matching ``query`` fuzzily, best first, with the matched offsets.

    An empty query keeps the given order. Matching ignores case.
    """
    wanted = query.strip().lower()
    if not wanted:
        return [(name, ()) for name in names]
    search = FuzzySearch()
    scored = []
    for position, name in enumerate(names):
        score, offsets = search.match(wanted, name.lower())
        if score > 0:
            scored.append((-score, position, name, offsets))
    scored.sort()
    return [(name, offsets) for _, _, name, offsets in scored]


class TagPicker(ModalScreen[str | None]):
    """Pick (or create) one tag."""

    CSS_PATH = "../styles/modals.tcss"  # loaded with the first modal screen; app-wide rules

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "dismiss_picker", "Close", show=False),
        Binding("down", "move(1)", "Next tag", show=False),
        Binding("up", "move(-1)", "Previous tag", show=False),
        Binding("ctrl+t,f2", "edit_tag", "Describe the tag", show=False),
    ]

    def __init__(
        self,
        tags: Sequence[TagInfo],
        *,
        mode: PickerMode = "toggle",
        state: Mapping[str, TagState] | None = None,
        title: str = "Toggle a tag",
        on_edit: Callable[[TagEdit], object] | None = None,
    ) -> None:
        super().__init__()
        self.tags = list(tags)
        self.on_edit = on_edit
        self.mode = mode
        self.state: Mapping[str, TagState] = state or {}
        self.title_text = title
        self._names = [t.name for t in self.tags]
        self._shortcuts = {t.name: t.shortcut for t in self.tags if t.shortcut}
        self._about = {t.name: t.description for t in self.tags if t.description}
        self._create_name: str | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="picker"):
            yield Static(Content(self.title_text), id="picker-title")
            prompt = (
                "type to filter; a new team:x, category:y or label creates it"
                if self.mode == "toggle"
                else "type to filter"
            )
            yield Input(placeholder=prompt, id="picker-input")
            yield OptionList(id="picker-options")
            hint = "enter: pick · ↑↓: move · escape: close"
            if self.on_edit is not None:
                hint += " · ctrl+t: describe"
            yield Static(Content(hint), id="picker-hint")

    def on_mount(self) -> None:
        self._refill("")
        self.query_one(Input).focus()

    @property
    def options(self) -> OptionList:
        return self.query_one(OptionList)

    def _prompt(self, name: str, offsets: Sequence[int]) -> Content:
        kind = tag_kind(name)
        shortcut = self._shortcuts.get(name)
        mark = _STATE_MARK[self.state.get(name, "none")]
        label = Content(safe(name))
        for offset in offsets:
            if offset < len(label):
                label = label.stylize(Style(bold=True, underline=True), offset, offset + 1)
        return Content.assemble(
            f"{mark} ",
            (f"{shortcut}" if shortcut else " ", Style(bold=True)),
            " ",
            label,
            (f"  {kind}", Style(dim=True)),
            (f"  {safe(self._about[name])[:60]}" if name in self._about else "", Style(dim=True)),
        )

    def _refill(self, query: str) -> None:
        ranked = rank_tags(query, self._names)
        options: list[Option] = []
        typed = " ".join(query.split()).lower()
        self._create_name = None
        if self.mode == "toggle" and typed and typed not in self._names:
            self._create_name = query.strip()
            prompt = Content.assemble(("+ create ", Style(dim=True)), safe(typed))
            options.append(Option(prompt, id=_CREATE_ID))
        options += [Option(self._prompt(name, offsets), id=name) for name, offsets in ranked]
        option_list = self.options
        option_list.clear_options()
        option_list.add_options(options)
        if options:
            best = 1 if self._create_name is not None and len(options) > 1 and ranked else 0
            option_list.highlighted = best

    @on(Input.Changed, "#picker-input")
    def _filter(self, event: Input.Changed) -> None:
        self._refill(event.value)

    @on(Input.Submitted, "#picker-input")
    def _submit(self, event: Input.Submitted) -> None:
        option_list = self.options
        if option_list.highlighted is None:
            return
        self._pick(option_list.get_option_at_index(option_list.highlighted).id)

    @on(OptionList.OptionSelected, "#picker-options")
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self._pick(event.option.id)

    def _pick(self, option_id: str | None) -> None:
        if option_id == _CREATE_ID:
            self.dismiss(self._create_name)
        elif option_id is not None:
            self.dismiss(option_id)

    def action_move(self, delta: int) -> None:
        option_list = self.options
        if option_list.option_count == 0:
            return
        current = option_list.highlighted or 0
        option_list.highlighted = max(0, min(option_list.option_count - 1, current + delta))

    def action_edit_tag(self) -> None:
        """Open the description/shortcut form on the highlighted catalog tag."""
        option_list = self.options
        if self.on_edit is None or option_list.highlighted is None:
            return
        name = option_list.get_option_at_index(option_list.highlighted).id
        tag = next((t for t in self.tags if t.name == name), None)
        if tag is None:
            return
        self.app.push_screen(TagEditForm(tag), self._edited)

    def _edited(self, edit: TagEdit | None) -> None:
        if edit is None or self.on_edit is None:
            return
        shortcut = edit.shortcut or None
        self.tags = [
            dataclasses.replace(
                t,
                description=edit.description or None if t.name == edit.name else t.description,
                shortcut=shortcut
                if t.name == edit.name
                else (None if shortcut and t.shortcut == shortcut else t.shortcut),
            )
            for t in self.tags
        ]
        self._shortcuts = {t.name: t.shortcut for t in self.tags if t.shortcut}
        self._about = {t.name: t.description for t in self.tags if t.description}
        self._refill(self.query_one(Input).value)
        self.on_edit(edit)

    def action_dismiss_picker(self) -> None:
        self.dismiss(None)
