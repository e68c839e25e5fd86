"""The bundled demo mailbox: well-formed mail, believable shape, deterministic output.

The demo is what a first-time user sees (``supportmail demo``) and what the snapshot tests render,
so these tests pin the properties the rest of the app relies on: every message parses, threads
are linked by Message-ID, the tag mix gives each view work to show, the invoice spike and the
feature-request ranking are visible, and the same ``now`` always gives the same bytes.
"""

from __future__ import annotations

import email
import email.policy
import hashlib
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

import pytest

from supportmail.storage.demo.account import DEMO_ACCOUNT, DEMO_ADDRESS
from supportmail.storage.demo.generator import DemoMessage, demo_messages, demo_notes

NOW = datetime(2026, 11, 3, 9, 30, tzinfo=UTC)
SEEN = "\\Seen"
FREEMAIL = ("gmail.com", "outlook.com", "web.de", "qq.com", "163.com")
# Thunderbird's keyword rule keeps printable ASCII except these; tag names are plain ASCII.
KEYWORD = re.compile(r"^[!-~]+$")
KEYWORD_FORBIDDEN = set('=()[]{}%*"\\<>;&')


@dataclass(frozen=True)
class Parsed:
    demo: DemoMessage
    msg: EmailMessage
    message_id: str
    parent: str | None
    refs: tuple[str, ...]
    date: datetime
    sender: str

    @property
    def tags(self) -> frozenset[str]:
        return frozenset(self.demo.flags) - {SEEN}


def _ids(value: object) -> list[str]:
    return re.findall(r"<([^<>\s]+)>", str(value or ""))


def _parse(demo: DemoMessage) -> Parsed:
    msg = email.message_from_bytes(demo.raw, policy=email.policy.default)
    assert isinstance(msg, EmailMessage)
    parent = _ids(msg["In-Reply-To"])
    return Parsed(
        demo=demo,
        msg=msg,
        message_id=_ids(msg["Message-ID"])[0],
        parent=parent[0] if parent else None,
        refs=tuple(_ids(msg["References"])),
        date=msg["Date"].datetime,
        sender=msg["From"].addresses[0].addr_spec,
    )


@pytest.fixture(scope="module")
def messages() -> list[DemoMessage]:
    return demo_messages(NOW)


@pytest.fixture(scope="module")
def parsed(messages: list[DemoMessage]) -> list[Parsed]:
    return [_parse(m) for m in messages]


@pytest.fixture(scope="module")
def threads(parsed: list[Parsed]) -> dict[str, list[Parsed]]:
    """Root Message-ID -> messages, by a simple union over In-Reply-To and References."""
    up: dict[str, str] = {}

    def find(x: str) -> str:
        while up.setdefault(x, x) != x:
            up[x] = up[up[x]]
            x = up[x]
        return x

    for p in parsed:
        for other in (*p.refs, *([p.parent] if p.parent else [])):
            up[find(p.message_id)] = find(other)
    groups: dict[str, list[Parsed]] = defaultdict(list)
    for p in parsed:
        groups[find(p.message_id)].append(p)
    out: dict[str, list[Parsed]] = {}
    for members in groups.values():
        members.sort(key=lambda p: p.date)
        roots = [p for p in members if p.parent is None]
        assert len(roots) == 1, [p.message_id for p in roots]
        out[roots[0].message_id] = members
    return out


def _text(msg: EmailMessage) -> str:
    body = msg.get_body(preferencelist=("plain", "html"))
    assert body is not None
    content = body.get_content()
    assert isinstance(content, str)
    return content.replace("\r\n", "\n")


def _root(thread: list[Parsed]) -> Parsed:
    return thread[0]


def _language(thread: list[Parsed]) -> str:
    root = _root(thread)
    text = f"{root.msg['Subject']} {_text(root.msg)}"
    if re.search("[\u4e00-\u9fff]", text):
        return "zh"
    if re.search(r"[äöüß]|\b(und|nicht|wir|Sie|ich)\b", text):
        return "de"
    return "en"


def _tag_state(thread: list[Parsed]) -> str:
    tags = _root(thread).tags
    team = any(t.startswith("team:") for t in tags)
    category = any(t.startswith("category:") for t in tags)
    return "full" if team and category else "partial" if team or category else "none"


