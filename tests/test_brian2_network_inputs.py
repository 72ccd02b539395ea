"""Issue 29's Brian2 identity: a network of two populations with different models (LIFs with different time
constants, thresholds and exponential synapses), two projections into different receptors with different delays,
an inhomogeneous Poisson source, a spike generator, an inhomogeneous Poisson input and a spike input, spike for
spike in Brian2 with shared noise (numpy target).

What Brian2 receives: the membrane and synaptic noise and the inhomogeneous Poisson input's counts are nsnn_sim's
draws (``TimedArray``, as for every shared-noise run); the sources' spikes are nsnn_sim's (a Poisson source's are
its uniforms below ``rate*dt``, drawn by nsnn_sim) given to Brian2 ``SpikeGeneratorGroup`` s, and Brian2's own
``Synapses`` deliver them with the projections' weights, delays and receptors."""

import numpy as np
import pytest

import nsnn_sim as ns

pytest.importorskip("brian2")
from test_network_sources import N_STEPS, network_with_sources  # noqa: E402

from nsnn_sim.interop.brian2 import run_brian2  # noqa: E402


def test_a_network_with_sources_and_inputs_is_identical_in_brian2():
    network, n_trials, seed = network_with_sources(seed=5), 2, 3
    built = network.build(N_STEPS, n_trials, seed=seed)
    arguments = dict(n_neurons=built.n_neurons, n_steps=N_STEPS, n_trials=n_trials, seed=seed,
                     connections=built.connections, record_state=np.arange(built.n_neurons))
    ours = ns.simulate(built.model, built.inputs, **arguments)
    theirs = run_brian2(built.model, built.inputs, shared_noise=True, target="numpy", **arguments)
    assert network.simulate(n_steps=N_STEPS, n_trials=n_trials, seed=seed).spikes == ours.spikes
    assert np.bincount(ours.spikes.neuron, minlength=built.n_neurons).min() >= 3
    assert ours.spikes == theirs.spikes
    np.testing.assert_allclose(ours.state, theirs.state, rtol=0, atol=1e-9)
