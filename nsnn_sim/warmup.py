"""Compile the package's kernels ahead of use, so that a user's first call loads them from cache.

Numba compiles a kernel on its first call in a process with no cached copy: about 10 s for the
engine's main kernel on a quiet 2-core machine. :func:`warmup` (``nsnn-sim warmup``, run by the
Makefile after installing) makes tiny calls that compile the common specialisations into Numba's
on-disk cache: unconnected populations (current, Poisson input, recorded state), recurrent
networks, the learner's forward pass and the noise families' vectorised methods. A later process
then spends only the cache load (about 1 s) in its first call.

Numba's cache notices edits to a kernel's own file, not to functions it inlines from other files
(e.g. ``neurons.neuron_update`` inside the engine's kernels). :func:`purge_stale_kernel_cache`
drops every cached kernel of the package whenever any of its sources changed since the last
purge (a digest of the sources is kept beside the cache); the warm-up and the test suite call it
first.

Examples
--------
>>> from nsnn_sim.warmup import source_digest
>>> len(source_digest())
64
"""

from __future__ import annotations

import hashlib
import time
from pathlib import Path

from nsnn_sim.log import get_logger

__all__ = ["warmup", "purge_stale_kernel_cache", "source_digest"]

_log = get_logger(__name__)
PACKAGE = Path(__file__).resolve().parent


def source_digest() -> str:
    """SHA-256 of every source file of the package, in path order (the version file left out: it
    changes at every install, the kernels do not)."""
    digest = hashlib.sha256()
    for source in sorted(path for path in PACKAGE.rglob("*.py") if path.name != "_version.py"):
        digest.update(source.relative_to(PACKAGE).as_posix().encode())
        digest.update(source.read_bytes())
    return digest.hexdigest()


def purge_stale_kernel_cache() -> bool:
    """Delete the package's cached kernels (``*.nbi``, ``*.nbc`` under its ``__pycache__`` folders)
    if the sources changed since the last call; returns whether it purged."""
    cache = PACKAGE / "__pycache__"
    stamp = cache / "nsnn_sources.sha256"
    digest = source_digest()
    if stamp.exists() and stamp.read_text() == digest:
        return False
    for pattern in ("*.nbi", "*.nbc"):
        for path in PACKAGE.rglob(pattern):
            path.unlink()
    cache.mkdir(exist_ok=True)
    stamp.write_text(digest)
    return True


def warmup() -> dict[str, float]:
    """Compile (or load) the common kernel specialisations; seconds spent per group."""
    import numpy as np

    import nsnn_sim as ns
    from nsnn_sim import learn
    from nsnn_sim.compile_clock import CompileClock

    if purge_stale_kernel_cache():
        _log.info("sources changed since the last warm-up: cached kernels purged")
    calls = {
        "population": lambda: ns.simulate(ns.LIF(), 0.9, n_neurons=4, n_steps=20),
        "population, time-varying current, Poisson input, recorded state": lambda: ns.simulate(
            ns.NSNN(noise="logistic", firing="escape", noise_scale=0.2),
            [np.zeros((20, 4)), ns.poisson_input(10.0, 0.1, 3)], n_neurons=4, n_steps=20, record_state=[0]),
        "recurrent network": lambda: ns.simulate(ns.NSNN(), 0.5, n_neurons=4, n_steps=20,
                                                 connections=np.full((4, 4), 0.1)),
        "learner": lambda: [learn.forward(learn.Network(3, [learn.SpikingLayer(2)]), np.zeros((1, 5, 3)),
                                          mean_field=mean_field) for mean_field in (False, True)],
        "noise families": lambda: [ns.noise.get(name, 1.0).cdf(np.zeros(2)) for name in ns.noise.names()],
    }
    seconds = {}
    for name, call in calls.items():
        start = time.perf_counter()
        with CompileClock() as clock:
            call()
        seconds[name] = time.perf_counter() - start
        _log.info("%s: %.2f s (compilation or cache loading %.2f s)", name, seconds[name], clock.seconds)
    return seconds
