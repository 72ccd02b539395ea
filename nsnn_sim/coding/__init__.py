"""Neural coding: what a population's spikes say about a stimulus.

* :mod:`~nsnn_sim.coding.tuning` -- orientation tuning curves: the von Mises model, its derivative, fits;
* :mod:`~nsnn_sim.coding.fisher` -- linear Fisher information (bias-corrected, Kanitscheider et al. 2015) and
  the discrimination thresholds it sets;
* :mod:`~nsnn_sim.coding.decoding` -- Bayesian decoders (:class:`PoissonDecoder`, :class:`EmpiricalDecoder`);
* :mod:`~nsnn_sim.coding.posterior` -- posteriors on a grid: circular summaries, credible intervals, calibration;
* :mod:`~nsnn_sim.coding.cue_integration` -- combining two cues (Ma et al. 2006);
* :mod:`~nsnn_sim.coding.sampling` -- neural sampling of a Boltzmann distribution (Buesing et al. 2011).

The most used names are importable from here too (the same objects).

Examples
--------
>>> from nsnn_sim import coding
>>> from nsnn_sim.coding import tuning
>>> coding.von_mises_tuning is tuning.von_mises_tuning
True
"""

from __future__ import annotations

from nsnn_sim.coding.cue_integration import combine_cues, combine_posteriors
from nsnn_sim.coding.decoding import EmpiricalDecoder, PoissonDecoder
from nsnn_sim.coding.fisher import (
    discrimination_threshold,
    fisher_information_by_population_size,
    linear_fisher_information,
    poisson_fisher_information,
)
from nsnn_sim.coding.posterior import PERIOD, circular_error, coverage, covers
from nsnn_sim.coding.tuning import (
    TUNING_PARAMETERS,
    fit_tuning_curves,
    von_mises_tuning,
    von_mises_tuning_derivative,
)

__all__ = ["von_mises_tuning", "von_mises_tuning_derivative", "fit_tuning_curves", "linear_fisher_information",
           "fisher_information_by_population_size", "poisson_fisher_information", "discrimination_threshold",
           "PoissonDecoder", "EmpiricalDecoder", "circular_error", "covers", "coverage", "combine_cues",
           "combine_posteriors", "TUNING_PARAMETERS", "PERIOD"]

from nsnn_sim._core.lazy import lazy_attributes  # noqa: E402

# the modules as attributes, imported on first use (``ns.coding.tuning``)
__getattr__, __dir__ = lazy_attributes(
    __name__, ("tuning", "fisher", "decoding", "posterior", "cue_integration", "sampling"), globals())
