"""Closed forms for the LIF with white noise and for escape (Bernoulli) firing.

Sigma convention: every function here takes nsnn_sim's ``sigma``, the stationary SD of the free
membrane (Brian2's ``tau dv/dt = mu - v + sigma*sqrt(2*tau)*xi``). Brunel (2000) writes the noise
amplitude as ``sigma_B = sqrt(2)*sigma``; the formulas below are his, evaluated with
``y = (v - mu)/sigma_B``. Potentials are measured from ``u_rest``: ``mu`` is the input in membrane
units, so the free membrane relaxes to ``u_rest + mu``.

References: Brunel (2000), J Comput Neurosci 8:183 (rate and ISI CV); Siegert (1951).

Examples
--------
>>> from nsnn_sim import theory
>>> round(theory.siegert_rate(0.9, 0.5, tau=10e-3, tau_ref=2e-3), 3)
55.245
>>> round(theory.isi_cv(0.9, 0.5, tau=10e-3, tau_ref=2e-3), 3)
0.668
>>> round(theory.noise_free_rate(1.5, tau=10e-3), 3)
91.024
"""

from __future__ import annotations

import math

import numpy as np
from scipy import integrate, special

from nsnn_sim.validation import numeric_parameter

__all__ = ["siegert_rate", "isi_cv", "noise_free_rate", "bernoulli_train", "grid_threshold_shift"]

# -zeta(1/2)/sqrt(2*pi): mean overshoot of a Gaussian random walk over a far boundary, in units of
# the step SD (Siegmund 1979, corrected diffusion approximation)
OVERSHOOT_CONSTANT = 0.5825971579390108


def _check(tau=1.0, tau_ref=0.0, **values):
    """Finite scalars; ``tau > 0`` and ``tau_ref >= 0``."""
    numeric_parameter("tau", tau, lower=0.0, lower_open=True)
    numeric_parameter("tau_ref", tau_ref, lower=0.0)
    for name, value in values.items():
        numeric_parameter(name, value)


def _reduced_bounds(mu, sigma, threshold, u_reset, u_rest):
    _check(mu=mu, sigma=sigma, threshold=threshold, u_reset=u_reset, u_rest=u_rest)
    if sigma <= 0:
        raise ValueError(f"sigma={sigma!r} must be > 0 (use noise_free_rate for sigma = 0)")
    if threshold <= u_reset:
        raise ValueError(f"threshold={threshold!r} must be > u_reset={u_reset!r}")
    sigma_b = math.sqrt(2.0) * sigma
    y_threshold = (threshold - u_rest - mu) / sigma_b
    y_reset = (u_reset - u_rest - mu) / sigma_b
    return y_reset, y_threshold


def siegert_rate(mu: float, sigma: float, tau: float = 10e-3, threshold: float = 1.0,
                 u_reset: float = 0.0, tau_ref: float = 0.0, u_rest: float = 0.0) -> float:
    """Stationary rate (Hz) of the LIF with white noise (Siegert formula).

    ``1/nu = tau_ref + tau*sqrt(pi) * integral_{y_r}^{y_th} exp(y^2) (1 + erf y) dy``, with
    ``y_th = (theta - mu)/sigma_B``, ``y_r = (u_reset - mu)/sigma_B``, ``sigma_B = sqrt(2)*sigma``.
    The integrand is evaluated as ``erfcx(-y)``, which is finite for every ``y``.
    """
    _check(tau=tau, tau_ref=tau_ref)
    y_reset, y_threshold = _reduced_bounds(mu, sigma, threshold, u_reset, u_rest)
    if y_threshold > 26.0:  # exp(y^2) overflows; the rate is below 1e-290 Hz
        return 0.0
    integral, _ = integrate.quad(lambda y: special.erfcx(-y), y_reset, y_threshold,
                                 epsabs=0.0, epsrel=1e-12, limit=200)
    return 1.0 / (tau_ref + tau * math.sqrt(math.pi) * integral)


