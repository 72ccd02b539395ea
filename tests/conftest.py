"""Shared helpers for the statistical tests, and a guard against stale Numba caches."""

import numpy as np
import pytest

from nsnn_sim._core.kernel_cache import purge_stale_kernel_cache

# Numba's cache does not notice edits to functions a kernel inlines from another file: drop every
# cached kernel of the package whenever any of its sources changed (nsnn_sim._core.kernel_cache)
purge_stale_kernel_cache()


@pytest.fixture
def engine_kernels_forbidden(monkeypatch):
    """Every kernel of the engine raises if called: for tests that bad input is refused before any kernel runs."""
    from nsnn_sim.simulator import engine

    def forbidden(*args, **kwargs):
        raise AssertionError("a kernel ran")

    for kernel in ("_run_block", "_run_connected", "_run_state"):
        monkeypatch.setattr(engine, kernel, forbidden)


def mean_and_se(samples: np.ndarray) -> tuple[float, float]:
    """Mean and its standard error over independent samples."""
    samples = np.asarray(samples, dtype=float)
    return samples.mean(), samples.std(ddof=1) / np.sqrt(samples.size)


def pooled_cv_and_se(spikes, groups: int = 20) -> tuple[float, float]:
    """ISI CV pooled over all trains, and its SE from the spread of the pooled CVs of ``groups``
    disjoint groups of neurons (independent for an unconnected population)."""
    from nsnn_sim.analysis import stats

    length, _, train = spikes.intervals()
    per_group = stats.cv_of_intervals(length.astype(float), (train % spikes.n_neurons) % groups, groups)
    return float(stats.isi_cv(spikes, pool="all")), per_group.std(ddof=1) / np.sqrt(groups)

# Helper modules, imported by the tests that use them. Not collected (pytest's --doctest-modules would import
# them, and laplace_family registers a noise family on import, changing the registry for every later test).
collect_ignore = ["laplace_family.py", "registered_family_checks.py", "reference_model.py"]
