"""Tag names, tag kinds, and the codec between a tag name and its IMAP keyword.

A tag is stored on the server as one IMAP keyword on every message of a thread. Keywords are
7-bit atoms (no space, no ``( ) { % * " \\ ]``, no controls), compared case-insensitively, and
servers cap their length (Dovecot answers ``NO [CANNOT]`` above 50 characters).

The codec is current Thunderbird's tag-key scheme, so a Thunderbird user who creates a tag called
``team:billing`` stores the very same keyword:

* encode the name as UTF-8;
* keep the printable ASCII bytes 0x21-0x7E except ``= ( ) [ ] { } % * " \\ < > ; &``;
* write every other byte (space included) as ``=xx`` (two hex digits);
* lowercase the result.

``category:Produkt Verwirrung`` becomes ``category:produkt=20verwirrung``; the codec is lossless
for canonical (lowercase) names. Thunderbird's five built-in labels are the exception: their
names ``important``, ``work``, ``personal``, ``to do`` and ``later`` map to the legacy keywords
``$label1`` .. ``$label5``.

Who calls what:

==================  =====================================================================
function            used by
==================  =====================================================================
canonical_tag       the CLI and the tag picker, on every name a person types
encode_keyword      the sync engine before ``UID STORE``; the cache when it filters by tag
keyword_to_tag      the cache and the sync engine on every keyword FETCHed from the server
tag_kind            the catalog (``storage.user.db``) and the thread list (team / category)
display_name        the UI, for the ``$label`` tags Thunderbird shows capitalised
==================  =====================================================================
"""

from __future__ import annotations

import re
import unicodedata
from typing import Literal

SEEN = "\\Seen"
"""The one system flag the outbox carries besides keywords: explicit mark read/unread."""

__all__ = [
    "IGNORED_KEYWORDS",
    "KEYWORD_MAX",
    "KIND_ORDER",
    "SEED_CATEGORIES",
    "TagError",
    "canonical_tag",
    "decode_keyword",
    "display_name",
    "encode_keyword",
    "is_flag",
    "is_keyword_atom",
    "keyword_to_tag",
    "tag_kind",
    "tag_sort_key",
]

KEYWORD_MAX = 50
"""Longest keyword we store: Dovecot rejects longer ones with ``NO [CANNOT]`` (JMAP allows 255)."""

SEED_CATEGORIES: tuple[str, ...] = (
    "category:bug",
    "category:feature-request",
    "category:product-confusion",
    "category:didnt-know",
    "category:how-to",
    "category:billing",
    "category:account",
    "category:praise",
    "category:churn-risk",
)
"""The categories a new catalog starts with, bound to the shortcut keys 1-9 in this order."""

TEAM_PREFIX = "team:"
CATEGORY_PREFIX = "category:"

# Thunderbird's built-in labels: tag name -> legacy keyword, and how Thunderbird shows them.
_LABELS: dict[str, str] = {
    "important": "$label1",
    "work": "$label2",
    "personal": "$label3",
    "to do": "$label4",
    "later": "$label5",
}
_LABEL_NAMES: dict[str, str] = {keyword: name for name, keyword in _LABELS.items()}
_LABEL_DISPLAY: dict[str, str] = {
    "important": "Important",
    "work": "Work",
    "personal": "Personal",
    "to do": "To Do",
    "later": "Later",
}

# Printable ASCII bytes that the Thunderbird scheme still writes as "=xx".
_ESCAPED_ASCII = frozenset(b'=()[]{}%*"\\<>;&')
_KEPT_BYTES = frozenset(b for b in range(0x21, 0x7F) if b not in _ESCAPED_ASCII)
_HEX_ESCAPE = re.compile(r"=([0-9a-fA-F]{2})")

# Whitespace a person may type inside a name; collapsed to one space. Other controls are errors.
_TYPED_WHITESPACE = "\t\n\r"
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u061c")
_KIND_PREFIX = re.compile(r"^(team|category)\s*:\s*")

