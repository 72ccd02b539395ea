"""Spike-train variability of noisy and deterministic neurons -> results/variability.nc.

Three parts:

1. ``lif_*``: ISI CV and Fano factor (1 s windows, across trials) of the noisy LIF (Gaussian
   membrane noise, Brownian-bridge threshold crossing) against mean input ``mu`` and noise ``sigma``,
   with Brunel's (2000) CV and the renewal limit Fano = CV^2 as theory.
2. ``nsnn_*``: the same for the discrete NSNN with every noise family, membrane and escape firing,
   and the deterministic DSNN, against the drive; and ``fano_window``: the Fano factor against the
   counting window (10 ms to 2 s).
3. ``reliability``: variability versus reliability (Mainen & Sejnowski 1995): repeated trials of an
   NSNN at several noise levels and of the DSNN, driven by a constant input or by one frozen
   fluctuating input; Schreiber reliability (3 ms Gaussian) and the mean van Rossum distance between
   trials (5 ms) as the (im)precision of spike times.

    python analyses/variability.py [--quick] [--out results/variability.nc]

Examples
--------
>>> from nsnn_sim.experiments import get
>>> experiment = get('variability')
>>> experiment.description
'ISI CV, Fano factor and reliability of noisy and deterministic neurons.'
>>> experiment.seed, experiment.module.__name__
(11, 'nsnn_sim.experiments.variability')
"""

from __future__ import annotations

import numpy as np
import xarray as xr

import nsnn_sim as ns
from nsnn_sim._core.log import get_logger
from nsnn_sim._core.version import provenance
from nsnn_sim.analysis import stats

_log = get_logger(__name__)

DESCRIPTION = "ISI CV, Fano factor and reliability of noisy and deterministic neurons."
SEED = 11
ORDER = 20
DPI = 110
FAMILIES = {"gaussian": 0.4, "logistic": 0.4, "triangular": 0.6, "uniform": 0.4, "cauchy": 0.2}
LIF_TAU = 10e-3


def pooled_cv(spikes, groups: int = 1) -> np.ndarray:
    """ISI CV per neuron with trials pooled (:func:`nsnn_sim.analysis.stats.cv_of_intervals`), shape
    (groups, n_neurons) for ``groups`` disjoint sets of trials (``trial % groups``; ``groups=1``: all
    trials, ``stats.isi_cv(spikes, pool="trials")``; the spread over groups gives the SE)."""
    length, _, train = spikes.intervals()
    trial, neuron = np.divmod(train, spikes.n_neurons)
    cv = stats.cv_of_intervals(length.astype(float), (trial % groups) * spikes.n_neurons + neuron,
                               groups * spikes.n_neurons)
    return cv.reshape(groups, spikes.n_neurons)


def cv_and_se(spikes, groups: int = 10) -> tuple[np.ndarray, np.ndarray]:
    """Pooled ISI CV per neuron and its SE from ``groups`` disjoint sets of trials."""
    return pooled_cv(spikes)[0], np.nanstd(pooled_cv(spikes, groups), axis=0, ddof=1) / np.sqrt(groups)


def fano_1s(spikes, warmup: float) -> np.ndarray:
    return stats.fano_factor(spikes.crop(warmup), [1.0], across="trials").values[:, 0]


