"""Quotes: the customer's own first paragraph of a message.

:func:`customer_paragraph` keeps what a customer wrote themselves: it cuts the message at the
first reply header (``On ... wrote:``, ``Am ... schrieb ...:``, ``在 ... 写道：``, Outlook's
``-----Original Message-----`` / ``____`` + ``From:``/``Von:``/``发件人:`` blocks), at the
signature (``-- ``) or a "Sent from my iPhone" footer, drops ``>`` lines and the greeting, and
returns the first paragraph left, trimmed to about 280 characters at a word boundary.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

QUOTE_LIMIT = 280


_ATTRIBUTION_ONE_LINE = re.compile(
    r"^(on\s.+\swrote:|am\s.+\sschrieb\s?.*:|le\s.+\sa\s[ée]crit\s?:|el\s.+\sescribi[óo]:"
    r"|在.+写道[:：]?)$",
    re.IGNORECASE,
)
_ATTRIBUTION_START = re.compile(r"^(on|am|le|el)\s", re.IGNORECASE)
_ATTRIBUTION_END = re.compile(r"(wrote|schrieb.*|a\s[ée]crit|escribi[óo])\s?:$", re.IGNORECASE)
_SEPARATOR = re.compile(
    r"^(-{2,}\s*(original message|ursprüngliche nachricht|message d'origine|mensaje original"
    r"|forwarded message|weitergeleitete nachricht)\s*-{2,}|-*\s*原始邮件\s*-*|_{10,}"
    r"|begin forwarded message:)$",
    re.IGNORECASE,
)
_HEADER_FROM = re.compile(r"^(from|von|de|发件人|寄件者)\s?[:：]", re.IGNORECASE)
_HEADER_NEXT = re.compile(
    r"^(sent|date|to|cc|subject|gesendet|datum|an|betreff|envoyé|objet|发送时间|日期|收件人|主题)"
    r"\s?[:：]",
    re.IGNORECASE,
)
_FOOTER = re.compile(
    r"^(sent from my \S+.*|sent from (outlook|mail|yahoo mail|my \S+)\b.*|get outlook for \S+"
    r"|von meinem \S+ gesendet\.?|gesendet von \S+.*"
    r"|diese nachricht wurde von meinem .* gesendet\.?|发自我的.+|来自.*邮箱.*)$",
    re.IGNORECASE,
)
_GREETING = re.compile(
    r"^(hi|hello|hey|hiya|dear|good (morning|afternoon|evening)|greetings|hallo|moin|servus"
    r"|guten (tag|morgen|abend)|liebe[rs]?|sehr geehrte[rs]?|grüß gott|bonjour|hola"
    r"|你好|您好|各位)\b",
    re.IGNORECASE,
)
_CLOSINGS = (
    "thanks", "thank you", "thanks in advance", "thank you in advance", "many thanks", "cheers",
    "thanks again", "thanks so much", "thank you so much", "thanks a lot", "much appreciated",
    "best", "regards", "kind regards", "best regards", "warm regards", "warmest regards",
    "all the best", "best wishes", "sincerely", "yours", "yours sincerely", "yours truly",
    "take care", "talk soon", "have a great day", "have a nice day", "speak soon",
    "viele grüße", "mit freundlichen grüßen", "beste grüße", "freundliche grüße",
    "liebe grüße", "herzliche grüße", "schöne grüße", "mit besten grüßen", "grüße", "gruß",
    "lg", "vg", "mfg", "danke", "danke und gruß", "danke im voraus", "vielen dank",
    "vielen dank im voraus", "vielen dank vorab", "danke vorab", "besten dank",
    "schönen tag noch",
    "谢谢", "多谢", "感谢", "非常感谢", "祝好", "此致", "敬礼", "期待回复", "期待您的回复",
    "祝工作顺利", "祝一切顺利", "顺祝商祺",
)  # fmt: skip
_CLOSING = re.compile(
    "^(" + "|".join(sorted(map(re.escape, _CLOSINGS), key=len, reverse=True)) + r")(?=\W|$)",
    re.IGNORECASE,
)
_CJK = re.compile(r"^[\u4e00-\u9fff]")
_CJK_NAME = re.compile(r"^[\u4e00-\u9fff·]{2,4}$")
_SIGNOFF_DASH = re.compile(r"^[-–—]\s*\w+$")
_GREETING_ENDS = (",", ":", "，", "：")
_SPACE = re.compile(r"\s+")


def _starts_quote(lines: Sequence[str], i: int) -> bool:
    """True when line ``i`` starts quoted, forwarded or signature text."""
    raw = lines[i]
    line = raw.strip()
    if raw.rstrip("\r\n") in ("-- ", "--") or _FOOTER.match(line) or _SEPARATOR.match(line):
        return True
    if _ATTRIBUTION_ONE_LINE.match(line):
        return True
    nxt = lines[i + 1 : i + 4]
    # Long attributions wrap: "On Mon, 1 Jun 2026 at 09:14, Anna Schmidt <" / "a@b> wrote:"
    wrapped = bool(nxt) and len(line) < 200 and bool(_ATTRIBUTION_END.search(nxt[0].strip()))
    if wrapped and _ATTRIBUTION_START.match(line):
        return True
    return bool(_HEADER_FROM.match(line)) and any(_HEADER_NEXT.match(n.strip()) for n in nxt)


def _cut_point(lines: Sequence[str]) -> int:
    """Index of the first line that starts quoted, forwarded or signature text."""
    return next((i for i in range(len(lines)) if _starts_quote(lines, i)), len(lines))


def _paragraphs(lines: Sequence[str]) -> list[list[str]]:
    out: list[list[str]] = [[]]
    for raw in lines:
        line = raw.strip()
        if not line or line.startswith(">"):
            if out[-1]:
                out.append([])
            continue
        out[-1].append(line)
    return [p for p in out if p]


def _is_greeting(line: str, alone: bool) -> bool:
    """ "Hi team," / "Sehr geehrte Damen und Herren," / "您好！"; a short line ending in a comma
    or colon counts only when it is a paragraph of its own (wrapped text ends lines in commas)."""
    if len(line) > 60:
        return False
    if _GREETING.match(line) and (len(line) <= 40 or line.endswith(_GREETING_ENDS)):
        return True
    return alone and len(line) <= 40 and line.endswith(_GREETING_ENDS)


def _looks_like_name(word: str) -> bool:
    """ "Anna", "O'Neill", "张伟": a capitalised word, or two to four CJK characters."""
    if _CJK.match(word):
        return bool(_CJK_NAME.match(word))
    return word[0].isupper()


def _is_closing(lines: Sequence[str]) -> bool:
    """ "Thanks,", "Best regards, Anna Schmidt", "LG Jörg", "- Anna", "祝好 张伟": the sign-off,
    not content ("Thanks, that worked." is content: what follows the closing word must look like
    a name). The same rules hold for a customer's and a team member's sign-off."""
    first = lines[0]
    if len(lines) > 3:
        return False
    if _SIGNOFF_DASH.match(first):
        return True
    match = _CLOSING.match(first)
    if match is None:
        return False
    rest = first[match.end() :].strip(" ,.!！，。~")
    words = rest.split()
    if words[:1] in (["aus"], ["from"]):  # "Herzliche Grüße aus Köln", "Cheers from Leeds"
        words = words[1:]
    return len(words) <= 2 and all(_looks_like_name(w) for w in words)


def shorten(text: str, limit: int = QUOTE_LIMIT) -> str:
    """``text`` on one line, cut to about ``limit`` characters at a word boundary (``…``)."""
    text = _SPACE.sub(" ", text).strip()
    if len(text) <= limit:
        return text
    head = text[: limit + 1]
    cut = head.rfind(" ")
    if cut < limit * 0.6:  # no space nearby (Chinese, a long URL): cut at the character
        cut = limit
    return text[:cut].rstrip(" ,;:-–—") + "…"


def customer_paragraphs(text: str) -> list[str]:
    """Every paragraph a customer wrote in a message, each on one line, in order: what comes
    before the quoted text, reply headers and signature, without the greeting, up to the
    sign-off ("Thanks, Anna"). Empty when there is none."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    lines = lines[: _cut_point(lines)]
    out: list[str] = []
    for para in _paragraphs(lines):
        if _is_greeting(para[0], alone=len(para) == 1):
            para = para[1:]
            if not para:
                continue
        if _is_closing(para):
            break
        out.append(_SPACE.sub(" ", " ".join(para)).strip())
    if len(out) > 1 and _is_bare_name(out[-1]):
        out.pop()  # "Dmitri" alone at the end: the sign-off without a closing word
    return out


def _is_bare_name(line: str) -> bool:
    """ "Dmitri", "Anna Schmidt", "张伟": up to three capitalised words (or two to four CJK
    characters) and no sentence punctuation."""
    words = line.split()
    if len(words) == 1 and _CJK_NAME.match(line):
        return True
    return (
        0 < len(words) <= 3
        and all(w[0].isupper() and w.replace("-", "").replace(".", "").isalpha() for w in words)
        and not line.endswith((".", "!", "?", ":"))
    )


def customer_paragraph(text: str, limit: int = QUOTE_LIMIT) -> str:
    """The first paragraph a customer wrote in a message, without greeting, quotes, signature
    or reply headers, trimmed to about ``limit`` characters; '' when there is none."""
    paragraphs = customer_paragraphs(text)
    return shorten(paragraphs[0], limit) if paragraphs else ""
