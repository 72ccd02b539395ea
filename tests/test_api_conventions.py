"""One API convention (issue 30): delays in seconds with units, one axis order for what a run records, result
objects instead of dicts and tuples, and (model, inputs, observations) argument order across learn and fit.

Every check is exact; the simulations are a few neurons for a few hundred steps (the recurrent kernel's compile,
shared with test_engine, dominates the time)."""

import importlib
import inspect
import warnings

import brian2 as b2
import numpy as np
import pytest
import quantities as pq
import scipy.sparse as sp

import nsnn_sim as ns
from nsnn_sim import fit, learn, theory
from nsnn_sim._core.units import UnitError, UnitWarning
from nsnn_sim.analysis import spectral, stats
from nsnn_sim.simulator.results import STATE_DIMS, SimulationResult
from nsnn_sim.simulator.state import Adaptation, MovingThreshold

N, STEPS = 12, 400
_RNG = np.random.default_rng(21)
WEIGHTS = np.where(_RNG.random((N, N)) < 0.4, _RNG.normal(0.15, 0.3, (N, N)), 0.0)
DELAY_STEPS = _RNG.integers(1, 6, (N, N))  # 1-5 steps per synapse
LIF = ns.LIF(sigma=0.3, tau_ref=5e-4, dt=1e-4)


def _spikes(connections, model=LIF):
    return ns.simulate(model, 0.95, n_neurons=N, n_steps=STEPS, n_trials=2, seed=5, connections=connections).spikes


# ------------------------------------------------------------------ delays in seconds, units accepted
def test_delays_in_seconds_with_units_give_the_spikes_of_the_same_delays_in_steps():
    """A delay of k steps is k*dt seconds, however it is written: plain seconds, Brian2 and quantities values,
    dense or sparse per-synapse arrays, compile to the same integer steps and run to the same spikes."""
    seconds = DELAY_STEPS * LIF.dt
    forms = {"plain seconds": ns.connect(WEIGHTS, seconds),
             "brian2 ms": ns.connect(WEIGHTS, DELAY_STEPS * 0.1 * b2.ms),
             "quantities us": ns.connect(WEIGHTS, DELAY_STEPS * 100.0 * pq.us),
             "sparse seconds": ns.connect(sp.csr_matrix(WEIGHTS), sp.csr_matrix(seconds * (WEIGHTS != 0)))}
    reference = forms["plain seconds"].compile(N, LIF.dt)
    synapse_pre = np.repeat(np.arange(N), np.diff(reference.indptr))
    np.testing.assert_array_equal(reference.delay, DELAY_STEPS[reference.post, synapse_pre])  # the very steps
    expected = _spikes(forms["plain seconds"])
    assert len(expected) > 50
    for name, connections in forms.items():
        np.testing.assert_array_equal(connections.compile(N, LIF.dt).delay, reference.delay, err_msg=name)
        assert _spikes(connections) == expected, name


def test_the_default_delay_is_one_step_of_the_models_dt():
    """connect(W) (and a bare matrix) is a delay of one step, dt seconds, whatever dt is."""
    one_step = _spikes(ns.connect(WEIGHTS, LIF.dt))
    assert _spikes(ns.connect(WEIGHTS)) == one_step == _spikes(WEIGHTS)
    assert ns.connect(WEIGHTS).compile(N, 1e-3).max_delay == 1 == ns.connect(WEIGHTS).compile(N, 1e-4).max_delay


def test_a_spike_arrives_delay_over_dt_steps_later_and_the_steps_follow_the_models_dt():
    current = np.zeros((20, 2))
    current[5, 0] = 2.0  # neuron 0 fires at step 5 only
    model = ns.NSNN(beta=0.0, noise="none")  # dt = 1 ms; u = input of the step
    connections = ns.connect(np.array([[0.0, 0.0], [0.7, 0.0]]), delay=3 * b2.ms)
    result = ns.simulate(model, current, n_neurons=2, n_steps=20, connections=connections, record_state=[1])
    u1 = result.state[0, 0]
    assert np.flatnonzero(u1).tolist() == [8] and u1[8] == 0.7  # step 5 + 3 ms / 1 ms
    assert connections.compile(2, 1e-4).max_delay == 30  # the same Connections on a 0.1 ms grid: 30 steps