# Characters that show as nothing (Unicode's format characters and the other default-ignorable
# code points: zero-width space, joiners, BOM, soft hyphen, LRM/RLM, variation selectors, Hangul
# fillers, tag characters), and controls. In a tag name they make two tags look the same.
_INVISIBLE = re.compile(
    "[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u00ad\u034f\u0600-\u0605\u061c\u06dd\u070f"
    "\u0890\u0891\u08e2\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f\u202a-\u202e"
    "\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff9-\ufffb\U000110bd\U000110cd"
    "\U00013430-\U0001343f\U0001bca0-\U0001bca3\U0001d173-\U0001d17a\U000e0000-\U000e0fff"
    "\ud800-\udfff]"
)
_JOINERS = "\u200c\u200d"
_SELECTORS = re.compile("[\ufe00-\ufe0f\U000e0100-\U000e01ef]")


def _shows(ch: str) -> bool:
    """A visible character a joiner or a variation selector may attach to: not ASCII (they
    join nothing there), not itself invisible or whitespace."""
    return ord(ch) > 0x7F and not ch.isspace() and _INVISIBLE.match(ch) is None


def _invisible_at(text: str, i: int) -> bool:
    """Whether ``text[i]`` (one of ``_INVISIBLE``) shows as nothing where it stands. ZWNJ and
    ZWJ between two visible non-ASCII characters (Persian and Indic words, emoji sequences) and
    a variation selector after one (an emoji's presentation) are part of what shows."""
    ch = text[i]
    before = text[i - 1] if i > 0 else ""
    if _SELECTORS.match(ch):
        return not (before and _shows(before))
    if ch in _JOINERS:
        after = text[i + 1] if i + 1 < len(text) else ""
        attached = before and (_shows(before) or _SELECTORS.match(before) is not None)
        return not (attached and after and _shows(after))
    return True


def _first_invisible(text: str) -> str | None:
    """The first character of ``text`` that shows as nothing (see ``_invisible_at``), or None."""
    for match in _INVISIBLE.finditer(text):
        if _invisible_at(text, match.start()):
            return match.group(0)
    return None


IGNORED_KEYWORDS: frozenset[str] = frozenset(
    {
        # Junk filtering: Thunderbird, Evolution, Roundcube, Apple Mail, Gmail and the Dovecot /
        # SpamAssassin learning plugins set these on their own.
        "junk",
        "nonjunk",
        "notjunk",
        "$junk",
        "$notjunk",
        "$nonjunk",
        "junkrecorded",
        "$junkrecorded",
        "$phishing",
        "$notphishing",
        # Mutt / NeoMutt and Apple Mail bookkeeping.
        "old",
        "forwarded",
        "redirected",
        "$forwarded",
        "$redirected",
        # Apple Mail flag colours.
        "$mailflagbit0",
        "$mailflagbit1",
        "$mailflagbit2",
        # RFC 5788 / 8457 / 9051-era registered keywords.
        "$mdnsent",
        "$submitted",
        "$submitpending",
        "$important",
        "$notify",
        "$muted",
        "$followed",
        "$memo",
        "$hasmemo",
        "$hasattachment",
        "$hasnoattachment",
        "$autosent",
        "$unsubscribed",
        "$canunsubscribe",
        "$imported",
        "$istrusted",
        "$answered",
        # Evolution.
        "$has_cal",
        "$has_note",
        # KMail / Akonadi.
        "$attachment",
        "$signed",
        "$encrypted",
        "$todo",
        "$watched",
        "$ignored",
        "$invitation",
        "$replied",
        "$queued",
        "$sent",
        "$error",
    }
)
"""Keywords that other mail programs set for their own bookkeeping; they are never tags.

Compared case-insensitively (the set holds casefolded spellings). Besides these, *every* keyword
starting with ``$`` other than Thunderbird's ``$label1``-``$label5`` is ignored (the ``$`` prefix
is reserved for registered keywords, RFC 5788), and every system flag (``\\Seen`` ...).

* junk filtering (Thunderbird, Evolution, Roundcube, Apple Mail, Gmail, Dovecot/SpamAssassin
  learning): ``Junk``, ``NonJunk``, ``NotJunk``, ``$Junk``, ``$NotJunk``, ``$NonJunk``,
  ``JunkRecorded``, ``$JunkRecorded``, ``$Phishing``, ``$NotPhishing``;
* Mutt/NeoMutt and Apple Mail: ``Old``, ``Forwarded``, ``Redirected``, ``$Forwarded``,
  ``$Redirected``, ``$MailFlagBit0``-``$MailFlagBit2``;
* registered keywords (RFC 5788 registry, RFC 8457 and later): ``$MDNSent``, ``$Submitted``,
  ``$SubmitPending``, ``$Important``, ``$Notify``, ``$Muted``, ``$Followed``, ``$Memo``,
  ``$HasMemo``, ``$HasAttachment``, ``$HasNoAttachment``, ``$AutoSent``, ``$Unsubscribed``,
  ``$CanUnsubscribe``, ``$Imported``, ``$IsTrusted``, ``$Answered``;
* Evolution: ``$has_cal``, ``$has_note``;
* KMail/Akonadi: ``$ATTACHMENT``, ``$SIGNED``, ``$ENCRYPTED``, ``$TODO``, ``$WATCHED``,
  ``$IGNORED``, ``$INVITATION``, ``$REPLIED``, ``$QUEUED``, ``$SENT``, ``$ERROR``.

A tag name whose keyword is one of these is refused by :func:`canonical_tag`, so a tag never
disappears into another program's bookkeeping.
"""


