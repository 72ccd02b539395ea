"""Neurons with more state in Brian2 (nsnn_sim.interop.brian2): synaptic currents, adaptation, moving
thresholds and both dead-time modes give nsnn_sim's spikes, spike for spike, with shared noise (numpy target)."""

import numpy as np
import pytest

import nsnn_sim as ns
from nsnn_sim.simulator.state import Adaptation, AlphaSynapse, ExpSynapse, MovingThreshold

pytest.importorskip("brian2")
from nsnn_sim.interop.brian2 import run_brian2  # noqa: E402

N = 5
SPREAD = np.linspace(0.0, 1.0, N)
MODELS = {
    "exp synapse, euler, coloured noise": ns.LIF(sigma=0.3, dt=2e-4, tau_ref=1e-3, method="euler",
                                                 synapses={"exc": ExpSynapse(2e-3 + 2e-3 * SPREAD, 0.3)}),
    "alpha synapse, euler": ns.LIF(sigma=0.3, dt=2e-4, tau_ref=1e-3, method="euler",
                                   synapses={"exc": ExpSynapse(3e-3), "inh": AlphaSynapse(4e-3, 0.2)}),
    "adaptation current, euler": ns.LIF(sigma=0.3, dt=2e-4, tau_ref=1e-3, method="euler",
                                        adaptation=Adaptation(0.05, 0.5 * SPREAD, 0.1)),
    "moving threshold, subtractive reset, euler": ns.LIF(sigma=0.3, dt=2e-4, tau_ref=1e-3, method="euler",
                                                         reset="subtract",
                                                         moving_threshold=MovingThreshold(0.02, 0.2)),
    "integrate during the dead time, euler": ns.LIF(sigma=0.3, dt=2e-4, tau_ref=2e-3, method="euler",
                                                    refractory="integrate", tau_syn=2e-3),
    "everything, exact map, clamp": ns.LIF(sigma=0.3, dt=2e-4, tau_ref=1e-3, method="exact",
                                           synapses={"exc": ExpSynapse(2e-3, 0.2), "inh": AlphaSynapse(5e-3)},
                                           adaptation=Adaptation(0.05, 0.3, 0.1),
                                           moving_threshold=MovingThreshold(0.03, 0.1)),
    "hazard with integrating dead time, exact map": ns.LIF(firing="hazard", rho_0=200.0, delta_u=0.2, dt=2e-4,
                                                           tau_ref=2e-3, method="exact", refractory="integrate",
                                                           moving_threshold=MovingThreshold(0.1, 0.2)),
}


@pytest.mark.parametrize("name", MODELS)
def test_neurons_with_state_are_identical_in_brian2_with_shared_noise(name):
    model = MODELS[name]
    receptors = model.receptors
    drive = 0.8 + 0.3 * SPREAD + 0.3 * np.sin(np.arange(400) / 9.0)[:, None]
    inputs = [drive] + [ns.poisson_input(600.0, 0.08, 5, receptor=receptor) for receptor in receptors]
    weights = np.where(np.eye(N, k=1) + np.eye(N, k=-2) > 0, 0.2, 0.0)
    connections = ns.connect(weights, 2 * model.dt, receptor=receptors[-1])
    kwargs = dict(n_neurons=N, n_steps=drive.shape[0], n_trials=2, seed=13, record_state=np.arange(N),
                  connections=connections)
    ours = ns.simulate(model, inputs, **kwargs)
    theirs = run_brian2(model, inputs, shared_noise=True, target="numpy", **kwargs)
    assert np.bincount(ours.spikes.neuron, minlength=N).min() >= 3
    assert ours.spikes == theirs.spikes
    np.testing.assert_allclose(ours.state, theirs.state, rtol=0, atol=1e-9)


NSNN_MODELS = {
    "NSNN traces and adaptive threshold, logistic membrane noise": ns.NSNN(
        noise="logistic", noise_scale=0.3, synapses={"exc": 0.3 + 0.6 * SPREAD}, threshold_decay=0.9,
        threshold_jump=0.3),
    "NSNN two traces, reference firing": ns.NSNN(noise="gaussian", noise_scale=0.4, firing="reference",
                                                 reset="subtract", synapses={"exc": 0.8, "inh": 0.5}),
    "NSNN adaptive threshold, escape firing": ns.NSNN(noise="triangular", noise_scale=0.6, firing="escape",
                                                      threshold_decay=0.5 + 0.45 * SPREAD, threshold_jump=0.5),
}
CURRENT_INTO = [  # (model, the receptor its current enters)
    (MODELS["exp synapse, euler, coloured noise"], "exc"),
    (MODELS["alpha synapse, euler"], "inh"),
    (MODELS["everything, exact map, clamp"], "inh"),
    (NSNN_MODELS["NSNN traces and adaptive threshold, logistic membrane noise"], "exc"),
    (NSNN_MODELS["NSNN two traces, reference firing"], "inh"),
    (NSNN_MODELS["NSNN adaptive threshold, escape firing"], "delta"),
]


@pytest.mark.parametrize("model, receptor", CURRENT_INTO, ids=["exp euler <- current", "alpha euler <- current",
                                                               "exact map, alpha <- current", *NSNN_MODELS])
def test_currents_into_synapses_and_nsnn_traces_are_identical_in_brian2(model, receptor):
    receptors = model.receptors
    drive = 0.8 + 0.3 * SPREAD + 0.3 * np.sin(np.arange(300) / 9.0)[:, None]
    if isinstance(model, ns.NSNN):
        drive = 0.35 * drive
    inputs = [ns.current_input(drive, receptor)] + [ns.poisson_input(600.0, 0.08, 5, receptor=name)
                                                    for name in receptors]
    weights = np.where(np.eye(N, k=1) + np.eye(N, k=-2) > 0, 0.2, 0.0)
    kwargs = dict(n_neurons=N, n_steps=drive.shape[0], n_trials=2, seed=17, record_state=np.arange(N),
                  connections=ns.connect(weights, 2 * model.dt, receptor=receptors[-1]))
    ours = ns.simulate(model, inputs, **kwargs)
    theirs = run_brian2(model, inputs, shared_noise=True, target="numpy", **kwargs)
    assert np.bincount(ours.spikes.neuron, minlength=N).min() >= 3
    assert ours.spikes == theirs.spikes
    np.testing.assert_allclose(ours.state, theirs.state, rtol=0, atol=1e-9)
