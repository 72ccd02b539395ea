"""The stationary rate of Brunel's (2000) model A: the self-consistent mean-field (diffusion) rate.

Every neuron of the sparse network receives ``C_E`` excitatory synapses of weight ``J``, ``C_I = gamma C_E``
inhibitory ones of weight ``-g J`` (delta synapses, membrane units mV) from neurons that fire as Poisson
processes of the population rate ``nu``, and ``C_E`` external Poisson trains of rate ``nu_ext = eta nu_thr``,
``nu_thr = theta/(J C_E tau)``. In the diffusion approximation the input has the mean and the white-noise
amplitude (Brunel 2000, eqs. 4-5)

    mu(nu)      = C_E J tau (nu_ext + nu (1 - g gamma))
    sigma_B(nu) = J sqrt(C_E tau (nu_ext + nu (1 + g^2 gamma)))

and the stationary rate is the fixed point ``nu = phi(mu(nu), sigma_B(nu))`` with ``phi`` the Siegert rate
(:func:`nsnn_sim.theory.siegert_rate`, which takes nsnn_sim's ``sigma = sigma_B/sqrt(2)``; the noise-free rate
where ``sigma_B = 0``). With ``g gamma > 1`` (inhibition dominates) ``phi`` falls as ``nu`` grows and the fixed
point is unique; with ``g gamma < 1`` there may be several, and the lowest is returned. The fixed point is the
asynchronous state's rate; whether that state is stable (Brunel's AI) or the network oscillates (SR, SI) is
a question the stationary theory does not answer.

Assumptions of the theory: many small inputs (``J`` small against ``theta - V_r``), uncorrelated input trains
(sparse connectivity), and Poisson firing of the presynaptic neurons; the simulated network breaks each by
a little (shot noise of size ``J``, finite ``C/N``).

Examples
--------
>>> from nsnn_sim.theory import brunel_input, brunel_rate
>>> round(brunel_rate(g=5.0, eta=2.0), 2)   # Brunel's Fig. 8C (asynchronous irregular)
37.95
>>> mu, sigma_b = brunel_input(37.95, g=5.0, eta=2.0)   # mV: the mean input is above threshold (20 mV)
>>> round(mu, 2), round(sigma_b, 2)
(21.02, 7.68)
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from scipy import optimize

from nsnn_sim._core.validation import describe, numeric_parameter
from nsnn_sim.theory.lif import _check, noise_free_rate, siegert_rate

__all__ = ["brunel_input", "brunel_rate", "BrunelInput"]


class BrunelInput(NamedTuple):
    """What :func:`brunel_input` returns (a named tuple: ``mu, sigma_b = ...`` unpacks it)."""

    mu: float  #: the mean input, membrane units
    sigma_b: float  #: Brunel's noise amplitude ``sigma_B = sqrt(2)*sigma``, membrane units

_SCAN_POINTS = 400  # rates scanned for sign changes of nu - phi(nu) before each root is refined
# the rate (Hz) above which brunel_rate stops looking for a root: without a refractory period an
# excitation-dominated network may have none (phi grows faster than nu)
_RUNAWAY_RATE = 1e6


def _check_network(g, eta, j, c_e, c_i) -> None:
    numeric_parameter("g", g, lower=0.0)
    numeric_parameter("eta", eta, lower=0.0)
    numeric_parameter("j", j, lower=0.0, lower_open=True)
    numeric_parameter("c_e", c_e, lower=0.0, lower_open=True)
    numeric_parameter("c_i", c_i, lower=0.0)


def brunel_input(nu: float, g: float, eta: float, j: float = 0.1, c_e: float = 1000, c_i: float = 250,
                 tau: float = 20e-3, threshold: float = 20.0) -> BrunelInput:
    """The mean input ``mu`` and Brunel's noise amplitude ``sigma_B`` (membrane units) at the population rate
    ``nu`` (Hz), module docstring: ``mu = C_E J tau (nu_ext + nu (1 - g gamma))``,
    ``sigma_B^2 = J^2 C_E tau (nu_ext + nu (1 + g^2 gamma))``, ``gamma = C_I/C_E``, ``nu_ext = eta theta/(J C_E tau)``.
    nsnn_sim's ``sigma`` (the free membrane's stationary SD) is ``sigma_B/sqrt(2)``."""
    _check(tau=tau, nu=nu, threshold=threshold)
    _check_network(g, eta, j, c_e, c_i)
    if nu < 0:
        raise ValueError(f"nu={describe(nu)} must be >= 0 (a rate in Hz)")
    gamma = c_i / c_e
    nu_ext = eta * threshold / (j * c_e * tau)
    mu = c_e * j * tau * (nu_ext + nu * (1.0 - g * gamma))
    sigma_b = j * math.sqrt(c_e * tau * (nu_ext + nu * (1.0 + g * g * gamma)))
    return BrunelInput(mu, sigma_b)


def brunel_rate(g: float, eta: float, j: float = 0.1, c_e: float = 1000, c_i: float = 250, tau: float = 20e-3,
                threshold: float = 20.0, u_reset: float = 10.0, tau_ref: float = 2e-3) -> float:
    """The self-consistent stationary rate (Hz) of Brunel's model A (module docstring): the lowest root of
    ``nu = phi(mu(nu), sigma_B(nu))``; defaults are Brunel's (``J = 0.1 mV``, ``C_E = 1000``, ``C_I = 250``,
    ``tau = 20 ms``, ``theta = 20 mV``, ``V_r = 10 mV``, ``tau_rp = 2 ms``).

    Parameters
    ----------
    g, eta : float
        Relative inhibition and external rate over ``nu_thr``, >= 0.
    j : float
        EPSP size (membrane units), > 0.
    c_e, c_i : float
        Excitatory and inhibitory in-degrees (the external in-degree is ``c_e``).
    tau, threshold, u_reset, tau_ref : float
        Membrane time constant (s), threshold and reset (membrane units, rest 0), refractory period (s).
    """
    _check(tau=tau, tau_ref=tau_ref, threshold=threshold, u_reset=u_reset)
    _check_network(g, eta, j, c_e, c_i)
    if threshold <= u_reset:
        raise ValueError(f"threshold={describe(threshold)} must be > u_reset={describe(u_reset)}")

    def excess(nu):
        mu, sigma_b = brunel_input(nu, g, eta, j, c_e, c_i, tau, threshold)
        cell = dict(tau=tau, threshold=threshold, u_reset=u_reset, tau_ref=tau_ref)
        phi = siegert_rate(mu, sigma_b / math.sqrt(2.0), **cell) if sigma_b > 0 else noise_free_rate(mu, **cell)
        return nu - phi

    if excess(0.0) >= 0.0:
        return 0.0  # no drive: the quiescent network
    upper = 1.0 / tau_ref if tau_ref > 0 else 1.0 / tau
    while excess(upper) <= 0.0:  # phi < 1/tau_ref, so this loop runs only without a refractory period
        upper *= 2.0
        if upper > _RUNAWAY_RATE:
            raise ValueError(f"brunel_rate(g={describe(g)}, eta={describe(eta)}, tau_ref=0): no self-consistent rate "
                             f"below {_RUNAWAY_RATE:g} Hz: phi(mu(nu), sigma_B(nu)) stays above nu (without a "
                             "refractory period an excitation-dominated network runs away)")
    grid = np.concatenate([[0.0], np.geomspace(1e-6 * upper, upper, _SCAN_POINTS)])
    below = 0.0
    for nu in grid[1:]:  # the first sign change from below: excess(0) < 0 < excess(upper)
        if excess(nu) > 0.0:
            return float(optimize.brentq(excess, below, nu, xtol=1e-12, rtol=1e-13))
        below = nu
    raise AssertionError("unreachable: excess(upper) > 0")