class TagError(ValueError):
    """A tag name that cannot be used; ``str(error)`` is one line meant for the user."""


def encode_keyword(name: str) -> str:
    """The IMAP keyword that stores the tag ``name`` (Thunderbird's tag-key scheme).

    >>> encode_keyword("team:Billing")
    'team:billing'
    >>> encode_keyword("category:Produkt Verwirrung")
    'category:produkt=20verwirrung'
    >>> encode_keyword("to do")
    '$label4'
    """
    label = _LABELS.get(name.lower())
    if label is not None:
        return label
    parts = [chr(b) if b in _KEPT_BYTES else f"={b:02x}" for b in name.encode("utf-8")]
    return "".join(parts).lower()


def decode_keyword(keyword: str) -> str:
    """The tag name a keyword stores: the inverse of :func:`encode_keyword`, lowercased.

    ``=xx`` sequences become bytes, the bytes are read as UTF-8 (invalid sequences become U+FFFD);
    an ``=`` not followed by two hex digits stays as it is.
    """
    label = _LABEL_NAMES.get(keyword.lower())
    if label is not None:
        return label
    raw = bytearray()
    pos = 0
    for match in _HEX_ESCAPE.finditer(keyword):
        raw += keyword[pos : match.start()].encode("utf-8", "surrogatepass")
        raw.append(int(match.group(1), 16))
        pos = match.end()
    raw += keyword[pos:].encode("utf-8", "surrogatepass")
    return raw.decode("utf-8", "replace").lower()


def _shorten(text: str, limit: int = 24) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _check_characters(text: str) -> None:
    for ch in text:
        if ch in _TYPED_WHITESPACE:
            continue
        if unicodedata.category(ch) in ("Cc", "Cs") or ch in _BIDI_CONTROLS:
            raise TagError(f"tag names cannot contain control characters (found U+{ord(ch):04X})")
    hidden = _first_invisible(text)
    if hidden is not None:
        raise TagError(
            f"tag names cannot contain invisible characters (found U+{ord(hidden):04X}): "
            "they would look like another tag"
        )


def _normalise(text: str) -> str:
    """NFC, whitespace collapsed, lowercase, no space after a kind prefix."""
    text = " ".join(unicodedata.normalize("NFC", text).split())
    text = _KIND_PREFIX.sub(lambda m: m.group(1) + ":", text.lower())
    return unicodedata.normalize("NFC", text).lower()


def _check_name(name: str) -> None:
    if not name:
        raise TagError("a tag name cannot be empty")
    if name[0] in "\\$":
        kept_for = "system flags" if name[0] == "\\" else "registered keywords"
        raise TagError(
            f"tag '{_shorten(name)}' starts with '{name[0]}', which IMAP keeps for {kept_for}"
        )
    for prefix in (TEAM_PREFIX, CATEGORY_PREFIX):
        if name == prefix:
            raise TagError(f"tag '{name}' needs a name after '{prefix}'")


