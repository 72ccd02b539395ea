"""The stochastic-resonance experiment's computations with the simulator stubbed (no kernel compiled): the
models, drives, sizes and seeds it passes to the simulator, every stored statistic recomputed from the stub's
spikes with the documented spectral settings, and its theory values against independent evaluations of the
module docstring's formulas."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from scipy import integrate, stats

import nsnn_sim as ns
from nsnn_sim import theory
from nsnn_sim.analysis import spectral
from nsnn_sim.experiments import stochastic_resonance as sr
from nsnn_sim.spikes import SpikeTrains

SEED = 23  # not the module's SEED, so that the seeds passed on are seen to come from the argument


def _fake_spikes(n_neurons: int, n_steps: int, n_trials: int, seed: int, dt: float) -> SpikeTrains:
    """Uniformly scattered spikes, 30 per (trial, neuron) on average, from ``seed``."""
    generator = np.random.default_rng(seed + 1000)
    count = 30 * n_trials * n_neurons
    return SpikeTrains(generator.integers(0, n_trials, count), generator.integers(0, n_neurons, count),
                       generator.integers(0, n_steps, count), dt=dt, n_trials=n_trials, n_neurons=n_neurons,
                       n_steps=n_steps)


@pytest.fixture(scope="module")
def stochastic_resonance_run():
    """One quick run with ns.simulate replaced by a stub that records its arguments and its spikes."""
    calls = []

    def fake_simulate(model, drive, *, n_neurons, n_steps, n_trials=1, seed):
        spikes = _fake_spikes(n_neurons, n_steps, n_trials, seed, model.dt)
        calls.append(SimpleNamespace(model=model, drive=np.asarray(drive), n_neurons=n_neurons, n_steps=n_steps,
                                     n_trials=n_trials, seed=seed, spikes=spikes))
        return SimpleNamespace(spikes=spikes)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(sr.ns, "simulate", fake_simulate)
        data = sr.run(quick=True, seed=SEED)
    return data, calls


def _one_neuron(spikes: SpikeTrains, neuron: int) -> SpikeTrains:
    keep = spikes.neuron == neuron
    return SpikeTrains(spikes.trial[keep], np.zeros(keep.sum(), np.int64), spikes.step[keep], dt=spikes.dt,
                       n_trials=spikes.n_trials, n_neurons=1, n_steps=spikes.n_steps)


def _snr_rate(spikes: SpikeTrains, frequencies) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The docstring's SNR (bin at f0 over the band f0 +- 1 Hz without f0 +- 0.5 Hz; 4 s segments, 10 ms bins,
    after the 0.2 s warm-up), its SE, and the rate after the warm-up, per neuron."""
    values = []
    for neuron, frequency in enumerate(frequencies):
        train = _one_neuron(spikes, neuron)
        snr, se = spectral.spectral_snr(train, frequency, (frequency - 1, frequency + 1), 0.01, 4.0, t_start=0.2,
                                        exclude=0.5)
        rate = np.sum(train.step >= round(0.2 / spikes.dt)) / (spikes.n_trials * (spikes.duration - 0.2))
        values.append((snr, se, rate))
    return tuple(np.array(column) for column in zip(*values))


def _adiabatic(sigma: float, amplitude: float) -> tuple[float, float]:
    """SNR = 1 + (A dnu/dmu)^2 / (2 * 1.5 df * 2 nu CV^2), df = 1/4 s, dnu/dmu by central differences of 1e-3."""
    rate = theory.siegert_rate(0.8, sigma, 10e-3)
    if rate == 0:
        return 1.0, 0.0
    slope = (theory.siegert_rate(0.801, sigma, 10e-3) - theory.siegert_rate(0.799, sigma, 10e-3)) / 2e-3
    background = 2 * rate * theory.isi_cv(0.8, sigma, 10e-3) ** 2
    return 1 + (amplitude * slope) ** 2 / (2 * 1.5 * 0.25 * background), rate


def test_stochastic_resonance_sinusoid_is_the_documented_signal():
    time = np.arange(500) * 1e-3
    np.testing.assert_allclose(sr.sinusoid(500, 1e-3, 0.8, 0.02), 0.8 + 0.02 * np.sin(4 * np.pi * time),
                               rtol=1e-15, atol=1e-15)
    assert sr.sinusoid(500, 1e-3, 0.8, 0.02).shape == (500,)
    both = sr.sinusoid(500, 1e-3, 0.4, np.array([0.1, 0.2]), np.array([3.0, 7.0]))
    expected = 0.4 + np.array([0.1, 0.2]) * np.sin(2 * np.pi * np.array([3.0, 7.0]) * time[:, None])
    np.testing.assert_allclose(both, expected, rtol=1e-15, atol=1e-15)


