"""Coverage in the insight commands' output, and the JSON of ``bugs``, ``digest`` and ``skim``.

Every insight (``voice``, ``bugs``, ``digest``, ``skim``) says how many of its threads have their
text in the local cache (``storage.insight.coverage`` defines it). Human output (tables, Markdown,
text) adds one line only when some threads are not mirrored yet; JSON always carries the same
object::

    "coverage": {"threads": 830, "with_text": 812, "not_mirrored": 18}
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TextIO

from supportmail.storage.dates import to_iso
from supportmail.tui.cli.output import address_json

if TYPE_CHECKING:
    from supportmail.storage.models import BugReach, Coverage, Digest

QUOTES = "quotes from"
"""What voice takes from the threads."""
EXCERPTS = "excerpts from"
"""What digest and skim take from them."""
TEXT = "text of"
"""What bugs would read of them (it quotes nothing, but says what is local all the same)."""


def coverage_json(coverage: Coverage) -> dict[str, int]:
    return {
        "threads": coverage.threads,
        "with_text": coverage.with_text,
        "not_mirrored": coverage.not_mirrored,
    }


def write_coverage(coverage: Coverage, what: str, out: TextIO, *, md: bool = False) -> None:
    """One line (a Markdown paragraph with ``md``) when threads lack local text; else nothing."""
    note = coverage.note(what)
    if note is None:
        return
    line = note[0].upper() + note[1:] + "."
    out.write(f"{line}\n\n" if md else f"{line}\n")


def bugs_json(reach: BugReach) -> dict[str, Any]:
    return {
        "since": to_iso(reach.since),
        "until": to_iso(reach.until),
        "threads": reach.threads,
        "groups": [
            {
                "tag": g.tag,
                "kind": g.kind,
                "threads": g.threads,
                "customers": g.customers,
                "companies": g.companies,
                "last_date": to_iso(g.last_date),
                "thread_ids": list(g.thread_ids),
            }
            for g in reach.groups
        ],
        "coverage": coverage_json(reach.coverage),
    }


def digest_json(digest: Digest) -> dict[str, Any]:
    return {
        "since": to_iso(digest.since),
        "until": to_iso(digest.until),
        "threads": digest.threads,
        "groups": [
            {
                "category": g.category,
                "items": [
                    {
                        "thread_id": i.thread_id,
                        "subject": i.subject,
                        "from": None if i.customer is None else address_json(i.customer),
                        "company": i.company,
                        "date": to_iso(i.date),
                        "new": i.new,
                        "text": i.text,
                        "tags": list(i.tags),
                    }
                    for i in g.items
                ],
            }
            for g in digest.groups
        ],
        "coverage": coverage_json(digest.coverage),
    }
