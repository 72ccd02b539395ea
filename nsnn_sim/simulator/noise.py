"""Noise families of the noisy spiking neuron: one record per family, and the dispatch built from them.

Every family is zero-mean, symmetric and parameterised by one positive ``scale``:

==============  =========  =====================================================  ===================
name            scale      cdf ``F(x; scale)``                                    scale for SD ``sd``
==============  =========  =====================================================  ===================
``gaussian``    sigma      ``(1 + erf(x / (sigma*sqrt(2)))) / 2``                 ``sd``
``logistic``    s          ``1 / (1 + exp(-x/s))``                                ``sd*sqrt(3)/pi``
``triangular``  a          support ``[-a, a]``, pdf ``(a - |x|)/a**2``            ``sd*sqrt(6)``
``uniform``     a          support ``[-a, a]``, pdf ``1/(2a)``                    ``sd*sqrt(3)``
``cauchy``      gamma      ``1/2 + arctan(x/gamma)/pi`` (the arctan surrogate)    ``sd*z75``
``none``        (ignored)  ``H(x)``: deterministic, ``F(x) = 1`` for ``x >= 0``     0
==============  =========  =====================================================  ===================

The Cauchy family has no SD: its scale for an SD ``sd`` gives it the quartiles ``+-z75*sd`` of the
Gaussian of that SD (the same interquartile range), ``z75 = Phi^-1(3/4) = 0.6744897501960817``.
NDL (Ma, Yan & Tang 2023) takes ``pdf(u - threshold)`` as the derivative of a spike with respect to
the membrane potential; the learner takes it from here.

**Registry.** Each family is one :class:`FamilySpec` passed to :func:`register`: name, integer code,
the Numba scalar ``cdf``, ``pdf``, ``ppf`` and ``may_fire``, the Brian2 cdf and ppf expressions, the
scale for an SD, the support and a scipy.stats reference. Everything else derives from the registry:
the Numba dispatchers :func:`cdf`, :func:`pdf`, :func:`ppf`, :func:`may_fire`, :func:`below_cdf` (an
if-chain on the family code generated from the records, :func:`dispatch_source`), the
:class:`NoiseFamily` numpy methods, the Brian2 bridge and the tests' family tables. A built-in family
is four scalar functions and one ``register(FamilySpec(...))`` call in this file.

**Registering from elsewhere.** A family must be registered before the first package kernel compiles
(first simulation, learner pass or ``NoiseFamily`` method); :func:`register` raises ``RuntimeError``
after. Either name a module that calls :func:`register` on import (importing from
``nsnn_sim.simulator.noise``, not ``nsnn_sim``) in an entry point of the group ``nsnn_sim.noise_families``:
it is loaded when this module is imported, in every process (sweep workers too); or import such a
module before anything is simulated.

**Kernel caches.** Numba's on-disk cache does not notice changes in functions a kernel inlines from
other files, and every kernel inlines the dispatch, so caches are kept apart per registry content:
with the built-in families they stay where Numba puts them; once the registry differs
(:func:`registry_fingerprint`: names, codes, sources of the Numba functions),
``numba.config.CACHE_DIR`` becomes :func:`kernel_cache_dir` (``$NUMBA_CACHE_DIR/nsnn_sim-noise-<fp>``
or ``~/.cache/nsnn_sim/numba-noise-<fp>``) and the kernels decorated so far are re-pointed there.

Examples
--------
>>> from nsnn_sim import noise
>>> noise.names()[:6]  # the built-in families, then any registered ones
('none', 'gaussian', 'logistic', 'triangular', 'uniform', 'cauchy')
>>> logistic = noise.get("logistic", 0.4)
>>> float(logistic.cdf(0.0)), round(float(logistic.pdf(0.0)), 6)
(0.5, 0.625)
>>> round(float(noise.get("gaussian", 1.0).ppf(0.975)), 4)
1.96
"""

from __future__ import annotations

import hashlib
import inspect
import math
from dataclasses import dataclass
from typing import Any, Callable

import numba
import numpy as np
from numba import njit
from numba.core.registry import CPUDispatcher

from nsnn_sim._core.kernel_cache import compiled_kernels, fingerprint_cache_dir, point_kernel_caches
from nsnn_sim._core.special import standard_normal_ppf
from nsnn_sim._core.validation import describe, numeric_parameter
from nsnn_sim.simulator import rng