def lif_part(quick: bool, seed: int) -> xr.Dataset:
    mus = np.linspace(0.5, 1.5, 8 if quick else 13)
    sigmas = np.array([0.2, 0.35, 0.5])
    grid_mu, grid_sigma = np.meshgrid(mus, sigmas)  # neurons: every (sigma, mu) pair
    model = ns.LIF(tau=LIF_TAU, sigma=grid_sigma.ravel(), dt=1e-4, threshold_crossing="bridge")
    warmup = stats.STATIONARY_WARMUP  # the stationary-rate protocol: statistics from 10 tau after the start
    duration = warmup + (1.0 if quick else 2.0)
    spikes = ns.simulate(model, grid_mu.ravel(), n_neurons=grid_mu.size, n_steps=int(round(duration / model.dt)),
                         n_trials=100 if quick else 300, seed=seed).spikes
    shape = grid_mu.shape
    rate = stats.firing_rates(spikes.crop(warmup)).mean("trial").values.reshape(shape)
    fine = np.linspace(mus[0], mus[-1], 60)
    theory_cv = np.array([[ns.theory.isi_cv(mu, sigma, LIF_TAU) for mu in fine] for sigma in sigmas])
    theory_rate = np.array([[ns.theory.siegert_rate(mu, sigma, LIF_TAU) for mu in fine] for sigma in sigmas])
    cv, cv_se = cv_and_se(spikes.crop(warmup))
    return xr.Dataset(
        {"lif_cv": (("sigma", "mu"), cv.reshape(shape)),
         "lif_cv_se": (("sigma", "mu"), cv_se.reshape(shape)),
         "lif_fano": (("sigma", "mu"), fano_1s(spikes, warmup).reshape(shape)),
         "lif_rate": (("sigma", "mu"), rate, {"units": "Hz"}),
         "lif_theory_cv": (("sigma", "mu_theory"), theory_cv),
         "lif_theory_rate": (("sigma", "mu_theory"), theory_rate, {"units": "Hz"})},
        coords={"sigma": sigmas, "mu": mus, "mu_theory": fine})


def nsnn_configs():
    for family, scale in FAMILIES.items():
        for firing in ("membrane", "escape"):
            yield f"{family} {firing}", ns.NSNN(beta=0.5, noise=family, noise_scale=scale, firing=firing, dt=1e-3)
    yield "deterministic (DSNN)", ns.NSNN(beta=0.5, noise="none", dt=1e-3)


def nsnn_part(quick: bool, seed: int) -> xr.Dataset:
    drives = np.linspace(0.2, 1.0, 9 if quick else 17)
    names, cv, fano, rate = [], [], [], []
    for index, (name, model) in enumerate(nsnn_configs()):
        spikes = ns.simulate(model, drives, n_neurons=drives.size, n_steps=1200 if quick else 2200,
                             n_trials=100 if quick else 300, seed=seed + index).spikes
        names.append(name)
        cv.append(pooled_cv(spikes.crop(0.2))[0])
        fano.append(fano_1s(spikes, 0.2))
        rate.append(stats.firing_rates(spikes.crop(0.2)).mean("trial").values)
    return xr.Dataset(
        {"nsnn_cv": (("model", "drive"), np.array(cv)), "nsnn_fano": (("model", "drive"), np.array(fano)),
         "nsnn_rate": (("model", "drive"), np.array(rate), {"units": "Hz"})},
        coords={"model": names, "drive": drives})


def fano_window_part(quick: bool, seed: int) -> xr.Dataset:
    windows = np.array([0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0])
    configs = [
        ("LIF sigma 0.35, mu 0.9", ns.LIF(tau=LIF_TAU, sigma=0.35, dt=1e-4, threshold_crossing="bridge"), 0.9),
        ("LIF sigma 0.5, mu 0.7", ns.LIF(tau=LIF_TAU, sigma=0.5, dt=1e-4, threshold_crossing="bridge"), 0.7),
        ("NSNN gaussian membrane", ns.NSNN(noise_scale=0.4, dt=1e-3), 0.4),
        ("NSNN logistic escape", ns.NSNN(noise="logistic", noise_scale=0.4, firing="escape", dt=1e-3), 0.4),
        ("DSNN", ns.NSNN(noise="none", dt=1e-3), 0.6),
    ]
    fano, asymptote = [], []
    for index, (name, model, drive) in enumerate(configs):
        spikes = ns.simulate(model, drive, n_neurons=1, n_steps=int(round(2.2 / model.dt)),
                             n_trials=100 if quick else 400, seed=seed + 50 + index).spikes.crop(0.2)
        fano.append(stats.fano_factor(spikes, windows, across="trials").values[0])
        asymptote.append(pooled_cv(spikes)[0, 0] ** 2)
    return xr.Dataset({"fano_window": (("window_model", "window"), np.array(fano)),
                       "fano_window_cv_squared": ("window_model", np.array(asymptote))},
                      coords={"window_model": [c[0] for c in configs], "window": ("window", windows, {"units": "s"})})


