"""Writing files safely: a temporary file next to the target, renamed into place.

A reader never sees a half-written file, an interrupted write leaves the target as it
was, and an existing file is replaced only when asked.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path


def new_temp(path: Path) -> Path:
    """An empty temporary file next to ``path``, with the permissions a new file gets.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "out.csv"
    >>> tmp = new_temp(target)
    >>> tmp.parent == target.parent, tmp.exists()
    (True, True)
    >>> tmp.unlink()
    """
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(fd)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)  # mkstemp makes the file private (0600)
    return Path(tmp)


def move_into_place(tmp: Path, path: Path, overwrite: bool, hint: str = "pass overwrite=True") -> None:
    """Rename the finished ``tmp`` to ``path``; without ``overwrite`` an existing file is never replaced.

    ``tmp`` is removed when the move is refused.

    Raises
    ------
    FileExistsError
        ``path`` exists and ``overwrite`` is False; the message ends with ``hint``.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "out.txt"
    >>> tmp = new_temp(target)
    >>> _ = tmp.write_text("new")
    >>> move_into_place(tmp, target, overwrite=False)
    >>> target.read_text(), tmp.exists()
    ('new', False)
    """
    if overwrite:
        os.replace(tmp, path)
        return
    refused = FileExistsError(f"{str(path)!r} exists; {hint} to replace it.")
    try:
        os.link(tmp, path)  # fails if path exists, atomically
    except FileExistsError:
        tmp.unlink(missing_ok=True)
        raise refused from None
    except OSError:  # no hard links here (some network or FAT file systems)
        if path.exists():
            tmp.unlink(missing_ok=True)
            raise refused from None
        os.replace(tmp, path)
        return
    tmp.unlink()