__all__ = ["FamilySpec", "Brian2Function", "register", "specs", "spec", "registry_fingerprint", "kernel_cache_dir",
           "NoiseFamily", "get", "names", "code_of", "check_scale", "cdf", "pdf", "ppf", "may_fire", "below_cdf",
           "sample_standard_uniform", "always_may_fire", "dispatch_source", "ENTRY_POINT_GROUP"]

ENTRY_POINT_GROUP = "nsnn_sim.noise_families"
_SQRT2 = math.sqrt(2.0)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)


# ---- Gaussian. ppf: Wichura (1988), Algorithm AS 241 (nsnn_sim._core.special.standard_normal_ppf)
@njit(cache=True)
def _gaussian_cdf(x, scale):
    return 0.5 * math.erfc(-x / (scale * _SQRT2))


@njit(cache=True)
def _gaussian_pdf(x, scale):
    z = x / scale
    return _INV_SQRT_2PI * math.exp(-0.5 * z * z) / scale


@njit(cache=True)
def _gaussian_ppf(p, scale):
    return scale * standard_normal_ppf(p)


@njit(cache=True)
def _gaussian_may_fire(x, scale, draw):
    # draw < Cantelli's bound 1 / (1 + (x/scale)^2) of P(Z <= x) for x < 0 (at least twice the cdf)
    squared = scale * scale
    return x >= 0.0 or draw * (squared + x * x) < squared


# ---- Logistic
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


# ---- Triangular on [-a, a]
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


# ---- Uniform on [-a, a]
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


# ---- Cauchy (arctan surrogate)
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


# ---- None: the deterministic limit
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
def always_may_fire(x, scale, draw):
    """The pre-test of a family without a cheap bound of its cdf (or a cheap cdf): always True."""
    return True


# ---- The record of a family
NONE, GAUSSIAN, LOGISTIC, TRIANGULAR, UNIFORM, CAUCHY = 0, 1, 2, 3, 4, 5

_GAUSSIAN_QUARTILE = 0.6744897501960817  # Phi^-1(3/4): the Gaussian's quartiles are +-0.674 sd


@dataclass(frozen=True)
class Brian2Function:
    """A function of one dimensionless argument that a family's Brian2 expressions call, by ``name``:
    a vectorised ``numpy`` implementation and the ``cython`` and ``cpp`` source defining ``name``."""

    name: str
    numpy: Callable
    cython: str
    cpp: str


