"""Stochastic resonance: noise that helps a neuron transmit a signal -> results/stochastic_resonance.nc.

Three parts, every statistic from :mod:`nsnn_sim.analysis.spectral`:

1. ``periodic``: a sub-threshold input ``mu + A sin(2 pi f0 t)`` (``mu = 0.8 < theta = 1``,
   ``A = 0.02``, ``f0 = 2 Hz``) to the noisy LIF (``tau`` 10 ms, Brownian-bridge crossing) and to the
   NSNN (``beta`` 0.5, drive ``0.4 + 0.01 sin``: the same membrane-equivalent ``mu = 0.8``, ``A = 0.02``)
   with three noise families, the noise swept from far below to far above the optimum. The SNR is
   defined before measuring: the one-sided Welch power in the bin at ``f0`` over the mean power in the
   background band 1-3 Hz without the bins within 0.5 Hz of ``f0``, at a resolution of 0.25 Hz (4 s
   Hann segments, 10 ms bins) (:func:`nsnn_sim.analysis.spectral.spectral_snr`). The LIF's adiabatic
   linear-response prediction: the rate follows ``nu(mu + A sin)``, a line of ``(A dnu/dmu)^2/2``
   (``dnu/dmu`` from :func:`nsnn_sim.theory.siegert_rate` by central differences) over the renewal
   background ``2 nu CV^2`` (:func:`nsnn_sim.theory.isi_cv`), so
   ``SNR = 1 + (A dnu/dmu)^2 / (2 * 1.5 df * 2 nu CV^2)`` (Hann: 1.5 bins of equivalent noise bandwidth).
   Linear-response range, fixed before measuring: the sigmas whose stationary Siegert rate is >= 5 Hz.
   Where it stops holding: at sigma 0.1, amplitudes 0.02 to 0.2 (2 Hz) and frequencies 5 to 40 Hz
   (A = 0.02; background band ``f0 +- 1`` Hz) against the same prediction.
2. ``aperiodic``: the LIF at ``mu = 0.8`` with a weak Gaussian signal, flat from 0 to 20 Hz, SD 0.05;
   the bias-corrected coherence between train and signal and the information lower bound ``I_LB``
   (:func:`nsnn_sim.analysis.spectral.information_lower_bound`) up to 20 Hz, against sigma.
3. ``population``: suprathreshold stochastic resonance (Stocks 2000). ``N`` = 1, 4, 16, 64 threshold
   units (NSNN with ``beta = 0``: ``s = H(1 + x_k + eps_k - 1)``), the same signal ``x_k`` (white
   Gaussian, SD 0.2 per 1 ms step, mean at threshold) and independent Gaussian noise, summed onto one
   readout; ``I_LB`` of the readout up to the Nyquist frequency (500 Hz). Closed form for white signal and
   noise: ``C = 2 N rho / (pi + 2 (N - 1) arcsin rho)``, ``rho = s_x^2/(s_x^2 + sigma^2)``, at every
   frequency, so ``I = -500 log2(1 - C)`` bits/s (``Cov(H, x)`` by Stein's lemma, ``Cov(H_i, H_j)``
   from the bivariate normal orthant probability).

    python analyses/stochastic_resonance.py [--quick] [--out results/stochastic_resonance.nc]

References: Gammaitoni et al. (1998), Rev Mod Phys 70:223; Stocks (2000), Phys Rev Lett 84:2310;
Gabbiani & Koch (1998); Borst & Theunissen (1999), Nat Neurosci 2:947.

Examples
--------
>>> from nsnn_sim.experiments import get
>>> experiment = get('stochastic_resonance')
>>> experiment.description
'Stochastic resonance: periodic SNR, aperiodic information and suprathreshold SR in populations.'
>>> experiment.seed, experiment.module.__name__
(17, 'nsnn_sim.experiments.stochastic_resonance')
"""

from __future__ import annotations

import numpy as np
import xarray as xr

import nsnn_sim as ns
from nsnn_sim._core.log import get_logger
from nsnn_sim._core.version import provenance
from nsnn_sim.analysis import spectral

