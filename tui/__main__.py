"""``python -m supportmail.tui``: the same as the ``supportmail`` command."""

from supportmail.tui.launch import main

main()
