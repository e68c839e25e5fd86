"""Pilot and snapshot tests of the Textual UI, against an in-memory fake service."""
