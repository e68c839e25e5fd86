"""Sync and the live mirror as the UI and the CLI see them: a sync's result and progress, the
live mirror's events and its handle."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol


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
    parked: int = 0
    """Tag edits parked by this sync: none of their messages is on the server any more (kept,
    not pending; ``Service.parked_edits`` lists them, a later sync pushes one that returns)."""
    unparked: int = 0
    """Parked tag edits this sync pushed because a message of theirs came back."""
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
        return line + self.parked_text()

    def parked_text(self, *, where: bool = True) -> str:
        """What this sync parked or brought back, in words ("" when neither): "; 1 tag edit
        parked: its thread is no longer on the server" and, with ``where``, the command that
        lists parked edits."""
        text = ""
        if self.parked:
            one = self.parked == 1
            text += (
                f"; {self.parked} tag edit{'' if one else 's'} parked: "
                f"{'its thread is' if one else 'their threads are'} no longer on the server"
            )
            if where:
                text += f" (kept; `supportmail tags --parked` lists {'it' if one else 'them'})"
        if self.unparked:
            one = self.unparked == 1
            text += (
                f"; {self.unparked} parked tag edit{'' if one else 's'} pushed again: "
                f"{'its thread is' if one else 'their threads are'} back on the server"
            )
        return text

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