def isi_cv(mu: float, sigma: float, tau: float = 10e-3, threshold: float = 1.0,
           u_reset: float = 0.0, tau_ref: float = 0.0, u_rest: float = 0.0) -> float:
    """Coefficient of variation of the ISI of the LIF with white noise (Brunel 2000, appendix A).

    ``CV^2 = 2*pi*(nu*tau)^2 * integral_{y_r}^{y_th} exp(x^2) integral_{-inf}^{x} exp(y^2)(1+erf y)^2 dy dx``

    Evaluated as ``integral dx integral dy erfcx(-y)^2 exp(x^2 - y^2)`` for stability.
    """
    _check(tau=tau, tau_ref=tau_ref)
    y_reset, y_threshold = _reduced_bounds(mu, sigma, threshold, u_reset, u_rest)
    if y_threshold > 12.0:
        return 1.0  # Poisson limit; the quadrature would overflow and the deviation is < 1e-30
    rate = siegert_rate(mu, sigma, tau, threshold, u_reset, tau_ref, u_rest)

    def inner(x):
        value, _ = integrate.quad(lambda y: special.erfcx(-y) ** 2 * math.exp(x * x - y * y),
                                  -np.inf, x, epsabs=0.0, epsrel=1e-11, limit=200)
        return value

    outer, _ = integrate.quad(inner, y_reset, y_threshold, epsabs=0.0, epsrel=1e-10, limit=200)
    return math.sqrt(2.0 * math.pi * (rate * tau) ** 2 * outer)


def noise_free_rate(mu: float, tau: float = 10e-3, threshold: float = 1.0, u_reset: float = 0.0,
                    tau_ref: float = 0.0, u_rest: float = 0.0) -> float:
    """Rate (Hz) of the deterministic LIF: ``1/(tau_ref + tau*ln((mu - u_reset)/(mu - theta)))``.

    Zero if the drive does not reach threshold (``u_rest + mu <= theta``).
    """
    _check(tau=tau, tau_ref=tau_ref, mu=mu, threshold=threshold, u_reset=u_reset, u_rest=u_rest)
    if threshold <= u_reset:
        raise ValueError(f"threshold={threshold!r} must be > u_reset={u_reset!r}")
    drive = u_rest + mu
    if drive <= threshold:
        return 0.0
    return 1.0 / (tau_ref + tau * math.log((drive - u_reset) / (drive - threshold)))


def grid_threshold_shift(sigma: float, dt: float, tau: float = 10e-3) -> float:
    """Effective threshold shift of an Euler LIF that checks the threshold only on the time grid.

    A Gaussian random walk with per-step SD ``s = sigma*sqrt(2*dt/tau)`` crosses a level ``theta``
    between grid points before the grid sees it; to leading order in ``sqrt(dt)`` the grid-checked
    neuron behaves like the continuous one with threshold ``theta + rho*s``,
    ``rho = -zeta(1/2)/sqrt(2*pi) = 0.5826`` (Siegmund 1979; the same correction as Brunel & Hakim's
    ``alpha``). ``siegert_rate(..., threshold=theta + grid_threshold_shift(...))`` then predicts the
    ``O(sqrt(dt))`` low bias of ``threshold_crossing="grid"``.
    """
    if sigma < 0 or dt <= 0 or tau <= 0:
        raise ValueError(f"need sigma >= 0, dt > 0, tau > 0; got sigma={sigma!r}, dt={dt!r}, tau={tau!r}")
    return OVERSHOOT_CONSTANT * sigma * math.sqrt(2.0 * dt / tau)


def bernoulli_train(probability: float, dt: float = 1.0) -> dict:
    """Statistics of a train with an independent Bernoulli(p) spike in every step of ``dt`` s.

    This is escape firing at a clamped potential with reset to the same potential: ISIs are
    geometric, ``rate = p/dt``, ``CV = sqrt(1 - p)``, and the Fano factor of counts in any window
    is ``1 - p``.
    """
    if not 0.0 < probability <= 1.0:
        raise ValueError(f"probability={probability!r} must be in (0, 1]")
    if dt <= 0:
        raise ValueError(f"dt={dt!r} must be > 0")
    return {"rate": probability / dt, "cv": math.sqrt(1.0 - probability), "fano": 1.0 - probability}
