"""Build realistic support mail as bytes, for tests and benchmarks (deterministic for a seed)."""

from __future__ import annotations

import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

TEAM = "support@plotline.example"

_FIRST = [
    "Anna",
    "Ben",
    "Chloé",
    "Dmitri",
    "Eva",
    "Farid",
    "Grace",
    "Hiro",
    "Ines",
    "Jonas",
    "Kofi",
    "Lena",
    "Mateo",
    "Nora",
    "Omar",
    "Priya",
    "Quinn",
    "Rosa",
    "Sven",
    "Tao",
]
_LAST = [
    "Schmidt",
    "Okafor",
    "Lee",
    "Novak",
    "García",
    "Müller",
    "Chen",
    "Dubois",
    "Rossi",
    "Kowalski",
    "Silva",
    "Tanaka",
    "Berg",
    "Haddad",
    "Ivanova",
]
_TOPICS = [
    ("I was charged twice for November", "billing"),
    ("Export to CSV drops the last column", "bug"),
    ("Is there a dark mode?", "feature-request"),
    ("Where did the share button go?", "product-confusion"),
    ("Can't log in after password reset", "account"),
    ("How do I add a teammate?", "how-to"),
    ("You made my week — the new timeline is great", "praise"),
    ("Gantt view for projects please", "feature-request"),
    ("Mobile app crashes when opening attachments", "bug"),
    ("We are considering cancelling", "churn-risk"),
]


@dataclass(frozen=True)
class GenMessage:
    """One generated message and where it belongs."""

    message_id: str
    folder: str
    raw: bytes
    thread_key: int


def message(
    *,
    message_id: str,
    subject: str,
    sender: str,
    to: str,
    date: datetime,
    body: str,
    in_reply_to: str | None = None,
    references: Sequence[str] = (),
    extra_headers: Sequence[tuple[str, str]] = (),
) -> bytes:
    """A plain-text RFC 5322 message with CRLF line endings."""
    lines = [
        f"Message-ID: <{message_id}>",
        f"Date: {format_datetime(date)}",
        f"From: {sender}",
        f"To: {to}",
        f"Subject: {subject}",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: 8bit",
    ]
    if in_reply_to:
        lines.append(f"In-Reply-To: <{in_reply_to}>")
    if references:
        lines.append("References: " + " ".join(f"<{r}>" for r in references))
    lines.extend(f"{k}: {v}" for k, v in extra_headers)
    text = "\r\n".join(lines) + "\r\n\r\n" + body.replace("\r\n", "\n").replace("\n", "\r\n")
    return text.encode("utf-8") + b"\r\n"


def support_mailbox(
    threads: int, *, seed: int = 7, start: datetime | None = None, replies: bool = True
) -> Iterator[GenMessage]:
    """Yield messages of ``threads`` conversations: a customer's question, team replies in Sent,
    sometimes a customer follow-up. Dates ascend; Message-IDs are unique and deterministic."""
    rng = random.Random(seed)
    when = start or datetime(2026, 5, 1, 9, 0, tzinfo=UTC)
    for t in range(threads):
        first = rng.choice(_FIRST)
        last = rng.choice(_LAST)
        domain = f"customer{rng.randrange(threads // 3 + 1)}.example"
        customer = f"{first} {last} <{first.lower()}.{t}@{domain}>"
        topic, _category = _TOPICS[t % len(_TOPICS)]
        subject = f"{topic} (#{t})"
        when += timedelta(minutes=rng.randrange(1, 20))
        root = f"t{t}.m0@{domain}"
        yield GenMessage(
            root,
            "INBOX",
            message(
                message_id=root,
                subject=subject,
                sender=customer,
                to=TEAM,
                date=when,
                body=f"Hi,\n\n{topic}. This is ticket {t}.\n\nThanks,\n{first}\n",
            ),
            t,
        )
        if not replies:
            continue
        chain = [root]
        for n in range(1, rng.choice((1, 1, 2, 3))):
            mid = f"t{t}.m{n}@{'plotline.example' if n % 2 else domain}"
            from_team = n % 2 == 1
            yield GenMessage(
                mid,
                "Sent" if from_team else "INBOX",
                message(
                    message_id=mid,
                    subject="Re: " + subject,
                    sender=f"Plotline Support <{TEAM}>" if from_team else customer,
                    to=customer if from_team else TEAM,
                    date=when + timedelta(hours=n),
                    body=f"Reply {n} in ticket {t}.\n\n> {topic}.\n",
                    in_reply_to=chain[-1],
                    references=chain,
                ),
                t,
            )
            chain.append(mid)
