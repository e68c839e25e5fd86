"""Plain, frozen values that cross from ``storage`` into the UI and the CLI.

Nothing here imports Textual, IMAP or TinyDB. Strings hold the *decoded* text of the mail; the
``sanitized()`` methods return a copy safe to show on a terminal (see ``storage.sanitize``). The
service hands the UI sanitised copies; the CLI's ``--json`` output uses the decoded originals.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Literal, Protocol

from storage.sanitize import sanitize_line, sanitize_text

TagKind = Literal["team", "category", "label"]


@dataclass(frozen=True, slots=True)
class Address:
    """One mailbox: a display name (may be empty) and the address (may be empty on broken mail)."""

    name: str
    addr: str

    def display(self) -> str:
        """The name if there is one, else the address."""
        return self.name or self.addr or "(unknown)"

    def formatted(self) -> str:
        """``Name <addr>`` or just ``addr``."""
        if self.name and self.addr:
            return f"{self.name} <{self.addr}>"
        return self.name or self.addr

    def sanitized(self) -> Address:
        return Address(sanitize_line(self.name), sanitize_line(self.addr))


@dataclass(frozen=True, slots=True)
class Link:
    """A link of a message: the text a reader sees and where it really goes."""

    text: str
    target: str

    def sanitized(self) -> Link:
        return Link(sanitize_line(self.text), sanitize_line(self.target))


@dataclass(frozen=True, slots=True)
class AttachmentFile:
    """An attachment as the server's structure of its message lists it (``storage.attachments``):
    ``message`` is the message's number in the thread (1 = oldest, as ``show`` numbers them),
    ``index`` its number within the message (1-based)."""

    message: int
    index: int
    filename: str
    """As the sender named it (may be empty or hostile; saving makes it safe)."""
    content_type: str
    size: int
    """Encoded size on the server, decoded size estimated for base64."""

    def sanitized(self) -> AttachmentFile:
        return dataclasses.replace(
            self,
            filename=sanitize_line(self.filename),
            content_type=sanitize_line(self.content_type),
        )


@dataclass(frozen=True, slots=True)
class SavedFile:
    """An attachment written to disk: where, and which one."""

    path: Path
    attachment: AttachmentFile


@dataclass(frozen=True, slots=True)
class Attachment:
    """A non-text part of a message, listed with its decoded size in bytes."""

    filename: str
    content_type: str
    size: int

    def sanitized(self) -> Attachment:
        return dataclasses.replace(
            self,
            filename=sanitize_line(self.filename),
            content_type=sanitize_line(self.content_type),
        )


@dataclass(frozen=True, slots=True)
class ThreadSummary:
    """One conversation as the thread list shows it."""

    id: str
    """Short, stable hex id derived from the root Message-ID (what ``threads`` prints)."""
    root_message_id: str
    subject: str
    participants: tuple[Address, ...]
    messages: int
    first_date: datetime
    last_date: datetime
    tags: tuple[str, ...]
    unread: int
    """How many messages in the thread lack ``\\Seen``."""
    has_note: bool
    pending_tags: tuple[str, ...] = ()
    """Tags of this thread with a local edit not yet confirmed by the server."""
    waiting_since: datetime | None = None
    """In the awaiting view: since when the customer waits for the team."""

    def sanitized(self) -> ThreadSummary:
        return dataclasses.replace(
            self,
            subject=sanitize_line(self.subject),
            participants=tuple(p.sanitized() for p in self.participants),
            tags=tuple(sanitize_line(t) for t in self.tags),
            pending_tags=tuple(sanitize_line(t) for t in self.pending_tags),
        )


@dataclass(frozen=True, slots=True)
class MessageView:
    """One message of a thread, decoded and ready to read."""

    message_id: str
    folder: str
    sender: Address
    to: tuple[Address, ...]
    cc: tuple[Address, ...]
    date: datetime | None
    subject: str
    text: str
    """The readable body: text/plain preferred, HTML converted to text, empty if not fetched."""
    attachments: tuple[Attachment, ...]
    unread: bool
    body_loaded: bool
    """False when the body is not in the cache and could not be fetched (offline)."""

    def sanitized(self) -> MessageView:
        return dataclasses.replace(
            self,
            message_id=sanitize_line(self.message_id),
            folder=sanitize_line(self.folder),
            sender=self.sender.sanitized(),
            to=tuple(a.sanitized() for a in self.to),
            cc=tuple(a.sanitized() for a in self.cc),
            subject=sanitize_line(self.subject),
            text=sanitize_text(self.text),
            attachments=tuple(a.sanitized() for a in self.attachments),
        )


@dataclass(frozen=True, slots=True)
class ThreadDetail:
    """A thread with its messages (oldest first) and the user's private note."""

    summary: ThreadSummary
    messages: tuple[MessageView, ...]
    note: str | None

    def sanitized(self) -> ThreadDetail:
        return ThreadDetail(
            summary=self.summary.sanitized(),
            messages=tuple(m.sanitized() for m in self.messages),
            note=None if self.note is None else sanitize_text(self.note),
        )


