"""The one sanitiser: every string from mail passes here before a terminal sees it.

Mail is untrusted. Textual strips only a handful of control characters, and a terminal acts on
ESC/CSI/OSC/DCS sequences (clear screen, set the title, write the clipboard with OSC 52). So every
C0 control (except tab and newline in bodies), DEL, every C1 control (U+0080-U+009F, including the
8-bit CSI U+009B) and every bidi override/isolate becomes a *visible* placeholder:

* C0 and DEL become the Unicode "control pictures" (ESC -> ``␛``, NUL -> ``␀``, DEL -> ``␡``), so an
  escape sequence shows up as harmless text such as ``␛[2J``;
* C1 controls, bidi controls and lone surrogates (which no terminal encoding can write) become
  ``�`` (U+FFFD).

Markup is a separate concern: the UI never parses mail text as Textual/Rich markup at all.
"""

from __future__ import annotations

import re

__all__ = ["escape_json_controls", "has_unsafe", "one_line", "sanitize_line", "sanitize_text"]

# Bidi embedding/override/isolate controls and the Arabic letter mark: they can reorder what a
# line shows. The left-to-right and right-to-left marks (U+200E, U+200F) stay: they only nudge
# neutral characters, and Hebrew and Arabic mail uses them to place punctuation correctly.
_BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u061c"

# Lines and paragraph separators make a "one-line" header span lines in some terminals.
_LINE_BREAKS = "\u2028\u2029\x85"

# Lone surrogates (U+D800-U+DFFF) cannot be encoded as UTF-8: writing one would crash the UI.
_SURROGATES = "\ud800-\udfff"

_UNSAFE_LINE = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI}\u2028\u2029{_SURROGATES}]")
_UNSAFE_TEXT = re.compile(f"[\x00-\x08\x0b-\x1f\x7f-\x9f{_BIDI}\u2028\u2029{_SURROGATES}]")

# What ``json.dumps(..., ensure_ascii=False)`` leaves raw (it escapes C0 itself).
_JSON_RAW = re.compile(f"[\x7f-\x9f{_BIDI}\u2028\u2029]")


def _json_escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group(0)):04x}"


def escape_json_controls(document: str) -> str:
    """A JSON document (``ensure_ascii=False``) with DEL, C1, bidi and separator characters
    written as ``\\uXXXX`` escapes: the same JSON value, but printing it to a terminal cannot
    drive the terminal. Such characters occur only inside JSON strings, so this is exact."""
    if _JSON_RAW.search(document) is None:
        return document
    return _JSON_RAW.sub(_json_escape, document)


def one_line(text: str) -> str:
    """Every run of whitespace (newlines included) as one space, trimmed: an error message or
    a server's text on one line. (Not a sanitiser: see ``sanitize_line`` for display.)"""
    return " ".join(text.split())


def _placeholder(ch: str) -> str:
    code = ord(ch)
    if code < 0x20:
        return chr(0x2400 + code)
    if code == 0x7F:
        return "\u2421"
    return "\ufffd"


def _replace(match: re.Match[str]) -> str:
    return _placeholder(match.group(0))


def sanitize_line(text: str) -> str:
    """Make a header-like string safe for one terminal line.

    Runs of whitespace that include CR/LF/TAB (folded headers) collapse to one space; every other
    control character becomes a visible placeholder.
    """
    if not text:
        return ""
    if "\r" in text or "\n" in text or "\t" in text:
        text = re.sub(r"[ \t]*[\r\n\t]+[ \t]*", " ", text)
    if _UNSAFE_LINE.search(text) is None:
        return text
    return _UNSAFE_LINE.sub(_replace, text)


def sanitize_text(text: str) -> str:
    """Make a body safe for the terminal, keeping tab and newline (CRLF and lone CR become LF)."""
    if not text:
        return ""
    if "\r" in text:
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    for ch in _LINE_BREAKS:
        if ch in text:
            text = text.replace(ch, "\n")
    if _UNSAFE_TEXT.search(text) is None:
        return text
    return _UNSAFE_TEXT.sub(_replace, text)


def has_unsafe(text: str, *, body: bool = False) -> bool:
    """True when ``text`` still holds a character the sanitiser would replace."""
    pattern = _UNSAFE_TEXT if body else _UNSAFE_LINE
    return pattern.search(text) is not None
