"""HTML -> plain text for reading in a terminal: paragraphs, lists, links, no markup kept."""

from __future__ import annotations

import html
import re

from supportmail.storage.mime.values import HTML_CAP, TEXT_CAP, TRUNCATED

# --------------------------------------------------------------------------------------------
# HTML to text
# --------------------------------------------------------------------------------------------

HTML_TOKEN = re.compile(
    r"<!--.*?(?:--!?>|\Z)"
    r"|<!\[CDATA\[.*?(?:\]\]>|\Z)"
    r"|<[!?][^>]*(?:>|\Z)"
    r"|</?[A-Za-z][^\s/>]*(?:[^>\"'=]+|=\s*\"[^\"]*\"?|=\s*'[^']*'?|[=\"'])*(?:>|\Z)",
    re.DOTALL,
)
"""One markup token (comment, CDATA, declaration, start or end tag; an unclosed one runs to the
end): the tokenizer's step, also walked by ``storage.links``."""
TAG_NAME = re.compile(r"</?([A-Za-z][^\s/>]*)")
"""A tag's name (group 1) at the start of a token."""
_ATTRIBUTE = re.compile(r"""([^\s=/>"']+)(?:\s*=\s*("[^"]*"?|'[^']*'?|[^\s>]*))?""")
_ENTITY = re.compile(r"&(#[xX][0-9a-fA-F]+|#[0-9]+|[A-Za-z][A-Za-z0-9]*)(;?)")
HTML_SPACE = re.compile(r"[ \t\n\r\f\xa0]+")
"""A run of HTML white space (and no-break spaces): one space in text."""
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u2060\ufeff\u034f\u00ad"))
_BLANK_RUNS = re.compile(r"\n{3,}")
_C1_WINDOWS = {
    n: bytes([n]).decode("cp1252")
    for n in range(0x80, 0xA0)
    if bytes([n]).decode("cp1252", "replace") != "\ufffd"
}

_SKIP_CONTENT = frozenset(
    {"script", "style", "title", "xmp", "iframe", "noembed", "noframes", "template", "svg"}
)
_HEAD_TAGS = frozenset(
    {"meta", "link", "base", "title", "style", "script", "noscript", "template", "html", "head"}
)
# fmt: off
_LINE_BLOCKS = frozenset({
    "div", "tr", "dt", "dd", "section", "article", "header", "footer", "nav", "aside", "main",
    "figure", "figcaption", "address", "form", "fieldset", "legend", "details", "summary",
    "center", "caption", "table", "dl", "menu", "hgroup", "body", "html",
})
# fmt: on
SKIP_END = {name: re.compile(rf"</{name}[\s/>]|\Z", re.IGNORECASE) for name in _SKIP_CONTENT}
"""For each element whose content is never text (script, style, ...): where it ends."""
_TAG_CAP = 16_384  # characters of one tag searched for attributes (href, alt, width, ...)
_PARAGRAPH_BLOCKS = frozenset({"p", "h1", "h2", "h3", "h4", "h5", "h6", "hr"})
_CELLS = frozenset({"td", "th"})
_LISTS = frozenset({"ul", "ol"})


def _charref(number: str) -> str:
    """A numeric character reference, as the HTML standard decodes it (0x80-0x9F via 1252)."""
    hexadecimal = number[1] in "xX"
    digits = (number[2:] if hexadecimal else number[1:]).lstrip("0") or "0"
    if len(digits) > 8:
        return "\ufffd"
    code = int(digits, 16 if hexadecimal else 10)
    if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
        return "\ufffd"
    return _C1_WINDOWS.get(code, chr(code))


def unescape_entities(text: str, attribute: bool = False) -> str:
    """Decode character references; in attributes a name needs its ``;`` (URLs keep ``&x=``)."""
    if "&" not in text:
        return text

    def replace(match: re.Match[str]) -> str:
        ref, semicolon = match.group(1), match.group(2)
        if ref.startswith("#"):
            return _charref(ref)
        if attribute and not semicolon:
            return match.group(0)
        return html.unescape(match.group(0))

    return _ENTITY.sub(replace, text)


