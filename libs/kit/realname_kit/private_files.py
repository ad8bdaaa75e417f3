"""What the platform writes on disk (SQLite files and their -wal/-shm, keys, keyrings, the development CA,
spools, logs) holds personal data or secrets: only the user running it may read it. Files 0600, folders 0700.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from realname_kit.logs import get_logger

PRIVATE_UMASK = 0o077  # every file and folder this process (and its children) creates: no group, no others
FILE_MODE, DIR_MODE = 0o600, 0o700

log = get_logger("realname.private_files")


def create_privately() -> None:
    """From now on, files this process and the processes it starts create are 0600, folders 0700.

    SQLite gives a database's -wal and -shm files the database file's mode, so they follow too.
    """
    os.umask(PRIVATE_UMASK)


def keep_private(root: Path) -> None:
    """``create_privately``, ``root`` made if missing, and what it already holds made private (older
    versions created it world-readable). Symbolic links are left alone, and so is what they point at."""
    create_privately()
    root.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    for folder, _dirs, files in os.walk(root):  # a linked folder is listed, not entered
        _restrict(Path(folder), DIR_MODE)
        for path in (Path(folder) / name for name in files):
            if not path.is_symlink():
                _restrict(path, FILE_MODE)


def _restrict(path: Path, mode: int) -> None:
    try:
        if stat.S_IMODE(path.lstat().st_mode) != mode:
            path.chmod(mode)
    except FileNotFoundError:  # removed meanwhile (a -shm file at a checkpoint)
        pass
    except PermissionError:  # not ours: say so, the operator decides
        log.warning("cannot_make_private", path=str(path))
