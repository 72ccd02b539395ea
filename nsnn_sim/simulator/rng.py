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
* Standard normals (:func:`normal`): the 256-layer ziggurat of Marsaglia & Tsang (2000) in
  Doornik's (2005) form, which takes the layer and the signed uniform from independent bits. Draw
  ``counter`` starts from the same 64-bit hash ``x`` as :func:`uniform`: layer ``i = x & 255``,
  ``v = ((x >> 11) + 0.5) * 2**-52 - 1`` in (-1, 1); if ``|v| < X[i+1]/X[i]`` (98.8 % of draws) the
  result is ``v * X[i]``. Otherwise the wedge test, the tail (Marsaglia 1964) or a new attempt take
  their uniforms from a SplitMix64 sequence started at ``x`` (``mix64(x + k*G)``, k = 1, 2, ...), so
  every draw is still a pure function of (key, counter). It costs about a third of an inverse-cdf
  (AS 241) draw and uses only ``exp``/``log`` on the rare slow path.

Purposes give a neuron independent streams for independent jobs, so adding a draw of one kind never
shifts the draws of another: see ``MEMBRANE``, ``FIRING``, ``BRIDGE``, ``POISSON`` and ``SOURCE``.

Examples
--------
>>> from nsnn_sim.simulator import rng
>>> key = rng.stream_key(seed=1, trial=0, neuron=3, purpose=rng.MEMBRANE)
>>> rng.uniforms(key, 3).round(6).tolist()
[0.091064, 0.76853, 0.333019]
>>> bool((rng.uniforms(key, 3) == rng.draws(1, 0, rng.MEMBRANE, n_steps=3, n_neurons=4)[:, 3]).all())
True
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

__all__ = ["mix64", "stream_key", "neuron_keys", "bits", "uniform", "uniforms", "draws", "normal", "normals",
           "ZIGGURAT_X", "MEMBRANE", "FIRING", "BRIDGE", "POISSON", "SOURCE"]

MEMBRANE = 0  # membrane noise eps(t)
FIRING = 1  # escape / reference Bernoulli draw
BRIDGE = 2  # Brownian-bridge crossing draw
POISSON = 3  # first Poisson input group; group g uses POISSON + g
SOURCE = 2**40  # the spikes of a network's Poisson source population k use SOURCE + k (k < 2**20)

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
def bits(key, counter):
    """The 64 random bits of draw number ``counter`` (an integer >= 0) of stream ``key``."""
    return mix64(key + (np.uint64(counter) + _ONE) * _GOLDEN)


@njit(cache=True, inline="always")
def uniform(key, counter):
    """Draw number ``counter`` (an integer >= 0) of stream ``key``, uniform in the open interval (0, 1):
    ``bits_to_uniform(bits(key, counter))``."""
    return bits_to_uniform(bits(key, counter))


# --------------------------------------------------------------------------------------------------
# standard normals: 256-layer ziggurat (Marsaglia & Tsang 2000; Doornik 2005, "An improved ziggurat
# method to generate normal random samples")
# --------------------------------------------------------------------------------------------------
_ZIGGURAT_LAYERS = 256
_ZIGGURAT_R = 3.6541528853610088  # start of the tail
_ZIGGURAT_V = 0.00492867323399  # area of every layer (and of the base strip with the tail)


def _ziggurat_tables():
    """Doornik's ``zigNorInit``: layer edges ``X[0..256]`` (``X[0] = V/f(R)``, ``X[1] = R``,
    ``X[256] = 0``, ``f(x) = exp(-x**2/2)``) and the ratios ``X[i+1]/X[i]``."""
    x = np.zeros(_ZIGGURAT_LAYERS + 1)
    f = math.exp(-0.5 * _ZIGGURAT_R * _ZIGGURAT_R)
    x[0] = _ZIGGURAT_V / f
    x[1] = _ZIGGURAT_R
    for i in range(2, _ZIGGURAT_LAYERS):
        x[i] = math.sqrt(-2.0 * math.log(_ZIGGURAT_V / x[i - 1] + f))
        f = math.exp(-0.5 * x[i] * x[i])
    ratio = x[1:] / x[:-1]
    x.setflags(write=False)
    ratio.setflags(write=False)
    return x, ratio


ZIGGURAT_X, ZIGGURAT_RATIO = _ziggurat_tables()
_LAYER_MASK = np.uint64(_ZIGGURAT_LAYERS - 1)
_S11 = np.uint64(11)


