"""The tag catalog of the main screen: the tags behind the digits, the picker and the help.

``load`` reads ``service.tags()`` in a thread worker (after the first frame, after each stored
edit and sync); the tag picker (``tui.screens.tag_picker``) toggles a tag on the selection or
picks one for the tag view, and saves a tag's description and shortcut (``_edit_tag``).
Failures are one line in the status bar, through the sync controller's ``SyncFailed``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual import on, work

from supportmail.tui.controllers.base import Controller, error_text
from supportmail.tui.messages import CatalogLoaded, SyncFailed
from supportmail.tui.render import canonical_guess
from supportmail.tui.triage import tag_state

if TYPE_CHECKING:
    from supportmail.storage.models import TagInfo
    from supportmail.tui.main.screen import MainScreen
    from supportmail.tui.screens.tag_edit import TagEdit
    from supportmail.tui.screens.tag_picker import PickerMode, TagPicker
    from supportmail.tui.triage import TagState

__all__ = ["TagCatalog"]


class TagCatalog(Controller):
    """The catalog's tags, their loading, and the tag picker."""

    def __init__(self, main: MainScreen) -> None:
        super().__init__(main)
        self.tags: list[TagInfo] = []

    def _failed(self, text: str) -> None:
        """From a worker: one line in the status bar (the sync controller's message)."""
        self.main.sync.post_message(SyncFailed(text))

    @work(thread=True, exclusive=True, group="catalog", exit_on_error=False)
    def load(self) -> None:
        try:
            tags = self.service.tags()
        except Exception as exc:  # the digits say so when pressed
            self._failed(f"could not read the tag catalog: {error_text(exc)}")
            return
        self.post_message(CatalogLoaded(tags))

    @on(CatalogLoaded)
    def _loaded(self, message: CatalogLoaded) -> None:
        self.tags = message.tags

    def picker(
        self, *, mode: PickerMode, title: str, state: dict[str, TagState] | None = None
    ) -> TagPicker:
        from supportmail.tui.screens.tag_picker import TagPicker

        return TagPicker(self.tags, mode=mode, state=state, title=title, on_edit=self._edit_tag)

    def pick(self) -> None:
        """The picker over the selection (or the cursor's thread): the chosen tag toggles."""
        targets = self.main.thread_list.targets()
        if not targets:
            self.hint("no thread to tag")
            return
        names = [t.name for t in self.tags]
        state: dict[str, TagState] = {name: tag_state(targets, name) for name in names}
        for target in targets:
            for name in target.tags:
                state.setdefault(name, tag_state(targets, name))
        count = len(targets)
        title = f"Toggle a tag on {count} thread{'s' if count != 1 else ''}"
        self.app.push_screen(self.picker(mode="toggle", state=state, title=title), self._picked)

    def _picked(self, name: str | None) -> None:
        if name:
            self.main.triage.toggle(canonical_guess(name))

    @work(thread=True, group="catalog-edit", exit_on_error=False)
    def _edit_tag(self, edit: TagEdit) -> None:
        """Save a tag's description and shortcut from the picker (a shortcut another tag held
        moves to this one), share it, and reload the catalog (``tui.screens.tag_edit``)."""
        try:
            for other in self.tags:
                if edit.shortcut and other.shortcut == edit.shortcut and other.name != edit.name:
                    self.service.tag_catalog.set(other.name, shortcut="", share=False)
            _info, problem = self.service.tag_catalog.set(
                edit.name, description=edit.description, shortcut=edit.shortcut
            )
            tags = self.service.tags()
        except Exception as exc:  # one line in the status bar; the catalog is reloaded
            self._failed(f"tag not saved: {error_text(exc)}")
            self.load()
            return
        self.post_message(CatalogLoaded(tags))
        if problem:
            self._failed(f"tag saved here; the next sync shares it ({problem})")
