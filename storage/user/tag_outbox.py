"""The userdb's outbox of tag edits: each edit is durable before it is pushed to the server, and
leaves only once the server took it (one entry per thread and keyword, newest operation wins).

An edit whose messages are all gone from the server (another client expunged the thread) is
*parked* by the sync (``outbox_park``): it stays in the file, stops counting as pending, and is
unparked (``outbox_unpark``) and pushed when one of its messages comes back. Parking and
unparking are one atomic write each, so a kill -9 leaves the edit in one state or the other.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, MutableMapping, Sequence
from typing import Any

from tinydb.table import Document

from supportmail.storage.tags import is_flag
from supportmail.storage.user.core import SCHEMA_VERSION, Tables, UserDBCore
from supportmail.storage.user.records import OutboxEdit, UserDBError, edit_from


def check_keyword(keyword: str) -> None:
    if not is_flag(keyword):
        raise UserDBError(f"not an IMAP keyword: {keyword!r}")


class TagOutbox(UserDBCore):
    """The outbox methods of :class:`storage.user.db.UserDB`."""

    # Outbox --------------------------------------------------------------------------------

    def outbox_put(
        self,
        account: str,
        thread_root: str,
        message_ids: Sequence[str],
        keyword: str,
        add: bool,
    ) -> OutboxEdit:
        """Queue adding (``add``) or removing ``keyword`` on a thread; durable when it returns.

        At most one entry exists per (account, thread_root, keyword), keyword compared
        case-insensitively: a new edit replaces it with the newest operation, the union of the
        Message-IDs and a new sequence number.
        """
        if isinstance(message_ids, str):
            raise UserDBError("message_ids must be a sequence of Message-IDs, not one string")
        check_keyword(keyword)
        new_ids = [str(m) for m in message_ids]
        folded = keyword.casefold()

        def same_key(d: Mapping[Any, Any]) -> bool:
            return (
                d["thread_root"] == thread_root
                and d["account"] == account
                and str(d["keyword"]).casefold() == folded
            )

        def action(t: Tables) -> OutboxEdit:
            old = t.outbox.search(lambda d: same_key(d))
            ids = [m for doc in old for m in doc["message_ids"]] + new_ids
            if old:
                t.outbox.remove(doc_ids=[doc.doc_id for doc in old])
            entry = {
                "account": account,
                "thread_root": thread_root,
                "keyword": keyword,
                "add": bool(add),
                "message_ids": list(dict.fromkeys(ids)),
                "seq": self._next_seq(t),
                "created": time.time(),
            }
            t.outbox.insert(entry)
            return edit_from(entry)

        return self._run(action)

    @staticmethod
    def _next_seq(t: Tables) -> int:
        meta = t.meta.get(doc_id=1)
        if isinstance(meta, Mapping) and isinstance(meta.get("next_seq"), int):
            seq = int(meta["next_seq"])
        else:  # meta lost (a hand-edited file): continue after the highest queued number
            seq = 1 + max((int(d["seq"]) for d in t.outbox.all()), default=0)
        t.meta.upsert(Document({"schema": SCHEMA_VERSION, "next_seq": seq + 1}, doc_id=1))
        return seq

    def outbox(self, account: str, *, parked: bool | None = False) -> list[OutboxEdit]:
        """The pending edits of ``account``, oldest (lowest ``seq``) first; ``parked=True``:
        only the parked ones; ``parked=None``: both."""

        def wanted(d: Mapping[str, Any]) -> bool:
            return d["account"] == account and (
                parked is None or (d.get("parked") is not None) == parked
            )

        def action(t: Tables) -> list[OutboxEdit]:
            edits = [edit_from(d) for d in t.outbox.search(lambda d: wanted(d))]
            return sorted(edits, key=lambda e: e.seq)

        return self._run(action)

    def outbox_park(self, edit: OutboxEdit, when: float | None = None) -> bool:
        """Park ``edit`` (none of its messages is on the server any more): kept, not pending.
        Returns False when a newer edit replaced it meanwhile or it is gone or parked already."""

        def park(doc: MutableMapping[Any, Any]) -> None:
            doc["parked"] = time.time() if when is None else when

        return self._update_entry(edit, park, parked=False)

    def outbox_unpark(self, edit: OutboxEdit) -> bool:
        """Make a parked ``edit`` pending again (one of its messages is back on the server).
        Returns False when a newer edit replaced it meanwhile or it is gone or not parked."""

        def unpark(doc: MutableMapping[Any, Any]) -> None:
            doc.pop("parked", None)

        return self._update_entry(edit, unpark, parked=True)

    def _update_entry(
        self, edit: OutboxEdit, change: Callable[[MutableMapping[Any, Any]], None], *, parked: bool
    ) -> bool:
        def action(t: Tables) -> bool:
            found = t.outbox.search(
                lambda d: (
                    d["seq"] == edit.seq
                    and d["account"] == edit.account
                    and (d.get("parked") is not None) == parked
                )
            )
            if found:
                t.outbox.update(change, doc_ids=[doc.doc_id for doc in found])
            return bool(found)

        return self._run(action)

    def outbox_ack(self, edit: OutboxEdit) -> bool:
        """Drop ``edit`` once it is on the server, unless a newer edit replaced it meanwhile.

        Returns whether the entry was removed (False when its seq changed or it is gone).
        """

        def action(t: Tables) -> bool:
            found = t.outbox.search(lambda d: d["seq"] == edit.seq and d["account"] == edit.account)
            if found:
                t.outbox.remove(doc_ids=[doc.doc_id for doc in found])
            return bool(found)

        return self._run(action)

    def pending_keywords(self, account: str) -> dict[str, dict[str, bool]]:
        """Message-ID -> {keyword: add} for every edit of ``account`` (parked ones too: their
        messages are not cached, and if they come back the edit is on its way); newer win."""
        result: dict[str, dict[str, bool]] = {}
        for edit in self.outbox(account, parked=None):
            for message_id in edit.message_ids:
                result.setdefault(message_id, {})[edit.keyword] = edit.add
        return result