@njit(cache=True, inline="always")
def _signed_uniform(bits):
    """Bits 11..63 of a uint64 as a float64 in (-1, 1): ``((bits >> 11) + 0.5) * 2**-52 - 1``."""
    return (np.float64(bits >> _S11) + 0.5) * _TWO_POW_M52 - 1.0


@njit(cache=True)
def _normal_slow(bits):
    """The ziggurat's rare path for first hash ``bits`` (wedges, tail, new attempts)."""
    state = bits
    while True:
        layer = np.int64(bits & _LAYER_MASK)
        v = _signed_uniform(bits)
        if abs(v) < ZIGGURAT_RATIO[layer]:
            return v * ZIGGURAT_X[layer]
        if layer == 0:  # the base strip: a draw from the tail beyond R (Marsaglia 1964)
            while True:
                state += _GOLDEN
                x = math.log(bits_to_uniform(mix64(state))) / _ZIGGURAT_R
                state += _GOLDEN
                y = math.log(bits_to_uniform(mix64(state)))
                if -2.0 * y >= x * x:
                    return x - _ZIGGURAT_R if v < 0.0 else _ZIGGURAT_R - x
        x = v * ZIGGURAT_X[layer]
        f0 = math.exp(-0.5 * (ZIGGURAT_X[layer] * ZIGGURAT_X[layer] - x * x))
        f1 = math.exp(-0.5 * (ZIGGURAT_X[layer + 1] * ZIGGURAT_X[layer + 1] - x * x))
        state += _GOLDEN
        if f1 + bits_to_uniform(mix64(state)) * (f0 - f1) < 1.0:
            return x
        state += _GOLDEN
        bits = mix64(state)


@njit(cache=True, inline="always")
def normal(key, counter):
    """Draw number ``counter`` (an integer >= 0) of stream ``key`` as a standard normal (ziggurat,
    module docstring): the fast path inline, the rare rest in :func:`_normal_slow`."""
    bits = mix64(key + (np.uint64(counter) + _ONE) * _GOLDEN)
    layer = np.int64(bits & _LAYER_MASK)
    v = _signed_uniform(bits)
    if abs(v) < ZIGGURAT_RATIO[layer]:
        return v * ZIGGURAT_X[layer]
    return _normal_slow(bits)


@njit(cache=True)
def _fill_normals(key, out):
    for counter in range(out.size):
        out[counter] = normal(key, counter)


def normals(key: np.uint64, count: int) -> np.ndarray:
    """The first ``count`` standard normals (:func:`normal`) of stream ``key`` as a float64 array."""
    out = np.empty(int(count), dtype=np.float64)
    _fill_normals(np.uint64(key), out)
    return out


@njit(cache=True)
def _fill_uniforms(key, out):
    for counter in range(out.size):
        out[counter] = uniform(key, counter)


@njit(cache=True)
def _fill_draws(seed, trial, purpose, gaussian, offset, out):
    n_steps, n_neurons = out.shape
    for neuron in range(n_neurons):
        key = _key(seed, trial, neuron, purpose)
        for step in range(n_steps):
            counter = np.uint64(step) + offset
            out[step, neuron] = normal(key, counter) if gaussian else uniform(key, counter)


def draws(seed: int, trial: int, purpose: int, n_steps: int, n_neurons: int, kind: str = "uniform",
          source: int = 0) -> np.ndarray:
    """The draws the engine uses for one trial and purpose, as an ``(n_steps, n_neurons)`` array.

    Element ``[k, i]`` is draw ``k + source*2**56`` of the stream (seed, trial, neuron i, purpose): exactly the
    number the engine consumes at step ``k`` (used to feed nsnn_sim's noise into other simulators):
    a uniform (``kind="uniform"``) or, for Gaussian membrane noise, a standard normal (``"normal"``).
    ``source`` numbers the independent normals of one step of a neuron with more state
    (:func:`nsnn_sim.simulator.state.state_update`); 0 is the one of a membrane alone.
    """
    if kind not in ("uniform", "normal"):
        raise ValueError(f"kind={kind!r} is not allowed; allowed: ('uniform', 'normal')")
    out = np.empty((int(n_steps), int(n_neurons)), dtype=np.float64)
    _fill_draws(np.uint64(seed), np.uint64(trial), np.uint64(purpose), kind == "normal",
                np.uint64(source) << np.uint64(56), out)
    return out


def uniforms(key: np.uint64, count: int) -> np.ndarray:
    """The first ``count`` draws of stream ``key`` as a float64 array."""
    out = np.empty(int(count), dtype=np.float64)
    _fill_uniforms(np.uint64(key), out)
    return out
