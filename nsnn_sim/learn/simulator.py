"""Run a trained :class:`~nsnn_sim.learn.network.Network` in the simulator, :func:`nsnn_sim.simulate`.

Layer ``l`` becomes one ``simulate`` call: the model ``network.layer_model(l)`` (an
:class:`nsnn_sim.NSNN` with the learned per-neuron ``beta`` and ``threshold``), the current
``inputs = W_l x`` (layer 0) or ``W_l s_{l-1}[t - layer_delay]`` (the spikes simulated for the layer
below, at the same step for ``layer_delay = 0``, one step later for ``1``), recurrent weights
``connect(V_l)`` (a delay of one step) and the seed ``layer_seed(seed, l)``. Trial ``b``
is sample ``b``. These are the learner's own conventions (:mod:`nsnn_sim.learn.forward`), so with the
same seed the simulator reproduces the learner's forward pass spike for spike; the readout is then
computed from the simulated spikes by the same function.

A synaptic layer is ``NSNN(synapses={"syn": alpha_syn})`` with the recurrent weights at the receptor ``"syn"``
and, as its current, the feed-forward part of the trace (:func:`~nsnn_sim.learn.forward.layer_current`: it does
not depend on the layer's spikes, and the trace is linear, so ``u`` takes the same ``i[t]``); an adaptive layer
is ``NSNN(threshold_decay=, threshold_jump=)`` with the learned per-neuron values.

Examples
--------
>>> import numpy as np
>>> from nsnn_sim import learn
>>> from nsnn_sim.learn.simulator import simulate_network
>>> network = learn.Network(3, [learn.SpikingLayer(4, noise="gaussian", noise_scale=0.3, firing="escape")],
...                         learn.Readout("membrane", n_outputs=2), seed=0)
>>> inputs = (np.random.default_rng(0).random((2, 6, 3)) < 0.5).astype(float)
>>> simulated = simulate_network(network, inputs, seed=1)
>>> simulated.outputs.shape, len(simulated.results)
((2, 2), 1)
>>> bool(np.array_equal(simulated.outputs, learn.forward(network, inputs, seed=1).outputs))
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nsnn_sim._core.blas import with_single_blas_thread
from nsnn_sim._core.validation import seed_value
from nsnn_sim.learn.forward import (
    check_inputs,
    check_membrane_noise,
    check_spike_hook,
    layer_current,
    layer_input,
    layer_seed,
    readout_outputs,
)
from nsnn_sim.learn.network import SYNAPSE_RECEPTOR
from nsnn_sim.simulator.engine import simulate
from nsnn_sim.simulator.network import connect

__all__ = ["simulate_network", "SimulatedNetwork"]


@dataclass
class SimulatedNetwork:
    """``results``: one :class:`nsnn_sim.SimulationResult` per layer; ``spikes``: the same as dense
    ``(trial, step, neuron)`` arrays; ``outputs``: the readout ``(trial, n_outputs)``; ``step_outputs``:
    the linear readout's per-step logits ``(trial, step, n_outputs)`` (None for other readouts)."""

    results: list
    spikes: list
    outputs: np.ndarray
    step_outputs: np.ndarray | None = None


@with_single_blas_thread
def simulate_network(network, inputs, seed: int = 0, membrane_noise: float = 0.0,
                     n_threads: int | None = None, spike_hook=None) -> SimulatedNetwork:
    """Simulate ``network`` on ``inputs`` (batch, n_steps, n_inputs) with :func:`nsnn_sim.simulate`.

    ``seed``, ``membrane_noise`` and ``spike_hook`` mean what they mean in
    :func:`nsnn_sim.learn.forward` (``spikes`` keeps each layer's own spikes; the hook's output is
    what the next layer and the readout receive).
    """
    inputs = check_inputs(network, inputs)
    seed = seed_value(seed)
    membrane_noise = check_membrane_noise(membrane_noise)
    spike_hook = check_spike_hook(spike_hook)
    n_trials, n_steps, _ = inputs.shape
    trials = np.arange(n_trials, dtype=np.int64)
    results, spikes = [], []
    presynaptic = inputs
    for index, layer in enumerate(network.layers):
        _, current, _ = layer_current(network, index, presynaptic, seed, membrane_noise)
        receptor = SYNAPSE_RECEPTOR if layer.synaptic else None
        connections = connect(network.parameters[f"{index}.V"], receptor=receptor) if layer.recurrent else None
        result = simulate(network.layer_model(index), inputs=current, n_neurons=layer.n_neurons, n_steps=n_steps,
                          n_trials=n_trials, seed=layer_seed(seed, index), connections=connections,
                          n_threads=n_threads)
        results.append(result)
        spikes.append(result.spikes.to_dense())
        passed = spikes[-1] if spike_hook is None else spike_hook(spikes[-1], index, seed, trials)
        presynaptic = layer_input(network, passed)
    state, outputs = readout_outputs(network, passed)
    return SimulatedNetwork(results, spikes, outputs, state if network.readout.kind == "linear" else None)
