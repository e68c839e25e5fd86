"""Tests for ``storage.threads``: JWZ threading, subject normalisation and thread ids.

Three layers: hand-written cases for every rule, the real notmuch test corpus (headers parsed
with ``storage.mime.parse_envelope``, as sync does; the expected threads were counted by
reading the headers), and Hypothesis property tests over random reference graphs with loops and
self references.
"""

from __future__ import annotations

import hashlib
import itertools
import os
import random
from collections import Counter, defaultdict
from collections.abc import Iterable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from supportmail.storage.mime import parse_envelope
from supportmail.storage.threads import (
    SUBJECT_MERGE_WINDOW,
    ThreadInput,
    is_reply_subject,
    normalize_subject,
    thread_id,
    thread_messages,
)

DAY = 86400.0
T0 = 1_700_000_000.0


def msg(
    key: int,
    mid: str,
    refs: Iterable[str] = (),
    irt: Iterable[str] = (),
    subject: str = "",
    date: float = T0,
) -> ThreadInput:
    return ThreadInput(key, mid, tuple(irt), tuple(refs), subject, date)


def groups(result: dict[int, str]) -> set[frozenset[int]]:
    """The partition of keys into threads."""
    by_root: dict[str, set[int]] = defaultdict(set)
    for key, root in result.items():
        by_root[root].add(key)
    return {frozenset(keys) for keys in by_root.values()}


# -- references -------------------------------------------------------------------------------


def test_single_message_is_its_own_root() -> None:
    assert thread_messages([msg(1, "a@x")]) == {1: "a@x"}


def test_empty_input() -> None:
    assert thread_messages([]) == {}


def test_reply_chain_has_the_first_message_as_root() -> None:
    result = thread_messages(
        [
            msg(1, "a@x"),
            msg(2, "b@x", refs=["a@x"], irt=["a@x"]),
            msg(3, "c@x", refs=["a@x", "b@x"], irt=["b@x"]),
        ]
    )
    assert result == {1: "a@x", 2: "a@x", 3: "a@x"}


def test_ghost_root_is_the_thread_root_and_stays_when_the_original_arrives() -> None:
    replies = [
        msg(2, "b@x", refs=["a@x"], irt=["a@x"]),
        msg(3, "c@x", refs=["a@x", "b@x"]),
        msg(4, "d@x", refs=["a@x"]),  # a sibling, only connected through the ghost
    ]
    before = thread_messages(replies)
    assert before == {2: "a@x", 3: "a@x", 4: "a@x"}
    after = thread_messages([*replies, msg(1, "a@x", subject="Help")])
    assert after == {1: "a@x", 2: "a@x", 3: "a@x", 4: "a@x"}


def test_ghost_root_with_a_single_child_is_not_pruned() -> None:
    # JWZ would promote b@x for display; the root id stays the (missing) original.
    assert thread_messages([msg(2, "b@x", refs=["a@x"])]) == {2: "a@x"}


def test_in_reply_to_alone_links_to_the_parent() -> None:
    result = thread_messages([msg(1, "a@x"), msg(2, "b@x", irt=["a@x"])])
    assert result == {1: "a@x", 2: "a@x"}


def test_in_reply_to_is_appended_when_not_last_in_references() -> None:
    # References names only the root; In-Reply-To names the real parent (b@x), which itself has
    # no References: b@x gets a@x as parent from c@x's chain.
    result = thread_messages([msg(2, "b@x"), msg(3, "c@x", refs=["a@x"], irt=["b@x"])])
    assert result == {2: "a@x", 3: "a@x"}


def test_in_reply_to_wins_over_references_in_the_wrong_order() -> None:
    # References newest first; In-Reply-To says the parent is child@x.
    result = thread_messages(
        [
            msg(1, "root@x", date=T0),
            msg(2, "child@x", refs=["root@x"], irt=["root@x"], date=T0 + 1),
            msg(3, "grand@x", refs=["child@x", "root@x"], irt=["child@x"], date=T0 + 2),
        ]
    )
    assert result == {1: "root@x", 2: "root@x", 3: "root@x"}