_log = get_logger(__name__)

DESCRIPTION = "Stochastic resonance: periodic SNR, aperiodic information and suprathreshold SR in populations."
SEED = 17
ORDER = 25

LIF_TAU, LIF_DT, MU, AMPLITUDE, SIGNAL_FREQUENCY = 10e-3, 1e-4, 0.8, 0.02, 2.0
SEGMENT, BIN, BACKGROUND, EXCLUDE = 4.0, 0.01, (1.0, 3.0), 0.5
LINEAR_RESPONSE_MIN_RATE = 5.0  # Hz: the linear-response range, fixed before measuring
WARMUP = 0.2
LIMIT_SIGMA = 0.1  # where the linear response stops holding: amplitude and frequency swept at this sigma
LIMIT_AMPLITUDES = np.array([0.02, 0.05, 0.1, 0.2])  # at f0 = 2 Hz
LIMIT_FREQUENCIES = np.array([5.0, 10.0, 20.0, 40.0])  # at A = 0.02
LIF_SIGMAS = np.array([0.05, 0.06, 0.07, 0.085, 0.1, 0.12, 0.14, 0.17, 0.2, 0.3, 0.45, 0.7, 1.0])
NSNN_BETA, NSNN_DT = 0.5, 1e-3
NSNN_FAMILIES = {  # name -> (family, firing, noise scales)
    "gaussian membrane": ("gaussian", "membrane", np.array([0.05, 0.06, 0.07, 0.1, 0.15, 0.2, 0.3, 0.5, 0.8])),
    "logistic escape": ("logistic", "escape", np.array([0.03, 0.04, 0.05, 0.07, 0.1, 0.15, 0.3, 0.5, 0.8])),
    "triangular membrane": ("triangular", "membrane", np.array([0.14, 0.17, 0.2, 0.3, 0.4, 0.6, 1.0, 1.6, 2.4])),
}
APERIODIC_SD, APERIODIC_CUTOFF, APERIODIC_DT = 0.05, 20.0, 2e-4
APERIODIC_SIGMAS = np.array([0.04, 0.06, 0.08, 0.1, 0.14, 0.2, 0.3, 0.5, 0.8])
POPULATION_SIZES = np.array([1, 4, 16, 64])
POPULATION_SIGNAL_SD = 0.2
POPULATION_SIGMAS = np.array([0.0, 0.05, 0.1, 0.15, 0.2, 0.3, 0.4, 0.6, 1.0])


def neuron_trains(spikes, neurons) -> ns.SpikeTrains:
    """The trains of the neurons ``neurons`` (renumbered 0, 1, ...) of ``spikes``."""
    neurons = np.asarray(neurons)
    lookup = np.full(spikes.n_neurons, -1)
    lookup[neurons] = np.arange(neurons.size)
    keep = lookup[spikes.neuron] >= 0
    return ns.SpikeTrains(spikes.trial[keep], lookup[spikes.neuron[keep]], spikes.step[keep], dt=spikes.dt,
                          n_trials=spikes.n_trials, n_neurons=neurons.size, n_steps=spikes.n_steps)


def sinusoid(n_steps: int, dt: float, mean: float, amplitude, frequency=SIGNAL_FREQUENCY) -> np.ndarray:
    """``mean + A sin(2 pi f t)``, shape ``(n_steps,)``, or ``(n_steps, n)`` for arrays of ``A`` and ``f``."""
    time = np.arange(n_steps)[:, None] * dt
    values = mean + np.atleast_1d(amplitude) * np.sin(2 * np.pi * np.atleast_1d(frequency) * time)
    return values[:, 0] if np.ndim(amplitude) == 0 and np.ndim(frequency) == 0 else values


