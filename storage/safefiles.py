"""Writing files named by untrusted mail: safe names, never outside the directory, never over an
existing file.

:func:`safe_filename` turns an attachment's name (any text a sender chose) into one path
component: no ``/`` or ``\\``, no control, format or bidi characters, no leading dots (``..``,
hidden files), at most :data:`NAME_MAX_BYTES` bytes of UTF-8 with the extension kept, and a
fallback built from the content type when nothing is left. :func:`write_new` creates the file
with ``O_CREAT | O_EXCL | O_NOFOLLOW`` relative to an open directory descriptor, so it can
neither replace an existing file nor follow a symlink planted at the name; a taken name gets a
numbered suffix (``report (1).pdf``, ``report (2).pdf``, ...).
"""

from __future__ import annotations

import contextlib
import mimetypes
import os
import unicodedata
from pathlib import Path

__all__ = ["NAME_MAX_BYTES", "safe_filename", "write_new"]

NAME_MAX_BYTES = 200
"""Longest name written, in bytes of UTF-8 (file systems allow 255; room for a suffix)."""
_MAX_SUFFIX = 10_000
_FALLBACK_EXT = {"text/plain": ".txt", "message/rfc822": ".eml", "image/jpeg": ".jpg"}


def _clean_char(ch: str) -> str:
    if ch in "/\\" or ch == "\x00":
        return "_"
    category = unicodedata.category(ch)
    if category in ("Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"):
        return "_"  # controls, bidi/format marks, surrogates, unassigned, line separators
    if ch.isspace():
        return " "
    return ch


def _extension(content_type: str) -> str:
    ctype = content_type.lower().strip()
    return _FALLBACK_EXT.get(ctype) or mimetypes.guess_extension(ctype, strict=False) or ".bin"


def _clip(name: str, limit: int) -> str:
    """``name`` cut to ``limit`` bytes of UTF-8, keeping a short extension."""
    if len(name.encode("utf-8")) <= limit:
        return name
    stem, dot, ext = name.rpartition(".")
    if not dot or len(ext.encode("utf-8")) > 16 or not stem:
        stem, ext = name, ""
    room = limit - len(ext.encode("utf-8")) - (1 if ext else 0)
    cut = stem.encode("utf-8")[:room].decode("utf-8", "ignore").rstrip(" .")
    return f"{cut}.{ext}" if ext else cut


def safe_filename(name: str, content_type: str = "", number: int = 1) -> str:
    """One safe path component for an attachment called ``name`` (maybe empty or hostile);
    ``number`` names it when nothing usable is left (``attachment-2.pdf``)."""
    text = unicodedata.normalize("NFC", name or "")
    text = "".join(_clean_char(ch) for ch in text)
    text = " ".join(text.split())  # runs of spaces, and leading/trailing ones
    text = text.lstrip(". ").rstrip(" ")
    text = _clip(text, NAME_MAX_BYTES).rstrip(" ")
    if not text or set(text) <= {"_", "."}:
        return f"attachment-{number}{_extension(content_type)}"
    return text


def _numbered(name: str, n: int) -> str:
    stem, dot, ext = name.rpartition(".")
    if not dot or not stem:
        stem, ext = name, ""
    suffix = f" ({n})"
    stem = _clip(stem, NAME_MAX_BYTES - len(suffix) - len(ext.encode("utf-8")) - 1)
    return f"{stem}{suffix}.{ext}" if ext else f"{stem}{suffix}"


def write_new(directory: Path, name: str, data: bytes, *, mode: int = 0o600) -> Path:
    """Write ``data`` to a new file ``name`` in ``directory`` (or ``name (N)`` when taken) and
    return its path. ``name`` must come from :func:`safe_filename`. Raises ``OSError`` (a
    partly written file is removed)."""
    if not name or "/" in name or name in (".", "..") or "\x00" in name:
        raise ValueError(f"not a safe file name: {name!r}")
    dir_fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY)
    try:
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)
        for n in range(_MAX_SUFFIX):
            candidate = name if n == 0 else _numbered(name, n)
            try:
                fd = os.open(candidate, flags, mode, dir_fd=dir_fd)
            except FileExistsError:
                continue
            try:
                with os.fdopen(fd, "wb") as out:
                    out.write(data)
                    out.flush()
                    os.fsync(out.fileno())
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(candidate, dir_fd=dir_fd)
                raise
            return directory / candidate
        raise FileExistsError(f"{directory}: every name like {name!r} is taken")
    finally:
        os.close(dir_fd)