def tag_attributes(tag: str) -> dict[str, str]:
    """A start tag's attributes (lower-case names, values unquoted and unescaped; the first of a
    repeated name wins)."""
    attrs: dict[str, str] = {}
    tag = tag[:_TAG_CAP]
    name_end = TAG_NAME.match(tag)
    body = tag[name_end.end() if name_end else 1 :].rstrip(">")
    for match in _ATTRIBUTE.finditer(body):
        key = match.group(1).lower()
        value = match.group(2) or ""
        if value[:1] in ("'", '"'):
            value = value[1:-1] if len(value) > 1 and value[-1] == value[0] else value[1:]
        attrs.setdefault(key, unescape_entities(value, attribute=True))
    return attrs


def _link_target(href: str) -> str:
    """The URL worth printing after a link's text, or ``""`` for anchors, scripts and data."""
    href = href.strip()
    lowered = href.lower()
    if not href or href.startswith("#") or lowered.startswith(("javascript:", "data:", "cid:")):
        return ""
    return href[7:] if lowered.startswith("mailto:") else href


def _same_target(text: str, target: str) -> bool:
    def norm(value: str) -> str:
        value = value.strip().lower()
        value = re.sub(r"^(?:https?://|mailto:)", "", value)
        return value.rstrip("/")

    return norm(text) == norm(target)


def _is_tracking_image(attrs: dict[str, str]) -> bool:
    for key in ("width", "height"):
        size = attrs.get(key, "").strip().lower().removesuffix("px").strip()
        if size in ("0", "1"):
            return True
    style = attrs.get("style", "").replace(" ", "").lower()
    return "display:none" in style or "visibility:hidden" in style


