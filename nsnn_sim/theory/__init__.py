"""Closed forms the simulations are checked against.

* :mod:`~nsnn_sim.theory.lif` -- the LIF with white noise (Siegert rate, Brunel's ISI CV, the noise-free rate,
  the Euler scheme's equivalent OU process and grid-crossing bias) and escape firing (Bernoulli trains, the
  exponential-hazard renewal process).

Every function takes nsnn_sim's ``sigma`` convention (the stationary SD of the free membrane); the module
docstrings state it and the conversion to Brunel's.
"""

from nsnn_sim.theory.lif import (
    bernoulli_train,
    euler_equivalent_ou,
    euler_rate,
    grid_threshold_shift,
    hazard_renewal,
    isi_cv,
    noise_free_rate,
    siegert_rate,
)

__all__ = ["siegert_rate", "isi_cv", "noise_free_rate", "bernoulli_train", "grid_threshold_shift", "hazard_renewal",
           "euler_equivalent_ou", "euler_rate"]
