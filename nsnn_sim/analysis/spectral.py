"""Spectral statistics of spike trains: power spectra, spike-train--signal coherence, information rates.

Grouped by purpose:

* spectra: :func:`power_spectrum` (spike trains in, Welch estimate with its SE and the Poisson level),
  :func:`poisson_level` (the level a Poisson or Bernoulli train would have), :func:`spectral_snr` (power
  in one bin over the mean power in a background band, with its jackknife SE);
* signal transmission: :func:`coherence` (magnitude-squared coherence between spike trains, or their
  population sum, and a stimulus, bias-corrected, with jackknife SEs) and :func:`information_lower_bound`
  (the coherence lower bound on the information rate, bits/s).

Estimator (Welch 1967)
----------------------
A train is binned into counts ``n_k`` per bin of ``bin_width`` (a whole number of steps) and divided
by the width, ``x_k = n_k / bin_width`` (spikes/s), so that the process has the spectrum of the spike
train ``sum_j delta(t - t_j)`` below the bin's Nyquist frequency. Each record (a train, or a trial's
population sum) has its own mean subtracted and is cut into non-overlapping segments of ``segment``
seconds (frequency resolution ``df = 1/segment``); each segment is multiplied by a periodic Hann window
``w`` and Fourier transformed, ``X(f) = sum_k w_k x_k exp(-2 pi i f k bin_width)``. The density of one
segment is ``P(f) = c |X(f)|^2 / (fs sum_k w_k^2)`` with ``fs = 1/bin_width``, ``c = 2`` for the
one-sided spectrum (``0 < f < fs/2``; ``c = 1`` at 0 and at the Nyquist frequency) and ``c = 1`` for
the two-sided one. Spectra are averaged over every segment of every record; their SE is the SD over
segments divided by the square root of their number (segments do not overlap, so they are
independent for a stationary train).

The mean removal biases the lowest bins: the DC bin carries only the variance of record means and the
bin at ``df`` is low by ``1/(6 m)`` for a white train (``m`` segments per record; Hann leakage of the
record mean). Compare spectra at ``f >= 2 df``.

Conventions: the Poisson level is ``2 nu`` one-sided and ``nu`` two-sided (spikes^2/s^2/Hz = Hz, for a
rate ``nu``); a Bernoulli train with spike probability ``p`` per step, binned at one step, has
``nu (1 - p)`` two-sided (``2 nu (1 - p)`` one-sided).

References
----------
Welch (1967), IEEE Trans Audio Electroacoust 15:70. Gabbiani & Koch (1998), in Koch & Segev (eds.),
Methods in Neuronal Modeling, 2nd ed., MIT Press, ch. 9. Borst & Theunissen (1999), Nat Neurosci 2:947.
Carter (1987), Proc IEEE 75:236 (bias of the coherence estimate, ``E[C] = 1/K`` for ``K`` independent
segments of unrelated signals). Efron & Stein (1981), Ann Stat 9:586 (jackknife).
"""

from __future__ import annotations

import numpy as np
import xarray as xr
from scipy.signal import get_window

from nsnn_sim._core.validation import describe, float_array
from nsnn_sim.analysis._common import (
    Estimate,
    _check_spikes,
    _jackknife_se,
    _scalar_parameter,
    _time_step,
    _train_index,
)
from nsnn_sim.spikes import SpikeTrains

# Estimate is documented once, in nsnn_sim.analysis.stats (both modules return it)
__all__ = ["power_spectrum", "poisson_level", "spectral_snr", "coherence", "information_lower_bound"]

_POOLS = (None, "neurons")
_SIDES = ("one", "two")


