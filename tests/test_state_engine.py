"""The engine's neurons with more state against the plain-Python transcription, spike for spike; receptors;
bad input; the delta neuron unchanged."""

import numpy as np
import pytest

import nsnn_sim as ns
from nsnn_sim.simulator.state import Adaptation, AlphaSynapse, ExpSynapse, MovingThreshold

from reference_model import simulate_state_reference

N_NEURONS, N_STEPS, N_TRIALS = 6, 300, 2
HETEROGENEOUS_TAU = np.linspace(6e-3, 14e-3, N_NEURONS)
MODELS = {
    "exp synapse, exact, clamp": ns.LIF(sigma=0.3, dt=2e-4, method="exact", tau_ref=1e-3, tau_syn=3e-3),
    "exp + alpha, euler, heterogeneous": ns.LIF(
        sigma=0.3, dt=2e-4, tau=HETEROGENEOUS_TAU, tau_ref=6e-4, u_reset=-0.1,
        synapses={"exc": ExpSynapse(np.linspace(1e-3, 4e-3, N_NEURONS), np.linspace(0.0, 0.3, N_NEURONS)),
                  "inh": AlphaSynapse(5e-3)}, method="euler"),
    "tau_syn = tau, coloured noise": ns.LIF(noise="none", dt=2e-4, method="exact", tau_ref=1e-3,
                                            synapses={"exc": ExpSynapse(10e-3, 0.6)}),
    "adaptation current and moving threshold": ns.LIF(
        sigma=0.25, dt=2e-4, method="exact", tau_ref=1e-3, reset="subtract",
        adaptation=(Adaptation(0.05, np.linspace(0.0, 1.0, N_NEURONS), 0.1), Adaptation(0.01, 0.0, 0.05)),
        moving_threshold=MovingThreshold(0.02, np.linspace(0.05, 0.3, N_NEURONS))),
    "integrate during the dead time": ns.LIF(sigma=0.3, dt=2e-4, method="exact", tau_ref=2e-3,
                                             refractory="integrate"),
    "escape firing with a synapse": ns.LIF(firing="escape", noise="logistic", sigma=0.05, dt=2e-4, tau_ref=1e-3,
                                           tau_syn=2e-3, moving_threshold=MovingThreshold(0.03, 0.1), method="euler"),
    "hazard, integrate, adaptation (pp_psc_delta with q_sfa)": ns.LIF(
        firing="hazard", rho_0=np.linspace(50.0, 300.0, N_NEURONS), delta_u=0.1, dt=2e-4, tau_ref=2e-3,
        method="exact", refractory="integrate", moving_threshold=MovingThreshold(0.1, 0.2)),
}


def _spike_list(spikes):
    return sorted(zip(spikes.trial.tolist(), spikes.neuron.tolist(), spikes.step.tolist()))


@pytest.mark.parametrize("name", MODELS)
def test_engine_matches_the_transcription_spike_for_spike(name):
    model = MODELS[name]
    receptors = model.receptors
    rng = np.random.default_rng(5)
    current = 0.9 + 0.3 * np.sin(np.arange(N_STEPS) / 9.0)[None, :, None] * np.ones((N_TRIALS, 1, N_NEURONS))
    groups = [(10, 700.0, rng.uniform(0.02, 0.08, N_NEURONS), r) for r in range(len(receptors))]
    inputs = [current] + [ns.poisson_input(rate, weight, n, receptor=receptors[r]) for n, rate, weight, r in groups]
    weights = np.where(rng.random((N_NEURONS, N_NEURONS)) < 0.5, rng.normal(0.1, 0.3, (N_NEURONS, N_NEURONS)), 0.0)
    delays = rng.integers(1, 5, size=(N_NEURONS, N_NEURONS))
    target = len(receptors) - 1
    connections = ns.connect(weights, delays * model.dt, receptor=receptors[target])
    result = ns.simulate(model, inputs, n_neurons=N_NEURONS, n_steps=N_STEPS, n_trials=N_TRIALS, seed=7,
                         connections=connections,
                         record_state=np.arange(N_NEURONS))
    spikes, state = simulate_state_reference(model, current, N_NEURONS, N_STEPS, N_TRIALS, 7, poisson=groups,
                                             weights=weights, delays=delays, synapse_receptor=target)
    assert len(spikes) > 40
    assert _spike_list(result.spikes) == spikes
    np.testing.assert_allclose(result.state, state.transpose(0, 2, 1), rtol=0, atol=1e-9)  # (trial, neuron, time)