@dataclass(frozen=True)
class FamilySpec:
    """Everything nsnn_sim needs about one noise family: the single place a family is defined.

    Parameters
    ----------
    name : str
        The family's name, as in ``NSNN(noise=name)``.
    code : int
        Integer code the Numba kernels dispatch on, unique, in ``[0, 2**31)``.
    cdf, pdf : numba dispatcher ``(x, scale) -> float``
        ``F(x; scale)`` and ``f(x; scale) = dF/dx`` (``@njit`` scalar functions).
    ppf : numba dispatcher ``(p, scale) -> float``
        ``F^-1(p; scale)`` for ``0 < p < 1``; the engine's membrane noise is ``scale*ppf(U, 1)``.
    may_fire : numba dispatcher ``(x, scale, draw) -> bool``
        Cheap pre-test ``draw < B(x; scale)`` for an upper bound ``B >= 1.1*F`` where ``F < 1``
        (``True`` when the cdf is cheap anyway): ``False`` proves ``draw >= F(x; scale)``.
    scale_for_sd : callable ``sd -> scale``
        The scale at which the family's SD is ``sd`` (a family without an SD states what it matches).
    brian2_cdf : str
        Brian2 expression of ``F(x; scale)``, with the fields ``{x}`` and ``{scale}``.
    brian2_ppf : str or None
        Brian2 expression of ``F^-1(p; scale)``, fields ``{p}`` and ``{scale}``; None if Brian2 cannot
        express it (then ``brian2_sample`` must be given).
    scipy_reference : callable ``scale -> scipy.stats frozen distribution`` or None
        An independent implementation, for tests (None for ``"none"``).
    brian2_sample : str, optional
        Brian2 expression of one standard (``scale = 1``) draw made by Brian2 itself (Gaussian:
        ``randn()``), used instead of ``brian2_ppf`` applied to ``rand()``.
    brian2_functions : tuple of Brian2Function
        Functions the Brian2 expressions call.
    support : float
        Half-width of the support at ``scale = 1`` (``inf`` if unbounded): ``F(-support*scale) = 0``.
    deterministic : bool
        True only for ``"none"``: no noise, the scale is ignored.
    """

    name: str
    code: int
    cdf: Any
    pdf: Any
    ppf: Any
    may_fire: Any
    scale_for_sd: Callable[[float], float]
    brian2_cdf: str
    brian2_ppf: str | None
    scipy_reference: Callable[[float], Any] | None
    brian2_sample: str | None = None
    brian2_functions: tuple[Brian2Function, ...] = ()
    support: float = math.inf
    deterministic: bool = False

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name.isidentifier():
            raise ValueError(f"FamilySpec name={self.name!r} must be a str that is a Python identifier")
        if isinstance(self.code, bool) or not isinstance(self.code, (int, np.integer)) or not 0 <= self.code < 2**31:
            raise ValueError(f"FamilySpec code={self.code!r} must be an int in [0, 2**31)")
        object.__setattr__(self, "code", int(self.code))
        for field_name in ("cdf", "pdf", "ppf", "may_fire"):
            if not isinstance(getattr(self, field_name), CPUDispatcher):
                raise TypeError(f"FamilySpec {field_name}={getattr(self, field_name)!r} must be a Numba @njit "
                                "function (it is inlined into the kernels)")
        if not callable(self.scale_for_sd):
            raise TypeError(f"FamilySpec scale_for_sd={self.scale_for_sd!r} must be callable (sd -> scale)")
        _check_expression("brian2_cdf", self.brian2_cdf, ("x", "scale"), required=True)
        _check_expression("brian2_ppf", self.brian2_ppf, ("p", "scale"), required=self.brian2_sample is None)
        if not isinstance(self.brian2_functions, tuple) or not all(
                isinstance(item, Brian2Function) for item in self.brian2_functions):
            raise TypeError(f"FamilySpec brian2_functions={self.brian2_functions!r} must be a tuple of Brian2Function")
        if not self.support > 0.0 and not self.deterministic:
            raise ValueError(f"FamilySpec support={self.support!r} must be > 0 (inf if unbounded)")

    def cdf_expression(self, x: str, scale: str) -> str:
        """Brian2 expression of ``F(x; scale)`` for the Brian2 expressions ``x`` and ``scale``."""
        return self.brian2_cdf.format(x=x, scale=scale)

    def ppf_expression(self, p: str, scale: str) -> str:
        """Brian2 expression of ``F^-1(p; scale)``; ``ValueError`` if the family has none."""
        if self.brian2_ppf is None:
            raise ValueError(f"noise={self.name!r} has no Brian2 ppf expression (FamilySpec.brian2_ppf); it "
                             f"draws with {self.brian2_sample!r}")
        return self.brian2_ppf.format(p=p, scale=scale)

    def scale_for_iqr(self, iqr):
        """The scale at which the interquartile range ``F^-1(3/4) - F^-1(1/4)`` is ``iqr``:
        ``iqr / (2*ppf(3/4; 1))`` (symmetric families)."""
        return iqr / (2.0 * self.ppf(0.75, 1.0))


def _check_expression(field_name: str, expression, fields: tuple[str, ...], required: bool) -> None:
    if expression is None and not required:
        return
    if not isinstance(expression, str):
        raise TypeError(f"FamilySpec {field_name}={expression!r} must be a str with the fields "
                        f"{', '.join('{' + f + '}' for f in fields)}")
    try:
        expression.format(**{f: f for f in fields})
    except (KeyError, IndexError, ValueError) as error:
        raise ValueError(f"FamilySpec {field_name}={expression!r} may use only the fields "
                         f"{', '.join('{' + f + '}' for f in fields)} ({error!r})") from None


def _scipy_stats():
    from scipy import stats

    return stats


# ---- The registry
_SPECS: dict[str, FamilySpec] = {}


def specs() -> tuple[FamilySpec, ...]:
    """The registered families' records, in registration order."""
    return tuple(_SPECS.values())


def spec(name: str, parameter: str = "noise") -> FamilySpec:
    """The record of family ``name``; ``ValueError`` naming ``parameter`` if it is not registered."""
    if not isinstance(name, str) or name not in _SPECS:
        raise ValueError(f"{parameter}={name!r} is not a noise family; allowed: {names()}")
    return _SPECS[name]