def snr_per_neuron(spikes, frequencies=None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """SNR and its SE (the stated definition; the background band is ``f0 - 1`` to ``f0 + 1`` Hz) and the rate
    of every neuron of ``spikes`` after WARMUP; ``frequencies``: each neuron's ``f0`` (default 2 Hz)."""
    snr, se, rate = [], [], []
    for neuron in range(spikes.n_neurons):
        train = neuron_trains(spikes, [neuron])
        frequency = SIGNAL_FREQUENCY if frequencies is None else float(frequencies[neuron])
        band = (frequency + BACKGROUND[0] - SIGNAL_FREQUENCY, frequency + BACKGROUND[1] - SIGNAL_FREQUENCY)
        value, error = spectral.spectral_snr(train, frequency, band, BIN, SEGMENT, t_start=WARMUP,
                                             exclude=EXCLUDE)
        snr.append(value)
        se.append(error)
        rate.append(len(train.crop(WARMUP)) / (spikes.n_trials * (spikes.duration - WARMUP)))
    return np.array(snr), np.array(se), np.array(rate)


def adiabatic_snr(sigma: float, amplitude: float = AMPLITUDE) -> tuple[float, float]:
    """Adiabatic linear-response SNR of the LIF and its stationary Siegert rate (module docstring); the same
    at every signal frequency (the adiabatic limit)."""
    step = 1e-3
    rate = ns.theory.siegert_rate(MU, sigma, LIF_TAU)
    slope = (ns.theory.siegert_rate(MU + step, sigma, LIF_TAU) - ns.theory.siegert_rate(MU - step, sigma, LIF_TAU)) / (
        2 * step)
    if rate == 0.0:
        return 1.0, 0.0
    background = 2 * rate * ns.theory.isi_cv(MU, sigma, LIF_TAU) ** 2
    return 1 + (amplitude * slope) ** 2 / 2 / (1.5 / SEGMENT * background), rate


def periodic_part(quick: bool, seed: int) -> xr.Dataset:
    n_trials, duration = (60, 20.0) if quick else (200, 80.0)
    n_steps = int(round((WARMUP + duration) / LIF_DT))
    model = ns.LIF(tau=LIF_TAU, sigma=LIF_SIGMAS, dt=LIF_DT, threshold_crossing="bridge", method="euler")
    drive = np.repeat(sinusoid(n_steps, LIF_DT, MU, AMPLITUDE)[:, None], LIF_SIGMAS.size, axis=1)
    spikes = ns.simulate(model, drive, n_neurons=LIF_SIGMAS.size, n_steps=n_steps, n_trials=n_trials,
                         seed=seed).spikes
    del drive
    snr, se, rate = snr_per_neuron(spikes)
    fine = np.geomspace(0.045, 1.0, 50)
    theory_fine = np.array([adiabatic_snr(sigma) for sigma in fine])
    theory_points = np.array([adiabatic_snr(sigma) for sigma in LIF_SIGMAS])
    in_range = theory_points[:, 1] >= LINEAR_RESPONSE_MIN_RATE
    variables = {
        "lif_snr": ("lif_sigma", snr), "lif_snr_se": ("lif_sigma", se),
        "lif_rate": ("lif_sigma", rate, {"units": "Hz"}),
        "lif_snr_theory": ("lif_sigma", theory_points[:, 0]),
        "lif_rate_theory": ("lif_sigma", theory_points[:, 1], {"units": "Hz"}),
        "lif_linear_response_range": ("lif_sigma", in_range),
        "lif_snr_theory_fine": ("lif_sigma_fine", theory_fine[:, 0]),
    }
    coords = {"lif_sigma": LIF_SIGMAS, "lif_sigma_fine": fine}
    n_steps = int(round((WARMUP + duration) / NSNN_DT))
    drive_nsnn = sinusoid(n_steps, NSNN_DT, MU * (1 - NSNN_BETA), AMPLITUDE * (1 - NSNN_BETA))
    for index, (name, (family, firing, scales)) in enumerate(NSNN_FAMILIES.items()):
        key = name.replace(" ", "_")
        model = ns.NSNN(beta=NSNN_BETA, noise=family, noise_scale=scales, firing=firing, dt=NSNN_DT)
        spikes = ns.simulate(model, np.repeat(drive_nsnn[:, None], scales.size, axis=1), n_neurons=scales.size,
                             n_steps=n_steps, n_trials=n_trials, seed=seed + 1 + index).spikes
        snr, se, rate = snr_per_neuron(spikes)
        variables.update({f"nsnn_{key}_snr": (f"{key}_scale", snr), f"nsnn_{key}_snr_se": (f"{key}_scale", se),
                          f"nsnn_{key}_rate": (f"{key}_scale", rate, {"units": "Hz"})})
        coords[f"{key}_scale"] = scales
    return xr.Dataset(variables, coords=coords, attrs={"periodic_n_trials": n_trials, "periodic_duration_s": duration})


def linear_response_limit_part(quick: bool, seed: int) -> xr.Dataset:
    """The LIF at sigma = LIMIT_SIGMA with larger amplitudes (2 Hz) and higher frequencies (A = 0.02): where the
    adiabatic linear-response prediction stops holding."""
    n_trials, duration = (30, 20.0) if quick else (100, 40.0)
    n_steps = int(round((WARMUP + duration) / LIF_DT))
    amplitudes = np.concatenate([LIMIT_AMPLITUDES, np.full(LIMIT_FREQUENCIES.size, AMPLITUDE)])
    frequencies = np.concatenate([np.full(LIMIT_AMPLITUDES.size, SIGNAL_FREQUENCY), LIMIT_FREQUENCIES])
    model = ns.LIF(tau=LIF_TAU, sigma=LIMIT_SIGMA, dt=LIF_DT, threshold_crossing="bridge", method="euler")
    spikes = ns.simulate(model, sinusoid(n_steps, LIF_DT, MU, amplitudes, frequencies), n_neurons=amplitudes.size,
                         n_steps=n_steps, n_trials=n_trials, seed=seed + 5).spikes
    snr, se, _ = snr_per_neuron(spikes, frequencies)
    theory = np.array([adiabatic_snr(LIMIT_SIGMA, amplitude)[0] for amplitude in amplitudes])
    return xr.Dataset({"limit_snr": ("limit_condition", snr), "limit_snr_se": ("limit_condition", se),
                       "limit_snr_theory": ("limit_condition", theory)},
                      coords={"limit_amplitude": ("limit_condition", amplitudes),
                              "limit_frequency": ("limit_condition", frequencies, {"units": "Hz"})},
                      attrs={"limit_sigma": LIMIT_SIGMA, "limit_n_trials": n_trials})


def band_limited_signal(n_trials: int, n_steps: int, dt: float, seed: int) -> np.ndarray:
    """Gaussian signals with a flat spectrum from 0 to APERIODIC_CUTOFF (random phases), SD APERIODIC_SD."""
    generator = np.random.default_rng(seed)
    frequency = np.fft.rfftfreq(n_steps, dt)
    band = (frequency > 0) & (frequency <= APERIODIC_CUTOFF)
    spectrum = np.zeros((n_trials, frequency.size), complex)
    shape = (n_trials, int(band.sum()))
    spectrum[:, band] = generator.normal(size=shape) + 1j * generator.normal(size=shape)
    signal = np.fft.irfft(spectrum, n_steps, axis=1)
    return signal * (APERIODIC_SD / signal.std(axis=1, keepdims=True))


def aperiodic_part(quick: bool, seed: int) -> xr.Dataset:
    """The LIF's coherence with a band-limited signal and its information bound, at every APERIODIC_SIGMAS:
    60 trials of 40 s (quick: 20 of 10 s) after WARMUP; the signal from seed ``seed + 10``, the trains from
    ``seed + 20 + index``."""
    n_trials, duration = (20, 10.0) if quick else (60, 40.0)
    n_steps = int(round((WARMUP + duration) / APERIODIC_DT))
    signal_seed = seed + 10
    signal = band_limited_signal(n_trials, n_steps, APERIODIC_DT, signal_seed)
    information, information_se, coherence, coherence_se, rate = [], [], [], [], []
    for index, sigma in enumerate(APERIODIC_SIGMAS):
        model = ns.LIF(tau=LIF_TAU, sigma=sigma, dt=APERIODIC_DT, threshold_crossing="bridge", method="euler")
        spikes = ns.simulate(model, (MU + signal)[:, :, None], n_neurons=1, n_steps=n_steps, n_trials=n_trials,
                             seed=seed + 20 + index).spikes
        result = spectral.coherence(spikes, signal, bin_width=5e-3, segment=1.0, t_start=WARMUP)
        value, error = spectral.information_lower_bound(result, APERIODIC_CUTOFF)
        information.append(value)
        information_se.append(error)
        band = result.sel(frequency=slice(0, 2 * APERIODIC_CUTOFF))
        coherence.append(band["coherence"].values)
        coherence_se.append(band["coherence_se"].values)
        rate.append(len(spikes.crop(WARMUP)) / (n_trials * duration))
    return xr.Dataset(
        {"aperiodic_information": ("aperiodic_sigma", np.array(information), {"units": "bit/s"}),
         "aperiodic_information_se": ("aperiodic_sigma", np.array(information_se), {"units": "bit/s"}),
         "aperiodic_coherence": (("aperiodic_sigma", "aperiodic_frequency"), np.array(coherence)),
         "aperiodic_coherence_se": (("aperiodic_sigma", "aperiodic_frequency"), np.array(coherence_se)),
         "aperiodic_rate": ("aperiodic_sigma", np.array(rate), {"units": "Hz"})},
        coords={"aperiodic_sigma": APERIODIC_SIGMAS,
                "aperiodic_frequency": ("aperiodic_frequency", band["frequency"].values, {"units": "Hz"})},
        attrs={"aperiodic_n_trials": n_trials, "aperiodic_duration_s": duration, "aperiodic_signal_seed": signal_seed})


def population_coherence_theory(n_units: int, sigma: float) -> float:
    """Coherence of N summed threshold units with white Gaussian signal and noise (module docstring)."""
    rho = POPULATION_SIGNAL_SD**2 / (POPULATION_SIGNAL_SD**2 + sigma**2)
    return 2 * n_units * rho / (np.pi + 2 * (n_units - 1) * np.arcsin(rho))


def population_part(quick: bool, seed: int) -> xr.Dataset:
    """The information bound of N summed threshold units (module docstring) at every POPULATION_SIGMAS: 262144
    steps (quick: 32768); the signal from seed ``seed + 30``, the units' noise from ``seed + 40 + index``."""
    n_steps = 32_768 if quick else 262_144
    n_units = int(POPULATION_SIZES.max())
    signal_seed = seed + 30
    signal = np.random.default_rng(signal_seed).normal(0.0, POPULATION_SIGNAL_SD, n_steps)
    drive = np.repeat((1.0 + signal)[:, None], n_units, axis=1)
    information = np.zeros((POPULATION_SIZES.size, POPULATION_SIGMAS.size))
    information_se = np.zeros_like(information)
    for k, sigma in enumerate(POPULATION_SIGMAS):
        model = (ns.NSNN(beta=0.0, noise="none", dt=NSNN_DT) if sigma == 0
                 else ns.NSNN(beta=0.0, noise="gaussian", noise_scale=sigma, dt=NSNN_DT))
        spikes = ns.simulate(model, drive, n_neurons=n_units, n_steps=n_steps, seed=seed + 40 + k).spikes
        for j, size in enumerate(POPULATION_SIZES):
            result = spectral.coherence(neuron_trains(spikes, np.arange(size)), signal, bin_width=NSNN_DT,
                                        segment=0.128, pool="neurons")
            information[j, k], information_se[j, k] = spectral.information_lower_bound(result, 0.5 / NSNN_DT)
    theory = np.array([[-0.5 / NSNN_DT * np.log2(1 - population_coherence_theory(size, sigma))
                        for sigma in POPULATION_SIGMAS] for size in POPULATION_SIZES])
    return xr.Dataset(
        {"population_information": (("population_size", "population_sigma"), information, {"units": "bit/s"}),
         "population_information_se": (("population_size", "population_sigma"), information_se, {"units": "bit/s"}),
         "population_information_theory": (("population_size", "population_sigma"), theory, {"units": "bit/s"})},
        coords={"population_size": POPULATION_SIZES, "population_sigma": POPULATION_SIGMAS},
        attrs={"population_n_steps": n_steps, "population_signal_sd": POPULATION_SIGNAL_SD,
               "population_signal_seed": signal_seed})


def run(quick: bool = False, seed: int = SEED) -> xr.Dataset:
    dataset = xr.merge([periodic_part(quick, seed), linear_response_limit_part(quick, seed),
                        aperiodic_part(quick, seed), population_part(quick, seed)],
                       combine_attrs="drop_conflicts")
    dataset.attrs.update({"seed": seed, "quick": int(quick), **provenance(), "lif_tau": LIF_TAU, "mu": MU,
                          "amplitude": AMPLITUDE, "signal_frequency": SIGNAL_FREQUENCY, "segment_s": SEGMENT,
                          "bin_width_s": BIN, "background_band_hz": list(BACKGROUND), "exclude_hz": EXCLUDE,
                          "linear_response_min_rate_hz": LINEAR_RESPONSE_MIN_RATE,
                          "aperiodic_signal_sd": APERIODIC_SD, "aperiodic_cutoff_hz": APERIODIC_CUTOFF,
                          "description": DESCRIPTION})
    for line in summary(dataset):
        _log.info(line)
    return dataset


# ------------------------------------------------------------------ numbers for the note and the report
def _snr_curves(data: xr.Dataset):
    """(label, noise values, snr, se) for the LIF and each NSNN family."""
    yield "LIF", data["lif_sigma"].values, data["lif_snr"].values, data["lif_snr_se"].values
    for name in NSNN_FAMILIES:
        key = name.replace(" ", "_")
        yield (f"NSNN {name}", data[f"{key}_scale"].values, data[f"nsnn_{key}_snr"].values,
               data[f"nsnn_{key}_snr_se"].values)


def _z(a, a_se, b, b_se) -> float:
    return float((a - b) / np.hypot(a_se, b_se))


def summary(data: xr.Dataset) -> list[str]:
    lines = []
    for label, noise, snr, se in _snr_curves(data):
        best = int(np.nanargmax(snr))
        low, high = _z(snr[best], se[best], snr[0], se[0]), _z(snr[best], se[best], snr[-1], se[-1])
        lines.append(f"periodic SR, {label}: SNR {snr[best]:.3f} +- {se[best]:.3f} at noise {noise[best]:g}; "
                     f"smallest noise {noise[0]:g}: {snr[0]:.3f} +- {se[0]:.3f} ({low:.1f} SE below), "
                     f"largest {noise[-1]:g}: {snr[-1]:.3f} +- {se[-1]:.3f} ({high:.1f} SE below)")
    z = (data["lif_snr"] - data["lif_snr_theory"]) / data["lif_snr_se"]
    in_range = data["lif_linear_response_range"].values
    lines.append("LIF adiabatic linear response (f 2 Hz, A 0.02), (sim - theory)/SE per sigma: " + ", ".join(
        f"{sigma:g}{'*' if inside else ''}: {value:+.1f}" for sigma, value, inside in
        zip(data["lif_sigma"].values, z.values, in_range)) +
        f" (* = range fixed before measuring, Siegert rate >= {LINEAR_RESPONSE_MIN_RATE:g} Hz; "
        f"max |z| inside {float(np.abs(z.values[in_range]).max()):.1f})")
    limit_z = (data["limit_snr"] - data["limit_snr_theory"]) / data["limit_snr_se"]
    lines.append(f"beyond it, LIF at sigma {data.attrs['limit_sigma']:g}, (sim - theory)/SE: " + ", ".join(
        f"A {a:g}, f {f:g} Hz: SNR {v:.3f} +- {e:.3f} vs {t:.3f} ({z:+.1f})" for a, f, v, e, t, z in
        zip(data["limit_amplitude"].values, data["limit_frequency"].values, data["limit_snr"].values,
            data["limit_snr_se"].values, data["limit_snr_theory"].values, limit_z.values)))
    information, information_se = data["aperiodic_information"].values, data["aperiodic_information_se"].values
    best = int(np.argmax(information))
    lines.append(f"aperiodic SR (LIF, signal SD {data.attrs['aperiodic_signal_sd']:g}, 0-20 Hz): I_LB "
                 f"{information[best]:.2f} +- {information_se[best]:.2f} bit/s at sigma "
                 f"{data['aperiodic_sigma'].values[best]:g}; "
                 f"sigma {data['aperiodic_sigma'].values[0]:g}: {information[0]:.2f} +- {information_se[0]:.2f} "
                 f"({_z(information[best], information_se[best], information[0], information_se[0]):.1f} SE below), "
                 f"sigma {data['aperiodic_sigma'].values[-1]:g}: {information[-1]:.2f} +- {information_se[-1]:.2f} "
                 f"({_z(information[best], information_se[best], information[-1], information_se[-1]):.1f} SE below)")
    sigmas = data["population_sigma"].values
    for size in data["population_size"].values:
        row = data.sel(population_size=size)
        values, errors = row["population_information"].values, row["population_information_se"].values
        theory = row["population_information_theory"].values
        best = int(np.argmax(values))
        if best == 0:
            comparison = (f"exceeds sigma {sigmas[1]:g} by {_z(values[0], errors[0], values[1], errors[1]):.1f} SE "
                          f"and sigma {sigmas[-1]:g} by {_z(values[0], errors[0], values[-1], errors[-1]):.1f} SE")
        else:
            comparison = f"exceeds sigma 0 by {_z(values[best], errors[best], values[0], errors[0]):.1f} SE"
        lines.append(f"suprathreshold SR, N = {size}: optimum sigma {sigmas[best]:g} (signal SD "
                     f"{data.attrs['population_signal_sd']:g}), I_LB {values[best]:.1f} +- {errors[best]:.1f} bit/s "
                     f"(theory {theory[best]:.1f}), {comparison}; theory optimum sigma "
                     f"{sigmas[int(np.argmax(theory))]:g}")
    deviation = ((data["population_information"] - data["population_information_theory"])
                 / data["population_information_se"]).values
    lines.append(f"suprathreshold SR, simulation vs closed form: max |sim - theory|/SE {np.abs(deviation).max():.1f} "
                 f"over {deviation.size} (N, sigma) points")
    return lines


def figure(data: xr.Dataset):
    """Stochastic-resonance figure from results/stochastic_resonance.nc (no simulation here).

    a: LIF SNR at 2 Hz against sigma with the adiabatic linear-response prediction (shaded: the range
    fixed before measuring). b: NSNN SNR against the noise scale, three families. c: aperiodic coherence
    spectra at three sigmas. d: aperiodic I_LB against sigma. e: suprathreshold SR, I_LB of N summed
    units against sigma with the closed form. f: the LIF's SNR at larger amplitudes and higher
    frequencies against the adiabatic linear-response prediction."""
    from nsnn_sim.experiments import _style as style

    figure, axes = style.subplots(2, 3)
    (lif_ax, nsnn_ax, coherence_ax), (information_ax, population_ax, rate_ax) = axes
    sigma = data["lif_sigma"].values
    lif_ax.errorbar(sigma, data["lif_snr"], yerr=data["lif_snr_se"], fmt="o", capsize=2, label="LIF simulation (± SE)")
    lif_ax.plot(data["lif_sigma_fine"], data["lif_snr_theory_fine"], "k-", label="adiabatic linear response")
    inside = sigma[data["lif_linear_response_range"].values]
    lif_ax.axvspan(inside.min(), inside.max(), color="gray", alpha=0.15, label="range fixed before (rate >= 5 Hz)")
    lif_ax.axhline(1.0, color="k", linestyle=":", linewidth=0.8)
    lif_ax.set_xscale("log")
    style.log_ticks(lif_ax.xaxis)
    lif_ax.set_xlabel("membrane noise sigma (stationary SD, membrane units)")
    lif_ax.set_ylabel("SNR at 2 Hz (line / background 1-3 Hz)")
    lif_ax.set_title("Periodic SR, LIF mu 0.8, A 0.02, 2 Hz")
    lif_ax.legend()
    for index, (label, noise, snr, se) in enumerate(list(_snr_curves(data))[1:]):
        nsnn_ax.errorbar(noise, snr, yerr=se, fmt="o-", color=f"C{index + 1}", capsize=2, label=label)
    nsnn_ax.axhline(1.0, color="k", linestyle=":", linewidth=0.8, label="no line (SNR = 1)")
    nsnn_ax.set_xscale("log")
    style.log_ticks(nsnn_ax.xaxis)
    nsnn_ax.set_xlabel("NSNN noise scale per step (family's scale)")
    nsnn_ax.set_ylabel("SNR at 2 Hz")
    nsnn_ax.set_title("Periodic SR, NSNN beta 0.5 (± SE)")
    nsnn_ax.legend()
    aperiodic_sigma = data["aperiodic_sigma"].values
    best = int(np.argmax(data["aperiodic_information"].values))
    for index, k in enumerate(sorted({0, best, aperiodic_sigma.size - 1})):
        row = data.isel(aperiodic_sigma=k)
        coherence_ax.errorbar(data["aperiodic_frequency"], row["aperiodic_coherence"],
                              yerr=row["aperiodic_coherence_se"], fmt="o-", markersize=3, capsize=1,
                              color=f"C{index}", label=f"sigma {aperiodic_sigma[k]:g}")
    coherence_ax.axvline(float(data.attrs["aperiodic_cutoff_hz"]), color="k", linestyle=":", label="signal cutoff")
    coherence_ax.axhline(0, color="k", linewidth=0.6)
    coherence_ax.set_xlabel("frequency (Hz)")
    coherence_ax.set_ylabel("coherence (bias-corrected, ± SE)")
    coherence_ax.set_title("Aperiodic SR: spike train-signal coherence")
    coherence_ax.legend()
    information_ax.errorbar(aperiodic_sigma, data["aperiodic_information"], yerr=data["aperiodic_information_se"],
                            fmt="o-", capsize=2, label="LIF, signal SD 0.05, 0-20 Hz")
    information_ax.axhline(0, color="k", linewidth=0.6)
    information_ax.set_xscale("log")
    style.log_ticks(information_ax.xaxis)
    information_ax.set_xlabel("membrane noise sigma")
    information_ax.set_ylabel("I_LB (bit/s, ± SE)")
    information_ax.set_title("Aperiodic SR: coherence lower bound on information")
    information_ax.legend()
    population_sigma = data["population_sigma"].values / float(data.attrs["population_signal_sd"])
    for index, size in enumerate(data["population_size"].values):
        row = data.sel(population_size=size)
        population_ax.errorbar(population_sigma, row["population_information"], yerr=row["population_information_se"],
                               fmt="o", capsize=2, color=f"C{index}", label=f"N = {size}")
        population_ax.plot(population_sigma, row["population_information_theory"], "-", color=f"C{index}")
    population_ax.plot([], [], "k-", label="closed form")
    population_ax.set_xlabel("noise SD / signal SD (0 = DSNN)")
    population_ax.set_ylabel("I_LB of the summed readout (bit/s)")
    population_ax.set_title("Suprathreshold SR (Stocks 2000), threshold units")
    population_ax.legend()
    labels = [f"A {a:g}\n{f:g} Hz" for a, f in zip(data["limit_amplitude"].values, data["limit_frequency"].values)]
    positions = np.arange(len(labels))
    rate_ax.errorbar(positions, data["limit_snr"], yerr=data["limit_snr_se"], fmt="o", capsize=2,
                     label=f"LIF simulation, sigma {data.attrs['limit_sigma']:g} (± SE)")
    rate_ax.plot(positions, data["limit_snr_theory"], "k_", markersize=14, label="adiabatic linear response")
    rate_ax.set_xticks(positions, labels)
    rate_ax.set_yscale("log")
    style.log_ticks(rate_ax.yaxis)
    rate_ax.set_xlabel("signal amplitude A and frequency f")
    rate_ax.set_ylabel("SNR at f (line / background f ± 1 Hz)")
    rate_ax.set_title("Where the linear response stops holding")
    rate_ax.legend()
    return figure
