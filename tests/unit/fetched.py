"""Fetched-message tuples for ``storage.cache.prepare_rows`` in unit tests (no server)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from supportmail.storage.mime import Envelope
from supportmail.storage.models import Address

START = datetime(2026, 3, 1, tzinfo=UTC)


def fetched(
    subjects: list[str],
    *,
    first_uid: int = 1,
    message_id: str = "<m{uid}@x>",
    sender: str = "Jürgen Müller",
) -> list[tuple[object, ...]]:
    """(uid, envelope, flags, size, modseq, internaldate) for one new thread per subject, an
    hour apart from ``START``; ``message_id`` is formatted with the UID."""
    return [
        (
            first_uid + n,
            Envelope(
                message_id=message_id.format(uid=first_uid + n),
                in_reply_to=(),
                references=(),
                subject=subject,
                sender=Address(sender, f"jm{n}@kunde.example"),
                to=(Address("Support", "support@example.com"),),
                cc=(),
                reply_to=(),
                date=START + timedelta(hours=n),
            ),
            (),
            100,
            None,
            None,
        )
        for n, subject in enumerate(subjects)
    ]
