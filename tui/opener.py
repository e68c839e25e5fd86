"""Opening a saved attachment or a link in the desktop's viewer, never through a shell.

:func:`viewer_for` picks the command for a file: the first matching entry of the user's
mailcap files (``$MAILCAPS``, else ``~/.mailcap``, ``/etc/mailcap``) whose command needs no
terminal and takes the file as ``%s``, split into an argument list (entries that need a shell,
with pipes, redirections or variables, are skipped); otherwise ``xdg-open`` (``open`` on
macOS). :func:`url_opener` does the same for a link (``http``, ``https`` and ``mailto`` only).
:func:`launch` starts the command detached (own session, no terminal streams) and returns at
once; a daemon thread reaps it, so the UI never waits on it.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

__all__ = ["launch", "url_opener", "viewer_for"]

_SHELL_CHARS = frozenset("|&;<>`$(){}*?\n")
_URL_SCHEMES = ("http://", "https://", "mailto:")


def _mailcap_files() -> list[Path]:
    listed = os.environ.get("MAILCAPS")
    if listed:
        return [Path(p) for p in listed.split(":") if p]
    return [Path.home() / ".mailcap", Path("/etc/mailcap")]


def _entries(path: Path) -> Iterator[tuple[str, str, list[str]]]:
    """(type, command, flags) of each entry of one mailcap file (continuation lines joined)."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return
    for line in text.replace("\\\n", " ").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        fields = [f.strip() for f in line.split(";")]
        if len(fields) >= 2:
            yield fields[0].lower(), fields[1], [f.lower() for f in fields[2:]]


def _argv(command: str, path: Path) -> list[str] | None:
    if "%s" not in command or any(ch in _SHELL_CHARS for ch in command.replace("%s", "")):
        return None
    try:
        words = shlex.split(command)
    except ValueError:
        return None
    argv = [str(path) if word in ("%s", "'%s'", '"%s"') else word for word in words]
    if str(path) not in argv or any("%" in word for word in argv if word != str(path)):
        return None
    return argv if shutil.which(argv[0]) else None


def viewer_for(path: Path, content_type: str) -> list[str] | None:
    """The argument list that opens ``path`` (None: nothing on this machine can)."""
    ctype = content_type.lower()
    wildcard = ctype.split("/", 1)[0] + "/*"
    for file in _mailcap_files():
        for kind, command, flags in _entries(file):
            if kind not in (ctype, wildcard):
                continue
            if any(f.startswith(("needsterminal", "copiousoutput", "test=")) for f in flags):
                continue
            argv = _argv(command, path)
            if argv is not None:
                return argv
    return _desktop_opener(str(path))


def _desktop_opener(target: str) -> list[str] | None:
    name = "open" if sys.platform == "darwin" else "xdg-open"
    found = shutil.which(name)
    return [found, target] if found else None


def url_opener(url: str) -> list[str] | None:
    """The argument list that opens a link (None: not a web or mail link, or no opener)."""
    if not url.lower().startswith(_URL_SCHEMES) or any(ch.isspace() for ch in url):
        return None
    return _desktop_opener(url)


def launch(argv: Sequence[str]) -> None:
    """Start ``argv`` detached and return at once (``OSError`` when it cannot start)."""
    process = subprocess.Popen(
        list(argv),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
        close_fds=True,
    )
    threading.Thread(target=process.wait, name="viewer-reaper", daemon=True).start()
