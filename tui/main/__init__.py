"""The main screen: three panes (thread list, thread, side panel) composed with the feature
controllers of ``tui.controllers`` (``screen``), and its key bindings (``bindings``)."""
