"""Recording in the kernels (nsnn_sim.simulator.recording): any state variable of chosen neurons every k steps,
spike counts per population and step without a spike list, the spikes of chosen neurons only. Every check is
exact: the kernels' counts against the recorded spikes, the subsampled state against the full recording, every
variable against the plain-Python transcription, for each kernel (delta neurons alone and connected, neurons with
more state alone and connected)."""

import numpy as np
import pytest

import nsnn_sim as ns
from nsnn_sim.simulator.state import Adaptation, AlphaSynapse, ExpSynapse, MovingThreshold

from reference_model import simulate_nsnn_state_reference, simulate_state_reference

N, STEPS, TRIALS = 12, 240, 3
GROUPS = {"a": np.arange(0, 5), "b": np.array([11, 5, 7]), "c": np.array([6, 8, 9, 10])}  # neuron 4 in none
WITH_STATE = ns.LIF(sigma=0.3, dt=2e-4, method="exact", tau_ref=6e-4,
                    synapses={"exc": ExpSynapse(2e-3, 0.2), "inh": AlphaSynapse(4e-3)},
                    adaptation=Adaptation(0.05, 0.5, 0.1), moving_threshold=MovingThreshold(0.02, 0.2))
DELTA = ns.LIF(sigma=0.4, dt=2e-4, tau_ref=4e-4, method="euler")
MODELS = {"delta": DELTA, "with state": WITH_STATE}


def _inputs(model):
    return [1.0, *(ns.poisson_input(600.0, 0.05, 10, receptor=name) for name in model.receptors)]


def _connections(model):
    rng = np.random.default_rng(3)
    weights = np.where(rng.random((N, N)) < 0.4, rng.normal(0.05, 0.2, (N, N)), 0.0)
    return ns.connect(weights, rng.integers(1, 4, size=(N, N)) * model.dt, receptor=model.receptors[-1])


def _run(model, connected, n_threads=None, **recording):
    return ns.simulate(model, _inputs(model), n_neurons=N, n_steps=STEPS, n_trials=TRIALS, seed=11,
                       connections=_connections(model) if connected else None, n_threads=n_threads, **recording)


def _counts_of(spikes, groups):
    """(trial, group, step) spike counts of the spike list."""
    counts = np.zeros((spikes.n_trials, len(groups), spikes.n_steps), dtype=np.int64)
    for index, neurons in enumerate(groups.values()):
        mine = np.isin(spikes.neuron, neurons)
        np.add.at(counts, (spikes.trial[mine], index, spikes.step[mine]), 1)
    return counts


CASES = [(name, connected) for name in MODELS for connected in (False, True)]
IDS = [f"{name}, {'connected' if connected else 'alone'}" for name, connected in CASES]


@pytest.mark.parametrize("name, connected", CASES, ids=IDS)
def test_the_kernels_rate_counts_equal_the_recorded_spikes_and_dropping_spikes_changes_nothing_else(name, connected):
    model = MODELS[name]
    full = _run(model, connected, n_threads=2, record_rate=GROUPS, record_state=[0, 6])  # the thread pool's sums
    assert len(full.spikes) > 200 and full.spike_neurons is None
    np.testing.assert_array_equal(full.rate_counts, _counts_of(full.spikes, GROUPS))  # exact, per trial and step
    rate = full.population_rate()
    assert rate.dims == ("population", "trial", "time") and list(rate["population"].values) == ["a", "b", "c"]
    np.testing.assert_array_equal(rate.values, np.transpose(full.rate_counts, (1, 0, 2)) / (
        np.array([5, 3, 4])[:, None, None] * model.dt))
    kept = np.array([9, 2, 4])
    some = _run(model, connected, n_threads=1, record_rate=GROUPS, record_state=[0, 6], record_spikes=kept)
    none = _run(model, connected, record_rate=GROUPS, record_state=[0, 6], record_spikes=False)
    mine = np.isin(full.spikes.neuron, kept)
    assert some.spikes == ns.SpikeTrains(full.spikes.trial[mine], full.spikes.neuron[mine], full.spikes.step[mine],
                                         model.dt, TRIALS, N, STEPS)
    assert some.spike_neurons.tolist() == [2, 4, 9] and len(none.spikes) == 0 and none.spike_neurons.size == 0
    for run in (some, none):  # the counts and the state are those of the run that kept every spike
        np.testing.assert_array_equal(run.rate_counts, full.rate_counts)
        np.testing.assert_array_equal(run.state, full.state)


