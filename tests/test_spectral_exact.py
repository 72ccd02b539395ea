"""Exact checks of nsnn_sim.analysis.spectral: every estimator against a closed form on a signal whose answer is
known, and against the same formula evaluated independently (a direct DFT sum with the Hann window written out),
to 1e-10.

* power spectrum: integer-valued sinusoids (the only exactly integer spike counts: periods of 2, 3, 4 and 6 bins)
  give the periodic Hann window's three DFT coefficients ``N/2, -N/4, -N/4`` exactly; the expectation of the
  Welch estimate for a white train, a quadratic form, is its trace, which single-spike trains read off exactly;
* coherence: a train that copies the signal (coherence 1), and one that copies it in ``K+`` segments and its
  negative in ``K-`` (raw coherence ``((K+ - K-)/K)^2`` at every frequency), which fixes the bias correction
  ``(K C_raw - 1)/(K - 1)``, its jackknife and the information bound in closed form;
* line SNR: a line and a background line of known amplitudes.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from test_spectral import trains_from_step_counts

from nsnn_sim.analysis import spectral

DT = 1e-3
REL = 1e-10


# ------------------------------------------------------------------ the formula, evaluated directly
def _hann(n):
    """The periodic Hann window ``w_k = (1 - cos(2 pi k/n))/2``."""
    return 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(n) / n)


def _segment_dfts(rates, n_per, bin_width, sides):
    """Direct DFT sums ``X_j = sum_k w_k (x_k - mean) exp(-2 pi i j k/N)`` of every segment of every record (the
    record's own mean, over all of its bins), scaled so that ``|X_j|^2`` is the density ``c |X|^2 bin/sum w^2``."""
    centred = rates - rates.mean(axis=1, keepdims=True)
    n_segments = rates.shape[1] // n_per
    pieces = centred[:, :n_segments * n_per].reshape(-1, n_per)
    frequency_index = np.arange(n_per // 2 + 1)
    basis = np.exp(-2j * np.pi * np.outer(np.arange(n_per), frequency_index) / n_per)
    window = _hann(n_per)
    factor = np.where((frequency_index == 0) | (2 * frequency_index == n_per), 1.0, 2.0 if sides == "one" else 1.0)
    return (pieces * window) @ basis * np.sqrt(factor * bin_width / np.sum(window**2))


def _binned_rates(counts, width, start=0, pool=None):
    """Spikes/s per bin of ``width`` steps from ``counts[trial, neuron, step]``, records (trial, neuron) or trials."""
    if pool == "neurons":
        counts = counts.sum(axis=1, keepdims=True)
    n_bins = (counts.shape[2] - start) // width
    binned = counts[:, :, start:start + n_bins * width].reshape(*counts.shape[:2], n_bins, width).sum(axis=3)
    return binned.reshape(-1, n_bins) / (width * DT)


# ------------------------------------------------------------------ power spectrum
@pytest.mark.parametrize("sides", ["one", "two"])
@pytest.mark.parametrize("pool", [None, "neurons"])
@pytest.mark.parametrize("width, start", [(1, 0), (2, 37)])
def test_power_spectrum_is_the_welch_average_of_direct_dft_sums(sides, pool, width, start):
    """Poisson counts, 3 trials x 2 neurons, a record that is not a whole number of segments (its tail enters the
    mean only), bins from ``t_start`` on: power, SE (SD over segments/sqrt(n)), rate and Poisson level."""
    counts = np.random.default_rng(1).poisson(0.05, size=(3, 2, 2000 + start))
    spikes = trains_from_step_counts(counts, DT)
    n_per = 32
    result = spectral.power_spectrum(spikes, bin_width=width * DT, segment=n_per * width * DT,
                                     t_start=start * DT, sides=sides, pool=pool)
    rates = _binned_rates(counts, width, start, pool)
    periodograms = np.abs(_segment_dfts(rates, n_per, width * DT, sides)) ** 2
    np.testing.assert_allclose(result["power"], periodograms.mean(axis=0), rtol=REL, atol=0)
    np.testing.assert_allclose(result["power_se"], periodograms.std(axis=0, ddof=1) / math.sqrt(len(periodograms)),
                               rtol=1e-9, atol=0)
    np.testing.assert_allclose(result["frequency"], np.arange(n_per // 2 + 1) / (n_per * width * DT), rtol=1e-15)
    assert result.attrs["n_segments"] == len(periodograms)
    assert result.attrs["rate"] == pytest.approx(rates.mean(), rel=1e-14)
    assert result.attrs["poisson_level"] == pytest.approx((2.0 if sides == "one" else 1.0) * rates.mean(), rel=1e-14)


def test_one_segment_in_all_is_its_periodogram_with_no_se():
    """One trial, one neuron, one segment: the power is that segment's periodogram, and with one segment there is no
    spread to estimate (SE NaN, not 0)."""
    counts = np.random.default_rng(2).poisson(0.1, size=(1, 1, 64))
    result = spectral.power_spectrum(trains_from_step_counts(counts, DT), bin_width=DT, segment=64 * DT)
    periodogram = np.abs(_segment_dfts(_binned_rates(counts, 1), 64, DT, "one")) ** 2
    np.testing.assert_allclose(result["power"], periodogram[0], rtol=REL, atol=0)
    assert result.attrs["n_segments"] == 1 and np.all(np.isnan(result["power_se"]))


def _hann_dft(j, n):
    """The periodic Hann window's DFT: ``N/2`` at 0, ``-N/4`` at +-1 (mod N), 0 elsewhere."""
    j = j % n
    return n / 2 if j == 0 else -n / 4 if j in (1, n - 1) else 0.0


def _cosine_power(components, n_per, bin_width, sides):
    """Welch density of ``sum a cos(2 pi m k/N)`` (rates, spikes/s) at every bin ``j``: ``X_j = sum (a/2)
    (W(j - m) + W(j + m))``, ``P_j = c |X_j|^2 bin/(3N/8)`` (``sum w^2 = 3N/8``)."""
    power = []
    for j in range(n_per // 2 + 1):
        transform = sum(a / 2 * (_hann_dft(j - m, n_per) + _hann_dft(j + m, n_per)) for m, a in components)
        factor = 1.0 if j in (0, n_per // 2) or sides == "two" else 2.0
        power.append(factor * transform**2 * bin_width / (3 * n_per / 8))
    return np.array(power)


# cos(2 pi m k/N) at m = N/6, N/4, N/3, N/2 takes the values (1, 1/2, -1/2, -1), (1, 0, -1, 0), (1, -1/2), (1, -1):
# integers after doubling. (m, counts amplitude)
LINES = [(8, 2.0), (12, 3.0), (16, 4.0), (24, 1.0)]


def _line_counts(lines, n_per, n_segments, base):
    k = np.arange(n_per * n_segments)
    counts = base + sum(a * np.cos(2 * np.pi * m * k / n_per) for m, a in lines)
    assert np.allclose(counts, np.round(counts), atol=1e-12) and counts.min() >= 0
    return np.round(counts).astype(np.int64)


@pytest.mark.parametrize("sides", ["one", "two"])
def test_power_spectrum_of_integer_sinusoids_is_the_hann_closed_form(sides):
    """Four lines (bins 8, 12, 16 and Nyquist 24 of N = 48), bins of 2 steps (a bin's spikes on its first step), a
    transient before ``t_start`` that must not count; pooled over two neurons (their lines add: identical
    segments, SE 0) and per neuron."""
    n_per, n_segments, width = 48, 6, 2
    neuron_lines = [LINES, [(8, 2.0), (24, 3.0)]]
    per_bin = np.stack([_line_counts(lines, n_per, n_segments, base=8) for lines in neuron_lines])
    counts = np.zeros((1, 2, 10 + per_bin.shape[1] * width), dtype=np.int64)
    counts[0, :, :10] = 5  # the transient
    counts[0, :, 10::width] = per_bin
    spikes = trains_from_step_counts(counts, DT)
    bin_width = width * DT
    options = dict(bin_width=bin_width, segment=n_per * bin_width, t_start=10 * DT, sides=sides)

    def rate_lines(lines):
        return [(m, a / bin_width) for m, a in lines]

    single = spectral.power_spectrum(spikes, **options)
    expected = np.mean([_cosine_power(rate_lines(lines), n_per, bin_width, sides) for lines in neuron_lines], axis=0)
    np.testing.assert_allclose(single["power"], expected, rtol=REL, atol=REL * expected.max())
    pooled = spectral.power_spectrum(spikes, pool="neurons", **options)
    summed = [(8, 4.0), (12, 3.0), (16, 4.0), (24, 4.0)]
    expected = _cosine_power(rate_lines(summed), n_per, bin_width, sides)
    np.testing.assert_allclose(pooled["power"], expected, rtol=REL, atol=REL * expected.max())
    assert float(pooled["power_se"].max()) <= REL * expected.max()  # one record of identical segments
    assert pooled.attrs["rate"] == pytest.approx(16 / bin_width, rel=1e-14)
    # Parseval: the one-sided density integrates to the variance of the rate, sum a^2/2 (a^2 at Nyquist)
    if sides == "one":
        variance = sum((a / bin_width) ** 2 * (1.0 if m == n_per // 2 else 0.5) for m, a in summed)
        assert float(pooled["power"].sum()) / (n_per * bin_width) == pytest.approx(variance, rel=REL)


@pytest.mark.parametrize("n_segments", [1, 4])
def test_expected_welch_density_of_a_white_train_is_its_level_less_the_mean_removal(n_segments):
    """The Welch density is a quadratic form ``x^T Q x`` of the binned rates; for i.i.d. rates of variance ``v``
    its expectation is ``v trace Q``, and single-spike trains (one per bin of the record, every record a neuron)
    average to ``trace Q/(L bin^2)`` exactly. With the record's mean removed, ``E[P_j] = c v bin (1 - |W_j|^2/(L
    sum w^2))`` for ``L = m N`` bins: ``1 - 2/(3m)`` of the level at DC, ``1 - 1/(6m)`` at ``df`` (the module
    docstring), the level ``c v bin`` (``c nu`` for a Poisson train of rate ``nu``) from ``2 df`` on."""
    n_per = 16
    n_bins = n_per * n_segments
    counts = np.eye(n_bins, dtype=np.int64)[None]  # neuron i spikes in bin i only
    spikes = trains_from_step_counts(counts, DT)
    for sides, c in (("one", 2.0), ("two", 1.0)):
        result = spectral.power_spectrum(spikes, bin_width=DT, segment=n_per * DT, sides=sides)
        expectation_per_unit_variance = result["power"].values * n_bins * DT**2  # trace Q/L: E[P] for v = 1
        j = np.arange(n_per // 2 + 1)
        factor = np.where((j == 0) | (j == n_per // 2), 1.0, c)
        window_dft = np.array([_hann_dft(index, n_per) for index in j])
        expected = factor * DT * (1.0 - window_dft**2 / (n_bins * 3 * n_per / 8))
        np.testing.assert_allclose(expectation_per_unit_variance, expected, rtol=REL, atol=0)
        # Poisson: v = nu/bin, so the level from 2 df on is c nu, the module's poisson_level
        np.testing.assert_allclose(expected[2:-1] / DT, spectral.poisson_level(1.0, sides), rtol=1e-14)
    assert expected[1] / expected[2] == pytest.approx(1 - 1 / (6 * n_segments), rel=1e-14)


# ------------------------------------------------------------------ coherence and the information bound
def _coherence_direct(rates, signal_rates, n_per, bin_width, groups):
    """``C_raw = |sum X S*|^2/(sum |X|^2 sum |S|^2)`` over segments, corrected ``(K C_raw - 1)/(K - 1)``, and the
    same for every leave-one-group-out set of segments (``K`` its own count)."""
    x = _segment_dfts(rates, n_per, bin_width, "one")
    s = _segment_dfts(signal_rates, n_per, bin_width, "one")
    labels = np.arange(len(x)) % groups

    def corrected(keep):
        raw = np.abs((x[keep] * s[keep].conj()).sum(0)) ** 2 / ((np.abs(x[keep]) ** 2).sum(0)
                                                                 * (np.abs(s[keep]) ** 2).sum(0))
        k = keep.sum()
        return (k * raw - 1) / (k - 1), raw

    total, raw = corrected(np.ones(len(x), dtype=bool))
    return total, raw, np.array([corrected(labels != g)[0] for g in range(groups)])


@pytest.mark.parametrize("pool", [None, "neurons"])
def test_coherence_is_the_bias_corrected_ratio_of_direct_welch_sums(pool):
    """Poisson trains whose rate follows a per-trial signal (2 trials x 3 neurons), bins of 2 steps (the signal
    averaged over each), ``t_start`` > 0: coherence, raw coherence, leave-one-out values, jackknife SE."""
    generator = np.random.default_rng(2)
    n_steps, width, n_per, groups = 3000, 2, 25, 7
    signal = generator.normal(size=(2, n_steps))
    counts = generator.poisson(0.1 * (1.0 + 0.5 * np.tanh(signal))[:, None, :], size=(2, 3, n_steps))
    spikes = trains_from_step_counts(counts, DT)
    result = spectral.coherence(spikes, signal, bin_width=width * DT, segment=n_per * width * DT, t_start=0.1,
                                pool=pool, n_groups=groups)
    rates = _binned_rates(counts, width, 100, pool)
    binned_signal = signal[:, 100:100 + rates.shape[1] * width].reshape(2, -1, width).mean(axis=2)
    if pool is None:
        binned_signal = np.repeat(binned_signal, 3, axis=0)
    total, raw, leave_one_out = _coherence_direct(rates, binned_signal, n_per, width * DT, groups)
    np.testing.assert_allclose(result["coherence_raw"], raw, rtol=REL)
    np.testing.assert_allclose(result["coherence"], total, rtol=REL, atol=REL)
    np.testing.assert_allclose(result["coherence_leave_one_out"], leave_one_out, rtol=REL, atol=REL)
    jackknife = np.sqrt((groups - 1) / groups * ((leave_one_out - leave_one_out.mean(0)) ** 2).sum(0))
    np.testing.assert_allclose(result["coherence_se"], jackknife, rtol=1e-8, atol=REL)
    assert result.attrs["n_segments"] == rates.shape[0] * (rates.shape[1] // n_per)


def test_a_train_that_copies_the_signal_has_coherence_one_at_every_frequency():
    """Spike counts equal to the signal (a linear filter with gain ``1/bin``): ``C_raw = 1`` by Cauchy-Schwarz, and
    the corrected coherence is 1 too, ``(K - 1)/(K - 1)`` (``C_raw - 1/K`` would give ``1 - 1/K``)."""
    counts = np.random.default_rng(3).poisson(2.0, size=(1, 1, 40 * 32))
    spikes = trains_from_step_counts(counts, DT)
    result = spectral.coherence(spikes, counts[0, 0].astype(float), bin_width=DT, segment=32 * DT)
    inside = result["frequency"] > 0
    np.testing.assert_allclose(result["coherence_raw"][inside], 1.0, rtol=REL)
    np.testing.assert_allclose(result["coherence"][inside], 1.0, rtol=REL)
    np.testing.assert_allclose(result["coherence_se"][inside], 0.0, atol=REL)


def _signed_copies(signs, n_per, seed):
    """One segment ``s`` of zero-sum integers repeated, and counts ``8 + sign_j s`` in segment ``j``."""
    values = np.random.default_rng(seed).integers(-3, 4, n_per)
    segment = values - np.roll(values, 1)  # zero sum: the record means are those of the constant parts
    signal = np.tile(segment, len(signs)).astype(float)
    counts = (8 + np.repeat(signs, n_per) * signal).astype(np.int64)
    return counts, signal


@pytest.mark.parametrize("n_plus, n_minus", [(30, 10), (20, 20), (35, 5)])
def test_coherence_of_signed_copies_has_the_closed_form_bias_correction_jackknife_and_information(n_plus, n_minus):
    """``X_j = +-S_j`` with the same ``S`` in every segment: ``sum X S* = (K+ - K-) |S|^2``, so ``C_raw =
    ((K+ - K-)/K)^2`` at every frequency, ``C = (K C_raw - 1)/(K - 1)`` (at K = 40: 9/39 = 0.2308 for 30/10;
    ``C_raw - 1/K`` would give 0.225, 2.5 % low). Each jackknife group leaves out its own counts of + and -
    segments, so the leave-one-out values, the SE and the information bound ``-sum log2(1 - C) df`` over
    ``0 < f <= f_c`` follow in closed form."""
    n_per, groups = 16, 20
    signs = np.array([1] * n_plus + [-1] * n_minus)
    signs = signs[np.random.default_rng(4).permutation(len(signs))]
    counts, signal = _signed_copies(signs, n_per, seed=5)
    spikes = trains_from_step_counts(counts[None, None], DT)
    result = spectral.coherence(spikes, signal, bin_width=DT, segment=n_per * DT, n_groups=groups)
    k = len(signs)

    def corrected(plus, minus):
        total = plus + minus
        return (total * ((plus - minus) / total) ** 2 - 1) / (total - 1)

    inside = result["frequency"].values > 0
    expected = corrected(n_plus, n_minus)
    np.testing.assert_allclose(result["coherence_raw"][inside], ((n_plus - n_minus) / k) ** 2, rtol=REL, atol=REL)
    np.testing.assert_allclose(result["coherence"][inside], expected, rtol=REL, atol=REL)
    labels = np.arange(k) % groups
    out_plus = np.array([np.sum((labels == g) & (signs > 0)) for g in range(groups)])
    out_minus = np.array([np.sum((labels == g) & (signs < 0)) for g in range(groups)])
    leave_one_out = corrected(n_plus - out_plus, n_minus - out_minus)
    np.testing.assert_allclose(result["coherence_leave_one_out"].values[:, inside],
                               np.repeat(leave_one_out[:, None], inside.sum(), axis=1), rtol=REL, atol=REL)
    jackknife = math.sqrt((groups - 1) / groups * np.sum((leave_one_out - leave_one_out.mean()) ** 2))
    np.testing.assert_allclose(result["coherence_se"][inside], jackknife, rtol=1e-8, atol=REL)
    cutoff = 250.0  # Hz: bins 1..4 of df = 62.5 Hz
    information, se = spectral.information_lower_bound(result, cutoff)
    df = 1.0 / (n_per * DT)
    n_bins = int(round(cutoff / df))
    assert information == pytest.approx(-n_bins * math.log2(1 - expected) * df, rel=REL, abs=REL)
    per_group = -n_bins * np.log2(1 - leave_one_out) * df
    assert se == pytest.approx(math.sqrt((groups - 1) / groups * np.sum((per_group - per_group.mean()) ** 2)),
                               rel=1e-8, abs=REL)


def test_information_bound_sums_the_gaussian_channel_rate_over_the_band_only():
    """On a coherence result from data: ``-sum_{0 < f <= f_c} log2(1 - C(f)) df`` summed here directly, for cut-offs
    on a bin, between bins, and at the top; the DC bin never counts."""
    generator = np.random.default_rng(6)
    signal = generator.normal(size=4000)
    counts = generator.poisson(0.2 * (1.0 + 0.8 * np.tanh(signal)), size=(1, 1, 4000))
    result = spectral.coherence(trains_from_step_counts(counts, DT), signal, bin_width=DT, segment=0.05)
    frequency, coherence = result["frequency"].values, result["coherence"].values
    for cutoff in (20.0, 100.0, 130.0, 500.0):
        band = (frequency > 0) & (frequency <= cutoff)
        information, _ = spectral.information_lower_bound(result, cutoff)
        assert information == pytest.approx(-np.sum(np.log2(1 - coherence[band])) * 20.0, rel=REL)


# ------------------------------------------------------------------ line SNR
def test_snr_of_a_line_over_a_background_line_is_the_hann_closed_form():
    """A line at bin 12 (counts amplitude 3) and a background line at bin 8 (amplitude 2) of N = 48: the line's
    bin holds ``P_12 = 2 (3/bin)^2 (N/4)^2 bin/(3N/8)``; the background band 4-20 bins less the two bins either
    side of the line holds ``P_8`` and ``P_8/4`` at bins 7 and 9, zero elsewhere (periodic Hann leaks into one
    bin either side only): ``SNR = P_12/(1.5 P_8/n_band)``. Identical segments: SE 0."""
    n_per, n_segments = 48, 24
    counts = _line_counts([(12, 3.0), (8, 2.0)], n_per, n_segments, base=6)[None, None]
    spikes = trains_from_step_counts(counts, DT)
    df = 1.0 / (n_per * DT)
    snr, se = spectral.spectral_snr(spikes, 12 * df, (4 * df, 20 * df), bin_width=DT, segment=n_per * DT)
    power = _cosine_power([(12, 3.0 / DT), (8, 2.0 / DT)], n_per, DT, "one")
    band = [j for j in range(4, 21) if abs(j - 12) > 2]
    assert power[band].sum() == pytest.approx(1.5 * power[8], rel=1e-14)
    assert snr == pytest.approx(power[12] / power[band].mean(), rel=REL)
    assert se == pytest.approx(0.0, abs=REL * snr)


@pytest.mark.parametrize("n_per, width, line_bin, band_bins", [(250, 2, 5, (2, 12)), (48, 1, 4, (1, 10)),
                                                               (48, 1, 12, (4, 20))])
def test_snr_and_its_jackknife_are_the_direct_sums_over_segments(n_per, width, line_bin, band_bins):
    """Poisson counts with a rate line: the SNR and its leave-one-group-out jackknife (groups: segment index mod
    ``n_groups``) from direct DFT sums, the band and the exclusion counted in whole bins (limits given on bin
    frequencies, where rounding must not move a bin in or out: 48-bin segments of 1 ms are such a case), with
    ``exclude`` given and by default (2 bins); the line asked for a third of a bin off its bin."""
    bin_width = width * DT
    segment = n_per * bin_width
    df = 1.0 / segment
    time = np.arange(200 * n_per * width) * DT
    rate = 40.0 + 15.0 * np.sin(2 * np.pi * line_bin * df * time)
    counts = np.random.default_rng(7).poisson(rate * DT, size=(2, 2, time.size))
    spikes = trains_from_step_counts(counts, DT)
    groups = 9
    periodograms = np.abs(_segment_dfts(_binned_rates(counts, width), n_per, bin_width, "one")) ** 2
    bins = np.arange(n_per // 2 + 1)
    labels = np.arange(len(periodograms)) % groups
    for exclude_bins in (None, 3):
        snr, se = spectral.spectral_snr(spikes, (line_bin + 0.3) * df, (band_bins[0] * df, band_bins[1] * df),
                                        bin_width=bin_width, segment=segment,
                                        exclude=None if exclude_bins is None else exclude_bins * df, n_groups=groups)
        band = (bins >= band_bins[0]) & (bins <= band_bins[1]) & (np.abs(bins - line_bin) > (exclude_bins or 2))
        line_power, band_power = periodograms[:, line_bin], periodograms[:, band].mean(axis=1)
        assert snr == pytest.approx(line_power.sum() / band_power.sum(), rel=REL)
        ratios = np.array([line_power[labels != g].sum() / band_power[labels != g].sum() for g in range(groups)])
        assert se == pytest.approx(math.sqrt((groups - 1) / groups * np.sum((ratios - ratios.mean()) ** 2)), rel=1e-8)


def test_poisson_level_is_its_definition_at_array_arguments():
    """``poisson_level`` is ``c nu (1 - p)``: checked against its definition at array arguments."""
    rate, probability = np.array([0.0, 5.0, 40.0]), np.array([0.0, 0.2, 1.0])
    np.testing.assert_allclose(spectral.poisson_level(rate, "one", probability), 2 * rate * (1 - probability), rtol=0)
    np.testing.assert_allclose(spectral.poisson_level(rate, "two", probability), rate * (1 - probability), rtol=0)
    assert isinstance(spectral.poisson_level(3.0), float)