# --------------------------------------------------------------------------------- wire format


def test_constants() -> None:
    assert DEMO_ACCOUNT == "demo"
    assert DEMO_ADDRESS == "support@plotline.example"


def test_every_message_parses_cleanly(parsed: list[Parsed]) -> None:
    for p in parsed:
        msg = p.msg
        assert str(msg["Subject"]) is not None
        assert msg["To"].addresses
        for part in msg.walk():
            assert not part.defects, (p.message_id, part.defects)
            for _name, value in part.items():
                assert not value.defects, (p.message_id, _name, value.defects)
            if not part.is_multipart():
                part.get_content()


def test_raw_mail_uses_crlf_and_short_lines(messages: list[DemoMessage]) -> None:
    for m in messages:
        assert b"\n" not in m.raw.replace(b"\r\n", b""), "bare LF"
        assert b"\r" not in m.raw.replace(b"\r\n", b""), "bare CR"
        assert max(len(line) for line in m.raw.split(b"\r\n")) <= 998
        header, _, _ = m.raw.partition(b"\r\n\r\n")
        assert header.isascii()


def test_folders_senders_and_flags(parsed: list[Parsed]) -> None:
    for p in parsed:
        assert p.demo.folder in ("INBOX", "Sent")
        if p.demo.folder == "Sent":
            assert p.sender.endswith("@plotline.example")
            assert SEEN in p.demo.flags
        else:
            assert not p.sender.endswith("@plotline.example")
        for flag in p.tags:
            assert KEYWORD.match(flag) and not set(flag) & KEYWORD_FORBIDDEN, flag
            assert flag == flag.lower()


def test_messages_are_oldest_first_within_six_months(parsed: list[Parsed]) -> None:
    dates = [p.date for p in parsed]
    assert dates == sorted(dates)
    assert NOW - timedelta(days=190) < dates[0]
    assert dates[-1] <= NOW
    assert dates[0] < NOW - timedelta(days=150), "dates should spread over ~6 months"


# ------------------------------------------------------------------------------------ threads


def test_thread_count(threads: dict[str, list[Parsed]]) -> None:
    assert 300 <= len(threads) <= 400


def test_replies_point_to_earlier_messages(parsed: list[Parsed]) -> None:
    by_id = {p.message_id: p for p in parsed}
    assert len(by_id) == len(parsed), "Message-IDs are unique"
    replies = [p for p in parsed if p.parent is not None]
    assert len(replies) > len(parsed) // 2
    for p in replies:
        assert p.parent is not None
        parent = by_id[p.parent]
        assert parent.date < p.date
        assert p.refs and p.refs[-1] == p.parent
        assert str(p.msg["Subject"]).startswith(("Re: ", "RE: ", "AW: ", "回复：", "答复: "))


def test_thread_lengths(threads: dict[str, list[Parsed]]) -> None:
    lengths = Counter(len(t) for t in threads.values())
    assert lengths[1] > 0
    assert sum(n for size, n in lengths.items() if size >= 15) >= 3
    assert sum(n for size, n in lengths.items() if size <= 8) >= 0.95 * len(threads)


def test_both_sides_of_the_conversation(threads: dict[str, list[Parsed]]) -> None:
    answered = [t for t in threads.values() if any(p.demo.folder == "Sent" for p in t)]
    assert len(answered) >= 0.7 * len(threads)
    for thread in answered:
        assert _root(thread).demo.folder == "INBOX"


def test_quotes_and_signatures_to_fold(parsed: list[Parsed]) -> None:
    texts = [_text(p.msg) for p in parsed if p.parent is not None]
    assert sum("\n> " in t for t in texts) > len(texts) // 2
    assert any(re.search(r"^On .* wrote:$", t, re.M) for t in texts)
    assert any(re.search(r"^Am .* schrieb .*:$", t, re.M) for t in texts)
    assert any("写道" in t or "原始邮件" in t for t in texts)
    assert sum("\n-- \n" in t for t in texts) > len(texts) // 2


def test_tags_are_on_every_message_of_a_thread(threads: dict[str, list[Parsed]]) -> None:
    for thread in threads.values():
        assert len({p.tags for p in thread}) == 1, _root(thread).message_id


