"""Pilot: the search field's words searched on the server (``search.server``), on ``FakeService``.

The fake server matches what the test says (``server_hits``), can be held (``server_gate``) to
see the "searching the server…" state, and can fail as offline (``server_error``).
"""

from __future__ import annotations

import threading

from textual.pilot import Pilot

from supportmail.tui.app import SupportMailApp
from supportmail.tui.main.screen import MainScreen
from tests.tui.conftest import AppFactory, main_screen, settle
from tests.tui.fakes import FakeService

WORDS = "quetzalcoatl"
"""In no subject or name: the local search finds nothing."""


def _listed(screen: MainScreen) -> list[str]:
    threads = screen.thread_list
    out = []
    for index in range(threads.count):
        summary = threads.summary_at(index)
        assert summary is not None
        out.append(summary.id)
    return out


async def _typed(pilot: Pilot[None], app: SupportMailApp, words: str) -> MainScreen:
    await settle(pilot)  # type: ignore[arg-type]
    screen = main_screen(app)
    await pilot.press("slash", *words)
    await settle(pilot)  # type: ignore[arg-type]
    return screen


async def test_ctrl_s_in_the_field_searches_the_server(
    make_app: AppFactory, service: FakeService
) -> None:
    hits = [service.order[5], service.order[2]]
    service.server_hits[WORDS] = hits
    service.server_gate = threading.Event()
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _typed(pilot, app, WORDS)
        assert screen.thread_list.count == 0  # nothing local
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert screen.status.hint == f'searching the server for "{WORDS}"…'
        assert screen.status.view == f'all · search "{WORDS}" · searching the server…'
        service.server_gate.set()
        await settle(pilot)  # type: ignore[arg-type]
        assert service.called("search_server") == [WORDS]
        assert _listed(screen) == [service.order[2], service.order[5]]  # the list's order
        assert screen.thread_list.thread_query.roots is not None
        assert screen.status.view == f'all · server search "{WORDS}"'
        assert screen.status.hint == f'server: 2 threads for "{WORDS}"'
        assert app.focused is screen.search_bar  # typing goes on


async def test_s_in_the_list_searches_the_server_and_new_words_go_local_again(
    make_app: AppFactory, service: FakeService
) -> None:
    service.server_hits[WORDS] = [service.order[0]]
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _typed(pilot, app, WORDS)
        await pilot.press("enter")
        assert app.focused is screen.thread_list
        await pilot.press("S")
        await settle(pilot)  # type: ignore[arg-type]
        assert _listed(screen) == [service.order[0]]
        await pilot.press("u")  # another view: the server's threads, filtered
        await settle(pilot)  # type: ignore[arg-type]
        assert screen.thread_list.thread_query.roots is not None
        await pilot.press("a", "slash", "end", "x")  # other words: the local search again
        await settle(pilot)  # type: ignore[arg-type]
        query = screen.thread_list.thread_query
        assert query.roots is None and query.search == WORDS + "x"
        assert screen.status.view == f'all · search "{WORDS}x"'
        await pilot.press("escape")
        await settle(pilot)  # type: ignore[arg-type]
        assert screen.thread_list.count == len(service.order)


async def test_offline_is_one_line_and_the_local_results_stay(
    make_app: AppFactory, service: FakeService
) -> None:
    error = "server search failed: cannot connect to imap.example.com:993: connection refused"
    service.server_error = error
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _typed(pilot, app, "invoice")
        local = _listed(screen)
        assert local
        await pilot.press("ctrl+s")
        await settle(pilot)  # type: ignore[arg-type]
        assert screen.status.hint == error
        assert _listed(screen) == local
        assert screen.status.view == 'all · search "invoice"'


async def test_matches_not_cached_yet_are_counted(
    make_app: AppFactory, service: FakeService
) -> None:
    service.server_hits[WORDS] = [service.order[1]]
    service.server_unknown = 3
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _typed(pilot, app, WORDS)
        await pilot.press("ctrl+s")
        await settle(pilot)  # type: ignore[arg-type]
        assert screen.status.hint == (
            f'server: 1 thread for "{WORDS}"; 3 matches on the server not in the local cache '
            "yet: sync first"
        )


async def test_no_words_no_search(make_app: AppFactory, service: FakeService) -> None:
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)  # type: ignore[arg-type]
        screen = main_screen(app)
        await pilot.press("S")
        await settle(pilot)  # type: ignore[arg-type]
        assert screen.status.hint.startswith("type the words to search for first")
        assert service.called("search_server") == []


async def test_a_result_for_words_no_longer_typed_is_dropped(
    make_app: AppFactory, service: FakeService
) -> None:
    service.server_hits[WORDS] = [service.order[1]]
    service.server_gate = threading.Event()
    app = make_app()
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _typed(pilot, app, WORDS)
        await pilot.press("ctrl+s", "backspace")
        await pilot.pause()
        service.server_gate.set()
        await settle(pilot)  # type: ignore[arg-type]
        assert screen.thread_list.thread_query.roots is None
        assert screen.thread_list.thread_query.search == WORDS[:-1]


async def test_vim_and_emacs_reach_the_server_search(
    make_app: AppFactory, service: FakeService
) -> None:
    service.server_hits[WORDS] = [service.order[0]]
    for keymap, key in (("vim", "S"), ("emacs", "alt+s")):
        app = make_app(keymap)
        async with app.run_test(size=(120, 40)) as pilot:
            screen = await _typed(pilot, app, WORDS)
            await pilot.press("enter", key)
            await settle(pilot)  # type: ignore[arg-type]
            assert _listed(screen) == [service.order[0]], keymap
