"""Result files that are whole or absent: write a temporary file beside the target, then rename it into place.

:func:`write_atomically` ``(path, write)`` checks the target first (its folder exists and is a folder, the path
itself is not a folder), then calls ``write(temporary)`` with a temporary name in the same folder,
``.<stem>.<pid>-<token>.partial<suffix>`` (the suffix kept for writers that read the format from it), flushes that
file to the disk (``fsync``) and renames it onto ``path`` (``os.replace``: atomic within one file system, so a
reader sees the old file or the new one, never a mixture). Until the rename the previous file, if any, is untouched.
If anything fails the temporary is deleted and the error names the path and says what the user can act on:

* the folder does not exist: ``FileNotFoundError``; the path is a folder: ``IsADirectoryError``; a parent is a
  file: ``NotADirectoryError``;
* the folder is not writable (permissions, a read-only file system): ``PermissionError``;
* the disk is full (``ENOSPC``, also when only the HDF5 library's message carries it): ``OSError`` with that
  errno, "the disk is full".

A process killed while writing leaves its temporary behind and nothing else: a name with a ``.partial`` part is
refused by every loader (:func:`refuse_partial`, called by :func:`nsnn_sim.load` and :func:`nsnn_sim.load_nwb`),
and a sweep that resumes looks for the exact result names only and deletes the leftovers (:func:`partial_files`).

HDF5 files (netCDF-4, NWB) go through :func:`write_hdf5_atomically`: the HDF5 library must not meet the full
disk itself (a close that fails there leaves an identifier whose garbage collection crashes the process, h5py
issue 914), so the file is assembled in memory (if it takes less than half the available memory) and Python
writes its bytes.

Examples
--------
>>> import pathlib, tempfile
>>> from nsnn_sim._core.atomic import write_atomically
>>> path = pathlib.Path(tempfile.mkdtemp()) / "notes.txt"
>>> write_atomically(path, lambda temporary: temporary.write_text("whole")).read_text()
'whole'
>>> [p.name for p in path.parent.iterdir()]
['notes.txt']
"""

from __future__ import annotations

import errno
import glob
import io
import os
import re
import secrets
from pathlib import Path
from typing import Callable

from nsnn_sim._core.memory import available_bytes

__all__ = ["write_atomically", "write_hdf5_atomically", "write_netcdf", "check_target", "is_partial", "refuse_partial",
           "partial_files", "PARTIAL_SUFFIX"]

#: The suffix of a temporary file being written; loaders refuse files that carry it.
PARTIAL_SUFFIX = ".partial"


def check_target(path) -> Path:
    """``path`` as a Path, after checking it can be a file to write: not a ``.partial`` name, not a folder, in a
    folder that exists. Raises before anything is written (module docstring)."""
    path = Path(path)
    folder = path.parent
    if is_partial(path):
        raise ValueError(f"path={str(path)!r} has a {PARTIAL_SUFFIX!r} part, the mark of unfinished writes that every "
                         "loader refuses; choose another name")
    if path.is_dir():
        raise _error(IsADirectoryError, errno.EISDIR, f"{path} is a folder; give the name of a file in it")
    if not folder.exists():
        raise _error(FileNotFoundError, errno.ENOENT, f"{path}: the folder {folder} does not exist; create it first")
    if not folder.is_dir():
        raise _error(NotADirectoryError, errno.ENOTDIR, f"{path}: {folder} is a file, not a folder")
    return path


def write_atomically(path, write: Callable[[Path], object]) -> Path:
    """Write ``path`` whole or not at all: ``write(temporary)`` writes the content to a temporary file beside it,
    which is synced to the disk and renamed onto ``path`` (module docstring).

    Parameters
    ----------
    path : str or pathlib.Path
        The file to write (replaced if it exists).
    write : callable
        ``write(temporary)`` writes the whole content to the file ``temporary`` (a Path in the same folder, with
        the same suffix).

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    FileNotFoundError, NotADirectoryError, IsADirectoryError, PermissionError, OSError
        Naming ``path``: a missing folder, a path that is a folder, a folder that is not writable, a full disk
        (module docstring). Other errors of ``write`` propagate unchanged. In every case the temporary file is
        removed and the previous ``path`` is unchanged.
    """
    path = check_target(path)
    temporary = path.with_name(f".{path.stem}.{os.getpid()}-{secrets.token_hex(4)}{PARTIAL_SUFFIX}{path.suffix}")
    try:
        write(temporary)
        _sync(temporary)
        os.replace(temporary, path)
    except BaseException as error:  # also KeyboardInterrupt: no temporary is left behind
        clear = _clear_error(error, path) if isinstance(error, Exception) else None
        _remove(temporary)
        if clear is None:
            raise
        raise clear from error
    _sync_folder(path.parent)
    return path


