"""Closed forms the simulations are checked against.

* :mod:`~nsnn_sim.theory.lif` -- the LIF with white noise (Siegert rate, Brunel's ISI CV, the noise-free rate,
  the Euler scheme's equivalent OU process and grid-crossing bias) and escape firing (Bernoulli trains, the
  exponential-hazard renewal process, with the dead time clamped or integrating).
* :mod:`~nsnn_sim.theory.synaptic` -- the rate with synaptically filtered noise (Fourcaud & Brunel 2002).
* :mod:`~nsnn_sim.theory.adaptation` -- the rate under slow spike-triggered adaptation (mean adaptation).
* :mod:`~nsnn_sim.theory.network` -- the self-consistent stationary rate of Brunel's (2000) model A.

Every function takes nsnn_sim's ``sigma`` convention (the stationary SD of the free membrane); the module
docstrings state it and the conversion to Brunel's.

Examples
--------
>>> from nsnn_sim import theory
>>> round(theory.siegert_rate(0.9, 0.5, tau=10e-3, tau_ref=2e-3), 3)
55.245
"""

from nsnn_sim.theory.adaptation import adapted_rate
from nsnn_sim.theory.lif import (
    OUParameters,
    RenewalStatistics,
    TrainStatistics,
    bernoulli_train,
    euler_equivalent_ou,
    euler_rate,
    grid_threshold_shift,
    hazard_renewal,
    isi_cv,
    noise_free_rate,
    siegert_rate,
)
from nsnn_sim.theory.network import BrunelInput, brunel_input, brunel_rate
from nsnn_sim.theory.synaptic import coloured_noise_shift, fourcaud_brunel_rate

__all__ = ["siegert_rate", "isi_cv", "noise_free_rate", "bernoulli_train", "grid_threshold_shift", "hazard_renewal",
           "euler_equivalent_ou", "euler_rate", "fourcaud_brunel_rate", "coloured_noise_shift", "adapted_rate",
           "brunel_input", "brunel_rate", "RenewalStatistics", "TrainStatistics", "OUParameters", "BrunelInput"]