class _TextWriter:
    """Collects text with block breaks, list markers, quote prefixes and link targets."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.current: list[str] = []
        self.breaks = 0
        self.space = False
        self.quote = 0
        self.line_quote = 0
        self.lists = 0
        self.pre = 0
        self.marker = ""
        self.link: list[str] | None = None
        self.href = ""
        self.size = 0

    @property
    def full(self) -> bool:
        return self.size > TEXT_CAP

    def _prefix(self) -> str:
        return "> " * self.quote

    def _flush_breaks(self) -> None:
        if self.current:
            self.lines.append("".join(self.current))
            self.current = []
        if self.breaks >= 2 and self.lines and self.lines[-1].strip(" >"):
            self.lines.append(("> " * min(self.quote, self.line_quote)).rstrip())
        self.breaks = 0

    def _put(self, text: str) -> None:
        if self.breaks:
            self._flush_breaks()
        elif self.space and self.current:
            self.current.append(" ")
        self.space = False
        if not self.current:
            self.line_quote = self.quote
            self.current.append(self._prefix() + self.marker)
            self.marker = ""
        self.current.append(text)
        self.size += len(text) + 1
        if self.link is not None:
            self.link.append(text)

    def text(self, raw: str) -> None:
        text = unescape_entities(raw).translate(_INVISIBLE)
        if self.pre:
            self._pre_text(text)
            return
        text = HTML_SPACE.sub(" ", text)
        if not text.strip(" "):
            self.space = self.space or bool(text)
            return
        leading, trailing = text.startswith(" "), text.endswith(" ")
        self.space = self.space or leading
        self._put(text.strip(" "))
        self.space = trailing

    def _pre_text(self, text: str) -> None:
        for index, line in enumerate(text.replace("\r\n", "\n").split("\n")):
            if index:
                self.line_break()
            if line:
                self._put(line)

    def block(self, breaks: int) -> None:
        self.breaks = max(self.breaks, breaks)
        self.space = False

    def line_break(self) -> None:
        if self.breaks:
            self._flush_breaks()
        self.lines.append("".join(self.current) if self.current else self._prefix().rstrip())
        self.current = []
        self.space = False
        self.size += 1

    def list_item(self) -> None:
        self.block(1)
        self.marker = "  " * max(0, self.lists - 1) + "- "

    def open_link(self, href: str) -> None:
        self.close_link()
        self.link = []
        self.href = _link_target(href)

    def close_link(self) -> None:
        if self.link is None:
            return
        label = "".join(self.link).strip()
        self.link = None
        if label and self.href and not _same_target(label, self.href):
            self.space = True
            self._put(f"({self.href})")

    def image(self, attrs: dict[str, str]) -> None:
        alt = " ".join(attrs.get("alt", "").split())
        if alt and not _is_tracking_image(attrs):
            self._put(f"[image: {alt}]")

    def result(self) -> str:
        self.close_link()
        if self.current:
            self.lines.append("".join(self.current))
        lines = (line.rstrip() for line in self.lines)
        text = "\n".join(
            line if line.strip(" >\u200c") else line.strip(" \u200c") for line in lines
        )
        return _BLANK_RUNS.sub("\n\n", text).strip("\n")


class _HtmlConverter:
    """Walks the tokens of an HTML document and feeds a :class:`_TextWriter`."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.out = _TextWriter()
        self.in_head = False

    def run(self) -> str:
        source, pos = self.source, 0
        while pos < len(source) and not self.out.full:
            match = HTML_TOKEN.search(source, pos)
            if match is None:
                self._text(source[pos:])
                break
            if match.start() > pos:
                self._text(source[pos : match.start()])
            pos = self._markup(match.group(0), match.end())
        text = self.out.result()
        return text[:TEXT_CAP] + TRUNCATED if self.out.full else text

    def _text(self, text: str) -> None:
        if not self.in_head:
            self.out.text(text)

    def _markup(self, token: str, end: int) -> int:
        """Handle one tag (comments and declarations are dropped); return where to continue."""
        name_match = TAG_NAME.match(token)
        if name_match is None:
            return end
        name = name_match.group(1).lower()
        if token.startswith("</"):
            self._end_tag(name)
            return end
        self._start_tag(name, token)
        skip = SKIP_END.get(name)
        if skip is not None and not token.rstrip(">").endswith("/"):
            found = skip.search(self.source, end)
            return found.start() if found else len(self.source)
        return end

    def _start_tag(self, name: str, token: str) -> None:
        if name == "head":
            self.in_head = True
        elif self.in_head and (name == "body" or name not in _HEAD_TAGS):
            self.in_head = False
        if self.in_head:
            return
        out = self.out
        if name == "br":
            out.line_break()
        elif name in _PARAGRAPH_BLOCKS or name in ("blockquote", "pre"):
            out.block(2)
            out.quote += name == "blockquote"
            out.pre += name == "pre"
        elif name in _LISTS:
            out.block(1 if out.lists else 2)
            out.lists += 1
        elif name == "li":
            out.list_item()
        elif name in _LINE_BLOCKS:
            out.block(1)
        elif name in _CELLS:
            out.space = True
        elif name == "a":
            out.open_link(tag_attributes(token).get("href", ""))
        elif name == "img":
            out.image(tag_attributes(token))

    def _end_tag(self, name: str) -> None:
        if name == "head":
            self.in_head = False
            return
        out = self.out
        if name in _PARAGRAPH_BLOCKS or name in ("blockquote", "pre"):
            out.block(2)
            out.quote = max(0, out.quote - (name == "blockquote"))
            out.pre = max(0, out.pre - (name == "pre"))
        elif name in _LISTS:
            out.lists = max(0, out.lists - 1)
            out.block(1 if out.lists else 2)
        elif name in _LINE_BLOCKS or name == "li":
            out.block(1)
        elif name in _CELLS:
            out.space = True
        elif name == "a":
            out.close_link()
        elif name == "br":
            out.line_break()


def html_to_text(html_source: str) -> str:
    """Readable text from HTML; never fetches anything, never raises.

    Blocks become line breaks, list items ``- ``, blockquotes ``> ``; links read
    ``text (url)`` when the URL differs from the text; images read ``[image: alt]`` (tracking
    pixels and images without alt text vanish); script, style and head are dropped; character
    references are decoded as the HTML standard says (``&#27;`` stays ESC for the sanitiser).
    """
    try:
        source = str(html_source)
        truncated = len(source) > HTML_CAP
        text = _HtmlConverter(source[:HTML_CAP]).run()
        return text + TRUNCATED if truncated and not text.endswith(TRUNCATED) else text
    except Exception:
        return ""
