"""Shared helpers for the statistical tests, and a guard against stale Numba caches."""

import numpy as np

from nsnn_sim.kernel_cache import purge_stale_kernel_cache

# Numba's cache does not notice edits to functions a kernel inlines from another file: drop every
# cached kernel of the package whenever any of its sources changed (nsnn_sim.kernel_cache)
purge_stale_kernel_cache()


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


def pooled_cv_and_se(spikes, groups: int = 20) -> tuple[float, float]:
    """ISI CV pooled over all trains, and its SE from the spread of the pooled CVs of ``groups``
    disjoint groups of neurons (independent for an unconnected population)."""
    from nsnn_sim import stats

    length, _, train = spikes.intervals()
    per_group = stats.cv_of_intervals(length.astype(float), (train % spikes.n_neurons) % groups, groups)
    return float(stats.isi_cv(spikes, pool="all")), per_group.std(ddof=1) / np.sqrt(groups)
