"""Pilot on the demo: the paragraph cursor, saving a quote and copying it with attribution.

The keys go through the default key map (``]`` / ``[`` move, ``Q`` saves, ``C`` copies); stored
state is asked of the real service after the workers finish.
"""

from __future__ import annotations

from textual.content import Content
from textual.pilot import Pilot

from supportmail.storage.service import Service
from supportmail.tui.app import SupportMailApp
from supportmail.tui.widgets.message_view import MessageCard, paragraph_span
from tests.tui.conftest import main_screen, settle, wait_until
from tests.tui.screen_text import raw_escapes, screen_ansi, screen_text


def _index(service: Service, words: str) -> tuple[int, str]:
    """Position in the "all" view and id of the first thread whose subject contains ``words``."""
    for index, summary in enumerate(service.list_threads()):
        if words in summary.subject:
            return index, summary.id
    raise AssertionError(f"no demo thread about {words!r}")


def _quotable(service: Service) -> tuple[int, str, tuple[str, ...]]:
    """The first thread of the list whose first customer message has two paragraphs or more."""
    for index, summary in enumerate(service.list_threads()):
        paragraphs = service.customer_paragraphs(summary.id)
        if len(paragraphs) >= 2:
            return index, summary.id, paragraphs
    raise AssertionError("no demo thread with two customer paragraphs")


async def _open(pilot: Pilot[object], app: SupportMailApp, index: int) -> None:
    main_screen(app).thread_list.cursor_to(index)
    await pilot.press("enter")
    await settle(pilot)


def test_paragraph_span_ignores_how_the_text_is_wrapped() -> None:
    plain = "Hi,\n\nthe export  fails\nevery time.\n"
    assert paragraph_span(plain, "the export fails every time.") == (5, len(plain) - 1)
    assert paragraph_span(plain, "not there") is None
    assert paragraph_span(plain, "   ") is None


async def test_next_paragraph_is_highlighted_and_saved(
    demo_app: SupportMailApp, demo_service: Service
) -> None:
    index, thread_id, paragraphs = _quotable(demo_service)
    async with demo_app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await _open(pilot, demo_app, index)
        screen = main_screen(demo_app)
        await pilot.press("right_square_bracket")
        await settle(pilot)
        assert screen.quotes.paragraph_index == 0
        await pilot.press("right_square_bracket", "left_square_bracket", "right_square_bracket")
        assert screen.quotes.paragraph_index == 1
        message_id, text = screen.quotes.paragraphs[1]
        assert text == paragraphs[1]
        assert screen.message_view.selected == (message_id, text)
        card = next(c for c in screen.query(MessageCard) if c.message.message_id == message_id)
        rendered = card.render()
        assert isinstance(rendered, Content)
        where = paragraph_span(rendered.plain, text)
        assert where is not None
        assert any(span.start <= where[0] and span.end >= where[1] for span in rendered.spans)
        await pilot.press("Q")
        await settle(pilot)
        saved = demo_service.quotes(thread_id)
        assert [q.text for q in saved] == [text]
        assert "quote saved" in screen.status.hint
        assert screen.side_panel.has_class("-has-quotes")
        assert text[:20] in screen_text(demo_app)


async def test_copy_puts_the_attributed_quote_on_the_clipboard(
    demo_app: SupportMailApp, demo_service: Service
) -> None:
    index, thread_id, _paragraphs = _quotable(demo_service)
    async with demo_app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await _open(pilot, demo_app, index)
        screen = main_screen(demo_app)
        await pilot.press("C")
        assert "pick a paragraph first" in screen.status.hint
        await pilot.press("right_square_bracket")
        await settle(pilot)
        await pilot.press("C")
        await settle(pilot)
        saved = demo_service.quotes(thread_id)
        assert len(saved) == 1  # copying keeps it as a quote too
        assert demo_app.clipboard == demo_service.quote_with_attribution(saved[0])
        assert saved[0].text in demo_app.clipboard
        assert "copied" in screen.status.hint
        await pilot.press("y")  # copying it again does not save it twice
        await settle(pilot)
        assert len(demo_service.quotes(thread_id)) == 1


async def test_hostile_paragraphs_are_quoted_safely(
    demo_app: SupportMailApp, demo_service: Service
) -> None:
    async with demo_app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        screen = main_screen(demo_app)
        cases = (("[bold]Rich markup[/bold]", 1, "[@click=app.quit]this[/]"),
                 ("wiped my terminal", 3, "␛[2J"))  # fmt: skip
        for words, presses, shown in cases:
            index, thread_id = _index(demo_service, words)
            await _open(pilot, demo_app, index)
            await pilot.press("right_square_bracket")
            await settle(pilot)
            await pilot.press(*["right_square_bracket"] * (presses - 1), "C")
            await settle(pilot)
            assert demo_app.is_running
            assert shown in demo_app.clipboard and "\x1b" not in demo_app.clipboard
            assert [q.text for q in demo_service.quotes(thread_id)] == [
                screen.quotes.paragraphs[presses - 1][1]
            ]
            assert "\x1b" not in screen_text(demo_app)
            assert not raw_escapes(screen_ansi(demo_app))


async def test_the_walk_skips_the_teams_replies(
    demo_app: SupportMailApp, demo_service: Service
) -> None:
    """Agents answer from their own plotline.example addresses: ``]`` never lands on them, nor
    on a sign-off ("All the best, Jonas"), in a real demo thread with several replies."""
    index, thread_id = next(
        (i, s.id) for i, s in enumerate(demo_service.list_threads()) if s.messages >= 4
    )
    detail = demo_service.thread(thread_id)
    team_ids = {m.message_id for m in detail.messages if "plotline.example" in m.sender.addr}
    assert team_ids
    async with demo_app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await _open(pilot, demo_app, index)
        screen = main_screen(demo_app)
        await pilot.press("right_square_bracket")
        await wait_until(pilot, lambda: screen.quotes.paragraph_index == 0, "first paragraph")
        walked = {message_id for message_id, _ in screen.quotes.paragraphs}
        assert walked and not walked & team_ids
        texts = " ".join(text for _, text in screen.quotes.paragraphs)
        assert "All the best" not in texts and "Kind regards" not in texts
