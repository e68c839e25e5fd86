"""Quoting the previous message the way each mail client does: attribution lines (``On ...
wrote:``, ``Am ... schrieb ...:``, ``在 ... 写道：``, Outlook header blocks) and ``>`` lines."""

from __future__ import annotations

from datetime import datetime

from supportmail.storage.demo.common import local_time
from supportmail.storage.demo.conversation import Sent

_WEEKDAYS = {
    "en": ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"),
    "de": ("Mo.", "Di.", "Mi.", "Do.", "Fr.", "Sa.", "So."),
    "zh": ("星期一", "星期二", "星期三", "星期四", "星期五", "星期六", "星期日"),
}
_MONTHS = {
    "en": ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"),
    "de": (
        "Jan.",
        "Feb.",
        "März",
        "Apr.",
        "Mai",
        "Juni",
        "Juli",
        "Aug.",
        "Sept.",
        "Okt.",
        "Nov.",
        "Dez.",
    ),
}
_LONG_WEEKDAYS = {
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "de": ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"),
}
_LONG_MONTHS = {
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
    "de": (
        "Januar",
        "Februar",
        "März",
        "April",
        "Mai",
        "Juni",
        "Juli",
        "August",
        "September",
        "Oktober",
        "November",
        "Dezember",
    ),
}


def _quote_lines(text: str) -> str:
    return "\n".join(
        ">" if not line else "> " + line if line[0] != ">" else ">" + line
        for line in text.split("\n")
    )


def _attribution(client: str, lang: str, prev: Sent, at: datetime) -> str:
    """The line (or block) a mail client writes above the quoted message."""
    d = at
    who = f"{prev.sender_name} <{prev.sender_addr}>"
    hm = f"{d.hour:02d}:{d.minute:02d}"
    if lang == "zh":
        if client in ("qq", "foxmail"):
            noon = "上午" if d.hour < 12 else "下午"
            return (
                "------------------ 原始邮件 ------------------\n"
                f'发件人: "{prev.sender_name}"<{prev.sender_addr}>;\n'
                f"发送时间: {d.year}年{d.month}月{d.day}日({_WEEKDAYS['zh'][d.weekday()]}) "
                f"{noon}{(d.hour - 1) % 12 + 1}:{d.minute:02d}\n"
                f"主题: {prev.subject}\n"
            )
        return f"在 {d.year}年{d.month}月{d.day}日 {hm}，{who} 写道："
    if client == "outlook":
        long_w, long_m = _LONG_WEEKDAYS[lang], _LONG_MONTHS[lang]
        if lang == "de":
            sent = f"{long_w[d.weekday()]}, {d.day}. {long_m[d.month - 1]} {d.year} {hm}"
            labels = ("Von", "Gesendet", "Betreff")
        else:
            sent = f"{long_w[d.weekday()]}, {long_m[d.month - 1]} {d.day}, {d.year} {hm}"
            labels = ("From", "Sent", "Subject")
        return (
            "________________________________\n"
            f"{labels[0]}: {who}\n{labels[1]}: {sent}\n{labels[2]}: {prev.subject}\n"
        )
    wd, mo = _WEEKDAYS[lang][d.weekday()], _MONTHS[lang][d.month - 1]
    if lang == "de":
        if client in ("thunderbird", "webde"):
            day = f"{d.day:02d}.{d.month:02d}.{d.year % 100:02d}"
            return f"Am {day} um {hm} schrieb {prev.sender_name}:"
        if client == "apple":
            return f"Am {d.day:02d}.{d.month:02d}.{d.year} um {hm} schrieb {who}:"
        return f"Am {wd}, {d.day}. {mo} {d.year} um {hm} Uhr schrieb {who}:"
    if client == "gmail":
        ampm = f"{(d.hour - 1) % 12 + 1}:{d.minute:02d} {'AM' if d.hour < 12 else 'PM'}"
        return f"On {wd}, {mo} {d.day}, {d.year} at {ampm} {who} wrote:"
    if client == "apple":
        return f"On {d.day} {mo} {d.year}, at {hm}, {who} wrote:"
    if client == "thunderbird":
        return f"On {d.day:02d}/{d.month:02d}/{d.year} {hm}, {prev.sender_name} wrote:"
    return f"On {wd}, {d.day} {mo} {d.year}, {prev.sender_name} wrote:"


def with_quote(fresh: str, prev: Sent | None, client: str, lang: str, zone: str) -> tuple[str, str]:
    """(full text, quotable text) of a message that answers ``prev``."""
    if prev is None:
        return fresh, fresh
    head = _attribution(client, lang, prev, local_time(zone, prev.date))
    if head.startswith(("____", "------")):
        full = f"{fresh}\n\n{head}\n{prev.quotable}"
        return full, f"{fresh}\n\n{head}\n{prev.fresh}"
    full = f"{fresh}\n\n{head}\n{_quote_lines(prev.quotable)}"
    return full, f"{fresh}\n\n{head}\n{_quote_lines(prev.fresh)}"