def write_hdf5_atomically(path, write: Callable[[object], object], size: float) -> Path:
    """:func:`write_atomically` for an HDF5 file (netCDF-4, NWB) that a full disk cannot turn into a crash.

    When the HDF5 library itself meets a full disk, a close that fails leaves a file identifier in a state whose
    garbage collection crashes the process (a segmentation fault; h5py issue 914, a bug of the library). So the
    file is assembled in memory, ``write(buffer)`` with an ``io.BytesIO``, and its bytes are written to the
    temporary file by Python, which reports a full disk as an ``OSError``. A file expected to be larger than half
    the available memory (``size``, bytes) is written by ``write(temporary)`` directly instead: whole or absent
    all the same, but a full disk may then crash the process.

    Parameters
    ----------
    path : str or pathlib.Path
    write : callable
        ``write(target)`` writes the HDF5 file to ``target``, a file-like buffer or a Path.
    size : float
        The expected size of the file in bytes.
    """
    path = check_target(path)
    if size > available_bytes() / 2:
        return write_atomically(path, write)
    buffer = io.BytesIO()
    write(buffer)
    content = buffer.getbuffer()
    return write_atomically(path, lambda temporary: temporary.write_bytes(content))


def write_netcdf(path, dataset) -> Path:
    """``dataset`` as a netCDF-4 file (h5netcdf), whole or absent (:func:`write_hdf5_atomically`)."""
    return write_hdf5_atomically(path, lambda target: _to_netcdf(dataset, target), dataset.nbytes)


def _to_netcdf(dataset, target) -> None:
    """``dataset.to_netcdf(target)`` with dask's synchronous scheduler: on a dask.distributed worker xarray asks the
    scheduler for a write lock named after the target, which an in-memory buffer does not have (an error); one
    file written by one process needs no lock beyond xarray's local one."""
    try:
        import dask
    except ImportError:  # no dask: xarray uses its local lock
        dataset.to_netcdf(target, engine="h5netcdf")
        return
    with dask.config.set(scheduler="synchronous"):
        dataset.to_netcdf(target, engine="h5netcdf")


def is_partial(path) -> bool:
    """Whether the name of ``path`` has a :data:`PARTIAL_SUFFIX` part (``x.partial``, ``.x.1-ab.partial.nc``)."""
    return PARTIAL_SUFFIX[1:] in Path(path).name.split(".")[1:]


def refuse_partial(path) -> None:
    """Raise ``OSError`` if ``path`` is the temporary file of a write that did not finish (:func:`is_partial`):
    it may be incomplete and is never a result."""
    path = Path(path)
    if is_partial(path):
        raise OSError(f"{path} is the temporary file of a write that did not finish (the writing process was "
                      "killed, or the disk filled); it may be incomplete and is not a result: delete it")


def partial_files(path) -> list[Path]:
    """The temporary files of unfinished writes of ``path`` left in its folder."""
    path = Path(path)
    return sorted(path.parent.glob(f".{glob.escape(path.stem)}.*{PARTIAL_SUFFIX}{glob.escape(path.suffix)}"))


def _error(kind: type, code: int | None, message: str) -> OSError:
    """An ``OSError`` of ``kind`` with the message alone (no "[Errno n]" prefix) and ``errno = code``."""
    error = kind(message)
    error.errno = code
    return error


def _errno(error: BaseException) -> int | None:
    """The errno behind ``error``: its own, a cause's, or the ``errno = n`` in an HDF5 library message."""
    seen = set()
    while error is not None and id(error) not in seen:
        seen.add(id(error))
        code = getattr(error, "errno", None)
        if isinstance(code, int):
            return code
        found = re.search(r"errno = (\d+)", str(error))
        if found:
            return int(found.group(1))
        error = error.__cause__ or error.__context__
    return None


def _clear_error(error: Exception, path: Path) -> OSError | None:
    """The error to raise for a failed write of ``path``: one naming the path and the cause the user can act on
    for an error of the operating system, else None (``error`` itself propagates)."""
    code = _errno(error)
    if code is None and not isinstance(error, OSError):
        return None
    folder = path.parent
    kept = "the previous file is unchanged" if path.exists() else "no file was written"
    if code in (errno.ENOSPC, errno.EDQUOT):
        return _error(OSError, code, f"{path}: the disk is full (no space left on the file system of {folder}); "
                                     f"{kept}")
    if code in (errno.EACCES, errno.EPERM, errno.EROFS):
        return _error(PermissionError, code, f"{path}: the folder {folder} is not writable ({os.strerror(code)}); "
                                             f"{kept}")
    if code == errno.ENOENT:  # the folder exists (checked before): it takes no new files, as /proc
        return _error(FileNotFoundError, code, f"{path}: no file can be created in the folder {folder} "
                                               f"({os.strerror(code)}); {kept}")
    reason = os.strerror(code) if code is not None else str(error).strip().splitlines()[0]
    return _error(OSError, code, f"{path}: the write failed ({reason}); {kept}")


def _sync(file: Path) -> None:
    """Flush ``file``'s data to the disk (a crash of the machine after the rename cannot leave it empty)."""
    descriptor = os.open(file, os.O_RDWR)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _sync_folder(folder: Path) -> None:
    """Flush the rename to the disk, where the file system allows syncing a folder."""
    try:
        descriptor = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(descriptor)
    except OSError:
        pass
    finally:
        os.close(descriptor)


def _remove(file: Path) -> None:
    try:
        file.unlink(missing_ok=True)
    except OSError:  # the folder refuses changes (read-only): then no temporary was created either
        pass
