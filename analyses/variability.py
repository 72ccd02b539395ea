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
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import xarray as xr

import nsnn_sim as ns
from nsnn_sim import stats
from nsnn_sim.reproduce import analysis_arguments
from nsnn_sim.version import provenance

FAMILIES = {"gaussian": 0.4, "logistic": 0.4, "triangular": 0.6, "uniform": 0.4, "cauchy": 0.2}
LIF_TAU = 10e-3


def pooled_cv(spikes, groups: int = 1) -> np.ndarray:
    """ISI CV per neuron with trials pooled (:func:`nsnn_sim.stats.cv_of_intervals`), shape
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
    warmup, duration = 0.2, 1.2 if quick else 2.2
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


def main(argv=None) -> Path:
    args = analysis_arguments("variability", __doc__, seed=11, quick_help="fewer trials and input values (under 2 minutes)", argv=argv)
    start = time.perf_counter()
    parts = [lif_part(args.quick, args.seed), nsnn_part(args.quick, args.seed),
             fano_window_part(args.quick, args.seed), reliability_part(args.quick, args.seed)]
    dataset = xr.merge(parts)
    dataset.attrs.update({"seed": args.seed, "quick": int(args.quick), **provenance(),
                          "lif_tau": LIF_TAU, "families": str(FAMILIES),
                          "description": "ISI CV, Fano factor and reliability of noisy and deterministic neurons"})
    theory = xr.DataArray([[ns.theory.isi_cv(mu, sigma, LIF_TAU) for mu in dataset["mu"].values]
                           for sigma in dataset["sigma"].values], dims=("sigma", "mu"))
    deviation = np.abs(dataset["lif_cv"] / theory - 1)
    dataset["lif_cv_relative_deviation"] = deviation
    precise = dataset["lif_cv_se"] / dataset["lif_cv"] < 0.0125  # 4 SE below 5 %: the comparison can resolve 5 %
    dataset["lif_cv_precise"] = precise
    args.out.parent.mkdir(parents=True, exist_ok=True)
    dataset.to_netcdf(args.out, engine="h5netcdf")
    print(f"LIF CV vs Brunel: {int(precise.sum())} of {precise.size} points measured to < 1.25 % SE; among them "
          f"max deviation {100 * float(deviation.where(precise).max()):.2f} %, median "
          f"{100 * float(deviation.where(precise).median()):.2f} %; all points: max {100 * float(deviation.max()):.2f} %")
    print("reliability (input x noise level):\n", dataset["reliability"].to_pandas().round(3))
    print(f"-> {args.out} ({time.perf_counter() - start:.1f} s)")
    return args.out


if __name__ == "__main__":
    main()
