"""What the MIME package hands out: :class:`Envelope`, :class:`Body`, the fetched header
fields and the size caps every parser here respects."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from supportmail.storage.models import Address

if TYPE_CHECKING:
    from supportmail.storage.models import Attachment

HEADER_FIELDS: tuple[str, ...] = (
    "Message-ID",
    "In-Reply-To",
    "References",
    "Subject",
    "From",
    "To",
    "Cc",
    "Date",
    "Content-Type",
    "Reply-To",
)
"""The header fields sync fetches with ``BODY.PEEK[HEADER.FIELDS (...)]``."""

MAX_DEPTH = 100
"""MIME nesting deeper than this is not descended into."""
MAX_PARTS = 500
"""At most this many MIME parts are looked at per message."""
TEXT_CAP = 2_000_000
"""Body text longer than this many characters is cut and marked with :data:`TRUNCATED`."""
TRUNCATED = "\n[… truncated]"

ENCODED_CAP = 8_000_000
"""Encoded bytes of one text part that are decoded at most."""
HTML_CAP = 4_000_000
"""Characters of HTML converted at most."""
HEADER_CAP = 1_000_000
"""Bytes scanned for one header block."""
ADDRESS_CAP = 65_536
"""Characters of one address header parsed."""
BODY_ATTEMPTS = 20
"""Blank text parts tried before giving up on a body."""


@dataclass(frozen=True, slots=True)
class Envelope:
    """What sync stores for every message: ids for threading, who, when, what about."""

    message_id: str
    """Bare id (no ``<>``); synthesised from a header hash when missing or unusable."""
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    """In order, deduplicated, without the message's own id."""
    subject: str
    """Decoded and unfolded, not sanitised."""
    sender: Address
    to: tuple[Address, ...]
    cc: tuple[Address, ...]
    reply_to: tuple[Address, ...]
    date: datetime | None
    """Timezone-aware; ``None`` when missing, unparseable or absurd."""


@dataclass(frozen=True, slots=True)
class Body:
    """The readable part of a message and the list of its attachments."""

    text: str
    """text/plain preferred, else HTML converted to text; decoded, not sanitised."""
    attachments: tuple[Attachment, ...]
    html_only: bool
    """True when :attr:`text` was converted from HTML."""
