"""Real data sets for the learner: scikit-learn's handwritten digits and the Spiking Heidelberg Digits.

* :func:`digits`: the 1,797 8x8 images of ``sklearn.datasets.load_digits`` (pixel values 0-16, 10
  classes; the data ship inside scikit-learn, nothing is downloaded), scaled to [0, 1] and fed as a
  constant analog input current ``x[b, t, j] = pixel_bj / 16`` for ``n_steps`` steps, as the official
  CIFAR pipeline of Ma, Yan & Tang (2023) feeds analog pixels directly (T = 2-4). The train/test split
  is stratified and seeded: within each class, ``round(test_fraction * n_class)`` images chosen by a
  permutation of ``numpy.random.default_rng(seed)`` form the test set.
* :func:`load_shd`: a file of the Spiking Heidelberg Digits (Cramer, Stradmann, Schemmel & Zenke 2022,
  IEEE TNNLS 33:2744) in its HDF5 layout (``spikes/times`` ragged arrays of spike times in seconds,
  ``spikes/units`` the channels 0..699, ``labels`` 0..19), binned into input spike counts
  ``x[b, t, c] = #{events of sample b on channel c with floor(time / dt) = t}`` for ``t < n_steps``
  (events later than ``n_steps * dt`` are dropped). The files ``shd_train.h5`` and ``shd_test.h5``
  are distributed by the Zenke lab (https://zenkelab.org/datasets/, gzip-compressed); this package
  never downloads them.

Examples
--------
>>> from nsnn_sim import learn
>>> data = learn.digits(n_steps=2)  # 8x8 pixels as a constant input for 2 steps
>>> data.x_train.shape, data.x_test.shape
((1438, 2, 64), (359, 2, 64))
"""

from __future__ import annotations

import os
from typing import NamedTuple

import numpy as np

from nsnn_sim._core.validation import describe, numeric_parameter, seed_value, whole_number
from nsnn_sim.learn.data import RandmanData

__all__ = ["ClassificationData", "digits", "load_shd", "SHD_CHANNELS", "LabelledInputs"]

SHD_CHANNELS = 700
"""Input channels of the Spiking Heidelberg Digits (the cochlea model's 700 fibres)."""


class ClassificationData(RandmanData):  # the same layout (x_*, y_*, attrs); its own repr
    """Train / test inputs ``x_*`` (samples, n_steps, n_inputs), integer labels ``y_*`` and ``attrs``."""

    def __repr__(self) -> str:
        return (f"ClassificationData({self.attrs['name']}: {self.x_train.shape[0]} train / {self.x_test.shape[0]} "
                f"test samples, {self.attrs['n_classes']} classes, {self.attrs['n_inputs']} inputs x "
                f"{self.attrs['n_steps']} steps)")


def digits(n_steps: int = 4, test_fraction: float = 0.2, seed: int = 0) -> ClassificationData:
    """scikit-learn's handwritten digits as constant analog input currents (module docstring).

    Parameters
    ----------
    n_steps : int
        Steps for which each image is presented (the same current at every step).
    test_fraction : float
        Fraction of each class put in the test set, in (0, 1).
    seed : int
        Seed of the split.

    Returns
    -------
    ClassificationData
        ``x_*`` of shape (samples, n_steps, 64) in [0, 1], ``y_*`` labels 0-9.

    Raises
    ------
    ImportError
        scikit-learn is missing (``pip install nsnn_sim[learn]``).
    """
    n_steps = whole_number("n_steps", n_steps)
    test_fraction = float(numeric_parameter("test_fraction", test_fraction, lower=0.0, upper=1.0,
                                            lower_open=True, upper_open=True))
    seed = seed_value(seed)
    try:
        from sklearn.datasets import load_digits
    except ImportError as error:  # pragma: no cover - depends on the install
        raise ImportError("learn.digits needs scikit-learn: pip install 'nsnn_sim[learn]'") from error
    bunch = load_digits()
    images = np.asarray(bunch.data, dtype=np.float64) / 16.0
    labels = np.asarray(bunch.target, dtype=np.int64)
    generator = np.random.default_rng(seed)
    test = np.zeros(labels.size, dtype=bool)
    for label in np.unique(labels):
        members = np.flatnonzero(labels == label)
        test[generator.permutation(members)[:int(round(test_fraction * members.size))]] = True
    train_order = generator.permutation(np.flatnonzero(~test))
    test_order = np.flatnonzero(test)
    present = lambda rows: np.repeat(images[rows][:, None, :], n_steps, axis=1)  # noqa: E731
    attrs = {"name": "sklearn digits", "n_classes": 10, "n_inputs": images.shape[1], "n_steps": n_steps,
             "test_fraction": test_fraction, "seed": seed, "input_scale": "pixel / 16"}
    return ClassificationData(present(train_order), labels[train_order], present(test_order), labels[test_order],
                              attrs)


