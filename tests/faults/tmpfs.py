"""A tiny private tmpfs for full-disk tests, and a way to fill it.

``mounted_tmpfs(path)`` mounts a fresh tmpfs (mode 0700) at ``path`` and always unmounts it in a
``finally``. It needs root and a kernel that lets this process mount; when either is missing the
test is skipped with a loud reason, except under ``CI=true``, where that is a failure (CI runs as
root in a container that can mount tmpfs).

``fill(directory, leave)`` writes a filler file until the file system is full, then gives back
``leave`` bytes, so "the disk is full" and "almost full" are both exact, not guessed.
"""

from __future__ import annotations

import contextlib
import errno
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

__all__ = ["fill", "free_bytes", "mounted_tmpfs"]

_CHUNK = 64 * 1024


def _unavailable(reason: str) -> None:
    message = f"TMPFS UNAVAILABLE - FULL-DISK TESTS NOT RUN: {reason}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(message, pytrace=False)
    pytest.skip(message)


@contextlib.contextmanager
def mounted_tmpfs(path: Path, size: str = "16m") -> Iterator[Path]:
    """A fresh tmpfs of ``size`` at ``path`` (created if missing), unmounted afterwards."""
    if os.geteuid() != 0:
        _unavailable("mounting a tmpfs needs root (run the suite as root, as CI does)")
    path.mkdir(parents=True, exist_ok=True)
    mount = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0700", "tmpfs", str(path)],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    if mount.returncode != 0:
        _unavailable(f"mount -t tmpfs failed: {mount.stderr.strip() or mount.returncode}")
    try:
        yield path
    finally:
        done = subprocess.run(["umount", str(path)], capture_output=True, timeout=30, check=False)
        if done.returncode != 0:  # a straggler still has a file open: detach it anyway
            subprocess.run(
                ["umount", "-l", str(path)], capture_output=True, timeout=30, check=False
            )


def free_bytes(directory: Path) -> int:
    """Bytes an unprivileged writer can still use on ``directory``'s file system."""
    stat = os.statvfs(directory)
    return stat.f_bavail * stat.f_frsize


def fill(directory: Path, leave: int = 0) -> Path:
    """Fill ``directory``'s file system with a filler file, then free ``leave`` bytes of it.

    Returns the filler's path: delete it to get the space back."""
    filler = directory / "filler"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    written = 0
    block = b"\0" * _CHUNK
    try:
        while True:
            try:
                written += os.write(fd, block)
            except OSError as error:
                if error.errno != errno.ENOSPC:
                    raise
                break
    finally:
        os.close(fd)
    if leave:
        os.truncate(filler, max(0, written - leave))
    return filler