def test_own_message_id_in_references_is_ignored() -> None:
    assert thread_messages([msg(1, "a@x", refs=["a@x"], irt=["a@x"])]) == {1: "a@x"}
    result = thread_messages([msg(1, "p@x"), msg(2, "a@x", refs=["p@x", "a@x"], irt=["a@x"])])
    assert result == {1: "p@x", 2: "p@x"}


def test_empty_ids_in_headers_are_ignored() -> None:
    assert thread_messages([msg(1, "a@x", refs=["", ""], irt=[""])]) == {1: "a@x"}


def test_own_headers_decide_the_parent_over_other_messages_references() -> None:
    # c@x says its parent is a@x; d@x's References claim c@x's parent is b@x: c@x wins.
    result = thread_messages(
        [
            msg(1, "a@x"),
            msg(3, "c@x", refs=["a@x"]),
            msg(4, "d@x", refs=["b@x", "c@x"]),
        ]
    )
    assert result == {1: "a@x", 3: "a@x", 4: "a@x"}


def test_references_give_a_parent_to_a_message_without_references() -> None:
    # The RT pattern: the customer's mail has no References; the ticket system's replies name
    # a ticket id first. All three end up in the ticket's (ghost) thread.
    result = thread_messages(
        [
            msg(1, "orig@x", subject="FYI", date=T0),
            msg(2, "auto@rt", refs=["ticket-1@rt", "orig@x"], irt=["orig@x"], date=T0 + 10),
            msg(3, "done@rt", refs=["ticket-1@rt"], date=T0 + 99),
        ]
    )
    assert set(result.values()) == {"ticket-1@rt"}


def test_first_claim_by_date_wins_for_a_ghost_with_two_claimed_parents() -> None:
    inputs = [
        msg(1, "m1@x", refs=["p1@x", "g@x"], date=T0 + 5),
        msg(2, "m2@x", refs=["p2@x", "g@x"], date=T0 + 1),
    ]
    assert thread_messages(inputs) == {1: "p2@x", 2: "p2@x"}


def test_in_reply_to_loop_terminates_and_keeps_the_earliest_as_root() -> None:
    inputs = [
        msg(1, "a@x", irt=["b@x"], date=T0 + 1),
        msg(2, "b@x", irt=["a@x"], date=T0),
    ]
    assert thread_messages(inputs) == {1: "b@x", 2: "b@x"}
    same_date = [msg(1, "b@x", irt=["a@x"]), msg(2, "a@x", irt=["b@x"])]
    assert thread_messages(same_date) == {1: "a@x", 2: "a@x"}


def test_three_cycle_of_real_messages() -> None:
    inputs = [
        msg(1, "a@x", refs=["c@x"], date=T0 + 2),
        msg(2, "b@x", refs=["a@x"], date=T0 + 1),
        msg(3, "c@x", refs=["b@x"], date=T0 + 3),
    ]
    assert thread_messages(inputs) == {1: "b@x", 2: "b@x", 3: "b@x"}


def test_references_chains_that_contradict_each_other_terminate() -> None:
    inputs = [
        msg(1, "m1@x", refs=["a@x", "b@x", "a@x"]),
        msg(2, "m2@x", refs=["b@x", "a@x"]),
        msg(3, "m3@x", refs=["a@x", "b@x"], irt=["m2@x"]),
    ]
    result = thread_messages(inputs)
    assert set(result) == {1, 2, 3}
    assert len(set(result.values())) == 1


def test_a_chain_through_its_own_descendant_does_not_loop() -> None:
    # b@x replies to a@x; a@x (arriving "late") claims b@x as its parent: a real loop.
    inputs = [
        msg(1, "a@x", refs=["b@x"], date=T0),
        msg(2, "b@x", refs=["a@x"], date=T0 + 1),
        msg(3, "c@x", refs=["a@x", "b@x"], date=T0 + 2),
    ]
    assert thread_messages(inputs) == {1: "a@x", 2: "a@x", 3: "a@x"}