def test_stochastic_resonance_adiabatic_snr_is_the_docstrings_formula():
    assert sr.adiabatic_snr(0.005) == (1.0, 0.0)  # no firing, no line
    for sigma, amplitude in ((0.07, 0.02), (0.1, 0.2), (0.3, 0.02), (1.0, 0.05)):
        assert sr.adiabatic_snr(sigma, amplitude) == pytest.approx(_adiabatic(sigma, amplitude), rel=1e-12)


def test_stochastic_resonance_population_theory_is_the_orthant_and_stein_coherence():
    """C of N summed units H(x + eps_k) with the signal x: Cov(H, x) = E[x Phi(x / sigma)] and the pair
    probability P(both fire) by quadrature, C = N^2 Cov(H, x)^2 / (s_x^2 Var(sum H))."""
    s_x = sr.POPULATION_SIGNAL_SD
    for sigma in (0.0, 0.05, 0.2, 1.0):
        if sigma == 0:
            cov, both = s_x / np.sqrt(2 * np.pi), 0.5
        else:
            cov = integrate.quad(lambda x: x * stats.norm.pdf(x, 0, s_x) * stats.norm.cdf(x / sigma), -np.inf,
                                 np.inf, epsabs=1e-14)[0]
            rho = s_x**2 / (s_x**2 + sigma**2)
            both = integrate.quad(lambda u: stats.norm.pdf(u) * stats.norm.cdf(rho * u / np.sqrt(1 - rho**2)), 0,
                                  np.inf, epsabs=1e-14)[0]
        for n_units in (1, 4, 64):
            variance = n_units / 4 + n_units * (n_units - 1) * (both - 0.25)
            expected = n_units**2 * cov**2 / (s_x**2 * variance)
            assert sr.population_coherence_theory(n_units, sigma) == pytest.approx(expected, rel=1e-9)


def test_stochastic_resonance_band_limited_signal_is_its_random_spectrum():
    generator = np.random.default_rng(8)
    n_steps, dt = 6000, 2e-4
    band = (np.fft.rfftfreq(n_steps, dt) > 0) & (np.fft.rfftfreq(n_steps, dt) <= 20.0)
    real, imaginary = generator.normal(size=(2, band.sum())), generator.normal(size=(2, band.sum()))
    spectrum = np.zeros((2, band.size), complex)
    spectrum[:, band] = real + 1j * imaginary
    expected = np.fft.irfft(spectrum, n_steps, axis=1)
    expected *= 0.05 / expected.std(axis=1, keepdims=True)
    np.testing.assert_allclose(sr.band_limited_signal(2, n_steps, dt, 8), expected, rtol=1e-12, atol=1e-15)


def test_stochastic_resonance_periodic_part_simulates_and_measures_as_documented(stochastic_resonance_run):
    data, calls = stochastic_resonance_run
    lif, *nsnn = calls[:4]
    # the LIF: tau 10 ms, dt 0.1 ms, bridge crossing, Euler; 60 trials of 20.2 s (quick) with drive 0.8 + 0.02 sin
    expected = ns.LIF(tau=10e-3, sigma=sr.LIF_SIGMAS, dt=1e-4, threshold_crossing="bridge", method="euler")
    assert repr(lif.model) == repr(expected)
    assert (lif.n_neurons, lif.n_steps, lif.n_trials, lif.seed) == (13, 202_000, 60, SEED)
    time = np.arange(202_000) * 1e-4
    np.testing.assert_allclose(lif.drive, np.repeat((0.8 + 0.02 * np.sin(4 * np.pi * time))[:, None], 13, axis=1),
                               rtol=1e-15, atol=1e-15)
    snr, se, rate = _snr_rate(lif.spikes, np.full(13, 2.0))
    np.testing.assert_allclose(data["lif_snr"], snr, rtol=1e-12)
    np.testing.assert_allclose(data["lif_snr_se"], se, rtol=1e-12)
    np.testing.assert_allclose(data["lif_rate"], rate, rtol=1e-12)
    np.testing.assert_array_equal(data["lif_sigma"], sr.LIF_SIGMAS)
    points = np.array([_adiabatic(sigma, 0.02) for sigma in sr.LIF_SIGMAS])
    np.testing.assert_allclose(data["lif_snr_theory"], points[:, 0], rtol=1e-12)
    np.testing.assert_allclose(data["lif_rate_theory"], points[:, 1], rtol=1e-12)
    np.testing.assert_array_equal(data["lif_linear_response_range"], points[:, 1] >= 5.0)
    fine = np.geomspace(0.045, 1.0, 50)
    np.testing.assert_allclose(data["lif_sigma_fine"], fine, rtol=1e-15)
    np.testing.assert_allclose(data["lif_snr_theory_fine"], [_adiabatic(s, 0.02)[0] for s in fine], rtol=1e-12)
    # the NSNN, beta 0.5, dt 1 ms: drive 0.4 + 0.01 sin (membrane-equivalent mu 0.8, A 0.02); seeds seed + 1, 2, 3
    time = np.arange(20_200) * 1e-3
    for index, (call, (name, (family, firing, scales))) in enumerate(zip(nsnn, sr.NSNN_FAMILIES.items())):
        key = name.replace(" ", "_")
        model = ns.NSNN(beta=0.5, noise=family, noise_scale=scales, firing=firing, dt=1e-3)
        assert repr(call.model) == repr(model)
        assert (call.n_neurons, call.n_steps, call.n_trials, call.seed) == (scales.size, 20_200, 60, SEED + 1 + index)
        np.testing.assert_allclose(call.drive, np.repeat((0.4 + 0.01 * np.sin(4 * np.pi * time))[:, None],
                                                         scales.size, axis=1), rtol=1e-15, atol=1e-15)
        snr, se, rate = _snr_rate(call.spikes, np.full(scales.size, 2.0))
        np.testing.assert_allclose(data[f"nsnn_{key}_snr"], snr, rtol=1e-12)
        np.testing.assert_allclose(data[f"nsnn_{key}_snr_se"], se, rtol=1e-12)
        np.testing.assert_allclose(data[f"nsnn_{key}_rate"], rate, rtol=1e-12)
        np.testing.assert_array_equal(data[f"{key}_scale"], scales)
    assert (data.attrs["periodic_n_trials"], data.attrs["periodic_duration_s"]) == (60, 20.0)


