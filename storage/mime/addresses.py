"""Address headers (From, To, Cc, Reply-To) -> :class:`storage.models.Address` tuples, with a
cached fast path for the plain ``Name <addr>`` shape."""

from __future__ import annotations

import re
from collections.abc import Callable
from email.utils import getaddresses
from functools import lru_cache

from supportmail.storage.mime.headers import decode_words, fix_8bit, unfold
from supportmail.storage.mime.values import ADDRESS_CAP
from supportmail.storage.models import Address

# --------------------------------------------------------------------------------------------
# Addresses
# --------------------------------------------------------------------------------------------

_COMPLEX_ADDRESS = re.compile(r"[(\\:;\[\]]")
_ADDRESS_ITEM = re.compile(r'(?:"[^"]*"|[^,"])+')
_NAME_ADDR = re.compile(r'(?:"([^"]*)"|([^"<>@]*?))\s*<([^<>\s"]*)>')
_BARE_ADDR = re.compile(r'[^<>\s"]+')
SINGLE_ADDRESS = re.compile(r'\s*([^"<>@,;:()\\\[\]]*?)\s*<([^<>\s",;:()\\]+)>\s*')
"""One plain ``Name <addr>`` (groups: the name, the address): the shape most headers have."""
_BRACKETED_ITEM = re.compile(r'\s*((?:"[^"]*"|[^"<>()\\,;:@])*?)\s*<([^<>\s",;:()\\]+)>\s*')
"""``Bob [Support] <b@x>``: a display name with unquoted brackets (or controls), as mail
clients write it (groups: the name, the address)."""


def _simple_pairs(value: str) -> list[tuple[str, str]] | None:
    """Fast path for plain ``Name <a@b>, "Last, First" <c@d>, e@f`` lists.

    ``None`` when the value needs the full parser (comments, groups, escapes, odd quoting).
    """
    single = SINGLE_ADDRESS.fullmatch(value)
    if single is not None:
        name, addr = single.groups()
        return [(" ".join(name.split()), addr)]
    if _COMPLEX_ADDRESS.search(value) or value.count('"') % 2:
        return None
    return _item_pairs(value, _plain_item)


def _item_pairs(
    value: str, named: Callable[[str], tuple[str, str] | None]
) -> list[tuple[str, str]] | None:
    """The list's items as (name, address): a bare address as is, any other item by ``named``;
    ``None`` when ``named`` cannot read one."""
    pairs: list[tuple[str, str]] = []
    for match in _ADDRESS_ITEM.finditer(value):
        item = match.group(0).strip()
        if not item:
            continue
        if _BARE_ADDR.fullmatch(item):
            pairs.append(("", item))
            continue
        pair = named(item)
        if pair is None:
            return None
        pairs.append(pair)
    return pairs


def _plain_item(item: str) -> tuple[str, str] | None:
    """``Name <a@b>`` or ``"Last, First" <a@b>``."""
    found = _NAME_ADDR.fullmatch(item)
    if found is None:
        return None
    quoted, plain, addr = found.groups()
    return (quoted if quoted is not None else " ".join(plain.split()), addr)


def _bracketed_pairs(value: str) -> list[tuple[str, str]] | None:
    """``Bob [Support] <b@x>, Al [Sales] <a@y>``: names holding ``[`` or ``]`` unquoted, which
    the standard library reads as domain literals (five "addresses": ``Bob``, ``Support``, ...,
    the real one last). Quoted parts of a name lose their quotes. ``None`` when an item has
    another shape (comments, groups, escapes)."""
    if "[" not in value and "]" not in value:
        return None
    return _item_pairs(value, _bracketed_item)


def _bracketed_item(item: str) -> tuple[str, str] | None:
    """``Bob [Support] <b@x>``: the name without its quotes."""
    found = _BRACKETED_ITEM.fullmatch(item)
    if found is None:
        return None
    name, addr = found.groups()
    return (" ".join(name.replace('"', "").split()), addr)


@lru_cache(maxsize=8192)
def parse_addresses(raw: str, hint: str | None) -> tuple[Address, ...]:
    """Addresses of a From/To/Cc/Reply-To value. Group names vanish; their members stay.

    Cached: the team's own address and a customer's name recur on every message of a thread.
    """
    value = unfold(fix_8bit(raw[:ADDRESS_CAP], hint))
    pairs = _simple_pairs(value)
    if pairs is None:
        pairs = _bracketed_pairs(value)
    if pairs is None:
        pairs = _full_pairs(value)
    out: list[Address] = []
    for name, addr in pairs:
        name, addr = name.strip(), addr.strip()
        if name or addr:
            out.append(Address(decode_words(name).strip() if name else "", addr))
    return tuple(out)


def _full_pairs(value: str) -> list[tuple[str, str]]:
    """The standard library's address parser on ``value`` with its RFC 5322 comments removed.

    A comment is no display name (``Pete(A wonderful \\) chap) <pete(his account)@x>`` is
    "Pete"), except in the old ``addr (Full Name)`` form, where it is the only name there is.
    """
    try:
        stripped = _strip_comments(value)
        pairs = getaddresses([stripped])
        if stripped != value:
            with_comments = getaddresses([value])
            if len(with_comments) == len(pairs):
                pairs = [
                    (name or old_name, addr)
                    for (name, addr), (old_name, _) in zip(pairs, with_comments, strict=True)
                ]
        return pairs
    except Exception:
        return []


def _strip_comments(value: str) -> str:
    """``value`` without its (nested, backslash-escaped) comments; quoted strings are kept."""
    if "(" not in value:
        return value
    out: list[str] = []
    depth = 0
    quoted = escaped = False
    for char in value:
        if escaped:
            escaped = False
            if not depth:
                out.append(char)
            continue
        if char == "\\":
            escaped = True
            if not depth:
                out.append(char)
            continue
        if depth:
            depth += {"(": 1, ")": -1}.get(char, 0)
            continue
        if quoted:
            quoted = char != '"'
        elif char == '"':
            quoted = True
        elif char == "(":
            depth = 1
            continue
        out.append(char)
    return "".join(out)
