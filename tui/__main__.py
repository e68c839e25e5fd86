"""``python -m tui``: the same as the ``supportmail`` command."""

from tui.launch import main

main()
