"""The ``supportmail`` command line: the scriptable CLI over ``storage.service``.

``main`` runs a command (``run``) through the ``COMMANDS`` table; ``commandline`` reads the
command line (the window's options itself, the rest through ``parser``, which builds the
argument parser; ``build_parser`` is exported lazily: a window never builds it); ``opening``
opens the service (and the terminal UI); ``output`` holds the shared output helpers; every
other module is one command family (its parser, its commands, its JSON shapes).
"""

from typing import TYPE_CHECKING

from supportmail.tui.cli.main import COMMANDS, run

if TYPE_CHECKING:
    from supportmail.tui.cli.parser import build_parser

__all__ = ["COMMANDS", "build_parser", "run"]


def __getattr__(name: str) -> object:
    if name == "build_parser":  # argparse and the commands' parsers: only when asked for
        from supportmail.tui.cli.parser import build_parser

        return build_parser
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
