"""What sync says about server quirks seen on Cyrus and Courier (issue 13, item 9).

* Cyrus allows at most 128 distinct keywords per mailbox, ever: a slot stays taken after the
  keyword left every message, and past the limit every STORE of a new keyword (``+FLAGS`` and
  ``-FLAGS``) is ``NO Too many user flags in mailbox``. :func:`refusal` names the limit in the
  line sync reports. A pending *removal* of a keyword that no message carries is already true;
  sync drops it (see ``Sync._push``) instead of retrying it on every run.
* Courier keeps every folder under the ``INBOX.`` namespace (``INBOX.Sent``). When a configured
  folder is missing, :func:`folder_hint` uses the server's NAMESPACE and folder list to name the
  folder the configuration probably meant (or, for a folder that holds only folders, one of
  them). A name written in IMAP's modified UTF-7, as server logs and other tools list it
  (``B&APw-cher``), is read as the name it encodes (``Bücher``).
"""

from __future__ import annotations

from collections.abc import Sequence

from imapclient import imap_utf7

__all__ = ["KEYWORD_LIMIT", "folder_hint", "refusal"]

KEYWORD_LIMIT = (
    "the server allows no more distinct keywords in this mailbox (Cyrus: at most 128 per"
    " mailbox, and a keyword's slot is never freed); use fewer distinct tags, or ask the"
    " server's administrator to rebuild the mailbox"
)
_LIMIT_MARKERS = ("too many user flags", "too many keywords", "[limit]")


def refusal(keyword: str, folder: str, error: str) -> str:
    """The one line sync reports for an edit the server refused."""
    line = f"{keyword} in {folder}: {error}"
    if any(marker in error.lower() for marker in _LIMIT_MARKERS):
        line += f" ({KEYWORD_LIMIT})"
    return line


def _variants(name: str, prefix: str, delimiter: str) -> list[str]:
    out = [name]
    if delimiter:
        for other in "/.":
            if other != delimiter:
                out.append(name.replace(other, delimiter))
    if prefix and not name.startswith(prefix):
        out += [prefix + n for n in list(out)]
    for strip in {prefix, "INBOX.", "INBOX/"} - {""}:
        if name.upper().startswith(strip.upper()) and len(name) > len(strip):
            out.append(name[len(strip) :])  # a prefix from another server's configuration
    return list(dict.fromkeys(out))


def _from_utf7(name: str) -> str | None:
    """The name ``name`` encodes in modified UTF-7 (RFC 3501 5.1.3), when it is such an
    encoding of another printable name; else None."""
    if "&" not in name or not name.isascii():
        return None
    try:
        decoded = imap_utf7.decode(name.encode("ascii"))
    except ValueError:  # UnicodeDecodeError: not modified UTF-7
        return None
    if not isinstance(decoded, str) or decoded == name or not decoded.isprintable():
        return None
    return decoded


def folder_hint(
    missing: str, namespaces: Sequence[tuple[str, str]], existing: Sequence[str]
) -> str | None:
    """A short hint for a configured folder the server does not have, or None.

    ``namespaces``: the server's personal (prefix, delimiter) pairs; ``existing``: its folder
    names. The folder the configuration probably meant is the missing name under the personal
    prefix (``Sent`` -> ``INBOX.Sent`` on Courier), without it, with the server's delimiter, or
    differing only in case; it is named only when the server really has it. A name the server
    has only above other folders (``\\Noselect``, so not in ``existing``) names one of those.
    """
    by_lower = {name.lower(): name for name in existing}
    pairs = list(namespaces) or [("", "")]
    decoded = _from_utf7(missing)
    for name, how in ((missing, ""), (decoded, " (the name in IMAP's modified UTF-7)")):
        if name is None:
            continue
        for prefix, delimiter in pairs:
            for candidate in _variants(name, prefix, delimiter):
                found = by_lower.get(candidate.lower())
                if found is not None and found != missing:
                    where = f'; the server\'s folders live under "{prefix}"' if prefix else ""
                    return f'{missing}: did you mean "{found}"{how}{where}?'
    for prefix, delimiter in pairs:
        for candidate in _variants(missing, prefix, delimiter):
            below = sorted(
                n for n in existing if n.lower().startswith(f"{candidate}{delimiter}".lower())
            )
            if delimiter and below:  # a \Noselect folder (LIST leaves it out) above these
                return f'{missing}: holds only folders, no mail: name them, e.g. "{below[0]}"'
    prefixed = [prefix for prefix, _d in pairs if prefix and not missing.startswith(prefix)]
    if prefixed:
        return f'{missing}: the server\'s folders live under "{prefixed[0]}" (NAMESPACE)'
    return None
