"""Issue 13 items 1 and 2 without a server: synthetic ids are unique per message and stable,
and copies of one message collapse while distinct messages sharing a Message-ID do not."""

from __future__ import annotations

from pathlib import Path

from supportmail.storage.copies import copy_key, envelope_copy_key
from supportmail.storage.mime import is_synthetic, parse_envelope, per_message

ROOT = Path(__file__).resolve().parents[1] / "corpus" / "realworld"


def test_equal_headers_without_message_id_get_distinct_ids() -> None:
    """mime4j's basic-plain*.msg: three different messages with the same headers, no id."""
    names = ["basic-plain.msg", "basic-plain-very-long-lines.msg"]
    envelopes = [parse_envelope((ROOT / "mime4j" / "testmsgs" / n).read_bytes()) for n in names]
    assert envelopes[0].message_id == envelopes[1].message_id  # the header hash alone collides
    assert is_synthetic(envelopes[0].message_id)
    ids = {
        per_message(env, "INBOX", 7, uid, size).message_id
        for uid, (env, size) in enumerate(zip(envelopes, (280, 7371), strict=True), start=1)
    }
    assert len(ids) == 2 and all(is_synthetic(i) for i in ids)


def test_a_synthetic_id_is_stable_for_the_same_message() -> None:
    env = parse_envelope((ROOT / "mime4j" / "testmsgs" / "basic-plain.msg").read_bytes())
    first = per_message(env, "INBOX", 7, 42, 280)
    assert per_message(env, "INBOX", 7, 42, 280) == first
    assert per_message(env, "INBOX", 8, 42, 280) != first  # a new UIDVALIDITY: a new message
    assert per_message(env, "Archive", 7, 42, 280) != first
    assert first.subject == env.subject and first.sender == env.sender


def test_a_real_message_id_is_kept() -> None:
    env = parse_envelope((ROOT / "php-mime-mail-parser" / "m0011").read_bytes())
    assert per_message(env, "INBOX", 1, 1, 1076) is env


def test_copy_keys() -> None:
    m0011 = parse_envelope((ROOT / "php-mime-mail-parser" / "m0011").read_bytes())
    m0012 = parse_envelope((ROOT / "php-mime-mail-parser" / "m0012").read_bytes())
    assert m0011.message_id == m0012.message_id  # distinct messages, one Message-ID
    assert envelope_copy_key(m0011.message_id, 1076, m0011.date) != envelope_copy_key(
        m0012.message_id, 1077, m0012.date
    )
    assert envelope_copy_key("a@b", 10, None) == copy_key("a@b", 10, 0)
