"""Which leaves of a MIME tree are shown as the message's text, and in what order.

The walk (see ``docs/mime.md``):

* multipart/mixed (and any other multipart, digests too): every inline child, in order;
* multipart/alternative: the child whose best text is plain (else HTML, else other text) and
  not blank;
* multipart/related: the root part: the one whose Content-ID the ``start`` parameter names,
  else the first of the ``type`` parameter's type, else the first;
* multipart/signed: the signed content; multipart/encrypted: nothing;
* leaves: inline text (not calendar/vCard data), message/rfc822 (shown inline with its own
  headers, even when sent as an attachment), and the report parts a bounce explains itself
  with (message/delivery-status, text/rfc822-headers, ...). Attachments are not shown.
"""

from __future__ import annotations

from collections.abc import Callable

from supportmail.storage.mime.structure import DATA_TEXT_TYPES, Part

SHOWN_REPORTS = frozenset(
    {
        "message/delivery-status",
        "message/global-delivery-status",
        "message/disposition-notification",
        "message/global-disposition-notification",
        "message/feedback-report",
        "text/rfc822-headers",
        "message/rfc822-headers",
        "message/global-headers",
    }
)
"""Report parts shown as text (a bounce says why it bounced)."""
EMBEDDED = frozenset({"message/rfc822", "message/global"})
"""Whole messages inside a message, shown inline with their own From, Date and Subject."""
_SHOWN_MAX = 100  # leaves shown per message, at most

TextOf = Callable[[Part], str]


def is_attachment(part: Part) -> bool:
    """Disposition ``attachment``, or a file name without an explicit ``inline``."""
    if part.disposition == "attachment":
        return True
    return bool(part.filename) and part.disposition != "inline"


def is_embedded(part: Part) -> bool:
    """A message/rfc822 (or message/global) part: a whole message shown inline."""
    return part.ctype in EMBEDDED


def shown_leaves(root: Part, text_of: TextOf) -> list[Part]:
    """The leaves shown as the text of the message rooted at ``root``, in order.

    Each part is walked once (memoised): choosing an alternative walks its children, and the
    chosen one is not walked again, so nested alternatives stay linear.
    """
    return _collect(root, text_of, {}, is_root=True)


Memo = dict[int, list[Part]]


def _collect(part: Part, text_of: TextOf, memo: Memo, is_root: bool = False) -> list[Part]:
    key = id(part)
    found = memo.get(key)
    if found is not None:
        return found
    out: list[Part] = []
    if part.children:
        for child in _shown_children(part, text_of, memo):
            out.extend(_collect(child, text_of, memo))
            if len(out) >= _SHOWN_MAX:
                del out[_SHOWN_MAX:]
                break
    elif _is_shown_leaf(part, is_root):
        out.append(part)
    memo[key] = out
    return out


def _is_shown_leaf(part: Part, is_root: bool) -> bool:
    if part.ctype.startswith("multipart/"):
        return False
    if is_embedded(part):
        return True  # a forwarded message is read inline even when sent as attachment
    if is_attachment(part) and not (is_root and part.ctype.startswith("text/")):
        return False
    readable = part.ctype.startswith("text/") and part.ctype not in DATA_TEXT_TYPES
    return readable or part.ctype in SHOWN_REPORTS


def _shown_children(part: Part, text_of: TextOf, memo: Memo) -> list[Part]:
    kids = part.children
    if part.ctype == "multipart/encrypted":
        return []
    if part.ctype == "multipart/signed":
        return kids[:1]
    if part.ctype == "multipart/related":
        return [related_root(part)]
    if part.ctype == "multipart/alternative":
        chosen = _best_alternative(part, text_of, memo)
        return [chosen] if chosen is not None else []
    return kids


def related_root(part: Part) -> Part:
    """The root of a multipart/related: named by ``start``, else by ``type``, else the first."""
    kids = part.children
    start = (part.params.get("start") or "").strip().strip("<>").strip()
    if start:
        for kid in kids:
            if kid.content_id == start:
                return kid
    wanted = (part.params.get("type") or "").strip().strip("\"'").lower()
    if wanted:
        for kid in kids:
            if kid.ctype == wanted:
                return kid
    return kids[0]


def _alternative_rank(part: Part) -> int:
    """Plain text beats HTML beats other text; a multipart ranks by its best leaf."""
    best = 3
    stack = [part]
    while stack:
        node = stack.pop()
        if node.children:
            if node.ctype == "multipart/related":
                stack.append(related_root(node))
            elif node.ctype != "multipart/encrypted":
                stack.extend(node.children)
            continue
        if node.ctype == "text/plain":
            return 0
        if node.ctype == "text/html":
            best = min(best, 1)
        elif node.ctype.startswith("text/") and node.ctype not in DATA_TEXT_TYPES:
            best = min(best, 2)
    return best


def _best_alternative(part: Part, text_of: TextOf, memo: Memo) -> Part | None:
    """The alternative shown: best ranked first, skipping ones whose text is blank."""
    kids = part.children
    ranked = sorted(enumerate(kids), key=lambda item: (_alternative_rank(item[1]), item[0]))
    for _, kid in ranked:
        leaves = _collect(kid, text_of, memo)
        if any(is_embedded(leaf) or text_of(leaf).strip() for leaf in leaves):
            return kid
    return None
