"""``storage.imap.quirks``: the Cyrus keyword limit named in a refusal, and the folder a missing
configured folder probably is (Courier's ``INBOX.`` namespace)."""

from __future__ import annotations

from supportmail.storage.imap.quirks import KEYWORD_LIMIT, folder_hint, refusal
from supportmail.storage.models import SyncResult

COURIER = [("INBOX.", ".")]
COURIER_FOLDERS = ["INBOX", "INBOX.Sent", "INBOX.Trash", "INBOX.Drafts"]


def test_cyrus_keyword_limit_is_named() -> None:
    line = refusal(
        "team:billing",
        "INBOX",
        "storing keyword team:billing failed: Too many user flags in mailbox",
    )
    assert line.startswith("team:billing in INBOX: storing keyword")
    assert KEYWORD_LIMIT in line and "128" in line


def test_other_refusals_are_left_as_they_are() -> None:
    assert refusal("x", "INBOX", "Permission denied") == "x in INBOX: Permission denied"


def test_courier_sent_is_under_inbox() -> None:
    hint = folder_hint("Sent", COURIER, COURIER_FOLDERS)
    assert hint == 'Sent: did you mean "INBOX.Sent"; the server\'s folders live under "INBOX."?'


def test_a_slash_path_uses_the_server_delimiter() -> None:
    hint = folder_hint("Archive/2026", COURIER, [*COURIER_FOLDERS, "INBOX.Archive.2026"])
    assert hint is not None and '"INBOX.Archive.2026"' in hint


def test_a_prefixed_name_on_a_server_without_prefix() -> None:
    hint = folder_hint("INBOX.Sent", [("", "/")], ["INBOX", "Sent"])
    assert hint == 'INBOX.Sent: did you mean "Sent"?'


def test_case_only_difference() -> None:
    assert folder_hint("archive", [("", "/")], ["INBOX", "Archive"]) == (
        'archive: did you mean "Archive"?'
    )


def test_no_such_folder_anywhere_still_names_the_namespace() -> None:
    assert folder_hint("Support", COURIER, COURIER_FOLDERS) == (
        'Support: the server\'s folders live under "INBOX." (NAMESPACE)'
    )
    assert folder_hint("Support", [("", "/")], ["INBOX"]) is None
    assert folder_hint("Support", [], ["INBOX"]) is None


def test_summary_line_and_attention() -> None:
    result = SyncResult(
        account="support",
        missing_folders=("Sent",),
        folder_hints=('Sent: did you mean "INBOX.Sent"?',),
    )
    assert 'folder not found on server: Sent (Sent: did you mean "INBOX.Sent"?)' in (
        result.summary_line()
    )
    assert result.needs_attention
    assert SyncResult(account="support", errors=("x in INBOX: no",)).needs_attention
    assert not SyncResult(account="support", local_only_folders=("INBOX",)).needs_attention


def test_a_name_written_in_modified_utf7_names_the_folder() -> None:
    """A name copied from a server log or another tool's list (``B&APw-cher``) is the folder
    ``Bücher``: the hint names it (the config takes names as they read)."""
    assert folder_hint("B&APw-cher", [("", "/")], ["INBOX", "Bücher"]) == (
        'B&APw-cher: did you mean "Bücher" (the name in IMAP\'s modified UTF-7)?'
    )
    hint = folder_hint("B&APw-cher", COURIER, [*COURIER_FOLDERS, "INBOX.Bücher"])
    assert hint is not None and '"INBOX.Bücher"' in hint
    # Not modified UTF-7, or no such folder: as before.
    assert folder_hint("Q&A", [("", "/")], ["INBOX", "Q&A"]) is None
    assert folder_hint("A&B", [("", "/")], ["INBOX"]) is None
    assert folder_hint("x&AAA-", [("", "/")], ["INBOX"]) is None


def test_a_folder_of_folders_names_the_ones_under_it() -> None:
    """Courier's ``INBOX.Archive`` above ``INBOX.Archive.2026`` is ``\\Noselect`` (LIST leaves
    it out): it holds no mail, so the hint names what is under it, not "not found" alone."""
    folders = [*COURIER_FOLDERS, "INBOX.Archive.2025", "INBOX.Archive.2026"]
    assert folder_hint("INBOX.Archive", COURIER, folders) == (
        'INBOX.Archive: holds only folders, no mail: name them, e.g. "INBOX.Archive.2025"'
    )
    hint = folder_hint("Archive", COURIER, folders)  # and without the namespace prefix
    assert hint is not None and 'name them, e.g. "INBOX.Archive.2025"' in hint
    assert folder_hint("Arch", COURIER, folders) == (
        'Arch: the server\'s folders live under "INBOX." (NAMESPACE)'
    )
