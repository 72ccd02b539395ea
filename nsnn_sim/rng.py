"""Counter-based random streams keyed by (seed, trial, neuron, purpose).

Every random number nsnn_sim draws is a pure function of its key and a counter, so a result depends
only on (model, inputs, seed): not on the number of threads, the order in which blocks run, or which
other trials or neurons are simulated beside it.

* ``stream_key(seed, trial, neuron, purpose)`` hashes the four integers into a 64-bit key with the
  SplitMix64 finaliser ``mix64`` (Steele, Lea & Flood 2014), applied once per component.
* The draw number ``counter`` (the time step) of a stream is ``mix64(key + (counter + 1) * G)`` with
  the golden-ratio increment ``G = 0x9E3779B97F4A7C15``: that is exactly the SplitMix64 sequence
  started at ``key``, a generator that passes BigCrush.
* Uniforms in the open interval (0, 1): ``((x >> 12) + 0.5) * 2**-52``, from ``2**-53`` to
  ``1 - 2**-53`` (every value exactly representable, so never 0 or 1 after rounding): any inverse
  cdf can be applied to them.

Purposes give a neuron independent streams for independent jobs, so adding a draw of one kind never
shifts the draws of another: see ``MEMBRANE``, ``FIRING``, ``BRIDGE`` and ``POISSON``.
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["mix64", "stream_key", "neuron_keys", "uniform", "uniforms", "draws", "MEMBRANE", "FIRING", "BRIDGE", "POISSON"]

MEMBRANE = 0  # membrane noise eps(t)
FIRING = 1  # escape / reference Bernoulli draw
BRIDGE = 2  # Brownian-bridge crossing draw
POISSON = 3  # first Poisson input group; group g uses POISSON + g

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_S30 = np.uint64(30)
_S27 = np.uint64(27)
_S31 = np.uint64(31)
_S12 = np.uint64(12)
_ONE = np.uint64(1)
_TWO_POW_M52 = 2.0 ** -52


@njit(cache=True, inline="always")
def mix64(z):
    """SplitMix64 finaliser: a bijective avalanche hash of a uint64."""
    z = (z ^ (z >> _S30)) * _M1
    z = (z ^ (z >> _S27)) * _M2
    return z ^ (z >> _S31)


@njit(cache=True)
def _key(seed, trial, neuron, purpose):
    key = mix64(np.uint64(seed) * _GOLDEN + _GOLDEN)
    key = mix64(key ^ (np.uint64(trial) * _M1 + _GOLDEN))
    key = mix64(key ^ (np.uint64(neuron) * _M2 + _GOLDEN))
    return mix64(key ^ (np.uint64(purpose) * _GOLDEN + _M1))


@njit(cache=True, inline="always")
def neuron_keys(seed, trial, neuron):
    """Keys of a neuron's (membrane, firing, bridge) streams: the ``keys`` of ``neuron_step``."""
    return (_key(seed, trial, neuron, MEMBRANE), _key(seed, trial, neuron, FIRING),
            _key(seed, trial, neuron, BRIDGE))


def stream_key(seed: int, trial: int, neuron: int, purpose: int) -> np.uint64:
    """64-bit key of the stream of (seed, trial, neuron, purpose); all four are integers >= 0."""
    return np.uint64(_key(np.uint64(seed), np.uint64(trial), np.uint64(neuron), np.uint64(purpose)))


@njit(cache=True, inline="always")
def bits_to_uniform(bits):
    """A uint64 to a float64 in [2**-53, 1 - 2**-53]: ``((bits >> 12) + 0.5) * 2**-52``."""
    return (np.float64(bits >> _S12) + 0.5) * _TWO_POW_M52


@njit(cache=True, inline="always")
def uniform(key, counter):
    """Draw number ``counter`` (an integer >= 0) of stream ``key``, uniform in the open interval (0, 1)."""
    return bits_to_uniform(mix64(key + (np.uint64(counter) + _ONE) * _GOLDEN))


@njit(cache=True)
def _fill_uniforms(key, out):
    for counter in range(out.size):
        out[counter] = uniform(key, counter)


@njit(cache=True)
def _fill_draws(seed, trial, purpose, out):
    n_steps, n_neurons = out.shape
    for neuron in range(n_neurons):
        key = _key(seed, trial, neuron, purpose)
        for step in range(n_steps):
            out[step, neuron] = uniform(key, step)


def draws(seed: int, trial: int, purpose: int, n_steps: int, n_neurons: int) -> np.ndarray:
    """The uniforms the engine uses for one trial and purpose, as an ``(n_steps, n_neurons)`` array.

    Element ``[k, i]`` is draw ``k`` of the stream (seed, trial, neuron i, purpose): exactly the
    number the engine consumes at step ``k`` (used to feed nsnn_sim's noise into other simulators).
    """
    out = np.empty((int(n_steps), int(n_neurons)), dtype=np.float64)
    _fill_draws(np.uint64(seed), np.uint64(trial), np.uint64(purpose), out)
    return out


def uniforms(key: np.uint64, count: int) -> np.ndarray:
    """The first ``count`` draws of stream ``key`` as a float64 array."""
    out = np.empty(int(count), dtype=np.float64)
    _fill_uniforms(np.uint64(key), out)
    return out
