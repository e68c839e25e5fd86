"""The terminal side of supportmail: the Textual app (main screen, controllers, modal screens,
widgets) and the scriptable CLI (``cli``), both over ``supportmail.storage.service``. Installed as
``supportmail.tui``; ``python -m supportmail.tui`` is the ``supportmail`` command."""
