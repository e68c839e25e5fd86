"""``storage.serversearch``: the UID SEARCH commands built from what a user typed (no server)."""

from __future__ import annotations

from supportmail.storage import serversearch


def test_ascii_words_are_quoted_strings_in_one_command() -> None:
    assert serversearch.commands(["invoice", 'say"hi"\\']) == [
        (("TEXT", '"invoice"', "TEXT", '"say\\"hi\\"\\\\"'), None)
    ]


def test_each_non_ascii_word_is_a_utf8_literal_of_its_own_command() -> None:
    assert serversearch.commands(["Größe", "invoice", "发票"]) == [
        (("TEXT", '"invoice"', "TEXT"), "Größe".encode()),
        (("TEXT", '"invoice"', "TEXT"), "发票".encode()),
    ]


def test_control_characters_never_reach_the_command_line() -> None:
    [(keys, literal)] = serversearch.commands(["a\r\nb"])
    assert keys == ("TEXT",) and literal == b"a\r\nb"


def test_big_folders_are_cut_into_uid_ranges() -> None:
    assert serversearch._ranges(serversearch.SINGLE_MAX, 10**6) == [None]
    spans = serversearch._ranges(serversearch.SINGLE_MAX + 1, 120_001)
    assert spans == ["UID 1:50000", "UID 50001:100000", "UID 100001:120001"]
