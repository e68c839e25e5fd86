"""The answering commands of ``supportmail``: responses, reply, forward and drafts.

``tui.cli`` registers them with :func:`add_answer_parsers` and dispatches through
``ANSWER_COMMANDS``; the first-reply report's printing is in ``tui.cli_responses``.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any, TextIO

from storage.service import Service
from tui.cli_responses import add_responses_parser, cmd_responses


def add_answer_parsers(sub: Any, common: argparse.ArgumentParser) -> None:
    add_responses_parser(sub, common)


ANSWER_COMMANDS: dict[str, Callable[[Service, argparse.Namespace, TextIO], int]] = {
    "responses": cmd_responses,
}