def test_very_long_chain_terminates_without_recursion() -> None:
    depth = 20_000
    inputs = [msg(0, "m0@x")]
    inputs += [msg(i, f"m{i}@x", irt=[f"m{i - 1}@x"]) for i in range(1, depth)]
    result = thread_messages(reversed(inputs))
    assert len(result) == depth
    assert set(result.values()) == {"m0@x"}


def test_one_message_with_a_huge_references_header() -> None:
    refs = [f"r{i}@x" for i in range(50_000)]
    assert thread_messages([msg(1, "a@x", refs=refs)]) == {1: "r0@x"}


# -- duplicates -------------------------------------------------------------------------------


def test_duplicate_message_ids_map_to_the_same_root() -> None:
    inputs = [
        msg(1, "a@x"),
        msg(2, "b@x", refs=["a@x"]),  # INBOX
        msg(3, "b@x", refs=["a@x"]),  # Sent
    ]
    assert thread_messages(inputs) == {1: "a@x", 2: "a@x", 3: "a@x"}


def test_duplicates_with_different_references_are_deterministic() -> None:
    inputs = [
        msg(1, "dup@x", refs=["p2@x"]),
        msg(2, "dup@x", refs=["p1@x"]),
        msg(3, "dup@x"),
        msg(4, "dup@x", refs=["p0@x", "p3@x"]),
    ]
    expected = thread_messages(inputs)
    # The copy with the longest chain decides; then the smallest chain.
    assert expected == {1: "p0@x", 2: "p0@x", 3: "p0@x", 4: "p0@x"}
    for seed in range(5):
        shuffled = inputs[:]
        random.Random(seed).shuffle(shuffled)
        assert thread_messages(shuffled) == expected


def test_input_order_does_not_matter() -> None:
    inputs = [
        msg(1, "a@x", date=T0),
        msg(2, "b@x", refs=["a@x"], date=T0 + 1),
        msg(3, "c@x", irt=["d@x"], date=T0 + 2),
        msg(4, "d@x", irt=["c@x"], date=T0 + 2),
        msg(5, "e@x", refs=["g@x", "a@x"], date=T0 + 3),
        msg(6, "f@x", refs=["h@x", "a@x"], date=T0 + 4),
        msg(7, "Password reset@x", subject="Password reset", date=T0),
        msg(8, "re@x", subject="Re: Password reset", date=T0 + 9),
    ]
    expected = thread_messages(inputs)
    for seed in range(10):
        shuffled = inputs[:]
        random.Random(seed).shuffle(shuffled)
        assert thread_messages(shuffled) == expected


def test_non_finite_dates_do_not_break_determinism() -> None:
    inputs = [
        msg(1, "a@x", irt=["b@x"], date=float("nan")),
        msg(2, "b@x", irt=["a@x"], date=float("inf")),
    ]
    assert thread_messages(inputs) == thread_messages(inputs[::-1]) == {1: "a@x", 2: "a@x"}


# -- subject fallback -------------------------------------------------------------------------


def test_same_subject_tickets_without_reply_prefix_stay_apart() -> None:
    inputs = [
        msg(1, "t1@x", subject="Password reset", date=T0),
        msg(2, "t2@x", subject="Password reset", date=T0 + 3600),
        msg(3, "t3@x", subject="password  RESET", date=T0 + 7200),
    ]
    assert thread_messages(inputs) == {1: "t1@x", 2: "t2@x", 3: "t3@x"}


def test_reply_by_subject_joins_the_ticket() -> None:
    inputs = [
        msg(1, "t1@x", subject="Password reset", date=T0),
        msg(2, "r1@x", subject="Re: Password reset", date=T0 + DAY),
    ]
    assert thread_messages(inputs) == {1: "t1@x", 2: "t1@x"}


def test_reply_by_subject_joins_the_nearest_earlier_ticket() -> None:
    inputs = [
        msg(1, "t1@x", subject="Password reset", date=T0),
        msg(2, "t2@x", subject="Password reset", date=T0 + 10 * DAY),
        msg(3, "r@x", subject="AW: Password reset", date=T0 + 12 * DAY),
    ]
    assert thread_messages(inputs) == {1: "t1@x", 2: "t2@x", 3: "t2@x"}


