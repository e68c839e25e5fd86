"""Issue 13 item 8: one unparseable FETCH response is isolated to its message. It is logged,
listed as a row that says what failed, and the rest of the fetch (the folder) goes on."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from supportmail.storage.imap import ImapConnection
from supportmail.storage.mime import is_synthetic, parse_envelope, per_message
from supportmail.storage.unreadable import salvage
from tests.unit.canned_imap import connection
from tests.unit.test_header_stream import DONE, FIELDS, dovecot, fetch, header


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def caplog_imap() -> Iterator[_Records]:
    """Records of ``storage.imap``'s logger, caught at the logger itself (the CLI's log-file
    setup, run by other tests, may stop ``storage.*`` records from reaching the root)."""
    logger = logging.getLogger("supportmail.storage.imap")
    handler, level = _Records(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG)
    try:
        yield handler
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)


def test_a_broken_response_is_a_row_and_the_rest_is_read(caplog_imap: _Records) -> None:
    broken = fetch(7, b"UID 7 FLAGS (\\Seen team:billing) RFC822.SIZE 812", header(7), b" STRAY")
    reply = dovecot(1) + broken + dovecot(9) + DONE
    records = ImapConnection.fetch_headers(connection(reply), [1, 7, 9], FIELDS)
    assert [r.uid for r in records] == [1, 7, 9]
    bad = records[1]
    assert (bad.flags, bad.size) == (("\\Seen", "team:billing"), 812)
    envelope = per_message(parse_envelope(bad.header), "INBOX", 3, bad.uid, bad.size)
    assert envelope.subject.startswith("[unreadable: the server's FETCH reply for UID 7")
    assert "odd FETCH item list" in envelope.subject
    assert is_synthetic(envelope.message_id)
    assert parse_envelope(records[2].header).subject == "s9"
    [entry] = [r for r in caplog_imap.records if "unparseable FETCH response" in r.getMessage()]
    assert entry.levelno == logging.WARNING and entry.exc_info is not None


def test_a_response_without_uid_is_only_logged(caplog_imap: _Records) -> None:
    broken = b"* 4 FETCH (FLAGS () ((\r\n"
    records = ImapConnection.fetch_headers(connection(broken + dovecot(9) + DONE), [4, 9], FIELDS)
    assert [r.uid for r in records] == [9]
    assert any("UID unknown" in r.getMessage() for r in caplog_imap.records)


def test_salvage_keeps_control_bytes_out_of_the_reason() -> None:
    salvaged = salvage([(b"3 FETCH (UID 3 RFC822.SIZE 9 X {1}", b"x"), b")"], "bad\x1b[31m\x85")
    assert salvaged is not None
    text = salvaged.header.decode("ascii")
    assert "\x1b" not in text and "\x85" not in text and "UID 3" in text
