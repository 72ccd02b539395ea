"""Checksums of result files: any changed byte of a variable or an attribute is found on load.

netCDF/HDF5 can checksum data chunks (fletcher32), but not attributes (dt, seed, shape, model,
provenance), and not the small contiguous variables of a short run. So every file nsnn_sim writes
carries SHA-256 digests of its own: one per variable and coordinate (over dtype, shape and bytes),
in that variable's attrs as ``sha256``, and one over all the other attributes of the file and of
every variable (canonical JSON), as the file attribute ``nsnn_sim_attrs_sha256``.
:func:`verify_checksums` recomputes them after reading and raises an ``OSError`` naming the file
and the variable or attribute that differs. Files without digests (written before they existed) load unverified.

Examples
--------
>>> import numpy as np, xarray as xr
>>> from nsnn_sim._core.checksums import add_checksums, verify_checksums
>>> data = add_checksums(xr.Dataset({"x": ("i", np.arange(3))}, attrs={"dt": 0.001}))
>>> verify_checksums(data, "example.nc")
>>> data.attrs["dt"] = 0.002
>>> verify_checksums(data, "example.nc")
Traceback (most recent call last):
...
OSError: example.nc is corrupted: its attributes (dt, seed, model, ...) do not match their checksum
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np
import xarray as xr

from nsnn_sim._core.atomic import refuse_partial

__all__ = ["add_checksums", "verify_checksums", "open_checked", "ATTRS_DIGEST", "VARIABLE_DIGEST"]

ATTRS_DIGEST = "nsnn_sim_attrs_sha256"
VARIABLE_DIGEST = "sha256"


def _variable_digest(values: np.ndarray) -> str:
    array = np.ascontiguousarray(values)
    digest = hashlib.sha256(f"{array.dtype.str}{array.shape}".encode())
    digest.update(array.view(np.uint8) if array.dtype.kind not in "OUS" else str(array.tolist()).encode())
    return digest.hexdigest()


def _plain(value):
    """An attribute as it reads back from netCDF: arrays and lists as lists, numpy scalars as Python ones, and
    a one-element array or list as its element (netCDF stores ``[0.01]`` and ``0.01`` alike)."""
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (list, tuple)):
        value = [_plain(item) for item in value]
        return value[0] if len(value) == 1 else value
    return value


def _attrs_digest(dataset: xr.Dataset) -> str:
    """Digest of the file's attributes and of every variable's attributes (but their own digests)."""
    items = {key: _plain(value) for key, value in dataset.attrs.items() if key != ATTRS_DIGEST}
    for name in sorted(map(str, dataset.variables)):
        items[f"variable {name}"] = {key: _plain(value) for key, value in dataset.variables[name].attrs.items()
                                     if key != VARIABLE_DIGEST}
    return hashlib.sha256(json.dumps(items, sort_keys=True, default=str).encode()).hexdigest()


def add_checksums(dataset: xr.Dataset) -> xr.Dataset:
    """A copy of ``dataset`` with the digests of the module docstring (to write to a file)."""
    dataset = dataset.copy()
    for name in list(dataset.variables):
        variable = dataset[name].variable if name in dataset.data_vars else dataset.coords[name].variable
        attrs = {key: value for key, value in variable.attrs.items() if key != VARIABLE_DIGEST}
        attrs[VARIABLE_DIGEST] = _variable_digest(variable.values)
        if name in dataset.data_vars:
            dataset[name].attrs = attrs
        else:
            dataset.coords[name].attrs = attrs
    dataset.attrs[ATTRS_DIGEST] = _attrs_digest(dataset)
    return dataset


def verify_checksums(dataset: xr.Dataset, path) -> None:
    """``OSError`` naming ``path`` and what differs if a digest of :func:`add_checksums` does not match."""
    if ATTRS_DIGEST not in dataset.attrs:
        return  # a file from before the checksums
    if dataset.attrs[ATTRS_DIGEST] != _attrs_digest(dataset):
        raise OSError(f"{path} is corrupted: its attributes (dt, seed, model, ...) do not match their checksum")
    for name in dataset.variables:
        variable = dataset.variables[name]
        expected = variable.attrs.get(VARIABLE_DIGEST)
        if expected is None:
            raise OSError(f"{path} is corrupted: variable {name!r} has lost its checksum")
        if expected != _variable_digest(variable.values):
            raise OSError(f"{path} is corrupted: variable {name!r} does not match its checksum")


def open_checked(path) -> xr.Dataset:
    """A netCDF file read into memory with its checksums verified (:mod:`nsnn_sim._core.checksums`);
    ``OSError`` naming the file if it is missing, unreadable (truncated, not netCDF), corrupted, or the
    temporary file of an unfinished write (:func:`nsnn_sim._core.atomic.refuse_partial`)."""
    path = Path(path)
    refuse_partial(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: no such file" if not path.exists() else f"{path}: is not a file")
    try:
        # phony_dims="sort": an HDF5 file without netCDF dimensions (not ours) opens as netCDF-C would, silently
        with xr.open_dataset(path, engine="h5netcdf", phony_dims="sort") as dataset:
            dataset = dataset.load()
    except Exception as error:  # noqa: BLE001 - h5py and xarray raise many kinds for a damaged file
        raise OSError(f"{path} is not a readable netCDF-4 file (truncated, damaged, or another format): "
                      f"{type(error).__name__}: {error}") from None
    verify_checksums(dataset, path)
    return dataset
