"""Whose the bundled demo mailbox is. Apart from ``storage.demo``, which builds that mail and is
imported only when an empty demo cache needs it (it costs a warm start ~15 ms to import)."""

from __future__ import annotations

__all__ = ["DEMO_ACCOUNT", "DEMO_ADDRESS"]

DEMO_ACCOUNT = "demo"
DEMO_ADDRESS = "support@plotline.example"
