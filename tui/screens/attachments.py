"""Two small modal lists over the open thread: its attachments (open or save) and its links
(open or copy, the text and the real target side by side).

Both load in a thread worker (attachments are listed from the server's structure of each
message; links come from the HTML part), and every action runs in a worker too: the UI never
waits on the network, the disk or the viewer. Opening saves a private copy
(``Service.attachments.open_copy``) and starts the viewer detached (``tui.opener``: mailcap or
xdg-open, never a shell). Copying uses OSC 52 (``App.copy_to_clipboard``), as the quote copy.

Keys: enter or ``o`` opens, ``s`` saves (attachments: into ``~/Downloads`` or the start
directory, never over an existing file), ``c``/``y`` copies (links), escape closes.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar
from urllib.parse import urlsplit

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.content import Content
from textual.message import Message
from textual.screen import ModalScreen
from textual.style import Style
from textual.widgets import OptionList, Static
from textual.widgets.option_list import Option

from supportmail.storage.models import AttachmentFile, Link
from supportmail.tui import opener
from supportmail.tui.render import safe

if TYPE_CHECKING:
    from supportmail.storage.service.api import ServiceApi

__all__ = ["AttachmentsScreen", "LinksScreen", "host_differs"]

_CSS = """
AttachmentsScreen, LinksScreen { align: center middle; }
.file-list {
    width: 100; max-width: 100%; height: auto; max-height: 80%;
    border: thick $accent; background: $surface; padding: 0 1;
}
.file-list > Static { color: $text-muted; }
.file-list > OptionList { height: auto; max-height: 20; border: none; }
"""


def _size(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    return f"{n / 1024:.1f} KB" if n < 1024 * 1024 else f"{n / (1024 * 1024):.1f} MB"


def host_differs(link: Link) -> bool:
    """The link's text looks like an address whose host is not the target's (phishing)."""
    text = link.text.strip().lower()
    if not text or " " in text or "." not in text:
        return False
    shown = urlsplit(text if "://" in text else "https://" + text).hostname or ""
    real = urlsplit(link.target.lower()).hostname or ""
    return bool(shown and real) and shown.removeprefix("www.") != real.removeprefix("www.")


class _Loaded(Message):
    def __init__(self, items: list[object], error: str | None = None) -> None:
        super().__init__()
        self.items = items
        self.error = error


class _Said(Message):
    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = text


class _ListScreen(ModalScreen[None]):
    """A titled option list with a status line, loaded by ``_load`` in a worker."""

    CSS_PATH = "../styles/modals.tcss"  # loaded with the first modal screen; app-wide rules

    DEFAULT_CSS = _CSS
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,q", "close", "Close", show=False),
        Binding("enter,o", "open", "Open", show=False),
    ]
    TITLE_TEXT = ""
    HINT = ""
    EMPTY = ""

    def __init__(
        self,
        service: ServiceApi,
        thread_id: str,
        fetch: Callable[[], list[object]],
        prompt: Callable[[object], Content],
    ) -> None:
        super().__init__()
        self.service = service
        self.thread_id = thread_id
        self.items: list[object] = []
        self._fetch = fetch
        self._prompt = prompt

    def compose(self) -> ComposeResult:
        with Vertical(classes="file-list"):
            yield Static(Content(self.TITLE_TEXT))
            yield OptionList()
            yield Static(Content("loading…"), id="list-status")
            yield Static(Content(self.HINT))

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()
        self._load()

    @work(thread=True, exit_on_error=False)
    def _load(self) -> None:
        try:
            items = self._fetch()
        except Exception as exc:  # offline, refused: one line
            self.post_message(_Loaded([], str(exc) or type(exc).__name__))
            return
        self.post_message(_Loaded(items))

    @on(_Loaded)
    def _loaded(self, message: _Loaded) -> None:
        self.items = message.items
        options = self.query_one(OptionList)
        options.clear_options()
        options.add_options([Option(self._prompt(item)) for item in self.items])
        if self.items:
            options.highlighted = 0
        self.say(message.error or self.EMPTY if not self.items else "")

    @on(_Said)
    def _said(self, message: _Said) -> None:
        self.say(message.text)

    def say(self, text: str) -> None:
        self.query_one("#list-status", Static).update(Content(safe(text)))

    def current(self) -> object | None:
        index = self.query_one(OptionList).highlighted
        return self.items[index] if index is not None and index < len(self.items) else None

    @on(OptionList.OptionSelected)
    async def _selected(self, _event: OptionList.OptionSelected) -> None:
        await self.run_action("open")

    def action_close(self) -> None:
        self.dismiss(None)


class AttachmentsScreen(_ListScreen):
    """The open thread's attachments: open one in its viewer, or save it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "save", "Save", show=False),
    ]
    TITLE_TEXT = "Attachments"
    HINT = "enter/o: open · s: save · escape: close"
    EMPTY = "no attachments in this thread"

    def __init__(self, service: ServiceApi, thread_id: str) -> None:
        super().__init__(
            service,
            thread_id,
            lambda: list(service.attachments.files(thread_id)),
            self._attachment_prompt,
        )

    @staticmethod
    def _attachment_prompt(item: object) -> Content:
        assert isinstance(item, AttachmentFile)
        a = item.sanitized()
        return Content.assemble(
            (f"msg {a.message}  ", Style(dim=True)),
            a.filename or f"(unnamed {a.index})",
            (f"  {a.content_type}  {_size(a.size)}", Style(dim=True)),
        )

    def action_open(self) -> None:
        item = self.current()
        if isinstance(item, AttachmentFile):
            self.say(f"opening {item.filename or 'the attachment'}…")
            self._open_file(item)

    def action_save(self) -> None:
        item = self.current()
        if isinstance(item, AttachmentFile):
            self.say(f"saving {item.filename or 'the attachment'}…")
            self._save_file(item)

    @work(thread=True, exit_on_error=False, group="attachment")
    def _open_file(self, item: AttachmentFile) -> None:
        try:
            saved = self.service.attachments.open_copy(self.thread_id, item.message, item.index)
            argv = opener.viewer_for(saved.path, item.content_type)
            if argv is None:
                self.post_message(_Said(f"no viewer (mailcap, xdg-open); saved as {saved.path}"))
                return
            opener.launch(argv)
        except Exception as exc:  # offline, no disk, the viewer missing: one line
            self.post_message(_Said(f"not opened: {exc}"))
            return
        self.post_message(_Said(f"opened {saved.path.name} with {argv[0].rsplit('/', 1)[-1]}"))

    @work(thread=True, exit_on_error=False, group="attachment")
    def _save_file(self, item: AttachmentFile) -> None:
        attachments = self.service.attachments
        try:
            saved = attachments.save(
                self.thread_id, attachments.download_dir(), item.message, only=item.index
            )
        except Exception as exc:  # offline, a full disk: one line
            self.post_message(_Said(f"not saved: {exc}"))
            return
        self.post_message(_Said(f"saved {saved[0].path}"))


