"""``threads --search TEXT --server``: the server searches what is not local.

``cmd_threads`` hands its query here when ``--server`` is given: the service runs ``UID SEARCH``
on every configured folder (``Service.search_server``), and the query becomes "these threads"
(``ThreadQuery.roots``) with the other filters (``--tag``, ``--untagged``, ``--unread``,
``--since``, ``--limit``) still applied, newest activity first, printed exactly like any other
``threads`` listing (table or ``--json``). Matches the cache does not hold yet, and configured
folders the server lacks, are said in one line each on stderr, so stdout keeps its shape.
"""

from __future__ import annotations

import dataclasses
import sys
from typing import TYPE_CHECKING

from supportmail.tui.cli.output import PROG, UsageError

if TYPE_CHECKING:
    from supportmail.storage.models import ThreadQuery
    from supportmail.storage.service import Service


def server_query(service: Service, query: ThreadQuery) -> ThreadQuery:
    """``query`` with its ``search`` answered by the server (ServiceError when offline)."""
    if not query.search or not query.search.split():
        raise UsageError("--server needs --search TEXT (the words to search for on the server)")
    found = service.search_server(query.search)
    if found.missing_folders:
        names = ", ".join(found.missing_folders)
        print(f"{PROG}: not searched, no such folder on the server: {names}", file=sys.stderr)
    note = found.unknown_note()
    if note is not None:
        print(f"{PROG}: {note} (`{PROG} sync`)", file=sys.stderr)
    return dataclasses.replace(query, search=None, roots=found.roots)
