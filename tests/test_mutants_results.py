"""SimulationResult's arrays and their Dataset, on a result built by hand (no kernel runs): the time coordinates
are step * dt seconds, the population rate is counts / (n_k dt) by population, and a state of several variables
round-trips through the Dataset column for column."""

import numpy as np

import nsnn_sim as ns
from nsnn_sim.simulator.results import SimulationResult, population_rate, state_array
from nsnn_sim.simulator.state import ExpSynapse

DT = 1e-3


def _result():
    """Two trials of 3 neurons over 4 steps: ``u`` of neurons 0 and 2, ``I_exc`` of neuron 1, and the spike counts
    of two populations (3 neurons and 1)."""
    model = ns.LIF(synapses={"exc": ExpSynapse(2e-3)}, method="euler")
    spikes = ns.SpikeTrains([0, 1, 1], [1, 0, 2], [2, 0, 3], dt=DT, n_trials=2, n_neurons=3, n_steps=4)
    state = np.arange(24.0).reshape(2, 3, 4) / 7.0
    counts = np.array([[[0, 0, 1, 0], [0, 0, 0, 0]], [[1, 0, 0, 1], [0, 0, 0, 1]]], dtype=np.int32)
    return SimulationResult(spikes, state, np.array([0, 2, 1]), model, seed=5, state_variables=("u", "u", "I_exc"),
                            rate_counts=counts, rate_populations=("E", "I"), rate_sizes=np.array([3, 1]))


def test_state_array_time_is_the_step_times_dt():
    array = state_array(np.zeros((1, 2, 3)), [4, 7], 0.5e-3, steps=[0, 5, 10])
    assert array.dims == ("trial", "neuron", "time")
    np.testing.assert_allclose(array["time"].values, [0.0, 2.5e-3, 5e-3], rtol=1e-15)
    assert array["time"].attrs["units"] == "s" and array["neuron"].values.tolist() == [4, 7]


def test_population_rate_is_each_populations_count_over_its_size_times_dt():
    result = _result()
    rate = result.population_rate()
    assert rate.dims == ("population", "trial", "time") and rate["population"].values.tolist() == ["E", "I"]
    for k, size in enumerate((3, 1)):
        np.testing.assert_allclose(rate.values[k], result.rate_counts[:, k] / (size * DT), rtol=1e-15)
    np.testing.assert_allclose(rate["time"].values, np.arange(4) * DT, rtol=1e-15)
    np.testing.assert_array_equal(population_rate(result.rate_counts, ("E", "I"), [3, 1], DT).values, rate.values)


def test_xarray_round_trip_keeps_every_variable_column_and_the_rate_times():
    result = _result()
    dataset = result.to_xarray()
    np.testing.assert_allclose(dataset["rate_time"].values, np.arange(4) * DT, rtol=1e-15)
    np.testing.assert_allclose(dataset["time"].values, np.arange(4) * DT, rtol=1e-15)
    back = SimulationResult.from_xarray(dataset)
    # the columns grouped by variable, as to_xarray writes them: u of neurons 0 and 2, then I_exc of neuron 1
    np.testing.assert_array_equal(back.state, result.state)
    np.testing.assert_array_equal(back.state_neurons, [0, 2, 1])
    assert back.state_variables == ("u", "u", "I_exc") and back.spikes == result.spikes
    np.testing.assert_array_equal(back.rate_counts, result.rate_counts)
