"""The service's API as ``typing.Protocol``s: one per facade (``CoreApi``, ``MirrorApi``,
``ThreadsApi``, ``TagsApi``, ``NotesApi``, ``QuotesApi``, ``InsightApi``, ``DayApi``), one per
part the screens use (``AnswersApi``, ``RepliesApi``, ``TagCatalogApi``, ``AttachmentsApi``),
and ``ServiceApi`` combining them: what the TUI needs of a service. The values the answer flow
hands out (``Composed``, ``EditFile``, ``OutboxMail``) are importable from here too, so the UI
names nothing of the service's insides.

``Service`` implements them all; the TUI's test doubles (``tests/tui/fakes.py``) implement them
too, and mypy checks both (``tests/tui/typecheck.py``), so a double cannot drift from the real
thing. The parts list only what the TUI calls; the CLI uses the concrete ``Service``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, TypeVar

from supportmail.storage.insight import VOICE_TOP
from supportmail.storage.service.drafting import Composed, EditFile
from supportmail.storage.user.mail_outbox import OutboxMail

if TYPE_CHECKING:
    from supportmail.storage.imap import ImapConnection
    from supportmail.storage.models import (
        Address,
        AttachmentFile,
        BugReach,
        DayProgress,
        DayShift,
        DaySummary,
        Digest,
        Granularity,
        Link,
        LiveEvent,
        LiveHandle,
        Quote,
        Report,
        ResponseReport,
        SavedFile,
        SavedQuote,
        ServerSearch,
        SyncProgress,
        SyncResult,
        TagEditResult,
        TagInfo,
        TagKind,
        ThreadDetail,
        ThreadQuery,
        ThreadSummary,
        VoiceReport,
        Waiting,
    )
    from supportmail.storage.service.note_entry import NoteEntry

__all__ = [
    "AnswersApi",
    "AttachmentsApi",
    "Composed",
    "CoreApi",
    "DayApi",
    "EditFile",
    "InsightApi",
    "MirrorApi",
    "NotesApi",
    "OutboxMail",
    "QuotesApi",
    "RepliesApi",
    "ServiceApi",
    "TagCatalogApi",
    "TagsApi",
    "ThreadsApi",
]

T = TypeVar("T")


class CoreApi(Protocol):
    """The account, its clock and team, the window claim, closing (``core``)."""

    @property
    def account(self) -> str: ...
    @property
    def is_demo(self) -> bool: ...
    def user_active(self) -> None: ...
    def claim_window(self) -> None: ...
    def close(self) -> None: ...
    def take_notice(self) -> str | None: ...
    def now(self) -> datetime: ...
    def is_team_address(self, address: Address) -> bool: ...


class MirrorApi(Protocol):
    """Sync, push, the live mirror, work on the interactive session (``mirror``)."""

    def sync(
        self, progress: Callable[[SyncProgress], None] | None = None, *, bodies: bool = True
    ) -> SyncResult: ...
    def push(self) -> SyncResult: ...
    def on_server(self, work: Callable[[ImapConnection], T]) -> T: ...
    def live(
        self,
        on_event: Callable[[LiveEvent], None],
        *,
        poll_seconds: float = 60.0,
        initial_sync: bool = True,
        debounce: float | None = None,
        check_seconds: float | None = None,
        backoff: Sequence[float] | None = None,
    ) -> LiveHandle: ...
    @property
    def logins(self) -> dict[str, int]: ...


class ThreadsApi(Protocol):
    """The thread list, one thread, resolving a reference, server search (``threads``)."""

    def list_threads(
        self, query: ThreadQuery | None = None, *, raw: bool = False
    ) -> list[ThreadSummary]: ...
    def count_threads(
        self, query: ThreadQuery | None = None, *, at_most: int | None = None
    ) -> int: ...
    def search_server(self, text: str) -> ServerSearch: ...
    def resolve(self, ref: str) -> str: ...
    def thread(self, ref: str, *, fetch: bool = True, raw: bool = False) -> ThreadDetail: ...


class TagsApi(Protocol):
    """Tag edits and read marks through the outbox, the tag list (``tags``)."""

    def batched(self) -> AbstractContextManager[None]: ...
    def queue_tag_edits(
        self, ref: str, add: Sequence[str] = (), remove: Sequence[str] = ()
    ) -> None: ...
    def edit_tags(
        self,
        ref: str,
        add: Sequence[str] = (),
        remove: Sequence[str] = (),
        *,
        push: bool = False,
        queued: bool = False,
    ) -> TagEditResult: ...
    def queue_read(self, ref: str, read: bool = True) -> None: ...
    def mark_read(self, ref: str, read: bool = True, *, queued: bool = False) -> int: ...
    def tags(self) -> list[TagInfo]: ...
    def pending_count(self) -> int: ...


class NotesApi(Protocol):
    """Private notes, the note as a file for ``$EDITOR`` (``notes``)."""

    def note(self, ref: str) -> str | None: ...
    def set_note(self, ref: str, text: str) -> None: ...
    def note_file(self, ref: str) -> AbstractContextManager[Path]: ...
    def orphan_notes(self) -> dict[str, str]: ...
    def notes(self, *, orphans_only: bool = False, raw: bool = False) -> list[NoteEntry]: ...


class QuotesApi(Protocol):
    """Customers' words and saved quotes (``quotes``)."""

    def quoted_message(self, ref: str, message: str | None = None) -> tuple[int, Address]: ...
    def customer_paragraphs(
        self, ref: str, message: str | None = None, *, raw: bool = False
    ) -> tuple[str, ...]: ...
    def first_customer_words(self, ref: str, *, raw: bool = False) -> Quote | None: ...
    def save_quote(
        self, ref: str, message_id: str | None, text: str, *, raw: bool = False
    ) -> SavedQuote: ...
    def quotes(self, ref: str | None = None, *, raw: bool = False) -> list[SavedQuote]: ...
    def remove_quote(self, quote_id: int) -> None: ...
    def quote_with_attribution(self, quote: SavedQuote) -> str: ...


