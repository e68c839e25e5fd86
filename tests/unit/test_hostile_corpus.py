"""Every hostile message parses without raising, in bounded time, and sanitises to safe text;
the whole corpus lists, shows and exports to JSON through the real ``Service``."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from supportmail.storage.mime import parse_body, parse_envelope
from supportmail.storage.sanitize import sanitize_line, sanitize_text
from supportmail.storage.service import Service
from supportmail.tui.cli.threads import detail_json, thread_json
from tests.corpus import load_hostile
from tests.corpus.generators import corpus, whatwg_charsets

HANG_BOUND = 10.0
"""Seconds: only a hang (or a quadratic blow-up) exceeds this; not a speed assertion."""

CASES = corpus()
LINE_CONTROLS = re.compile("[\x00-\x1f\x7f-\x9f]")
BODY_CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def _assert_safe_line(text: str, what: str) -> None:
    found = LINE_CONTROLS.search(text)
    assert found is None, f"{what}: control {found.group()!r} in {text[:200]!r}"


def test_the_corpus_covers_every_decodable_whatwg_label() -> None:
    names = {name for name, _raw in CASES}
    assert len(names) == len(CASES), "case names are unique"
    labels = whatwg_charsets()
    assert len(labels) > 200
    assert {f"charset-{label}" for label, _codec in labels} <= names


@pytest.mark.parametrize(("name", "raw"), CASES, ids=[name for name, _ in CASES])
def test_parse_and_sanitise(name: str, raw: bytes) -> None:
    started = time.perf_counter()
    env = parse_envelope(raw)
    body = parse_body(raw)
    elapsed = time.perf_counter() - started
    assert elapsed < HANG_BOUND, f"{name} took {elapsed:.1f} s"
    _assert_safe_line(sanitize_line(env.subject), "subject")
    _assert_safe_line(sanitize_line(env.sender.name), "from name")
    _assert_safe_line(sanitize_line(env.sender.addr), "from address")
    text = sanitize_text(body.text)
    found = BODY_CONTROLS.search(text)
    assert found is None, f"body: control {found.group()!r}"
    for attachment in body.attachments:
        _assert_safe_line(sanitize_line(attachment.filename), "attachment name")


@pytest.mark.parametrize(("label", "codec"), whatwg_charsets())
def test_every_charset_decodes_readably(label: str, codec: str) -> None:
    raw = dict(CASES)[f"charset-{label}"]
    assert "Hello" in parse_body(raw).text
    assert "Hello" in parse_envelope(raw).subject


def test_escape_payloads_become_visible_placeholders() -> None:
    raw = dict(CASES)["esc-title"]
    subject = sanitize_line(parse_envelope(raw).subject)
    assert "␛]0;pwned␇" in subject
    body = sanitize_text(parse_body(dict(CASES)["html-entities"]).text)
    assert "␛[2J" in body


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Service]:
    service = load_hostile(Path(tmp_path_factory.mktemp("hostile")), CASES)
    yield service
    service.close()


def test_list_show_and_export_every_thread(hostile: Service) -> None:
    summaries = hostile.list_threads()
    assert summaries, "the corpus yields threads"
    listed = json.dumps([thread_json(s) for s in summaries], ensure_ascii=False)
    listed.encode("utf-8")
    for summary in summaries:
        _assert_safe_line(summary.subject, "listed subject")
        started = time.perf_counter()
        detail = hostile.thread(summary.id)
        shown = json.dumps(detail_json(detail), ensure_ascii=False)
        assert time.perf_counter() - started < HANG_BOUND, summary.subject[:80]
        shown.encode("utf-8")  # no lone surrogates: valid UTF-8
        assert json.loads(shown)["id"] == summary.id
        for message in detail.messages:
            _assert_safe_line(message.subject, "shown subject")
            _assert_safe_line(message.sender.name, "shown sender")
            assert BODY_CONTROLS.search(message.text) is None, summary.subject[:80]


def test_every_message_lands_in_exactly_one_thread(hostile: Service) -> None:
    summaries = hostile.list_threads()
    total = sum(s.messages for s in summaries)
    assert total <= len(CASES)
    assert len({s.id for s in summaries}) == len(summaries)
