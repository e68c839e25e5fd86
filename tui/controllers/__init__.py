"""Feature controllers the screens compose: each owns one feature's workers and messages."""