def test_stochastic_resonance_limit_part_sweeps_amplitude_and_frequency_at_sigma_0_1(stochastic_resonance_run):
    data, calls = stochastic_resonance_run
    call = calls[4]
    expected = ns.LIF(tau=10e-3, sigma=0.1, dt=1e-4, threshold_crossing="bridge", method="euler")
    assert repr(call.model) == repr(expected)
    # amplitudes 0.02-0.2 at 2 Hz, then 5-40 Hz at A = 0.02; 30 trials of 20.2 s, seed + 5
    amplitudes = np.array([0.02, 0.05, 0.1, 0.2, 0.02, 0.02, 0.02, 0.02])
    frequencies = np.array([2.0, 2.0, 2.0, 2.0, 5.0, 10.0, 20.0, 40.0])
    assert (call.n_neurons, call.n_steps, call.n_trials, call.seed) == (8, 202_000, 30, SEED + 5)
    time = np.arange(202_000)[:, None] * 1e-4
    np.testing.assert_allclose(call.drive, 0.8 + amplitudes * np.sin(2 * np.pi * frequencies * time), rtol=1e-15,
                               atol=1e-15)
    snr, se, _ = _snr_rate(call.spikes, frequencies)
    np.testing.assert_allclose(data["limit_snr"], snr, rtol=1e-12)
    np.testing.assert_allclose(data["limit_snr_se"], se, rtol=1e-12)
    np.testing.assert_allclose(data["limit_snr_theory"], [_adiabatic(0.1, a)[0] for a in amplitudes], rtol=1e-12)
    np.testing.assert_array_equal(data["limit_amplitude"], amplitudes)
    np.testing.assert_array_equal(data["limit_frequency"], frequencies)
    assert (data.attrs["limit_sigma"], data.attrs["limit_n_trials"]) == (0.1, 30)


def test_stochastic_resonance_aperiodic_part_measures_coherence_with_its_signal(stochastic_resonance_run):
    data, calls = stochastic_resonance_run
    aperiodic = calls[5:5 + sr.APERIODIC_SIGMAS.size]
    # 20 trials of 10.2 s at dt 0.2 ms; the signal from seed + 10, the trains from seed + 20 + index
    signal = sr.band_limited_signal(20, 51_000, 2e-4, SEED + 10)
    assert data.attrs["aperiodic_signal_seed"] == SEED + 10
    for index, (call, sigma) in enumerate(zip(aperiodic, sr.APERIODIC_SIGMAS)):
        expected = ns.LIF(tau=10e-3, sigma=sigma, dt=2e-4, threshold_crossing="bridge", method="euler")
        assert repr(call.model) == repr(expected)
        assert (call.n_neurons, call.n_steps, call.n_trials, call.seed) == (1, 51_000, 20, SEED + 20 + index)
        np.testing.assert_array_equal(call.drive, 0.8 + signal[:, :, None])
        result = spectral.coherence(call.spikes, signal, bin_width=5e-3, segment=1.0, t_start=0.2)
        information, information_se = spectral.information_lower_bound(result, 20.0)
        row = data.isel(aperiodic_sigma=index)
        assert float(row["aperiodic_information"]) == pytest.approx(information, rel=1e-12)
        assert float(row["aperiodic_information_se"]) == pytest.approx(information_se, rel=1e-12)
        band = result["frequency"].values <= 40.0
        np.testing.assert_allclose(row["aperiodic_coherence"], result["coherence"].values[band], rtol=1e-12)
        np.testing.assert_allclose(row["aperiodic_coherence_se"], result["coherence_se"].values[band], rtol=1e-12)
        after = np.sum(call.spikes.step >= 1000)  # after the 0.2 s warm-up
        assert float(row["aperiodic_rate"]) == pytest.approx(after / (20 * 10.0), rel=1e-12)
    np.testing.assert_allclose(data["aperiodic_frequency"], np.arange(41.0), rtol=1e-12)
    assert (data.attrs["aperiodic_n_trials"], data.attrs["aperiodic_duration_s"]) == (20, 10.0)