@dataclass(frozen=True, slots=True)
class TagInfo:
    """A tag of the catalog (or one found on the server) with how many threads carry it."""

    name: str
    """Canonical name, e.g. ``team:billing``, ``category:bug``, ``dark-mode``."""
    kind: TagKind
    keyword: str
    """The IMAP keyword that stores it on the server."""
    threads: int
    in_catalog: bool
    shortcut: str | None = None
    description: str | None = None
    """What the tag means, from the shared catalog (``tags set --description``)."""
    color: str | None = None

    def sanitized(self) -> TagInfo:
        return dataclasses.replace(
            self,
            name=sanitize_line(self.name),
            description=None if self.description is None else sanitize_line(self.description),
            color=None if self.color is None else sanitize_line(self.color),
        )


@dataclass(frozen=True, slots=True)
class TagEditResult:
    """What a tag edit did locally: the thread's tags now, and how many edits await the server."""

    thread_id: str
    tags: tuple[str, ...]
    added: tuple[str, ...]
    removed: tuple[str, ...]
    pending: int
    pushed: bool = False
    push_error: str | None = None
    """Why ``--push`` could not send the edit now (it stays in the outbox for the next sync)."""


@dataclass(frozen=True, slots=True)
class SyncResult:
    """One sync's outcome, for the summary line and the status bar."""

    account: str
    folders: int = 0
    new: int = 0
    changed: int = 0
    vanished: int = 0
    pushed: int = 0
    pending: int = 0
    seconds: float = 0.0
    local_only_folders: tuple[str, ...] = ()
    """Folders whose server cannot store keywords (no ``\\*`` in PERMANENTFLAGS)."""
    reset_folders: tuple[str, ...] = ()
    """Folders refetched because their UIDVALIDITY changed."""
    missing_folders: tuple[str, ...] = ()
    folder_hints: tuple[str, ...] = ()
    """For missing folders: the name the server probably has (``storage.imap.quirks``)."""
    errors: tuple[str, ...] = ()
    """Edits the server refused (they stay in the outbox), one line each."""
    bodies: int | None = None
    """Messages whose text the body mirror fetched (None: it did not run)."""
    unreadable: int = 0
    """Of those, messages stored with a note that they could not be read."""

    def summary_line(self) -> str:
        parts = [
            f"{self.account}: {self.folders} folder{'s' if self.folders != 1 else ''}",
            f"{self.new} new",
            f"{self.changed} changed",
            f"{self.vanished} gone",
            f"{self.pushed} tag edit{'s' if self.pushed != 1 else ''} pushed",
        ]
        if self.pending:
            parts.append(f"{self.pending} pending")
        if self.bodies is not None:
            parts.append(f"{self.bodies} bod{'y' if self.bodies == 1 else 'ies'} fetched")
        line = ", ".join(parts) + f" ({self.seconds:.1f}s)"
        if self.local_only_folders:
            line += (
                "; tags stay local in "
                + ", ".join(self.local_only_folders)
                + " (server does not store keywords)"
            )
        if self.reset_folders:
            line += "; UIDVALIDITY changed, refetched " + ", ".join(self.reset_folders)
        if self.missing_folders:
            line += "; folder not found on server: " + ", ".join(self.missing_folders)
            if self.folder_hints:
                line += " (" + "; ".join(self.folder_hints) + ")"
        if self.errors:
            line += f"; {len(self.errors)} edit(s) refused by the server: {self.errors[0]}"
        if self.unreadable:
            line += f"; {self.unreadable} message(s) could not be read (stored with a note)"
        return line

    @property
    def needs_attention(self) -> bool:
        """The server refused edits or a configured folder is missing: ``sync`` exits 3."""
        return bool(self.errors or self.missing_folders)