def test_reply_dated_before_the_ticket_still_joins_it_and_the_ticket_is_root() -> None:
    inputs = [
        msg(1, "r@x", subject="Re: Invoice", date=T0),
        msg(2, "t@x", subject="Invoice", date=T0 + DAY),
    ]
    assert thread_messages(inputs) == {1: "t@x", 2: "t@x"}


def test_subject_merge_respects_the_60_day_window() -> None:
    inside = [
        msg(1, "t@x", subject="Invoice", date=T0),
        msg(2, "r@x", subject="Re: Invoice", date=T0 + SUBJECT_MERGE_WINDOW),
    ]
    assert thread_messages(inside) == {1: "t@x", 2: "t@x"}
    outside = [
        msg(1, "t@x", subject="Invoice", date=T0),
        msg(2, "r@x", subject="Re: Invoice", date=T0 + 61 * DAY),
    ]
    assert thread_messages(outside) == {1: "t@x", 2: "r@x"}


def test_replies_without_a_ticket_group_under_the_earliest_reply() -> None:
    inputs = [
        msg(1, "r2@x", subject="Re: Outage", date=T0 + DAY),
        msg(2, "r1@x", subject="RE: outage", date=T0),
        msg(3, "r3@x", subject="Fwd: Outage", date=T0 + 59 * DAY),
        msg(4, "r4@x", subject="Re: Outage", date=T0 + 200 * DAY),
    ]
    assert thread_messages(inputs) == {1: "r1@x", 2: "r1@x", 3: "r1@x", 4: "r4@x"}


def test_subject_fallback_ignores_messages_with_references() -> None:
    inputs = [
        msg(1, "t@x", subject="Invoice", date=T0),
        msg(2, "r@x", refs=["other@x"], subject="Re: Invoice", date=T0 + DAY),
    ]
    assert thread_messages(inputs) == {1: "t@x", 2: "other@x"}
    in_reply_to_only = [
        msg(1, "t@x", subject="Invoice", date=T0),
        msg(2, "r@x", irt=["other@x"], subject="Re: Invoice", date=T0 + DAY),
    ]
    assert thread_messages(in_reply_to_only) == {1: "t@x", 2: "other@x"}


def test_subject_fallback_ignores_roots_that_got_a_parent() -> None:
    # t2@x has no References but another message names it under p@x: it is no longer a root.
    inputs = [
        msg(1, "t1@x", subject="Invoice", date=T0),
        msg(2, "t2@x", subject="Re: Invoice", date=T0 + DAY),
        msg(3, "c@x", refs=["p@x", "t2@x"], date=T0 + DAY),
    ]
    assert thread_messages(inputs) == {1: "t1@x", 2: "p@x", 3: "p@x"}


def test_empty_base_subjects_are_never_merged() -> None:
    inputs = [
        msg(1, "a@x", subject="Re:", date=T0),
        msg(2, "b@x", subject="", date=T0),
        msg(3, "c@x", subject="RE: ", date=T0),
    ]
    assert thread_messages(inputs) == {1: "a@x", 2: "b@x", 3: "c@x"}


def test_a_reply_root_brings_its_replies_along() -> None:
    inputs = [
        msg(1, "t@x", subject="Refund", date=T0),
        msg(2, "r@x", subject="Re: Refund", date=T0 + DAY),
        msg(3, "rr@x", refs=["r@x"], subject="Re: Refund", date=T0 + 2 * DAY),
    ]
    assert thread_messages(inputs) == {1: "t@x", 2: "t@x", 3: "t@x"}


def test_ticket_tags_keep_tickets_apart() -> None:
    inputs = [
        msg(1, "t1@x", subject="[#100] Password reset", date=T0),
        msg(2, "t2@x", subject="[#200] Password reset", date=T0),
        msg(3, "r@x", subject="Re: [#200] Password reset", date=T0 + DAY),
    ]
    assert thread_messages(inputs) == {1: "t1@x", 2: "t2@x", 3: "t2@x"}