def test_stochastic_resonance_population_part_sums_threshold_units(stochastic_resonance_run):
    data, calls = stochastic_resonance_run
    population = calls[5 + sr.APERIODIC_SIGMAS.size:]
    assert len(population) == sr.POPULATION_SIGMAS.size == 9
    # 32768 steps of 1 ms (quick), 64 units; the signal (SD 0.2) from seed + 30, the noise from seed + 40 + k
    signal = np.random.default_rng(SEED + 30).normal(0.0, 0.2, 32_768)
    assert data.attrs["population_signal_seed"] == SEED + 30
    for k, (call, sigma) in enumerate(zip(population, sr.POPULATION_SIGMAS)):
        expected = (ns.NSNN(beta=0.0, noise="none", dt=1e-3) if sigma == 0 else
                    ns.NSNN(beta=0.0, noise="gaussian", noise_scale=sigma, dt=1e-3))
        assert repr(call.model) == repr(expected)
        assert (call.n_neurons, call.n_steps, call.n_trials, call.seed) == (64, 32_768, 1, SEED + 40 + k)
        np.testing.assert_array_equal(call.drive, np.repeat((1.0 + signal)[:, None], 64, axis=1))
        for size in (1, 4, 16, 64):
            keep = call.spikes.neuron < size
            first = SpikeTrains(call.spikes.trial[keep], call.spikes.neuron[keep], call.spikes.step[keep], dt=1e-3,
                                n_trials=1, n_neurons=size, n_steps=32_768)
            result = spectral.coherence(first, signal, bin_width=1e-3, segment=0.128, pool="neurons")
            information, information_se = spectral.information_lower_bound(result, 500.0)
            cell = data.sel(population_size=size, population_sigma=sigma)
            assert float(cell["population_information"]) == pytest.approx(information, rel=1e-12)
            assert float(cell["population_information_se"]) == pytest.approx(information_se, rel=1e-12)
            closed_form = -500 * np.log2(1 - sr.population_coherence_theory(size, sigma))
            assert float(cell["population_information_theory"]) == pytest.approx(closed_form, rel=1e-12)
    assert (data.attrs["population_n_steps"], data.attrs["population_signal_sd"]) == (32_768, 0.2)


def test_stochastic_resonance_run_stores_its_settings(stochastic_resonance_run):
    data, _ = stochastic_resonance_run
    expected = {"seed": SEED, "quick": 1, "lif_tau": 10e-3, "mu": 0.8, "amplitude": 0.02, "signal_frequency": 2.0,
                "segment_s": 4.0, "bin_width_s": 0.01, "background_band_hz": [1.0, 3.0], "exclude_hz": 0.5,
                "linear_response_min_rate_hz": 5.0, "aperiodic_signal_sd": 0.05, "aperiodic_cutoff_hz": 20.0}
    assert {key: data.attrs[key] for key in expected} == expected


class _Stop(Exception):
    """Raised by the stub after recording the first simulation of a part."""


def test_stochastic_resonance_full_runs_have_the_documented_sizes(monkeypatch):
    """Without --quick: 200 trials of 80.2 s (periodic), 100 of 40.2 s (limit), 60 of 40.2 s (aperiodic), 262144
    steps (population); each part's first simulation recorded, then stopped."""
    calls = []

    def fake_simulate(model, drive, *, n_neurons, n_steps, n_trials=1, seed):
        calls.append((n_neurons, n_steps, n_trials, seed, np.shape(drive)))
        raise _Stop

    monkeypatch.setattr(sr.ns, "simulate", fake_simulate)
    for part in (sr.periodic_part, sr.linear_response_limit_part, sr.aperiodic_part, sr.population_part):
        with pytest.raises(_Stop):
            part(False, SEED)
    assert calls == [(13, 802_000, 200, SEED, (802_000, 13)), (8, 402_000, 100, SEED + 5, (402_000, 8)),
                     (1, 201_000, 60, SEED + 20, (60, 201_000, 1)), (64, 262_144, 1, SEED + 40, (262_144, 64))]
