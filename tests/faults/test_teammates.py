"""Teammates: five clients (own data dirs, one shared account) tag and untag concurrently.

Each client owns two tags (``team:t{k}`` and ``category:c{k}``) and edits any of the 50 threads,
so the last intended state of every (thread, tag) is well defined: it is the owner's last edit.
Clients run in threads for a bounded time, adding and removing at random and syncing every few
edits (their syncs interleave with the others' edits). Afterwards every client syncs twice, and
then the server and every client's cache must show each owner's last intended state, with empty
outboxes: no edit lost, none resurrected by a teammate's stale pull.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from supportmail.storage.service import Service
from supportmail.storage.settings import load_settings
from supportmail.storage.tags import encode_keyword
from tests.mailgen import support_mailbox

pytestmark = pytest.mark.dovecot

CLIENTS = 5
THREADS = 50
SECONDS = 10.0
SYNC_EVERY = 6
"""A client syncs after every this many edits (and once at the end of its run)."""


@dataclass
class Client:
    """One teammate: its data dir, its tags and its last intended state per (root, tag)."""

    number: int
    data: Path
    intended: dict[tuple[str, str], bool] = field(default_factory=dict)
    edits: int = 0
    syncs: int = 0
    error: BaseException | None = None

    @property
    def tags(self) -> tuple[str, str]:
        return (f"team:t{self.number}", f"category:c{self.number}")


def _open(config: Path, data: Path) -> Service:
    settings = load_settings(config)
    return Service.open(settings, settings.account(None), data)


def _work(client: Client, config: Path, start: threading.Barrier) -> None:
    """Sync, wait for the others, then edit at random for ``SECONDS``. The Service is opened in
    the thread that uses it (sqlite connections belong to one thread)."""
    rng = random.Random(client.number)
    try:
        with _open(config, client.data) as service:
            service.sync()
            threads = sorted((s.root_message_id, s.id) for s in service.list_threads())
            start.wait(timeout=60)
            deadline = time.monotonic() + SECONDS
            while time.monotonic() < deadline:
                root, ref = rng.choice(threads)
                tag = rng.choice(client.tags)
                add = rng.random() < 0.5
                service.edit_tags(ref, [tag] if add else [], [] if add else [tag])
                client.intended[(root, tag)] = add
                client.edits += 1
                if client.edits % SYNC_EVERY == 0:
                    service.sync()
                    client.syncs += 1
            service.sync()
            client.syncs += 1
    except BaseException as exc:  # reported by the test thread
        client.error = exc
        start.abort()


def _run_concurrently(clients: list[Client], config: Path) -> None:
    start = threading.Barrier(len(clients))
    workers = [threading.Thread(target=_work, args=(c, config, start)) for c in clients]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join(timeout=SECONDS + 120)
        assert not worker.is_alive(), "a client hung"
    for client in clients:
        if client.error is not None:
            raise AssertionError(f"client {client.number} failed") from client.error


def test_five_teammates_converge_on_every_last_intended_edit(
    mail_user: Any, account_config: Path, tmp_path: Path
) -> None:
    inbox = [m.raw for m in support_mailbox(THREADS, replies=True) if m.folder == "INBOX"]
    mail_user.seed("INBOX", inbox)
    clients = [Client(k, tmp_path / f"client-{k}") for k in range(CLIENTS)]
    _run_concurrently(clients, account_config)
    for _round in range(2):
        for client in clients:
            with _open(account_config, client.data) as service:
                service.sync()
    flags = mail_user.flags("INBOX")
    checked = 0
    for viewer in clients:
        with _open(account_config, viewer.data) as service:
            assert service.pending_count() == 0
            tags_by_root = {s.root_message_id: set(s.tags) for s in service.list_threads()}
            for owner in clients:
                for (root, tag), on in owner.intended.items():
                    assert (tag in tags_by_root[root]) == on, (viewer.number, root, tag, on)
                    if viewer is clients[0]:
                        uids = [
                            r.uid
                            for r in service.cache.thread_messages(service.account, root)
                            if r.folder == "INBOX"
                        ]
                        keyword = encode_keyword(tag)
                        assert uids and all((keyword in flags[u]) == on for u in uids), (root, tag)
                    checked += 1
    edits = sum(c.edits for c in clients)
    assert edits >= CLIENTS * 10, "the clients made too few edits to prove anything"
    print(
        f"\nteammates: {CLIENTS} clients, {edits} edits, {sum(c.syncs for c in clients)} syncs, "
        f"{checked} (client, thread, tag) states checked, 0 lost"
    )
