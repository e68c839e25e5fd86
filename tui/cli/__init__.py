"""The ``supportmail`` command line: the scriptable CLI over ``storage.service``.

``main`` runs a command (``run``) through the ``COMMANDS`` table; ``parser`` builds the argument
parser; ``opening`` opens the service (and the terminal UI); ``output`` holds the shared output
helpers; every other module is one command family (its parser, its commands, its JSON shapes).
"""

from supportmail.tui.cli.main import COMMANDS, run
from supportmail.tui.cli.parser import build_parser

__all__ = ["COMMANDS", "build_parser", "run"]
