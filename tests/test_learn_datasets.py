"""Real data for the learner: scikit-learn's digits (scaling, constant presentation, seeded stratified
split) and load_shd (the SHD HDF5 layout round-trips: the binned tensor is the histogram of the events)."""

from __future__ import annotations

import h5py
import numpy as np
import pytest

from nsnn_sim import learn


def test_digits_are_the_sklearn_images_scaled_and_presented_constantly_with_a_seeded_stratified_split():
    sklearn_datasets = pytest.importorskip("sklearn.datasets")  # the learn extra; installed by make
    bunch = sklearn_datasets.load_digits()
    data = learn.digits(n_steps=3, test_fraction=0.2, seed=4)
    assert data.x_train.shape[1:] == (3, 64) and data.x_test.shape[1:] == (3, 64)
    assert data.x_train.shape[0] + data.x_test.shape[0] == 1797
    assert np.all(data.x_train == data.x_train[:, :1]) and np.all(data.x_test == data.x_test[:, :1])
    assert data.x_train.min() == 0.0 and data.x_train.max() == 1.0
    # every sample is one of sklearn's images / 16 with its label, and train and test are disjoint
    images = {tuple(row): label for row, label in zip(bunch.data / 16.0, bunch.target)}
    for x, y in ((data.x_train, data.y_train), (data.x_test, data.y_test)):
        assert all(images[tuple(row)] == label for row, label in zip(x[:, 0], y))
    counts = np.bincount(bunch.target, minlength=10)
    assert np.array_equal(np.bincount(data.y_test, minlength=10), np.round(0.2 * counts).astype(int))
    again, other = learn.digits(n_steps=3, seed=4), learn.digits(n_steps=3, seed=5)
    assert np.array_equal(again.x_test, data.x_test) and np.array_equal(again.y_train, data.y_train)
    assert not np.array_equal(other.y_train, data.y_train)
    with pytest.raises(ValueError, match="test_fraction"):
        learn.digits(test_fraction=1.0)


def _write_shd(path, times, units, labels):
    """A file in exactly the SHD layout: ragged float times (s) and uint16 units, uint8 labels."""
    ragged = lambda arrays, dtype: np.array([None] + [np.asarray(a, dtype) for a in arrays], object)[1:]  # noqa: E731
    with h5py.File(path, "w") as handle:
        spikes = handle.create_group("spikes")
        spikes.create_dataset("times", data=ragged(times, np.float16), dtype=h5py.vlen_dtype(np.float16))
        spikes.create_dataset("units", data=ragged(units, np.uint16), dtype=h5py.vlen_dtype(np.uint16))
        handle.create_dataset("labels", data=np.asarray(labels, dtype=np.uint8))


def test_digits_attrs_state_the_ten_classes_and_the_inputs():
    data = learn.digits(n_steps=2, seed=1)
    assert data.attrs["n_classes"] == 10 == np.unique(np.concatenate([data.y_train, data.y_test])).size
    assert data.attrs["n_inputs"] == 64 == data.x_train.shape[2] and data.attrs["n_steps"] == 2


def test_load_shd_round_trips_a_file_in_the_shd_layout(tmp_path):
    generator = np.random.default_rng(0)
    n_samples, n_steps, dt = 6, 40, 0.025
    times, units = [], []
    for _ in range(n_samples):
        n_events = int(generator.integers(50, 400))
        # times away from the bin edges, some beyond the last bin (n_steps * dt = 1 s) to be dropped
        bins = generator.integers(0, n_steps + 5, n_events)
        times.append((bins + generator.uniform(0.1, 0.9, n_events)) * dt)
        units.append(generator.integers(0, learn.datasets.SHD_CHANNELS, n_events))
    labels = generator.integers(0, 20, n_samples)
    path = tmp_path / "shd_small.h5"
    _write_shd(path, times, units, labels)
    inputs, read_labels = learn.load_shd(path, n_steps=n_steps, dt=dt)
    assert inputs.shape == (n_samples, n_steps, 700) and np.array_equal(read_labels, labels)
    with h5py.File(path, "r") as handle:  # the events as stored (float16 times)
        stored = list(handle["spikes/times"][()])
    edges = (np.arange(n_steps + 1) * dt, np.arange(701) - 0.5)
    for sample in range(n_samples):
        direct, _, _ = np.histogram2d(np.asarray(stored[sample], dtype=np.float64), units[sample], bins=edges)
        assert np.array_equal(inputs[sample], direct)
        kept = np.asarray(stored[sample], dtype=np.float64) < n_steps * dt
        assert inputs[sample].sum() == kept.sum() and kept.sum() < len(times[sample])  # some were dropped
    binary, _ = learn.load_shd(path, n_steps=n_steps, dt=dt, binary=True, limit=2)
    assert binary.shape[0] == 2 and np.array_equal(binary, np.minimum(inputs[:2], 1.0))
    assert inputs.max() > 1.0  # the counts were not clipped by default


def test_load_shd_rejects_bad_files_and_arguments(tmp_path):
    with pytest.raises(ValueError, match="not a file"):
        learn.load_shd(tmp_path / "missing.h5", n_steps=10, dt=0.01)
    path = tmp_path / "bad.h5"
    _write_shd(path, [np.array([0.1])], [np.array([700])], [1])
    with pytest.raises(ValueError, match="outside"):
        learn.load_shd(path, n_steps=10, dt=0.01)
    with pytest.raises(ValueError, match="dt"):
        learn.load_shd(path, n_steps=10, dt=0.0)
    with h5py.File(tmp_path / "empty.h5", "w") as handle:
        handle.create_dataset("labels", data=np.zeros(1, dtype=np.uint8))
    with pytest.raises(ValueError, match="spikes"):
        learn.load_shd(tmp_path / "empty.h5", n_steps=10, dt=0.01)


def test_randman_spike_steps_are_the_scaled_manifold_values_times_step_fraction_times_n_steps(monkeypatch):
    """Each channel's manifold values, scaled to [0, 1] over a class's samples, give the step
    ``min(int(value * step_fraction * n_steps), ceil(step_fraction n_steps) - 1)``: with the manifold replaced by
    known values (0, 1/29, ..., 1 for every channel) the steps of each class are exactly those."""
    from nsnn_sim import learn
    from nsnn_sim.learn import data as data_module

    values = np.linspace(0.0, 1.0, 30)
    monkeypatch.setattr(data_module, "_evaluate_manifold",
                        lambda coefficients, points, alpha: 5.0 + 2.0 * values[:, None] * np.ones((1, 4)))
    data = learn.randman(n_classes=3, n_inputs=4, n_steps=50, n_train=20, n_test=10, step_fraction=0.8, seed=2)
    x = np.concatenate([data.x_train, data.x_test])
    y = np.concatenate([data.y_train, data.y_test])
    assert np.all(x.sum(axis=1) == 1)  # one spike per sample and channel
    expected = np.minimum((values * 0.8 * 50).astype(np.int64), 39)  # ceil(0.8 * 50) - 1
    steps = x.argmax(axis=1)
    for label in range(3):
        for channel in range(4):
            np.testing.assert_array_equal(np.sort(steps[y == label, channel]), expected)