@dataclass(frozen=True, slots=True)
class SyncProgress:
    """Progress of a running sync, reported through a callback."""

    folder: str
    phase: Literal["connect", "headers", "flags", "push", "threads", "bodies", "reconnect", "done"]
    """``reconnect``: the connection dropped; ``done`` of ``total`` retries is about to run.
    ``bodies``: the body mirror stored ``done`` of the ``total`` messages it mirrors."""
    done: int = 0
    total: int = 0


@dataclass(frozen=True, slots=True)
class LiveEvent:
    """What the live mirror (``Service.live``) reports, from its own threads.

    ``kind``: ``online`` (``detail``: ``idle`` or ``polling``), ``offline`` (``detail``: why, one
    line; it retries), ``syncing`` (a sync starts), ``progress`` (``progress`` set), ``synced``
    (``result`` set), ``sync_failed`` (``detail``: the error; it retries)."""

    kind: Literal["online", "offline", "syncing", "progress", "synced", "sync_failed"]
    detail: str = ""
    result: SyncResult | None = None
    progress: SyncProgress | None = None


class LiveHandle(Protocol):
    """What ``Service.live`` returns (``storage.sync.live.LiveMirror``), as the UI sees it."""

    def run(self) -> None:
        """Watch and sync until ``stop()`` (blocks: run it in a thread)."""

    def stop(self) -> None:
        """End ``run`` soon; thread-safe."""

    def request_sync(self) -> None:
        """Sync soon, coalesced with one already due; thread-safe."""

    @property
    def stopping(self) -> bool:
        """``stop()`` was called."""


@dataclass(frozen=True, slots=True)
class ThreadQuery:
    """Which threads to list. All filters combine with AND."""

    tags: tuple[str, ...] = ()
    untagged: bool = False
    """Threads missing a team tag or a category tag."""
    unread: bool = False
    since: datetime | None = None
    """Threads with activity at or after this moment."""
    search: str | None = None
    limit: int | None = None
    offset: int = 0
    oldest_first: bool = False
    """Order by the thread's first message, oldest first (default: newest activity first)."""
    awaiting: bool = False
    """Only threads whose newest message is a customer's, longest waiting first
    (``storage.insight.responses``); ``oldest_first`` is ignored then."""
    roots: frozenset[str] | None = None
    """Only these threads (root Message-IDs): what a server search found
    (``ServerSearch.roots``); ``search`` is not applied on top of them."""


@dataclass(frozen=True, slots=True)
class ServerSearch:
    """What ``Service.search_server`` found: the cached threads holding a match, and how many
    matching messages the cache does not have yet."""

    text: str
    roots: frozenset[str]
    """Root Message-IDs of the cached threads with a matching message."""
    messages: int
    """Matching messages on the server, in every folder searched."""
    unknown: int
    """Of those, messages the cache does not hold yet (a sync brings them)."""
    folders: tuple[str, ...]
    """The folders searched."""
    missing_folders: tuple[str, ...] = ()
    """Configured folders the server does not have (not searched)."""
    esearch: bool = False
    """The server answered with ESEARCH (RFC 4731) rather than plain SEARCH."""

    def unknown_note(self) -> str | None:
        """One line about the matches the cache does not know yet, or None."""
        if not self.unknown:
            return None
        many = "es" if self.unknown != 1 else ""
        return f"{self.unknown} match{many} on the server not in the local cache yet: sync first"


# -- reports (values built by storage.insight, returned by Service.report/voice/bugs/digest) ----

Granularity = Literal["day", "week", "month"]
"""How a report cuts time: calendar days, ISO weeks (Monday 00:00) or calendar months."""
Trend = Literal["rising", "falling", "steady"]


@dataclass(frozen=True, slots=True)
class ReportMessage:
    """One message of a thread as the reports see it (``Cache.report_rows``)."""

    rowid: int
    """The cache row (for the body lookup)."""
    sender: Address
    date: datetime