def test_state_runs_are_the_same_for_any_thread_count_and_trials_alone():
    model = ns.LIF(sigma=0.3, dt=2e-4, tau_ref=6e-4, synapses={"exc": ExpSynapse(2e-3, 0.2), "inh": AlphaSynapse(5e-3)},
                   adaptation=Adaptation(0.05, 0.5, 0.1), method="euler")
    inputs = [0.9, ns.poisson_input(800.0, 0.05, 10, receptor="exc")]
    runs = [ns.simulate(model, inputs, n_neurons=40, n_steps=400, n_trials=3, seed=2,
                        n_threads=threads).spikes for threads in (1, 2)]
    assert runs[0] == runs[1] and len(runs[0]) > 100
    alone = ns.simulate(model, inputs, n_neurons=40, n_steps=400, n_trials=1, seed=2).spikes
    assert _spike_list(alone) == [spike for spike in _spike_list(runs[0]) if spike[0] == 0]


@pytest.mark.parametrize("connected", [False, True])
def test_the_state_kernel_is_bit_identical_for_any_block_partition(monkeypatch, connected):
    """_run_state splits each trial's neurons into n_blocks blocks (a choice of _run_with_state for speed): spikes,
    recorded state and rate counts are the same bit for bit for 1, 2, 3 and 7 blocks, with and without connections."""
    from nsnn_sim.simulator import engine

    model = ns.LIF(sigma=0.3, dt=2e-4, tau_ref=6e-4, synapses={"exc": ExpSynapse(2e-3, 0.2), "inh": AlphaSynapse(5e-3)},
                   adaptation=Adaptation(0.05, 0.5, 0.1), method="euler")
    rng = np.random.default_rng(3)
    weights = np.where(rng.random((41, 41)) < 0.2, rng.normal(0.05, 0.2, (41, 41)), 0.0)
    connections = ns.connect(weights, rng.integers(1, 5, (41, 41)) * model.dt, receptor="inh") if connected else None
    inputs = [0.9, ns.poisson_input(800.0, 0.05, 10, receptor="exc")]
    kernel, used = engine._run_state, []

    def partitioned(*args, n_blocks):
        used.append(n_blocks)
        return kernel(*args[:15], np.int64(n_blocks), *args[16:])

    runs = []
    for n_blocks in (1, 2, 3, 7):
        monkeypatch.setattr(engine, "_run_state", lambda *args, n=n_blocks: partitioned(*args, n_blocks=n))
        result = ns.simulate(model, inputs, n_neurons=41, n_steps=300, n_trials=2, seed=4, connections=connections,
                             record_state=[0, 17, 40], record_rate=True)
        runs.append((_spike_list(result.spikes), result.state.tobytes(), result.population_rate().values.tobytes()))
    assert used == [1, 2, 3, 7] and len(runs[0][0]) > 100
    assert all(run == runs[0] for run in runs[1:])


def test_receptors_are_checked_before_any_kernel_runs(engine_kernels_forbidden):
    two = ns.LIF(synapses={"exc": ExpSynapse(2e-3), "inh": ExpSynapse(5e-3)}, method="euler")
    with pytest.raises(ValueError, match="must name a receptor"):
        ns.simulate(two, ns.poisson_input(100.0, 0.1, 5), n_neurons=3, n_steps=10)
    with pytest.raises(ValueError, match="receptor='gaba'"):
        ns.simulate(two, ns.poisson_input(100.0, 0.1, 5, receptor="gaba"), n_neurons=3, n_steps=10)
    with pytest.raises(ValueError, match=r"receptor='exc' is not one of the model's receptors \('delta',\)"):
        ns.simulate(ns.LIF(method="euler"), ns.poisson_input(100.0, 0.1, 5, receptor="exc"), n_neurons=3, n_steps=10)
    with pytest.raises(ValueError, match="connections: receptor='nmda'"):
        ns.simulate(two, 0.5, n_neurons=3, n_steps=10, connections=ns.connect(np.zeros((3, 3)), receptor="nmda"))
    with pytest.raises(TypeError, match="receptor"):
        ns.poisson_input(100.0, 0.1, 5, receptor=3)