def _check_keyword(name: str) -> None:
    keyword = encode_keyword(name)
    if len(keyword) > KEYWORD_MAX:
        raise TagError(
            f"tag '{_shorten(name)}' is too long: its IMAP keyword would be {len(keyword)} "
            f"characters, servers accept {KEYWORD_MAX}"
        )
    if keyword.casefold() in IGNORED_KEYWORDS:
        raise TagError(
            f"tag '{name}' is a keyword other mail programs use for their own bookkeeping; "
            "pick another name"
        )


def canonical_tag(name: str) -> str:
    """The canonical form of a tag name a person typed.

    Unicode NFC, surrounding whitespace stripped, inner runs of whitespace collapsed to one space,
    lowercase, and no whitespace after a ``team:`` / ``category:`` prefix:
    ``"  Team: Billing "`` -> ``"team:billing"``. Raises :class:`TagError` for an empty name,
    control characters, a leading ``\\`` or ``$``, a bare kind prefix, a name whose keyword
    would exceed :data:`KEYWORD_MAX`, and names of other clients' bookkeeping keywords.
    """
    _check_characters(name)
    canonical = _normalise(name)
    _check_name(canonical)
    _check_keyword(canonical)
    return canonical


def tag_kind(name: str) -> Literal["team", "category", "label"]:
    """``team`` or ``category`` by the name's prefix, else ``label``."""
    lowered = name.lower()
    if lowered.startswith(TEAM_PREFIX):
        return "team"
    if lowered.startswith(CATEGORY_PREFIX):
        return "category"
    return "label"


KIND_ORDER: dict[str, int] = {"team": 0, "category": 1, "label": 2}
"""Where each kind of tag is listed: teams, then categories, then labels."""


def tag_sort_key(name: str) -> tuple[int, str]:
    """Teams first, then categories, then labels; by name within each."""
    return KIND_ORDER[tag_kind(name)], name


_ATOM_SPECIALS = re.compile(r'[^\x21-\x7e]|[(){%*"\\\]]')
"""What an IMAP atom (RFC 3501 ``atom``) may not hold: space, controls, non-ASCII (all outside
``!``..``~``) and the specials. (A class spelt ``\x7f-\U0010ffff`` costs 5 ms to compile.)"""


def is_keyword_atom(keyword: str) -> bool:
    """Whether ``keyword`` is a valid IMAP flag keyword: a non-empty 7-bit atom. Anything else
    could break (or inject into) a STORE command. The one check of the cache, outbox and
    IMAP layers."""
    return bool(keyword) and _ATOM_SPECIALS.search(keyword) is None


def is_flag(flag: str) -> bool:
    """A keyword atom, or a system flag (``\\Seen``: a backslash and an atom)."""
    return is_keyword_atom(flag[1:] if flag.startswith("\\") else flag)


def keyword_to_tag(keyword: str) -> str | None:
    """The tag a keyword FETCHed from the server stands for, or None if it is not a tag.

    None for system flags (``\\Seen``), for every ``$`` keyword except ``$label1``-``$label5``,
    and for :data:`IGNORED_KEYWORDS`, compared case-insensitively; None too when the decoded name
    holds a control or an invisible character (zero-width space, ...), which ``canonical_tag``
    refuses. Otherwise the decoded name.
    """
    if not keyword or keyword.startswith("\\"):
        return None
    folded = keyword.casefold()
    if folded in _LABEL_NAMES:
        return _LABEL_NAMES[folded]
    if folded.startswith("$") or folded in IGNORED_KEYWORDS:
        return None
    name = decode_keyword(keyword)
    if "=" in keyword and _first_invisible(name) is not None:
        return None  # shows as another tag would (or drives the terminal): refused when typed
    return name


def display_name(name: str) -> str:
    """How the UI shows a tag: Thunderbird's labels capitalised (``Important``), others as is."""
    return _LABEL_DISPLAY.get(name, name)
