"""Bayesian decoders of orientation from a population's spike counts, on a grid of stimuli.

Decoders
    :class:`PoissonDecoder` -- independent-Poisson likelihood from tuning curves (measured and
    interpolated, a callable, or von Mises fits via :meth:`PoissonDecoder.from_tuning_fit`);
    :class:`EmpiricalDecoder` -- a likelihood learned from simulated counts (per-neuron count
    histograms).
Their results
    ``decoder.decode(counts)`` gives, per trial, the grid posterior (flat prior) with its circular
    posterior mean / SD, MAP estimate and a central credible interval; ``decoder.log_likelihood``
    the log-likelihood alone. Calibration (``covers``, ``coverage``) and ``circular_error`` live in
    :mod:`nsnn_sim.coding.posterior` (re-exported here), the combination of two decoded cues in
    :mod:`nsnn_sim.coding.cue_integration`.

Stimuli (orientations) are in radians, period pi; grids are checked by
:func:`nsnn_sim._core.validation.orientation_grid`.

Examples
--------
Twelve neurons with von Mises tuning (counts per window), one trial with counts equal to their
means at 60 degrees:

>>> import numpy as np
>>> from nsnn_sim.coding.decoding import PoissonDecoder
>>> from nsnn_sim.coding.tuning import von_mises_tuning
>>> preferred = np.arange(12) * np.pi / 12
>>> decoder = PoissonDecoder(lambda grid: von_mises_tuning(grid[:, None], preferred, 2.0, 1.0, 20.0))
>>> counts = von_mises_tuning(np.radians(60.0), preferred, 2.0, 1.0, 20.0)
>>> decoded = decoder.decode(counts)
>>> round(float(np.degrees(decoded["map_estimate"])), 3)
60.0
>>> sorted(decoded.data_vars)[:4]
['credible_lower', 'credible_upper', 'credible_width', 'map_estimate']
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from nsnn_sim._core.memory import require_memory
from nsnn_sim._core.validation import (
    describe,
    finite_array,
    float_array,
    numeric_parameter,
    orientation_grid,
    whole_number,
)
from nsnn_sim.coding.posterior import (
    PERIOD,
    _credible_level,
    _grid_posterior,
    circular_error,
    coverage,
    covers,
)
from nsnn_sim.coding.tuning import TUNING_PARAMETERS, von_mises_tuning

__all__ = ["PoissonDecoder", "EmpiricalDecoder", "circular_error", "covers", "coverage"]

# decode() processes trials in chunks so that a (chunk, neuron, stimulus_grid) work array stays small
_DECODE_CHUNK_ELEMENTS = 2_000_000


class _GridDecoder:
    """Shared part of the decoders: counts -> log-likelihood on a grid -> posterior summaries.

    Subclasses set ``grid`` (sorted orientations in [0, pi)), ``neurons`` (labels), ``_refine_map``
    and implement ``_log_likelihood(counts) -> (trial, grid)`` and ``_check_counts_values``.
    """

    grid: np.ndarray
    neurons: np.ndarray
    _refine_map: bool = False
    _name: str = "decoder"
    _provenance: dict = {}

    @property
    def n_neurons(self) -> int:
        """Number of neurons the decoder expects in ``counts``."""
        return int(self.neurons.size)

    def _check_counts_values(self, values: np.ndarray) -> None:
        """Extra checks on the counts (subclasses)."""

    def _counts(self, counts):
        """``counts`` as a float (trial, neuron) array, the trial labels, and whether it was 1-D."""
        trials = None
        if isinstance(counts, xr.DataArray):
            if set(counts.dims) not in ({"trial", "neuron"}, {"neuron"}):
                raise ValueError(f"counts must have the dims ('trial', 'neuron') or ('neuron',), "
                                 f"got {counts.dims}")
            if "neuron" in counts.coords and not np.array_equal(counts["neuron"].values, self.neurons):
                raise ValueError("counts has a 'neuron' coordinate that differs from the decoder's "
                                 f"neurons ({describe(self.neurons)}); pass the same neurons in the "
                                 "same order")
            if "trial" in counts.dims:
                counts = counts.transpose("trial", "neuron")
                if "trial" in counts.coords:
                    trials = counts["trial"].values
            counts = counts.values
        values = finite_array("counts", counts, "a (trial, neuron) or (neuron,) array of spike counts")
        one_trial = values.ndim == 1
        if one_trial:
            values = values[None, :]
        if values.ndim != 2:
            raise ValueError(f"counts must have shape (trial, neuron) or (neuron,), got shape {values.shape}")
        if values.shape[1] != self.n_neurons:
            raise ValueError(f"counts has {values.shape[1]} neurons (shape {values.shape}) but the "
                             f"decoder was built for n_neurons={self.n_neurons}")
        if values.shape[0] < 1:
            raise ValueError("counts has no trials")
        # the log-likelihood and the posterior, (trial, grid) each, and their temporaries
        require_memory(32.0 * values.shape[0] * self.grid.size,
                       f"decoding {values.shape[0]} trials on a grid of grid_size={self.grid.size} stimuli")
        if np.any(values < 0):
            raise ValueError(f"counts={describe(values)} must be >= 0 (spike counts)")
        self._check_counts_values(values)
        return values, trials, one_trial

    def log_likelihood(self, counts) -> xr.DataArray:
        """Log-likelihood ``log p(n | s_k)`` of each trial's counts at every grid stimulus.

        Parameters
        ----------
        counts : array or xarray.DataArray
            Spike counts, shape / dims ``(trial, neuron)`` or ``(neuron,)``.

        Returns
        -------
        xarray.DataArray
            Dims ``(trial, stimulus_grid)`` (``(stimulus_grid,)`` for 1-D counts), in nats, up to a
            constant per trial.
        """
        values, trials, one_trial = self._counts(counts)
        result = self._log_likelihood_chunked(values)
        dims = ("trial", "stimulus_grid")
        coords = {"stimulus_grid": self.grid}
        if trials is not None:
            coords["trial"] = trials
        output = xr.DataArray(result, dims=dims, coords=coords, name="log_likelihood",
                              attrs={"units": "nat", "note": "up to an additive constant per trial"})
        return output.isel(trial=0, drop=True) if one_trial else output

    def _log_likelihood_chunked(self, values: np.ndarray) -> np.ndarray:
        chunk = max(1, _DECODE_CHUNK_ELEMENTS // max(1, self.n_neurons * self.grid.size))
        return np.concatenate([self._log_likelihood(values[start:start + chunk])
                               for start in range(0, values.shape[0], chunk)])

    def decode(self, counts, credible: float = 0.9) -> xr.Dataset:
        """Posterior over the stimulus grid and its summaries, for each trial.

        With a flat prior over the grid points ``s_k``, the posterior mass of ``s_k`` is

        .. math::

            p_k = \\frac{\\exp L(s_k)}{\\sum_j \\exp L(s_j)},\\qquad L(s) = \\log p(\\mathbf n \\mid s)

        Circular summaries for the period-pi orientation use the doubled angle:

        .. math::

            z = \\sum_k p_k\\, e^{2 i s_k},\\quad
            \\hat s_\\mathrm{mean} = \\tfrac12 \\arg z \\bmod \\pi,\\quad
            R = |z|,\\quad
            \\sigma = \\tfrac12 \\sqrt{-2 \\ln R}

        (``sigma`` is the circular SD of ``2s``, halved; it tends to the ordinary SD for a
        concentrated posterior). The MAP estimate (= the maximum-likelihood estimate, the prior
        being flat) is the grid point of largest ``p_k``; for the :class:`PoissonDecoder` (a
        continuous stimulus on a uniform grid) it is refined by fitting a parabola to ``L`` at
        that point and its two neighbours (offset clipped to half a grid step).

        The credible interval is the *central* (equal-tailed) circular interval at level
        ``credible``: each ``p_k`` is spread uniformly over the cell of ``s_k`` (from the
        midpoint with the previous grid point to the midpoint with the next), the circle is cut at
        the lower edge of the cell of smallest posterior mass, and the bounds are the
        ``(1 - credible)/2`` and ``(1 + credible)/2`` quantiles measured from the cut. For a
        unimodal posterior this is the usual equal-tailed interval; it is one arc, never a union.

        Parameters
        ----------
        counts : array or xarray.DataArray
            Spike counts with shape / dims ``(trial, neuron)`` or ``(neuron,)``, the neurons in
            the decoder's order (a DataArray's ``neuron`` coordinate, if any, must match); finite
            and >= 0 (integers for the :class:`EmpiricalDecoder`).
        credible : float
            Level of the credible interval, in (0, 1) (default 0.9).

        Returns
        -------
        xarray.Dataset
            Over ``trial`` (absent for 1-D counts) and ``stimulus_grid``: ``posterior`` (mass per
            grid point, sums to 1), ``posterior_mean`` and ``posterior_sd`` (rad, circular, as
            above), ``resultant_length`` ``R``, ``map_estimate`` (rad, in [0, pi)),
            ``credible_lower`` and ``credible_upper`` (rad, in [0, pi); ``upper < lower`` when the
            interval wraps through 0) and ``credible_width`` (rad, the arc from lower to upper).
            Attrs: ``credible``, the interval and prior used, the decoder, the package version.

        Raises
        ------
        ValueError
            Wrong number of neurons, negative / non-finite (or, for the empirical decoder,
            non-integer) counts, ``credible`` outside (0, 1).
        """
        credible = _credible_level("credible", credible)
        values, trials, one_trial = self._counts(counts)
        return _grid_posterior(self._log_likelihood_chunked(values), self.grid, credible,
                               refine_map=self._refine_map, trials=trials, one_trial=one_trial,
                               attrs={"decoder": self._name, "n_neurons": self.n_neurons, **self._provenance})

    def covers(self, decoded: xr.Dataset, true_stimulus, level: float | None = None):
        """Same as :func:`nsnn_sim.coding.posterior.covers`."""
        return covers(decoded, true_stimulus, level)


def _periodic_linear_interpolation(stimuli: np.ndarray, values: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Linear interpolation of ``values`` (stimulus, neuron) from ``stimuli`` to ``grid``, period pi
    (the last measured orientation joins the first plus pi)."""
    order = np.argsort(stimuli)
    stimuli, values = stimuli[order], values[order]
    nodes = np.concatenate([[stimuli[-1] - PERIOD], stimuli, [stimuli[0] + PERIOD]])
    extended = np.concatenate([values[-1:], values, values[:1]])
    index = np.clip(np.searchsorted(nodes, grid, side="right") - 1, 0, nodes.size - 2)
    weight = ((grid - nodes[index]) / (nodes[index + 1] - nodes[index]))[:, None]
    return (1.0 - weight) * extended[index] + weight * extended[index + 1]


