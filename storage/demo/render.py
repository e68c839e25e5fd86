"""Rendering a planned thread into messages: Message-IDs, subjects, headers, bodies with quotes
and attachments, and which messages are already read."""

from __future__ import annotations

import base64
import random
from dataclasses import dataclass
from datetime import datetime
from email.utils import format_datetime

from supportmail.storage.demo.account import DEMO_ADDRESS
from supportmail.storage.demo.attachments import _attachment, _file_part
from supportmail.storage.demo.common import (
    _SEEN,
    _SUPPORT_NAME,
    DemoMessage,
    _digest,
    _fill,
    _hex,
    _local,
)
from supportmail.storage.demo.conversation import (
    _customer_text,
    _Sent,
    _style,
    _team_text,
    _turn_bodies,
    _turn_dates,
)
from supportmail.storage.demo.encoding import (
    _address,
    _fit_charset,
    _fold,
    _header_text,
    _html,
    _multipart,
    _Part,
    _prefer,
    _text_part,
)
from supportmail.storage.demo.handwritten import _Data
from supportmail.storage.demo.plans import _Plan
from supportmail.storage.demo.quoting import _with_quote

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


def _message_id(plan: _Plan, k: int, customer: bool) -> str:
    h = _digest("mid", plan.index, k)
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


def _subject(plan: _Plan, k: int, customer: bool) -> str:
    base = _fill(plan.opener.subject, plan.slots)
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
class _Rendered:
    sent: _Sent
    message: DemoMessage


def _render_thread(plan: _Plan, now: datetime, data: _Data) -> list[_Rendered]:
    rng = random.Random(_hex("thread", plan.index))
    bodies = _turn_bodies(plan, data, rng)
    dates = [d for d in _turn_dates(plan, rng, len(bodies)) if d <= now]
    out: list[_Rendered] = []
    prev: _Sent | None = None
    for k, when in enumerate(dates):
        customer = k % 2 == 0
        seen = customer is False or _is_seen(plan, k, len(dates), when, now, rng)
        rendered = _render_one(plan, k, bodies[k], when, prev, seen, data)
        out.append(rendered)
        prev = rendered.sent
    return out


def _is_seen(
    plan: _Plan, k: int, count: int, when: datetime, now: datetime, rng: random.Random
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


def _voice(plan: _Plan, customer: bool) -> _Voice:
    if customer:
        p = plan.customer
        return _Voice(p.name, p.name, p.addr, p.zone, p.client, plan.charset, True)
    a = plan.agent
    return _Voice(a.name, f"{a.name} (Plotline)", a.addr, a.zone, "team", "utf-8", False)


def _render_one(
    plan: _Plan, k: int, body: str, when: datetime, prev: _Sent | None, seen: bool, data: _Data
) -> _Rendered:
    voice = _voice(plan, customer=k % 2 == 0)
    if voice.customer:
        fresh = _customer_text(plan, k, body, data)
        quoting = k == 0 or _style(plan.customer, data).quotes
    else:
        fresh, quoting = _team_text(plan, k, body, data), True
    lang = plan.opener.lang
    text, quotable = _with_quote(fresh, prev if quoting else None, voice.client, lang, voice.zone)
    refs = () if prev is None else (*prev.references[-12:], prev.message_id)
    sent = _Sent(
        voice.name,
        voice.addr,
        when,
        _subject(plan, k, voice.customer),
        _message_id(plan, k, voice.customer),
        refs,
        fresh,
        quotable,
    )
    head = "\r\n".join(_headers(plan, voice, sent, prev)).encode("ascii")
    raw = head + b"\r\n" + _body(plan, k, text, voice, sent.date).encode()
    flags = ((_SEEN,) if seen else ()) + plan.tags
    return _Rendered(sent, DemoMessage("INBOX" if voice.customer else "Sent", raw, flags))


def _headers(plan: _Plan, voice: _Voice, sent: _Sent, prev: _Sent | None) -> list[str]:
    customer = plan.customer
    to = (_SUPPORT_NAME, DEMO_ADDRESS) if voice.customer else (customer.name, customer.addr)
    headers = [
        _fold("From", _address(voice.from_name, voice.addr, voice.charset)),
        _fold("To", _address(*to, voice.charset)),
        _fold("Subject", _header_text(sent.subject, voice.charset)),
        "Date: " + format_datetime(_local(voice.zone, sent.date)),
        f"Message-ID: <{sent.message_id}>",
    ]
    if prev is not None:
        headers.append(f"In-Reply-To: <{prev.message_id}>")
        headers.append(_fold("References", " ".join(f"<{r}>" for r in sent.references)))
    if not voice.customer:
        headers.append(f"Reply-To: {_SUPPORT_NAME} <{DEMO_ADDRESS}>")
    headers.append("MIME-Version: 1.0")
    if voice.client in _MAILERS:
        headers.append(_MAILERS[voice.client])
    if voice.client == "outlook":
        language = {"en": "en-US", "de": "de-DE", "zh": "zh-CN"}[plan.opener.lang]
        headers.append(f"Content-Language: {language}")
    return headers


def _body(plan: _Plan, k: int, text: str, voice: _Voice, when: datetime) -> _Part:
    """The MIME body: plain text, HTML (alternative or HTML-only), maybe an attachment."""
    lang, charset = plan.opener.lang, voice.charset
    rng = random.Random(_hex("enc", plan.index, k))
    if voice.customer:
        prefer = _prefer(charset, lang, rng)
    else:
        prefer = "base64" if lang == "zh" else "quoted-printable"
    boundary = f"----=_Part_{_hex('b', plan.index, k)[:24]}"
    mode = plan.html if voice.customer else "plain"
    part = _text_part("plain", text, charset, prefer)
    if mode != "plain":
        domain = plan.customer.addr.split("@")[1]
        pixel = f"https://t.{domain}/o/{_hex('px', plan.index, k)[:16]}.gif"
        markup = _html(text, mode == "only", _fit_charset(text, charset), pixel)
        html_part = _text_part("html", markup, charset, "base64" if lang == "zh" else prefer)
        if mode == "only":
            part = html_part
        else:
            part = _multipart("alternative", [part, html_part], boundary + "_alt")
    if voice.customer and k == 0 and plan.attach:
        filename, ctype, data = _attachment(plan, _local(plan.customer.zone, when))
        part = _multipart("mixed", [part, _file_part(filename, ctype, data)], boundary + "_mix")
    return part
