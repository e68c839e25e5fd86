"""Conversation threading: which thread root does each cached message belong to?

The algorithm follows Jamie Zawinski's message threading (https://www.jwz.org/doc/threading.html),
written for this project and adapted to a support mailbox:

1. **Containers.** Every Message-ID seen (as a message or inside References/In-Reply-To) gets a
   container; an id that is only referenced is a *ghost*.
2. **A message's own parent.** Its parent chain is its References (oldest first) with the first
   In-Reply-To id appended when it is not already the last entry (an earlier occurrence of it in
   References is dropped, which repairs References written newest first); the last id of the
   chain is the parent. Without In-Reply-To the last References id is the parent. A message's own
   id and empty ids are ignored, and a repeated id keeps its first place. A message's own headers
   always decide its own parent (JWZ step 1C).
3. **What other messages say.** Consecutive ids of each chain (``A B`` in ``References: A B C``)
   say "B's parent is A". Such a claim only sets the parent of a container that has no References
   of its own (a ghost, or a real message without References/In-Reply-To), and the first claim
   wins, in (date, Message-ID) order of the claiming messages.
4. **No loops.** A link that would make a container its own ancestor is skipped. When the
   messages' own headers form a cycle (A replies to B, B replies to A), the earliest message of
   the cycle, by (date, Message-ID), becomes the root.
5. **Subject fallback** (JWZ step 5, narrowed): see below.

The thread ROOT is the Message-ID of the top container **even when it is a ghost**. JWZ prunes a
ghost root with a single child for display; we do not, for the root id, because the id must stay
stable: a reply whose References starts with ``<a@x>`` belongs to thread ``a@x`` whether or not
``a@x`` has been fetched yet, so the thread keeps its id (and its notes and tags) when ``a@x``
arrives later or is never fetched at all.

Subject fallback. Support mailboxes hold many unrelated tickets with the same subject ("Password
reset"), so same-subject roots are merged far less eagerly than JWZ (or the server's
``THREAD=REFERENCES``, which made 997 threads out of 3,631 real ones in a 10k-message test
mailbox). Only roots that are real messages without any References/In-Reply-To (other than their
own id) take part. Two of them are merged only when their :func:`normalize_subject` is equal and
non-empty, at least one is a reply/forward by subject (:func:`is_reply_subject`), and their dates
lie within 60 days. Non-reply roots never merge with each other: each reply-by-subject joins the
nearest non-reply root dated before it (or, failing that, the nearest after it) within the window,
so that root - the original ticket - stays the thread root. Replies with no such ticket in reach
are grouped among themselves, rooted at the earliest of them.

Everything is deterministic: the same messages in any order give the same mapping. Duplicate
Message-IDs (the same message in INBOX and Sent) map to the same root; when the copies' headers
differ, the copy with the longest parent chain (then the smallest chain, date and subject) decides.
The implementation is iterative (no recursion), uses a union-find forest to test ancestry in
near-constant time, and threads 250k messages in a few seconds in pure Python.

Modules: ``ids`` (a thread's short id), ``jwz`` (the reference links and the threader),
``subjects`` (the subject fallback). Every name is importable from ``storage.threads``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from supportmail.storage.lazy import lazy_exports

if TYPE_CHECKING:
    from supportmail.storage.threads.ids import thread_id
    from supportmail.storage.threads.jwz import ThreadInput, link_messages, thread_messages
    from supportmail.storage.threads.subjects import (
        SUBJECT_MERGE_WINDOW,
        SubjectRoot,
        is_reply_subject,
        normalize_subject,
        subject_merges,
    )

__all__ = [
    "SUBJECT_MERGE_WINDOW",
    "SubjectRoot",
    "ThreadInput",
    "is_reply_subject",
    "link_messages",
    "normalize_subject",
    "subject_merges",
    "thread_id",
    "thread_messages",
]

# Each name is imported from its module when first used (``storage.lazy``): the first screen
# names threads (``ids``) but threads nothing (``jwz``, ``subjects``: the sync does).
__getattr__ = lazy_exports(
    __name__,
    {
        "thread_id": "ids",
        "ThreadInput": "jwz",
        "link_messages": "jwz",
        "thread_messages": "jwz",
        "SUBJECT_MERGE_WINDOW": "subjects",
        "SubjectRoot": "subjects",
        "is_reply_subject": "subjects",
        "normalize_subject": "subjects",
        "subject_merges": "subjects",
    },
)
