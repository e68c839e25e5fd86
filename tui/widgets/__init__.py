"""Widgets of the TUI: the thread list, thread view, side panel, search bar, status bar."""