def test_connections_from_synapses_keep_their_steps_and_convert_on_another_grid():
    """``Connections.from_synapses`` (how a Network stores its projections) holds delays in steps of its dt: compiled
    on that grid they are those steps, on a grid twice as fine twice as many."""
    connections = ns.Connections.from_synapses((2, 2), np.array([1, 0]), np.array([0, 1]), np.array([0.7, -0.2]),
                                               np.array([3, 5]), 1e-4)
    np.testing.assert_allclose(connections.delay, [3e-4, 5e-4], rtol=1e-15)  # seconds, by presynaptic neuron
    on_its_grid = connections.compile(2, 1e-4)
    assert on_its_grid.delay.tolist() == [3, 5] and on_its_grid.post.tolist() == [1, 0]
    assert connections.compile(2, 5e-5).delay.tolist() == [6, 10]


def test_an_off_grid_delay_is_refused_naming_the_value_and_the_nearest_whole_steps():
    with pytest.raises(ValueError, match=r"delay=0.00025 s is not a whole number of steps of dt=0.0001 s; the "
                                         r"nearest whole-step value is 0.0002 s"):
        _spikes(ns.connect(WEIGHTS, 2.5e-4))
    per_synapse = DELAY_STEPS * LIF.dt
    per_synapse[tuple(np.argwhere(WEIGHTS != 0)[3])] = 3.3e-4  # one synapse off the grid: named, not the range
    with pytest.raises(ValueError, match=r"delay=0.00033 s is not a whole number of steps"):
        ns.connect(WEIGHTS, per_synapse).compile(N, LIF.dt)
    with pytest.raises(ValueError, match=r"delay=5e-05 s is shorter than one step dt=0.0001 s"):
        ns.connect(WEIGHTS, 0.5e-4).compile(N, LIF.dt)


