"""The learner's gradient of one noisy sample equals an independent reverse-mode transcription.

The oracle here is written from the equations, not from nsnn_sim.learn.backward: it re-runs the
forward pass in plain numpy on a tape (a few lines of reverse-mode automatic differentiation), with
the trace's own noise draws ``eps = u_fire - u_free`` and spikes ``s`` as constants, and with the one
non-differentiable node, the spike, given the derivative the firing rule prescribes:

* escape and membrane: ``d s / d u_free = pdf(u_free - theta)`` (noise-free potential);
* reference (the official code): ``d s / d u_fire = pdf(u_fire - theta)`` (noisy potential), where
  ``u_fire = u_free + eps`` passes gradient with derivative 1;
* noise="none" with the official ERF surrogate: ``alpha/sqrt(pi) exp(-(alpha x)**2)``.

The pdfs come from scipy, not from nsnn_sim.simulator.noise. The reset ``u*(1 - s)`` (or ``u - theta*s``) is
differentiated through ``u`` and ``s``; ``detach_reset`` stops the gradient of that ``s`` only.
One parametrised test covers every gradient path of the plain layers, another those of the layers with a
synaptic trace and an adaptive threshold.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from nsnn_sim import learn

FAMILY_SCALES = {"gaussian": 0.4, "logistic": 0.25, "triangular": 0.8, "uniform": 0.6, "cauchy": 0.2, "none": 1.5}


def _scipy_pdf(family: str, scale: float):
    """The noise pdf (or, for "none", the ERF surrogate with alpha = scale), independently of nsnn_sim."""
    if family == "none":
        return lambda x: scale / math.sqrt(math.pi) * np.exp(-(scale * x) ** 2)
    distribution = {"gaussian": stats.norm(scale=scale), "logistic": stats.logistic(scale=scale),
                    "triangular": stats.triang(c=0.5, loc=-scale, scale=2 * scale),
                    "uniform": stats.uniform(loc=-scale, scale=2 * scale), "cauchy": stats.cauchy(scale=scale)}[family]
    return distribution.pdf


# ------------------------------------------------------------------------------------------------
# a minimal reverse-mode automatic differentiation on numpy arrays
# ------------------------------------------------------------------------------------------------
class _Node:
    def __init__(self, tape, value, parents=()):
        self.value = np.asarray(value, dtype=np.float64)
        self.parents = parents  # (parent node, vector-Jacobian product)
        self.grad = None
        tape.append(self)


def _reduce_to(grad, shape):
    """Sum a broadcast gradient back to ``shape``."""
    while grad.ndim > len(shape):
        grad = grad.sum(axis=0)
    for axis, size in enumerate(shape):
        if size == 1 and grad.shape[axis] != 1:
            grad = grad.sum(axis=axis, keepdims=True)
    return grad


class _Tape(list):
    def constant(self, value):
        return _Node(self, value)

    def add(self, a, b):
        return _Node(self, a.value + b.value, ((a, lambda g: _reduce_to(g, a.value.shape)),
                                               (b, lambda g: _reduce_to(g, b.value.shape))))

    def subtract(self, a, b):
        return _Node(self, a.value - b.value, ((a, lambda g: _reduce_to(g, a.value.shape)),
                                               (b, lambda g: -_reduce_to(g, b.value.shape))))

    def multiply(self, a, b):
        return _Node(self, a.value * b.value, ((a, lambda g: _reduce_to(g * b.value, a.value.shape)),
                                               (b, lambda g: _reduce_to(g * a.value, b.value.shape))))

    def linear(self, x, weights):
        """``x @ weights.T`` for x (batch, n_in), weights (n_out, n_in)."""
        return _Node(self, x.value @ weights.value.T, ((x, lambda g: g @ weights.value),
                                                       (weights, lambda g: g.T @ x.value)))

    def column(self, x, step):
        """``x[:, step]`` of a (batch, n_steps, n) node."""
        def scatter(g):
            full = np.zeros_like(x.value)
            full[:, step] = g
            return full
        return _Node(self, x.value[:, step], ((x, scatter),))

    def detach(self, a):
        return _Node(self, a.value)

    def spike(self, potential, threshold, recorded, pdf):
        """The recorded spikes, with ``d s / d potential = pdf(potential - threshold) = -d s / d theta``."""
        slope = pdf(potential.value - threshold.value)
        return _Node(self, recorded, ((potential, lambda g: g * slope),
                                      (threshold, lambda g: -_reduce_to(g * slope, threshold.value.shape))))

    def cross_entropy(self, logits, labels):
        """``-mean_b log softmax(logits_b)[label_b]`` (a scalar node)."""
        z = logits.value - logits.value.max(axis=1, keepdims=True)
        log_softmax = z - np.log(np.exp(z).sum(axis=1, keepdims=True))
        rows = np.arange(labels.size)
        onehot = np.zeros_like(z)
        onehot[rows, labels] = 1.0
        return _Node(self, -log_softmax[rows, labels].mean(),
                     ((logits, lambda g: g * (np.exp(log_softmax) - onehot) / labels.size),))

    def backward(self, output):
        for node in self:
            node.grad = np.zeros_like(node.value)
        output.grad = np.ones_like(output.value)
        for node in reversed(self):
            for parent, vjp in node.parents:
                parent.grad = parent.grad + vjp(node.grad)


def _oracle(network, trace, x, labels):
    """Step cross-entropy of the linear readout and its gradients, transcribed from the equations.

    A synaptic layer (``alpha_syn``) keeps the trace ``i = alpha_syn*i + W s_in + V s_prev`` and ``u_free = beta*u
    + i``; an adaptive layer the threshold ``theta + q`` with ``q = rho*q_after`` and ``q_after = q + jump*s``
    (the threshold's jump never detached; a subtractive reset removes ``theta + q``)."""
    tape = _Tape()
    params = {name: tape.constant(value) for name, value in network.parameters.items()}
    inputs = tape.constant(x)
    n_batch, n_steps, _ = x.shape
    spikes = [[None] * n_steps for _ in network.layers]
    membrane = [tape.constant(np.zeros((n_batch, layer.n_neurons))) for layer in network.layers]
    synaptic_trace = list(membrane)
    threshold_offset = list(membrane)
    total = tape.constant(0.0)
    for step in range(n_steps):
        for index, layer in enumerate(network.layers):
            recorded = trace.layers[index]
            if index == 0:
                presynaptic = tape.column(inputs, step)
            elif step - network.layer_delay >= 0:
                presynaptic = spikes[index - 1][step - network.layer_delay]
            else:
                presynaptic = tape.constant(np.zeros((n_batch, network.layers[index - 1].n_neurons)))
            current = tape.linear(presynaptic, params[f"{index}.W"])
            if layer.recurrent and step > 0:
                current = tape.add(current, tape.linear(spikes[index][step - 1], params[f"{index}.V"]))
            if layer.alpha_syn is not None:
                current = tape.add(tape.multiply(params[f"{index}.alpha_syn"], synaptic_trace[index]), current)
                synaptic_trace[index] = current
            u_free = tape.add(tape.multiply(params[f"{index}.beta"], membrane[index]), current)
            # the forward equation holds: the oracle's potential is the trace's, to rounding
            np.testing.assert_allclose(u_free.value, recorded.u_free[:, step], rtol=1e-12, atol=1e-12)
            noise = recorded.u_fire[:, step] - recorded.u_free[:, step]
            if layer.firing == "escape":
                assert np.all(noise == 0.0)
            u_fire = tape.add(u_free, tape.constant(noise))
            threshold = params[f"{index}.threshold"]
            if layer.threshold_jump != 0.0:
                offset = tape.multiply(params[f"{index}.threshold_decay"], threshold_offset[index])
                np.testing.assert_allclose(offset.value, recorded.threshold_offset[:, step], rtol=1e-12, atol=1e-12)
                threshold = tape.add(threshold, offset)
            family = layer.noise
            pdf = _scipy_pdf(family, layer.surrogate_scale if family == "none" else layer.noise_scale)
            potential = u_fire if layer.firing == "reference" else u_free
            spike = tape.spike(potential, threshold, recorded.spikes[:, step], pdf)
            reset_spike = tape.detach(spike) if layer.detach_reset else spike
            if layer.reset == "zero":
                u_after = tape.multiply(u_fire, tape.subtract(tape.constant(1.0), reset_spike))
            else:
                u_after = tape.subtract(u_fire, tape.multiply(threshold, reset_spike))
            np.testing.assert_allclose(u_after.value, recorded.u_after[:, step], rtol=1e-12, atol=1e-12)
            if layer.threshold_jump != 0.0:
                threshold_offset[index] = tape.add(offset, tape.multiply(params[f"{index}.threshold_jump"], spike))
            spikes[index][step] = spike
            membrane[index] = u_after
        logits = tape.linear(spikes[-1][step], params["readout.W"])
        total = tape.add(total, tape.cross_entropy(logits, labels))
    loss = tape.multiply(total, tape.constant(1.0 / n_steps))
    tape.backward(loss)
    grads = {name: node.grad for name, node in params.items()}
    grads["input"] = inputs.grad
    return float(loss.value), grads


def _layer_options(family, firing, detach_reset, reset):
    scale = FAMILY_SCALES[family]
    options = dict(noise=family, firing=firing, reset=reset, detach_reset=detach_reset, learn_beta=True,
                   learn_threshold=True)
    if family == "none":
        options.update(noise_scale=0.0, surrogate="erf", surrogate_scale=scale)
    else:
        options.update(noise_scale=scale)
    return options


def _network(family, firing, detach_reset, layer_delay, reset):
    options = _layer_options(family, firing, detach_reset, reset)
    layers = [learn.SpikingLayer(5, beta=0.7, recurrent=True, **options),
              learn.SpikingLayer(4, beta=0.5, threshold=0.8, **options)]
    network = learn.Network(3, layers, learn.Readout("linear", n_outputs=3), weight_gain=2.5, seed=7,
                            layer_delay=layer_delay)
    network.parameters["0.beta"][:] = np.linspace(0.4, 0.9, 5)  # heterogeneous, as after learning
    network.parameters["1.threshold"][:] = np.linspace(0.7, 1.1, 4)
    generator = np.random.default_rng(11)  # mostly excitatory: both layers fire about half the time
    network.parameters["0.W"][:] = generator.normal(0.55, 0.35, (5, 3))
    network.parameters["0.V"][:] = generator.normal(0.0, 0.4, (5, 5))
    network.parameters["1.W"][:] = generator.normal(0.45, 0.4, (4, 5))
    return network


def _state_network(family, firing, detach_reset, layer_delay, reset):
    """Three recurrent layers: a synaptic trace and an adaptive threshold, an adaptive threshold alone (its
    recurrent spikes into ``u``), a trace alone; every decay, jump, beta and threshold learned and per neuron."""
    options = _layer_options(family, firing, detach_reset, reset)
    adaptive = dict(threshold_decay=0.8, threshold_jump=0.4, learn_threshold_decay=True, learn_threshold_jump=True)
    synaptic = dict(alpha_syn=0.5, learn_alpha_syn=True)
    layers = [learn.SpikingLayer(5, beta=0.6, recurrent=True, **options, **adaptive, **synaptic),
              learn.SpikingLayer(4, beta=0.5, threshold=0.8, recurrent=True, **options, **adaptive),
              learn.SpikingLayer(4, beta=0.4, threshold=1.2, recurrent=True, **options, **synaptic)]
    network = learn.Network(3, layers, learn.Readout("linear", n_outputs=3), weight_gain=2.5, seed=7,
                            layer_delay=layer_delay)
    generator = np.random.default_rng(12)
    for index, (layer, fan_in) in enumerate(zip(layers, (3, 5, 4))):
        n = layer.n_neurons
        for name, low, high in (("beta", 0.3, 0.8), ("alpha_syn", 0.3, 0.7), ("threshold_decay", 0.6, 0.95),
                                ("threshold_jump", 0.2, 0.6)):
            if f"{index}.{name}" in network.parameters:
                network.parameters[f"{index}.{name}"][:] = generator.uniform(low, high, n)
        # the trace sums about 1/(1 - alpha_syn) steps of input: weights scaled down so layers fire about half the time
        mean = 0.4 if layer.alpha_syn is None else 0.25
        network.parameters[f"{index}.W"][:] = generator.normal(mean, 0.3, (n, fan_in))
        network.parameters[f"{index}.V"][:] = generator.normal(0.0, 0.3, (n, n))
    return network


def _check_against_the_oracle(network, trace_check_seed=13):
    """Every gradient of one noisy sample (4 samples x 10 steps, step cross-entropy) equals the oracle's to
    1e-10 relative (largest difference <= 1e-10 times the largest entry of the array), after checking that the
    sample exercises every path."""
    x = np.random.default_rng(4).random((4, 10, 3)) * 1.2
    labels = np.array([0, 2, 1, 2])
    loss, grads, trace = learn.loss_and_gradients(network, x, labels, loss="step_cross_entropy",
                                                  seed=trace_check_seed, input_gradient=True, return_trace=True)
    assert list(grads)[:len(network.parameters)] == list(network.parameters)
    # the sample exercises every path: every layer fires sometimes and stays silent sometimes, and the
    # spike derivative is non-zero at a good share of the steps
    for index, (layer, layer_trace) in enumerate(zip(network.layers, trace.layers)):
        assert 0.1 < layer_trace.spikes.mean() < 0.9, (index, layer_trace.spikes.mean())
        potential = layer_trace.u_fire if layer.firing == "reference" else layer_trace.u_free
        threshold = network.parameters[f"{index}.threshold"]
        if layer_trace.threshold_offset is not None:
            threshold = threshold + layer_trace.threshold_offset
        assert np.mean(_scipy_pdf(layer.noise, layer.surrogate_scale if layer.noise == "none" else layer.noise_scale)(
            potential - threshold) > 0.05) > 0.2
    expected_loss, expected = _oracle(network, trace, x, labels)
    assert loss == pytest.approx(expected_loss, rel=1e-12)
    for name, value in expected.items():
        scale = np.max(np.abs(value))
        assert scale > 0, name  # not vacuous
        difference = np.max(np.abs(grads[name] - value))
        assert difference <= 1e-10 * scale, (name, difference / scale)


@pytest.mark.parametrize("reset", ["zero", "subtract"])
@pytest.mark.parametrize("layer_delay", [0, 1])
@pytest.mark.parametrize("detach_reset", [False, True], ids=["reset-attached", "reset-detached"])
@pytest.mark.parametrize("firing", ["escape", "membrane", "reference"])
@pytest.mark.parametrize("family", list(FAMILY_SCALES))
def test_sample_gradient_equals_an_independent_reverse_mode_transcription(family, firing, detach_reset,
                                                                          layer_delay, reset):
    """2 hidden layers (5 recurrent + 4 neurons, learned per-neuron beta and threshold), 10 steps, a
    batch of 4, linear readout, step cross-entropy: every gradient of one noisy sample (weights,
    recurrent weights, beta, threshold, readout, input) equals the oracle's to 1e-10 relative."""
    _check_against_the_oracle(_network(family, firing, detach_reset, layer_delay, reset))


@pytest.mark.parametrize("reset", ["zero", "subtract"])
@pytest.mark.parametrize("layer_delay", [0, 1])
@pytest.mark.parametrize("detach_reset", [False, True], ids=["reset-attached", "reset-detached"])
@pytest.mark.parametrize("firing", ["escape", "membrane", "reference"])
@pytest.mark.parametrize("family", list(FAMILY_SCALES))
def test_synaptic_and_adaptive_gradients_equal_the_transcription(family, firing, detach_reset, layer_delay, reset):
    """3 recurrent layers with more state (trace and adaptive threshold, adaptive threshold alone, trace
    alone: 5 + 4 + 4 neurons), 10 steps, a batch of 4: every gradient of one noisy sample, the trace decays,
    threshold decays and jumps among them, equals the oracle's to 1e-10 relative."""
    _check_against_the_oracle(_state_network(family, firing, detach_reset, layer_delay, reset))