def frozen_input(n_steps: int, dt: float, seed: int) -> np.ndarray:
    """One realisation of an Ornstein-Uhlenbeck input (tau 5 ms, SD 1), the same on every trial."""
    generator = np.random.default_rng(seed)
    alpha = np.exp(-dt / 5e-3)
    x = np.zeros(n_steps)
    noise = generator.normal(0.0, np.sqrt(1 - alpha**2), n_steps)
    for k in range(1, n_steps):
        x[k] = alpha * x[k - 1] + noise[k]
    return x


def reliability_part(quick: bool, seed: int) -> xr.Dataset:
    dt, n_steps, n_trials = 1e-3, 1000, 30 if quick else 60
    noise_levels = np.array([0.0, 0.05, 0.1, 0.2])  # 0 = DSNN
    base, amplitude = 0.12, 0.1
    inputs = {"constant": np.full(n_steps, base + 0.02), "frozen": base + amplitude * frozen_input(n_steps, dt, seed)}
    reliability, distance, fano, rasters = [], [], [], {}
    for condition, drive in inputs.items():
        row_r, row_d, row_f = [], [], []
        for level in noise_levels:
            model = (ns.NSNN(beta=0.9, noise="none", dt=dt) if level == 0
                     else ns.NSNN(beta=0.9, noise="gaussian", noise_scale=level, dt=dt))
            spikes = ns.simulate(model, drive[:, None], n_neurons=1, n_steps=n_steps, n_trials=n_trials,
                                 seed=seed + 100 + int(level * 1000)).spikes
            row_r.append(float(stats.reliability(spikes, 0.003).values[0]))
            matrix = stats.pairwise_distances(spikes, "van_rossum", 0.005, 0).values
            row_d.append(float(matrix[~np.eye(n_trials, dtype=bool)].mean()))
            row_f.append(float(stats.fano_factor(spikes, [0.1], across="trials").values[0, 0]))
            rasters[f"{condition}_{level:g}"] = spikes
        reliability.append(row_r)
        distance.append(row_d)
        fano.append(row_f)
    variables = {
        "reliability": (("input", "noise_level"), np.array(reliability)),
        "van_rossum_between_trials": (("input", "noise_level"), np.array(distance)),
        "fano_100ms": (("input", "noise_level"), np.array(fano)),
        "input_current": (("input", "input_time"), np.array(list(inputs.values()))),
    }
    for key, spikes in rasters.items():  # spike events for the raster figure
        variables[f"raster_{key}_trial"] = (f"raster_{key}", spikes.trial.astype(np.int64))
        variables[f"raster_{key}_time"] = (f"raster_{key}", spikes.time)
    return xr.Dataset(variables, coords={"input": list(inputs), "noise_level": noise_levels,
                                         "input_time": ("input_time", np.arange(n_steps) * dt, {"units": "s"})},
                      attrs={"reliability_n_trials": n_trials, "nsnn_beta": 0.9})


