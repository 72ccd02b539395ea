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

import numpy as np
from numba import njit

from nsnn_sim._core.blas import with_single_blas_thread
from nsnn_sim.learn.forward import Trace, delayed, stacked_matmul
from nsnn_sim.simulator import noise as noise_families

__all__ = ["backward", "membrane_adjoint", "drive_and_decay_gradients"]


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
                    delta, grad_threshold):
    """The reverse-time recursion of the module docstring, written into ``delta`` and ``grad_threshold``
    (zeroed by the caller). Samples are independent; within a step the neurons couple only through
    ``V^T delta[t+1]``, so each step is one pass over (neuron, neuron) and one over neurons."""
    n_batch, n_steps, n_neurons = spikes.shape
    has_recurrent = recurrent.shape[0] > 0
    adjoint = np.zeros(n_neurons)  # dL/du_after[t]
    total = np.empty(n_neurons)  # g[t] = dL/ds[t]
    for b in range(n_batch):
        adjoint[:] = 0.0
        for step in range(n_steps - 1, -1, -1):
            for i in range(n_neurons):
                total[i] = grad_spikes[b, step, i]
            if has_recurrent and step < n_steps - 1:
                for post in range(n_neurons):  # (V^T delta[t+1])[pre] = sum_post delta[t+1, post] V[post, pre]
                    weight = delta[b, step + 1, post]
                    for pre in range(n_neurons):
                        total[pre] += weight * recurrent[post, pre]
            for i in range(n_neurons):
                spike = spikes[b, step, i]
                if subtract:
                    through_fire = adjoint[i]
                    if not detach_reset:
                        total[i] -= adjoint[i] * threshold[i]
                    grad_threshold[i] -= adjoint[i] * spike
                else:
                    through_fire = adjoint[i] * (1.0 - spike)
                    if not detach_reset:
                        total[i] -= adjoint[i] * u_fire[b, step, i]
                through_spike = total[i] * slope[b, step, i]
                grad_threshold[i] -= through_spike
                delta[b, step, i] = through_fire + through_spike
                adjoint[i] = beta[i] * delta[b, step, i]


def membrane_adjoint(grad_spikes, slope, spikes, u_fire, beta, threshold, reset: str = "zero",
                     detach_reset: bool = True, recurrent=None) -> tuple[np.ndarray, np.ndarray]:
    """BPTT through one layer of the one neuron equation: ``delta[t] = dL/du_free[t]`` and ``dL/dtheta``.

    The recursion of the module docstring, backwards in t (``a[t] = dL/du_after[t]``)::

        g[t]     = grad_spikes[t] + V^T delta[t+1] + a[t] * d u_after/d s     (the last term unless detached)
        delta[t] = a[t] * d u_after/d u_fire + g[t] * slope[t]
        a[t-1]   = beta * delta[t]

    with ``d u_after/d u_fire = 1 - s[t]`` (reset "zero") or 1 ("subtract"). It is the learner's
    backward pass (:func:`backward`) and the gradient of the teacher-forced likelihood of
    :mod:`nsnn_sim.fit` (there ``grad_spikes = dL/dp``, ``slope = dp/du_free`` and ``spikes`` the
    observed reset indicators, which no parameter moves: ``detach_reset=True``, no ``recurrent``).

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
    arrays = [np.ascontiguousarray(a, dtype=np.float64) for a in (grad_spikes, slope, spikes, u_fire)]
    delta = np.empty_like(arrays[2])
    grad_threshold = np.zeros(arrays[2].shape[2])
    recurrent = np.zeros((0, 0)) if recurrent is None else np.ascontiguousarray(recurrent, dtype=np.float64)
    _adjoint_kernel(*arrays, np.ascontiguousarray(beta, dtype=np.float64),
                    np.ascontiguousarray(threshold, dtype=np.float64), recurrent, reset == "subtract",
                    bool(detach_reset), delta, grad_threshold)
    return delta, grad_threshold


def drive_and_decay_gradients(delta: np.ndarray, presynaptic: np.ndarray, u_after: np.ndarray):
    """``dL/dW = sum_{b,t} delta[t] presynaptic[t]^T`` for ``u_free[t] = W presynaptic[t] + (other terms)`` and
    ``dL/dbeta = sum_{b,t} delta[t] u_after[t-1]`` (``u_after[-1] = 0``) for ``u_free[t] = beta u_after[t-1] + ...``."""
    n_neurons = delta.shape[2]
    grad_weights = delta.reshape(-1, n_neurons).T @ presynaptic.reshape(-1, presynaptic.shape[2])
    grad_beta = (delta[:, 1:] * u_after[:, :-1]).sum(axis=(0, 1))
    return grad_weights, grad_beta


def _layer_backward(network, index: int, trace, grad_spikes: np.ndarray, grads: dict) -> np.ndarray:
    """BPTT through layer ``index``; returns ``delta = dL/du_free`` (batch, n_steps, n_neurons)."""
    layer = network.layers[index]
    beta = network.parameters[f"{index}.beta"]
    threshold = network.parameters[f"{index}.threshold"]
    recurrent = network.parameters.get(f"{index}.V")
    family, scale = layer.gradient_family
    potential = trace.u_fire if layer.gradient_potential == "u_fire" else trace.u_free
    slope = noise_families.get(family, scale).pdf(potential - threshold)
    spikes = trace.spikes
    delta, grads[f"{index}.threshold"] = membrane_adjoint(
        grad_spikes, slope, spikes, trace.u_fire, beta, threshold, reset=layer.reset,
        detach_reset=layer.detach_reset, recurrent=recurrent)
    grads[f"{index}.W"], grads[f"{index}.beta"] = drive_and_decay_gradients(delta, trace.presynaptic, trace.u_after)
    if recurrent is not None:
        n_neurons = spikes.shape[2]
        grads[f"{index}.V"] = delta[:, 1:].reshape(-1, n_neurons).T @ spikes[:, :-1].reshape(-1, n_neurons)
    return delta


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
        delta = _layer_backward(network, index, trace.layers[index], grad_spikes, grads)
        weights = network.parameters[f"{index}.W"]
        if index > 0:  # I_l[t] = W_l s_{l-1}[t - layer_delay]
            grad_spikes = _through_weights(delta, weights, network.layer_delay)
        elif input_gradient:
            grads["input"] = stacked_matmul(delta, weights)
    return grads