@dataclass(frozen=True, slots=True)
class ReportThread:
    """One thread: when it started, its tags, and who wrote each message (oldest first)."""

    root: str
    id: str
    subject: str
    first_date: datetime
    tags: tuple[str, ...]
    messages: tuple[ReportMessage, ...]


@dataclass(frozen=True, slots=True)
class SpikeTest:
    """One period of a tag against the tag's own previous periods (one-sided Poisson test)."""

    latest: int
    """Threads of the tag that started in the tested period (so far, if it is still running)."""
    baseline: float
    """Mean threads per previous period: the rate the test assumes (before the 0.5 floor)."""
    p: float
    """P(X >= latest) for X ~ Poisson(max(baseline, 0.5)): how surprising ``latest`` is."""
    flagged: bool
    """``p < 0.01`` and ``latest >= 3``."""
    history: int
    """How many previous periods the baseline averages (at most 8; at least 4 or no test)."""
    partial: bool
    """The tested period is still running; previous periods were counted to the same point."""


@dataclass(frozen=True, slots=True)
class PeriodCount:
    """One tag in one period."""

    start: datetime
    threads: int
    """Threads whose first message falls in the period."""
    customers: int
    """Distinct customer addresses of those threads."""
    companies: int
    """Distinct customer companies: the domain, or the address for free-mail senders."""
    spike: bool
    """The period was flagged against the tag's previous periods (see ``SpikeTest``)."""


@dataclass(frozen=True, slots=True)
class TagReport:
    """One tag over a report's window: counts per period, totals, spike test and trend."""

    tag: str
    kind: TagKind
    threads: int
    customers: int
    companies: int
    periods: tuple[PeriodCount, ...]
    latest: SpikeTest | None
    """The test of the latest period, or None with fewer than 4 previous periods of data."""
    trend: Trend | None
    """Mann-Kendall over the complete periods; None with fewer than 6 of them."""

    @property
    def spike(self) -> SpikeTest | None:
        """The latest period's test when it flagged a spike, else None."""
        return self.latest if self.latest is not None and self.latest.flagged else None

    def sanitized(self) -> TagReport:
        return dataclasses.replace(self, tag=sanitize_line(self.tag))


@dataclass(frozen=True, slots=True)
class Report:
    """Per tag and period: threads and distinct customers, with spikes and trends."""

    since: datetime
    until: datetime
    by: Granularity
    kind: TagKind | None
    """Only tags of this kind, or every tag."""
    period_starts: tuple[datetime, ...]
    threads: int
    """Threads that started in the window (tagged or not)."""
    customers: int
    companies: int
    tags: tuple[TagReport, ...]
    """Teams, then categories, then labels; each kind by threads (most first)."""

    def sanitized(self) -> Report:
        return dataclasses.replace(self, tags=tuple(t.sanitized() for t in self.tags))


@dataclass(frozen=True, slots=True)
class Coverage:
    """How many of an insight's threads have their text in the local cache
    (``storage.insight.coverage`` says which message counts). ``voice``, ``bugs_by_reach``,
    ``digest`` and ``skim`` carry one."""

    threads: int = 0
    """Threads the insight is about (its window and its filter)."""
    with_text: int = 0
    """Of those, threads whose speaking message has a row in the cache's ``bodies``."""

    @property
    def not_mirrored(self) -> int:
        """Threads whose text is not local yet (the body mirror has not reached them)."""
        return self.threads - self.with_text

    def note(self, what: str) -> str | None:
        """``quotes from 812 of 830 threads; 18 not mirrored yet`` (``what`` = "quotes from"),
        or None when nothing is missing."""
        if self.not_mirrored <= 0:
            return None
        missing = self.not_mirrored
        return f"{what} {self.with_text} of {self.threads} threads; {missing} not mirrored yet"


@dataclass(frozen=True, slots=True)
class Quote:
    """A customer's own words: the first paragraph they wrote, trimmed."""

    text: str
    sender: Address
    company: str | None
    """The sender's company domain; None for free-mail addresses."""
    date: datetime
    thread_id: str
    saved: bool = False
    """Saved by a person (``Service.save_quote``) rather than extracted from the message."""

    def sanitized(self) -> Quote:
        return dataclasses.replace(
            self,
            text=sanitize_line(self.text),
            sender=self.sender.sanitized(),
            company=None if self.company is None else sanitize_line(self.company),
        )


