"""An in-memory stand-in for ``storage.service.Service``: the same methods, hand-made threads.

The TUI tests and snapshots run against it so they are fast, deterministic and independent of
the demo mailbox. It returns sanitised values like the real service, records every call, and
includes hostile subjects (markup, actions, escape sequences) on purpose.
"""

from __future__ import annotations

import contextlib
import dataclasses
import tempfile
import threading
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from supportmail.storage.models import (
    Address,
    Attachment,
    LiveEvent,
    MessageView,
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
)
from supportmail.storage.service.note_entry import NoteEntry
from tests.tui.fake_facades import (
    NOW,
    FakeAnswers,
    FakeAttachments,
    FakeFacades,
    FakeServiceError,
)
from tests.tui.fake_replies import FakeReplies

if TYPE_CHECKING:
    from supportmail.storage.imap import ImapConnection

T = TypeVar("T")

__all__ = ["NOW", "FakeLive", "FakeService", "FakeServiceError", "make_threads"]

TEAM = Address("Acme Support", "support@acme.example")
AGENT = Address("Dana Agent", "dana@acme.example")

HOSTILE_SUBJECTS = (
    "[bold]x[/] not bold",
    "[@click=app.quit]click me[/]",
    "\x1b[2Jcleared? \x1b]0;title\x07",
    "closing [/] and [/foo] tags",
)

CATALOG = (
    ("team:billing", None),
    ("team:tech", None),
    ("team:sales", None),
    ("category:bug", "1"),
    ("category:feature-request", "2"),
    ("category:product-confusion", "3"),
    ("category:didnt-know", "4"),
    ("category:how-to", "5"),
    ("category:billing", "6"),
    ("category:account", "7"),
    ("category:praise", "8"),
    ("category:churn-risk", "9"),
)

_CUSTOMERS = (
    Address("Grace Hopper", "grace@navy.example"),
    Address("Jürgen Müller", "juergen@beispiel.example"),
    Address("王小明", "xiaoming@example.cn"),
    Address("", "anon@nowhere.example"),
    Address("Ada Lovelace", "ada@engine.example"),
)

_SUBJECTS = (
    "Invoice shows the wrong VAT number",
    "Export to CSV crashes on large projects",
    "Rechnung doppelt abgebucht",
    "How do I invite a colleague?",
    "无法登录账户",
    "Feature idea: dark mode for the timeline view",
    "Cancel my subscription",
    "Love the new release!",
)

BODY = (
    "Hello,\n\nthe export stops at 80% every time.\n> quoted inline line\n\n"
    "Thanks,\nGrace\n-- \nGrace Hopper\nNavy Computing\n\n"
    "On Mon, 23 Nov 2026 at 09:00, Acme Support <support@acme.example> wrote:\n"
    "> Could you send us the log?\n> It is in Settings > Logs.\n> \n> Dana\n"
)


def canonical(name: str) -> str:
    """Roughly what storage.tags.canonical_tag does (enough for the fake)."""
    text = " ".join(unicodedata.normalize("NFC", name).split()).lower()
    for prefix in ("team:", "category:"):
        if text.startswith(prefix):
            text = prefix + text[len(prefix) :].strip()
    if not text or text in ("team:", "category:"):
        raise FakeServiceError(f"bad tag name {name!r}")
    return text


def _kind(name: str) -> TagKind:
    if name.startswith("team:"):
        return "team"
    if name.startswith("category:"):
        return "category"
    return "label"


def make_threads(count: int = 40) -> list[ThreadSummary]:
    """``count`` threads, newest first, plus the hostile ones near the top."""
    out: list[ThreadSummary] = []
    for n in range(count):
        customer = _CUSTOMERS[n % len(_CUSTOMERS)]
        if n < len(HOSTILE_SUBJECTS):
            subject = HOSTILE_SUBJECTS[n]
        else:
            subject = _SUBJECTS[n % len(_SUBJECTS)]
        last = NOW - timedelta(hours=5 * n + 1, minutes=7 * n)
        tags: tuple[str, ...] = ()
        if n % 3 == 0:
            tags = ("team:billing", "category:bug")
        elif n % 3 == 1:
            tags = ("team:tech",)
        out.append(
            ThreadSummary(
                id=f"{n:04x}abcd",
                root_message_id=f"<root{n}@example>",
                subject=subject,
                participants=(customer, TEAM) if n % 2 else (TEAM, customer),
                messages=1 + n % 4,
                first_date=last - timedelta(days=1),
                last_date=last,
                tags=tags,
                unread=1 if n % 4 == 0 else 0,
                has_note=n == 2,
            )
        )
    out.append(
        dataclasses.replace(
            out[-1],
            id="ffffabcd",
            root_message_id="<old@example>",
            subject="An old one from last year",
            last_date=NOW - timedelta(days=400),
            first_date=NOW - timedelta(days=401),
        )
    )
    return out


