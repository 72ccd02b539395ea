"""Shared helpers for the statistical tests."""

import numpy as np


def stationary_rates(spikes, warmup_steps: int) -> np.ndarray:
    """Per-(trial, neuron) rate in Hz from spikes at steps >= warmup_steps."""
    keep = spikes.step >= warmup_steps
    index = spikes.trial[keep].astype(np.int64) * spikes.n_neurons + spikes.neuron[keep]
    counts = np.bincount(index, minlength=spikes.n_trials * spikes.n_neurons)
    return counts / ((spikes.n_steps - warmup_steps) * spikes.dt)


def mean_and_se(samples: np.ndarray) -> tuple[float, float]:
    """Mean and its standard error over independent samples."""
    samples = np.asarray(samples, dtype=float)
    return samples.mean(), samples.std(ddof=1) / np.sqrt(samples.size)