@dataclass(frozen=True, slots=True)
class FeatureRequest:
    """Threads asking for one thing (a label tag, or a team tag when unlabelled)."""

    tag: str
    kind: TagKind
    threads: int
    customers: int
    companies: int
    thread_ids: tuple[str, ...]
    """Newest first."""
    quotes: tuple[Quote, ...]

    def sanitized(self) -> FeatureRequest:
        return dataclasses.replace(
            self, tag=sanitize_line(self.tag), quotes=tuple(q.sanitized() for q in self.quotes)
        )


@dataclass(frozen=True, slots=True)
class VoiceReport:
    """The top feature requests of a window, ranked by distinct customers."""

    since: datetime
    until: datetime
    requests: tuple[FeatureRequest, ...]
    threads: int
    """Feature-request threads in the window."""
    unlabelled: int
    """Feature-request threads with neither a label nor a team tag (in no request)."""
    coverage: Coverage = Coverage()
    """Of the feature-request threads, those whose customer words are local."""

    def sanitized(self) -> VoiceReport:
        return dataclasses.replace(self, requests=tuple(r.sanitized() for r in self.requests))


@dataclass(frozen=True, slots=True)
class BugGroup:
    """``category:bug`` threads sharing one team or label tag."""

    tag: str | None
    """None: bugs with neither a team nor a label tag."""
    kind: TagKind | None
    threads: int
    customers: int
    companies: int
    last_date: datetime
    thread_ids: tuple[str, ...]
    """Newest first."""

    def sanitized(self) -> BugGroup:
        return dataclasses.replace(self, tag=None if self.tag is None else sanitize_line(self.tag))


@dataclass(frozen=True, slots=True)
class BugReach:
    """Bugs grouped by team and label, ranked by how many customers reported them."""

    since: datetime
    until: datetime
    threads: int
    groups: tuple[BugGroup, ...]
    coverage: Coverage = Coverage()
    """Of the bug threads, those whose customer words are local."""

    def sanitized(self) -> BugReach:
        return dataclasses.replace(self, groups=tuple(g.sanitized() for g in self.groups))


@dataclass(frozen=True, slots=True)
class DigestItem:
    """One thread in a digest: who wrote, when, and the first lines they wrote."""

    thread_id: str
    subject: str
    customer: Address | None
    company: str | None
    date: datetime
    """When the customer's first message in the digest's window was sent."""
    new: bool
    """The thread started in the window (else a customer wrote again in an older thread)."""
    text: str
    """The first paragraph the customer wrote in that message; empty if its body is not cached."""
    tags: tuple[str, ...]

    def sanitized(self) -> DigestItem:
        return dataclasses.replace(
            self,
            subject=sanitize_line(self.subject),
            customer=None if self.customer is None else self.customer.sanitized(),
            company=None if self.company is None else sanitize_line(self.company),
            text=sanitize_line(self.text),
            tags=tuple(sanitize_line(t) for t in self.tags),
        )


@dataclass(frozen=True, slots=True)
class DigestGroup:
    """The digest's threads of one category (None: not categorised yet), newest first."""

    category: str | None
    items: tuple[DigestItem, ...]

    def sanitized(self) -> DigestGroup:
        return DigestGroup(
            category=None if self.category is None else sanitize_line(self.category),
            items=tuple(i.sanitized() for i in self.items),
        )


@dataclass(frozen=True, slots=True)
class Digest:
    """What customers wrote since a moment, grouped by category (largest group first)."""

    since: datetime
    until: datetime
    threads: int
    groups: tuple[DigestGroup, ...]
    coverage: Coverage = Coverage()
    """Of the digest's threads, those whose excerpted message is local."""

    def sanitized(self) -> Digest:
        return dataclasses.replace(self, groups=tuple(g.sanitized() for g in self.groups))


# -- saved quotes and the customer day (Service.save_quote / quotes / day_*) --------------------


