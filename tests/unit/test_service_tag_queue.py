"""Tag edits and read marks a UI queues (durable at once) and stores later in a worker, in
order: storing an older edit must not replace a newer one of the same tag in the outbox (tag,
then untag at once, then a kill: the untag was lost)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from supportmail.storage.cache import prepare_rows
from supportmail.storage.imap import ImapConnection
from supportmail.storage.mime import Envelope
from supportmail.storage.models import Address
from supportmail.storage.service import Service
from supportmail.storage.tags import SEEN, encode_keyword
from supportmail.storage.threads import thread_id

ROOT = "t1@customer.example"
TAG = "category:didnt-know"


def _offline() -> ImapConnection:
    raise AssertionError("no server in this test")


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Service]:
    service = Service(
        account="support", data_dir=tmp_path / "support", folders=("INBOX",), connector=_offline
    )
    envelope = Envelope(
        message_id=ROOT,
        in_reply_to=(),
        references=(),
        subject="Where is the export button?",
        sender=Address("Ana", "ana@customer.example"),
        to=(Address("Support", "support@example.com"),),
        cc=(),
        reply_to=(),
        date=datetime(2026, 3, 1, tzinfo=UTC),
    )
    cache = service.cache
    cache.insert_rows(prepare_rows("support", "INBOX", [(1, envelope, (), 100, None, None)]))
    cache.rebuild_threads("support", cache.thread_pending("support"))
    with service:
        yield service


def _outbox(service: Service) -> list[tuple[str, bool]]:
    return [(e.keyword, e.add) for e in service.userdb.outbox("support")]


def test_storing_a_queued_tag_leaves_a_newer_untag_in_the_outbox(service: Service) -> None:
    ref = thread_id(ROOT)
    service.queue_tag_edits(ref, [TAG])  # the key: the chip shows
    service.queue_tag_edits(ref, remove=[TAG])  # the key again before the worker ran
    assert _outbox(service) == [(encode_keyword(TAG), False)]
    service.edit_tags(ref, [TAG], queued=True)  # the worker stores the first edit
    assert _outbox(service) == [(encode_keyword(TAG), False)]  # a kill here keeps the untag
    result = service.edit_tags(ref, remove=[TAG], queued=True)
    assert TAG not in result.tags
    assert _outbox(service) == [(encode_keyword(TAG), False)]


def test_an_edit_not_queued_first_is_written_to_the_outbox(service: Service) -> None:
    result = service.edit_tags(thread_id(ROOT), [TAG])
    assert result.tags == (TAG,)
    assert _outbox(service) == [(encode_keyword(TAG), True)]


def test_storing_a_queued_read_mark_leaves_a_newer_unread_mark(service: Service) -> None:
    ref = thread_id(ROOT)
    service.queue_read(ref, True)
    service.queue_read(ref, False)
    service.mark_read(ref, True, queued=True)
    assert _outbox(service) == [(SEEN, False)]
    service.mark_read(ref, False, queued=True)
    assert _outbox(service) == [(SEEN, False)]
    assert service.list_threads()[0].unread == 1


def test_a_read_mark_not_queued_first_is_written_to_the_outbox(service: Service) -> None:
    service.mark_read(thread_id(ROOT))
    assert _outbox(service) == [(SEEN, True)]
    assert service.list_threads()[0].unread == 0