class PoissonDecoder(_GridDecoder):
    """Bayesian decoder of orientation assuming independent Poisson spike counts.

    With ``f_i(s)`` the mean count of neuron ``i`` in the counting window at orientation ``s``,

    .. math::

        \\log p(\\mathbf n \\mid s) = \\sum_i \\bigl[n_i \\log \\tilde f_i(s) - \\tilde f_i(s)\\bigr]
            - \\sum_i \\log n_i!,
        \\qquad \\tilde f_i(s) = \\max(f_i(s), f_\\min)

    (the ``log n_i!`` term does not depend on ``s`` and is dropped). ``f_min`` (``floor``) keeps
    ``log f`` finite where a tuning curve is 0. The log-likelihood is evaluated on the uniform
    grid ``s_k = k pi / grid_size``, ``k = 0 .. grid_size - 1``; :meth:`decode` adds a flat prior.

    Measured tuning curves (a DataArray over ``stimulus``) are interpolated onto the grid
    *linearly and periodically* (period pi, between the last measured orientation and the first
    plus pi): model-free, exact at the measured orientations, but piecewise linear, so measure
    densely compared with the tuning width. For a smooth parametric curve use
    :meth:`from_tuning_fit` with the result of :func:`nsnn_sim.coding.tuning.fit_tuning_curves` (von Mises curves).

    Parameters
    ----------
    tuning : xarray.DataArray or callable
        Mean responses with dims ``(stimulus, neuron)`` (any order) and a ``stimulus`` coordinate
        of orientations in radians in [0, pi) (at least 2, distinct), finite and >= 0; or a
        callable ``f(stimulus_grid) -> (n_grid, n_neurons)`` array of mean responses.
    window : float, optional
        Counting window in seconds: the expected count is ``tuning * window`` (tuning in Hz).
        ``None`` (default): ``tuning`` already holds mean counts per window. Required when
        ``tuning.attrs["units"]`` is ``"Hz"``.
    grid_size : int
        Number of decoding grid points over [0, pi) (default 360, a 0.5 degree step).
    floor : float
        Smallest expected count used in the likelihood, ``f_min > 0`` (default 1e-6).

    Attributes
    ----------
    grid : numpy.ndarray
        The decoding grid (rad).
    expected_counts : xarray.DataArray
        ``max(f_i(s_k), f_min)`` with dims ``(stimulus_grid, neuron)``.
    neurons : numpy.ndarray
        Neuron labels (the ``neuron`` coordinate of ``tuning``, else ``0 .. N-1``).
    """

    _refine_map = True
    _name = "PoissonDecoder"

    def __init__(self, tuning, window: float | None = None, grid_size: int = 360, floor: float = 1e-6):
        grid_size = whole_number("grid_size", grid_size, minimum=3)
        # the grid, the tuning curves on it and their logarithm, for at least one neuron
        require_memory(24.0 * grid_size, f"PoissonDecoder(grid_size={grid_size})")
        floor = numeric_parameter("floor", floor, lower=0.0, lower_open=True)
        if np.ndim(floor):
            raise ValueError(f"floor={describe(floor)} must be a single number")
        self.grid = np.arange(grid_size) * (PERIOD / grid_size)
        if isinstance(tuning, xr.DataArray):
            units = str(tuning.attrs.get("units", ""))
            if window is None and units.strip().lower() in ("hz", "1/s", "s^-1", "spikes/s"):
                raise ValueError(f"tuning is in {units!r}; give window (the counting window in seconds) "
                                 "so that tuning * window is the expected count")
            stimuli, values, neurons = self._measured(tuning)
            means = _periodic_linear_interpolation(stimuli, values, self.grid)
        elif callable(tuning):
            means = tuning(self.grid.copy())
            means = float_array("tuning", means.values if isinstance(means, xr.DataArray) else means,
                                "a callable returning an (n_grid, n_neurons) array")
            if means.ndim != 2 or means.shape[0] != grid_size or means.shape[1] < 1:
                raise ValueError(f"tuning(stimulus_grid) must return shape (n_grid={grid_size}, n_neurons), "
                                 f"got shape {means.shape}")
            neurons = np.arange(means.shape[1])
        else:
            raise TypeError(f"tuning must be an xarray.DataArray over (stimulus, neuron) or a callable, "
                            f"got {type(tuning).__name__}")
        if not np.all(np.isfinite(means)) or np.any(means < 0):
            raise ValueError(f"tuning={describe(means)} must be finite and >= 0 (mean responses)")
        if window is not None:
            window = numeric_parameter("window", window, lower=0.0, lower_open=True)
            if np.ndim(window):
                raise ValueError(f"window={describe(window)} must be a single number (seconds)")
            means = means * window
        self.window = None if window is None else float(window)
        self.floor = float(floor)
        self.neurons = np.asarray(neurons)
        self._provenance = {"window": ("none (tuning in counts per window)" if window is None
                                       else float(window)),
                            "floor": self.floor, "grid_size": int(grid_size),
                            "likelihood": "independent Poisson, sum_i n_i log f_i(s) - f_i(s)",
                            "tuning_source": ("measured, linear periodic interpolation"
                                              if isinstance(tuning, xr.DataArray) else "callable")}
        expected = np.maximum(means, self.floor)
        self._log_expected = np.ascontiguousarray(np.log(expected).T)      # (neuron, grid)
        self._total_expected = expected.sum(axis=1)                        # (grid,)
        self.expected_counts = xr.DataArray(
            expected, dims=("stimulus_grid", "neuron"),
            coords={"stimulus_grid": self.grid, "neuron": self.neurons}, name="expected_counts",
            attrs={"units": "spikes per window", "floor": self.floor})

    @staticmethod
    def _measured(tuning: xr.DataArray):
        """Validated (stimuli, values (stimulus, neuron), neuron labels) of measured tuning curves."""
        if set(tuning.dims) != {"stimulus", "neuron"}:
            raise ValueError(f"tuning must have exactly the dims ('stimulus', 'neuron'), got {tuning.dims} "
                             "(average over trials first, e.g. responses.mean('trial'))")
        if "stimulus" not in tuning.coords:
            raise ValueError("tuning has no 'stimulus' coordinate (orientations in radians in [0, pi))")
        ordered = tuning.transpose("stimulus", "neuron")
        stimuli = orientation_grid("tuning['stimulus']", ordered["stimulus"].values, minimum_size=2,
                                   purpose="interpolation")
        values = float_array("tuning", ordered.values, "mean responses (counts or rates)")
        if not np.all(np.isfinite(values)) or np.any(values < 0):
            raise ValueError(f"tuning={describe(values)} must be finite and >= 0 (mean responses)")
        neurons = ordered["neuron"].values if "neuron" in ordered.coords else np.arange(values.shape[1])
        return stimuli, values, neurons

    @classmethod
    def from_tuning_fit(cls, fit: xr.Dataset, window: float | None = None, grid_size: int = 360,
                        floor: float = 1e-6) -> "PoissonDecoder":
        """Decoder from von Mises tuning curves, e.g. from :func:`nsnn_sim.coding.tuning.fit_tuning_curves`.

        ``f_i(s) = von_mises_tuning(s, preferred_i, kappa_i, baseline_i, gain_i)`` (times
        ``window`` if given) on the grid.

        Parameters
        ----------
        fit : xarray.Dataset
            Over ``neuron``: ``preferred``, ``kappa``, ``baseline``, ``gain`` (all finite; drop
            neurons with ``converged == False`` first).
        window, grid_size, floor
            As for :class:`PoissonDecoder`.
        """
        if not isinstance(fit, xr.Dataset) or any(name not in fit for name in TUNING_PARAMETERS):
            raise TypeError("fit must be an xarray.Dataset with the variables "
                            f"{TUNING_PARAMETERS} over 'neuron' (see fit_tuning_curves)")
        parameters = {name: float_array(f"fit[{name!r}]", fit[name].values) for name in TUNING_PARAMETERS}
        for name, values in parameters.items():
            if values.ndim != 1 or not np.all(np.isfinite(values)):
                raise ValueError(f"fit[{name!r}]={describe(values)} must be finite over 'neuron'; drop "
                                 "neurons whose fit did not converge (fit.where(fit.converged, drop=True))")
        neurons = fit["neuron"].values if "neuron" in fit.coords else np.arange(parameters["gain"].size)

        def curves(grid):
            return von_mises_tuning(grid[:, None], *(parameters[name] for name in TUNING_PARAMETERS))

        decoder = cls(curves, window=window, grid_size=grid_size, floor=floor)
        decoder._provenance = {**decoder._provenance, "tuning_source": "von Mises fit (from_tuning_fit)"}
        decoder.neurons = np.asarray(neurons)
        decoder.expected_counts = decoder.expected_counts.assign_coords(neuron=decoder.neurons)
        return decoder

    def _log_likelihood(self, counts: np.ndarray) -> np.ndarray:
        return counts @ self._log_expected - self._total_expected