class FakeTagCatalog:
    """``Service.tag_catalog``: ``set`` edits the fake's catalog (descriptions, shortcuts)."""

    def __init__(self, service: FakeService) -> None:
        self.service = service

    def set(
        self,
        name: str,
        *,
        description: str | None = None,
        shortcut: str | None = None,
        color: str | None = None,
        share: bool = True,
    ) -> tuple[TagInfo, str | None]:
        svc = self.service
        svc.calls.append(("tag_catalog.set", (name, description, shortcut)))
        if name not in svc.catalog:
            svc.catalog.append(name)
        if description is not None:
            svc.descriptions[name] = description
        if shortcut is not None:
            svc.shortcuts[name] = shortcut
            if not shortcut:
                del svc.shortcuts[name]
        return next(t for t in svc.tags() if t.name == name), None


class FakeService(FakeFacades):
    """In-memory ``Service``: list, count, thread, edit_tags, mark_read, notes, tags, sync;
    quotes, insight and the customer day come from ``FakeFacades``."""

    def __init__(self, threads: int = 40, *, demo: bool = True, files: Path | None = None) -> None:
        """``files``: where the fake attachments' opened copies and downloads go (a path under
        the test's ``tmp_path``; without it the fake refuses to write files)."""
        self.account = "fake"
        self._demo = demo
        self.key_presses = 0
        """How often the app told the service a key was pressed (``user_active``)."""
        self.threads = {s.id: s for s in make_threads(threads)}
        self.order = list(self.threads)
        self.note_texts: dict[str, str] = {"0002abcd": "Called her on Monday.\nWaiting for logs."}
        self.catalog = [name for name, _ in CATALOG]
        self.shortcuts = dict(CATALOG)
        self.descriptions: dict[str, str] = {}
        self.tag_catalog = FakeTagCatalog(self)
        self.calls: list[tuple[str, object]] = []
        self.fail_edits = False
        self.fail_reads = False
        self.fail_read_queue = False
        self.fail_sync = False
        self.thread_gate: threading.Event | None = None
        self.edit_gate: threading.Semaphore | None = None
        """When set: each edit_tags takes one release of it (a slow store, as behind a sync)."""
        self.pending = 0
        self.park_on_sync = 0
        """Pending edits the next sync parks (their thread left the server)."""
        self.answered: set[str] = set()
        """Threads replied to (they leave the awaiting view)."""
        self.replies = FakeReplies(self)
        self.answers = FakeAnswers(self.now)
        self.attachments = FakeAttachments(self.threads, files)
        self.saved: list[SavedQuote] = []
        self.skimmed: datetime | None = None
        self.shift: tuple[datetime, int, list[str]] | None = None
        self.lives: list[FakeLive] = []
        self._lock = threading.Lock()
        self.server_hits: dict[str, list[str]] = {}
        """Search words -> ids of the threads the fake server matches (``search_server``)."""
        self.server_unknown = 0
        """Matches the fake server has that the cache does not know."""
        self.server_error: str | None = None
        """When set, ``search_server`` fails with this line (offline)."""
        self.server_gate: threading.Event | None = None
        """When set, ``search_server`` waits for it (a slow server)."""

    # -- the Service API ---------------------------------------------------------------------

    def user_active(self) -> None:
        self.key_presses += 1

    @property
    def is_demo(self) -> bool:
        return self._demo

    def is_team_address(self, address: Address) -> bool:
        return address.addr.endswith("@acme.example")

    def close(self) -> None:
        self.calls.append(("close", None))

    def claim_window(self) -> None:
        self.calls.append(("claim_window", None))

    def take_notice(self) -> str | None:
        return None

    def _matches(self, s: ThreadSummary, q: ThreadQuery) -> bool:
        if any(t not in s.tags for t in q.tags):
            return False
        if (
            q.untagged
            and any(t.startswith("team:") for t in s.tags)
            and any(t.startswith("category:") for t in s.tags)
        ):
            return False
        if q.unread and not s.unread:
            return False
        if q.roots is not None:
            return s.root_message_id in q.roots
        if q.search:
            hay = (s.subject + " " + " ".join(p.formatted() for p in s.participants)).lower()
            return all(word in hay for word in q.search.lower().split())
        return True

    def _matching(self, q: ThreadQuery) -> list[ThreadSummary]:
        found = [self._with_note(self.threads[i]) for i in self.order]
        rows = [s for s in found if self._matches(s, q)]
        if not q.awaiting:
            return rows
        # awaiting: the customer wrote last (listed last), longest waiting first
        waiting = [s for s in rows if s.id not in self.answered and not self._team_last(s)]
        waiting.sort(key=lambda s: s.last_date)
        return [dataclasses.replace(s, waiting_since=s.last_date) for s in waiting]

    def _team_last(self, s: ThreadSummary) -> bool:
        return bool(s.participants) and self.is_team_address(s.participants[-1])

    def _with_note(self, s: ThreadSummary) -> ThreadSummary:
        return dataclasses.replace(s, has_note=bool(self.note_texts.get(s.id)))

    def list_threads(
        self, query: ThreadQuery | None = None, *, raw: bool = False
    ) -> list[ThreadSummary]:
        q = query or ThreadQuery()
        self.calls.append(("list_threads", q))
        rows = self._matching(q)[q.offset :]
        if q.limit is not None:
            rows = rows[: q.limit]
        return rows if raw else [s.sanitized() for s in rows]

    def count_threads(self, query: ThreadQuery | None = None, *, at_most: int | None = None) -> int:
        q = query or ThreadQuery()
        self.calls.append(("count_threads", q))
        count = len(self._matching(q))
        return count if at_most is None else min(count, at_most + 1)

    def resolve(self, ref: str) -> str:
        return self.threads[self._resolve(ref)].root_message_id

    def thread(self, ref: str, *, fetch: bool = True, raw: bool = False) -> ThreadDetail:
        self.calls.append(("thread", ref))
        if self.thread_gate is not None:
            self.thread_gate.wait(5)
        s = self._with_note(self.threads[self._resolve(ref)])
        customer = next((p for p in s.participants if not self.is_team_address(p)), TEAM)
        messages = []
        for n in range(s.messages):
            from_customer = n % 2 == 0
            messages.append(
                MessageView(
                    message_id=f"<m{n}.{s.id}@example>",
                    folder="INBOX" if from_customer else "Sent",
                    sender=customer if from_customer else AGENT,
                    to=(TEAM,) if from_customer else (customer,),
                    cc=(),
                    date=s.first_date + timedelta(hours=n),
                    subject=s.subject if n == 0 else "Re: " + s.subject,
                    text=(BODY if from_customer else "Hi,\n\nplease try again now.\n\nDana")
                    + ("\n[@click=app.quit]body link[/] \x1b[31mred\x1b[0m" if n == 0 else ""),
                    attachments=(Attachment("export.log", "text/plain", 48_213),) if n == 0 else (),
                    unread=bool(s.unread) and n == s.messages - 1,
                    body_loaded=True,
                )
            )
        detail = ThreadDetail(summary=s, messages=tuple(messages), note=self.note_texts.get(s.id))
        return detail if raw else detail.sanitized()

    def queue_tag_edits(
        self, ref: str, add: Sequence[str] = (), remove: Sequence[str] = ()
    ) -> None:
        """The real service writes the outbox here; the fake keeps everything in edit_tags."""

    def edit_tags(
        self,
        ref: str,
        add: Sequence[str] = (),
        remove: Sequence[str] = (),
        *,
        push: bool = False,
        queued: bool = False,
    ) -> TagEditResult:
        if self.edit_gate is not None:
            self.edit_gate.acquire(timeout=5)
        with self._lock:
            self.calls.append(("edit_tags", (ref, tuple(add), tuple(remove))))
            if self.fail_edits:
                raise FakeServiceError("the outbox is locked by another supportmail")
            tid = self._resolve(ref)
            adds = [canonical(t) for t in add]
            removes = [canonical(t) for t in remove]
            s = self.threads[tid]
            tags = [t for t in s.tags if t not in removes]
            tags += [t for t in adds if t not in tags]
            for name in adds:
                if name not in self.catalog:
                    self.catalog.append(name)
            order = {"team": 0, "category": 1, "label": 2}
            tags.sort(key=lambda t: (order[_kind(t)], t))
            self.threads[tid] = dataclasses.replace(s, tags=tuple(tags))
            if not self._demo:
                self.pending += len(adds) + len(removes)
            return TagEditResult(tid, tuple(tags), tuple(adds), tuple(removes), self.pending)

    @contextlib.contextmanager
    def batched(self) -> Iterator[None]:
        with self._lock:
            self.calls.append(("batched", ()))
        yield

    def queue_read(self, ref: str, read: bool = True) -> None:
        """The real service writes the outbox here; the fake keeps everything in mark_read."""
        with self._lock:
            self.calls.append(("queue_read", (ref, read)))
            if self.fail_read_queue:
                raise FakeServiceError("the outbox is locked by another supportmail")

    def mark_read(self, ref: str, read: bool = True, *, queued: bool = False) -> int:
        with self._lock:
            self.calls.append(("mark_read", (ref, read)))
            if self.fail_reads:
                raise FakeServiceError("the outbox is locked by another supportmail")
            tid = self._resolve(ref)
            s = self.threads[tid]
            self.threads[tid] = dataclasses.replace(s, unread=0 if read else s.messages)
            if not self._demo:
                self.pending += 1
            return self.pending

    def tags(self) -> list[TagInfo]:
        counts: dict[str, int] = {}
        for s in self.threads.values():
            for t in s.tags:
                counts[t] = counts.get(t, 0) + 1
        return [
            TagInfo(
                name=name,
                kind=_kind(name),
                keyword=name,
                threads=counts.get(name, 0),
                in_catalog=True,
                shortcut=self.shortcuts.get(name),
                description=self.descriptions.get(name) or None,
            )
            for name in self.catalog
        ]

    def note(self, ref: str) -> str | None:
        return self.note_texts.get(self._resolve(ref))

    def set_note(self, ref: str, text: str) -> None:
        self.calls.append(("set_note", (ref, text)))
        tid = self._resolve(ref)
        if text.strip():
            self.note_texts[tid] = text
        else:
            self.note_texts.pop(tid, None)

    def orphan_notes(self) -> dict[str, str]:
        return {tid: text for tid, text in self.note_texts.items() if tid not in self.threads}

    def notes(self, *, orphans_only: bool = False, raw: bool = False) -> list[NoteEntry]:
        """Like the service: notes of listed threads (newest first), then the unmatched ones."""
        out = [
            NoteEntry(s.id, s.root_message_id, s.subject, self.note_texts[s.id], orphan=False)
            for s in (self.threads[i] for i in self.order)
            if s.id in self.note_texts and not orphans_only
        ]
        out += [
            NoteEntry(tid, "", "", text, orphan=True) for tid, text in self.orphan_notes().items()
        ]
        return out if raw else [e.sanitized() for e in out]

    @contextlib.contextmanager
    def note_file(self, ref: str) -> Iterator[Path]:
        """Like the service: a temp file with the note, saved back on a normal exit."""
        tid = self._resolve(ref)
        current = self.note_texts.get(tid, "")
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "note.txt"
            path.write_text(current + "\n" if current else "", encoding="utf-8")
            yield path
            text = path.read_text(encoding="utf-8", errors="replace").removesuffix("\n")
            if text != current:
                self.set_note(tid, text)

    def sync(
        self, progress: Callable[[SyncProgress], None] | None = None, *, bodies: bool = True
    ) -> SyncResult:
        self.calls.append(("sync", None))
        if self.fail_sync:
            raise FakeServiceError("sync failed: connection refused")
        if progress is not None:
            for done in range(0, 101, 25):
                progress(SyncProgress("INBOX", "headers", done, 100))
        parked, self.park_on_sync = min(self.park_on_sync, self.pending), 0
        pushed, self.pending = self.pending - parked, 0
        return SyncResult(account=self.account, folders=1, new=0, pushed=pushed, parked=parked)

    def push(self) -> SyncResult:
        """Like the service's push: the outbox goes to the server (or fails when offline)."""
        self.calls.append(("push", None))
        if self.fail_sync:
            raise FakeServiceError("push failed: connection refused")
        pushed, self.pending = self.pending, 0
        return SyncResult(account=self.account, pushed=pushed)

    def pending_count(self) -> int:
        return self.pending

    def search_server(self, text: str) -> ServerSearch:
        """Like the service's: the threads the (fake) server matches for ``text``."""
        self.calls.append(("search_server", text))
        if self.server_gate is not None:
            self.server_gate.wait(5)
        if self.server_error is not None:
            raise FakeServiceError(self.server_error)
        ids = [i for i in self.server_hits.get(text, []) if i in self.threads]
        return ServerSearch(
            text=text,
            roots=frozenset(self.threads[i].root_message_id for i in ids),
            messages=len(ids) + self.server_unknown,
            unknown=self.server_unknown,
            folders=("INBOX",),
            esearch=True,
        )

    def on_server(self, work: Callable[[ImapConnection], T]) -> T:
        """Like the demo service's: there is no server to work on."""
        raise FakeServiceError("the fake mailbox has no server")

    @property
    def logins(self) -> dict[str, int]:
        return {}

    def live(
        self,
        on_event: Callable[[LiveEvent], None],
        *,
        poll_seconds: float = 60.0,
        initial_sync: bool = True,
        debounce: float | None = None,
        check_seconds: float | None = None,
        backoff: Sequence[float] | None = None,
    ) -> FakeLive:
        """Like ``Service.live``: the mirror the TUI runs in a worker."""
        self.calls.append(("live", poll_seconds))
        mirror = FakeLive(self, on_event)
        self.lives.append(mirror)
        return mirror

    # -- test helpers ------------------------------------------------------------------------

    def server_change(self, change: Callable[[FakeService], None]) -> None:
        """Another client changed the mailbox: apply ``change`` and let the live mirrors hear
        it (as IDLE would), which makes them sync."""
        with self._lock:
            change(self)
        for mirror in self.lives:
            mirror.request_sync()

    def add_thread(self, summary: ThreadSummary) -> None:
        """A new thread at the top of the list (new mail)."""
        self.threads[summary.id] = summary
        self.order.insert(0, summary.id)

    def called(self, name: str) -> list[object]:
        """The arguments of every call of ``name`` so far."""
        return [args for call, args in self.calls if call == name]


