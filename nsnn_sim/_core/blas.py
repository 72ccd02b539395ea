"""One BLAS thread for the small matrix products of the learner and the fitter.

Their products are small (a minibatch's ``batch x steps`` rows by a few hundred columns, a fitted
neuron's Hessian), and a threaded OpenBLAS spins and waits on its own threads whenever a core is
busy with anything else: on this project's 2-core machine, with other work running, one
``(10, 1600) @ (1600, 256)`` product took 100 ms on 2 BLAS threads and 0.4 ms on one, and a
4-neuron fit 68 s instead of 0.8 s. On an idle machine one thread costs little for such sizes. The
kernels' own parallelism (Numba threads) is not affected.
"""

from __future__ import annotations

import functools

from threadpoolctl import ThreadpoolController


@functools.lru_cache(maxsize=1)
def _controller() -> ThreadpoolController:
    return ThreadpoolController()  # inspects the loaded libraries once (entering a limit is then ~10 us)


def single_blas_thread():
    """A context manager that limits the BLAS libraries to one thread inside it."""
    return _controller().limit(limits=1, user_api="blas")


def with_single_blas_thread(function):
    """Decorator: run ``function`` inside :func:`single_blas_thread`."""

    @functools.wraps(function)
    def wrapper(*args, **kwargs):
        with single_blas_thread():
            return function(*args, **kwargs)

    return wrapper
