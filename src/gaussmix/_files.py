"""Writing files safely: a temporary file next to the target, renamed into place.

A reader never sees a half-written file, an interrupted write leaves the target as it
was, and an existing file is replaced only when asked.
"""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

import numpy as np


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


def check_new(path, overwrite: bool, hint: str = "pass overwrite=True") -> Path:
    """``path`` as a Path after checking that a new file may be written there.

    Raises
    ------
    IsADirectoryError
        ``path`` is a folder.
    FileExistsError
        ``path`` exists and ``overwrite`` is False; the message ends with ``hint``.

    Examples
    --------
    >>> import tempfile
    >>> check_new(tempfile.mkdtemp(), overwrite=True)
    Traceback (most recent call last):
    ...
    IsADirectoryError: ... is a folder, not a file.
    """
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"{str(path)!r} is a folder, not a file.")
    if path.exists() and not overwrite:
        raise FileExistsError(f"{str(path)!r} exists; {hint} to replace it.")
    return path


def open_npy(tmp: Path, dtype, shape: tuple[int, ...]) -> np.ndarray:
    """A new ``.npy`` file at ``tmp``, memory-mapped for writing, its disk space reserved.

    Writes through a memory map cannot report a full disk (the process gets SIGBUS), so
    the file's blocks are allocated up front (``posix_fallocate``): a full disk or a file
    size limit is an ``OSError`` here, before any row is written.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> tmp = new_temp(pathlib.Path(tempfile.mkdtemp()) / "out.npy")
    >>> open_npy(tmp, np.float64, (2, 3)).shape
    (2, 3)
    """
    array = np.lib.format.open_memmap(tmp, mode="w+", dtype=dtype, shape=shape)
    if hasattr(os, "posix_fallocate"):  # not on macOS or Windows: write as before
        fd = os.open(tmp, os.O_RDWR)
        try:
            os.posix_fallocate(fd, 0, os.fstat(fd).st_size)
        except OSError as exc:
            if exc.errno in (errno.ENOSPC, errno.EFBIG, errno.EDQUOT):
                raise
            # the file system cannot reserve space (EOPNOTSUPP, EINVAL): write as before
        finally:
            os.close(fd)
    return array


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
    refused = FileExistsError(f"{str(path)!r} exists; {hint} to replace it.")  # as check_new says
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


def read_npy_header(fh) -> tuple[tuple[int, ...], bool, np.dtype]:
    r"""``(shape, fortran_order, dtype)`` from the header of an ``.npy`` stream, leaving
    ``fh`` at the first data byte; nothing is allocated.

    The header is untrusted text: any failure to parse it (bad magic, unknown version,
    a truncated or malformed dictionary) is a ``ValueError`` saying what is wrong.

    Examples
    --------
    >>> import io
    >>> buffer = io.BytesIO()
    >>> np.save(buffer, np.zeros((2, 3)))
    >>> _ = buffer.seek(0)
    >>> read_npy_header(buffer)
    ((2, 3), False, dtype('float64'))
    >>> read_npy_header(io.BytesIO(b"PK\x03\x04 not an npy"))
    Traceback (most recent call last):
    ...
    ValueError: the magic string is not correct; expected b'\x93NUMPY', got b'PK\x03\x04 n'
    """
    try:
        version = np.lib.format.read_magic(fh)
        read_header = {(1, 0): np.lib.format.read_array_header_1_0,
                       (2, 0): np.lib.format.read_array_header_2_0}.get(version)
        if read_header is None:
            raise ValueError(f"unsupported .npy format version {version}")
        shape, fortran_order, dtype = read_header(fh)
    except Exception as exc:  # any parse failure of untrusted bytes means a bad file
        raise ValueError(str(exc) or type(exc).__name__) from None
    return tuple(shape), bool(fortran_order), dtype