class LinksScreen(_ListScreen):
    """The open thread's links, the text and the real target side by side: open or copy."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("c,y", "copy", "Copy the target", show=False),
    ]
    TITLE_TEXT = "Links (text → where it really goes; ⚠: the text names another host)"
    HINT = "enter/o: open · c/y: copy the target · escape: close"
    EMPTY = "no links in this thread"

    def __init__(self, service: ServiceApi, thread_id: str) -> None:
        super().__init__(
            service,
            thread_id,
            lambda: list(service.attachments.thread_links(thread_id)),
            self._link_prompt,
        )

    @staticmethod
    def _link_prompt(item: object) -> Content:
        assert isinstance(item, tuple)
        number, link = item
        assert isinstance(link, Link)
        warn = host_differs(link)
        return Content.assemble(
            (f"msg {number}  ", Style(dim=True)),
            ("⚠ " if warn else "", Style(bold=True)),
            safe(link.text or "(no text)")[:50],
            ("  →  ", Style(dim=True)),
            (safe(link.target), Style(bold=warn)),
        )

    def _link(self) -> Link | None:
        item = self.current()
        return item[1] if isinstance(item, tuple) and isinstance(item[1], Link) else None

    def action_open(self) -> None:
        link = self._link()
        if link is not None:
            self._open_link(link.target)

    @work(thread=True, exit_on_error=False, group="link")
    def _open_link(self, target: str) -> None:
        argv = opener.url_opener(target)
        if argv is None:
            self.post_message(_Said("only http, https and mailto links open (or no xdg-open)"))
            return
        try:
            opener.launch(argv)
        except OSError as exc:
            self.post_message(_Said(f"not opened: {exc}"))
            return
        self.post_message(_Said(f"opened {target}"))

    def action_copy(self) -> None:
        link = self._link()
        if link is not None:
            self.app.copy_to_clipboard(link.target)
            self.say(f"copied {link.target}")