class InsightApi(Protocol):
    """Reports over the cache, the digest and the skim (``insight``)."""

    def report(
        self,
        since: datetime | None = None,
        until: datetime | None = None,
        by: Granularity = "week",
        kind: TagKind | None = None,
        *,
        raw: bool = False,
    ) -> Report: ...
    def bugs_by_reach(
        self, since: datetime | None = None, until: datetime | None = None, *, raw: bool = False
    ) -> BugReach: ...
    def voice(
        self,
        since: datetime | None = None,
        until: datetime | None = None,
        *,
        top: int = VOICE_TOP,
        raw: bool = False,
    ) -> VoiceReport: ...
    def digest(
        self, since: datetime | None = None, until: datetime | None = None, *, raw: bool = False
    ) -> Digest: ...
    def quarter(self, text: str) -> tuple[datetime, datetime]: ...
    def last_skim(self) -> datetime | None: ...
    def skim(self, *, remember: bool = True, raw: bool = False) -> Digest: ...
    def remember_skim(self, until: datetime) -> None: ...


class DayApi(Protocol):
    """The customer day (``customer_day``)."""

    def day_start(self) -> DayShift: ...
    def day_status(self) -> DayProgress: ...
    def day_queue(self, limit: int | None = None) -> list[ThreadSummary]: ...
    def day_next(self) -> ThreadSummary | None: ...
    def day_skip(self, ref: str) -> ThreadSummary | None: ...
    def day_end(self) -> DaySummary: ...
    def day_summary(self, on: date | None = None, *, raw: bool = False) -> DaySummary: ...


class AnswersApi(Protocol):
    """``Service.answers`` as the TUI uses it (``storage.service.answering.Answers``)."""

    def waiting(self) -> list[Waiting]: ...
    def responses(
        self,
        since: datetime | None = None,
        until: datetime | None = None,
        by: Granularity = "week",
        kind: TagKind | None = None,
    ) -> ResponseReport: ...


class RepliesApi(Protocol):
    """``Service.replies`` as the TUI's answer flow uses it (``service.replying.Replies``)."""

    def can_send(self) -> bool: ...
    def unsent(self) -> int: ...
    def compose_reply(
        self, ref: str, *, reply_all: bool = False, message: str | None = None
    ) -> Composed: ...
    def compose_forward(self, ref: str, to: str, *, message: str | None = None) -> Composed: ...
    def editing(self, text: str) -> AbstractContextManager[EditFile]: ...
    def written(self, composed: Composed, text: str) -> bool: ...
    def recipients(self, text: str) -> list[str]: ...
    def save_draft(self, composed: Composed, text: str) -> OutboxMail: ...
    def queue_draft(self, mail_id: str, *, refs: Sequence[str] | None = None) -> OutboxMail: ...
    def send(self, mail_id: str) -> OutboxMail: ...


class TagCatalogApi(Protocol):
    """``Service.tag_catalog`` as the TUI uses it (``storage.service.tag_catalog.TagCatalog``)."""

    def set(
        self,
        name: str,
        *,
        description: str | None = None,
        shortcut: str | None = None,
        color: str | None = None,
        share: bool = True,
    ) -> tuple[TagInfo, str | None]: ...


class AttachmentsApi(Protocol):
    """``Service.attachments`` as the TUI uses it (``storage.service.attachments.Attachments``)."""

    def files(self, ref: str, message: int | None = None) -> list[AttachmentFile]: ...
    def save(
        self,
        ref: str,
        directory: Path,
        message: int | None = None,
        only: int | None = None,
    ) -> list[SavedFile]: ...
    def open_copy(self, ref: str, message: int, index: int) -> SavedFile: ...
    def download_dir(self) -> Path: ...
    def thread_links(self, ref: str) -> list[tuple[int, Link]]: ...


class ServiceApi(
    CoreApi, MirrorApi, ThreadsApi, TagsApi, NotesApi, QuotesApi, InsightApi, DayApi, Protocol
):
    """What the TUI needs of a service: every facade, and the parts the screens use."""

    @property
    def answers(self) -> AnswersApi: ...
    @property
    def replies(self) -> RepliesApi: ...
    @property
    def tag_catalog(self) -> TagCatalogApi: ...
    @property
    def attachments(self) -> AttachmentsApi: ...
