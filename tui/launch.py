"""The ``supportmail`` command's entry point (and ``python -m supportmail.tui``'s).

Start-up runs without the cyclic garbage collector: importing Textual and the app allocates
hundreds of thousands of objects that all stay alive, and the collections they trigger only
rescan them (about 40 ms before the first frame of a warm start). ``tui.cli.run`` turns it back
on for the scriptable commands; the terminal UI turns it on after its first frame, when it
freezes what start-up built (``tui.app``). Nothing is imported here before the collector is off.
"""

from __future__ import annotations

import gc
import sys


def main() -> None:
    gc.disable()
    from supportmail.tui.cli import run

    sys.exit(run())
