"""Tests of nsnn_sim.analysis.spectral against processes whose spectra and coherence are known in closed form.

Statistical checks use fixed seeds and 4 standard errors; each SE is named where it is used.
"""

import numpy as np
import pytest

import nsnn_sim as ns
from nsnn_sim.analysis import spectral
from nsnn_sim.analysis._common import _jackknife_se


def trains_from_step_counts(counts, dt=1e-3):
    """Spike trains with ``counts[trial, neuron, step]`` spikes at each step (several may share a step)."""
    n_trials, n_neurons, n_steps = counts.shape
    cell = np.repeat(np.arange(counts.size), counts.ravel())
    trial, rest = np.divmod(cell, n_neurons * n_steps)
    neuron, step = np.divmod(rest, n_steps)
    return ns.SpikeTrains(trial, neuron, step, dt=dt, n_trials=n_trials, n_neurons=n_neurons, n_steps=n_steps)


def test_poisson_level_conventions():
    assert spectral.poisson_level(10.0) == 20.0
    assert spectral.poisson_level(10.0, sides="two") == 10.0
    assert spectral.poisson_level(10.0, sides="two", probability=0.1) == pytest.approx(9.0)
    with pytest.raises(ValueError, match="sides"):
        spectral.poisson_level(10.0, sides="both")
    with pytest.raises(ValueError, match="probability"):
        spectral.poisson_level(10.0, probability=1.5)


def test_poisson_train_spectrum_is_flat_at_its_level():
    # Poisson counts per 1 ms step at 40 Hz; binned at 2 ms. SE: SD over segments / sqrt(n segments),
    # per frequency, from the function; the bin at df is left out (mean removal, module docstring).
    rate, dt = 40.0, 1e-3
    counts = np.random.default_rng(3).poisson(rate * dt, size=(40, 2, 64_000))
    spikes = trains_from_step_counts(counts, dt)
    for sides, level in (("one", 2 * rate), ("two", rate)):
        result = spectral.power_spectrum(spikes, bin_width=2e-3, segment=0.512, sides=sides)
        interior = result.sel(frequency=slice(2 / 0.512, 240.0))
        assert result.attrs["poisson_level"] == pytest.approx(level, rel=0.01)
        # each frequency: 4 SE (~ level/sqrt(2500) = 2 % of it) from the exact level
        z = (interior["power"] - level) / interior["power_se"]
        # 250 frequencies: the largest of 250 |z| values; power at one frequency (4.5 + 1.28) SE = 12 % of the level
        assert float(np.abs(z).max()) < 4.5
        # and the mean over frequencies (SE: per-frequency SE / sqrt(n), bins nearly independent; measured 0.095 %
        # of the level, so a level error of (4 + 1.28) SE = 0.50 % is detected nine times in ten; the estimator's
        # exact expectation for a white train is checked in test_spectral_exact.py)
        mean_se = float(np.sqrt((interior["power_se"] ** 2).mean() / interior.sizes["frequency"]))
        assert abs(float(interior["power"].mean()) - level) < 4 * mean_se


def test_bernoulli_train_spectrum_has_level_nu_one_minus_p():
    # Bernoulli(p) per step, binned at one step: two-sided level nu (1 - p), not nu
    p, dt = 0.3, 1e-3
    counts = (np.random.default_rng(4).random((20, 1, 100_000)) < p).astype(np.int64)
    result = spectral.power_spectrum(trains_from_step_counts(counts, dt), bin_width=dt, segment=0.256, sides="two")
    interior = result.sel(frequency=slice(2 / 0.256, None))
    level = spectral.poisson_level(p / dt, sides="two", probability=p)
    mean_se = float(np.sqrt((interior["power_se"] ** 2).mean() / interior.sizes["frequency"]))
    # SE measured 0.10 % of the level: power, a level error of (4 + 1.28) SE = 0.53 % is detected nine times in ten
    assert abs(float(interior["power"].mean()) - level) < 4 * mean_se
    assert abs(float(interior["power"].mean()) - p / dt) > 20 * mean_se  # the Poisson level is 427 SE away


def inhomogeneous_poisson(r0, depth, n_trials, n_steps, dt, seed):
    """Counts per step ~ Poisson(r0 (1 + depth s_k) dt), s_k iid uniform with variance 1 (|depth s| < 1)."""
    generator = np.random.default_rng(seed)
    signal = generator.uniform(-np.sqrt(3), np.sqrt(3), (n_trials, n_steps))
    counts = generator.poisson(r0 * (1 + depth * signal) * dt)
    return trains_from_step_counts(counts[:, None, :], dt), signal