# ------------------------------------------------------------------ shared helpers
def _binned(spikes: SpikeTrains, bin_width: float, t_start: float, pool) -> tuple[np.ndarray, float]:
    """Spike rates per bin, ``(n_records, n_bins)`` spikes/s, and the bin width in seconds; records are the
    (trial, neuron) trains (``pool=None``) or each trial's sum over neurons (``pool="neurons"``)."""
    if pool not in _POOLS:
        raise ValueError(f"pool={pool!r} is not allowed; allowed: {_POOLS}")
    width = spikes.steps_per_window(_scalar_parameter("bin_width", bin_width, "s"), "bin_width")
    start = _time_step(spikes, "t_start", t_start)
    n_bins = (spikes.n_steps - start) // width
    if n_bins < 1:
        raise ValueError(f"bin_width={describe(bin_width)} s leaves no whole bin after t_start={describe(t_start)} s")
    keep = (spikes.step >= start) & (spikes.step < start + n_bins * width)
    record = spikes.trial.astype(np.int64) if pool == "neurons" else _train_index(spikes)
    n_records = spikes.n_trials if pool == "neurons" else spikes.n_trials * spikes.n_neurons
    cell = record[keep] * n_bins + (spikes.step[keep].astype(np.int64) - start) // width
    counts = np.bincount(cell, minlength=n_records * n_bins).reshape(n_records, n_bins)
    return counts / (width * spikes.dt), width * spikes.dt


def _segment_transforms(x: np.ndarray, bin_width: float, segment: float, sides: str):
    """Windowed Fourier transforms of every segment, ``(n_records * n_segments, n_frequencies)``, scaled so
    that ``|X|^2`` is the segment's density estimate; and the frequencies (Hz)."""
    if sides not in _SIDES:
        raise ValueError(f"sides={sides!r} is not allowed; allowed: {_SIDES}")
    segment = _scalar_parameter("segment", segment, "s")
    n_per = int(round(segment / bin_width))
    if n_per < 4 or abs(n_per * bin_width - segment) > 1e-9 * segment:
        raise ValueError(f"segment={describe(segment)} s must be a whole number (>= 4) of bins of "
                         f"{describe(bin_width)} s")
    n_segments = x.shape[1] // n_per
    if n_segments < 1:
        raise ValueError(f"segment={describe(segment)} s is longer than the records "
                         f"({describe(x.shape[1] * bin_width)} s)")
    centred = x - x.mean(axis=1, keepdims=True)
    pieces = centred[:, :n_segments * n_per].reshape(-1, n_per)
    window = get_window("hann", n_per)  # periodic Hann
    transform = np.fft.rfft(pieces * window, axis=1)
    factor = np.full(transform.shape[1], 2.0 if sides == "one" else 1.0)
    factor[0] = 1.0
    if n_per % 2 == 0:
        factor[-1] = 1.0
    transform *= np.sqrt(factor * bin_width / np.sum(window**2))
    return transform, np.fft.rfftfreq(n_per, bin_width)


def _groups(n_items: int, n_groups: int) -> np.ndarray:
    if not isinstance(n_groups, (int, np.integer)) or isinstance(n_groups, bool) or n_groups < 2:
        raise ValueError(f"n_groups={describe(n_groups)} must be an integer >= 2")
    if n_items < n_groups:
        raise ValueError(f"n_groups={describe(n_groups)} exceeds the number of segments ({n_items}): use longer "
                         f"records, shorter segments or fewer groups")
    return np.arange(n_items) % n_groups


# ------------------------------------------------------------------ spectra
def poisson_level(rate, sides: str = "one", probability=0.0):
    """Power spectral density of a Poisson (or Bernoulli) spike train, Hz.

    ``S = c nu (1 - p)`` with ``c = 2`` one-sided and ``1`` two-sided; ``p`` is the spike probability per
    step of a Bernoulli train binned at one step (``p = 0``: Poisson).

    Parameters
    ----------
    rate : float or array
        Firing rate ``nu`` (Hz), >= 0.
    sides : {"one", "two"}
    probability : float or array
        Per-step spike probability ``p`` in [0, 1].

    Examples
    --------
    >>> poisson_level(10.0), poisson_level(10.0, sides="two"), poisson_level(10.0, "two", probability=0.01)
    (20.0, 10.0, 9.9)
    """
    if sides not in _SIDES:
        raise ValueError(f"sides={sides!r} is not allowed; allowed: {_SIDES}")
    rate, probability = float_array("rate", rate), float_array("probability", probability)
    if np.any(~np.isfinite(rate)) or np.any(rate < 0):
        raise ValueError(f"rate={describe(rate)} must be finite and >= 0")
    if np.any(~np.isfinite(probability)) or np.any((probability < 0) | (probability > 1)):
        raise ValueError(f"probability={describe(probability)} must be in [0, 1]")
    level = (2.0 if sides == "one" else 1.0) * rate * (1.0 - probability)
    return float(level) if level.ndim == 0 else level