# -- subjects ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "prefix",
    [
        "Re:", "RE:", "re:", "AW:", "Aw:", "WG:", "Fwd:", "FWD:", "Fw:", "FW:", "Sv:", "SV:",
        "Antw:", "VS:", "Réf:", "RÉF:", "Ref:", "TR:", "回复:", "答复:", "转发:", "回覆:",
        "Re：", "回复：", "Re[2]:", "Re(2):", "Re^2:", "RE [3]:", "Re :", "TR :",
    ],
)  # fmt: skip
def test_reply_prefixes_are_stripped(prefix: str) -> None:
    assert normalize_subject(f"{prefix} Password reset") == "password reset"
    assert normalize_subject(f"{prefix}Password reset") == "password reset"
    assert is_reply_subject(f"{prefix} Password reset")


@pytest.mark.parametrize(
    ("subject", "base", "reply"),
    [
        ("Re: Re: RE: Fwd: Hello", "hello", True),
        ("Re:AW:WG: Hello", "hello", True),
        ("[support] Re: x", "x", True),
        ("[support] x", "x", False),
        ("Re: [support] Re: x", "x", True),
        ("[Fwd: Hello there]", "hello there", True),
        ("[#12345] Password reset", "[#12345] password reset", False),
        ("Re: [#12345] Password reset", "[#12345] password reset", True),
        ("[#12345] Re: Password reset", "[#12345] password reset", True),
        ("[support] [#12345] Re: x", "[#12345] x", True),
        ("[rt.example #33575] Resolved: x", "[rt.example #33575] resolved: x", False),
        ("  Hello \t\n  World  ", "hello world", False),
        ("STRASSE", "strasse", False),
        ("Straße", "strasse", False),
        ("Re\u0301f: x", "x", True),  # decomposed é
        ("", "", False),
        ("Re:", "", True),
        ("[support]", "[support]", False),
        ("Regarding: the invoice", "regarding: the invoice", False),
        ("Reply needed", "reply needed", False),
        ("Svar: x", "svar: x", False),
        ("Fwd", "fwd", False),
        ("x Re: y", "x re: y", False),
    ],
)  # fmt: skip
def test_normalize_subject(subject: str, base: str, reply: bool) -> None:
    assert normalize_subject(subject) == base
    assert is_reply_subject(subject) is reply


# -- thread ids -------------------------------------------------------------------------------


def test_thread_id_is_the_sha1_prefix_of_the_root() -> None:
    assert thread_id("a@x") == hashlib.sha1(b"a@x").hexdigest()[:12]
    assert thread_id("a@x") == "eff5b6d4077b"  # printf "a@x" | sha1sum
    assert len(thread_id("")) == 12


def test_thread_id_accepts_surrogates_and_non_ascii() -> None:
    assert thread_id("\udcff@x") == hashlib.sha1(b"\xed\xb3\xbf@x").hexdigest()[:12]
    assert thread_id("é@x") == hashlib.sha1("é@x".encode()).hexdigest()[:12]


# -- the notmuch corpus -----------------------------------------------------------------------

CORPORA = Path(__file__).resolve().parents[2] / ".." / "shared" / "corpora"
NOTMUCH = CORPORA / "notmuch"


def _require_corpus() -> Path:
    if not NOTMUCH.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"corpus missing: {NOTMUCH}")
        pytest.skip(f"real-mail corpus not found at {NOTMUCH}")
    return NOTMUCH


def _envelope(key: int, path: Path) -> ThreadInput:
    env = parse_envelope(path.read_bytes())
    date = env.date.timestamp() if env.date is not None else 0.0
    return ThreadInput(key, env.message_id, env.in_reply_to, env.references, env.subject, date)


class Corpus:
    """Messages of one corpus directory; ``paths[key]`` is the file relative to notmuch/."""

    def __init__(self, sub: str) -> None:
        root = _require_corpus()
        files = sorted(p for p in (root / sub).rglob("*") if p.is_file() and p.parent != root)
        self.paths = [p.relative_to(root).as_posix() for p in files]
        self.inputs = [_envelope(key, path) for key, path in enumerate(files)]
        self.roots = thread_messages(self.inputs)

    def root(self, rel: str) -> str:
        return self.roots[self.paths.index(rel)]

    def sizes(self) -> list[int]:
        return sorted(Counter(self.roots.values()).values(), reverse=True)

    def keys_with_root(self, root: str) -> set[str]:
        return {self.paths[k] for k, r in self.roots.items() if r == root}


