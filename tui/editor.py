"""Handing the terminal to the user's text editor: which one, and running it with the app suspended.

``editor_command`` picks ``$VISUAL``, then ``$EDITOR`` (split like a shell would), then ``vi``,
then ``nano``. ``run_editor`` runs it on one file inside ``App.suspend()`` and turns every way it
can fail (no terminal to hand over, editor missing, non-zero exit) into one ``EditorError`` line.
The file itself is the service's business (``Service.note_file``); this module never reads it.
"""

from __future__ import annotations

import shlex
import shutil
import subprocess
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path

from textual.app import App, SuspendNotSupported

__all__ = ["FALLBACK_EDITORS", "EditorError", "editor_command", "run_editor"]

FALLBACK_EDITORS = ("vi", "nano")
"""Tried in this order when neither ``$VISUAL`` nor ``$EDITOR`` is set."""


class EditorError(Exception):
    """The editor could not run or reported a failure; the text is one status-bar line."""


def editor_command(
    environ: Mapping[str, str], which: Callable[[str], str | None] = shutil.which
) -> list[str]:
    """The editor's argv (without the file): ``$VISUAL``, ``$EDITOR``, ``vi``, ``nano``."""
    for variable in ("VISUAL", "EDITOR"):
        value = environ.get(variable, "").strip()
        if not value:
            continue
        try:
            argv = shlex.split(value)
        except ValueError as exc:
            raise EditorError(f"${variable} cannot be split into a command: {exc}") from None
        if argv:
            return argv
    for name in FALLBACK_EDITORS:
        if which(name) is not None:
            return [name]
    raise EditorError("no editor found: set $EDITOR (neither vi nor nano is installed)")


def run_editor(app: App[object], argv: Sequence[str], path: Path) -> None:
    """Run ``argv + [path]`` with the app suspended; return once the editor exited with 0.

    Raises ``EditorError`` when the terminal cannot be handed over, the editor cannot be
    started, or it exits with another status. Nothing raised inside the suspended block escapes
    it, so the app always resumes.
    """
    command = [*argv, str(path)]
    failure: str | None = None
    status = 0
    try:
        with app.suspend():
            try:
                status = subprocess.run(command, check=False).returncode
            except FileNotFoundError:
                failure = f"editor not found: {argv[0]} (set $EDITOR)"
            except OSError as exc:
                failure = f"could not start the editor {argv[0]}: {exc.strerror or exc}"
    except SuspendNotSupported:
        raise EditorError(
            "cannot hand this terminal to an editor here (suspend is not supported)"
        ) from None
    if failure is not None:
        raise EditorError(failure)
    if status != 0:
        raise EditorError(f"the editor {argv[0]} exited with status {status}: note not changed")