def test_tag_mix(threads: dict[str, list[Parsed]]) -> None:
    states = Counter(_tag_state(t) for t in threads.values())
    total = len(threads)
    assert 0.65 <= states["full"] / total <= 0.85
    assert 0.05 <= states["partial"] / total <= 0.15
    assert 0.10 <= states["none"] / total <= 0.20
    teams = {t for thread in threads.values() for t in _root(thread).tags if t.startswith("team:")}
    assert teams == {
        f"team:{n}" for n in ("billing", "mobile", "integrations", "editor", "accounts")
    }
    categories = {t for th in threads.values() for t in _root(th).tags if t.startswith("category:")}
    assert len(categories) == 9


# ---------------------------------------------------------------------------- content & people


def test_languages_and_charsets(threads: dict[str, list[Parsed]], parsed: list[Parsed]) -> None:
    langs = Counter(_language(t) for t in threads.values())
    total = len(threads)
    assert 0.10 <= langs["de"] / total <= 0.20
    assert 0.06 <= langs["zh"] / total <= 0.15
    raw = b"".join(p.demo.raw for p in parsed)
    assert b"=?gb2312?B?" in raw
    assert b'charset="gb2312"' in raw
    assert b'charset="iso-8859-1"' in raw
    assert b"=?iso-8859-1?Q?" in raw
    latin1_qp = [
        part
        for p in parsed
        for part in p.msg.walk()
        if part.get_content_charset() == "iso-8859-1"
        and part["Content-Transfer-Encoding"] == "quoted-printable"
    ]
    assert latin1_qp
    assert any("ü" in part.get_content() or "ä" in part.get_content() for part in latin1_qp)


def test_html_mail(threads: dict[str, list[Parsed]], parsed: list[Parsed]) -> None:
    def kinds(p: Parsed) -> set[str]:
        return {part.get_content_type() for part in p.msg.walk()}

    roots = [_root(t) for t in threads.values()]
    html_only = [r for r in roots if "text/html" in kinds(r) and "text/plain" not in kinds(r)]
    alternative = [r for r in roots if "multipart/alternative" in kinds(r)]
    assert len(html_only) >= 5
    assert len(alternative) >= 5
    assert 0.06 <= (len(html_only) + len(alternative)) / len(roots) <= 0.16
    raw = b"".join(p.demo.raw for p in parsed)
    assert b"&nbsp;" in raw
    assert re.search(rb'<img src="https://[^"]+\.gif" width="1" height="1"', raw)
    assert b'style="' in raw


def test_companies_and_free_mail(threads: dict[str, list[Parsed]]) -> None:
    domains = Counter(_root(t).sender.split("@")[1] for t in threads.values())
    companies = [d for d in domains if d not in FREEMAIL]
    assert 140 <= len(companies) <= 200
    for free in FREEMAIL:
        assert domains[free] > 0, free


def test_openers_are_varied(threads: dict[str, list[Parsed]]) -> None:
    openings = {_text(_root(t).msg).strip()[:120] for t in threads.values()}
    subjects = {str(_root(t).msg["Subject"]) for t in threads.values()}
    assert len(openings) >= 0.9 * len(threads)
    assert len(subjects) >= 200


