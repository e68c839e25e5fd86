"""``ImapConnection``: one authenticated IMAP session, put together from its parts.

Each part is a class over the shared state and command layer of ``ConnectionCore``
(``storage.imap.core``): ``Login`` (connect, TLS, LOGIN, capabilities), ``Folders`` (LIST,
SELECT, STATUS, NAMESPACE), ``Search`` (UIDs, UID SEARCH), ``Fetch`` (headers, flags, whole
messages, body parts), ``Store`` (keyword and read-mark STOREs, APPEND, removing messages),
``Metadata`` (GETMETADATA, SETMETADATA) and ``Idle`` (NOOP, IDLE, reported changes).
"""

from __future__ import annotations

from supportmail.storage.imap.fetch import Fetch
from supportmail.storage.imap.folders import Folders
from supportmail.storage.imap.idle import Idle
from supportmail.storage.imap.login import Login
from supportmail.storage.imap.metadata import Metadata
from supportmail.storage.imap.search import Search
from supportmail.storage.imap.store import Store

__all__ = ["ImapConnection"]


class ImapConnection(Login, Folders, Search, Fetch, Store, Metadata, Idle):
    """One authenticated IMAP session. ``connect()`` opens it; it is not thread-safe."""

    def __enter__(self) -> ImapConnection:
        self.connect()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