def run(quick: bool = False, seed: int = SEED) -> xr.Dataset:
    parts = [lif_part(quick, seed), nsnn_part(quick, seed),
             fano_window_part(quick, seed), reliability_part(quick, seed)]
    dataset = xr.merge(parts)
    dataset.attrs.update({"seed": seed, "quick": int(quick), **provenance(),
                          "lif_tau": LIF_TAU, "families": str(FAMILIES),
                          "description": "ISI CV, Fano factor and reliability of noisy and deterministic neurons"})
    theory = xr.DataArray([[ns.theory.isi_cv(mu, sigma, LIF_TAU) for mu in dataset["mu"].values]
                           for sigma in dataset["sigma"].values], dims=("sigma", "mu"))
    deviation = np.abs(dataset["lif_cv"] / theory - 1)
    dataset["lif_cv_relative_deviation"] = deviation
    precise = dataset["lif_cv_se"] / dataset["lif_cv"] < 0.0125  # 4 SE below 5 %: the comparison can resolve 5 %
    dataset["lif_cv_precise"] = precise
    _log.info(f"LIF CV vs Brunel: {int(precise.sum())} of {precise.size} points measured to < 1.25 % SE; among "
              f"them max deviation {100 * float(deviation.where(precise).max()):.2f} %, median "
              f"{100 * float(deviation.where(precise).median()):.2f} %; all points: max "
              f"{100 * float(deviation.max()):.2f} %")
    _log.info("reliability (input x noise level):\n%s", dataset["reliability"].to_pandas().round(3))
    return dataset


