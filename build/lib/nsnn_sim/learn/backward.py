"""Backpropagation through time with the noise-driven learning (NDL) rule.

For layer ``l`` (NSNN, ``u_reset = 0``) the forward pass (:mod:`.forward`) computed

    u_free[t] = beta*u_after[t-1] + I[t] + V s[t-1]
    u_fire[t] = u_free[t] (+ membrane noise)
    s[t]      = fire(u_fire[t])                              (stochastic, or p = F(u_free - theta))
    u_after[t] = u_fire[t]*(1 - s[t])   (reset "zero")   or   u_fire[t] - theta*s[t]   ("subtract")

and this module propagates ``dL/d(.)`` backwards with

    d s[t] / d u_free[t] = pdf(u_free[t] - theta)        (NDL; the surrogate's pdf for noise="none")

which is the exact derivative of the firing probability, so for the mean-field network the result
is the exact gradient (checked against finite differences in the tests). ``detach_reset`` drops
``d u_after / d s``. With ``a[t] = dL/du_after[t]`` and ``delta[t] = dL/du_free[t]``, backwards in t:

    g[t]     = dL/ds[t] (from above) + V^T delta[t+1] + a[t] * d u_after/d s
    delta[t] = a[t] * d u_after/d u_fire + g[t] * pdf(u_free[t] - theta)
    a[t-1]   = beta * delta[t]

Weight gradients: ``dW = sum_{b,t} delta[t] presynaptic[t]^T``, ``dV = sum delta[t] s[t-1]^T``,
``dbeta = sum delta[t] u_after[t-1]``, ``dtheta = -sum g[t] pdf[t]`` (``- sum a[t] s[t]`` for the
subtractive reset); the layer below receives ``dL/ds_{l-1}[t-1] = W^T delta[t]``.
"""

from __future__ import annotations

import numpy as np

from nsnn_sim import noise as noise_families
from nsnn_sim.learn.forward import Trace, delayed

__all__ = ["backward"]


def _through_delayed_weights(grad_current: np.ndarray, weights: np.ndarray, shape) -> np.ndarray:
    """``dL/ds[t-1] = W^T dL/dI[t]`` for a current ``I[t] = W s[t-1]`` (zero at the last step)."""
    grad_spikes = np.zeros(shape)
    grad_spikes[:, :-1] = grad_current[:, 1:] @ weights
    return grad_spikes


def _readout_backward(network, trace: Trace, grad_outputs: np.ndarray, grads: dict) -> np.ndarray:
    """dL/ds of the last spiking layer, shape (batch, n_steps, n_neurons); adds ``readout.W``'s gradient."""
    readout = network.readout
    last = trace.layers[-1].spikes
    n_steps = last.shape[1]
    if readout.kind == "count":
        return np.broadcast_to((readout.scale * grad_outputs)[:, None, :], last.shape).copy()
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
    weights = network.parameters["readout.W"]
    grads["readout.W"] = adjoint.reshape(-1, adjoint.shape[2]).T @ delayed(last).reshape(-1, last.shape[2])
    return _through_delayed_weights(adjoint, weights, last.shape)


def _layer_backward(network, index: int, trace, grad_spikes: np.ndarray, grads: dict) -> np.ndarray:
    """BPTT through layer ``index``; returns ``delta = dL/du_free`` (batch, n_steps, n_neurons)."""
    layer = network.layers[index]
    beta = network.parameters[f"{index}.beta"]
    threshold = network.parameters[f"{index}.threshold"]
    recurrent = network.parameters.get(f"{index}.V")
    family, scale = layer.gradient_family
    slope = noise_families.get(family, scale).pdf(trace.u_free - threshold)
    spikes = trace.spikes
    subtract = layer.reset == "subtract"
    n_batch, n_steps, n_neurons = spikes.shape
    delta = np.empty_like(spikes)
    grad_threshold = np.zeros(n_neurons)
    adjoint = np.zeros((n_batch, n_neurons))  # dL/du_after[t]
    delta_next = np.zeros((n_batch, n_neurons))
    for step in range(n_steps - 1, -1, -1):
        total = grad_spikes[:, step].copy()
        if recurrent is not None and step < n_steps - 1:
            total += delta_next @ recurrent
        if subtract:
            through_fire = adjoint
            if not layer.detach_reset:
                total -= adjoint * threshold
            grad_threshold -= (adjoint * spikes[:, step]).sum(axis=0)
        else:
            through_fire = adjoint * (1.0 - spikes[:, step])
            if not layer.detach_reset:
                total -= adjoint * trace.u_fire[:, step]
        delta_step = through_fire + total * slope[:, step]
        grad_threshold -= (total * slope[:, step]).sum(axis=0)
        delta[:, step] = delta_step
        adjoint = beta * delta_step
        delta_next = delta_step
    flat_delta = delta.reshape(-1, n_neurons)
    presynaptic = trace.presynaptic
    grads[f"{index}.W"] = flat_delta.T @ presynaptic.reshape(-1, presynaptic.shape[2])
    if recurrent is not None:
        grads[f"{index}.V"] = delta[:, 1:].reshape(-1, n_neurons).T @ spikes[:, :-1].reshape(-1, n_neurons)
    grads[f"{index}.beta"] = (delta[:, 1:] * trace.u_after[:, :-1]).sum(axis=(0, 1))
    grads[f"{index}.threshold"] = grad_threshold
    return delta


def backward(network, trace: Trace, grad_outputs, input_gradient: bool = False) -> dict:
    """Gradients of a loss with respect to every parameter, given ``dL/d outputs``.

    Parameters
    ----------
    network : Network
        The network that produced ``trace`` (parameters unchanged since).
    trace : Trace
        :func:`nsnn_sim.learn.forward` output.
    grad_outputs : array, shape (batch, n_outputs)
        ``dL/d outputs`` (e.g. from :mod:`nsnn_sim.learn.losses`).
    input_gradient : bool
        Also return ``"input"``: ``dL/dx`` of shape (batch, n_steps, n_inputs).

    Returns
    -------
    dict of str -> ndarray
        One gradient per entry of ``network.parameters`` (and ``"input"`` if asked).
    """
    grad_outputs = np.asarray(grad_outputs, dtype=np.float64)
    if grad_outputs.shape != trace.outputs.shape:
        raise ValueError(f"grad_outputs has shape {grad_outputs.shape}; expected the outputs' {trace.outputs.shape}")
    grads: dict[str, np.ndarray] = {}
    grad_spikes = _readout_backward(network, trace, grad_outputs, grads)
    for index in range(len(network.layers) - 1, -1, -1):
        delta = _layer_backward(network, index, trace.layers[index], grad_spikes, grads)
        weights = network.parameters[f"{index}.W"]
        if index > 0:  # I_l[t] = W_l s_{l-1}[t-1]
            grad_spikes = _through_delayed_weights(delta, weights, trace.layers[index - 1].spikes.shape)
        elif input_gradient:
            grads["input"] = delta @ weights
    return grads