def test_inhomogeneous_poisson_has_the_closed_form_coherence():
    # rate r0 (1 + a s), s white with variance 1 per step of dt: S_xs = r0 a dt, S_ss = dt,
    # S_xx = r0 + r0^2 a^2 dt (two-sided), so C = r0 a^2 dt / (1 + r0 a^2 dt) at every frequency
    r0, depth, dt = 300.0, 0.5, 1e-3
    spikes, signal = inhomogeneous_poisson(r0, depth, 50, 40_000, dt, seed=5)
    expected = r0 * depth**2 * dt / (1 + r0 * depth**2 * dt)
    result = spectral.coherence(spikes, signal, bin_width=dt, segment=0.128)
    interior = result.sel(frequency=slice(2 / 0.128, None))
    # SE of the frequency mean: jackknife over groups of segments of the mean coherence
    mean_se = float(_jackknife_se(
        result["coherence_leave_one_out"].sel(frequency=slice(2 / 0.128, None)).mean("frequency").values))
    # SE measured 0.74 % of C: power, an error of (4 + 1.28) SE = 3.9 % of the coherence is detected nine times in
    # ten. Above 1 %, so the estimator is checked exactly in test_spectral_exact.py (its formula by direct sums,
    # the bias correction, jackknife and information bound in closed form, to 1e-10)
    assert abs(float(interior["coherence"].mean()) - expected) < 4 * mean_se
    assert mean_se < 0.03 * expected  # the test resolves a 12 % error
    z = (interior["coherence"] - expected) / interior["coherence_se"]
    assert float(np.abs(z).max()) < 4.5  # 48 frequencies, each within ~4 of its jackknife SE (~5 % of C)
    # and the information bound is the Gaussian-channel rate -log2(1 - C) per Hz up to Nyquist
    information, se = spectral.information_lower_bound(result, cutoff=500.0)
    n_bins = int(((result["frequency"] > 0) & (result["frequency"] <= 500.0)).sum())
    # jackknife SE measured 0.76 % of the bound (0.40 of 52 bits/s): power (4 + 1.28) SE = 4.0 %; exact in
    # test_spectral_exact.py
    assert abs(information - (-np.log2(1 - expected) * n_bins / 0.128)) < 4 * se


def test_independent_train_gives_zero_information():
    # the same train statistics, but a signal drawn independently of the spikes
    spikes, _ = inhomogeneous_poisson(300.0, 0.5, 50, 40_000, 1e-3, seed=6)
    unrelated = np.random.default_rng(7).normal(size=(50, 40_000))
    result = spectral.coherence(spikes, unrelated, bin_width=1e-3, segment=0.128)
    information, se = spectral.information_lower_bound(result, cutoff=500.0)
    # SE: jackknife over 20 groups of segments, 0.010 bits/s; power: a bias of (4 + 1.28) SE = 0.054 bits/s is
    # detected nine times in ten (the uncorrected bound's bias, 0.068 bits/s, is 6.6 SE)
    assert abs(information) < 4 * se
    assert float(result["coherence_raw"].sel(frequency=slice(8, 500)).mean()) > 0.5 / result.attrs["n_segments"]
    # without the correction the bound would be positive: its bias n_bins/(K T ln 2) is sqrt(64) = 8 SE
    raw_bias = float(-np.log2(1 - result["coherence_raw"].sel(frequency=slice(1e-9, 500))).sum() / 0.128)
    assert raw_bias > 4 * se


def test_pooled_readout_sums_the_neurons():
    counts = np.random.default_rng(8).poisson(0.02, size=(4, 3, 8_192))
    spikes = trains_from_step_counts(counts)
    pooled = spectral.power_spectrum(spikes, bin_width=1e-3, segment=0.256, pool="neurons")
    assert pooled.attrs["rate"] == pytest.approx(counts.sum(axis=1).mean() / 1e-3)
    single = spectral.power_spectrum(spikes, bin_width=1e-3, segment=0.256)
    assert single.attrs["rate"] == pytest.approx(counts.mean() / 1e-3)


def test_snr_of_a_periodic_rate_line():
    # rate r0 + r1 sin(2 pi f0 t) with f0 on a bin: the line holds (r1^2/2)/(1.5 df) above the
    # background 2 r0 (Hann equivalent noise bandwidth 1.5 bins); SE: jackknife over 20 groups
    r0, r1, f0, dt, n_steps = 50.0, 20.0, 10.0, 1e-3, 50_000
    time = np.arange(n_steps) * dt
    counts = np.random.default_rng(9).poisson((r0 + r1 * np.sin(2 * np.pi * f0 * time)) * dt, size=(40, 1, n_steps))
    spikes = trains_from_step_counts(counts, dt)
    snr, se = spectral.spectral_snr(spikes, f0, (5.0, 15.0), bin_width=2e-3, segment=1.0)
    expected = 1 + (r1**2 / 2) / (1.5 * 1.0 * 2 * r0)
    # SE measured 1.6 % of the SNR: power, an error of (4 + 1.28) SE = 8.7 % is detected nine times in ten. Above
    # 1 %: the SNR and its jackknife are checked exactly on a line over a background line (Hann closed form)
    # and against direct sums in test_spectral_exact.py
    assert abs(snr - expected) < 4 * se
    assert se < 0.05 * (expected - 1)


def test_bad_arguments_raise():
    spikes = trains_from_step_counts(np.zeros((2, 1, 1000), dtype=np.int64))
    with pytest.raises(ValueError, match="pool"):
        spectral.power_spectrum(spikes, 1e-3, 0.1, pool="trials")
    with pytest.raises(ValueError, match="segment"):
        spectral.power_spectrum(spikes, 1e-3, 2.0)
    with pytest.raises(ValueError, match="bin_width"):
        spectral.power_spectrum(spikes, 1.5e-3, 0.1)
    with pytest.raises(ValueError, match="signal has shape"):
        spectral.coherence(spikes, np.zeros(999), 1e-3, 0.1)
    with pytest.raises(ValueError, match="n_groups"):
        spectral.coherence(spikes, np.zeros(1000), 1e-3, 0.1, n_groups=50)
    with pytest.raises(TypeError, match="coherence_result"):
        spectral.information_lower_bound({"coherence": 1}, 10.0)
    with pytest.raises(TypeError, match="SpikeTrains"):
        spectral.power_spectrum(np.zeros(10), 1e-3, 0.1)
