"""A message's links as (text, real target) pairs, so a reader sees where a link really goes.

:func:`html_links` walks an HTML part with the tokenizer of ``storage.mime.html`` (the same one
that turns HTML into the readable text) and collects every ``<a href>`` with the text inside it;
:func:`text_links` finds bare ``http(s)://`` / ``www.`` URLs in plain text. Anchors
(``#top``), ``javascript:``, ``data:`` and ``cid:`` targets are left out; ``mailto:`` is kept.
Nothing here fetches anything; the UI shows both strings sanitised and opens a target only when
asked.
"""

from __future__ import annotations

import re

from supportmail.storage.mime.html import (
    HTML_SPACE,
    HTML_TOKEN,
    SKIP_END,
    TAG_NAME,
    tag_attributes,
    unescape_entities,
)
from supportmail.storage.models import Link

__all__ = ["LINKS_MAX", "html_links", "links_of", "text_links"]

LINKS_MAX = 500
"""Links listed per message at most."""
_HTML_CAP = 2_000_000
_TEXT_MAX = 200
_URL = re.compile(r"""(?:https?://|www\.)[^\s<>"'`()\[\]{}]+""", re.IGNORECASE)
_TRAILING = ".,;:!?"
_SKIPPED_SCHEMES = ("javascript:", "data:", "cid:", "vbscript:", "file:")


def _usable(href: str) -> str:
    href = "".join(href.split())  # a target never holds whitespace (line-wrapped in the HTML)
    lowered = href.lower()
    if not href or href.startswith("#") or lowered.startswith(_SKIPPED_SCHEMES):
        return ""
    return href


def _label(parts: list[str]) -> str:
    text = HTML_SPACE.sub(" ", "".join(parts)).strip()
    return text[:_TEXT_MAX]


def html_links(source: str) -> list[Link]:
    """Every ``<a href>`` of an HTML document with the text inside it (an image link reads its
    ``alt`` text), in document order, duplicates (same text and target) once. Never raises."""
    try:
        return _html_links(str(source)[:_HTML_CAP])
    except Exception:
        return []


def _html_links(source: str) -> list[Link]:
    found: list[Link] = []
    seen: set[tuple[str, str]] = set()
    href: str | None = None
    label: list[str] = []

    def close() -> None:
        nonlocal href
        if href is not None:
            key = (_label(label), href)
            if href and key not in seen and len(found) < LINKS_MAX:
                seen.add(key)
                found.append(Link(text=key[0], target=href))
        href = None

    pos = 0
    while pos < len(source):
        match = HTML_TOKEN.search(source, pos)
        if match is None:
            if href is not None:
                label.append(unescape_entities(source[pos:]))
            break
        if href is not None and match.start() > pos:
            label.append(unescape_entities(source[pos : match.start()]))
        token, pos = match.group(0), match.end()
        name_match = TAG_NAME.match(token)
        if name_match is None:
            continue
        name = name_match.group(1).lower()
        if token.startswith("</"):
            if name == "a":
                close()
            continue
        if name == "a":
            close()
            href = _usable(tag_attributes(token).get("href", ""))
            label = []
        elif name == "img" and href is not None:
            label.append(" " + tag_attributes(token).get("alt", "") + " ")
        skip = SKIP_END.get(name)
        if skip is not None and not token.rstrip(">").endswith("/"):
            end = skip.search(source, pos)
            pos = end.start() if end else len(source)
    close()
    return found


def text_links(text: str) -> list[Link]:
    """Bare URLs in plain text (the text is the target itself), duplicates once."""
    found: list[Link] = []
    seen: set[str] = set()
    for match in _URL.finditer(text):
        url = match.group(0).rstrip(_TRAILING)
        if url in seen or len(found) >= LINKS_MAX:
            continue
        seen.add(url)
        target = url if "://" in url else "https://" + url
        found.append(Link(text=url[:_TEXT_MAX], target=target))
    return found


def links_of(html: str | None, text: str) -> list[Link]:
    """The links of a message: from its HTML part when it has one, else from its text."""
    if html:
        found = html_links(html)
        if found:
            return found
    return text_links(text)
