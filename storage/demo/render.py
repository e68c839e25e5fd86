"""Rendering a planned thread into messages: Message-IDs, subjects, headers, bodies with quotes
and attachments, and which messages are already read."""

from __future__ import annotations

import base64
import random
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime

from supportmail.storage.demo.account import DEMO_ADDRESS
from supportmail.storage.demo.attachments import attachment_file, file_part
from supportmail.storage.demo.common import (
    SEEN,
    SUPPORT_NAME,
    DemoMessage,
    digest,
    fill_slots,
    hex_digest,
    local_time,
)
from supportmail.storage.demo.conversation import (
    Sent,
    customer_text,
    team_text,
    turn_bodies,
    turn_dates,
    writing_style,
)
from supportmail.storage.demo.encoding import (
    Part,
    address_header,
    fit_charset,
    fold_header,
    header_text,
    html_body,
    multipart,
    preferred_encoding,
    text_part,
)
from supportmail.storage.demo.handwritten import DemoData
from supportmail.storage.demo.plans import Plan
from supportmail.storage.demo.quoting import with_quote

_REPLY_PREFIX = {"en": "Re: ", "de": "AW: ", "zh": "回复："}
_MAILERS = {
    "outlook": "X-Mailer: Microsoft Outlook 16.0",
    "apple": "X-Mailer: Apple Mail (2.3826.200.121)",
    "thunderbird": "User-Agent: Mozilla Thunderbird",
    "foxmail": "X-Mailer: Foxmail 7.2.25.375[cn]",
    "qq": "X-QQ-Mailer: QQMail 2.x",
    "netease": "X-Mailer: Coremail Webmail Server Version 2023.1-cmXT",
    "webde": "X-UI-Message-Type: mail",
}


def message_id_of(plan: Plan, k: int, customer: bool) -> str:
    """The Message-ID of message ``k``, in the style of the sender's mail client."""
    h = digest("mid", plan.index, k)
    hexd = h.hex()
    if not customer:
        return f"{hexd[:20]}.{plan.index:04d}@plotline.example"
    client, domain = plan.customer.client, plan.customer.addr.split("@")[1]
    if client == "gmail":
        token = base64.urlsafe_b64encode(h).decode().rstrip("=").replace("-", "+")
        return f"CA{token[:42]}@mail.gmail.com"
    if client == "outlook":
        box = f"AM{h[0] % 9 + 1}PR0{h[1] % 8 + 1}MB{1000 + h[2] * 31 % 9000}"
        return f"{box}{hexd[:28].upper()}@{box}.eurprd0{h[3] % 9 + 1}.prod.outlook.com"
    if client == "qq":
        return f"tencent_{hexd[:40].upper()}@qq.com"
    if client == "netease":
        return f"{hexd[:8]}.{hexd[8:12]}.{hexd[12:23]}.Coremail.{plan.customer.addr}"
    if client == "webde":
        token = f"{hexd[:8]}-{hexd[8:12]}-{hexd[12:16]}-{hexd[16:28]}-{h[4]}"
        return f"trinity-{token}@3c-app-webde-bs{h[5] % 60:02d}"
    uuid = f"{hexd[:8]}-{hexd[8:12]}-{hexd[12:16]}-{hexd[16:20]}-{hexd[20:32]}"
    return f"{uuid.upper() if client == 'apple' else uuid}@{domain}"


def _subject(plan: Plan, k: int, customer: bool) -> str:
    base = fill_slots(plan.opener.subject, plan.slots)
    if k == 0:
        return base
    if not customer:
        return "Re: " + base
    lang, client = plan.opener.lang, plan.customer.client
    prefix = _REPLY_PREFIX[lang]
    if lang == "en" and client == "outlook":
        prefix = "RE: "
    if lang == "de" and client not in ("outlook", "webde"):
        prefix = "Re: "
    if lang == "zh" and client not in ("qq", "foxmail", "netease"):
        prefix = "答复: " if client == "outlook" else "Re: "
    if lang == "de" and client == "outlook" and k >= 4:
        return prefix + "Re: " + base
    return prefix + base


@dataclass(frozen=True, slots=True)
class Rendered:
    """One rendered message: what the next message quotes (``sent``) and the mail itself."""

    sent: Sent
    message: DemoMessage


def render_thread(plan: Plan, now: datetime, data: DemoData) -> list[Rendered]:
    """The messages of ``plan``'s thread sent by ``now``, oldest first."""
    rng = random.Random(hex_digest("thread", plan.index))
    bodies = turn_bodies(plan, data, rng)
    dates = [d for d in turn_dates(plan, rng, len(bodies)) if d <= now]
    out: list[Rendered] = []
    prev: Sent | None = None
    for k, when in enumerate(dates):
        customer = k % 2 == 0
        seen = customer is False or _is_seen(plan, k, len(dates), when, now, rng)
        rendered = _render_one(plan, k, bodies[k], when, prev, seen, data)
        out.append(rendered)
        prev = rendered.sent
    return out


