"""Shared helpers for the statistical tests, and a guard against stale Numba caches."""

import hashlib
from pathlib import Path

import numpy as np

PACKAGE = Path(__file__).resolve().parents[1] / "nsnn_sim"


def _purge_stale_numba_cache():
    """Numba's on-disk cache notices edits to a kernel's own file but not to functions it inlines
    from other files (e.g. neurons.neuron_step inside engine kernels). Drop every cached kernel of
    the package whenever any of its sources changed since the last test session."""
    digest = hashlib.sha256()
    for source in sorted(PACKAGE.rglob("*.py")):
        digest.update(source.read_bytes())
    cache = PACKAGE / "__pycache__"
    stamp = cache / "nsnn_sources.sha256"
    if stamp.exists() and stamp.read_text() == digest.hexdigest():
        return
    for pattern in ("*.nbi", "*.nbc"):
        for path in PACKAGE.rglob(pattern):
            path.unlink()
    cache.mkdir(exist_ok=True)
    stamp.write_text(digest.hexdigest())


_purge_stale_numba_cache()


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