def test_a_plain_delay_of_a_second_or_more_warns_and_plausible_or_unit_delays_do_not():
    with pytest.warns(UnitWarning, match=r"delay=2.0 is read as seconds \(2 s\); if you meant milliseconds, write "
                                         r"2e-3 or 2\*ms; a delay of k steps is k\*dt seconds"):
        ns.connect(WEIGHTS, 2)
    with pytest.warns(UnitWarning, match=r"delay=1.0 is read as seconds"):  # from one second on
        ns.connect(WEIGHTS, 1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ns.connect(WEIGHTS, 2e-3)
        ns.connect(WEIGHTS, 0.999)
        ns.connect(WEIGHTS, 2 * b2.second)  # a time with units is taken as given
        ns.connect(WEIGHTS)


def test_a_delay_of_another_dimension_is_refused():
    with pytest.raises(UnitError, match=r"delay=2\.? mV has units of voltage; delay takes a time in seconds"):
        ns.connect(WEIGHTS, 2 * b2.mV)


# ------------------------------------------------------------------ one axis order: (trial, neuron, time)
def _recorded_run():
    """NSNN with beta 0 and no noise below threshold: u at step t is the input of step t, so every recorded value
    names its neuron and step."""
    inputs = np.arange(30)[:, None] * 0.01 + np.arange(4)[None, :] * 0.001  # (n_steps, n_neurons), all < 1
    model = ns.NSNN(beta=0.0, noise="none")
    return inputs, ns.simulate(model, inputs, n_neurons=4, n_steps=30, n_trials=2, record_state=[3, 1])


def test_recorded_state_has_the_axis_order_of_spike_counts():
    inputs, result = _recorded_run()
    assert result.state.shape == (2, 2, 30)  # (trial, recorded neuron, step)
    np.testing.assert_array_equal(result.state[1, 0], inputs[:, 3])  # neuron 3's whole trace in trial 1
    np.testing.assert_array_equal(result.state[0, 1], inputs[:, 1])
    u = result.to_xarray()["u"]
    counts = result.spikes.counts(window=1e-3)
    assert u.dims == counts.dims == STATE_DIMS == ("trial", "neuron", "time")
    assert u["neuron"].values.tolist() == [3, 1]
    np.testing.assert_array_equal(u["time"].values, counts["time"].values)  # the same time coordinate


def test_a_networks_recorded_state_has_the_same_axis_order():
    network = ns.Network().add("E", ns.NSNN(beta=0.0, noise="none"), 3).add("I", ns.NSNN(beta=0.0, noise="none"), 2)
    network.connect("E", "I", ns.all_to_all(), weight=0.0)
    result = network.simulate(n_steps=20, n_trials=2, record_state={"I": [1]}, state_every=4)
    state = result.state("I")
    assert state.dims == STATE_DIMS and state.shape == (2, 1, 5)


def test_a_file_with_the_old_state_layout_loads_in_the_new_one(tmp_path):
    _, result = _recorded_run()
    dataset = result.to_xarray()
    old = dataset.assign(u=dataset["u"].transpose("trial", "time", "neuron"))  # as files of earlier versions
    assert old["u"].dims == ("trial", "time", "neuron")
    np.testing.assert_array_equal(SimulationResult.from_xarray(old).state, result.state)
    result.to_netcdf(tmp_path / "run.nc")
    np.testing.assert_array_equal(ns.load(tmp_path / "run.nc").state, result.state)


# ------------------------------------------------------------------ result objects, not dicts or bare tuples
_TRAINS = [(trial, neuron, np.sort(np.random.default_rng(8 * trial + neuron).choice(500, 25, replace=False)))
           for trial in range(2) for neuron in range(4)]  # 25 spikes in 500 steps of every train
SPIKES = ns.SpikeTrains(np.repeat([t for t, _, _ in _TRAINS], 25), np.repeat([n for _, n, _ in _TRAINS], 25),
                        np.concatenate([steps for _, _, steps in _TRAINS]), dt=1e-3, n_trials=2, n_neurons=4,
                        n_steps=500)


@pytest.mark.parametrize("call, kind, fields", [
    (lambda: stats.stationary_rate(SPIKES, warmup=0.1), stats.Estimate, ("value", "se")),
    (lambda: spectral.spectral_snr(SPIKES, 20.0, (5.0, 100.0), bin_width=1e-3, segment=0.1), spectral.Estimate,
     ("value", "se")),
    (lambda: theory.hazard_renewal(0.9, 100.0, 0.1), theory.RenewalStatistics, ("rate", "cv", "mean_isi")),
    (lambda: theory.bernoulli_train(0.1, 1e-3), theory.TrainStatistics, ("rate", "cv", "fano")),
    (lambda: theory.euler_equivalent_ou(10e-3, 0.5, 1e-4), theory.OUParameters, ("tau", "sigma")),
    (lambda: theory.brunel_input(10.0, 5.0, 2.0), theory.BrunelInput, ("mu", "sigma_b")),
    (lambda: fit.time_rescaling(np.full((1, 500, 1), -0.02), SPIKES.to_dense()[:1, :, :1]), fit.TimeRescaling,
     ("statistic", "pvalue", "n_intervals", "uniform", "band")),
    (lambda: fit.spike_history_kernel(ns.LIF(firing="hazard", method="exact", dt=1e-3,
                                             adaptation=Adaptation(0.1, 0.0, 0.1),
                                             moving_threshold=MovingThreshold(0.01, 0.2))),
     fit.HistoryKernel, ("taus", "amplitudes")),
    (lambda: learn.cross_entropy(np.zeros((2, 3)), [0, 2]), learn.LossValue, ("loss", "gradient")),
])
def test_public_functions_return_named_results_that_still_unpack(call, kind, fields):
    result = call()
    assert isinstance(result, kind) and kind._fields == fields
    first, *_ = result  # a named tuple: unpacking as before keeps working
    assert first is result[0] is getattr(result, fields[0])


def test_evaluate_returns_an_evaluation():
    network = learn.Network(3, [learn.SpikingLayer(4, beta=0.9, noise="logistic", noise_scale=0.3, firing="escape")],
                            learn.Readout("membrane", n_outputs=2), seed=0)
    x, y = np.random.default_rng(0).random((6, 5, 3)), np.array([0, 1, 0, 1, 1, 0])
    result = learn.evaluate(network, x, y, seed=1)
    assert isinstance(result, learn.Evaluation) and result.outputs.shape == (6, 2) and result.n_ensembles == 1
    assert result.accuracy == np.mean(result.outputs.argmax(axis=1) == y)


# the public functions whose result is a mapping by nature: gradients keyed by the network's parameter names (as
# network.parameters), and a network's JSON configuration
MAPPINGS = {"nsnn_sim.learn.backward.backward", "nsnn_sim.learn.network.Network.config"}


def _public_callables():
    for package in ("theory", "learn", "fit", "coding", "analysis.stats", "analysis.spectral", "analysis.distances",
                    "analysis.compare"):
        module = importlib.import_module(f"nsnn_sim.{package}")
        for name in module.__all__:
            value = getattr(module, name)
            if inspect.isclass(value):
                for method, function in vars(value).items():
                    if inspect.isfunction(function) and not method.startswith("_"):
                        yield f"{value.__module__}.{value.__qualname__}.{method}", function
            elif inspect.isfunction(value):
                yield f"{value.__module__}.{value.__qualname__}", value


def test_no_public_function_returns_a_bare_dict_or_tuple():
    offenders = []
    for name, function in _public_callables():
        annotation = inspect.signature(function).return_annotation
        text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", str(annotation))
        if text.split("[")[0] in ("dict", "tuple", "Dict", "Tuple") and name not in MAPPINGS:
            offenders.append(f"{name} -> {text}")
    assert not offenders, offenders


# ------------------------------------------------------------------ (model, inputs, observations) in learn and fit
@pytest.mark.parametrize("function, names", [
    (ns.simulate, ("model", "inputs")),
    (learn.train, ("network", "inputs", "targets")),
    (learn.evaluate, ("network", "inputs", "targets")),
    (learn.loss_and_gradients, ("network", "inputs", "targets")),
    (fit.fit_escape, ("model", "inputs", "spikes")),
    (fit.fit_gif, ("model", "inputs", "spikes")),
    (fit.log_likelihood, ("model", "inputs", "spikes")),
    (fit.gif_log_likelihood, ("model", "inputs", "spikes")),
    (fit.fit_poisson_glm, ("inputs", "spikes")),
    (fit.compare_families, ("model", "train_inputs", "train_spikes", "test_inputs", "test_spikes")),
    (fit.FitResult.log_likelihood, ("self", "inputs", "spikes")),
    (fit.FitResult.log_silence, ("self", "inputs", "spikes")),
    (fit.GIFFit.log_likelihood, ("self", "inputs", "spikes")),
    (fit.compare.PoissonGLM.log_silence, ("self", "inputs", "spikes")),
])
def test_the_model_comes_first_then_the_inputs_then_what_they_should_produce(function, names):
    assert tuple(inspect.signature(function).parameters)[:len(names)] == names


def test_the_old_fit_order_is_refused_naming_the_order():
    x = np.ones((1, 50, 1))
    spikes = np.zeros((1, 50, 1))
    model = ns.NSNN(firing="escape", noise="logistic", noise_scale=0.2)
    with pytest.raises(TypeError, match=r"got ndarray \(the fitters take \(model, inputs, spikes\)"):
        fit.fit_escape(spikes, x, model)
    with pytest.raises(TypeError, match=r"\(the fitters take \(model, inputs, spikes\)"):
        fit.fit_gif(spikes, x, ns.LIF(firing="hazard"))