def test_attachments(parsed: list[Parsed]) -> None:
    files = [part for p in parsed for part in p.msg.iter_attachments()]
    assert 4 <= len(files) <= 40
    types = {part.get_content_type() for part in files}
    assert {"application/pdf", "image/png", "text/csv"} <= types
    for part in files:
        data = part.get_content()
        assert isinstance(data, bytes | str)
        assert len(data) < 5000
        assert part.get_filename()
    pngs = [part.get_content() for part in files if part.get_content_type() == "image/png"]
    assert all(png.startswith(b"\x89PNG\r\n\x1a\n") for png in pngs)
    pdfs = [part.get_content() for part in files if part.get_content_type() == "application/pdf"]
    assert all(pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF") for pdf in pdfs)


def test_hostile_text_is_present(parsed: list[Parsed]) -> None:
    subjects = [str(p.msg["Subject"]) for p in parsed]
    assert any("[bold]Rich markup[/bold]" in s and "[/]" in s for s in subjects)
    assert any("\u202e" in s for s in subjects)
    assert any("\x1b[2J" in _text(p.msg) for p in parsed)
    filenames = [part.get_filename() or "" for p in parsed for part in p.msg.iter_attachments()]
    assert any("\u202e" in name for name in filenames)


def test_unread_mail_is_mostly_recent(parsed: list[Parsed]) -> None:
    unread = [p for p in parsed if SEEN not in p.demo.flags]
    assert 10 <= len(unread) <= 80
    recent = [p for p in unread if NOW - p.date < timedelta(days=14)]
    assert len(recent) >= 0.6 * len(unread)
    assert all(p.demo.folder == "INBOX" for p in unread)


# ------------------------------------------------------------------------- reports have a story


def test_invoice_spike_in_the_last_week(threads: dict[str, list[Parsed]]) -> None:
    weeks: Counter[int] = Counter()
    for thread in threads.values():
        root = _root(thread)
        if {"team:billing", "category:bug"} <= root.tags:
            weeks[(NOW - root.date).days // 7] += 1
    assert 20 <= weeks[0] <= 35
    earlier = [weeks[w] for w in range(1, 25)]
    assert max(earlier) <= 5
    assert 0.5 <= sum(earlier) / len(earlier) <= 3


def test_feature_request_ranking(threads: dict[str, list[Parsed]]) -> None:
    requests = [t for t in threads.values() if "category:feature-request" in _root(t).tags]
    assert 50 <= len(requests) <= 70
    senders = [_root(t).sender for t in requests]
    assert len(set(senders)) == len(senders), "each request comes from a different customer"
    by_label: dict[str, set[str]] = defaultdict(set)
    for thread in requests:
        labels = [t for t in _root(thread).tags if ":" not in t]
        assert labels, "every feature request carries a label"
        for label in labels:
            by_label[label].add(_root(thread).sender)
    ranking = sorted(by_label, key=lambda label: -len(by_label[label]))
    assert ranking[:3] == ["dark-mode", "csv-export", "gantt-view"]
    assert len(by_label["dark-mode"]) > len(by_label["csv-export"])


# ----------------------------------------------------------------------- notes and determinism


def test_notes_belong_to_thread_roots(threads: dict[str, list[Parsed]]) -> None:
    notes = demo_notes(NOW)
    assert 5 <= len(notes) <= 10
    for key, text in notes.items():
        assert not key.startswith("<") and not key.endswith(">")
        assert key in threads
        assert text.strip() and "{" not in text


def test_same_now_gives_identical_bytes(messages: list[DemoMessage]) -> None:
    assert demo_messages(NOW) == messages
    assert demo_notes(NOW) == demo_notes(NOW)
    naive = NOW.replace(tzinfo=None)
    assert demo_messages(naive) == messages


DEMO_SHA256 = "02d6ce0acd03cc791d5b4c374a22d1ef6cd40ed824ead5a5c639bdf8c0364653"
"""The demo at ``NOW``: folders, flags, raw bytes and notes, as the single-module generator wrote
them before it became the package ``storage.demo``. A refactor keeps it; a deliberate change to
the demo's mail updates it (and the snapshots that show the demo)."""


def test_demo_bytes_are_pinned(messages: list[DemoMessage]) -> None:
    digest = hashlib.sha256()
    for m in messages:
        digest.update(repr((m.folder, m.flags)).encode())
        digest.update(m.raw)
    for root, note in sorted(demo_notes(NOW).items()):
        digest.update(root.encode() + b"\0" + note.encode() + b"\0")
    assert digest.hexdigest() == DEMO_SHA256


def test_other_now_moves_dates_not_content(messages: list[DemoMessage]) -> None:
    later = demo_messages(NOW + timedelta(days=30))
    assert 0.9 * len(messages) <= len(later) <= 1.1 * len(messages)
    assert demo_notes(NOW + timedelta(days=30)).keys() == demo_notes(NOW).keys()


def test_package_data_is_small() -> None:
    data_dir = Path(__file__).resolve().parents[2] / "storage" / "demo" / "data"
    files = [f for f in data_dir.iterdir() if f.is_file()]
    assert files
    assert sum(f.stat().st_size for f in files) < 1_500_000