def power_spectrum(spikes: SpikeTrains, bin_width: float, segment: float, t_start: float = 0.0,
                   sides: str = "one", pool: str | None = None) -> xr.Dataset:
    """Welch power spectrum of spike trains, averaged over every segment of every record, with its SE.

    ``S(f) = mean over segments of c |X(f)|^2 / (fs sum w^2)`` (module docstring), spikes^2/s^2/Hz = Hz.

    Parameters
    ----------
    spikes : SpikeTrains
    bin_width : float
        Bin (s), a whole number of steps; the spectrum reaches ``1/(2 bin_width)``.
    segment : float
        Segment length (s), a whole number of bins: the frequency resolution is ``1/segment``.
    t_start : float
        Spikes before ``t_start`` (s) are ignored (a transient).
    sides : {"one", "two"}
    pool : {None, "neurons"}
        ``None``: every (trial, neuron) train is a record and the result is the mean single-train spectrum;
        ``"neurons"``: the records are the trials' population sums (the spectrum of the summed readout).

    Returns
    -------
    xarray.Dataset
        ``power`` and ``power_se`` (dim ``frequency``, Hz); attrs ``rate`` (mean rate of a record, Hz),
        ``poisson_level`` (:func:`poisson_level` of that rate, ``p = 0``), ``n_segments``, ``sides``,
        ``bin_width``, ``segment``.
    """
    _check_spikes(spikes)
    rates, width = _binned(spikes, bin_width, t_start, pool)
    transform, frequency = _segment_transforms(rates, width, segment, sides)
    periodograms = np.abs(transform) ** 2
    n_segments = periodograms.shape[0]
    mean_rate = float(rates.mean())
    se = periodograms.std(axis=0, ddof=1) / np.sqrt(n_segments) if n_segments > 1 else np.full_like(frequency, np.nan)
    return xr.Dataset(
        {"power": ("frequency", periodograms.mean(axis=0), {"units": "Hz"}),
         "power_se": ("frequency", se, {"units": "Hz"})},
        coords={"frequency": ("frequency", frequency, {"units": "Hz"})},
        attrs={"rate": mean_rate, "poisson_level": poisson_level(mean_rate, sides), "n_segments": n_segments,
               "sides": sides, "bin_width": width, "segment": float(segment)})