@pytest.mark.parametrize("arguments, match", [
    (dict(tau_syn=0.0), "tau"),
    (dict(tau_syn=-1e-3), "tau"),
    (dict(synapses={"exc": 5e-3}), "ExpSynapse or AlphaSynapse"),
    (dict(synapses={"delta": ExpSynapse(5e-3)}), "'delta'"),
    (dict(tau_syn=2e-3, synapses={"exc": ExpSynapse(5e-3)}), "not both"),
    (dict(refractory="freeze"), "refractory='freeze'"),
    (dict(tau_syn=2e-3, threshold_crossing="bridge"), "threshold_crossing='bridge'"),
    (dict(adaptation=(MovingThreshold(0.1, 0.1),)), "adaptation must be a Adaptation"),
])
def test_bad_state_arguments_raise_naming_the_parameter(arguments, match):
    with pytest.raises((ValueError, TypeError), match=match):
        ns.LIF(method="exact", **arguments)


def test_a_model_with_state_round_trips_through_its_file(tmp_path):
    model = MODELS["adaptation current and moving threshold"]
    result = ns.simulate(model, 0.9, n_neurons=N_NEURONS, n_steps=100, seed=1)
    result.to_netcdf(tmp_path / "run.nc")
    again = ns.load(tmp_path / "run.nc")
    assert again.model.to_dict() == model.to_dict()
    assert ns.simulate(again.model, 0.9, n_neurons=N_NEURONS, n_steps=100, seed=1).spikes == result.spikes


@pytest.mark.parametrize("model", [
    ns.NSNN(noise="logistic", noise_scale=0.3, synapses={"exc": np.linspace(0.3, 0.9, N_NEURONS)},
            threshold_decay=0.9, threshold_jump=0.3),
    ns.NSNN(noise="gaussian", noise_scale=0.4, firing="reference", reset="subtract",
            synapses={"exc": 0.8, "inh": 0.5}),
    ns.NSNN(noise="triangular", noise_scale=0.6, firing="escape", threshold_decay=np.linspace(0.5, 0.95, N_NEURONS),
            threshold_jump=0.5, beta=np.linspace(0.2, 0.9, N_NEURONS)),
], ids=["traces and threshold", "reference firing, two traces", "escape, adaptive threshold"])
def test_nsnn_with_traces_and_adaptive_threshold_matches_its_transcription(model):
    from reference_model import simulate_nsnn_state_reference

    receptors = model.receptors
    current = 0.3 + 0.2 * np.sin(np.arange(N_STEPS) / 9.0)[None, :, None] * np.ones((N_TRIALS, 1, N_NEURONS))
    groups = [(5, 100.0, 0.3, r) for r in range(len(receptors))]
    inputs = [current] + [ns.poisson_input(rate, weight, n, receptor=receptors[r]) for n, rate, weight, r in groups]
    result = ns.simulate(model, inputs, n_neurons=N_NEURONS, n_steps=N_STEPS, n_trials=N_TRIALS, seed=3,
                         record_state=np.arange(N_NEURONS))
    spikes, state = simulate_nsnn_state_reference(model, current, N_NEURONS, N_STEPS, N_TRIALS, 3, poisson=groups)
    assert len(spikes) > 40
    assert _spike_list(result.spikes) == spikes
    np.testing.assert_allclose(result.state, state.transpose(0, 2, 1), rtol=0, atol=1e-9)  # (trial, neuron, time)


@pytest.mark.parametrize("synapse", [None, ExpSynapse(2e-3)], ids=["iaf_psc_delta", "iaf_psc_exp"])
def test_a_dead_time_limited_neuron_fires_again_after_nests_number_of_steps(synapse):
    """NEST (benchmarks/results/nest_reference.md, dead_time_steps) holds an iaf neuron for n = ceil(t_ref/dt)
    steps, so its shortest ISI is n + 1 steps: 21 at t_ref = 2 ms, dt = 0.1 ms. A drive that crosses threshold
    in one step (a delta jump of 2, or a current jump of 200 membrane units) makes the dead time the only limit;
    the exponential current keeps receiving input while u is clamped, and fires the first free step."""
    kwargs = {"synapses": {"exc": synapse}} if synapse else {}
    model = ns.LIF(tau=10e-3, dt=1e-4, noise="none", tau_ref=2e-3, method="exact", **kwargs)
    drive = ns.poisson_input(1000.0, 200.0 if synapse else 2.0, 100, receptor="exc" if synapse else None)
    spikes = ns.simulate(model, drive, n_neurons=20, n_steps=5000, seed=1).spikes
    same_neuron = np.diff(spikes.neuron) == 0
    isi = np.diff(spikes.step)[same_neuron]
    assert isi.size > 4000 and isi.min() == 21
    assert np.mean(isi == 21) > 0.9  # about 10 inputs per step, each crossing at once: nearly every ISI is the limit