class FakeLive:
    """The live mirror of the fake service (``storage.models.LiveHandle``): online at once, a
    sync at start and on every ``request_sync``; ``go_offline``/``go_online`` act as the
    watcher does when the connection drops and comes back."""

    def __init__(self, service: FakeService, on_event: Callable[[LiveEvent], None]) -> None:
        self._service = service
        self._on_event = on_event
        self._cond = threading.Condition()
        self._wanted = True  # the first sync
        self._stopping = False
        self.finished = threading.Event()

    @property
    def stopping(self) -> bool:
        return self._stopping

    def run(self) -> None:
        try:
            self._emit(LiveEvent("online", detail="idle"))
            while True:
                with self._cond:
                    self._cond.wait_for(lambda: self._wanted or self._stopping)
                    if self._stopping:
                        return
                    self._wanted = False
                self._sync()
        finally:
            self.finished.set()

    def _emit(self, event: LiveEvent) -> None:
        if not self._stopping:
            self._on_event(event)

    def _sync(self) -> None:
        self._emit(LiveEvent("syncing"))
        try:
            result = self._service.sync(lambda p: self._emit(LiveEvent("progress", progress=p)))
        except FakeServiceError as exc:
            self._emit(LiveEvent("sync_failed", detail=str(exc)))
            return
        self._emit(LiveEvent("synced", result=result))

    def request_sync(self) -> None:
        with self._cond:
            self._wanted = True
            self._cond.notify_all()

    def stop(self) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()

    def go_offline(self, reason: str) -> None:
        self._emit(LiveEvent("offline", detail=reason))

    def go_online(self) -> None:
        self._emit(LiveEvent("online", detail="idle"))
        self.request_sync()