def spectral_snr(spikes: SpikeTrains, frequency: float, background: tuple[float, float], bin_width: float,
                 segment: float, t_start: float = 0.0, exclude: float | None = None, n_groups: int = 20,
                 pool: str | None = None) -> Estimate:
    """Signal-to-noise ratio of a spectral line: ``SNR = S(f0) / mean_{f in B} S(f)``, with its jackknife SE.

    ``S(f0)`` is the (one-sided) Welch power in the bin nearest ``frequency``, ``B`` the bins with
    ``background[0] <= f <= background[1]`` and ``|f - f0| > exclude`` (default ``2/segment``: the Hann
    main lobe of the line is two bins wide). Without a line ``SNR = 1`` on average. The SE comes from
    ``n_groups`` leave-one-group-out ratios over the segments (:func:`power_spectrum` for the rest).

    Returns
    -------
    Estimate
        ``value`` the SNR and ``se`` its jackknife SE (``snr, se = spectral_snr(...)`` unpacks it).
    """
    _check_spikes(spikes)
    frequency = _scalar_parameter("frequency", frequency, "Hz")
    rates, width = _binned(spikes, bin_width, t_start, pool)
    transform, frequencies = _segment_transforms(rates, width, segment, "one")
    exclude = 2.0 / float(segment) if exclude is None else _scalar_parameter("exclude", exclude, "1/s")
    line = int(np.argmin(np.abs(frequencies - frequency)))
    lower, upper = background
    # bin frequencies j/segment carry rounding: a limit on a bin (the default exclude, 2 bins) must include or
    # exclude that bin whatever the rounding, so every comparison allows 1e-9 of a bin
    slack = 1e-9 * frequencies[1]
    band = ((frequencies >= lower - slack) & (frequencies <= upper + slack)
            & (np.abs(frequencies - frequencies[line]) > exclude + slack))
    if not band.any():
        raise ValueError(f"background={describe(background)} Hz holds no bin away from the line at "
                         f"{describe(frequency)} Hz")
    periodograms = np.abs(transform) ** 2
    groups = _groups(periodograms.shape[0], n_groups)
    line_sum = np.bincount(groups, periodograms[:, line], n_groups)
    band_sum = np.bincount(groups, periodograms[:, band].mean(axis=1), n_groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        snr = line_sum.sum() / band_sum.sum()
        leave_one_out = (line_sum.sum() - line_sum) / (band_sum.sum() - band_sum)
    return Estimate(float(snr), float(_jackknife_se(leave_one_out)))


# ------------------------------------------------------------------ signal transmission
def coherence(spikes: SpikeTrains, signal, bin_width: float, segment: float, t_start: float = 0.0,
              pool: str | None = None, n_groups: int = 20) -> xr.Dataset:
    """Magnitude-squared coherence between spike trains and a signal, bias-corrected, with jackknife SEs.

    ``C_raw(f) = |sum S_xs(f)|^2 / (sum S_xx(f) sum S_ss(f))``, sums over the ``K`` segments of every
    record (Welch estimates, module docstring). For unrelated signals ``E[C_raw] = 1/K`` (Carter 1987),
    so ``C(f) = (K C_raw(f) - 1)/(K - 1)``, which is 0 on average for an unrelated train and may be
    negative. SEs: jackknife over ``n_groups`` groups of segments (``K`` of each leave-one-out estimate
    taken as its own number of segments).

    Parameters
    ----------
    spikes : SpikeTrains
    signal : array
        The stimulus on the simulation's time grid: ``(n_steps,)`` (the same on every trial) or
        ``(n_trials, n_steps)``; it is averaged over each bin like the spikes.
    bin_width, segment, t_start
        As :func:`power_spectrum`.
    pool : {None, "neurons"}
        ``None``: each (trial, neuron) train with its trial's signal; ``"neurons"``: each trial's
        population sum (one readout).
    n_groups : int
        Jackknife groups (>= 2).

    Returns
    -------
    xarray.Dataset
        ``coherence``, ``coherence_se``, ``coherence_raw`` (dim ``frequency``); attrs ``n_segments``.
    """
    _check_spikes(spikes)
    signal = float_array("signal", signal, "an array of numbers")
    if signal.shape not in ((spikes.n_steps,), (spikes.n_trials, spikes.n_steps)):
        raise ValueError(f"signal has shape {signal.shape}; allowed: (n_steps,) = ({spikes.n_steps},) or "
                         f"(n_trials, n_steps) = ({spikes.n_trials}, {spikes.n_steps})")
    if not np.all(np.isfinite(signal)):
        raise ValueError("signal must be finite (no NaN or inf)")
    rates, width = _binned(spikes, bin_width, t_start, pool)
    steps = int(round(width / spikes.dt))
    start = _time_step(spikes, "t_start", t_start)
    per_trial = np.broadcast_to(signal, (spikes.n_trials, spikes.n_steps))[:, start:start + rates.shape[1] * steps]
    binned_signal = per_trial.reshape(spikes.n_trials, rates.shape[1], steps).mean(axis=2)
    if pool is None:  # record r = trial*n_neurons + neuron takes its trial's signal
        binned_signal = np.repeat(binned_signal, spikes.n_neurons, axis=0)
    x, frequency = _segment_transforms(rates, width, segment, "one")
    s, _ = _segment_transforms(binned_signal, width, segment, "one")
    groups = _groups(x.shape[0], n_groups)
    membership = (groups[None, :] == np.arange(n_groups)[:, None]).astype(float)  # (group, segment)
    sums = [membership @ (np.abs(part) ** 2) for part in (x, s)]
    cross = membership @ (x * np.conj(s))
    counts = np.bincount(groups, minlength=n_groups).astype(float)

    def corrected(xx, ss, xs, n_segments):
        with np.errstate(invalid="ignore", divide="ignore"):
            raw = np.abs(xs) ** 2 / (xx * ss)
        return (n_segments * raw - 1.0) / (n_segments - 1.0), raw

    total, raw = corrected(sums[0].sum(0), sums[1].sum(0), cross.sum(0), x.shape[0])
    leave_one_out = np.array([corrected(sums[0].sum(0) - sums[0][g], sums[1].sum(0) - sums[1][g],
                                        cross.sum(0) - cross[g], x.shape[0] - counts[g])[0]
                              for g in range(n_groups)])
    dataset = xr.Dataset(
        {"coherence": ("frequency", total, {"units": "1"}),
         "coherence_se": ("frequency", _jackknife_se(leave_one_out), {"units": "1"}),
         "coherence_raw": ("frequency", raw, {"units": "1"})},
        coords={"frequency": ("frequency", frequency, {"units": "Hz"})},
        attrs={"n_segments": int(x.shape[0]), "bin_width": width, "segment": float(segment), "n_groups": n_groups})
    dataset["coherence_leave_one_out"] = (("jackknife_group", "frequency"), leave_one_out)
    return dataset


def information_lower_bound(coherence_result: xr.Dataset, cutoff: float) -> Estimate:
    """Coherence lower bound on the information rate, bits/s, with its jackknife SE.

    ``I_LB = -sum_{0 < f <= f_c} log2(1 - C(f)) df`` with the bias-corrected coherence ``C`` of
    :func:`coherence` (Gabbiani & Koch 1998; Borst & Theunissen 1999): the rate of a Gaussian channel with
    the measured signal-to-noise ratio ``C/(1 - C)``, a lower bound on the mutual information rate
    between signal and spike train. Bins where the corrected coherence is negative (chance) contribute
    negative terms, so that an unrelated train gives 0 on average rather than a positive bias.

    Parameters
    ----------
    coherence_result : xarray.Dataset
        The result of :func:`coherence`.
    cutoff : float
        The signal's cutoff frequency ``f_c`` (Hz), > 0; the DC bin is left out.

    Returns
    -------
    Estimate
        ``value`` the information rate and ``se`` its jackknife SE, bits/s.
    """
    if not isinstance(coherence_result, xr.Dataset) or "coherence_leave_one_out" not in coherence_result:
        raise TypeError("coherence_result must be the Dataset returned by nsnn_sim.analysis.spectral.coherence")
    cutoff = _scalar_parameter("cutoff", cutoff, "1/s")
    frequency = coherence_result["frequency"].values
    band = (frequency > 0) & (frequency <= cutoff * (1 + 1e-12))
    if not band.any():
        raise ValueError(f"cutoff={describe(cutoff)} Hz lies below the first non-zero frequency "
                         f"{describe(frequency[1])} Hz")
    df = frequency[1] - frequency[0]

    def rate(values):
        with np.errstate(divide="ignore"):
            return -np.sum(np.log2(1.0 - values[..., band]), axis=-1) * df

    information = float(rate(coherence_result["coherence"].values))
    return Estimate(information, float(_jackknife_se(rate(coherence_result["coherence_leave_one_out"].values))))
