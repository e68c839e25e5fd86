"""Private directories: what supportmail creates for its data is readable by its owner only.

Cache, search index, notes and outbox hold customers' mail and your notes, so their directories
are 0700 and their files 0600. A directory that already exists with looser modes (made by hand,
by an older version, or under a permissive umask) is tightened, not left as it was.
"""

from __future__ import annotations

import contextlib
import stat
from pathlib import Path

__all__ = ["data_dir_problem", "private_dir"]


def private_dir(path: Path) -> None:
    """Create ``path`` (and missing parents) as 0700, or tighten it to 0700 if it exists with
    group or other bits. Only directories we own are changed; a failure to tighten (another
    owner, a read-only mount) is not an error."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    with contextlib.suppress(OSError):
        if stat.S_IMODE(path.stat().st_mode) != 0o700:
            path.chmod(0o700)


def data_dir_problem(data_dir: Path, exc: OSError) -> str:
    """One line saying why ``data_dir`` could not be made or used, naming the path at fault:
    ``cannot use the data directory /x/y: /x is not a directory``."""
    where = exc.filename if exc.filename is not None else data_dir
    if isinstance(exc, FileExistsError | NotADirectoryError):
        # mkdir met a file where a directory should be: name the file, not errno 17 or 20
        found = next((p for p in (data_dir, *data_dir.parents) if p.exists()), Path(where))
        why = f"{found} is not a directory"
    else:
        why = f"{where}: {exc.strerror or exc}"
    return f"cannot use the data directory {data_dir}: {why}"
