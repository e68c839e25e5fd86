"""The catalog's fallback folder lives in the server's personal namespace (Courier: INBOX.)."""

from __future__ import annotations

from typing import Any

import pytest

from supportmail.storage.catalog_sync import _folder_name
from supportmail.storage.imap import ImapError


class _Namespaces:
    def __init__(self, answer: list[tuple[str, str]] | Exception) -> None:
        self.answer = answer

    def personal_namespaces(self) -> list[tuple[str, str]]:
        if isinstance(self.answer, Exception):
            raise self.answer
        return self.answer


@pytest.mark.parametrize(
    ("namespaces", "folder"),
    [
        ([("INBOX.", ".")], "INBOX.Supportmail.Catalog"),  # Courier
        ([("", "/")], "Supportmail/Catalog"),  # Dovecot, Cyrus with altnamespace
        ([("", ".")], "Supportmail.Catalog"),
    ],
)
def test_the_folder_follows_the_personal_namespace(
    namespaces: list[tuple[str, str]], folder: str
) -> None:
    conn: Any = _Namespaces(namespaces)
    assert _folder_name(conn) == folder


def test_a_namespace_failure_falls_back_to_list() -> None:
    class _ListOnly(_Namespaces):
        def hierarchy_delimiter(self) -> str | None:
            return None  # LIST named no delimiter

    conn: Any = _ListOnly(ImapError("NAMESPACE failed"))
    assert _folder_name(conn) == "Supportmail/Catalog"
