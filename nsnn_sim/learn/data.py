"""Data for the learner: random-manifold spike patterns (Randman) and a tuning-curve fitting task.

Randman (Zenke & Vogels 2021, Neural Computation 33:899). Each class ``c`` owns a smooth random
manifold ``f_c: [0, 1]^D -> [0, 1]^n_inputs``. Component ``i`` is a product over the ``D`` manifold
coordinates of random 1-D Fourier series with a power-law spectrum,

    f_ci(x) = prod_d  sum_{k=0}^{K-1}  a_cidk / (k + 1)**alpha * sin(2 pi (k x_d b_cidk + c_cidk)),

``a, b, c ~ U(0, 1)`` (``a_cid0 = 0``: no constant term), ``K = ceil(precision**(-1/alpha))``, rescaled
per component to [0, 1] over the class's samples. A sample draws ``x ~ U([0, 1]^D)``; input channel
``i`` fires one spike at step ``floor(f_ci(x) * step_fraction * n_steps)`` (at most
``ceil(step_fraction * n_steps) - 1``). Larger ``D``, more classes
and rougher manifolds (smaller ``alpha``) make the task harder.

Examples
--------
>>> from nsnn_sim.learn.data import randman, tuning_task
>>> data = randman(n_classes=3, n_inputs=4, n_steps=6, n_train=9, n_test=3, seed=0)
>>> data.x_train.shape, data.y_train.shape, data.x_test.shape
((27, 6, 4), (27,), (9, 6, 4))
>>> sorted(set(data.y_train.tolist()))
[0, 1, 2]
"""

from __future__ import annotations

import math

import numpy as np
import xarray as xr

from nsnn_sim._core.memory import require_memory
from nsnn_sim._core.validation import describe, numeric_parameter, seed_value, whole_number
from nsnn_sim.coding import von_mises_tuning

__all__ = ["randman", "RandmanData", "tuning_task", "TuningTask"]


def _random_manifold(generator, n_inputs: int, manifold_dim: int, alpha: float, n_frequencies: int):
    """Coefficients ``(3, n_inputs, manifold_dim, n_frequencies)`` of one class's manifold."""
    coefficients = generator.uniform(0.0, 1.0, (3, n_inputs, manifold_dim, n_frequencies))
    coefficients[0, :, :, 0] = 0.0
    return coefficients


def _evaluate_manifold(coefficients, points, alpha: float) -> np.ndarray:
    """``f(x)`` for ``points`` (n_samples, D): array (n_samples, n_inputs)."""
    amplitude, frequency, phase = coefficients
    k = np.arange(amplitude.shape[-1])
    spectrum = 1.0 / (k + 1.0) ** alpha
    # (samples, inputs, dims, frequencies)
    argument = 2.0 * np.pi * (k * points[:, None, :, None] * frequency[None] + phase[None])
    series = (amplitude[None] * spectrum * np.sin(argument)).sum(axis=-1)
    return series.prod(axis=-1)


class RandmanData:
    """Train / test spike patterns of a Randman task: ``x_*`` (samples, n_steps, n_inputs) of 0/1,
    ``y_*`` integer labels, and the generating parameters in ``attrs``."""

    def __init__(self, x_train, y_train, x_test, y_test, attrs):
        self.x_train, self.y_train, self.x_test, self.y_test, self.attrs = x_train, y_train, x_test, y_test, attrs

    @property
    def n_classes(self) -> int:
        return self.attrs["n_classes"]

    def __repr__(self) -> str:
        return (f"RandmanData({self.x_train.shape[0]} train / {self.x_test.shape[0]} test patterns, "
                f"{self.attrs['n_classes']} classes, {self.attrs['n_inputs']} inputs x {self.attrs['n_steps']} steps)")