@pytest.mark.parametrize("name, connected", CASES, ids=IDS)
def test_the_state_every_k_steps_is_every_kth_value_of_the_full_recording_for_every_variable(name, connected):
    model = MODELS[name]
    record = {variable: [3, 0, 7][:1 + index % 3] for index, variable in enumerate(model.state_variables)}
    full = _run(model, connected, record_state=record)
    assert full.state.shape == (TRIALS, sum(len(v) for v in record.values()), STEPS)
    for k in (1, 7, STEPS - 1, STEPS + 5):
        every = _run(model, connected, record_state=record, state_every=k)
        assert every.spikes == full.spikes and every.state_every == k
        assert every.state.shape[2] == -(-STEPS // k)
        np.testing.assert_array_equal(every.state, full.state[:, :, ::k])  # bit for bit
        for variable in record:
            array = every.variable(variable)
            assert array["neuron"].values.tolist() == record[variable]
            np.testing.assert_array_equal(array.values, full.variable(variable).values[:, :, ::k])
            assert np.allclose(array["time"].values, np.arange(0, STEPS, k) * model.dt, rtol=1e-15, atol=0)


def test_nothing_named_records_nothing():
    result = ns.simulate(ns.LIF(method="euler"), 1.2, n_neurons=3, n_steps=50, record_state={})
    assert result.state is None and result.state_variables == () and result.state_neurons.size == 0
    assert result.rate_counts is None and result.rate_sizes.size == 0


def test_an_array_of_neurons_records_u_at_every_step_as_before():
    as_array = _run(WITH_STATE, True, record_state=[5, 1])
    as_dict = _run(WITH_STATE, True, record_state={"u": [5, 1]})
    assert as_array.state_variables == ("u", "u") and as_array.state_neurons.tolist() == [5, 1]
    np.testing.assert_array_equal(as_array.state, as_dict.state)
    assert as_array.to_xarray()["u"].dims == ("trial", "neuron", "time")


@pytest.mark.parametrize("connected", [False, True], ids=["alone", "connected"])
def test_every_recorded_variable_equals_the_transcription_step_for_step(connected):
    model = ns.LIF(sigma=0.3, dt=2e-4, method="exact", tau_ref=6e-4, reset="subtract",
                   tau=np.linspace(8e-3, 14e-3, 6),
                   synapses={"exc": ExpSynapse(np.linspace(1e-3, 4e-3, 6), 0.2), "inh": AlphaSynapse(5e-3)},
                   adaptation=(Adaptation(0.05, np.linspace(0.0, 1.0, 6), 0.1), Adaptation(0.01, 0.0, 0.05)),
                   moving_threshold=MovingThreshold(0.02, np.linspace(0.05, 0.3, 6)))
    n, steps, trials = 6, 250, 2
    rng = np.random.default_rng(5)
    current = 0.9 + 0.3 * np.sin(np.arange(steps) / 9.0)[None, :, None] * np.ones((trials, 1, n))
    groups = [(10, 700.0, rng.uniform(0.02, 0.08, n), r) for r in range(len(model.receptors))]
    inputs = [current] + [ns.poisson_input(rate, w, k, receptor=model.receptors[r]) for k, rate, w, r in groups]
    weights = np.where(rng.random((n, n)) < 0.5, rng.normal(0.1, 0.3, (n, n)), 0.0) if connected else None
    delays = rng.integers(1, 5, size=(n, n))
    result = ns.simulate(model, inputs, n_neurons=n, n_steps=steps, n_trials=trials, seed=7,
                         connections=ns.connect(weights, delays * model.dt, receptor="inh") if connected else None,
                         record_state={name: np.arange(n) for name in model.state_variables}, state_every=3)
    spikes, _, variables = simulate_state_reference(model, current, n, steps, trials, 7, poisson=groups,
                                                    weights=weights, delays=delays, synapse_receptor=2,
                                                    every_variable=True)
    assert len(spikes) > 40
    assert model.state_variables == ("u", "I_exc", "y_inh", "I_inh", "w_0", "w_1", "q_0")
    for index, name in enumerate(model.state_variables):
        expected = np.swapaxes(variables[:, ::3, :, index], 1, 2)  # the transcription's (trial, step, neuron)
        assert np.ptp(expected) > 0.01, name  # each variable moves
        np.testing.assert_allclose(result.variable(name).values, expected, rtol=0, atol=1e-9, err_msg=name)


def test_an_nsnn_records_its_traces_and_threshold_as_the_transcription():
    model = ns.NSNN(noise="logistic", noise_scale=0.3, synapses={"exc": np.linspace(0.3, 0.9, 5), "inh": 0.6},
                    threshold_decay=0.9, threshold_jump=0.3)
    current = 0.3 + 0.2 * np.sin(np.arange(200) / 9.0)[None, :, None] * np.ones((2, 1, 5))
    groups = [(5, 100.0, 0.3, r) for r in range(len(model.receptors))]
    inputs = [current] + [ns.poisson_input(rate, w, k, receptor=model.receptors[r]) for k, rate, w, r in groups]
    result = ns.simulate(model, inputs, n_neurons=5, n_steps=200, n_trials=2, seed=3,
                         record_state={name: [4, 0, 2] for name in model.state_variables}, state_every=4)
    _, _, variables = simulate_nsnn_state_reference(model, current, 5, 200, 2, 3, poisson=groups,
                                                    every_variable=True)
    assert model.state_variables == ("u", "I_exc", "I_inh", "q_0")
    for index, name in enumerate(model.state_variables):
        np.testing.assert_allclose(result.variable(name).values, np.swapaxes(variables[:, ::4, [4, 0, 2], index], 1, 2),
                                   rtol=0,
                                   atol=1e-9, err_msg=name)


@pytest.mark.parametrize("name", MODELS)
def test_each_trial_records_the_same_whatever_trials_run_beside_it(name):
    model = MODELS[name]
    recording = dict(record_state={"u": [2, 8]}, state_every=5, record_rate=GROUPS, record_spikes=[8])
    together = _run(model, True, **recording)
    alone = ns.simulate(model, _inputs(model), n_neurons=N, n_steps=STEPS, n_trials=1, seed=11,
                        connections=_connections(model), **recording)
    np.testing.assert_array_equal(alone.rate_counts[0], together.rate_counts[0])
    np.testing.assert_array_equal(alone.state[0], together.state[0])
    assert alone.spikes.trial.size == np.sum(together.spikes.trial == 0)


def test_the_recording_round_trips_through_its_file(tmp_path):
    result = _run(WITH_STATE, True, record_state={"u": [3, 1], "I_exc": [1], "q_0": [0, 3, 5]}, state_every=4,
                  record_rate={"a": [0, 1], "b": [2]}, record_spikes=[1, 2])
    dataset = result.to_xarray()
    assert dataset["I_exc"].dims == ("trial", "neuron", "time")
    assert dataset["I_exc"].attrs["recorded_neurons"].tolist() == [1]
    result.to_netcdf(tmp_path / "run.nc")
    again = ns.load(tmp_path / "run.nc")
    for field in ("state", "state_neurons", "spike_neurons", "rate_counts", "rate_sizes"):
        np.testing.assert_array_equal(getattr(again, field), getattr(result, field), err_msg=field)
    assert again.state_variables == result.state_variables and again.state_every == 4
    assert again.rate_populations == ("a", "b") and again.spikes == result.spikes


def test_a_network_records_variables_and_rates_in_the_kernels():
    synapses = {"exc": ExpSynapse(2e-3), "inh": ExpSynapse(5e-3)}
    network = ns.Network(seed=3)
    network.add("E", ns.LIF(tau=20e-3, sigma=0.3, dt=2e-4, synapses=synapses, method="euler"), 30, inputs=1.05)
    network.add("I", ns.LIF(tau=10e-3, sigma=0.3, dt=2e-4, synapses=synapses, method="euler"), 10, inputs=0.9)
    network.connect("E", "I", ns.pairwise_bernoulli(0.3), weight=0.2, delay=4e-4, receptor="exc")
    network.connect("I", "E", ns.fixed_indegree(4), weight=-0.3, delay=6e-4, receptor="inh")
    full = network.simulate(n_steps=300, n_trials=2, seed=4, record_state={"E": {"u": [0, 4], "I_inh": [4]},
                                                                            "I": [1]})
    rates_only = network.simulate(n_steps=300, n_trials=2, seed=4, record_spikes=False,
                                  record_state={"E": {"I_inh": [4]}}, state_every=6)
    assert len(rates_only.spikes) == 0 and rates_only.result.rate_counts is not None
    np.testing.assert_array_equal(rates_only.population_rate().values, full.population_rate().values)
    counts = _counts_of(full.spikes, {"E": np.arange(30), "I": np.arange(30, 40)})
    np.testing.assert_array_equal(full.spike_counts, np.transpose(counts, (1, 0, 2)))
    assert full.state("E", "I_inh")["neuron"].values.tolist() == [4]
    np.testing.assert_array_equal(rates_only.state("E", "I_inh").values, full.state("E", "I_inh").values[:, :, ::6])
    assert full.state("I").shape == (2, 1, 300) and full.state("E").shape == (2, 2, 300)
    with pytest.raises(ValueError, match="no 'I_exc' was recorded"):
        full.state("E", "I_exc")


def _forbid_kernels(monkeypatch):
    def forbidden(*args, **kwargs):
        raise AssertionError("a kernel ran")

    for kernel in ("_run_block", "_run_connected", "_run_state"):
        monkeypatch.setattr(ns.simulator.engine, kernel, forbidden)


@pytest.mark.parametrize("arguments, error, match", [
    (dict(record_state={"I_gaba": [0]}), ValueError, r"record_state: variable 'I_gaba' is not one of the model's"),
    (dict(record_state={"w_0": [0]}), ValueError, r"variables \('u', 'I_syn'\)"),
    (dict(record_state={"u": [12]}), ValueError, r"record_state\['u'\] indices must lie in \[0, 12\)"),
    (dict(record_state={"u": [1, 1]}), ValueError, r"record_state\['u'\] indices must be unique"),
    (dict(record_state={"u": [0.5]}), TypeError, r"record_state\['u'\] must be a 1-D array of integer"),
    (dict(record_state=[0], state_every=0), ValueError, r"state_every=0 must be >= 1"),
    (dict(record_state=[0], state_every=1.5), TypeError, r"state_every must be an integer"),
    (dict(record_spikes=[-1]), ValueError, r"record_spikes indices must lie in \[0, 12\)"),
    (dict(record_spikes=None), TypeError, r"record_spikes must be True, False or an array"),
    (dict(record_spikes="all"), TypeError, r"record_spikes must be an array of neuron indices"),
    (dict(record_rate={"a": [0, 1], "b": [1]}), ValueError, r"record_rate\['b'\]: neuron 1 is already in population"),
    (dict(record_rate={"a": []}), ValueError, r"record_rate\['a'\] is empty"),
    (dict(record_rate={"a": [12]}), ValueError, r"record_rate\['a'\] indices must lie in \[0, 12\)"),
    (dict(record_rate=[0, 1]), TypeError, r"record_rate must be True or a non-empty dict"),
], ids=lambda value: None)
def test_bad_recordings_raise_naming_the_parameter_before_any_kernel_runs(monkeypatch, arguments, error, match):
    _forbid_kernels(monkeypatch)
    with pytest.raises(error, match=match):
        ns.simulate(ns.LIF(tau_syn=2e-3, method="euler"), 0.9, n_neurons=N, n_steps=10, **arguments)


@pytest.mark.parametrize("arguments, match", [
    (dict(record_state={"X": [0]}), r"record_state='X' is not one of the network's populations"),
    (dict(record_state={"E": {"I_x": [0]}}), r"record_state\['E'\]\['I_x'\]: variable 'I_x' is not one of the"),
    (dict(record_state={"E": {"u": [4]}}), r"record_state\['E'\]\['u'\] indices must lie in \[0, 4\)"),
    (dict(record_spikes=["X"]), r"record_spikes='X'"),
    (dict(state_every=-2), r"state_every=-2"),
])
def test_bad_network_recordings_raise_naming_the_parameter_before_any_kernel_runs(monkeypatch, arguments, match):
    _forbid_kernels(monkeypatch)
    network = ns.Network().add("E", ns.LIF(method="euler"), 4).add("I", ns.LIF(method="euler"), 2)
    with pytest.raises(ValueError, match=match):
        network.simulate(n_steps=5, **arguments)
