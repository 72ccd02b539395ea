"""Backpropagation through time with the noise-driven learning (NDL) rule.

For layer ``l`` (NSNN, ``u_reset = 0``) the forward pass (:mod:`.forward`) computed

    u_free[t] = beta*u_after[t-1] + I[t] + V s[t-1]
    u_fire[t] = u_free[t] (+ membrane noise eps[t]: firing "membrane" and "reference")
    s[t]      = fire(u_fire[t])                              (stochastic, or p = F(u_free - theta))
    u_after[t] = u_fire[t]*(1 - s[t])   (reset "zero")   or   u_fire[t] - theta*s[t]   ("subtract")

with ``I_0[t] = W_0 x[t]`` and ``I_l[t] = W_l s_{l-1}[t - d]`` (``d = network.layer_delay``), and
this module propagates ``dL/d(.)`` backwards with the spike's derivative

    d s[t] / d u[t] = pdf(u[t] - theta)    at u = u_free (escape, membrane) or u = u_fire (reference)

(:attr:`~nsnn_sim.learn.network.SpikingLayer.gradient_potential`; the surrogate's pdf for
noise="none"). The noise is additive, ``d u_fire / d u_free = 1``, so with ``pdf`` at ``u_free``
this is the exact derivative of the firing probability ``F(u_free - theta)``, and for the mean-field
network the result is the exact gradient (checked against finite differences in the tests); with
``pdf`` at ``u_fire`` it is the official code's gradient of the reference rule. ``detach_reset``
drops ``d u_after / d s`` (the factor ``1 - s`` on ``d u_after / d u_fire`` stays). With
``a[t] = dL/du_after[t]`` and ``delta[t] = dL/du_free[t] = dL/du_fire[t]``, backwards in t:

    g[t]     = dL/ds[t] (from above) + V^T delta[t+1] + a[t] * d u_after/d s
    delta[t] = a[t] * d u_after/d u_fire + g[t] * pdf(u[t] - theta)
    a[t-1]   = beta * delta[t]

Weight gradients: ``dW = sum_{b,t} delta[t] presynaptic[t]^T``, ``dV = sum delta[t] s[t-1]^T``,
``dbeta = sum delta[t] u_after[t-1]``, ``dtheta = -sum g[t] pdf[t]`` (``- sum a[t] s[t]`` for the
subtractive reset); the layer below receives ``dL/ds_{l-1}[t - d] = W^T delta[t]``.

Layers with a synaptic trace ``i[t] = alpha_syn*i[t-1] + I[t] + V s[t-1]`` and an adaptive threshold
``theta + q[t]`` (:mod:`nsnn_sim.learn.network`) add two adjoints, ``eta[t] = dL/di[t] = delta[t] + alpha_syn*eta[t+1]``
(which takes ``delta``'s place in ``dW``, ``dV`` and the layer below) and ``r[t] = dL/dq[t]``; the spike's
derivative is taken at ``theta_t = theta + q[t]``; :func:`state_adjoint` states the recursion.

Readouts: count ``dL/ds_L[t] = scale dL/d output``; membrane ``y[t] = beta y[t-1] + W s_L[t-1]``
(reverse-time filter of ``dL/dy``); linear ``y[t] = W s_L[t]``, ``dL/ds_L[t] = W^T dL/dy[t]`` with
``dL/dy[t] = dL/d output / T`` plus the step loss's own ``dL/dy[t]``.

Examples
--------
>>> import numpy as np
>>> from nsnn_sim import learn
>>> from nsnn_sim.learn.backward import backward
>>> network = learn.Network(3, [learn.SpikingLayer(4, noise="gaussian", noise_scale=0.3, firing="escape")],
...                         learn.Readout("membrane", n_outputs=2), seed=0)
>>> trace = learn.forward(network, np.ones((2, 5, 3)), seed=1)
>>> grads = backward(network, trace, grad_outputs=np.ones((2, 2)))
>>> sorted(grads) == sorted(network.parameters)
True
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numba import njit

from nsnn_sim._core.blas import with_single_blas_thread
from nsnn_sim.learn.forward import Trace, delayed, stacked_matmul
from nsnn_sim.simulator import noise as noise_families

__all__ = ["backward", "membrane_adjoint", "state_adjoint", "StateAdjoints", "drive_and_decay_gradients"]


def _through_weights(grad_current: np.ndarray, weights: np.ndarray, delay: int) -> np.ndarray:
    """``dL/ds[t - delay] = W^T dL/dI[t]`` for a current ``I[t] = W s[t - delay]`` (delay 0 or 1;
    with delay 1 the last step's spikes reach no current, their gradient is zero)."""
    grad_spikes = stacked_matmul(grad_current, weights)
    if delay == 0:
        return grad_spikes
    shifted = np.zeros_like(grad_spikes)
    shifted[:, :-1] = grad_spikes[:, 1:]
    return shifted


def _readout_backward(network, trace: Trace, grad_outputs, grad_step_outputs, grads: dict) -> np.ndarray:
    """dL/ds of the last spiking layer, shape (batch, n_steps, n_neurons); adds ``readout.W``'s gradient."""
    readout = network.readout
    last = trace.layers[-1].spikes
    n_steps = last.shape[1]
    if readout.kind == "count":
        return np.broadcast_to((readout.scale * grad_outputs)[:, None, :], last.shape).copy()
    weights = network.parameters["readout.W"]
    if readout.kind == "linear":  # y[t] = W s[t], output = mean_t y[t]
        grad_logits = np.zeros(last.shape[:2] + (weights.shape[0],))
        if grad_outputs is not None:
            grad_logits += grad_outputs[:, None, :] / n_steps
        if grad_step_outputs is not None:
            grad_logits += grad_step_outputs
        grads["readout.W"] = grad_logits.reshape(-1, weights.shape[0]).T @ last.reshape(-1, last.shape[2])
        return _through_weights(grad_logits, weights, 0)
    state = trace.readout_state
    grad_state = np.zeros_like(state)
    if readout.reduce == "max":
        peak = state.argmax(axis=1)
        batch, output = np.indices(peak.shape)
        grad_state[batch, peak, output] = grad_outputs
    else:
        grad_state += grad_outputs[:, None, :] / n_steps
    adjoint = np.empty_like(grad_state)  # dL/d(readout drive)[t] = sum_{t' >= t} beta^(t'-t) dL/dy[t']
    running = np.zeros(grad_state.shape[::2])
    for step in range(n_steps - 1, -1, -1):
        running = grad_state[:, step] + readout.beta * running
        adjoint[:, step] = running
    grads["readout.W"] = adjoint.reshape(-1, adjoint.shape[2]).T @ delayed(last).reshape(-1, last.shape[2])
    return _through_weights(adjoint, weights, 1)


@njit(cache=True, nogil=True)
def _adjoint_kernel(grad_spikes, slope, spikes, u_fire, beta, threshold, recurrent, subtract, detach_reset,
                    decay, threshold_decay, threshold_jump, offset, delta, eta, grad_offset, grad_threshold):
    """The reverse-time recursion of :func:`state_adjoint`, written into ``delta``, ``eta`` (synaptic layers:
    ``eta.size > 0``), ``grad_offset`` (adaptive layers: ``offset.size > 0``) and ``grad_threshold`` (zeroed
    by the caller). Samples are independent; within a step the neurons couple only through ``V^T eta[t+1]``,
    so each step is one pass over (neuron, neuron) and one over neurons."""
    n_batch, n_steps, n_neurons = spikes.shape
    has_recurrent = recurrent.shape[0] > 0
    synaptic = eta.shape[0] > 0
    adaptive = offset.shape[0] > 0
    carried = eta if synaptic else delta  # what the recurrent spikes' input gradient is
    adjoint = np.zeros(n_neurons)  # dL/du_after[t]
    trace_adjoint = np.zeros(n_neurons)  # decay * eta[t+1], the trace's gradient from the future
    offset_adjoint = np.zeros(n_neurons)  # dL/dq_after[t] = rho * dL/dq[t+1]
    total = np.empty(n_neurons)  # g[t] = dL/ds[t]
    for b in range(n_batch):
        adjoint[:] = 0.0
        trace_adjoint[:] = 0.0
        offset_adjoint[:] = 0.0
        for step in range(n_steps - 1, -1, -1):
            for i in range(n_neurons):
                total[i] = grad_spikes[b, step, i]
            if has_recurrent and step < n_steps - 1:
                for post in range(n_neurons):  # (V^T eta[t+1])[pre] = sum_post eta[t+1, post] V[post, pre]
                    weight = carried[b, step + 1, post]
                    for pre in range(n_neurons):
                        total[pre] += weight * recurrent[post, pre]
            for i in range(n_neurons):
                spike = spikes[b, step, i]
                theta = threshold[i]
                through_threshold = 0.0  # dL/dtheta_t of this step
                if adaptive:
                    total[i] += threshold_jump[i] * offset_adjoint[i]
                    theta += offset[b, step, i]
                if subtract:
                    through_fire = adjoint[i]
                    if not detach_reset:
                        total[i] -= adjoint[i] * theta
                    grad_threshold[i] -= adjoint[i] * spike
                    through_threshold -= adjoint[i] * spike
                else:
                    through_fire = adjoint[i] * (1.0 - spike)
                    if not detach_reset:
                        total[i] -= adjoint[i] * u_fire[b, step, i]
                through_spike = total[i] * slope[b, step, i]
                grad_threshold[i] -= through_spike
                delta[b, step, i] = through_fire + through_spike
                adjoint[i] = beta[i] * delta[b, step, i]
                if synaptic:
                    eta[b, step, i] = delta[b, step, i] + trace_adjoint[i]
                    trace_adjoint[i] = decay[i] * eta[b, step, i]
                if adaptive:
                    grad_offset[b, step, i] = through_threshold - through_spike + offset_adjoint[i]
                    offset_adjoint[i] = threshold_decay[i] * grad_offset[b, step, i]


def _contiguous(values) -> np.ndarray:
    return np.ascontiguousarray(values, dtype=np.float64)


def membrane_adjoint(grad_spikes, slope, spikes, u_fire, beta, threshold, reset: str = "zero",
                     detach_reset: bool = True, recurrent=None) -> tuple[np.ndarray, np.ndarray]:
    """BPTT through one layer of the one neuron equation: ``delta[t] = dL/du_free[t]`` and ``dL/dtheta``.

    The recursion of the module docstring, backwards in t (``a[t] = dL/du_after[t]``)::

        g[t]     = grad_spikes[t] + V^T delta[t+1] + a[t] * d u_after/d s     (the last term unless detached)
        delta[t] = a[t] * d u_after/d u_fire + g[t] * slope[t]
        a[t-1]   = beta * delta[t]

    with ``d u_after/d u_fire = 1 - s[t]`` (reset "zero") or 1 ("subtract"). It is the learner's
    backward pass (:func:`backward`; :func:`state_adjoint` for layers with more state) and the gradient of the
    teacher-forced likelihood of :mod:`nsnn_sim.fit` (there ``grad_spikes = dL/dp``, ``slope = dp/du_free`` and
    ``spikes`` the observed reset indicators, which no parameter moves: ``detach_reset=True``, no ``recurrent``).

    Parameters
    ----------
    grad_spikes, slope, spikes, u_fire : array, shape (batch, n_steps, n_neurons)
        ``dL/ds`` from above, ``d s / d u``, the spikes (or probabilities) that reset the membrane, and
        the potential the reset acted on.
    beta, threshold : array, shape (n_neurons,)
        Per-neuron decay (``d u_free[t+1] / d u_after[t]``) and threshold.
    reset : {"zero", "subtract"}
    detach_reset : bool
        Drop ``d u_after / d s``.
    recurrent : array, shape (n_neurons, n_neurons), optional
        ``V[post, pre]`` of recurrent spikes arriving one step later.

    Returns
    -------
    delta : array, shape (batch, n_steps, n_neurons)
    grad_threshold : array, shape (n_neurons,)
    """
    adjoints = state_adjoint(grad_spikes, slope, spikes, u_fire, beta, threshold, reset, detach_reset, recurrent)
    return adjoints.delta, adjoints.grad_threshold


class StateAdjoints(NamedTuple):
    """:func:`state_adjoint`'s result: ``delta = dL/du_free``, ``eta = dL/di`` (synaptic layers, else None),
    ``grad_offset = dL/dq`` (adaptive layers, else None), all ``(batch, n_steps, n_neurons)``, and
    ``grad_threshold = dL/dtheta`` ``(n_neurons,)``."""

    delta: np.ndarray
    eta: np.ndarray | None
    grad_offset: np.ndarray | None
    grad_threshold: np.ndarray


def state_adjoint(grad_spikes, slope, spikes, u_fire, beta, threshold, reset: str = "zero",
                  detach_reset: bool = True, recurrent=None, decay=None, threshold_decay=None, threshold_jump=None,
                  threshold_offset=None) -> StateAdjoints:
    """BPTT through one layer with a synaptic trace (``decay`` given) and an adaptive threshold
    (``threshold_offset`` given) (:mod:`nsnn_sim.learn.network`)::

        i[t] = decay*i[t-1] + I[t] + V s[t-1];  u_free[t] = beta*u_after[t-1] + i[t]
        q[t] = rho*q_after[t-1];  theta_t = theta + q[t];  q_after[t] = q[t] + jump*s[t]

    Backwards in t, with ``a[t] = dL/du_after[t]``, ``delta[t] = dL/du_free[t]``, ``eta[t] = dL/di[t]`` and
    ``r[t] = dL/dq[t]``::

        g[t]     = grad_spikes[t] + V^T eta[t+1] + a[t] * d u_after/d s + jump*rho*r[t+1]
        delta[t] = a[t] * d u_after/d u_fire + g[t] * slope[t]
        eta[t]   = delta[t] + decay*eta[t+1],       a[t-1] = beta*delta[t]
        r[t]     = dL/dtheta_t + rho*r[t+1],        dL/dtheta_t = -g[t]*slope[t] (- a[t]*s[t] for "subtract")

    ``d u_after/d s`` is ``-u_fire`` (zero reset) or ``-theta_t`` (subtract), dropped with ``detach_reset``; the
    threshold's jump keeps its gradient. Without a trace ``eta = delta``; without adaptation ``r`` is not
    needed. ``slope`` is ``d s / d u`` at ``theta_t``.

    Parameters
    ----------
    grad_spikes, slope, spikes, u_fire, beta, threshold, reset, detach_reset, recurrent
        As in :func:`membrane_adjoint`.
    decay : array, shape (n_neurons,), optional
        The trace's decay ``alpha_syn`` (synaptic layers).
    threshold_decay, threshold_jump : array, shape (n_neurons,), optional
        ``rho`` and ``jump`` (adaptive layers, with ``threshold_offset``).
    threshold_offset : array, shape (batch, n_steps, n_neurons), optional
        ``q[t]`` of the forward pass.

    Returns
    -------
    StateAdjoints
    """
    arrays = [_contiguous(a) for a in (grad_spikes, slope, spikes, u_fire)]
    shape = arrays[2].shape
    empty, none = np.zeros((0, 0, 0)), np.zeros(0)
    delta = np.empty(shape)
    eta = empty if decay is None else np.empty(shape)
    grad_offset = empty if threshold_offset is None else np.empty(shape)
    grad_threshold = np.zeros(shape[2])
    recurrent = np.zeros((0, 0)) if recurrent is None else _contiguous(recurrent)
    adaptive = threshold_offset is not None
    rho, jump = (_contiguous(threshold_decay), _contiguous(threshold_jump)) if adaptive else (none, none)
    _adjoint_kernel(*arrays, _contiguous(beta), _contiguous(threshold), recurrent, reset == "subtract",
                    bool(detach_reset), none if decay is None else _contiguous(decay), rho, jump,
                    _contiguous(threshold_offset) if adaptive else empty, delta, eta, grad_offset, grad_threshold)
    return StateAdjoints(delta, None if decay is None else eta, grad_offset if adaptive else None, grad_threshold)


def drive_and_decay_gradients(delta: np.ndarray, presynaptic: np.ndarray, u_after: np.ndarray,
                              current_adjoint: np.ndarray | None = None):
    """``dL/dW = sum_{b,t} delta[t] presynaptic[t]^T`` for ``u_free[t] = W presynaptic[t] + (other terms)`` and
    ``dL/dbeta = sum_{b,t} delta[t] u_after[t-1]`` (``u_after[-1] = 0``) for ``u_free[t] = beta u_after[t-1] + ...``;
    ``dL/dW`` with ``current_adjoint`` in place of ``delta`` when ``W presynaptic`` enters a synaptic trace whose
    gradient that is (``eta`` of :func:`state_adjoint`)."""
    through = delta if current_adjoint is None else current_adjoint
    n_neurons = delta.shape[2]
    grad_weights = through.reshape(-1, n_neurons).T @ presynaptic.reshape(-1, presynaptic.shape[2])
    grad_beta = (delta[:, 1:] * u_after[:, :-1]).sum(axis=(0, 1))
    return grad_weights, grad_beta


def _state_gradients(index: int, trace, adjoints: StateAdjoints, parameters: dict, grads: dict) -> None:
    """The gradients of a layer's trace decay and adaptive threshold (:func:`state_adjoint`'s notation):
    ``dL/dalpha_syn = sum_t eta[t] i[t-1]``, ``dL/drho = sum_t r[t] q_after[t-1]`` and
    ``dL/djump = sum_t rho r[t+1] s[t]`` (``q_after = q + jump*s``)."""
    if adjoints.eta is not None:
        grads[f"{index}.alpha_syn"] = (adjoints.eta[:, 1:] * trace.current[:, :-1]).sum(axis=(0, 1))
    if adjoints.grad_offset is not None:
        rho, jump = parameters[f"{index}.threshold_decay"], parameters[f"{index}.threshold_jump"]
        after = trace.threshold_offset + jump * trace.spikes
        grads[f"{index}.threshold_decay"] = (adjoints.grad_offset[:, 1:] * after[:, :-1]).sum(axis=(0, 1))
        grads[f"{index}.threshold_jump"] = rho * (adjoints.grad_offset[:, 1:] * trace.spikes[:, :-1]).sum(axis=(0, 1))


def _layer_backward(network, index: int, trace, grad_spikes: np.ndarray, grads: dict) -> np.ndarray:
    """BPTT through layer ``index``; returns the gradient of its input current, ``dL/dI[t]``: ``delta =
    dL/du_free`` (batch, n_steps, n_neurons), or ``eta = dL/di`` for a synaptic layer."""
    layer = network.layers[index]
    parameters = network.parameters
    beta, threshold = parameters[f"{index}.beta"], parameters[f"{index}.threshold"]
    recurrent = parameters.get(f"{index}.V")
    family, scale = layer.gradient_family
    potential = trace.u_fire if layer.gradient_potential == "u_fire" else trace.u_free
    at_threshold = potential - threshold if trace.threshold_offset is None else (
        potential - (threshold + trace.threshold_offset))
    slope = noise_families.get(family, scale).pdf(at_threshold)
    spikes = trace.spikes
    adaptive = trace.threshold_offset is not None
    adjoints = state_adjoint(
        grad_spikes, slope, spikes, trace.u_fire, beta, threshold, reset=layer.reset,
        detach_reset=layer.detach_reset, recurrent=recurrent, decay=parameters.get(f"{index}.alpha_syn"),
        threshold_decay=parameters[f"{index}.threshold_decay"] if adaptive else None,
        threshold_jump=parameters[f"{index}.threshold_jump"] if adaptive else None,
        threshold_offset=trace.threshold_offset)
    grads[f"{index}.threshold"] = adjoints.grad_threshold
    through_current = adjoints.delta if adjoints.eta is None else adjoints.eta
    grads[f"{index}.W"], grads[f"{index}.beta"] = drive_and_decay_gradients(
        adjoints.delta, trace.presynaptic, trace.u_after, current_adjoint=adjoints.eta)
    _state_gradients(index, trace, adjoints, parameters, grads)
    if recurrent is not None:
        n_neurons = spikes.shape[2]
        grads[f"{index}.V"] = through_current[:, 1:].reshape(-1, n_neurons).T @ spikes[:, :-1].reshape(-1, n_neurons)
    return through_current


@with_single_blas_thread
def backward(network, trace: Trace, grad_outputs=None, input_gradient: bool = False,
             grad_step_outputs=None) -> dict:
    """Gradients of a loss with respect to every parameter, given ``dL/d outputs``.

    Parameters
    ----------
    network : Network
        The network that produced ``trace`` (parameters unchanged since).
    trace : Trace
        :func:`nsnn_sim.learn.forward` output.
    grad_outputs : array, shape (batch, n_outputs), optional
        ``dL/d outputs`` (e.g. from :mod:`nsnn_sim.learn.losses`).
    input_gradient : bool
        Also return ``"input"``: ``dL/dx`` of shape (batch, n_steps, n_inputs).
    grad_step_outputs : array, shape (batch, n_steps, n_outputs), optional
        ``dL/dy[t]`` for the per-step logits of the linear readout (a step loss such as
        :func:`~nsnn_sim.learn.losses.step_cross_entropy`); added to what ``grad_outputs`` gives.

    Returns
    -------
    dict of str -> ndarray
        One gradient per entry of ``network.parameters`` (and ``"input"`` if asked).
    """
    if grad_outputs is None and grad_step_outputs is None:
        raise ValueError("give grad_outputs, grad_step_outputs or both")
    if grad_outputs is not None:
        grad_outputs = np.asarray(grad_outputs, dtype=np.float64)
        if grad_outputs.shape != trace.outputs.shape:
            raise ValueError(f"grad_outputs has shape {grad_outputs.shape}; expected the outputs' "
                             f"{trace.outputs.shape}")
    if grad_step_outputs is not None:
        if trace.step_outputs is None:
            raise ValueError("grad_step_outputs needs the linear readout (per-step logits); "
                             f"this network's readout is {network.readout.kind!r}")
        grad_step_outputs = np.asarray(grad_step_outputs, dtype=np.float64)
        if grad_step_outputs.shape != trace.step_outputs.shape:
            raise ValueError(f"grad_step_outputs has shape {grad_step_outputs.shape}; expected the per-step "
                             f"logits' {trace.step_outputs.shape}")
    grads: dict[str, np.ndarray] = {}
    grad_spikes = _readout_backward(network, trace, grad_outputs, grad_step_outputs, grads)
    for index in range(len(network.layers) - 1, -1, -1):
        grad_current = _layer_backward(network, index, trace.layers[index], grad_spikes, grads)
        weights = network.parameters[f"{index}.W"]
        if index > 0:  # I_l[t] = W_l s_{l-1}[t - layer_delay]
            grad_spikes = _through_weights(grad_current, weights, network.layer_delay)
        elif input_gradient:
            grads["input"] = stacked_matmul(grad_current, weights)
    return grads
