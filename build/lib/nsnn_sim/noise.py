"""Noise families of the noisy spiking neuron: cdf, pdf and ppf, in Numba and in numpy.

Every family is zero-mean, symmetric and parameterised by one positive ``scale``:

==============  ===========  ===========================================================
name            scale        cdf ``F(x; scale)``
==============  ===========  ===========================================================
``gaussian``    sigma        ``(1 + erf(x / (sigma*sqrt(2)))) / 2``
``logistic``    s            ``1 / (1 + exp(-x/s))``
``triangular``  a            support ``[-a, a]``, pdf ``(a - |x|)/a**2``
``uniform``     a            support ``[-a, a]``, pdf ``1/(2a)``
``cauchy``      gamma        ``1/2 + arctan(x/gamma)/pi`` (the "arctan" surrogate)
``none``        (ignored)    ``H(x)``: deterministic, ``F(x) = 1`` for ``x >= 0`` else 0
==============  ===========  ===========================================================

The noise-driven learning rule (NDL) of Ma, Yan & Tang (2023) uses ``pdf(u - threshold)`` as the
derivative of a spike with respect to the membrane potential; the learner takes it from here.

Numba kernels call the dispatchers :func:`cdf`, :func:`pdf`, :func:`ppf` with an integer family
code; Python code uses :func:`get` to obtain a :class:`NoiseFamily` with vectorised numpy methods.

Adding a family is one addition in this file: four scalar functions (cdf, pdf, ppf and the cheap
pre-test :func:`may_fire` of :func:`below_cdf`), one ``_register`` call and one line in the dispatch
table ``_evaluate`` (``tests/test_noise.py`` checks every registered family
through the dispatchers, so a missing line fails loudly).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numba import njit

from nsnn_sim import rng
from nsnn_sim.validation import describe, numeric_parameter

__all__ = ["NoiseFamily", "get", "names", "cdf", "pdf", "ppf", "may_fire", "below_cdf", "sample_standard_uniform"]

_SQRT2 = math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


# --------------------------------------------------------------------------------------------------
# Gaussian. ppf: Wichura (1988), Algorithm AS 241 (PPND16), relative accuracy about 1e-16.
# --------------------------------------------------------------------------------------------------
@njit(cache=True)
def _gaussian_cdf(x, scale):
    return 0.5 * math.erfc(-x / (scale * _SQRT2))


@njit(cache=True)
def _gaussian_pdf(x, scale):
    z = x / scale
    return _INV_SQRT_2PI * math.exp(-0.5 * z * z) / scale


@njit(cache=True)
def _standard_normal_ppf(p):
    q = p - 0.5
    if abs(q) <= 0.425:
        r = 0.180625 - q * q
        num = (((((((2.5090809287301226727e3 * r + 3.3430575583588128105e4) * r
                    + 6.7265770927008700853e4) * r + 4.5921953931549871457e4) * r
                  + 1.3731693765509461125e4) * r + 1.9715909503065514427e3) * r
                + 1.3314166789178437745e2) * r + 3.3871328727963666080e0)
        den = (((((((5.2264952788528545610e3 * r + 2.8729085735721942674e4) * r
                    + 3.9307895800092710610e4) * r + 2.1213794301586595867e4) * r
                  + 5.3941960214247511077e3) * r + 6.8718700749205790830e2) * r
                + 4.2313330701600911252e1) * r + 1.0)
        return q * num / den
    r = p if q < 0.0 else 1.0 - p
    r = math.sqrt(-math.log(r))
    if r <= 5.0:
        r -= 1.6
        num = (((((((7.74545014278341407640e-4 * r + 2.27238449892691845833e-2) * r
                    + 2.41780725177450611770e-1) * r + 1.27045825245236838258e0) * r
                  + 3.64784832476320460504e0) * r + 5.76949722146069140550e0) * r
                + 4.63033784615654529590e0) * r + 1.42343711074968357734e0)
        den = (((((((1.05075007164441684324e-9 * r + 5.47593808499534494600e-4) * r
                    + 1.51986665636164571966e-2) * r + 1.48103976427480074590e-1) * r
                  + 6.89767334985100004550e-1) * r + 1.67638483018380384940e0) * r
                + 2.05319162663775882187e0) * r + 1.0)
    else:
        r -= 5.0
        num = (((((((2.01033439929228813265e-7 * r + 2.71155556874348757815e-5) * r
                    + 1.24266094738807843860e-3) * r + 2.65321895265761230930e-2) * r
                  + 2.96560571828504891230e-1) * r + 1.78482653991729133580e0) * r
                + 5.46378491116411436990e0) * r + 6.65790464350110377720e0)
        den = (((((((2.04426310338993978564e-15 * r + 1.42151175831644588870e-7) * r
                    + 1.84631831751005468180e-5) * r + 7.86869131145613259100e-4) * r
                  + 1.48753612908506148525e-2) * r + 1.36929880922735805310e-1) * r
                + 5.99832206555887937690e-1) * r + 1.0)
    value = num / den
    return -value if q < 0.0 else value


@njit(cache=True)
def _gaussian_ppf(p, scale):
    return scale * _standard_normal_ppf(p)


@njit(cache=True)
def _gaussian_may_fire(x, scale, draw):
    # draw < Cantelli's bound 1 / (1 + (x/scale)^2) of P(Z <= x) for x < 0 (at least twice the cdf)
    squared = scale * scale
    return x >= 0.0 or draw * (squared + x * x) < squared


# --------------------------------------------------------------------------------------------------
# Logistic
# --------------------------------------------------------------------------------------------------
@njit(cache=True)
def _logistic_cdf(x, scale):
    z = x / scale
    if z >= 0.0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


@njit(cache=True)
def _logistic_pdf(x, scale):
    e = math.exp(-abs(x) / scale)
    return e / (scale * (1.0 + e) * (1.0 + e))


@njit(cache=True)
def _logistic_ppf(p, scale):
    return scale * math.log(p / (1.0 - p))


@njit(cache=True)
def _logistic_may_fire(x, scale, draw):
    # draw < 1 / T5(a), a = -x/scale, T5 the degree-5 Taylor polynomial of exp(a) <= exp(a): a bound
    # of F(-a) < exp(-a), at least 1.1 times the cdf; multiplied out by 120 scale^5 (no division)
    b = -x
    s2 = scale * scale
    s5 = 120.0 * s2 * s2 * scale
    polynomial = s5 + b * (120.0 * s2 * s2 + b * (60.0 * s2 * scale + b * (20.0 * s2 + b * (5.0 * scale + b))))
    return b <= 0.0 or draw * polynomial < s5


# --------------------------------------------------------------------------------------------------
# Triangular on [-a, a]
# --------------------------------------------------------------------------------------------------
@njit(cache=True)
def _triangular_cdf(x, scale):
    if x <= -scale:
        return 0.0
    if x >= scale:
        return 1.0
    if x < 0.0:
        d = x + scale
        return d * d / (2.0 * scale * scale)
    d = scale - x
    return 1.0 - d * d / (2.0 * scale * scale)


@njit(cache=True)
def _triangular_pdf(x, scale):
    d = scale - abs(x)
    return d / (scale * scale) if d > 0.0 else 0.0


@njit(cache=True)
def _triangular_ppf(p, scale):
    if p < 0.5:
        return scale * (math.sqrt(2.0 * p) - 1.0)
    return scale * (1.0 - math.sqrt(2.0 * (1.0 - p)))


@njit(cache=True)
def _triangular_may_fire(x, scale, draw):
    return True  # the cdf is already cheap


# --------------------------------------------------------------------------------------------------
# Uniform on [-a, a]
# --------------------------------------------------------------------------------------------------
@njit(cache=True)
def _uniform_cdf(x, scale):
    if x <= -scale:
        return 0.0
    if x >= scale:
        return 1.0
    return (x + scale) / (2.0 * scale)


@njit(cache=True)
def _uniform_pdf(x, scale):
    return 0.5 / scale if abs(x) < scale else 0.0


@njit(cache=True)
def _uniform_ppf(p, scale):
    return scale * (2.0 * p - 1.0)


@njit(cache=True)
def _uniform_may_fire(x, scale, draw):
    return True  # the cdf is already cheap


# --------------------------------------------------------------------------------------------------
# Cauchy (arctan surrogate)
# --------------------------------------------------------------------------------------------------
@njit(cache=True)
def _cauchy_cdf(x, scale):
    return 0.5 + math.atan(x / scale) / math.pi


@njit(cache=True)
def _cauchy_pdf(x, scale):
    z = x / scale
    return 1.0 / (math.pi * scale * (1.0 + z * z))


@njit(cache=True)
def _cauchy_ppf(p, scale):
    # tan(pi*(p - 1/2)) = -cot(pi*p): written without p - 1/2, which loses the tails' digits
    if p < 0.5:
        return -scale / math.tan(math.pi * p)
    return scale / math.tan(math.pi * (1.0 - p))


@njit(cache=True)
def _cauchy_may_fire(x, scale, draw):
    # draw < 2 / (pi a), a = -x/scale: twice the bound arctan(1/a)/pi <= 1/(pi a) of F(-a)
    return draw * math.pi * (-x) < 2.0 * scale


# --------------------------------------------------------------------------------------------------
# None: the deterministic limit
# --------------------------------------------------------------------------------------------------
@njit(cache=True)
def _none_cdf(x, scale):
    return 1.0 if x >= 0.0 else 0.0


@njit(cache=True)
def _none_pdf(x, scale):
    return 0.0


@njit(cache=True)
def _none_ppf(p, scale):
    return 0.0


@njit(cache=True)
def _none_may_fire(x, scale, draw):
    return True


# --------------------------------------------------------------------------------------------------
# Registry and dispatch
# --------------------------------------------------------------------------------------------------
NONE, GAUSSIAN, LOGISTIC, TRIANGULAR, UNIFORM, CAUCHY = 0, 1, 2, 3, 4, 5


_CDF, _PDF, _PPF, _MAY_FIRE = 0, 1, 2, 3


@njit(cache=True, inline="always")
def _pick(which, cdf_function, pdf_function, ppf_function, may_fire_function, x, scale, draw):
    if which == _CDF:
        return cdf_function(x, scale)
    if which == _PDF:
        return pdf_function(x, scale)
    if which == _PPF:
        return ppf_function(x, scale)
    return 1.0 if may_fire_function(x, scale, draw) else 0.0


@njit(cache=True, inline="always")
def _evaluate(which, family, x, scale, draw=0.0):
    """cdf, pdf, ppf or the cheap firing pre-test (``which``, with ``draw``) of family ``family``:
    the one dispatch table of this module."""
    if family == GAUSSIAN:
        return _pick(which, _gaussian_cdf, _gaussian_pdf, _gaussian_ppf, _gaussian_may_fire, x, scale, draw)
    if family == LOGISTIC:
        return _pick(which, _logistic_cdf, _logistic_pdf, _logistic_ppf, _logistic_may_fire, x, scale, draw)
    if family == TRIANGULAR:
        return _pick(which, _triangular_cdf, _triangular_pdf, _triangular_ppf, _triangular_may_fire, x, scale, draw)
    if family == UNIFORM:
        return _pick(which, _uniform_cdf, _uniform_pdf, _uniform_ppf, _uniform_may_fire, x, scale, draw)
    if family == CAUCHY:
        return _pick(which, _cauchy_cdf, _cauchy_pdf, _cauchy_ppf, _cauchy_may_fire, x, scale, draw)
    if family == NONE:
        return _pick(which, _none_cdf, _none_pdf, _none_ppf, _none_may_fire, x, scale, draw)
    return math.nan


@njit(cache=True, inline="always")
def cdf(family, x, scale):
    """``F(x; scale)`` of the family with integer code ``family`` (Numba-callable)."""
    return _evaluate(_CDF, family, x, scale)


@njit(cache=True, inline="always")
def may_fire(family, draw, x, scale):
    """The cheap pre-test of :func:`below_cdf`: ``draw < B(x; scale)`` for an upper bound ``B`` of the
    cdf, at least 1.1 times ``F`` where it is below 1, computed without exp, erf, arctan or division
    (``True`` where the cdf itself is cheap). ``False`` proves ``draw >= F(x; scale)``."""
    return _evaluate(_MAY_FIRE, family, x, scale, draw) != 0.0


@njit(cache=True, inline="always")
def below_cdf(family, draw, x, scale):
    """``draw < F(x; scale)``: the escape-noise spike decision for a uniform ``draw``.

    The cdf is evaluated only when :func:`may_fire` (``draw`` below a cheap upper bound of the cdf)
    holds; otherwise the answer is False either way (the 10 % margin of the bound dwarfs the rounding
    of the pre-test), so the result is that of the direct comparison, bit for bit, at a fraction
    of the cost when firing is rare (e.g. 95 % of logistic draws skip the exp at F = 0.03).
    """
    if _evaluate(_MAY_FIRE, family, x, scale, draw) == 0.0:  # draw >= B(x) (up to rounding) > F(x)
        return False
    return draw < _evaluate(_CDF, family, x, scale)


@njit(cache=True, inline="always")
def pdf(family, x, scale):
    """``f(x; scale) = dF/dx`` of the family with integer code ``family`` (Numba-callable)."""
    return _evaluate(_PDF, family, x, scale)


@njit(cache=True, inline="always")
def ppf(family, p, scale):
    """Inverse cdf ``F^-1(p; scale)`` for ``0 < p < 1`` (Numba-callable)."""
    return _evaluate(_PPF, family, p, scale)


@njit(cache=True)
def _map(which, family, values, scale, out):
    for index in range(values.size):
        out[index] = _evaluate(which, family, values[index], scale)


@dataclass(frozen=True)
class NoiseFamily:
    """One noise family at one scale, with vectorised numpy ``cdf``, ``pdf``, ``ppf``, ``sample``.

    Parameters
    ----------
    name : str
        Registered family name (see :func:`names`).
    scale : float
        The family's scale parameter (ignored, and stored as 0, for ``"none"``).
    """

    name: str
    scale: float = 1.0

    def __post_init__(self):
        if self.name not in _REGISTRY:
            raise ValueError(f"noise={self.name!r} is not a noise family; allowed: {names()}")
        scale = check_scale("scale", self.scale, self.name)
        object.__setattr__(self, "scale", scale)

    @property
    def code(self) -> int:
        """Integer code used by the Numba dispatchers."""
        return _REGISTRY[self.name]

    @property
    def is_deterministic(self) -> bool:
        return self.code == NONE

    def _apply(self, which: int, values) -> np.ndarray:
        array = np.asarray(values, dtype=np.float64)
        flat = np.ascontiguousarray(array).ravel()
        out = np.empty_like(flat)
        _map(which, self.code, flat, float(self.scale), out)
        return out.reshape(array.shape)

    def cdf(self, x) -> np.ndarray:
        """``F(x; scale)``, elementwise."""
        return self._apply(_CDF, x)

    def pdf(self, x) -> np.ndarray:
        """``f(x; scale)``, elementwise."""
        return self._apply(_PDF, x)

    def ppf(self, p) -> np.ndarray:
        """``F^-1(p; scale)``, elementwise; ``p`` must lie in the open interval (0, 1)."""
        p = np.asarray(p, dtype=np.float64)
        if np.any(~((p > 0.0) & (p < 1.0))):
            raise ValueError("ppf: p must lie in the open interval (0, 1)")
        return self._apply(_PPF, p)

    def sample(self, size, seed: int = 0) -> np.ndarray:
        """Draw ``size`` samples by inverse-transform sampling from nsnn_sim's counter stream."""
        count = int(np.prod(size))
        uniforms = sample_standard_uniform(count, seed)
        return self._apply(_PPF, uniforms).reshape(size)


