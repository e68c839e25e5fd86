"""The outbox's ``find``: an id prefix that matches no message is said in one plain line."""

from __future__ import annotations

from pathlib import Path

import pytest

from supportmail.storage.user.mail_outbox import Outbox, OutboxError


def test_no_match_is_one_grammatical_line(tmp_path: Path) -> None:
    with pytest.raises(OutboxError) as raised:
        Outbox(tmp_path).find("abc123")
    assert str(raised.value) == "no message in the outbox matches 'abc123' (see `drafts`)"
