"""The bundled demo mailbox that ``supportmail demo`` opens: a fictional support inbox, offline.

The mailbox belongs to "Plotline", an invented project-planning SaaS (web and mobile apps, Slack /
Jira / Google Calendar integrations, billing through Stripe). Its customers' words are written by
hand in ``storage/demo/data/*.toml``; this package turns them into complete RFC 5322 messages:

* ``openers_*.toml`` hold hand-written first messages (some with a scripted conversation),
  ``cases.toml`` short cases (mostly bugs) dressed in varied context sentences,
  ``features.toml`` the feature requests, ``spike.toml`` the invoice incident of the last week,
  ``replies.toml`` the pools the conversations continue from, ``people.toml`` names, companies
  and the support team.
* Threads are planned with one seeded random generator, so the output depends only on ``now``
  (dates are spread over the six months before it); the same ``now`` gives byte-identical mail.
* Mail is encoded the way real clients do it: UTF-8, ISO-8859-1 / windows-1252 quoted-printable,
  GB2312 / GBK with RFC 2047 subjects, multipart/alternative and text/html-only HTML, attachments.
  A handful of threads carry hostile text (markup, escape sequences, bidi overrides) on purpose.

Who calls what:

=================  ============================================================================
function           used by
=================  ============================================================================
demo_messages      ``supportmail demo`` and the snapshot tests: feeds the cache like an account
demo_notes         the same, to seed the private notes keyed by thread root Message-ID
=================  ============================================================================
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from supportmail.storage.demo.common import DemoMessage, fill_slots
from supportmail.storage.demo.handwritten import demo_data
from supportmail.storage.demo.plans import thread_plans
from supportmail.storage.demo.render import message_id_of, render_thread

__all__ = ["DemoMessage", "demo_messages", "demo_notes"]


def _utc(now: datetime) -> datetime:
    return now.replace(tzinfo=UTC) if now.tzinfo is None else now.astimezone(UTC)


def _all_rendered(now: datetime) -> Iterator[tuple[datetime, int, int, DemoMessage]]:
    data = demo_data()
    for plan in thread_plans(now):
        for k, rendered in enumerate(render_thread(plan, now, data)):
            yield rendered.sent.date, plan.index, k, rendered.message


def demo_messages(now: datetime) -> list[DemoMessage]:
    """Every message of the demo mailbox, oldest first (the order an import would append).

    Dates fall in the ~6 months before ``now`` (a naive ``now`` is taken as UTC); the same ``now``
    always gives byte-identical messages, and who writes what does not depend on ``now`` at all.
    """
    now = _utc(now)
    return [m for *_, m in sorted(_all_rendered(now), key=lambda t: t[:3])]


def demo_notes(now: datetime) -> dict[str, str]:
    """Private notes: thread root Message-ID (bare, without ``<>``) -> note text."""
    now = _utc(now)
    notes: dict[str, str] = {}
    for plan in thread_plans(now):
        if plan.opener.note:
            notes[message_id_of(plan, 0, True)] = fill_slots(plan.opener.note.strip(), plan.slots)
    return notes
