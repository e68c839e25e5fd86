"""Hostile mail for the adversarial tests (generators in ``generators.py``, see ``README.md``).

``load_hostile(data_dir, cases)`` builds the real ``Service`` for the account ``demo`` under
``data_dir`` with no server and feeds the messages through the same cache/thread code the demo
mailbox uses (``Service._load_demo``), so ``supportmail --data-dir DATA_DIR demo`` opens it as is.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from supportmail.storage.demo.account import DEMO_ACCOUNT
from supportmail.storage.demo.generator import DemoMessage
from supportmail.storage.service import Service

__all__ = ["load_hostile"]


def load_hostile(data_dir: Path, cases: Sequence[tuple[str, bytes]]) -> Service:
    """A server-less service over ``cases`` (all in INBOX, unread); the caller closes it."""
    service = Service(
        account=DEMO_ACCOUNT,
        data_dir=data_dir / DEMO_ACCOUNT,
        folders=("INBOX", "Sent"),
        connector=None,
    )
    messages = [DemoMessage("INBOX", raw, ()) for _name, raw in cases]
    service._load_demo(messages, {})
    return service
