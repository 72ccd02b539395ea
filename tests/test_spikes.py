import numpy as np
import pytest
import xarray as xr

import nsnn_sim as ns


def _trains():
    # trial, neuron, step given out of order on purpose
    return ns.SpikeTrains(trial=[1, 0, 0, 0, 1], neuron=[0, 1, 1, 0, 0], step=[3, 9, 2, 5, 0],
                          dt=1e-3, n_trials=2, n_neurons=2, n_steps=10)


def test_events_are_kept_in_canonical_order():
    trains = _trains()
    assert list(zip(trains.trial, trains.neuron, trains.step)) == [(0, 0, 5), (0, 1, 2), (0, 1, 9), (1, 0, 0),
                                                                   (1, 0, 3)]
    np.testing.assert_allclose(trains.time, [0.005, 0.002, 0.009, 0.0, 0.003])
    assert trains.duration == pytest.approx(0.01)


def test_counts_rates_and_isi():
    trains = _trains()
    np.testing.assert_array_equal(trains.counts().values, [[1, 2], [2, 0]])
    assert trains.counts().dims == ("trial", "neuron")
    np.testing.assert_allclose(trains.rates().values, [[100.0, 200.0], [200.0, 0.0]])
    assert trains.rates().attrs["units"] == "Hz"
    binned = trains.counts(window=0.005)
    assert binned.dims == ("trial", "neuron", "time")
    np.testing.assert_allclose(binned["time"].values, [0.0, 0.005])
    np.testing.assert_array_equal(binned.values[0], [[0, 1], [1, 1]])
    np.testing.assert_array_equal(binned.values[1], [[2, 0], [0, 0]])
    isi = trains.isi()
    np.testing.assert_allclose(isi.values, [0.007, 0.003])
    np.testing.assert_array_equal(isi["trial"].values, [0, 1])
    np.testing.assert_array_equal(isi["neuron"].values, [1, 0])


def test_binning_is_exact_on_integer_steps():
    # 0.1 ms steps: float binning of k*1e-4 / 1e-3 misplaces some spikes; integer binning never does
    steps = np.arange(0, 100_000)
    trains = ns.SpikeTrains(np.zeros_like(steps), np.zeros_like(steps), steps, dt=1e-4,
                            n_trials=1, n_neurons=1, n_steps=100_000)
    counts = trains.counts(window=1e-3).values.ravel()
    assert counts.size == 10_000 and np.all(counts == 10)


def test_window_validation_and_incomplete_last_window():
    trains = _trains()
    with pytest.raises(ValueError, match="not a whole number of steps"):
        trains.counts(window=0.0015)
    with pytest.raises(ValueError, match="longer than the run"):
        trains.counts(window=0.02)
    with pytest.raises(ValueError, match="window=-1"):
        trains.counts(window=-1)
    with pytest.warns(UserWarning, match="last 1 steps"):
        assert trains.counts(window=0.003).sizes["time"] == 3


def test_empty_trains_count_zero():
    empty = ns.SpikeTrains([], [], [], dt=1e-3, n_trials=2, n_neurons=3, n_steps=5)
    assert len(empty) == 0
    np.testing.assert_array_equal(empty.counts().values, np.zeros((2, 3)))
    assert empty.isi().size == 0


@pytest.mark.parametrize("kwargs, pattern", [
    (dict(trial=[2]), r"trial values must lie in \[0, 2\)"),
    (dict(neuron=[-1]), r"neuron values must lie in \[0, 2\)"),
    (dict(step=[10]), r"step values must lie in \[0, 10\)"),
    (dict(dt=0.0), r"dt=0.0 must be a finite number > 0"),
    (dict(n_steps=0), r"n_steps=0 must be >= 1"),
    (dict(step=[1, 2]), r"equal lengths"),
])
def test_bad_spike_trains_are_rejected(kwargs, pattern):
    arguments = dict(trial=[0], neuron=[0], step=[1], dt=1e-3, n_trials=2, n_neurons=2, n_steps=10)
    arguments.update(kwargs)
    with pytest.raises(ValueError, match=pattern):
        ns.SpikeTrains(**arguments)
    with pytest.raises(TypeError, match="integer"):
        ns.SpikeTrains([0.5], [0], [1], 1e-3, 1, 1, 2)


def test_result_to_xarray_has_named_dims_and_provenance():
    model = ns.LIF(sigma=np.linspace(0.3, 0.5, 5), tau_ref=1e-3, method="euler")
    result = ns.simulate(model, 0.9, n_neurons=5, n_steps=300, n_trials=2, seed=12, record_state=[1, 3])
    dataset = result.to_xarray()
    assert dataset["u"].dims == ("trial", "neuron", "time")  # the axis order of spike counts
    np.testing.assert_array_equal(dataset["neuron"].values, [1, 3])
    assert dataset["time"].attrs["units"] == "s"
    assert dataset.sizes["spike"] == len(result.spikes)
    for key in ("model", "model_json", "seed", "nsnn_sim_version", "inputs", "dt"):
        assert key in dataset.attrs
    assert dataset.attrs["seed"] == 12 and dataset.attrs["model"] == "LIF"
    assert dataset.attrs["model_tau"] == 0.01


def test_netcdf_round_trip_is_lossless(tmp_path):
    model = ns.NSNN(beta=np.linspace(0.1, 0.9, 7), noise="logistic", firing="escape")
    weights = np.random.default_rng(0).normal(0, 0.1, (7, 7))
    result = ns.simulate(model, [0.6, ns.poisson_input(20.0, 0.1, 5)], n_neurons=7, n_steps=400, n_trials=3,
                         seed=2**62 + 5,
                         connections=weights, record_state=[0, 6])
    path = tmp_path / "run.nc"
    result.to_netcdf(path)
    loaded = ns.load(path)
    assert loaded.spikes == result.spikes
    np.testing.assert_array_equal(loaded.state, result.state)
    np.testing.assert_array_equal(loaded.state_neurons, result.state_neurons)
    assert loaded.seed == result.seed
    assert loaded.model.to_dict() == result.model.to_dict()
    assert loaded.inputs_description == result.inputs_description
    assert loaded.connections_description == result.connections_description
    xr.testing.assert_identical(loaded.to_xarray(), result.to_xarray())


def test_netcdf_round_trip_without_state_or_spikes(tmp_path):
    result = ns.simulate(ns.NSNN(noise="none"), 0.0, n_neurons=3, n_steps=10)
    path = tmp_path / "silent.nc"
    result.to_netcdf(path)
    loaded = ns.load(path)
    assert len(loaded.spikes) == 0 and loaded.state is None and loaded.spikes == result.spikes
