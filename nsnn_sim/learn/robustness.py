"""Perturbations for robustness tests: input spike deletion and insertion, gradient-sign attacks.

(Membrane-potential perturbations are the ``membrane_noise`` argument of
:func:`~nsnn_sim.learn.forward.forward` and :func:`~nsnn_sim.learn.train.evaluate`.)

Examples
--------
>>> import numpy as np
>>> from nsnn_sim.learn.robustness import delete_spikes, insert_spikes
>>> patterns = np.zeros((1, 1000, 4))
>>> patterns[0, ::2] = 1.0
>>> int(patterns.sum())  # 2000 input spikes: about a quarter deleted, a quarter as many inserted
2000
>>> int(delete_spikes(patterns, 0.25, seed=0).sum()), int(insert_spikes(patterns, 0.25, seed=0).sum())
(1477, 2490)
"""

from __future__ import annotations

import numpy as np

from nsnn_sim.learn.forward import check_inputs
from nsnn_sim.learn.gradients import loss_and_gradients
from nsnn_sim.learn.losses import check_loss, check_targets
from nsnn_sim.learn.train import ATTACK, batch_seed
from nsnn_sim.validation import numeric_parameter, whole_number

__all__ = ["delete_spikes", "insert_spikes", "input_gradient", "gradient_sign_attack"]


def _probability(name: str, value) -> float:
    return float(numeric_parameter(name, value, lower=0.0, upper=1.0))


def delete_spikes(patterns, probability: float, seed: int = 0) -> np.ndarray:
    """Remove each input spike (entries equal to 1) independently with ``probability``."""
    patterns = np.asarray(patterns, dtype=np.float64)
    probability = _probability("probability", probability)
    keep = np.random.default_rng([whole_number("seed", seed, minimum=0), 1]).random(patterns.shape) >= probability
    return np.where(patterns == 1.0, keep.astype(np.float64), patterns)


def insert_spikes(patterns, probability: float, seed: int = 0) -> np.ndarray:
    """Add spurious spikes: every empty (step, channel) cell of a pattern receives a spike with
    probability ``q = probability * n_spikes / n_empty``, so the expected number of added spikes is
    ``probability`` times the pattern's own spike count."""
    patterns = np.asarray(patterns, dtype=np.float64)
    probability = _probability("probability", probability)
    empty = patterns == 0.0
    n_spikes = (patterns == 1.0).sum(axis=(1, 2), keepdims=True)
    n_empty = np.maximum(empty.sum(axis=(1, 2), keepdims=True), 1)
    cell_probability = np.minimum(probability * n_spikes / n_empty, 1.0)
    draws = np.random.default_rng([whole_number("seed", seed, minimum=0), 2]).random(patterns.shape)
    return np.where(empty & (draws < cell_probability), 1.0, patterns)


def input_gradient(network, inputs, targets, loss: str = "cross_entropy", seed: int = 0, n_samples: int = 1,
                   batch_size: int = 256) -> np.ndarray:
    """``dL/dx`` backpropagated by the learner (NDL for noisy layers, the surrogate for deterministic
    ones), averaged over ``n_samples`` noisy forward passes (seeds ``batch_seed(seed, sample, k, ATTACK)``)."""
    inputs = check_inputs(network, inputs)
    n_samples = whole_number("n_samples", n_samples)
    batch_size = whole_number("batch_size", batch_size)
    loss = check_loss(loss, network.readout.kind)
    targets = check_targets(loss, targets, inputs.shape[0], network.n_outputs)
    gradient = np.zeros_like(inputs)
    for number, start in enumerate(range(0, inputs.shape[0], batch_size)):
        chunk = slice(start, start + batch_size)
        for sample in range(n_samples):
            _, grads = loss_and_gradients(network, inputs[chunk], targets[chunk], loss=loss,
                                          seed=batch_seed(seed, sample, number, ATTACK), input_gradient=True)
            gradient[chunk] += grads["input"]
    return gradient / n_samples


def gradient_sign_attack(network, inputs, targets, epsilon: float, gradient=None, **options) -> np.ndarray:
    """Fast gradient-sign perturbation ``x + epsilon * sign(dL/dx)`` with the learner's own gradients.

    ``dL/dx`` comes from :func:`input_gradient` (``options`` are passed to it), unless ``gradient``
    (the same array, computed once for several ``epsilon``) is given. The perturbed patterns are
    real-valued input currents.
    """
    inputs = check_inputs(network, inputs)
    epsilon = float(numeric_parameter("epsilon", epsilon, lower=0.0))
    if gradient is None:
        gradient = input_gradient(network, inputs, targets, **options)
    elif np.shape(gradient) != inputs.shape:
        raise ValueError(f"gradient has shape {np.shape(gradient)}; expected the inputs' {inputs.shape}")
    return inputs + epsilon * np.sign(gradient)
