"""Compile the package's kernels ahead of use, so that a user's first call loads them from cache.

Numba compiles a kernel on its first call in a process with no cached copy: about 10 s for the
engine's main kernel on a quiet 2-core machine. :func:`warmup` (``nsnn-sim warmup``, run by the
Makefile after installing) makes tiny calls that compile the common specialisations into Numba's
on-disk cache: unconnected populations (current, Poisson input, recorded state), recurrent
networks, the learner's forward pass and the noise families' vectorised methods. A later process
then spends only the cache load (about 1 s) in its first call.

The warm-up first purges cached kernels whose sources changed
(:func:`nsnn_sim._core.kernel_cache.purge_stale_kernel_cache`).

Examples
--------
>>> from nsnn_sim.warmup import warmup
>>> timings = warmup()
>>> len(timings), timings['population'] >= 0.0  # seconds per group of kernels
(6, True)
"""

from __future__ import annotations

import time

from nsnn_sim._core.kernel_cache import purge_stale_kernel_cache
from nsnn_sim._core.log import get_logger

__all__ = ["warmup"]

_log = get_logger(__name__)


def warmup() -> dict[str, float]:
    """Compile (or load) the common kernel specialisations; seconds spent per group."""
    import numpy as np

    import nsnn_sim as ns
    from nsnn_sim import learn
    from nsnn_sim._core.compile_clock import CompileClock

    if purge_stale_kernel_cache():
        _log.info("sources changed since the last warm-up: cached kernels purged")
    calls = {
        "population": lambda: ns.simulate(ns.LIF(), 0.9, n_neurons=4, n_steps=20),
        "population, time-varying current, Poisson input, recorded state": lambda: ns.simulate(
            ns.NSNN(noise="logistic", firing="escape", noise_scale=0.2),
            [np.zeros((20, 4)), ns.poisson_input(10.0, 0.1, 3)], n_neurons=4, n_steps=20, record_state=[0]),
        "recurrent network": lambda: ns.simulate(ns.NSNN(), 0.5, n_neurons=4, n_steps=20,
                                                 connections=np.full((4, 4), 0.1)),
        "neurons with more state (synaptic current, Poisson input to it)": lambda: ns.simulate(
            ns.LIF(tau_syn=2e-3), ns.poisson_input(100.0, 0.1, 3, receptor="syn"), n_neurons=4, n_steps=20),
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
