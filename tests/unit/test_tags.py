"""Tag names and the tag <-> IMAP keyword codec (Thunderbird's tag-key scheme)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from supportmail.storage.tags import (
    IGNORED_KEYWORDS,
    KEYWORD_MAX,
    SEED_CATEGORIES,
    TagError,
    canonical_tag,
    decode_keyword,
    display_name,
    encode_keyword,
    keyword_to_tag,
    tag_kind,
)

ATOM_FORBIDDEN = set('(){%*"\\] ')


def is_imap_atom(keyword: str) -> bool:
    return bool(keyword) and all(
        0x21 <= ord(ch) <= 0x7E and ch not in ATOM_FORBIDDEN for ch in keyword
    )


# --- encode / decode --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "keyword"),
    [
        ("team:Billing", "team:billing"),
        ("team:billing", "team:billing"),
        ("category:Produkt Verwirrung", "category:produkt=20verwirrung"),
        ("dark-mode", "dark-mode"),
        ("a=b", "a=3db"),
        ("x(y)[z]{w}", "x=28y=29=5bz=5d=7bw=7d"),
        ('%*"\\<>;&', "=25=2a=22=5c=3c=3e=3b=26"),
        ("café", "caf=c3=a9"),
        ("tab\there", "tab=09here"),
    ],
)
def test_encode_keyword_examples(name: str, keyword: str) -> None:
    assert encode_keyword(name) == keyword


@pytest.mark.parametrize(
    ("name", "keyword"),
    [
        ("important", "$label1"),
        ("work", "$label2"),
        ("personal", "$label3"),
        ("to do", "$label4"),
        ("later", "$label5"),
    ],
)
def test_thunderbird_labels_map_both_ways(name: str, keyword: str) -> None:
    assert encode_keyword(name) == keyword
    assert decode_keyword(keyword) == name
    assert decode_keyword(keyword.upper()) == name
    assert keyword_to_tag(keyword) == name
    assert keyword_to_tag("$Label" + keyword[-1]) == name
    assert canonical_tag(name.upper()) == name


def test_decode_keyword_examples() -> None:
    assert decode_keyword("category:produkt=20verwirrung") == "category:produkt verwirrung"
    assert decode_keyword("Team:Billing") == "team:billing"
    assert decode_keyword("caf=C3=A9") == "café"
    assert decode_keyword("a=zz") == "a=zz"  # not an escape: kept
    assert decode_keyword("trailing=") == "trailing="
    assert decode_keyword("bad=ff=fe") == "bad\ufffd\ufffd"  # invalid UTF-8 -> U+FFFD


def test_encode_lowercases_what_it_keeps() -> None:
    assert encode_keyword("ÉCOLE") == "=c3=89cole"
    assert decode_keyword(encode_keyword("ÉCOLE")) == "école"


# --- canonical_tag ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        ("Team: Billing", "team:billing"),
        ("  team:billing  ", "team:billing"),
        ("Category :  Produkt   Verwirrung", "category:produkt verwirrung"),
        ("dark\tmode", "dark mode"),
        ("Dark Mode", "dark mode"),
        ("cafe\u0301", "café"),  # NFC
        ("foo: bar", "foo: bar"),  # not a kind prefix: left alone
    ],
)
def test_canonical_tag(typed: str, canonical: str) -> None:
    assert canonical_tag(typed) == canonical


@pytest.mark.parametrize(
    ("typed", "fragment"),
    [
        ("", "cannot be empty"),
        ("   \t ", "cannot be empty"),
        ("a\x1bb", "control characters"),
        ("a\x00b", "control characters"),
        ("a\x7fb", "control characters"),
        ("a\u202eb", "control characters"),
        ("\\Seen", "system flags"),
        ("$Important", "registered keywords"),
        ("team:", "needs a name"),
        ("Category:  ", "needs a name"),
        ("NonJunk", "bookkeeping"),
        ("junk", "bookkeeping"),
        ("old", "bookkeeping"),
    ],
)
def test_canonical_tag_errors(typed: str, fragment: str) -> None:
    with pytest.raises(TagError) as info:
        canonical_tag(typed)
    message = str(info.value)
    assert fragment in message
    assert "\n" not in message


def test_too_long_message() -> None:
    name = "x" * (KEYWORD_MAX + 13)
    with pytest.raises(TagError) as info:
        canonical_tag(name)
    assert str(info.value) == (
        "tag 'xxxxxxxxxxxxxxxxxxxxxxx…' is too long: its IMAP keyword would be 63 characters, "
        "servers accept 50"
    )


def test_keyword_length_boundary() -> None:
    assert len(encode_keyword(canonical_tag("k" * KEYWORD_MAX))) == KEYWORD_MAX
    with pytest.raises(TagError):
        canonical_tag("k" * (KEYWORD_MAX + 1))
    # A space costs three characters in the keyword.
    with pytest.raises(TagError):
        canonical_tag("k" * (KEYWORD_MAX - 2) + " k")


def test_chinese_names_round_trip_and_hit_the_limit() -> None:
    # Each CJK character is 3 UTF-8 bytes -> 9 keyword characters; "category:" takes 9 of the
    # 50, which leaves room for 4 characters (45) but not 5 (54).
    name = canonical_tag("category:错误报告")
    keyword = encode_keyword(name)
    assert len(keyword) == 9 + 4 * 9
    assert is_imap_atom(keyword)
    assert decode_keyword(keyword) == name
    assert keyword_to_tag(keyword) == name
    with pytest.raises(TagError, match="would be 54 characters"):
        canonical_tag("category:错误报告用")
    assert decode_keyword(encode_keyword("用户")) == "用户"


# --- kinds, display, keyword_to_tag ------------------------------------------------------------


def test_tag_kind() -> None:
    assert tag_kind("team:billing") == "team"
    assert tag_kind("category:bug") == "category"
    assert tag_kind("dark-mode") == "label"
    assert tag_kind("teams:x") == "label"
    assert tag_kind("important") == "label"


def test_display_name() -> None:
    assert display_name("team:billing") == "team:billing"
    assert display_name("important") == "Important"
    assert display_name("to do") == "To Do"
    assert display_name("dark mode") == "dark mode"


@pytest.mark.parametrize(
    "keyword",
    [
        "\\Seen",
        "\\Answered",
        "\\Flagged",
        "\\Deleted",
        "\\Draft",
        "\\Recent",
        "$Forwarded",
        "$MDNSent",
        "$Junk",
        "$NotJunk",
        "$Phishing",
        "$Submitted",
        "$SubmitPending",
        "$Important",
        "$Notify",
        "$Muted",
        "$Followed",
        "$Memo",
        "$HasMemo",
        "$HasAttachment",
        "$HasNoAttachment",
        "$AutoSent",
        "$Unsubscribed",
        "$CanUnsubscribe",
        "$Imported",
        "$IsTrusted",
        "$MailFlagBit0",
        "$MailFlagBit1",
        "$MailFlagBit2",
        "$has_cal",
        "$has_note",
        "$ATTACHMENT",
        "$SIGNED",
        "$ENCRYPTED",
        "$TODO",
        "$WATCHED",
        "$IGNORED",
        "$INVITATION",
        "$REPLIED",
        "$QUEUED",
        "$SENT",
        "$SomethingNewlyRegistered",
        "$label6",
        "Old",
        "NonJunk",
        "nonjunk",
        "Junk",
        "JUNK",
        "NotJunk",
        "Forwarded",
        "Redirected",
        "",
    ],
)
def test_keyword_to_tag_ignores_non_tags(keyword: str) -> None:
    assert keyword_to_tag(keyword) is None


def test_keyword_to_tag_decodes_tags() -> None:
    assert keyword_to_tag("team:billing") == "team:billing"
    assert keyword_to_tag("Team:Billing") == "team:billing"
    assert keyword_to_tag("category:produkt=20verwirrung") == "category:produkt verwirrung"
    assert keyword_to_tag("dark-mode") == "dark-mode"


def test_ignored_keywords_are_casefolded() -> None:
    assert all(k == k.casefold() for k in IGNORED_KEYWORDS)
    assert {"junk", "nonjunk", "notjunk", "old", "forwarded", "redirected"} <= IGNORED_KEYWORDS


def test_seed_categories() -> None:
    assert len(SEED_CATEGORIES) == 9
    for name in SEED_CATEGORIES:
        assert canonical_tag(name) == name
        assert tag_kind(name) == "category"
        assert encode_keyword(name) == name
        assert keyword_to_tag(name) == name


# --- properties ---------------------------------------------------------------------------------

names = st.one_of(
    st.text(max_size=30),
    st.builds(
        lambda k, t: k + t, st.sampled_from(["team:", "Category: ", ""]), st.text(max_size=12)
    ),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=12),
)


@settings(max_examples=400, deadline=None)
@given(names)
def test_round_trip_property(text: str) -> None:
    try:
        name = canonical_tag(text)
    except TagError as error:
        assert "\n" not in str(error)
        return
    keyword = encode_keyword(name)
    assert decode_keyword(keyword) == name
    assert keyword_to_tag(keyword) == name
    assert keyword_to_tag(keyword.upper()) == name
    assert is_imap_atom(keyword)
    assert keyword == keyword.lower()
    assert len(keyword) <= KEYWORD_MAX
    assert canonical_tag(name) == name  # idempotent


# --- invisible characters: refused when typed, not a tag when a teammate's keyword holds one --


@pytest.mark.parametrize(
    "typed",
    [
        "team:billing\u200b",  # zero-width space
        "team:bill\u200bing",
        "\ufeffteam:billing",  # byte-order mark
        "dark\u200cmode",  # a joiner between ASCII letters joins nothing
        "dark\u200dmode",
        "team:billing\u2060",  # word joiner
        "team:billing\u00ad",  # soft hyphen
        "team:billing\u200e",  # left-to-right mark
        "team:billing\u3164",  # Hangul filler (a letter that shows as nothing)
        "team:billing\ufe0f",  # a variation selector on an ASCII letter
        "team:billing\U000e0041",  # a tag character
    ],
)
def test_invisible_characters_are_refused_when_typed(typed: str) -> None:
    with pytest.raises(TagError, match=r"invisible characters \(found U\+"):
        canonical_tag(typed)


@pytest.mark.parametrize(
    "name",
    [
        "\u0645\u06cc\u200c\u062e\u0648\u0627\u0645",  # Persian: ZWNJ inside a word
        "\U0001f469\u200d\U0001f4bb",  # woman technologist: an emoji ZWJ sequence
        "\u2764\ufe0f",  # red heart with its emoji variation selector
        "\U0001f3f3\ufe0f\u200d\U0001f308",  # rainbow flag
    ],
)
def test_joiners_and_selectors_that_join_visible_characters_are_kept(name: str) -> None:
    assert canonical_tag(name) == name
    assert keyword_to_tag(encode_keyword(name)) == name


def test_a_keyword_with_an_invisible_character_is_not_a_tag() -> None:
    """A teammate's ``team:billing`` + U+200B would show exactly as ``team:billing``, yet be
    another tag (not matched by ``--tag team:billing``): it is not a tag, as typing it is
    refused; the keyword stays on the server untouched."""
    assert keyword_to_tag("team:billing=e2=80=8b") is None
    assert keyword_to_tag("dark=e2=80=8cmode") is None
    assert keyword_to_tag("=ef=bb=bfteam:billing") is None
    assert keyword_to_tag("team:x=1b[2j") is None  # a control, as typing one is refused
    assert keyword_to_tag("a=e2=80=aeb") is None  # a bidi override
    assert keyword_to_tag("team:billing") == "team:billing"
    assert keyword_to_tag("caf=c3=a9") == "café"
    assert keyword_to_tag("bad=ff=fe") == "bad\ufffd\ufffd"  # visible: still a tag
