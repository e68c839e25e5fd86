"""The errors every IMAP operation raises: ``ImapError`` and its three kinds.

Every socket, TLS, ``imaplib`` and IMAPClient exception leaves ``storage.imap`` as one of these,
with a one-line message that never contains the password:

* ``ImapConnectionLost`` - the socket closed, reset or timed out (or was never open): reconnect;
* ``ImapAuthError`` - the server rejected the user name or password;
* ``ImapRefused`` - we will not or cannot talk to this server safely (plaintext to a remote host,
  an untrusted certificate, a certificate that does not match the pinned fingerprint, a failed
  TLS handshake, no STARTTLS);
* ``ImapError`` - anything else the server said no to (the server's text is in the message).
"""

from __future__ import annotations

__all__ = ["ImapAuthError", "ImapConnectionLost", "ImapError", "ImapRefused"]


class ImapError(Exception):
    """The server refused a command, or talking to it failed; ``str(e)`` is one clear line."""


class ImapAuthError(ImapError):
    """LOGIN failed: wrong user name or password, or the server forbids this way of logging in."""


class ImapConnectionLost(ImapError):
    """The connection closed, reset or timed out (or is not open): reconnect and retry."""


class ImapRefused(ImapError):
    """We will not or cannot talk to this server safely (plaintext to a remote host, bad TLS)."""
