"""Screens of the TUI: the main screen, the tag picker, help, and the triage logic."""
