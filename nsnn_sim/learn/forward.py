"""Forward pass of a :class:`~nsnn_sim.learn.network.Network` through time.

Each spiking layer runs in a Numba kernel that calls the simulator's own neuron equation,
:func:`nsnn_sim.simulator.neurons.neuron_update` (stochastic network) or
:func:`nsnn_sim.simulator.neurons.mean_field_step` (mean-field network: each spike replaced by its probability
``F(u_free - theta)``), with the random streams of :mod:`nsnn_sim.simulator.rng` keyed by
(layer seed, trial, neuron). Sample ``b`` of a batch is trial ``trials[b]``; layer ``l`` uses the seed
:func:`layer_seed` ``(seed, l)``. So ``nsnn_sim.simulate`` with those seeds draws the same random
numbers and, given the same currents, produces the same spikes (:mod:`nsnn_sim.learn.simulator`).

A layer with a synaptic trace or an adaptive threshold (:class:`~nsnn_sim.learn.network.SpikingLayer`
``alpha_syn``, ``threshold_jump``) runs the simulator's state step,
:func:`nsnn_sim.simulator.state.state_update`, on the compiled state of its NSNN (mean field: the one neuron's
:func:`~nsnn_sim.simulator.neurons.mean_field_step` at the adapted threshold); its trace records the trace ``i``
(``current``) and the threshold offset ``q`` (``threshold_offset``).

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
from nsnn_sim.simulator.state import pack, state_draws, state_update

__all__ = ["forward", "LayerTrace", "Trace", "layer_seed", "synaptic_drive", "delayed", "layer_input",
           "membrane_perturbation", "synaptic_filter", "layer_current", "readout_outputs", "check_inputs",
           "check_mean_field", "check_membrane_noise", "check_spike_hook"]


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


def synaptic_filter(drive: np.ndarray, decay: np.ndarray) -> np.ndarray:
    """The trace ``i[t] = decay*i[t-1] + drive[t]`` (``i[-1] = 0``) of a ``(batch, step, neuron)`` current, with a
    per-neuron ``decay``: a synaptic layer's feed-forward current (:func:`layer_current`)."""
    out = np.empty_like(drive)
    previous = np.zeros(drive.shape[::2])
    for step in range(drive.shape[1]):
        previous = decay * previous + drive[:, step]
        out[:, step] = previous
    return out


def layer_current(network, index: int, presynaptic: np.ndarray, seed: int, membrane_noise: float):
    """``(drive, current, feed_forward)`` of layer ``index``: ``drive = W presynaptic`` (+ the membrane
    perturbation of :func:`membrane_perturbation` if ``membrane_noise > 0``); the current its membrane receives
    besides the recurrent spikes, ``drive`` itself or, for a synaptic layer, ``feed_forward``, the trace
    :func:`synaptic_filter` of ``W presynaptic`` (plus the perturbation, which acts on the membrane and is not
    filtered); ``feed_forward`` is None for a layer without a trace.

    The feed-forward part of the trace does not depend on the layer's own spikes, so it is filtered here, once;
    the kernel's trace (and the simulator's, :mod:`nsnn_sim.learn.simulator`) holds the recurrent part, and the
    two add up to the layer's ``i[t]`` (the trace is linear). The learner and the simulator both call this."""
    layer = network.layers[index]
    drive = synaptic_drive(presynaptic, network.parameters[f"{index}.W"])
    feed_forward = synaptic_filter(drive, network.parameters[f"{index}.alpha_syn"]) if layer.synaptic else None
    current = drive if feed_forward is None else feed_forward
    if membrane_noise > 0.0:
        perturbation = membrane_perturbation(drive.shape, membrane_noise, seed, index)
        return drive + perturbation, current + perturbation, feed_forward
    return drive, current, feed_forward


@njit(cache=True, inline="always")
def _recurrent_input(jump, recurrent, spikes, b, step):
    """``jump = V s[t-1]`` of sample ``b`` at ``step`` (zero at step 0 or without ``V``), the presynaptic
    neurons added in increasing order, as the simulator pushes its spikes."""
    jump[:] = 0.0
    if recurrent.shape[0] > 0 and step > 0:
        for pre in range(jump.size):
            spike = spikes[b, step - 1, pre]
            if spike != 0.0:
                for post in range(jump.size):
                    jump[post] += recurrent[post, pre] * spike