_REGISTRY: dict[str, int] = {}


def _register(name: str, code: int) -> None:
    _REGISTRY[name] = code


_register("none", NONE)
_register("gaussian", GAUSSIAN)
_register("logistic", LOGISTIC)
_register("triangular", TRIANGULAR)
_register("uniform", UNIFORM)
_register("cauchy", CAUCHY)


def names() -> tuple[str, ...]:
    """The registered family names."""
    return tuple(_REGISTRY)


def code_of(name: str, parameter: str = "noise") -> int:
    """Integer code of family ``name``; ``ValueError`` naming ``parameter`` if unknown."""
    if not isinstance(name, str) or name not in _REGISTRY:
        raise ValueError(f"{parameter}={name!r} is not a noise family; allowed: {names()}")
    return _REGISTRY[name]


def check_scale(parameter: str, scale, family: str):
    """Validate a scale (scalar or per-neuron array): finite, and > 0 unless ``family == "none"``
    (whose scale is ignored and returned as 0). Returns a float or a read-only array."""
    value = numeric_parameter(parameter, scale)
    if family == "none":
        return 0.0
    if np.any(np.asarray(value) <= 0.0):
        raise ValueError(
            f"{parameter}={describe(scale)} must be > 0 for noise={family!r} (use noise='none' for the "
            "deterministic model)"
        )
    return value


def get(name: str, scale: float = 1.0) -> NoiseFamily:
    """The family ``name`` at ``scale`` (``ValueError`` for an unknown name)."""
    return NoiseFamily(name, scale)


def sample_standard_uniform(count: int, seed: int = 0) -> np.ndarray:
    """``count`` uniforms in (0, 1) from the counter stream keyed by ``seed`` (see :mod:`nsnn_sim.rng`)."""
    return rng.uniforms(rng.stream_key(seed, 0, 0, 0), count)
