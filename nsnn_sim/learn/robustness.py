"""Perturbations for robustness tests: input spike deletion and insertion, gradient attacks.

* :func:`delete_spikes`, :func:`insert_spikes`: independent per-spike input perturbations (this
  package's own definitions; the official per-layer protocols are in
  :mod:`~nsnn_sim.learn.perturbations`).
* :func:`gradient_sign_attack`: FGSM without clipping, ``x + epsilon sign(dL/dx)``, the sign taken
  for every step of the (T-times repeated) input, as the official code does.
* :func:`l2_sphere_attack`: the official L2 attack: per sample a perturbation ``delta`` of the static
  input on the sphere ``||delta||_2 = gamma``, parametrised as ``delta = gamma v / ||v||`` (the
  embedded-sphere parametrisation; the official code uses a geotorch sphere), with ``v`` optimised
  by Adam (learning rate 0.002, 30 steps) to maximise the cross-entropy of the time-averaged logits.
* Both take the learner's own input gradient (:func:`input_gradient`: NDL for noisy layers, the
  surrogate for deterministic ones), averaged over ``n_samples`` noisy passes: ``n_samples = K > 1``
  is the expectation-over-noise attack (EOT, Athalye, Carlini & Wagner 2018, ICML), which a
  gradient-masking defence cannot escape.

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

from nsnn_sim._core.validation import numeric_parameter, seed_value, whole_number
from nsnn_sim.learn.forward import check_inputs
from nsnn_sim.learn.gradients import loss_and_gradients
from nsnn_sim.learn.losses import check_loss, check_targets
from nsnn_sim.learn.optimizers import Adam
from nsnn_sim.learn.train import ATTACK, batch_seed

__all__ = ["delete_spikes", "insert_spikes", "input_gradient", "gradient_sign_attack", "l2_sphere_attack",
           "L2_LEARNING_RATE", "L2_STEPS"]

L2_LEARNING_RATE, L2_STEPS = 0.002, 30
"""Adam's learning rate and the number of steps of the official L2-sphere attack."""


def _probability(name: str, value) -> float:
    return float(numeric_parameter(name, value, lower=0.0, upper=1.0))


def delete_spikes(patterns, probability: float, seed: int = 0) -> np.ndarray:
    """Remove each input spike (entries equal to 1) independently with ``probability``."""
    patterns = np.asarray(patterns, dtype=np.float64)
    probability = _probability("probability", probability)
    keep = np.random.default_rng([seed_value(seed), 1]).random(patterns.shape) >= probability
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
    draws = np.random.default_rng([seed_value(seed), 2]).random(patterns.shape)
    return np.where(empty & (draws < cell_probability), 1.0, patterns)


def input_gradient(network, inputs, targets, loss: str = "cross_entropy", seed: int = 0, n_samples: int = 1,
                   batch_size: int = 256) -> np.ndarray:
    """``dL/dx`` backpropagated by the learner (NDL for noisy layers, the surrogate for deterministic
    ones), averaged over ``n_samples`` noisy forward passes (pass ``k`` of chunk ``j`` has the noise
    seed ``batch_seed(seed, k, j, ATTACK)``). ``L`` is the mean loss of a chunk of ``batch_size``."""
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


def l2_sphere_attack(network, inputs, targets, gamma: float, steps: int = L2_STEPS,
                     learning_rate: float = L2_LEARNING_RATE, n_samples: int = 1, seed: int = 0,
                     batch_size: int = 256, return_losses: bool = False):
    """The official L2-sphere attack (module docstring) with the learner's own gradients.

    Sample ``b``'s input at every step becomes ``x[b, t] + delta_b``, ``delta_b = gamma v_b / ||v_b||``.
    ``v_b`` starts uniformly on the unit sphere (seeded by ``seed``) and takes ``steps`` Adam steps
    that increase ``L_b``, the cross-entropy of sample ``b``'s time-averaged logits (its own loss:
    the chunk's mean loss times the chunk size), with ``dL_b/dv_b = (gamma/||v_b||)(g_b - u_b (u_b . g_b))``,
    ``u_b = v_b/||v_b||`` and ``g_b = sum_t dL_b/dx[b, t]`` averaged over ``n_samples`` noisy passes
    (a fresh noise seed for every step and pass: ``batch_seed(seed, steps * k + step + 1, chunk, ATTACK)``).

    Parameters
    ----------
    network : Network
    inputs : array (batch, n_steps, n_inputs)
    targets : array of int (batch,)
    gamma : float
        Radius of the sphere, >= 0.
    steps, learning_rate : int, float
        Adam steps and learning rate (official: 30, 0.002).
    n_samples : int
        Noisy passes averaged per gradient (1: the plain attack; K > 1: expectation over noise).
    seed : int
    batch_size : int
        Samples per forward pass (each sample's ``v_b`` moves by its own loss only).
    return_losses : bool
        Also return the mean loss of the attacked batch before each step, ``(steps,)``.

    Returns
    -------
    perturbed : ndarray, shape of ``inputs``
    losses : ndarray, only with ``return_losses``
    """
    inputs = check_inputs(network, inputs)
    gamma = float(numeric_parameter("gamma", gamma, lower=0.0))
    steps = whole_number("steps", steps)
    learning_rate = float(numeric_parameter("learning_rate", learning_rate, lower=0.0, lower_open=True))
    n_samples = whole_number("n_samples", n_samples)
    seed = seed_value(seed)
    batch_size = whole_number("batch_size", batch_size)
    loss = check_loss("cross_entropy", network.readout.kind)
    targets = check_targets(loss, targets, inputs.shape[0], network.n_outputs)
    start_direction = np.random.default_rng([seed, 0x6C32]).normal(size=(inputs.shape[0], inputs.shape[2]))
    direction = start_direction / np.linalg.norm(start_direction, axis=1, keepdims=True)
    losses = np.zeros(steps)
    for number, start in enumerate(range(0, inputs.shape[0], batch_size)):
        chunk = slice(start, start + batch_size)
        x, y, v = inputs[chunk], targets[chunk], direction[chunk].copy()
        size = x.shape[0]
        parameters, optimizer = {"v": v}, Adam(learning_rate)
        for step in range(steps):
            norm = np.linalg.norm(v, axis=1, keepdims=True)
            unit = v / norm
            perturbed = x + (gamma * unit)[:, None, :]
            gradient = np.zeros_like(v)
            for sample in range(n_samples):
                value, grads = loss_and_gradients(network, perturbed, y, loss=loss, input_gradient=True,
                                                  seed=batch_seed(seed, steps * sample + step + 1, number, ATTACK))
                gradient += grads["input"].sum(axis=1) * size / n_samples
                losses[step] += value * size / (n_samples * inputs.shape[0])
            tangent = gradient - unit * np.sum(unit * gradient, axis=1, keepdims=True)
            optimizer.step(parameters, {"v": -(gamma / norm) * tangent}, ["v"])  # ascent on L
        direction[chunk] = v / np.linalg.norm(v, axis=1, keepdims=True)
    perturbed = inputs + (gamma * direction)[:, None, :]
    return (perturbed, losses) if return_losses else perturbed