def reference_components(inputs: list[ThreadInput]) -> set[frozenset[int]]:
    """An independent check: keys connected through any id they mention (plain union-find)."""
    up: dict[str, str] = {}

    def find(x: str) -> str:
        up.setdefault(x, x)
        while up[x] != x:
            x = up[x]
        return x

    for m in inputs:
        for other in (*m.in_reply_to, *m.references):
            up[find(m.message_id)] = find(other)
    by_root: dict[str, set[int]] = defaultdict(set)
    for m in inputs:
        by_root[find(m.message_id)].add(m.key)
    return {frozenset(keys) for keys in by_root.values()}


@pytest.fixture(scope="module")
def everything() -> Corpus:
    return Corpus(".")


def test_corpus_every_message_in_exactly_one_thread(everything: Corpus) -> None:
    assert len(everything.inputs) == 320
    assert set(everything.roots) == set(range(320))
    assert len(set(everything.roots.values())) == 70


def test_corpus_input_order_does_not_matter(everything: Corpus) -> None:
    shuffled = everything.inputs[:]
    random.Random(7).shuffle(shuffled)
    assert thread_messages(shuffled) == everything.roots


def test_lkml_threads() -> None:
    lkml = Corpus("lkml")
    assert len(lkml.inputs) == 210
    # Not one 210-message thread: seven threads, counted by hand from the headers.
    assert lkml.sizes() == [100, 80, 12, 10, 4, 3, 1]
    assert groups(lkml.roots) == reference_components(lkml.inputs)
    # "[PATCH 00/44] remove unnecessary semicolons": the cover letter, 44 patches and replies.
    cover = "cover.1289789604.git.joe@perches.com"
    assert lkml.root("lkml/cur/1382298793.002253_2,") == cover
    assert len(lkml.keys_with_root(cover)) == 100


def test_lkml_ghost_root_yes_glues_two_patch_series() -> None:
    # git-send-email users answered "yes" to the In-Reply-To prompt, so 37 messages carry
    # "References: <yes>". No message has that id: the ghost is the root of their thread, which
    # therefore holds both a 2009 notmuch patch and the 2010 cifs series.
    lkml = Corpus("lkml")
    assert "yes" not in {m.message_id for m in lkml.inputs}
    starts_with_yes = [m.key for m in lkml.inputs if m.references[:1] == ("yes",)]
    assert len(starts_with_yes) == 37
    assert {lkml.roots[k] for k in starts_with_yes} == {"yes"}
    assert lkml.root("lkml/cur/1354585346.000260_2,") == "yes"  # notmuch-new patch 2/2
    assert lkml.root("lkml/cur/1382298587.001724_2,") == "yes"  # cifs patch 10/10
    assert len(lkml.keys_with_root("yes")) == 80


def test_lkml_ghost_root_of_a_reply_series() -> None:
    # Twelve replies to a mail that is not in the corpus.
    lkml = Corpus("lkml")
    ghost = "20100308191005.GE4324@amak.tundra.com"
    assert ghost not in {m.message_id for m in lkml.inputs}
    assert len(lkml.keys_with_root(ghost)) == 12


def test_default_corpus_threads() -> None:
    default = Corpus("default")
    assert len(default.inputs) == 53
    assert len(set(default.roots.values())) == 24
    assert groups(default.roots) == reference_components(default.inputs)
    maildir = "20091117190054.GU3165@dottiness.seas.harvard.edu"  # "Working with Maildir storage?"
    assert default.keys_with_root(maildir) == {
        "default/foo/new/03_2,",
        "default/new/04_2,",
        "default/foo/cur/08_2,",
        "default/foo/new/09_2,",
        "default/foo/baz/12_2,",
        "default/bar/new/22_2,",
        "default/cur/41_2,",
    }
    # "[notmuch] archive": the same message in two folders (18 and 51) plus two replies.
    archive = "20091117232137.GA7669@griffis1.net"
    assert default.keys_with_root(archive) == {
        "default/bar/18_2,",
        "default/cur/51_2,",
        "default/cur/29_2,",
        "default/cur/43_2,",
    }