@dataclass(frozen=True, slots=True)
class SavedQuote:
    """A passage of a customer's message that you kept (locally, never sent to the server)."""

    id: int
    """Stable number of the quote in your userdb (``supportmail quote --remove ID``)."""
    thread_id: str
    root_message_id: str
    message_id: str
    """The message the words come from."""
    text: str
    sender: Address
    """Who wrote the message."""
    company: str | None
    """The sender's company domain; None for free-mail addresses."""
    date: datetime | None
    """When the message was sent (None when its Date header was unusable)."""
    saved: datetime

    def sanitized(self) -> SavedQuote:
        return dataclasses.replace(
            self,
            root_message_id=sanitize_line(self.root_message_id),
            message_id=sanitize_line(self.message_id),
            text=sanitize_line(self.text),
            sender=self.sender.sanitized(),
            company=None if self.company is None else sanitize_line(self.company),
        )


@dataclass(frozen=True, slots=True)
class DayShift:
    """A customer-day shift: the queue of threads missing a team or a category tag at its start."""

    started: datetime
    queue_size: int
    """Threads in the queue when the shift started (the progress bar's total)."""
    resumed: bool
    """An unfinished shift of the same calendar day was picked up again."""


@dataclass(frozen=True, slots=True)
class DayProgress:
    """Where a running shift stands."""

    started: datetime
    done: int
    """Threads of the queue that have both a team and a category tag now."""
    queue_size: int
    remaining: int
    """Threads of the queue still missing a tag (skipped ones included)."""
    skipped: int
    elapsed: timedelta
    next_thread_id: str | None
    """The oldest thread still to do that was not skipped; None when the queue is through."""


@dataclass(frozen=True, slots=True)
class DayTag:
    """One tag during a customer day: how often you added and removed it."""

    tag: str
    kind: TagKind
    added: int
    removed: int

    def sanitized(self) -> DayTag:
        return dataclasses.replace(self, tag=sanitize_line(self.tag))


@dataclass(frozen=True, slots=True)
class DayThread:
    """A thread you worked on during a customer day."""

    id: str
    subject: str
    """'' when the thread is no longer in the cache."""
    tags: tuple[str, ...]
    """Its tags now."""
    added: tuple[str, ...]
    """Tags you added to it during the day."""

    def sanitized(self) -> DayThread:
        return dataclasses.replace(
            self,
            subject=sanitize_line(self.subject),
            tags=tuple(sanitize_line(t) for t in self.tags),
            added=tuple(sanitize_line(t) for t in self.added),
        )


@dataclass(frozen=True, slots=True)
class DayNote:
    """A private note you saved during a customer day (its text as it is now)."""

    thread_id: str
    subject: str
    text: str

    def sanitized(self) -> DayNote:
        return dataclasses.replace(
            self, subject=sanitize_line(self.subject), text=sanitize_text(self.text)
        )


@dataclass(frozen=True, slots=True)
class DaySummary:
    """What a calendar day's customer-day shifts got done."""

    day: date
    started: datetime
    """Start of the day's first shift."""
    ended: datetime | None
    """End of the day's last shift; None while it is still running."""
    elapsed: timedelta
    """Time spent in the day's shifts (a shift left unfinished counts until now, the same
    day, or until its last recorded action)."""
    shifts: int
    queue_size: int
    """The last shift's queue at its start."""
    done: int | None
    """Its threads that were fully tagged at its end (or now); None when a shift was left
    unfinished on an earlier day (its end state was never recorded)."""
    skipped: int
    threads: tuple[DayThread, ...]
    """Threads you tagged, noted, quoted or marked during the shifts, in the order first touched."""
    tags: tuple[DayTag, ...]
    """Teams, then categories, then labels; by name."""
    notes: tuple[DayNote, ...]
    quotes: tuple[SavedQuote, ...]
    marked_read: int
    """Threads you marked read (or unread) on the server."""

    def added_by_kind(self) -> dict[TagKind, int]:
        """Tags added per kind (``team``, ``category``, ``label``), zero counts included."""
        out: dict[TagKind, int] = {"team": 0, "category": 0, "label": 0}
        for tag in self.tags:
            out[tag.kind] += tag.added
        return out

    def sanitized(self) -> DaySummary:
        return dataclasses.replace(
            self,
            threads=tuple(t.sanitized() for t in self.threads),
            tags=tuple(t.sanitized() for t in self.tags),
            notes=tuple(n.sanitized() for n in self.notes),
            quotes=tuple(q.sanitized() for q in self.quotes),
        )
