"""The LIF rate with synaptically filtered (coloured) noise: Fourcaud & Brunel (2002).

White input noise filtered by an exponential synapse with ``tau_syn << tau`` changes the LIF rate as if
threshold and reset were both raised by ``sigma_B*(alpha/2)*sqrt(tau_syn/tau)``, ``alpha = sqrt(2)*|zeta(1/2)|``,
in the Siegert formula (Fourcaud & Brunel 2002, Neural Comput 14:2057, eq. 4.31; Brunel, Chance, Fourcaud &
Abbott 2001). ``sigma_B`` is Brunel's amplitude of the input noise in the white-noise limit; in nsnn_sim's
convention (``sigma``: the stationary membrane SD the same input noise gives *without* the synapse,
``sigma_B = sqrt(2)*sigma``) the shift is ``|zeta(1/2)|*sigma*sqrt(tau_syn/tau)``. This ``sigma`` is what
``ExpSynapse(tau_syn, sigma)`` takes (:mod:`nsnn_sim.simulator.state`); it is neither the filtered
membrane's SD (``sigma*sqrt(tau/(tau + tau_syn))``) nor the current's.

The result is first order in ``sqrt(tau_syn/tau)``: the range where it holds is measured, not assumed
(``tests/test_theory_state.py`` and the docs page on models give the simulated error against ``tau_syn/tau``).

Examples
--------
>>> from nsnn_sim.theory import fourcaud_brunel_rate, siegert_rate
>>> round(fourcaud_brunel_rate(0.9, 0.5, tau_syn=0.0), 6) == round(siegert_rate(0.9, 0.5), 6)
True
>>> round(fourcaud_brunel_rate(0.9, 0.5, tau_syn=0.5e-3), 3)
49.614
"""

from __future__ import annotations

import math

from nsnn_sim._core.validation import with_units
from nsnn_sim.theory.lif import _check, siegert_rate

__all__ = ["ZETA_HALF", "coloured_noise_shift", "fourcaud_brunel_rate"]

#: The magnitude of the Riemann zeta function at 1/2, ``|zeta(1/2)|``
ZETA_HALF = 1.4603545088095868


@with_units(tau_syn="s", tau="s")
def coloured_noise_shift(sigma: float, tau_syn: float, tau: float = 10e-3) -> float:
    """The effective raise of threshold and reset, ``|zeta(1/2)|*sigma*sqrt(tau_syn/tau)`` (module docstring)."""
    _check(tau=tau, sigma=sigma, tau_syn=tau_syn)
    if tau_syn < 0:
        raise ValueError(f"tau_syn={tau_syn!r} must be >= 0")
    return ZETA_HALF * sigma * math.sqrt(tau_syn / tau)


@with_units(tau_syn="s", tau="s", tau_ref="s")
def fourcaud_brunel_rate(mu: float, sigma: float, tau_syn: float, tau: float = 10e-3, threshold: float = 1.0,
                         u_reset: float = 0.0, tau_ref: float = 0.0, u_rest: float = 0.0) -> float:
    """Stationary rate (Hz) of the LIF whose input noise passes an exponential synapse ``tau_syn``:
    :func:`~nsnn_sim.theory.siegert_rate` with ``threshold`` and ``u_reset`` raised by
    :func:`coloured_noise_shift` (first order in ``sqrt(tau_syn/tau)``)."""
    shift = coloured_noise_shift(sigma, tau_syn, tau)
    return siegert_rate(mu, sigma, tau=tau, threshold=threshold + shift, u_reset=u_reset + shift, tau_ref=tau_ref,
                        u_rest=u_rest)