def figure(data: xr.Dataset):
    """Variability figure from results/variability.nc -> figures/out/variability.png (no simulation here).

    A: LIF ISI CV against mean input with Brunel's CV. B: LIF Fano factor (1 s) with the renewal limit
    CV^2. C: NSNN ISI CV against drive for every noise family and firing rule, and the DSNN. D: Fano
    factor against counting window. E: rasters under constant and frozen fluctuating input (NSNN and
    DSNN). F: reliability and spike-time imprecision against the noise level."""
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(2, 3, figsize=(16, 9.5))
    (cv_ax, fano_ax, nsnn_ax), (window_ax, raster_ax, reliability_ax) = axes

    for index, sigma in enumerate(data["sigma"].values):
        color = f"C{index}"
        row = data.sel(sigma=sigma)
        cv_ax.errorbar(row["mu"], row["lif_cv"], yerr=2 * row["lif_cv_se"], fmt="o", color=color, capsize=2,
                       label=f"simulation, sigma = {sigma:g}")
        cv_ax.plot(row["mu_theory"], row["lif_theory_cv"], color=color,
                   label="Brunel (2000) CV" if index == 0 else None)
        fano_ax.plot(row["mu"], row["lif_fano"], "o", color=color, label=f"Fano (1 s), sigma = {sigma:g}")
        fano_ax.plot(row["mu_theory"], row["lif_theory_cv"] ** 2, color=color,
                     label="renewal limit: theory CV^2" if index == 0 else None)
    deviation = float(data["lif_cv_relative_deviation"].max())
    cv_ax.set_title(f"Noisy LIF: CV within {100 * deviation:.1f} % of theory")
    cv_ax.set_xlabel("mean input mu (membrane units, threshold 1)")
    cv_ax.set_ylabel("ISI coefficient of variation")
    cv_ax.legend(fontsize=8)
    fano_ax.set_title("Fano factor of 1 s counts tends to CV^2")
    fano_ax.set_xlabel("mean input mu (membrane units)")
    fano_ax.set_ylabel("Fano factor (1 s window, across trials)")
    fano_ax.legend(fontsize=8)

    styles = {"membrane": "-", "escape": "--"}
    for name in data["model"].values:
        name = str(name)
        family, _, firing = name.partition(" ")
        if name.startswith("deterministic"):
            nsnn_ax.plot(data["drive"], data["nsnn_cv"].sel(model=name), "k-o", markersize=3, label=name)
            continue
        color = f"C{list(dict.fromkeys(str(m).split()[0] for m in data['model'].values)).index(family)}"
        nsnn_ax.plot(data["drive"], data["nsnn_cv"].sel(model=name), styles[firing], color=color, label=name)
    nsnn_ax.set_title("NSNN (beta 0.5): solid membrane, dashed escape")
    nsnn_ax.set_xlabel("constant drive I per step (threshold 1)")
    nsnn_ax.set_ylabel("ISI coefficient of variation")
    nsnn_ax.legend(fontsize=6.5, ncol=2)

    for index, name in enumerate(data["window_model"].values):
        color = f"C{index}"
        window_ax.plot(data["window"], data["fano_window"].sel(window_model=name), "o-", color=color, label=str(name))
        asymptote = float(data["fano_window_cv_squared"].sel(window_model=name))
        window_ax.axhline(asymptote, color=color, linestyle=":", linewidth=1)
    window_ax.plot([], [], "k:", label="CV^2 of the same train (renewal limit)")
    window_ax.set_xscale("log")
    window_ax.set_xlabel("counting window (s)")
    window_ax.set_ylabel("Fano factor (across trials)")
    window_ax.set_title("Fano factor against counting window")
    window_ax.legend(fontsize=7)

    offset = 0
    n_trials = int(data.attrs.get("reliability_n_trials", 30))
    shown = [("constant", 0.1), ("frozen", 0.1), ("constant", 0.0), ("frozen", 0.0)]
    for condition, level in shown:
        key = f"raster_{condition}_{level:g}"
        trials, times = data[f"{key}_trial"].values, data[f"{key}_time"].values
        keep = trials < 15
        label = f"{'NSNN sigma ' + format(level, 'g') if level else 'DSNN'}, {condition} input"
        raster_ax.plot(times[keep], trials[keep] + offset, "|", markersize=3,
                       color="C3" if condition == "frozen" else "C0")
        raster_ax.text(0.5, offset + 15.5, label, fontsize=7, ha="center", va="center",
                       transform=raster_ax.get_yaxis_transform(), backgroundcolor="white")
        offset += 17
    raster_ax.set_xlabel("time (s)")
    raster_ax.set_ylabel("trial (15 per block)")
    raster_ax.set_yticks([])
    raster_ax.set_title("Constant vs frozen input (Mainen & Sejnowski)")

    levels = data["noise_level"].values
    for condition, color in (("constant", "C0"), ("frozen", "C3")):
        reliability_ax.plot(levels, data["reliability"].sel(input=condition), "o-", color=color,
                            label=f"reliability, {condition} input")
    twin = reliability_ax.twinx()
    for condition, color in (("constant", "C0"), ("frozen", "C3")):
        twin.plot(levels, data["van_rossum_between_trials"].sel(input=condition), "s--", color=color,
                  alpha=0.6, label=f"van Rossum distance between trials, {condition}")
    reliability_ax.set_xlabel("membrane noise SD per step (0 = DSNN)")
    reliability_ax.set_ylabel("Schreiber reliability (3 ms Gaussian)")
    twin.set_ylabel("mean van Rossum distance between trials (tau 5 ms)")
    reliability_ax.set_title(f"Reliability across {n_trials} trials")
    lines = reliability_ax.get_legend_handles_labels()
    twin_lines = twin.get_legend_handles_labels()
    reliability_ax.legend(lines[0] + twin_lines[0], lines[1] + twin_lines[1], fontsize=7, loc="center left")
    figure.tight_layout()
    return figure


def summary(data: xr.Dataset) -> list[str]:
    deviation = data["lif_cv_relative_deviation"]
    reliability = data["reliability"]
    return [f"LIF ISI CV vs Brunel (2000): max deviation {100 * float(deviation.max()):.2f} % over "
            f"{deviation.size} (mu, sigma) points",
            "reliability, constant input: " + ", ".join(
                f"noise {level:g}: {value:.3f}" for level, value in
                zip(data["noise_level"].values, reliability.sel(input="constant").values)),
            "reliability, frozen input: " + ", ".join(
                f"noise {level:g}: {value:.3f}" for level, value in
                zip(data["noise_level"].values, reliability.sel(input="frozen").values))]
