"""Fit noisy spiking neurons to recorded spike trains by maximum likelihood, with the simulator's neuron equation.

For an escape-noise neuron (``firing="escape"``) the likelihood of an observed spike train is exact: given
the covariates and the observed spikes (which decide the resets) the noise-free potential is deterministic and

    log L = sum_t s[t] log p[t] + (1 - s[t]) log(1 - p[t]),   p[t] = F(u[t] - theta; scale)

with ``dp/du`` the noise pdf, the NDL derivative. The neuron is then a generalised linear model with a
biophysical spike-history term (the reset), the model class of Pillow et al. (2008) and Jolivet et al. (2006).

Modules: :mod:`.likelihood` (teacher-forced forward kernel, spike-probability rules, gradient through the
learner's backward pass), :mod:`.problem` (validation, parameter layout), :mod:`.estimate` (:func:`fit_escape`,
L-BFGS-B, standard errors), :mod:`.compare` (held-out bits per spike, Poisson GLM baseline, time-rescaling
goodness of fit), :mod:`.basis` (raised-cosine filters), :mod:`.gif` and :mod:`.gif_likelihood`
(:func:`fit_gif`: the LIF with spike-triggered adaptation currents and a moving threshold, from spikes alone or
with a recorded voltage).

Examples
--------
>>> from nsnn_sim import fit
>>> fit.raised_cosine_basis(3, 10).shape  # 10 lags, 3 basis functions
(10, 3)
"""

from nsnn_sim.fit.basis import filtered_covariates, raised_cosine_basis
from nsnn_sim.fit.compare import (
    FamilyComparison,
    TimeRescaling,
    bits_per_spike,
    compare_families,
    fit_poisson_glm,
    homogeneous_log_likelihood,
    time_rescaling,
)
from nsnn_sim.fit.estimate import FitResult, fit_escape, log_likelihood
from nsnn_sim.fit.gif import GIFFit, HistoryKernel, fit_gif, gif_log_likelihood, spike_history_kernel

__all__ = ["fit_escape", "log_likelihood", "FitResult", "FamilyComparison", "TimeRescaling", "HistoryKernel",
           "bits_per_spike", "homogeneous_log_likelihood",
           "compare_families", "fit_poisson_glm", "time_rescaling", "raised_cosine_basis", "filtered_covariates",
           "fit_gif", "GIFFit", "gif_log_likelihood", "spike_history_kernel"]
