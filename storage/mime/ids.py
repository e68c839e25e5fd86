"""Message ids: ``<id>`` lists from Message-ID/In-Reply-To/References, normalised and bounded,
and the synthetic id of a message whose own id is missing or unusable."""

from __future__ import annotations

import dataclasses
import hashlib
import re

from supportmail.storage.mime.headers import Fields
from supportmail.storage.mime.values import HEADER_FIELDS, Envelope

_HASH_SPACE = re.compile(r"[ \t\r\n]+")
_HASHED_FIELDS = tuple(name.lower() for name in HEADER_FIELDS if name != "Message-ID")

# --------------------------------------------------------------------------------------------
# Message ids
# --------------------------------------------------------------------------------------------

_BRACKETED = re.compile(r"<([^<>]*)>")
_PLAIN_ID = re.compile(r"[^\x00-\x20\x7f]{1,998}")
_WHITESPACE = re.compile(r"\s+")
_BAD_ID_CHAR = re.compile(r"[\x00-\x1f\x7f]")
_BARE_ID_STRIP = "\"'(),;:<>[]"
_MAX_ID = 998


def _clean_id(text: str) -> str:
    ident = _WHITESPACE.sub("", text)
    if not ident or len(ident) > _MAX_ID or _BAD_ID_CHAR.search(ident):
        return ""
    return ident


def _bare_ids(value: str) -> list[str]:
    ids: list[str] = []
    for token in value.split():
        token = token.strip(_BARE_ID_STRIP)
        if token.count("@") == 1 and ">" not in token:  # "<" never gets here
            ident = _clean_id(token)
            if ident:
                ids.append(ident)
    return ids


def normalize_message_id(value: str) -> str:
    """``"<a@b>"`` -> ``"a@b"``: the first usable id (folding whitespace removed), else ``""``.

    Without angle brackets, a single ``local@domain`` token is accepted too.
    """
    try:
        ids = parse_message_ids(value)
    except Exception:
        return ""
    return ids[0] if ids else ""


def parse_message_ids(value: str) -> tuple[str, ...]:
    """Every ``<...>`` id in a References/In-Reply-To value, in order, ignoring junk between.

    When the value has no angle brackets at all, bare ``local@domain`` tokens are taken instead.
    """
    try:
        text = str(value)
        if "<" not in text:
            return tuple(_bare_ids(text))
        ids = [
            ident if _PLAIN_ID.fullmatch(ident) else _clean_id(ident)
            for ident in _BRACKETED.findall(text)
        ]
        return tuple(ident for ident in ids if ident)
    except Exception:
        return ()


def unique_ids(ids: tuple[str, ...], exclude: str) -> tuple[str, ...]:
    """``ids`` in order, each once, without ``exclude`` (the message's own id)."""
    seen = {exclude}
    out: list[str] = []
    for ident in ids:
        if ident not in seen:
            seen.add(ident)
            out.append(ident)
    return tuple(out)


def synthetic_id(fields: Fields) -> str:
    """A stable id from the fetched header fields (Message-ID excluded), whitespace-normalised.

    Only :data:`HEADER_FIELDS` count, so a header-only fetch and the whole message agree.
    """
    lines: list[str] = []
    for name in _HASHED_FIELDS:
        for value in fields.get(name, ()):
            lines.append(name + ":" + _HASH_SPACE.sub(" ", value.strip(" \t\r\n")))
    digest = hashlib.sha256("\n".join(lines).encode("latin-1", "replace")).hexdigest()
    return f"sm-{digest[:24]}@supportmail.invalid"


_SYNTHETIC_PREFIX = "sm-"
_SYNTHETIC_DOMAIN = "@supportmail.invalid"


def is_synthetic(message_id: str) -> bool:
    """Whether ``message_id`` was made up here (the message had no usable Message-ID)."""
    return message_id.startswith(_SYNTHETIC_PREFIX) and message_id.endswith(_SYNTHETIC_DOMAIN)


def per_message(envelope: Envelope, folder: str, uidvalidity: int, uid: int, size: int) -> Envelope:
    """``envelope`` with a synthetic id made unique to this message.

    A message is (folder, UIDVALIDITY, UID): two messages without a Message-ID and with equal
    headers (cron, device and web-form mail) must not hide each other, so the header hash is
    mixed with where the message lives and its size. The same message synced again gets the
    same id (threads and notes key on it); a message moved to another folder gets a new one.
    An envelope with a real Message-ID comes back as it is.
    """
    if not is_synthetic(envelope.message_id):
        return envelope
    where = f"{envelope.message_id}\n{folder}\n{uidvalidity}\n{uid}\n{size}"
    digest = hashlib.sha256(where.encode("utf-8", "surrogatepass")).hexdigest()
    unique = f"{_SYNTHETIC_PREFIX}{digest[:24]}{_SYNTHETIC_DOMAIN}"
    return dataclasses.replace(envelope, message_id=unique)
