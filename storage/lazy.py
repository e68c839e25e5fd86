"""Lazy re-exports for a package's ``__init__``: each name is imported from its module when it
is first used, so importing the package (or one of its modules) costs nothing until then.

The terminal UI's warm first screen imports the service and the settings, which name the IMAP
layer, MIME parsing and the insight reports; importing those packages whole took a third of
the start-up (IMAPClient alone reads its version through ``importlib.metadata``). A package
lists its names for type checkers under ``if TYPE_CHECKING:`` and in ``__all__``, and sets
``__getattr__ = lazy_exports(__name__, {name: module, ...})``.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Mapping

__all__ = ["lazy_exports"]


def lazy_exports(package: str, modules: Mapping[str, str]) -> Callable[[str], object]:
    """A module ``__getattr__`` for ``package``: ``modules`` maps each exported name to the
    module of the package that defines it (``{"ImapConnection": "connection"}``). The value is
    kept on the package, so the look-up runs once per name. A name may not be a module's name:
    importing that module sets the package's attribute to the module itself."""
    shadowed = sorted(set(modules) & set(modules.values()))
    if shadowed:
        raise ValueError(f"{package}: import {', '.join(shadowed)} eagerly (module names)")

    def __getattr__(name: str) -> object:
        module = modules.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        full = f"{package}.{module}"
        __import__(full)  # not importlib.import_module: ``python -X importtime`` shows this one
        value = getattr(sys.modules[full], name)
        setattr(sys.modules[package], name, value)
        return value

    return __getattr__
