"""Fault-injection tests: a loopback TCP proxy between the app and the test Dovecot."""
