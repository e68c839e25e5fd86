"""Certificate pinning by fingerprint: trust one server certificate by its SHA-256.

A server with a self-signed certificate cannot be verified against a CA. Instead of copying its
certificate into a ``ca_file``, the user may pin the SHA-256 fingerprint of the certificate the
server presents (``tls_fingerprint = "sha256:AB:CD:..."``), much as ``ssh`` pins a host key. With a
pin the CA chain and the host name are not checked: the connection is trusted if and only if the
server's leaf certificate hashes to the pinned value, and the check runs inside the TLS handshake,
before a single IMAP byte (let alone the password) goes over the encrypted channel.

* :func:`parse_fingerprint` accepts ``sha256:`` (any case) followed by 64 hex digits, either
  bare or as colon-separated pairs; it returns the canonical ``sha256:AB:CD:...`` form.
* :func:`pinned_context` builds an ``ssl.SSLContext`` whose sockets raise
  :class:`FingerprintMismatch` (an ``ssl.SSLError``) when the handshake shows another certificate.
* :func:`unverified_context` is for reading which certificate a server presents (to tell the user
  the fingerprint to check out of band); nothing secret may be sent over such a connection.
"""

from __future__ import annotations

import hashlib
import re
import ssl

__all__ = [
    "FINGERPRINT_EXAMPLE",
    "FingerprintMismatch",
    "certificate_fingerprint",
    "format_fingerprint",
    "parse_fingerprint",
    "pinned_context",
    "unverified_context",
]

FINGERPRINT_EXAMPLE = '"sha256:AB:CD:...", 64 hex digits'
"""How the accepted form is described in error messages."""

_PREFIX = "sha256:"
_BARE = re.compile(r"[0-9a-f]{64}")
_PAIRS = re.compile(r"[0-9a-f]{2}(?::[0-9a-f]{2}){31}")


def parse_fingerprint(text: str) -> str | None:
    """The canonical ``sha256:AB:CD:...`` form of ``text``, or None when it is not one.

    Accepted: an optional ``sha256:`` prefix in any case, then 64 hex digits in any case, either
    all together or as 32 colon-separated pairs. Nothing else (no spaces, no other hash).
    """
    value = text.strip().lower()
    value = value.removeprefix(_PREFIX)
    if _BARE.fullmatch(value):
        return format_fingerprint(bytes.fromhex(value))
    if _PAIRS.fullmatch(value):
        return format_fingerprint(bytes.fromhex(value.replace(":", "")))
    return None


def format_fingerprint(digest: bytes) -> str:
    """``sha256:`` and the digest as upper-case colon-separated pairs (as ``openssl`` prints)."""
    return _PREFIX + ":".join(f"{byte:02X}" for byte in digest)


def certificate_fingerprint(der: bytes) -> str:
    """The canonical SHA-256 fingerprint of a DER-encoded certificate."""
    return format_fingerprint(hashlib.sha256(der).digest())


class FingerprintMismatch(ssl.SSLError):
    """The server presented a certificate other than the pinned one (or none at all)."""

    def __init__(self, presented: str | None, expected: str) -> None:
        super().__init__(f"certificate fingerprint {presented or 'missing'}, pinned {expected}")
        self.presented = presented
        self.expected = expected


class _PinnedContext(ssl.SSLContext):
    """A client context that checks nothing but the pin (done by :class:`_PinnedSocket`)."""

    pinned: str = ""


class _PinnedSocket(ssl.SSLSocket):
    """An ``SSLSocket`` that compares the peer certificate with its context's pin right after
    the handshake; ``SSLContext.wrap_socket`` runs that handshake before returning."""

    def do_handshake(self, block: bool = False) -> None:
        super().do_handshake(block)
        context = self.context
        if not isinstance(context, _PinnedContext):
            return
        der = self.getpeercert(binary_form=True)
        presented = certificate_fingerprint(der) if der else None
        if presented != context.pinned:
            raise FingerprintMismatch(presented, context.pinned)


def _client_context(context: ssl.SSLContext) -> ssl.SSLContext:
    context.minimum_version = ssl.TLSVersion.TLSv1_2
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def pinned_context(fingerprint: str) -> ssl.SSLContext:
    """A client context that accepts exactly the certificate with this SHA-256 fingerprint.

    The CA chain, expiry and host name are not checked: the pin replaces them. ``fingerprint``
    may be in any form :func:`parse_fingerprint` accepts; ValueError otherwise.
    """
    canonical = parse_fingerprint(fingerprint)
    if canonical is None:
        raise ValueError(f"not a SHA-256 fingerprint ({FINGERPRINT_EXAMPLE}): {fingerprint!r}")
    context = _PinnedContext(ssl.PROTOCOL_TLS_CLIENT)
    context.pinned = canonical
    context.sslsocket_class = _PinnedSocket
    return _client_context(context)


def unverified_context() -> ssl.SSLContext:
    """A client context that accepts any certificate: only for reading which certificate a
    server presents. Never send credentials over a connection made with it."""
    return _client_context(ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT))
