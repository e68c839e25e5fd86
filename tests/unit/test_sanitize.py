"""Tests of ``storage.sanitize``: nothing a terminal acts on survives, and what is hidden shows."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from supportmail.storage.sanitize import has_unsafe, sanitize_line, sanitize_text

C0_C1_DEL = re.compile("[\x00-\x1f\x7f-\x9f]")
C0_C1_DEL_EXCEPT_TAB_LF = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u061c"


@pytest.mark.parametrize(
    ("hostile", "shown"),
    [
        ("\x1b[2J\x1b[H", "␛[2J␛[H"),  # CSI: clear screen, cursor home
        ("\x1b]0;pwned\x07", "␛]0;pwned␇"),  # OSC 0: window title, BEL-terminated
        ("\x1b]52;c;ZXZpbA==\x1b\\", "␛]52;c;ZXZpbA==␛\\"),  # OSC 52: write the clipboard
        (
            "\x1b]8;;https://evil.example\x1b\\click\x1b]8;;\x1b\\",
            "␛]8;;https://evil.example␛\\click␛]8;;␛\\",
        ),
        ("\x1bP+q544e\x1b\\", "␛P+q544e␛\\"),  # DCS: terminal query
        ("\x9b31m8-bit CSI", "\ufffd31m8-bit CSI"),  # C1 CSI U+009B
        ("\x9d8;;x\x9c", "\ufffd8;;x\ufffd"),  # C1 OSC / ST
        ("\x90q\x9c", "\ufffdq\ufffd"),  # C1 DCS / ST
        ("rm -rf\x7f\x7f", "rm -rf␡␡"),  # DEL
        ("nul\x00byte", "nul␀byte"),
        ("bell\x07 backspace\x08 vt\x0b ff\x0c", "bell␇ backspace␈ vt␋ ff␌"),
        ("invoice\u202efdp.exe", "invoice\ufffdfdp.exe"),  # RIGHT-TO-LEFT OVERRIDE
        ("a\u2066b\u2069c", "a\ufffdb\ufffdc"),  # isolates
        ("lone \ud83d surrogate", "lone \ufffd surrogate"),  # no terminal encoding can write it
        ("[bold]markup[/] [@click=app.quit]", "[bold]markup[/] [@click=app.quit]"),  # not our job
        ("Grüße 你好 🎉 עברית", "Grüße 你好 🎉 עברית"),
    ],
)
def test_sanitize_line_and_text_show_what_is_hidden(hostile: str, shown: str) -> None:
    assert sanitize_line(hostile) == shown
    assert sanitize_text(hostile) == shown
    assert has_unsafe(hostile) == (hostile != shown)
    assert not has_unsafe(sanitize_line(hostile))
    assert not has_unsafe(sanitize_text(hostile), body=True)


def test_line_collapses_folds_tabs_and_newlines_to_one_space() -> None:
    assert sanitize_line("Subject\r\n\tcontinued\nnext\tcol \r\n  end") == (
        "Subject continued next col end"
    )
    assert sanitize_line("a\rb") == "a b"
    assert sanitize_line("nel\x85x") == "nel\ufffdx"
    assert sanitize_line("line\u2028sep\u2029") == "line\ufffdsep\ufffd"


def test_text_keeps_tab_and_newline_and_normalises_line_breaks() -> None:
    assert sanitize_text("col1\tcol2\nrow2\r\nrow3\rrow4") == "col1\tcol2\nrow2\nrow3\nrow4"
    assert sanitize_text("a\u2028b\u2029c\x85d") == "a\nb\nc\nd"
    assert sanitize_text("\x1b[31mred\x1b[0m\n") == "␛[31mred␛[0m\n"
    assert has_unsafe("tab\tnewline\n", body=True) is False
    assert has_unsafe("tab\tnewline\n") is True


def test_empty_and_safe_strings_pass_unchanged() -> None:
    assert sanitize_line("") == sanitize_text("") == ""
    safe = "Re: [Ticket #1] Refund – 50 €"
    assert sanitize_line(safe) is safe
    assert sanitize_text(safe) is safe


@settings(max_examples=500)
@given(st.text(alphabet=st.characters(codec=None, exclude_categories=())))
def test_sanitize_line_leaves_no_control_character(text: str) -> None:
    out = sanitize_line(text)
    assert C0_C1_DEL.search(out) is None
    assert not any(ch in out for ch in BIDI)
    assert not has_unsafe(out)


@settings(max_examples=500)
@given(st.text(alphabet=st.characters(codec=None, exclude_categories=())))
def test_sanitize_text_leaves_no_control_character_but_tab_and_newline(text: str) -> None:
    out = sanitize_text(text)
    assert C0_C1_DEL_EXCEPT_TAB_LF.search(out) is None
    assert not any(ch in out for ch in BIDI)
    assert not has_unsafe(out, body=True)
    out.encode("utf-8")  # what a terminal gets: always encodable


@given(st.text(alphabet=st.sampled_from("ab \t\r\n\x1b\x9b\x7f\x00\u202e")))
def test_sanitising_twice_changes_nothing(text: str) -> None:
    assert sanitize_line(sanitize_line(text)) == sanitize_line(text)
    assert sanitize_text(sanitize_text(text)) == sanitize_text(text)
