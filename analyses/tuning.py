"""Orientation tuning of noisy and deterministic populations -> results/tuning.nc.

A population of neurons with von Mises orientation-tuned drive (preferred orientations tiling
[0, pi)) is shown ``n_stimuli`` orientations for ``n_trials`` trials each. Four models receive the
same drive: the NSNN with Gaussian membrane noise, the NSNN with logistic escape noise, the
deterministic DSNN, and the DSNN with input noise (the stimulus orientation jitters from trial to
trial, SD ``orientation_jitter``, plus independent Gaussian noise on every neuron's input). For each:
tuning curves with their trial-to-trial spread, von Mises fits (coding.fit_tuning_curves), Fano
factor against rate, noise correlations against the difference of preferred orientations, the
bias-corrected linear Fisher information (Kanitscheider et al. 2015) against population size and
noise level, and the discrimination threshold 1/sqrt(I).

    python analyses/tuning.py [--quick] [--out results/tuning.nc]
"""

from __future__ import annotations

import time
import warnings
from pathlib import Path

import numpy as np
import xarray as xr

import nsnn_sim as ns
from nsnn_sim import coding, stats
from nsnn_sim.reproduce import analysis_arguments
from nsnn_sim.version import provenance

DT = 1e-3
WARMUP = 0.1
DRIVE = dict(baseline=0.15, gain=0.5, kappa=2.0)  # von Mises drive per step (NSNN threshold 1, beta 0.5)
ORIENTATION_JITTER = np.deg2rad(2.0)
INPUT_NOISE = 0.2


def models(noise_scale: float = 0.4) -> dict:
    return {
        "NSNN gaussian membrane": ns.NSNN(beta=0.5, noise="gaussian", noise_scale=noise_scale, dt=DT),
        "NSNN logistic escape": ns.NSNN(beta=0.5, noise="logistic", noise_scale=noise_scale / 1.6, firing="escape",
                                        dt=DT),
        "DSNN": ns.NSNN(beta=0.5, noise="none", dt=DT),
        "DSNN + input noise": ns.NSNN(beta=0.5, noise="none", dt=DT),
    }


def drive(orientations: np.ndarray, preferred: np.ndarray) -> np.ndarray:
    """Drive per (orientation, neuron) from the von Mises tuning of the input."""
    return coding.von_mises_tuning(orientations[:, None], preferred[None, :], DRIVE["kappa"], DRIVE["baseline"],
                                   DRIVE["gain"])


def simulate_counts(name: str, model, orientation: float, preferred: np.ndarray, n_trials: int, window: float,
                    seed: int) -> np.ndarray:
    """Spike counts (trial, neuron) in [WARMUP, WARMUP + window) for one orientation."""
    n_steps = int(round((WARMUP + window) / DT))
    if name == "DSNN + input noise":
        generator = np.random.default_rng(seed)
        jitter = generator.normal(0.0, ORIENTATION_JITTER, n_trials)
        mean = drive(orientation + jitter, preferred)  # (trial, neuron)
        inputs = mean[:, None, :] + generator.normal(0.0, INPUT_NOISE, (n_trials, n_steps, preferred.size))
    else:
        inputs = drive(np.array([orientation]), preferred)[0]
    spikes = ns.simulate(model, inputs, preferred.size, n_steps, n_trials=n_trials, seed=seed).spikes
    return spikes.crop(WARMUP).counts().values