@njit(cache=True, parallel=True)
def _run_state_layer(p, packed, set_of, n_noise, clamp, synaptic, decay, threshold_decay, threshold_jump, current,
                     recurrent, seed, trials, mean_field, u_free, u_fire, u_after, spikes, trace, offset):
    """One layer of neurons with more state (:func:`nsnn_sim.simulator.state.compile_nsnn_state`: ``u``, a trace
    if ``synaptic``, the threshold offset ``q``), every sample of a batch in parallel.

    A stochastic step is the simulator's own :func:`~nsnn_sim.simulator.state.state_update` on the packed row of
    the neuron's set, with the random numbers of :func:`~nsnn_sim.simulator.state.state_draws` and the recurrent
    spikes at the trace's receptor (``synaptic``) or ``u``'s; the potentials it does not return are recorded
    beside it: ``u_free = beta*u + current + i_rec`` (``i_rec = decay*i_rec + J``), ``u_fire = u_free +
    noise_scale*eps`` and ``q = rho*q_after``. A mean-field step is
    :func:`~nsnn_sim.simulator.neurons.mean_field_step` at the threshold ``theta + q``, and
    ``q_after = q + jump*p``. ``trace`` receives the recurrent part of ``i`` and ``offset`` ``q``."""
    n_batch, n_steps, n_neurons = current.shape
    codes = rule_codes(p)
    n_receptors = 2 if synaptic else 1
    last = 2 if synaptic else 1  # the index of q in the state vector
    for b in prange(n_batch):
        trial = trials[b]
        x = np.zeros((n_neurons, last + 1))
        for i in range(n_neurons):
            x[i, 0] = p.u_initial[i]
        scratch = np.empty(last + 1)
        draws = np.empty((1, n_receptors + n_noise + 1))
        jump = np.zeros(n_neurons)
        keys = np.empty((n_neurons, 2), dtype=np.uint64)
        for i in range(n_neurons):
            keys[i, 0], keys[i, 1], _ = rng.neuron_keys(seed, trial, i)
        for step in range(n_steps):
            _recurrent_input(jump, recurrent, spikes, b, step)
            for i in range(n_neurons):
                constants = neuron_constants(p, i)
                received = decay[i] * x[i, 1] + jump[i] if synaptic else jump[i]  # this step's i_rec, or J
                q = threshold_decay[i] * x[i, last]
                if mean_field:
                    at_threshold = (constants[0], constants[1], constants[2], constants[3], constants[4] + q,
                                    constants[5], constants[6], constants[7])
                    free, probability, after = mean_field_step(at_threshold, codes, x[i, 0], current[b, step, i],
                                                               received)
                    x[i, 0], x[i, last] = after, q + threshold_jump[i] * probability
                    if synaptic:
                        x[i, 1] = received
                    u_fire[b, step, i] = free
                    spikes[b, step, i] = probability
                else:
                    free = constants[0] * x[i, 0] + current[b, step, i] + received
                    for r in range(n_receptors):
                        draws[0, r] = 0.0
                    draws[0, n_receptors - 1] = jump[i]
                    state_draws(draws, 0, n_receptors, n_noise, step, keys[i, 0], keys[i, 1], codes)
                    _, spike = state_update(packed[set_of[i]], last + 1, n_noise, clamp, x[i], scratch, 0,
                                            current[b, step, i], draws, 0, n_receptors, constants, codes)
                    u_fire[b, step, i] = free + constants[3] * draws[0, n_receptors] if n_noise else free
                    spikes[b, step, i] = 1.0 if spike else 0.0
                u_free[b, step, i] = free
                u_after[b, step, i] = x[i, 0]
                if synaptic:
                    trace[b, step, i] = x[i, 1]
                offset[b, step, i] = q


@njit(cache=True, parallel=True)
def _run_layer(p, drive, recurrent, seed, trials, mean_field, u_free, u_fire, u_after, spikes):
    """One layer, every sample of a batch (in parallel; each sample is independent)."""
    n_batch, n_steps, n_neurons = drive.shape
    codes = rule_codes(p)
    for b in prange(n_batch):
        trial = trials[b]
        u = p.u_initial.copy()
        refractory_left = np.zeros(n_neurons, dtype=np.int64)
        jump = np.zeros(n_neurons)
        keys = np.empty((n_neurons, 3), dtype=np.uint64)
        for i in range(n_neurons):
            keys[i, 0], keys[i, 1], keys[i, 2] = rng.neuron_keys(seed, trial, i)
        for step in range(n_steps):
            _recurrent_input(jump, recurrent, spikes, b, step)
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
    ``spikes`` (0/1, or firing probabilities in the mean-field network); for a synaptic layer ``current``, the
    trace ``i[t]`` its membrane took, and for an adaptive layer ``threshold_offset``, the ``q[t]`` of its
    threshold ``theta + q[t]`` (None otherwise)."""

    presynaptic: np.ndarray
    drive: np.ndarray
    u_free: np.ndarray
    u_fire: np.ndarray
    u_after: np.ndarray
    spikes: np.ndarray
    current: np.ndarray | None = None
    threshold_offset: np.ndarray | None = None


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
    """Layer ``index`` given its presynaptic input (see :func:`forward`). A layer whose simulator model has
    more state (:attr:`nsnn_sim.NSNN.has_state`) runs the state kernel, as the simulator does."""
    layer = network.layers[index]
    drive, current, feed_forward = layer_current(network, index, presynaptic, seed, membrane_noise)
    recurrent = network.parameters[f"{index}.V"] if layer.recurrent else np.zeros((0, 0))
    shape = drive.shape
    u_free, u_fire, u_after, spikes = (np.empty(shape) for _ in range(4))
    model = network.layer_model(index)
    arguments = (np.ascontiguousarray(recurrent), np.uint64(layer_seed(seed, index)), trials, mean_field,
                 u_free, u_fire, u_after, spikes)
    if not model.has_state:
        _run_layer(model.compile(layer.n_neurons), np.ascontiguousarray(current), *arguments)
        offset = np.zeros(shape) if layer.adaptive else None  # an adaptive layer whose jumps are all 0
        return LayerTrace(presynaptic, drive, u_free, u_fire, u_after, spikes, None, offset)
    compiled = model.compile_state(layer.n_neurons)
    trace = np.zeros(shape if layer.synaptic else (0, 0, 0))
    offset = np.empty(shape)
    zeros = np.zeros(layer.n_neurons)
    state = {name: network.parameters.get(f"{index}.{name}", zeros) for name in
             ("alpha_syn", "threshold_decay", "threshold_jump")}
    _run_state_layer(model.compile(layer.n_neurons), pack(compiled), compiled.set_of, compiled.noise.shape[2],
                     compiled.clamp, layer.synaptic, state["alpha_syn"], state["threshold_decay"],
                     state["threshold_jump"], np.ascontiguousarray(current), *arguments, trace, offset)
    return LayerTrace(presynaptic, drive, u_free, u_fire, u_after, spikes,
                      feed_forward + trace if layer.synaptic else None, offset if layer.adaptive else None)


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
