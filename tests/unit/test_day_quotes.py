"""Pure parts of the customer day (``storage.insight.day``) and of saved quotes
(``storage.insight.quotes``)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta, timezone

from supportmail.storage.insight import day
from supportmail.storage.insight.paragraphs import customer_paragraphs
from supportmail.storage.insight.quotes import (
    QUOTE_MAX,
    attribution,
    clean_quote,
    prefer_saved,
    to_quote,
)
from supportmail.storage.models import Address, FeatureRequest, Quote, SavedQuote, VoiceReport
from supportmail.storage.user.journal_rows import Activity

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC)
MORNING = datetime(2026, 11, 24, 9, 0, tzinfo=UTC)


def _at(dt: datetime) -> float:
    return dt.timestamp()


def _info(root: str) -> tuple[str, str, tuple[str, ...]]:
    return f"id-{root}", f"subject {root}", ("team:billing",)


# --- shifts as stored --------------------------------------------------------------------------


def test_shifts_round_trip_and_skip_broken_entries() -> None:
    shift = day.Shift(start=MORNING, queue=23, skipped=("<a@x>",), end=NOW, done=18)
    stored = day.dump_shifts([shift], NOW)
    assert stored == [
        {
            "start": "2026-11-24T09:00:00+00:00",
            "queue": 23,
            "skipped": ["<a@x>"],
            "end": "2026-11-24T15:00:00+00:00",
            "done": 18,
        }
    ]
    broken = [{"start": "yesterday", "queue": 3}, {"start": "2026-11-24T08:00:00"}, "x", None]
    assert day.load_shifts([*broken, *stored]) == [shift]
    assert day.load_shifts({"not": "a list"}) == []


def test_old_shifts_are_forgotten() -> None:
    old = day.Shift(start=NOW - timedelta(days=day.SHIFT_DAYS + 1), queue=1)
    recent = day.Shift(start=NOW - timedelta(days=3), queue=2)
    assert day.load_shifts(day.dump_shifts([recent, old], NOW)) == [recent]


def test_only_an_unfinished_shift_of_today_is_current() -> None:
    running = day.Shift(start=MORNING, queue=5)
    assert day.current_shift([running], NOW) == running
    assert day.current_shift([running], NOW + timedelta(days=1)) is None
    assert day.current_shift([day.Shift(start=MORNING, queue=5, end=NOW)], NOW) is None
    assert day.current_shift([], NOW) is None


def test_the_calendar_day_is_the_local_one() -> None:
    berlin = timezone(timedelta(hours=1))
    late = day.Shift(start=datetime(2026, 11, 23, 23, 30, tzinfo=UTC), queue=1)
    assert day.shift_day(late, UTC) == date(2026, 11, 23)
    assert day.shift_day(late, berlin) == date(2026, 11, 24)


def test_a_shift_left_open_yesterday_closes_at_its_last_action() -> None:
    yesterday = day.Shift(start=MORNING - timedelta(days=1), queue=4)
    last = MORNING - timedelta(days=1) + timedelta(hours=2)
    closed = day.close_abandoned([yesterday], [_at(last), _at(MORNING)], NOW)
    assert closed == [day.Shift(start=yesterday.start, queue=4, end=last, done=None)]
    idle = day.close_abandoned([yesterday], [], NOW)
    assert idle[0].end == yesterday.start


# --- the summary -------------------------------------------------------------------------------


def _activity(root: str, what: str, when: datetime, tag: str | None = None) -> Activity:
    kind = None if tag is None else tag.split(":")[0] if ":" in tag else "label"
    return Activity("acct", root, what, tag, kind, _at(when))


def test_summary_counts_only_what_happened_inside_the_shifts() -> None:
    first = day.Shift(start=MORNING, queue=10, end=MORNING + timedelta(hours=1), done=4)
    second = day.Shift(start=MORNING + timedelta(hours=3), queue=6, skipped=("<s@x>",))
    inside = MORNING + timedelta(minutes=10)
    later = MORNING + timedelta(hours=4)
    activity = [
        _activity("<a@x>", "tag", inside, "team:billing"),
        _activity("<a@x>", "tag", inside, "category:bug"),
        _activity("<b@x>", "untag", inside, "category:bug"),
        _activity("<gap@x>", "tag", MORNING + timedelta(hours=2), "team:api"),  # between shifts
        _activity("<b@x>", "tag", later, "dark-mode"),
        _activity("<b@x>", "note", later),
        _activity("<gone@x>", "note", later),  # the note was cleared since
        _activity("<c@x>", "read", later),
    ]
    summary = day.summarize(
        date(2026, 11, 24),
        [first, second],
        activity,
        notes={"<b@x>": "call back\nMonday"},
        quotes=[],
        thread_info=_info,
        now=NOW,
        live_done=5,
    )
    assert summary.shifts == 2 and summary.ended is None
    assert summary.elapsed == timedelta(hours=1) + (NOW - second.start)
    assert (summary.queue_size, summary.done, summary.skipped) == (6, 5, 1)
    assert [t.id for t in summary.threads] == ["id-<a@x>", "id-<b@x>", "id-<gone@x>", "id-<c@x>"]
    assert summary.threads[0].added == ("team:billing", "category:bug")
    assert summary.added_by_kind() == {"team": 1, "category": 1, "label": 1}
    assert [(t.tag, t.added, t.removed) for t in summary.tags] == [
        ("team:billing", 1, 0),
        ("category:bug", 1, 1),
        ("dark-mode", 1, 0),
    ]
    assert [(n.thread_id, n.text) for n in summary.notes] == [("id-<b@x>", "call back\nMonday")]
    assert summary.marked_read == 1


def test_an_ended_shift_reports_its_recorded_progress() -> None:
    shift = day.Shift(start=MORNING, queue=10, end=MORNING + timedelta(hours=2), done=7)
    summary = day.summarize(
        MORNING.date(), [shift], [], notes={}, quotes=[], thread_info=_info, now=NOW, live_done=9
    )
    assert (summary.done, summary.ended, summary.elapsed) == (7, shift.end, timedelta(hours=2))
    assert summary.threads == () and summary.added_by_kind() == {
        "team": 0,
        "category": 0,
        "label": 0,
    }


# --- saved quotes ------------------------------------------------------------------------------


def _saved(
    text: str = "Invoices show our old address.",
    addr: str = "tessa@otterly.example",
    thread: str = "t1",
    company: str | None = "otterly.example",
    when: datetime | None = MORNING,
) -> SavedQuote:
    return SavedQuote(
        id=1,
        thread_id=thread,
        root_message_id="<r@x>",
        message_id="<m@x>",
        text=text,
        sender=Address("Tessa Mehta", addr),
        company=company,
        date=when,
        saved=NOW,
    )


def test_clean_quote_is_one_line_and_bounded() -> None:
    assert clean_quote("  It broke\n\n  twice.\t ") == "It broke twice."
    assert clean_quote(" \n ") == ""
    long = clean_quote("word " * 400)
    assert len(long) <= QUOTE_MAX + 1 and long.endswith("…")


def test_attribution() -> None:
    assert attribution(_saved()) == (
        '"Invoices show our old address." — Tessa Mehta, otterly.example, 2026-11-24 (thread t1)'
    )
    freemail = _saved(addr="tessa@gmail.com", company=None, when=None)
    assert attribution(freemail) == (
        '"Invoices show our old address." — Tessa Mehta, 2026-11-24 (thread t1)'
    )
    hostile = _saved(text="\x1b]52;c;ZXZpbA==\x07 copied")
    assert "\x1b" not in attribution(hostile) and "␛" in attribution(hostile)


def _extracted(addr: str, text: str) -> Quote:
    return Quote(text=text, sender=Address("", addr), company=None, date=NOW, thread_id="t2")


def _voice(*quotes: Quote) -> VoiceReport:
    request = FeatureRequest(
        tag="dark-mode",
        kind="label",
        threads=2,
        customers=2,
        companies=2,
        thread_ids=("t2", "t1"),
        quotes=quotes,
    )
    return VoiceReport(since=MORNING, until=NOW, requests=(request,), threads=2, unlabelled=0)


def test_voice_prefers_saved_quotes() -> None:
    voice = _voice(
        _extracted("tessa@otterly.example", "extracted from Tessa"),
        _extracted("bo@b.example", "from Bo"),
        _extracted("cy@c.example", "from Cy"),
    )
    saved = to_quote(_saved())
    merged = prefer_saved(voice, {"t1": [saved], "t9": [to_quote(_saved(thread="t9"))]})
    quotes = merged.requests[0].quotes
    assert quotes[0] == saved and saved.saved
    assert [q.text for q in quotes[1:]] == ["from Bo", "from Cy"]  # Tessa is quoted already
    assert prefer_saved(voice, {}) is voice
    many = {"t2": [to_quote(_saved(text=f"saved {i}", thread="t2")) for i in range(5)]}
    assert [q.text for q in prefer_saved(voice, many).requests[0].quotes] == [
        "saved 0",
        "saved 1",
        "saved 2",
    ]


def test_customer_paragraphs_are_what_the_customer_wrote() -> None:
    body = (
        "Hello,\n\nHalf my team is affected.\nSince Tuesday.\n\nIs this known?\n\nDmitri\n\n"
        "Sent from Outlook for Android\n\nOn Mon, 1 Jun 2026, Support wrote:\n> old text\n"
    )
    assert customer_paragraphs(body) == [
        "Half my team is affected. Since Tuesday.",
        "Is this known?",
    ]
    signed = "Hi team,\n\nDark mode, please.\n\nThanks,\nAnna\n\nP.S. not this\n"
    assert customer_paragraphs(signed) == ["Dark mode, please."]
    assert customer_paragraphs("Dark Mode Please\n") == ["Dark Mode Please"]
    assert customer_paragraphs("Thanks,\nAnna\n") == []
