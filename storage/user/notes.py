"""The userdb's private notes (one per thread) and small per-user settings."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

from tinydb.table import Document

from supportmail.storage.user.core import Q, Tables, UserDBCore
from supportmail.storage.user.records import UserDBError


class NotesAndSettings(UserDBCore):
    """The note and setting methods of :class:`storage.user.db.UserDB`."""

    # Notes ---------------------------------------------------------------------------------

    @staticmethod
    def _find_note(t: Tables, account: str, root: str) -> Document | None:
        found = t.notes.search(lambda d: d["root"] == root and d["account"] == account)
        return found[0] if found else None

    def note(self, account: str, root: str) -> str | None:
        """The private note on the thread with root Message-ID ``root``, or None."""

        def action(t: Tables) -> str | None:
            doc = self._find_note(t, account, root)
            return None if doc is None else str(doc["text"])

        return self._run(action)

    def set_note(self, account: str, root: str, text: str) -> None:
        """Store the note; an empty or whitespace-only ``text`` deletes it. Durable on return."""

        def action(t: Tables) -> None:
            doc = self._find_note(t, account, root)
            if not text.strip():
                if doc is not None:
                    t.notes.remove(doc_ids=[doc.doc_id])
                return
            fields = {"account": account, "root": root, "text": text, "updated": time.time()}
            if doc is None:
                t.notes.insert(fields)
            else:
                t.notes.update(fields, doc_ids=[doc.doc_id])

        self._run(action)

    def notes(self, account: str) -> dict[str, str]:
        """Every note of ``account``: thread root Message-ID -> text."""

        def action(t: Tables) -> dict[str, str]:
            found = t.notes.search(lambda d: d["account"] == account)
            return {str(d["root"]): str(d["text"]) for d in found}

        return self._run(action)

    # Settings ------------------------------------------------------------------------------

    def get_setting(self, key: str, default: object = None) -> object:
        """A per-user setting (e.g. the last skim time), or ``default``."""

        def action(t: Tables) -> object:
            doc = t.settings.get(Q.key == key)
            return default if doc is None else doc["value"]

        return self._run(action)

    def set_setting(self, key: str, value: object) -> None:
        """Store a JSON-serialisable setting; durable when it returns."""
        try:
            stored = json.loads(json.dumps(value))
        except (TypeError, ValueError) as error:
            raise UserDBError(f"setting {key!r} cannot be stored: {error}") from None
        self._run(lambda t: t.settings.upsert({"key": key, "value": stored}, Q.key == key))

    def update_setting(self, key: str, change: Callable[[object], object]) -> object:
        """Read, change and store a setting in one locked call (no other writer in between).

        ``change`` gets the stored value (None when there is none) and returns the new one;
        returns what was stored.
        """

        def action(t: Tables) -> object:
            doc = t.settings.get(Q.key == key)
            new = change(None if doc is None else doc["value"])
            try:
                stored = json.loads(json.dumps(new))
            except (TypeError, ValueError) as error:
                raise UserDBError(f"setting {key!r} cannot be stored: {error}") from None
            t.settings.upsert({"key": key, "value": stored}, Q.key == key)
            return stored

        return self._run(action)