def _is_seen(
    plan: Plan, k: int, count: int, when: datetime, now: datetime, rng: random.Random
) -> bool:
    age = (now - when).total_seconds() / 86400
    waiting = k == count - 1
    if age < 1.5:
        return rng.random() < (0.1 if waiting else 0.45)
    if age < 6:
        return rng.random() < (0.35 if waiting else 0.9)
    return rng.random() < 0.994


@dataclass(frozen=True, slots=True)
class _Voice:
    """Who writes one message: the customer or the agent, with their mail client and charset."""

    name: str
    from_name: str
    addr: str
    zone: str
    client: str
    charset: str
    customer: bool


def _voice(plan: Plan, customer: bool) -> _Voice:
    if customer:
        p = plan.customer
        return _Voice(p.name, p.name, p.addr, p.zone, p.client, plan.charset, True)
    a = plan.agent
    return _Voice(a.name, f"{a.name} (Plotline)", a.addr, a.zone, "team", "utf-8", False)


def _render_one(
    plan: Plan, k: int, body: str, when: datetime, prev: Sent | None, seen: bool, data: DemoData
) -> Rendered:
    voice = _voice(plan, customer=k % 2 == 0)
    if voice.customer:
        fresh = customer_text(plan, k, body, data)
        quoting = k == 0 or writing_style(plan.customer, data).quotes
    else:
        fresh, quoting = team_text(plan, k, body, data), True
    lang = plan.opener.lang
    text, quotable = with_quote(fresh, prev if quoting else None, voice.client, lang, voice.zone)
    refs = () if prev is None else (*prev.references[-12:], prev.message_id)
    sent = Sent(
        voice.name,
        voice.addr,
        when,
        _subject(plan, k, voice.customer),
        message_id_of(plan, k, voice.customer),
        refs,
        fresh,
        quotable,
    )
    head = "\r\n".join(_headers(plan, voice, sent, prev)).encode("ascii")
    raw = head + b"\r\n" + _body(plan, k, text, voice, sent.date).encode()
    flags = ((SEEN,) if seen else ()) + plan.tags
    return Rendered(sent, DemoMessage("INBOX" if voice.customer else "Sent", raw, flags))


def _headers(plan: Plan, voice: _Voice, sent: Sent, prev: Sent | None) -> list[str]:
    customer = plan.customer
    to = (SUPPORT_NAME, DEMO_ADDRESS) if voice.customer else (customer.name, customer.addr)
    headers = [
        fold_header("From", address_header(voice.from_name, voice.addr, voice.charset)),
        fold_header("To", address_header(*to, voice.charset)),
        fold_header("Subject", header_text(sent.subject, voice.charset)),
        "Date: " + format_datetime(local_time(voice.zone, sent.date)),
        f"Message-ID: <{sent.message_id}>",
    ]
    if prev is not None:
        headers.append(f"In-Reply-To: <{prev.message_id}>")
        headers.append(fold_header("References", " ".join(f"<{r}>" for r in sent.references)))
    if not voice.customer:
        headers.append(f"Reply-To: {SUPPORT_NAME} <{DEMO_ADDRESS}>")
    headers.append("MIME-Version: 1.0")
    if voice.client in _MAILERS:
        headers.append(_MAILERS[voice.client])
    if voice.client == "outlook":
        language = {"en": "en-US", "de": "de-DE", "zh": "zh-CN"}[plan.opener.lang]
        headers.append(f"Content-Language: {language}")
    return headers


def _body(plan: Plan, k: int, text: str, voice: _Voice, when: datetime) -> Part:
    """The MIME body: plain text, HTML (alternative or HTML-only), maybe an attachment."""
    lang, charset = plan.opener.lang, voice.charset
    rng = random.Random(hex_digest("enc", plan.index, k))
    if voice.customer:
        prefer = preferred_encoding(charset, lang, rng)
    else:
        prefer = "base64" if lang == "zh" else "quoted-printable"
    boundary = f"----=_Part_{hex_digest('b', plan.index, k)[:24]}"
    mode = plan.html if voice.customer else "plain"
    part = text_part("plain", text, charset, prefer)
    if mode != "plain":
        domain = plan.customer.addr.split("@")[1]
        pixel = f"https://t.{domain}/o/{hex_digest('px', plan.index, k)[:16]}.gif"
        markup = html_body(text, mode == "only", fit_charset(text, charset), pixel)
        html_part = text_part("html", markup, charset, "base64" if lang == "zh" else prefer)
        if mode == "only":
            part = html_part
        else:
            part = multipart("alternative", [part, html_part], boundary + "_alt")
    if voice.customer and k == 0 and plan.attach:
        filename, ctype, data = attachment_file(plan, local_time(plan.customer.zone, when))
        part = multipart("mixed", [part, file_part(filename, ctype, data)], boundary + "_mix")
    return part