class EmpiricalDecoder(_GridDecoder):
    """Bayesian decoder of orientation with a likelihood learned from simulated spike counts.

    For each neuron ``i`` and training stimulus ``s_k``, the count distribution is a histogram of
    the ``T_k`` training trials with additive (Laplace) smoothing ``alpha``:

    .. math::

        \\hat p_i(n \\mid s_k) = \\frac{c_{ik}(n) + \\alpha}{T_k + \\alpha (M_i + 2)},\\qquad
        n = 0, 1, \\dots, M_i, \\text{ and } n > M_i

    where ``c_ik(n)`` counts the training trials with ``n`` spikes and ``M_i`` is neuron ``i``'s
    largest training count over all stimuli; every count above ``M_i`` shares one overflow bin
    (which holds only the pseudo-count). Neurons are treated as **conditionally independent**
    given the stimulus (their joint count distribution is not learned, so noise correlations are
    ignored):

    .. math::

        \\log p(\\mathbf n \\mid s_k) = \\sum_i \\log \\hat p_i(n_i \\mid s_k)

    The decoder works on the training stimuli themselves (no interpolation): the posterior of
    :meth:`decode` is over ``stimulus_grid`` = the training orientations with a flat prior over
    them, which is the right prior when test stimuli are drawn equally often from that set. Decode
    *held-out* trials: trials used for training make the posterior over-confident.

    Parameters
    ----------
    responses : xarray.DataArray
        Spike counts (non-negative integers) with dims ``(stimulus, trial, neuron)`` (any order)
        and a ``stimulus`` coordinate of distinct orientations in radians in [0, pi) (at least 2).
        NaN marks a missing trial (not counted).
    smoothing : float
        Pseudo-count ``alpha > 0`` added to every histogram bin (default 1: Laplace's rule).

    Attributes
    ----------
    grid : numpy.ndarray
        The training orientations, sorted (rad).
    log_probability : xarray.DataArray
        ``log p_i(n | s_k)`` with dims ``(neuron, count, stimulus_grid)``; the last ``count`` of
        each neuron, ``M_i + 1``, is its overflow bin (rows above it are unused).
    max_count : xarray.DataArray
        ``M_i`` over ``neuron``.
    """

    _refine_map = False
    _name = "EmpiricalDecoder"

    def __init__(self, responses, smoothing: float = 1.0):
        smoothing = numeric_parameter("smoothing", smoothing, lower=0.0, lower_open=True)
        if np.ndim(smoothing):
            raise ValueError(f"smoothing={describe(smoothing)} must be a single number")
        if not isinstance(responses, xr.DataArray):
            raise TypeError("responses must be an xarray.DataArray with dims (stimulus, trial, neuron) "
                            f"and a 'stimulus' coordinate, got {type(responses).__name__}")
        if set(responses.dims) != {"stimulus", "trial", "neuron"}:
            raise ValueError(f"responses must have exactly the dims ('stimulus', 'trial', 'neuron') "
                             f"(in any order), got {responses.dims}")
        if "stimulus" not in responses.coords:
            raise ValueError("responses has no 'stimulus' coordinate (orientations in radians in [0, pi))")
        ordered = responses.transpose("stimulus", "trial", "neuron")
        stimuli = orientation_grid("responses['stimulus']", ordered["stimulus"].values, minimum_size=2,
                                   purpose="decoding")
        values = float_array("responses", ordered.values, "spike counts (non-negative integers)")
        observed = np.isfinite(values)
        if np.any(np.isinf(values)):
            raise ValueError("responses must not contain inf (NaN marks a missing trial)")
        counts = values[observed]
        if np.any(counts < 0) or np.any(counts != np.round(counts)):
            raise ValueError(f"responses={describe(values)} must hold spike counts: non-negative integers")
        n_trials = observed.sum(axis=1)                                       # (stimulus, neuron)
        if np.any(n_trials == 0):
            raise ValueError("responses has a (stimulus, neuron) pair without any trial")

        order = np.argsort(stimuli)
        stimuli, values, observed, n_trials = stimuli[order], values[order], observed[order], n_trials[order]
        n_stimuli, _, n_neurons = values.shape
        filled = np.where(observed, values, -1.0)
        max_count = np.max(filled, axis=(0, 1)).astype(np.int64)              # (neuron,)
        max_count = np.maximum(max_count, 0)
        n_bins = int(max_count.max()) + 2                                      # 0..M, overflow
        # one bincount over the flat index ((neuron * n_stimuli + stimulus) * n_bins + count)
        stimulus_index, _, neuron_index = np.nonzero(observed)
        flat = ((neuron_index * n_stimuli + stimulus_index) * n_bins
                + values[observed].astype(np.int64))
        histogram = np.bincount(flat, minlength=n_neurons * n_stimuli * n_bins).astype(np.float64)
        histogram = histogram.reshape(n_neurons, n_stimuli, n_bins).transpose(0, 2, 1)
        bins_used = (max_count + 2)[:, None, None]                             # per neuron
        probability = (histogram + smoothing) / (n_trials.T[:, None, :] + smoothing * bins_used)
        log_probability = np.log(probability)
        # a neuron's overflow bin sits at M_i + 1; counts above it are mapped there in _log_likelihood
        self.grid = stimuli
        self.smoothing = float(smoothing)
        self.neurons = (ordered["neuron"].values if "neuron" in ordered.coords else np.arange(n_neurons))
        self._max_count = max_count
        self._provenance = {"smoothing": self.smoothing, "n_training_trials": int(n_trials.sum()),
                            "likelihood": "per-neuron count histograms with additive smoothing, "
                                          "neurons conditionally independent"}
        self._log_probability = log_probability
        self.log_probability = xr.DataArray(
            log_probability, dims=("neuron", "count", "stimulus_grid"),
            coords={"neuron": self.neurons, "count": np.arange(n_bins), "stimulus_grid": stimuli},
            name="log_probability",
            attrs={"units": "nat", "smoothing": self.smoothing,
                   "note": "count M_i + 1 is neuron i's overflow bin (all counts > M_i)"})
        self.max_count = xr.DataArray(max_count, dims=("neuron",), coords={"neuron": self.neurons},
                                      name="max_count", attrs={"units": "spikes"})

    def _check_counts_values(self, values: np.ndarray) -> None:
        if np.any(values != np.round(values)):
            raise ValueError(f"counts={describe(values)} must be whole numbers for the EmpiricalDecoder "
                             "(it looks counts up in histograms)")

    def _log_likelihood(self, counts: np.ndarray) -> np.ndarray:
        index = np.minimum(counts.astype(np.int64), self._max_count + 1)       # (trial, neuron)
        neurons = np.arange(self.n_neurons)
        return self._log_probability[neurons, index, :].sum(axis=1)            # (trial, grid)
