"""Which hosts are this machine: the one rule behind "plaintext only to loopback".

Used by the config validation (IMAP and SMTP accounts) and by the connections themselves, so a
config that passes validation and a connection that is attempted agree on every spelling:
``localhost`` and ``*.localhost`` (RFC 6761), 127.0.0.0/8, ``::1``, ``[::1]`` and IPv4-mapped
loopback (``::ffff:127.0.0.1``). No DNS is asked: a name that merely resolves to 127.0.0.1 is not
trusted to stay that way.
"""

from __future__ import annotations

import ipaddress

__all__ = ["is_loopback"]


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine without asking DNS."""
    name = host.strip().rstrip(".").lower()
    if name.startswith("[") and name.endswith("]"):
        name = name[1:-1]
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback
