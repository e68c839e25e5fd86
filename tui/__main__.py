"""``python -m tui``: the same as the ``supportmail`` command."""

from tui.cli import main

main()
