"""Pilot: keys typed ahead of a focus change go where the focus went (`/` and a word at once).

The terminal delivers `/refund` as seven keys in one read (a fast typist, a paste of keys, tmux
send-keys). Textual hands every one of them to the list before the list's `/` moves the focus,
so without care `r` marked a thread read and `u` switched the view instead of being typed into
the search field (``SupportMailApp._typed_ahead``)."""

from __future__ import annotations

from textual import events

from supportmail.storage.models import ThreadQuery
from supportmail.tui.widgets.search_bar import SearchBar
from tests.tui.conftest import AppFactory, main_screen, settle
from tests.tui.fakes import FakeService


def _type_at_once(app: object, text: str) -> None:
    """Post every key before the app handles the first, as one terminal read does."""
    for ch in text:
        app.post_message(events.Key("slash" if ch == "/" else ch, ch))  # type: ignore[attr-defined]


async def test_a_word_typed_right_after_slash_goes_into_the_search(
    make_app: AppFactory, service: FakeService
) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        screen = main_screen(app)
        _type_at_once(app, "/refund")
        await settle(pilot)
        assert isinstance(app.focused, SearchBar)
        assert screen.search_bar.value == "refund"
        assert not service.called("mark_read")  # `r` reached no list binding
        assert screen.thread_list.thread_query == ThreadQuery(search="refund")
