"""Stationary rate of a LIF with slow spike-triggered adaptation: the self-consistent mean-adaptation rate.

With an adaptation current ``tau_w dw/dt = -w`` (``a = 0``) that jumps by ``b`` at each spike, and a moving
threshold ``tau_q dq/dt = -q`` that jumps by ``q``, both slow compared with the interspike interval, the
variables fluctuate little around their means ``<w> = b*tau_w*nu`` and ``<q> = q*tau_q*nu`` (the mean of
shot noise of rate ``nu``). The neuron then fires like the LIF with input ``mu - <w>`` and threshold
``theta + <q>`` (its reset unchanged), so the rate solves

    nu = phi(mu - b*tau_w*nu, theta + q*tau_q*nu)

with ``phi`` the Siegert rate (``sigma > 0``) or the noise-free rate. The right-hand side falls as ``nu``
grows, so there is one solution, found by bracketing. A first-order (mean-adaptation) theory: exact as
``tau_w, tau_q -> inf`` at fixed ``b*tau_w``, ``q*tau_q``; its error at finite time constants is shown by the
neuron-state experiment (La Camera, Rauch, Luscher, Senn & Fusi 2004, Neural Comput 16:2101; Benda & Herz 2003).

Examples
--------
>>> from nsnn_sim.theory import adapted_rate, siegert_rate
>>> free = siegert_rate(1.2, 0.3)
>>> adapted = adapted_rate(1.2, 0.3, b=0.02, tau_w=0.1)
>>> adapted < free, round(adapted, 2)
(True, 60.55)
"""

from __future__ import annotations

from scipy import optimize

from nsnn_sim._core.validation import with_units
from nsnn_sim.theory.lif import _check, noise_free_rate, siegert_rate

__all__ = ["adapted_rate"]


@with_units(tau_w="s", tau_q="s", tau="s", tau_ref="s")
def adapted_rate(mu: float, sigma: float, b: float = 0.0, tau_w: float = 0.1, q: float = 0.0, tau_q: float = 0.1,
                 tau: float = 10e-3, threshold: float = 1.0, u_reset: float = 0.0, tau_ref: float = 0.0,
                 u_rest: float = 0.0) -> float:
    """Stationary rate (Hz) under slow adaptation (module docstring): the root of
    ``nu - phi(mu - b tau_w nu, theta + q tau_q nu) = 0``; ``b, q >= 0``; ``sigma = 0`` uses the noise-free rate."""
    _check(tau=tau, tau_ref=tau_ref, mu=mu, sigma=sigma, b=b, tau_w=tau_w, q=q, tau_q=tau_q)
    for name, value in (("b", b), ("q", q), ("sigma", sigma)):
        if value < 0:
            raise ValueError(f"{name}={value!r} must be >= 0")
    for name, value in (("tau_w", tau_w), ("tau_q", tau_q)):
        if value <= 0:
            raise ValueError(f"{name}={value!r} must be > 0")

    def rate(nu):
        shifted_threshold = threshold + q * tau_q * nu
        if sigma > 0:
            return siegert_rate(mu - b * tau_w * nu, sigma, tau=tau, threshold=shifted_threshold, u_reset=u_reset,
                                tau_ref=tau_ref, u_rest=u_rest)
        return noise_free_rate(mu - b * tau_w * nu, tau=tau, threshold=shifted_threshold, u_reset=u_reset,
                               tau_ref=tau_ref, u_rest=u_rest)

    unadapted = rate(0.0)
    if unadapted == 0.0 or (b == 0.0 and q == 0.0):
        return unadapted
    return optimize.brentq(lambda nu: nu - rate(nu), 0.0, unadapted, xtol=1e-12, rtol=1e-13)