def _ragged(group, name: str, path) -> list:
    if name not in group:
        raise ValueError(f"{path!s} has no dataset {name!r}; the SHD layout is spikes/times, spikes/units, labels")
    return list(group[name][()])


class LabelledInputs(NamedTuple):
    """What :func:`load_shd` returns (a named tuple: ``inputs, labels = load_shd(...)`` unpacks it)."""

    inputs: np.ndarray  #: ``(n_samples, n_steps, n_channels)`` float64 input spike counts
    labels: np.ndarray  #: ``(n_samples,)`` int64 class labels


def load_shd(path, n_steps: int, dt: float, n_channels: int = SHD_CHANNELS, binary: bool = False,
             limit: int | None = None) -> LabelledInputs:
    """Bin a Spiking Heidelberg Digits HDF5 file into input spike counts (module docstring).

    Parameters
    ----------
    path : str or path-like
        ``shd_train.h5`` or ``shd_test.h5`` (uncompressed), or any file in that layout.
    n_steps : int
        Number of time bins kept.
    dt : float
        Bin width in seconds (> 0); bin ``t`` is ``[t dt, (t + 1) dt)``.
    n_channels : int
        Input channels (700 in SHD); a unit outside ``[0, n_channels)`` is an error.
    binary : bool
        Clip the counts to 0/1 (a spike or none per bin and channel).
    limit : int, optional
        Read only the first ``limit`` samples.

    Returns
    -------
    LabelledInputs
        ``inputs`` ``(n_samples, n_steps, n_channels)`` float64 and ``labels`` ``(n_samples,)`` int64.

    Raises
    ------
    ValueError
        A missing file or dataset, times and units of different lengths, a negative time, a unit
        out of range; bad ``n_steps``, ``dt``, ``n_channels`` or ``limit``.
    """
    import h5py

    n_steps = whole_number("n_steps", n_steps)
    dt = float(numeric_parameter("dt", dt, lower=0.0, lower_open=True))
    n_channels = whole_number("n_channels", n_channels)
    if not isinstance(binary, (bool, np.bool_)):
        raise TypeError(f"binary must be True or False, got {describe(binary)}")
    limit = None if limit is None else whole_number("limit", limit)
    if not os.path.isfile(path):
        raise ValueError(f"path={path!s} is not a file (SHD files: https://zenkelab.org/datasets/)")
    try:
        handle = h5py.File(path, "r")
    except OSError as error:  # h5py's message does not name the file
        raise OSError(f"{path!s} is not a readable HDF5 file (the SHD layout): {error}") from None
    with handle:
        if "spikes" not in handle or "labels" not in handle:
            raise ValueError(f"{path!s} lacks 'spikes' or 'labels'; the SHD layout is spikes/times, spikes/units, "
                             "labels")
        times = _ragged(handle["spikes"], "times", path)
        units = _ragged(handle["spikes"], "units", path)
        labels = np.asarray(handle["labels"][()], dtype=np.int64)
    if not len(times) == len(units) == labels.size:
        raise ValueError(f"{path!s}: {len(times)} spike-time arrays, {len(units)} unit arrays and {labels.size} "
                         "labels; expected one of each per sample")
    n_samples = labels.size if limit is None else min(limit, labels.size)
    inputs = np.zeros((n_samples, n_steps, n_channels))
    for sample in range(n_samples):
        sample_times = np.asarray(times[sample], dtype=np.float64)
        sample_units = np.asarray(units[sample], dtype=np.int64)
        if sample_times.shape != sample_units.shape:
            raise ValueError(f"{path!s}: sample {sample} has {sample_times.size} times and {sample_units.size} units")
        if np.any(sample_times < 0) or not np.all(np.isfinite(sample_times)):
            raise ValueError(f"{path!s}: sample {sample} has a negative or non-finite spike time")
        if np.any((sample_units < 0) | (sample_units >= n_channels)):
            raise ValueError(f"{path!s}: sample {sample} has a unit outside [0, {n_channels})")
        steps = np.floor(sample_times / dt).astype(np.int64)
        kept = steps < n_steps
        np.add.at(inputs[sample], (steps[kept], sample_units[kept]), 1.0)
    if binary:
        np.minimum(inputs, 1.0, out=inputs)
    return LabelledInputs(inputs, labels[:n_samples])