def test_ghost_root_directory() -> None:
    ghost = Corpus("threading/ghost-root")
    real_root = "000-real-root@example.org"
    # fake-root's In-Reply-To names a missing message, but its References lead to real-root.
    assert ghost.keys_with_root(real_root) == {
        "threading/ghost-root/real-root",
        "threading/ghost-root/child",
        "threading/ghost-root/fake-root",
        "threading/ghost-root/grand-child",
        "threading/ghost-root/grand-child2",
        "threading/ghost-root/great-grand-child",
    }
    # The RT ticket: the customer's mail (no References), the auto-reply and the resolution all
    # sit under the ticket's ghost id that only appears in References.
    ticket = "RT-Ticket-33575@xxxxxxx-xxxxxxxxxxxxxxxxx-xxxxxxxxx-xxxxxxxxx.de"
    assert ghost.keys_with_root(ticket) == {
        "threading/ghost-root/1529425589.M615261P21663.len_2,S",
        "threading/ghost-root/1532672447.R3166642290392477575.len_2,S",
        "threading/ghost-root/1532672447.R6968667928580738175.len_2,S",
    }


def test_parent_priority_directory() -> None:
    pp = Corpus("threading/parent-priority")
    # grand-child lists References newest first; In-Reply-To puts it under child. child's
    # References name "B00--root" (sic): that ghost is claimed as root's parent and becomes the
    # thread root - what the headers say, and all three stay together.
    assert set(pp.roots.values()) == {"B00--root@example.org"}


def test_broken_directory() -> None:
    broken = Corpus("broken")
    assert set(broken.roots) == set(range(4))
    # loop-12 and loop-21 name each other in In-Reply-To: one thread, the earlier one is root.
    assert broken.root("broken/loop/loop-12") == "mid-loop-12@example.org"
    assert broken.root("broken/loop/loop-21") == "mid-loop-12@example.org"
    # broken-cc and empty-part are unrelated and stay apart.
    assert broken.root("broken/broken-cc") == "multiple-cc@example.org"
    assert broken.root("broken/empty-part") == "1782193672-98446-mlmmj-36f22ff2@FreeBSD.org"


def test_duplicate_directory() -> None:
    dup = Corpus("duplicate")
    assert dup.sizes() == [5, 2, 2]
    assert dup.root("duplicate/msg-1-1_2,") == dup.root("duplicate/msg-1-2_2,")
    assert dup.root("duplicate/msg-2-1_2,") == "87vcch7hxy.fsf@naesten.dyndns.org"
    assert dup.root("duplicate/msg-2-2_2,") == "87vcch7hxy.fsf@naesten.dyndns.org"
    # Five copies of one Message-ID, each with different References: one thread, and the choice
    # of copy does not depend on the order.
    copies = [f"duplicate/msg-3-{i}_2," for i in range(1, 6)]
    assert len({dup.root(c) for c in copies}) == 1
    assert thread_messages(dup.inputs[::-1]) == dup.roots


def test_same_subject_non_replies_stay_apart(everything: Corpus) -> None:
    # Ten unrelated crypto test mails are all called "Subject Unavailable": ten threads.
    unavailable = [
        k for k, m in enumerate(everything.inputs) if m.subject.endswith("Subject Unavailable")
    ]
    assert len(unavailable) == 10
    assert len({everything.roots[k] for k in unavailable}) == 10


# -- properties -------------------------------------------------------------------------------

_IDS = st.sampled_from([f"m{i}@x" for i in range(8)] + ["", "g1@x", "g2@x"])
_SUBJECTS = st.sampled_from(["", "Help", "Re: Help", "help", "Fwd: HELP", "Other", "Re:"])


