"""What the IMAP layer hands its callers: folder status, header and flag records, TLS modes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal, TypeAlias

__all__ = ["FlagRecord", "FolderStatus", "HeaderRecord", "TlsMode"]

TlsMode: TypeAlias = Literal["implicit", "starttls", "none"]


@dataclass(frozen=True, slots=True)
class FolderStatus:
    """What SELECT reported about a folder."""

    name: str
    uidvalidity: int
    uidnext: int
    exists: int
    highestmodseq: int | None
    """None when the server lacks CONDSTORE (or the folder has no mod-sequences)."""
    permanent_keywords: bool
    """Whether new keywords can be stored permanently (``\\*`` in PERMANENTFLAGS)."""


@dataclass(frozen=True, slots=True)
class HeaderRecord:
    """One message's flags, metadata and the requested header fields (raw bytes)."""

    uid: int
    flags: tuple[str, ...]
    modseq: int | None
    internaldate: datetime | None
    size: int
    header: bytes


@dataclass(frozen=True, slots=True)
class FlagRecord:
    """One message's flags and mod-sequence."""

    uid: int
    flags: tuple[str, ...]
    modseq: int | None
