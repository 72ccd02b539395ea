"""A noise family defined outside nsnn_sim, through the registry only: Laplace(b), registered on import.

``F(x; b) = exp(x/b)/2`` for ``x < 0``, ``1 - exp(-x/b)/2`` for ``x >= 0``; ``f(x; b) = exp(-|x|/b)/(2b)``;
``F^-1(p; b) = b*log(2p)`` for ``p < 1/2``, ``-b*log(2(1 - p))`` otherwise; SD ``sqrt(2)*b``.

Imported by tests/registered_family_checks.py in a subprocess (the engine's kernels dispatch on the
family code, so the family must be registered before they compile), either through an entry point
of the group ``nsnn_sim.noise_families`` or by importing this module first.
"""

import math

from numba import njit

from nsnn_sim.simulator.noise import FamilySpec, always_may_fire, register

LAPLACE = 17


@njit(cache=True)
def laplace_cdf(x, scale):
    half = 0.5 * math.exp(-abs(x) / scale)
    return half if x < 0.0 else 1.0 - half


@njit(cache=True)
def laplace_pdf(x, scale):
    return 0.5 * math.exp(-abs(x) / scale) / scale


@njit(cache=True)
def laplace_ppf(p, scale):
    if p < 0.5:
        return scale * math.log(2.0 * p)
    return -scale * math.log(2.0 * (1.0 - p))


def _scipy_laplace(scale):
    from scipy import stats

    return stats.laplace(scale=scale)


SPEC = register(FamilySpec(
    "laplace", LAPLACE, laplace_cdf, laplace_pdf, laplace_ppf, always_may_fire,  # no cheap bound of the cdf
    scale_for_sd=lambda sd: sd / math.sqrt(2),
    brian2_cdf="(int(({x}) >= 0.0) + (0.5 - int(({x}) >= 0.0))*exp(-abs({x})/{scale}))",
    brian2_ppf="{scale}*(log(2.0*{p})*int({p} < 0.5) - log(2.0*(1.0 - {p}))*int({p} >= 0.5))",
    scipy_reference=_scipy_laplace))
