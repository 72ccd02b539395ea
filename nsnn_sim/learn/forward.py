"""Forward pass of a :class:`~nsnn_sim.learn.network.Network` through time.

Each spiking layer runs in a Numba kernel that calls the simulator's own neuron equation,
:func:`nsnn_sim.simulator.neurons.neuron_update` (stochastic network) or
:func:`nsnn_sim.simulator.neurons.mean_field_step` (mean-field network: each spike replaced by its probability
``F(u_free - theta)``), with the random streams of :mod:`nsnn_sim.simulator.rng` keyed by
(layer seed, trial, neuron). Sample ``b`` of a batch is trial ``trials[b]``; layer ``l`` uses the seed
:func:`layer_seed` ``(seed, l)``. So ``nsnn_sim.simulate`` with those seeds draws the same random
numbers and, given the same currents, produces the same spikes (:mod:`nsnn_sim.learn.simulator`).

Layer ``l >= 1`` is driven by the spikes of layer ``l - 1`` at the same step (``network.layer_delay
= 0``, the official stacking) or one step earlier (``layer_delay = 1``): :func:`layer_input`.

The trace keeps every layer's noise-free potential ``u_free``, the potential the spike rule saw
``u_fire`` (``u_free`` plus the membrane noise, if any), the potential after reset ``u_after`` and the
spikes, as ``(batch, step, neuron)`` arrays: the gradient of a spike is a pdf at ``u_free`` (escape,
membrane) or at ``u_fire`` (reference), see :mod:`nsnn_sim.learn.network`.

Examples
--------
>>> import numpy as np
>>> from nsnn_sim import learn
>>> from nsnn_sim.learn.forward import delayed, forward
>>> network = learn.Network(2, [learn.SpikingLayer(3, noise="none")], learn.Readout("count", n_outputs=3), seed=0)
>>> trace = forward(network, np.ones((1, 4, 2)), seed=0)
>>> trace.outputs.shape
(1, 3)
>>> delayed(np.array([[[1.0], [2.0], [3.0]]]))[0, :, 0].tolist()
[0.0, 1.0, 2.0]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numba import njit, prange

from nsnn_sim._core.blas import with_single_blas_thread
from nsnn_sim._core.validation import describe, finite_array, numeric_parameter, seed_value
from nsnn_sim.simulator import rng
from nsnn_sim.simulator.neurons import mean_field_step, neuron_constants, neuron_update, rule_codes

__all__ = ["forward", "LayerTrace", "Trace", "layer_seed", "synaptic_drive", "delayed", "layer_input",
           "membrane_perturbation", "readout_outputs", "check_inputs", "check_mean_field", "check_membrane_noise",
           "check_spike_hook"]


def layer_seed(seed: int, index: int) -> int:
    """The simulator seed of layer ``index`` for the network seed ``seed`` (a hash, in [0, 2**63))."""
    return int(rng.stream_key(seed, 0, index, 0)) >> 1


def delayed(spikes: np.ndarray) -> np.ndarray:
    """``spikes`` shifted one step later along axis 1 (zeros at step 0): the one-step synaptic delay."""
    out = np.zeros_like(spikes)
    out[:, 1:] = spikes[:, :-1]
    return out


def layer_input(network, spikes: np.ndarray) -> np.ndarray:
    """The presynaptic input that the spikes ``(batch, step, neuron)`` of a layer give the next layer:
    the spikes themselves (``network.layer_delay == 0``) or :func:`delayed` by one step (``1``)."""
    return spikes if network.layer_delay == 0 else delayed(spikes)


def stacked_matmul(stacked: np.ndarray, matrix: np.ndarray) -> np.ndarray:
    """``stacked @ matrix`` for a ``(batch, step, n)`` array and an ``(n, m)`` matrix, as one 2-D product.

    numpy's matmul of a stack by a transposed (non-contiguous) matrix falls back to a loop without BLAS:
    measured 0.4 s instead of about 1 ms for a (32, 50, 64) stack and a 256 x 64 weight matrix."""
    flat = np.ascontiguousarray(stacked).reshape(-1, stacked.shape[-1]) @ matrix
    return flat.reshape(stacked.shape[:-1] + (matrix.shape[1],))


def synaptic_drive(presynaptic: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """The current ``I[b, t, i] = sum_j W[i, j] presynaptic[b, t, j]`` of a layer."""
    return stacked_matmul(presynaptic, weights.T)


def membrane_perturbation(shape, standard_deviation: float, seed: int, index: int) -> np.ndarray:
    """Gaussian current ``N(0, standard_deviation**2)`` added to layer ``index`` at every step (a
    perturbation of the membrane potential for robustness tests), seeded by ``(seed, index)``."""
    generator = np.random.default_rng([seed, index, 0x6D656D])
    return generator.normal(0.0, standard_deviation, shape)


@njit(cache=True, parallel=True)
def _run_layer(p, drive, recurrent, seed, trials, mean_field, u_free, u_fire, u_after, spikes):
    """One layer, every sample of a batch (in parallel; each sample is independent)."""
    n_batch, n_steps, n_neurons = drive.shape
    codes = rule_codes(p)
    has_recurrent = recurrent.shape[0] > 0
    for b in prange(n_batch):
        trial = trials[b]
        u = p.u_initial.copy()
        refractory_left = np.zeros(n_neurons, dtype=np.int64)
        jump = np.zeros(n_neurons)
        keys = np.empty((n_neurons, 3), dtype=np.uint64)
        for i in range(n_neurons):
            keys[i, 0], keys[i, 1], keys[i, 2] = rng.neuron_keys(seed, trial, i)
        for step in range(n_steps):
            jump[:] = 0.0
            if has_recurrent and step > 0:
                # presynaptic neurons in increasing order, as the simulator pushes its spikes
                for pre in range(n_neurons):
                    spike = spikes[b, step - 1, pre]
                    if spike != 0.0:
                        for post in range(n_neurons):
                            jump[post] += recurrent[post, pre] * spike
            for i in range(n_neurons):
                constants = neuron_constants(p, i)
                if mean_field:
                    free, probability, after = mean_field_step(constants, codes, u[i], drive[b, step, i], jump[i])
                    u_free[b, step, i] = free
                    u_fire[b, step, i] = free
                    spikes[b, step, i] = probability
                else:
                    free, fire, after, refractory_left[i], spike = neuron_update(
                        constants, codes, u[i], refractory_left[i], drive[b, step, i], jump[i], step,
                        (keys[i, 0], keys[i, 1], keys[i, 2]))
                    u_free[b, step, i] = free
                    u_fire[b, step, i] = fire
                    spikes[b, step, i] = 1.0 if spike else 0.0
                u_after[b, step, i] = after
                u[i] = after


@dataclass
class LayerTrace:
    """One layer's forward pass: its presynaptic input (``x``, or the spikes of the layer below as
    :func:`layer_input` passes them on), current ``drive`` and, per (batch, step, neuron), ``u_free``,
    ``u_fire``, ``u_after`` and
    ``spikes`` (0/1, or firing probabilities in the mean-field network)."""

    presynaptic: np.ndarray
    drive: np.ndarray
    u_free: np.ndarray
    u_fire: np.ndarray
    u_after: np.ndarray
    spikes: np.ndarray


@dataclass
class Trace:
    """A forward pass: the layers' traces, the readout's state ``readout_state`` (membrane: ``y[t]``;
    linear: the per-step logits; count: None), the ``outputs`` ``(batch, n_outputs)`` and, for the
    linear readout, ``step_outputs``: the per-step logits ``(batch, n_steps, n_outputs)`` (else None)."""

    layers: list
    readout_state: np.ndarray | None
    outputs: np.ndarray
    mean_field: bool
    step_outputs: np.ndarray | None = None


def _run_spiking_layer(network, index: int, presynaptic: np.ndarray, seed: int, trials: np.ndarray,
                      mean_field: bool, membrane_noise: float) -> LayerTrace:
    """Layer ``index`` given its presynaptic input (see :func:`forward`)."""
    layer = network.layers[index]
    drive = synaptic_drive(presynaptic, network.parameters[f"{index}.W"])
    if membrane_noise > 0.0:
        drive = drive + membrane_perturbation(drive.shape, membrane_noise, seed, index)
    recurrent = network.parameters[f"{index}.V"] if layer.recurrent else np.zeros((0, 0))
    shape = drive.shape
    u_free, u_fire, u_after, spikes = (np.empty(shape) for _ in range(4))
    _run_layer(network.layer_model(index).compile(layer.n_neurons), np.ascontiguousarray(drive),
               np.ascontiguousarray(recurrent), np.uint64(layer_seed(seed, index)), trials, mean_field,
               u_free, u_fire, u_after, spikes)
    return LayerTrace(presynaptic, drive, u_free, u_fire, u_after, spikes)


def readout_outputs(network, last_spikes: np.ndarray) -> tuple[np.ndarray | None, np.ndarray]:
    """``(readout_state, outputs)`` from the last layer's spikes (:class:`~.network.Readout`); for the
    linear readout the state is the per-step logits ``y[t] = W s_L[t]`` and the outputs their mean."""
    readout = network.readout
    if readout.kind == "count":
        return None, readout.scale * last_spikes.sum(axis=1)
    if readout.kind == "linear":
        logits = synaptic_drive(last_spikes, network.parameters["readout.W"])
        return logits, logits.mean(axis=1)
    drive = synaptic_drive(delayed(last_spikes), network.parameters["readout.W"])
    state = np.empty_like(drive)
    previous = np.zeros(drive.shape[::2])
    for step in range(drive.shape[1]):  # y[t] = beta*y[t-1] + W s[t-1]
        previous = readout.beta * previous + drive[:, step]
        state[:, step] = previous
    return state, state.max(axis=1) if readout.reduce == "max" else state.mean(axis=1)


def check_inputs(network, inputs) -> np.ndarray:
    """``inputs`` as a C-contiguous float64 ``(batch, n_steps, n_inputs)`` array (errors otherwise)."""
    array = finite_array("inputs", inputs)
    if array.ndim != 3 or array.shape[2] != network.n_inputs or array.shape[0] < 1 or array.shape[1] < 1:
        raise ValueError(f"inputs has shape {array.shape}; expected (batch, n_steps, n_inputs) with "
                         f"n_inputs = {network.n_inputs}, batch and n_steps >= 1")
    return np.ascontiguousarray(array)


def check_membrane_noise(membrane_noise) -> float:
    """``membrane_noise`` (the SD ``alpha`` of the extra Gaussian perturbation) as a float >= 0."""
    value = numeric_parameter("membrane_noise", membrane_noise, lower=0.0)
    if np.ndim(value):
        raise ValueError(f"membrane_noise must be a single number >= 0, got an array of shape {np.shape(value)}")
    return value


def check_mean_field(network, mean_field) -> bool:
    """``mean_field`` as a bool; ``ValueError`` if it is asked of a network with a reference layer."""
    if not isinstance(mean_field, (bool, np.bool_)):
        raise TypeError(f"mean_field must be True or False, got {describe(mean_field)}")
    if mean_field:
        reference = [index for index, layer in enumerate(network.layers) if layer.firing == "reference"]
        if reference:
            raise ValueError(f"mean_field=True is not available: layer(s) {reference} use firing='reference', "
                             "whose firing probability (the cdf of the sum of two noise draws) has no closed "
                             "form for most families; use firing='escape' or 'membrane', or mean_field=False")
    return bool(mean_field)


def check_spike_hook(spike_hook, mean_field: bool = False):
    """``spike_hook`` if it is None or a callable (and the network is not mean-field), else an error."""
    if spike_hook is not None:
        if not callable(spike_hook):
            raise TypeError(f"spike_hook must be callable (spikes, layer, seed, trials) -> spikes, got {spike_hook!r}")
        if mean_field:
            raise ValueError("spike_hook perturbs 0/1 spikes: not available with mean_field=True")
    return spike_hook


@with_single_blas_thread
def forward(network, inputs, seed: int = 0, mean_field: bool = False, trials=None,
            membrane_noise: float = 0.0, spike_hook=None) -> Trace:
    """Run ``network`` on a batch of input patterns.

    Parameters
    ----------
    network : Network
    inputs : array, shape (batch, n_steps, n_inputs)
        Input spikes (0/1) or currents ``x[b, t, j]``; layer 0 receives ``W_0 x[t]``.
    seed : int
        Network seed; layer ``l`` draws from the streams of :func:`layer_seed` ``(seed, l)``.
    mean_field : bool
        Replace each spike by its probability ``F(u_free - theta)`` (deterministic network; not for
        ``firing="reference"`` layers).
    trials : array of int, optional
        Trial id of each sample (default ``0..batch-1``): the stream key, as in ``simulate``.
    membrane_noise : float
        SD of a Gaussian current added to every neuron at every step (robustness tests), >= 0.
    spike_hook : callable, optional
        ``spike_hook(spikes, layer_index, seed, trials) -> spikes``: what each spiking layer passes on
        to the next layer or the readout (e.g. :class:`~nsnn_sim.learn.perturbations.SpikePerturbation`);
        the layer's own trace (and reset) keeps its original spikes. Not with ``mean_field``.

    Returns
    -------
    Trace
    """
    inputs = check_inputs(network, inputs)
    seed = seed_value(seed)
    mean_field = check_mean_field(network, mean_field)
    membrane_noise = check_membrane_noise(membrane_noise)
    if trials is None:
        trials = np.arange(inputs.shape[0], dtype=np.int64)
    else:
        trials = np.asarray(trials)
        if trials.shape != (inputs.shape[0],) or trials.dtype.kind not in "iu" or np.any(trials < 0):
            raise ValueError(f"trials must be {inputs.shape[0]} integers >= 0, one per sample")
        trials = trials.astype(np.int64)
    spike_hook = check_spike_hook(spike_hook, mean_field)
    traces = []
    presynaptic = inputs
    for index in range(len(network.layers)):
        trace = _run_spiking_layer(network, index, presynaptic, seed, trials, bool(mean_field), float(membrane_noise))
        traces.append(trace)
        passed = trace.spikes if spike_hook is None else spike_hook(trace.spikes, index, seed, trials)
        presynaptic = layer_input(network, passed)
    readout_state, outputs = readout_outputs(network, passed)
    step_outputs = readout_state if network.readout.kind == "linear" else None
    return Trace(traces, readout_state, outputs, mean_field, step_outputs)