def names() -> tuple[str, ...]:
    """The registered family names."""
    return tuple(_SPECS)


def code_of(name: str, parameter: str = "noise") -> int:
    """Integer code of family ``name``; ``ValueError`` naming ``parameter`` if unknown."""
    return spec(name, parameter).code


def register(record: FamilySpec) -> FamilySpec:
    """Add a noise family to the registry; every consumer (engine, numpy methods, learner, Brian2
    bridge, tests) picks it up. Returns ``record``.

    Must run before any kernel of the package is compiled (see the module docstring); the dispatch
    is regenerated and, when the registry differs from the built-in one, the kernel cache is moved
    to a directory keyed by :func:`registry_fingerprint`.

    Raises
    ------
    TypeError
        ``record`` is not a :class:`FamilySpec`.
    ValueError
        Its name or code is taken.
    RuntimeError
        A package kernel was already compiled (it would keep the old dispatch).
    """
    if not isinstance(record, FamilySpec):
        raise TypeError(f"register(record={record!r}): record must be a FamilySpec")
    if record.name in _SPECS:
        raise ValueError(f"register: name={record.name!r} is taken; registered: {names()}")
    taken = {item.code: item.name for item in _SPECS.values()}
    if record.code in taken:
        raise ValueError(f"register: code={record.code} of {record.name!r} is taken by {taken[record.code]!r}; "
                         f"taken codes: {sorted(taken)}")
    compiled = compiled_kernels()
    if compiled:
        raise RuntimeError(f"register({record.name!r}) after package kernels were compiled "
                           f"({', '.join(compiled[:3])}): "
                           "they would keep the old dispatch; register noise families before the first simulation "
                           f"(an entry point in the group {ENTRY_POINT_GROUP!r}, or a module imported first)")
    _SPECS[record.name] = record
    _build_dispatch()
    if _BUILTIN_FINGERPRINT is not None:
        _keep_kernel_caches_apart()
    return record


def registry_fingerprint() -> str:
    """SHA-256 of the registry: every record's name, code and the source of its Numba functions."""
    digest = hashlib.sha256()
    for record in sorted(_SPECS.values(), key=lambda item: item.code):
        digest.update(f"{record.name}:{record.code}\n".encode())
        for function in (record.cdf, record.pdf, record.ppf, record.may_fire):
            try:
                digest.update(inspect.getsource(function.py_func).encode())
            except (OSError, TypeError):  # no source file: the bytecode and its constants
                code = function.py_func.__code__
                digest.update(code.co_code + repr(code.co_consts).encode())
    return digest.hexdigest()


# ---- The dispatch, generated from the registry
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


def dispatch_source() -> str:
    """Python source of ``_evaluate``, the one dispatch table, generated from the registry: an
    if-chain on the family code that the kernels inline (the code is loop-invariant, so the branch
    costs nothing)."""
    lines = ["def _evaluate(which, family, x, scale, draw=0.0):"]
    for record in sorted(_SPECS.values(), key=lambda item: item.deterministic):  # "none" last, as ever
        c = record.code
        lines += [f"    if family == {c}:  # {record.name}",
                  f"        return _pick(which, cdf_{c}, pdf_{c}, ppf_{c}, may_fire_{c}, x, scale, draw)"]
    lines.append("    return math.nan")
    return "\n".join(lines) + "\n"


def _build_dispatch() -> None:
    """(Re)define the module global ``_evaluate`` from :func:`dispatch_source`. The dispatchers below
    look it up when they compile, which is why families are registered before anything compiles."""
    namespace = {"math": math, "_pick": _pick}
    for record in _SPECS.values():
        for kind in ("cdf", "pdf", "ppf", "may_fire"):
            namespace[f"{kind}_{record.code}"] = getattr(record, kind)
    exec(compile(dispatch_source(), f"<nsnn_sim.simulator.noise dispatch {len(_SPECS)} families>", "exec"), namespace)
    # inline="always": never compiled on its own, hence never cached on its own (it has no file)
    globals()["_evaluate"] = njit(inline="always")(namespace["_evaluate"])


@njit(cache=True)
def cdf(family, x, scale):
    """``F(x; scale)`` of the family with integer code ``family`` (Numba-callable)."""
    return _evaluate(_CDF, family, x, scale)  # noqa: F821 (generated by _build_dispatch)