def responsive(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The neurons whose counts vary across trials at both stimuli (silent neurons carry no linear
    information and make the covariance singular)."""
    keep = (a.var(axis=0) > 0) & (b.var(axis=0) > 0)
    return a[:, keep], b[:, keep]


def main(argv=None) -> Path:
    args = analysis_arguments("tuning", __doc__, seed=5, quick_help="smaller population and fewer trials (< 2 minutes)", argv=argv)
    start = time.perf_counter()
    n_neurons, n_trials, window = (100, 50, 0.5) if args.quick else (200, 100, 1.0)
    fisher_trials = 150 if args.quick else 300  # 2T - N - 3 > 0 for every population size
    n_stimuli = 16
    orientations = np.arange(n_stimuli) * np.pi / n_stimuli
    preferred = (np.arange(n_neurons) + 0.5) * np.pi / n_neurons

    names = list(models())
    counts = np.zeros((len(names), n_stimuli, n_trials, n_neurons))
    for m, (name, model) in enumerate(models().items()):
        for s, orientation in enumerate(orientations):  # noqa: B007
            counts[m, s] = simulate_counts(name, model, orientation, preferred, n_trials, window,
                                           seed=args.seed + 1000 * m + s)
    responses = xr.DataArray(counts, dims=("model", "stimulus", "trial", "neuron"),
                             coords={"model": names, "stimulus": orientations, "neuron": np.arange(n_neurons)},
                             attrs={"units": "spikes", "window": window})
    fits = xr.concat([coding.fit_tuning_curves(responses.sel(model=name)) for name in names], dim="model",
                     coords="minimal", compat="override", join="outer")
    fits = fits.assign_coords(model=names)

    mean = responses.mean("trial")
    variance = responses.var("trial")  # ddof = 0, the estimator of stats.fano_of_counts
    fano = xr.DataArray(stats.fano_of_counts(responses.values, axis=responses.dims.index("trial")),
                        dims=("model", "stimulus", "neuron"))

    # noise correlations at the orientation of neuron 0's preference, against preference difference
    correlation = []
    warnings.filterwarnings("ignore", "Mean of empty slice", RuntimeWarning)  # DSNN: no variance at all
    for name in names:
        per_stimulus = []
        for s in range(n_stimuli):
            per_stimulus.append(stats.correlations_of_counts(responses.sel(model=name).isel(stimulus=s).values))
        correlation.append(np.nanmean(np.array(per_stimulus), axis=0))
    correlation = np.array(correlation)
    difference = np.abs(preferred[:, None] - preferred[None, :])
    difference = np.minimum(difference, np.pi - difference)
    bins = np.linspace(0, np.pi / 2, 10)
    which = np.digitize(difference, bins) - 1
    off_diagonal = ~np.eye(n_neurons, dtype=bool)
    binned_correlation = np.array([[np.nanmean(c[(which == b) & off_diagonal]) for b in range(len(bins) - 1)]
                                   for c in correlation])

    # linear Fisher information at pi/2 from two nearby orientations
    reference, delta = np.pi / 2, np.deg2rad(2.0)
    sizes = np.array([5, 10, 20, 50, 100] + ([200] if n_neurons >= 200 else []))
    noisy = [name for name in names if name != "DSNN"]
    fisher, fisher_sd, active = [], [], []
    for m, name in enumerate(noisy):
        model = models()[name]
        a = simulate_counts(name, model, reference - delta / 2, preferred, fisher_trials, window, args.seed + 77 + m)
        b = simulate_counts(name, model, reference + delta / 2, preferred, fisher_trials, window, args.seed + 99 + m)
        a, b = responsive(a, b)
        active.append(a.shape[1])
        usable = sizes[sizes <= a.shape[1]]
        curve = coding.fisher_information_by_population_size(a, b, delta, usable, n_subsets=20, seed=args.seed)
        curve = curve.reindex(population_size=sizes)
        fisher.append(curve.values)
        fisher_sd.append(curve["sd"].values)
    # Fisher information against the NSNN's noise level, full population
    noise_levels = np.array([0.2, 0.3, 0.4, 0.6, 0.8])
    fisher_noise = []
    for k, level in enumerate(noise_levels):
        model = models(level)["NSNN gaussian membrane"]
        a = simulate_counts("NSNN", model, reference - delta / 2, preferred, fisher_trials, window, args.seed + 500 + k)
        b = simulate_counts("NSNN", model, reference + delta / 2, preferred, fisher_trials, window, args.seed + 600 + k)
        fisher_noise.append(float(coding.linear_fisher_information(*responsive(a, b), delta)))

    dataset = xr.Dataset(
        {
            "tuning_mean": (("model", "stimulus", "neuron"), mean.values / window, {"units": "Hz"}),
            "tuning_sd": (("model", "stimulus", "neuron"), np.sqrt(variance.values) / window, {"units": "Hz"}),
            "fano": (("model", "stimulus", "neuron"), fano.values),
            "noise_correlation": (("model", "preference_difference"), binned_correlation),
            "fisher_information": (("fisher_model", "population_size"), np.array(fisher), {"units": "1/rad^2"}),
            "fisher_information_sd": (("fisher_model", "population_size"), np.array(fisher_sd), {"units": "1/rad^2"}),
            "fisher_information_noise": (("noise_level",), np.array(fisher_noise), {"units": "1/rad^2"}),
            "discrimination_threshold": (("fisher_model", "population_size"),
                                         np.rad2deg(coding.discrimination_threshold(np.array(fisher))),
                                         {"units": "degree", "d_prime": 1.0}),
            "preferred_true": ("neuron", preferred, {"units": "rad"}),
            "fisher_responsive_neurons": ("fisher_model", np.array(active)),
        },
        coords={"model": names, "stimulus": ("stimulus", orientations, {"units": "rad"}), "neuron": np.arange(n_neurons),
                "preference_difference": ("preference_difference", 0.5 * (bins[1:] + bins[:-1]), {"units": "rad"}),
                "fisher_model": noisy, "population_size": sizes, "noise_level": noise_levels},
        attrs={"seed": args.seed, "quick": int(args.quick), "n_trials": n_trials, "window_s": window,
               "fisher_trials": fisher_trials, "fisher_reference_rad": reference, "fisher_delta_rad": delta,
               "drive": str(DRIVE), "orientation_jitter_rad": ORIENTATION_JITTER, "input_noise": INPUT_NOISE,
               **provenance()},
    )
    dataset = xr.merge([dataset, fits.rename({name: f"fit_{name}" for name in fits.data_vars})])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    dataset.to_netcdf(args.out, engine="h5netcdf")
    print(dataset["fisher_information"].to_pandas().round(1))
    print("discrimination threshold (deg):\n", dataset["discrimination_threshold"].to_pandas().round(2))
    print(f"-> {args.out} ({time.perf_counter() - start:.1f} s)")
    return args.out


if __name__ == "__main__":
    main()
