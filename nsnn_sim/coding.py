"""Neural coding, all in one namespace: a thin re-export of the coding modules.

``nsnn_sim.coding`` was once one module; its computations now live in flat modules, one per job,
and every name it had is still importable from here (the same objects):

* :mod:`nsnn_sim.tuning` -- :func:`von_mises_tuning`, :func:`von_mises_tuning_derivative`,
  :func:`fit_tuning_curves`, ``TUNING_PARAMETERS``.
* :mod:`nsnn_sim.fisher` -- :func:`linear_fisher_information` (bias-corrected, Kanitscheider et
  al. 2015), :func:`fisher_information_by_population_size`, :func:`poisson_fisher_information`,
  :func:`discrimination_threshold`.
* :mod:`nsnn_sim.decoding` -- :class:`PoissonDecoder`, :class:`EmpiricalDecoder`.
* :mod:`nsnn_sim.posterior` -- :func:`circular_error`, :func:`covers`, :func:`coverage`, ``PERIOD``.
* :mod:`nsnn_sim.cue_integration` -- :func:`combine_cues`, :func:`combine_posteriors` (Ma et al. 2006).

New code may import from either place.

Examples
--------
>>> from nsnn_sim import coding, tuning
>>> coding.von_mises_tuning is tuning.von_mises_tuning
True
"""

from __future__ import annotations

from nsnn_sim.cue_integration import combine_cues, combine_posteriors
from nsnn_sim.decoding import EmpiricalDecoder, PoissonDecoder
from nsnn_sim.fisher import (
    discrimination_threshold,
    fisher_information_by_population_size,
    linear_fisher_information,
    poisson_fisher_information,
)
from nsnn_sim.posterior import PERIOD, circular_error, coverage, covers
from nsnn_sim.tuning import (
    TUNING_PARAMETERS,
    fit_tuning_curves,
    von_mises_tuning,
    von_mises_tuning_derivative,
)

__all__ = ["von_mises_tuning", "von_mises_tuning_derivative", "fit_tuning_curves", "linear_fisher_information",
           "fisher_information_by_population_size", "poisson_fisher_information", "discrimination_threshold",
           "PoissonDecoder", "EmpiricalDecoder", "circular_error", "covers", "coverage", "combine_cues",
           "combine_posteriors", "TUNING_PARAMETERS", "PERIOD"]