@njit(cache=True)
def may_fire(family, draw, x, scale):
    """The cheap pre-test of :func:`below_cdf`: ``draw < B(x; scale)`` for an upper bound ``B`` of the
    cdf, at least 1.1 times ``F`` where it is below 1, computed without exp, erf, arctan or division
    (``True`` where the cdf itself is cheap). ``False`` proves ``draw >= F(x; scale)``."""
    return _evaluate(_MAY_FIRE, family, x, scale, draw) != 0.0  # noqa: F821


# below_cdf runs at every step of the escape rule: inlined, so that the kernel sees its two calls (as a call itself it
# costs the escape kernel about 20 % of its speed, measured); cdf, pdf, ppf and may_fire are calls, compiled once
# instead of copied into every caller (Numba inlines by copying a callee's IR, see engine._neuron_steps)
@njit(cache=True, inline="always")
def below_cdf(family, draw, x, scale):
    """``draw < F(x; scale)``: the escape-noise spike decision for a uniform ``draw``.

    The cdf is evaluated only when :func:`may_fire` (``draw`` below a cheap upper bound of the cdf)
    holds; otherwise the answer is False either way (the 10 % margin of the bound dwarfs the rounding
    of the pre-test), so the result is that of the direct comparison, bit for bit, at a fraction
    of the cost when firing is rare (e.g. 95 % of logistic draws skip the exp at F = 0.03).
    """
    if not may_fire(family, draw, x, scale):  # draw >= B(x) > F(x)
        return False
    return draw < cdf(family, x, scale)


@njit(cache=True)
def pdf(family, x, scale):
    """``f(x; scale) = dF/dx`` of the family with integer code ``family`` (Numba-callable)."""
    return _evaluate(_PDF, family, x, scale)  # noqa: F821


@njit(cache=True)
def ppf(family, p, scale):
    """Inverse cdf ``F^-1(p; scale)`` for ``0 < p < 1`` (Numba-callable)."""
    return _evaluate(_PPF, family, p, scale)  # noqa: F821


@njit(cache=True)
def _map(which, family, values, scale, out):
    for index in range(values.size):
        out[index] = _evaluate(which, family, values[index], scale)  # noqa: F821


# ---- Kernel caches kept apart per registry content (nsnn_sim._core.kernel_cache)
_DEFAULT_CACHE_DIR = numba.config.CACHE_DIR  # NUMBA_CACHE_DIR at import ("" = next to the sources)
_BUILTIN_FINGERPRINT: str | None = None  # set once the built-in families are registered


def kernel_cache_dir() -> str:
    """Where the package's kernels are cached now: ``""`` (Numba's default, next to the sources) for
    the built-in registry, else a directory keyed by :func:`registry_fingerprint`."""
    fingerprint = registry_fingerprint()
    return _DEFAULT_CACHE_DIR if fingerprint == _BUILTIN_FINGERPRINT else fingerprint_cache_dir(
        _DEFAULT_CACHE_DIR, fingerprint)


def _keep_kernel_caches_apart() -> None:
    """Point the package's kernel caches at :func:`kernel_cache_dir` (:func:`point_kernel_caches`)."""
    point_kernel_caches(kernel_cache_dir())


# ---- The built-in families
def _normal_cdf_numpy(x):
    from scipy.special import ndtr

    return ndtr(x)


_NORMAL_CDF = Brian2Function(
    "nsnn_normal_cdf", _normal_cdf_numpy,
    cython="from libc.math cimport erfc, sqrt\n"
           "cdef double nsnn_normal_cdf(double x):\n    return 0.5 * erfc(-x / sqrt(2.0))",
    cpp="static inline double nsnn_normal_cdf(double x) { return 0.5 * erfc(-x / sqrt(2.0)); }")

register(FamilySpec(
    "none", NONE, _none_cdf, _none_pdf, _none_ppf, always_may_fire, scale_for_sd=lambda sd: 0.0 * sd,
    brian2_cdf="int(({x}) >= 0.0)", brian2_ppf="0.0", scipy_reference=None, support=0.0, deterministic=True))
register(FamilySpec(
    "gaussian", GAUSSIAN, _gaussian_cdf, _gaussian_pdf, _gaussian_ppf, _gaussian_may_fire,
    scale_for_sd=lambda sd: sd, brian2_cdf="nsnn_normal_cdf(({x})/{scale})", brian2_ppf=None,
    brian2_sample="randn()", brian2_functions=(_NORMAL_CDF,),
    scipy_reference=lambda a: _scipy_stats().norm(scale=a)))
