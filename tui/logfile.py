"""The log file: where a failure that the user saw as one line keeps its traceback.

``setup`` attaches one rotating file handler to the ``supportmail``, ``storage``, ``tui``
and ``keymaps`` loggers (modules log with ``logging.getLogger(__name__)``), and to the root
logger for the libraries' warnings (imapclient's note on a server reply that is not ASCII),
which would otherwise go to stderr through Python's last-resort handler: the file
``$SUPPORTMAIL_LOG`` if set, else ``supportmail.log`` in the platform's log directory
(``~/.local/state/supportmail/log/`` on Linux). At most 1 MB per file and 3 old files. INFO
and up by default; ``--debug`` logs DEBUG.
The directory is made 0700 and the file 0600: tracebacks can quote mail headers. A log that
cannot be opened (read-only home, full disk) never stops the program: it logs nowhere.

``log_failure`` is what every one-line error path calls: the line goes to the user, the
traceback here.
"""

from __future__ import annotations

import contextlib
import logging
import logging.handlers
import os
from pathlib import Path

import platformdirs

LOGGER = "supportmail"
LOGGERS = (LOGGER,)
"""Where the handler goes: modules log with ``logging.getLogger(__name__)``."""
FILE_NAME = "supportmail.log"
MAX_BYTES = 1_000_000
BACKUPS = 3
_FORMAT = "%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s"

_handler: logging.handlers.RotatingFileHandler | None = None

# Until ``setup`` runs (Pilot tests, a library caller) records go nowhere rather than to
# Python's last-resort handler on stderr.
for _name in LOGGERS:
    logging.getLogger(_name).addHandler(logging.NullHandler())


def log_path() -> Path:
    """Where the log is written (``$SUPPORTMAIL_LOG`` overrides the platform's log dir)."""
    override = os.environ.get("SUPPORTMAIL_LOG")
    if override:
        return Path(override).expanduser()
    return platformdirs.user_log_path("supportmail", appauthor=False) / FILE_NAME


def setup(*, debug: bool = False) -> Path | None:
    """Log to the rotating file; returns its path, or None when it cannot be opened."""
    global _handler
    loggers = [logging.getLogger(name) for name in LOGGERS]
    for logger in loggers:
        logger.setLevel(logging.DEBUG if debug else logging.INFO)
        logger.propagate = False
    path = log_path()
    if _handler is not None:
        if Path(_handler.baseFilename) == path.absolute():
            return path
        for logger in (*loggers, logging.getLogger()):  # another $SUPPORTMAIL_LOG (tests)
            logger.removeHandler(_handler)
        _handler.close()
        _handler = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
        os.close(fd)
        handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8", delay=True
        )
    except OSError:
        return None  # the NullHandler keeps records off stderr: errors stay one line
    handler.setFormatter(logging.Formatter(_FORMAT))
    # The root logger keeps its WARNING level: a library's debug records (imapclient's
    # protocol lines) never reach the file, even with --debug.
    for logger in (*loggers, logging.getLogger()):
        logger.addHandler(handler)
    _handler = handler
    with contextlib.suppress(OSError):
        path.chmod(0o600)
    return path


def log_failure(what: str, exc: BaseException, *, name: str = "tui") -> None:
    """Log ``what`` (the user's one line) with ``exc``'s traceback."""
    logging.getLogger(f"{LOGGER}.{name}").error("%s", what, exc_info=exc)