@st.composite
def _message_lists(draw: st.DrawFn) -> list[ThreadInput]:
    count = draw(st.integers(min_value=0, max_value=14))
    out = []
    for key in range(count):
        out.append(
            ThreadInput(
                key=key,
                message_id=draw(st.sampled_from([f"m{i}@x" for i in range(8)])),
                in_reply_to=tuple(draw(st.lists(_IDS, max_size=2))),
                references=tuple(draw(st.lists(_IDS, max_size=5))),
                subject=draw(_SUBJECTS),
                date=draw(st.sampled_from([0.0, T0, T0 + DAY, T0 + 90 * DAY])),
            )
        )
    return out


def _first_parent(m: ThreadInput) -> str:
    """The parent threads.py uses: first usable In-Reply-To id, else last usable References id."""
    usable = [i for i in m.in_reply_to if i and i != m.message_id]
    if usable:
        return usable[0]
    usable = [i for i in m.references if i and i != m.message_id]
    return usable[-1] if usable else ""


@settings(max_examples=300, deadline=None)
@given(_message_lists(), st.randoms(use_true_random=False))
def test_random_reference_graphs(inputs: list[ThreadInput], rnd: random.Random) -> None:
    result = thread_messages(inputs)  # terminates on loops and self references
    assert sorted(result) == [m.key for m in inputs]  # every key exactly once
    shuffled = inputs[:]
    rnd.shuffle(shuffled)
    assert thread_messages(shuffled) == result  # deterministic under shuffling
    by_id = {m.message_id: result[m.key] for m in inputs}
    mentioned = {i for m in inputs for i in (*m.in_reply_to, *m.references) if i}
    copies = Counter(m.message_id for m in inputs)
    for m in inputs:
        root = result[m.key]
        assert root == by_id[m.message_id]  # copies of one Message-ID share a root
        assert by_id.get(root, root) == root  # a root that is a message is its own root
        assert root in by_id or root in mentioned  # a ghost root is a referenced id
        parent = _first_parent(m)
        if copies[m.message_id] == 1 and parent in by_id:
            assert by_id[parent] == root  # a message is in its parent's thread


def _slow_chain(m: ThreadInput) -> tuple[str, ...]:
    parent = _first_parent(m)
    if not parent:
        return ()
    earlier: list[str] = []
    for ref in m.references:
        if ref and ref not in (m.message_id, parent) and ref not in earlier:
            earlier.append(ref)
    return (*earlier, parent)


def _slow_threading(inputs: list[ThreadInput]) -> dict[int, str]:
    """The documented rules with plain parent pointers and ancestor walks (no union-find)."""
    best: dict[str, tuple[tuple[str, ...], ThreadInput]] = {}
    for m in inputs:
        chain = _slow_chain(m)
        old = best.get(m.message_id)
        if old is None or (-len(chain), chain, m.date) < (-len(old[0]), old[0], old[1].date):
            best[m.message_id] = (chain, m)
    parent_of: dict[str, str] = {}

    def reaches(start: str, target: str) -> bool:
        node: str | None = start
        while node is not None:
            if node == target:
                return True
            node = parent_of.get(node)
        return False

    ordered = sorted(best.values(), key=lambda cm: (cm[1].date, cm[1].message_id))
    for chain, m in reversed(ordered):
        if chain and not reaches(chain[-1], m.message_id):
            parent_of[m.message_id] = chain[-1]
    has_own = {m.message_id for chain, m in ordered if chain}
    for chain, _ in ordered:
        for above, below in itertools.pairwise(chain):
            if below not in has_own and below not in parent_of and not reaches(above, below):
                parent_of[below] = above

    def root(node: str) -> str:
        while node in parent_of:
            node = parent_of[node]
        return node

    return {m.key: root(m.message_id) for m in inputs}


@settings(max_examples=300, deadline=None)
@given(_message_lists())
def test_union_find_agrees_with_plain_parent_pointers(inputs: list[ThreadInput]) -> None:
    no_subjects = [
        ThreadInput(m.key, m.message_id, m.in_reply_to, m.references, "", m.date) for m in inputs
    ]
    assert thread_messages(no_subjects) == _slow_threading(no_subjects)