register(FamilySpec(
    "logistic", LOGISTIC, _logistic_cdf, _logistic_pdf, _logistic_ppf, _logistic_may_fire,
    scale_for_sd=lambda sd: sd * math.sqrt(3) / math.pi,
    brian2_cdf="1.0/(1.0 + exp(-({x})/{scale}))", brian2_ppf="{scale}*log({p}/(1.0 - {p}))",
    scipy_reference=lambda a: _scipy_stats().logistic(scale=a)))
register(FamilySpec(
    "triangular", TRIANGULAR, _triangular_cdf, _triangular_pdf, _triangular_ppf, always_may_fire,
    scale_for_sd=lambda sd: sd * math.sqrt(6),
    brian2_cdf=("(int(({x}) > -{scale})*int(({x}) < 0.0)*(({x}) + {scale})**2/(2.0*{scale}**2)"
                " + int(({x}) >= 0.0)*(1.0 - clip({scale} - ({x}), 0.0, {scale})**2/(2.0*{scale}**2)))"),
    brian2_ppf=("{scale}*((sqrt(2.0*{p}) - 1.0)*int({p} < 0.5)"
                " + (1.0 - sqrt(2.0*(1.0 - {p})))*int({p} >= 0.5))"),
    scipy_reference=lambda a: _scipy_stats().triang(c=0.5, loc=-a, scale=2 * a), support=1.0))
register(FamilySpec(
    "uniform", UNIFORM, _uniform_cdf, _uniform_pdf, _uniform_ppf, always_may_fire,
    scale_for_sd=lambda sd: sd * math.sqrt(3),
    brian2_cdf="clip((({x}) + {scale})/(2.0*{scale}), 0.0, 1.0)", brian2_ppf="{scale}*(2.0*{p} - 1.0)",
    scipy_reference=lambda a: _scipy_stats().uniform(loc=-a, scale=2 * a), support=1.0))
register(FamilySpec(
    "cauchy", CAUCHY, _cauchy_cdf, _cauchy_pdf, _cauchy_ppf, _cauchy_may_fire,
    scale_for_sd=lambda sd: sd * _GAUSSIAN_QUARTILE,  # no SD: the Gaussian's interquartile range
    brian2_cdf="(0.5 + arctan(({x})/{scale})/pi)", brian2_ppf="{scale}*tan(pi*({p} - 0.5))",
    scipy_reference=lambda a: _scipy_stats().cauchy(scale=a)))

_BUILTIN_FINGERPRINT = registry_fingerprint()


# ---- One family at one scale, vectorised
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
        spec(self.name)
        scale = check_scale("scale", self.scale, self.name)
        object.__setattr__(self, "scale", scale)

    @property
    def spec(self) -> FamilySpec:
        """The family's registry record."""
        return _SPECS[self.name]

    @property
    def code(self) -> int:
        """Integer code used by the Numba dispatchers."""
        return _SPECS[self.name].code

    @property
    def is_deterministic(self) -> bool:
        return _SPECS[self.name].deterministic

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


def check_scale(parameter: str, scale, family: str):
    """Validate a scale (scalar or per-neuron array): finite, and > 0 unless the family is
    deterministic (``"none"``, whose scale is ignored and returned as 0). Returns a float or a
    read-only array."""
    value = numeric_parameter(parameter, scale)
    if spec(family).deterministic:
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
    """``count`` uniforms in (0, 1) from the counter stream keyed by ``seed`` (see :mod:`nsnn_sim.simulator.rng`)."""
    return rng.uniforms(rng.stream_key(seed, 0, 0, 0), count)


# ---- Families of other packages: entry points, loaded now (before any kernel compiles)
def _load_entry_points() -> None:
    """Import every entry point of the group ``nsnn_sim.noise_families``: a module that registers its
    families on import, or a :class:`FamilySpec` (registered here)."""
    from importlib.metadata import entry_points

    for entry in entry_points(group=ENTRY_POINT_GROUP):
        try:
            loaded = entry.load()
        except Exception as error:
            raise ImportError(f"noise-family entry point {entry.name!r} = {entry.value!r} (group "
                              f"{ENTRY_POINT_GROUP!r}) failed to load: {error!r}") from error
        if isinstance(loaded, FamilySpec) and loaded.name not in _SPECS:
            register(loaded)


_load_entry_points()