def randman(n_classes: int = 10, n_inputs: int = 20, n_steps: int = 50, n_train: int = 100, n_test: int = 100,
            manifold_dim: int = 1, alpha: float = 2.0, step_fraction: float = 0.8, precision: float = 1e-3,
            seed: int = 0) -> RandmanData:
    """A seeded Randman classification task (module docstring).

    Parameters
    ----------
    n_classes, n_inputs, n_steps : int
        Classes (manifolds), input channels and steps per pattern.
    n_train, n_test : int
        Samples per class in the training and test sets (drawn from the same manifolds).
    manifold_dim : int
        Intrinsic dimension ``D`` of each manifold.
    alpha : float
        Spectral fall-off (> 0): smoothness of the manifolds.
    step_fraction : float
        Spikes fall in the first ``step_fraction`` of the pattern, in (0, 1].
    precision : float
        Sets the number of Fourier terms, ``ceil(precision**(-1/alpha))`` (at most 1000).
    seed : int
        Seed of the manifolds and the samples.
    """
    n_classes = whole_number("n_classes", n_classes, minimum=2)
    n_inputs = whole_number("n_inputs", n_inputs)
    n_steps = whole_number("n_steps", n_steps)
    n_train = whole_number("n_train", n_train)
    n_test = whole_number("n_test", n_test)
    manifold_dim = whole_number("manifold_dim", manifold_dim)
    alpha = float(numeric_parameter("alpha", alpha, lower=0.0, lower_open=True))
    step_fraction = float(numeric_parameter("step_fraction", step_fraction, lower=0.0, upper=1.0, lower_open=True))
    precision = float(numeric_parameter("precision", precision, lower=0.0, upper=1.0, lower_open=True, upper_open=True))
    seed = seed_value(seed)
    n_frequencies = min(math.ceil(precision ** (-1.0 / alpha)), 1000)
    generator = np.random.default_rng(seed)
    n_samples = n_train + n_test
    require_memory(16.0 * n_classes * n_samples * n_steps * n_inputs,  # the patterns, then the split copies
                   f"randman(n_classes={n_classes}, n_train={n_train}, n_test={n_test}, n_steps={n_steps}, "
                   f"n_inputs={n_inputs})")
    patterns = np.zeros((n_classes, n_samples, n_steps, n_inputs))
    for label in range(n_classes):
        coefficients = _random_manifold(generator, n_inputs, manifold_dim, alpha, n_frequencies)
        values = _evaluate_manifold(coefficients, generator.uniform(0.0, 1.0, (n_samples, manifold_dim)), alpha)
        low, high = values.min(axis=0), values.max(axis=0)
        values = (values - low) / np.where(high > low, high - low, 1.0)
        last_step = max(math.ceil(step_fraction * n_steps) - 1, 0)
        steps = np.minimum((values * step_fraction * n_steps).astype(np.int64), last_step)
        sample, channel = np.indices(steps.shape)
        patterns[label, sample, steps, channel] = 1.0
    labels = np.repeat(np.arange(n_classes), n_samples).reshape(n_classes, n_samples)
    order = generator.permutation(n_classes * n_train)
    x_train = patterns[:, :n_train].reshape(-1, n_steps, n_inputs)[order]
    y_train = labels[:, :n_train].reshape(-1)[order]
    x_test = patterns[:, n_train:].reshape(-1, n_steps, n_inputs)
    y_test = labels[:, n_train:].reshape(-1)
    attrs = {"n_classes": n_classes, "n_inputs": n_inputs, "n_steps": n_steps, "n_train_per_class": n_train,
             "n_test_per_class": n_test, "manifold_dim": manifold_dim, "alpha": alpha, "step_fraction": step_fraction,
             "n_frequencies": n_frequencies, "seed": seed}
    return RandmanData(x_train, y_train, x_test, y_test, attrs)


class TuningTask:
    """A population-coding fit task: input patterns for each orientation and target rates.

    ``inputs`` (n_orientations, n_steps, n_inputs): constant currents from a bank of input channels
    with von Mises tuning; ``targets`` (n_orientations, n_neurons): target firing probability per step
    of each neuron, ``von_mises_tuning(s, preferred, kappa, baseline, gain)``; ``orientations`` in rad.
    """

    def __init__(self, inputs, targets, orientations, preferred, attrs):
        self.inputs, self.targets, self.orientations, self.preferred, self.attrs = (
            inputs, targets, orientations, preferred, attrs)

    def targets_dataarray(self) -> xr.DataArray:
        return xr.DataArray(self.targets, dims=("stimulus", "neuron"),
                            coords={"stimulus": self.orientations, "neuron": np.arange(self.targets.shape[1])},
                            name="target_probability", attrs={"units": "spikes per step"})


def tuning_task(n_neurons: int = 16, n_orientations: int = 16, n_inputs: int = 12, n_steps: int = 100,
                kappa: float = 1.5, baseline: float = 0.02, gain: float = 0.25, input_kappa: float = 1.0,
                input_amplitude: float = 1.0) -> TuningTask:
    """Learn input weights so that a population's firing reproduces target von Mises tuning curves.

    Orientation ``s`` (period pi) drives input channel ``j`` with the constant current
    ``input_amplitude * exp(input_kappa * (cos(2 (s - phi_j)) - 1))``, ``phi_j`` evenly spaced. Neuron
    ``i``'s target firing probability per step is ``von_mises_tuning(s, pi i / n_neurons, kappa,
    baseline, gain)`` (:func:`nsnn_sim.coding.von_mises_tuning`). Fit with the ``"mse"`` loss on a
    count readout scaled by ``1 / n_steps``.
    """
    n_neurons = whole_number("n_neurons", n_neurons)
    n_orientations = whole_number("n_orientations", n_orientations, minimum=2)
    n_inputs = whole_number("n_inputs", n_inputs)
    n_steps = whole_number("n_steps", n_steps)
    for name, value in (("kappa", kappa), ("input_kappa", input_kappa), ("input_amplitude", input_amplitude)):
        numeric_parameter(name, value, lower=0.0)
    numeric_parameter("baseline", baseline, lower=0.0, upper=1.0)
    numeric_parameter("gain", gain, lower=0.0, upper=1.0)
    if baseline + gain > 1.0:
        raise ValueError(f"baseline + gain = {describe(baseline + gain)} must be <= 1 (a probability per step)")
    require_memory(8.0 * n_orientations * n_steps * n_inputs,
                   f"tuning_task(n_orientations={n_orientations}, n_steps={n_steps}, n_inputs={n_inputs})")
    orientations = np.arange(n_orientations) * np.pi / n_orientations
    channel_preference = np.arange(n_inputs) * np.pi / n_inputs
    shape = np.exp(input_kappa * (np.cos(2.0 * (orientations[:, None] - channel_preference)) - 1.0))
    currents = input_amplitude * shape
    inputs = np.repeat(currents[:, None, :], n_steps, axis=1)
    preferred = np.arange(n_neurons) * np.pi / n_neurons
    targets = von_mises_tuning(orientations[:, None], preferred[None, :], kappa, baseline, gain)
    attrs = {"kappa": kappa, "baseline": baseline, "gain": gain, "n_steps": n_steps, "n_inputs": n_inputs,
             "input_kappa": input_kappa, "input_amplitude": input_amplitude}
    return TuningTask(inputs, np.asarray(targets), orientations, preferred, attrs)
