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

Examples
--------
>>> from nsnn_sim.experiments import get
>>> experiment = get('tuning')
>>> experiment.description
'Orientation tuning, noise correlations and Fisher information.'
>>> experiment.seed, experiment.module.__name__
(5, 'nsnn_sim.experiments.tuning')
"""

from __future__ import annotations

import json
import warnings

import numpy as np
import xarray as xr

import nsnn_sim as ns
from nsnn_sim import coding
from nsnn_sim._core.log import get_logger
from nsnn_sim._core.version import provenance
from nsnn_sim.analysis import stats

_log = get_logger(__name__)

DESCRIPTION = "Orientation tuning, noise correlations and Fisher information."
SEED = 5
ORDER = 30
DT = 1e-3
WARMUP = 0.1
DRIVE = dict(baseline=0.15, gain=0.5, kappa=2.0)  # von Mises drive per step (NSNN threshold 1, beta 0.5)
ORIENTATION_JITTER = np.deg2rad(2.0)
INPUT_NOISE = 0.2


def models(noise_scale: float = 0.4) -> dict:
    """Every model with beta 0.5: Gaussian membrane noise ``noise_scale``, logistic escape noise
    ``noise_scale / 1.6``, and the DSNN twice (the second gets its input noise in :func:`simulate_counts`)."""
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
    spikes = ns.simulate(model, inputs, n_neurons=preferred.size, n_steps=n_steps, n_trials=n_trials, seed=seed).spikes
    return spikes.crop(WARMUP).counts().values


def responsive(a: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The neurons whose counts vary across trials at both stimuli (silent neurons carry no linear
    information and make the covariance singular)."""
    keep = (a.var(axis=0) > 0) & (b.var(axis=0) > 0)
    return a[:, keep], b[:, keep]


def run(quick: bool = False, seed: int = SEED) -> xr.Dataset:
    """200 neurons preferring ``(k + 1/2) pi / 200``, 16 stimuli ``k pi / 16``, 100 trials of 1 s each, 300 per
    Fisher-information stimulus (quick: 100 neurons, 50 trials of 0.5 s, 150)."""
    n_neurons, n_trials, window = (100, 50, 0.5) if quick else (200, 100, 1.0)
    fisher_trials = 150 if quick else 300  # 2T - N - 3 > 0 for every population size
    n_stimuli = 16
    orientations = np.arange(n_stimuli) * np.pi / n_stimuli
    preferred = (np.arange(n_neurons) + 0.5) * np.pi / n_neurons

    names = list(models())
    counts = np.zeros((len(names), n_stimuli, n_trials, n_neurons))
    for m, (name, model) in enumerate(models().items()):
        for s, orientation in enumerate(orientations):  # noqa: B007
            counts[m, s] = simulate_counts(name, model, orientation, preferred, n_trials, window,
                                           seed=seed + 1000 * m + s)
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
    with warnings.catch_warnings():  # the caller's warning filters are left as they were
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
    stimuli = (reference - delta / 2, reference + delta / 2)  # delta apart, as the estimator assumes
    sizes = np.array([5, 10, 20, 50, 100] + ([200] if n_neurons >= 200 else []))
    noisy = [name for name in names if name != "DSNN"]
    fisher, fisher_sd, active = [], [], []
    for m, name in enumerate(noisy):
        model = models()[name]
        a = simulate_counts(name, model, stimuli[0], preferred, fisher_trials, window, seed + 77 + m)
        b = simulate_counts(name, model, stimuli[1], preferred, fisher_trials, window, seed + 99 + m)
        a, b = responsive(a, b)
        active.append(a.shape[1])
        usable = sizes[sizes <= a.shape[1]]
        curve = coding.fisher_information_by_population_size(a, b, delta, usable, n_subsets=20, seed=seed)
        curve = curve.reindex(population_size=sizes)
        fisher.append(curve.values)
        fisher_sd.append(curve["sd"].values)
    # Fisher information against the NSNN's noise level, full population
    noise_levels = np.array([0.2, 0.3, 0.4, 0.6, 0.8])
    fisher_noise = []
    for k, level in enumerate(noise_levels):
        model = models(level)["NSNN gaussian membrane"]
        a = simulate_counts("NSNN", model, stimuli[0], preferred, fisher_trials, window, seed + 500 + k)
        b = simulate_counts("NSNN", model, stimuli[1], preferred, fisher_trials, window, seed + 600 + k)
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
        coords={"model": names, "stimulus": ("stimulus", orientations, {"units": "rad"}),
                "neuron": np.arange(n_neurons),
                "preference_difference": ("preference_difference", 0.5 * (bins[1:] + bins[:-1]), {"units": "rad"}),
                "fisher_model": noisy, "population_size": sizes, "noise_level": noise_levels},
        attrs={"seed": seed, "quick": int(quick), "n_trials": n_trials, "window_s": window,
               "fisher_trials": fisher_trials, "fisher_reference_rad": reference, "fisher_delta_rad": delta,
               "fisher_stimuli_rad": list(stimuli),
               "drive": str(DRIVE), "orientation_jitter_rad": ORIENTATION_JITTER, "input_noise": INPUT_NOISE,
               "models": json.dumps({name: model.to_dict() for name, model in models().items()}), **provenance()},
    )
    dataset = xr.merge([dataset, fits.rename({name: f"fit_{name}" for name in fits.data_vars})])
    _log.info("Fisher information (rad^-2):\n%s", dataset["fisher_information"].to_pandas().round(1))
    _log.info("discrimination threshold (deg):\n%s", dataset["discrimination_threshold"].to_pandas().round(2))
    return dataset


def figure(data: xr.Dataset):
    """Tuning figure from results/tuning.nc -> figures/out/tuning.png (no simulation here).

    a: tuning curves (mean ± SD over trials) of two neurons per model with their von Mises fits.
    b: fitted (± 2 SE of the fit) against true preferred orientation. c: Fano factor against firing rate
    (mean-variance). d: noise correlation against the difference in preferred orientation. e:
    bias-corrected linear Fisher information against population size (± SD over 20 random subsets).
    f: discrimination threshold and Fisher information against the NSNN's noise level. One colour per
    model in every panel (the legend on the right)."""
    from nsnn_sim.coding import von_mises_tuning
    from nsnn_sim.experiments import _style as style

    window = float(data.attrs["window_s"])
    figure, axes = style.subplots(2, 3)
    (curve_ax, preferred_ax, fano_ax), (correlation_ax, fisher_ax, noise_ax) = axes
    degrees = np.rad2deg(data["stimulus"].values)
    fine = np.linspace(0, np.pi, 200)
    n_neurons = data.sizes["neuron"]
    shown = [n_neurons // 4, n_neurons // 2]
    color_of = {str(model): f"C{m}" for m, model in enumerate(data["model"].values)}
    for model, color in color_of.items():
        row = data.sel(model=model)
        for neuron in shown:
            mean, sd = row["tuning_mean"].isel(neuron=neuron), row["tuning_sd"].isel(neuron=neuron)
            curve_ax.errorbar(degrees + 1.5 * list(color_of).index(model), mean, yerr=sd, fmt="o", markersize=3,
                              color=color)
            fit = row.isel(neuron=neuron)
            if bool(fit["fit_converged"]):
                fitted_curve = von_mises_tuning(fine, float(fit["fit_preferred"]), float(fit["fit_kappa"]),
                                                float(fit["fit_baseline"]), float(fit["fit_gain"]))
                curve_ax.plot(np.rad2deg(fine), fitted_curve / window, color=color, linewidth=1)
        preferred_ax.errorbar(np.rad2deg(data["preferred_true"].values), np.rad2deg(row["fit_preferred"].values),
                              yerr=2 * np.rad2deg(row["fit_preferred_se"].values), fmt=".", color=color,
                              markersize=3, elinewidth=0.8, capsize=0)
        rate = row["tuning_mean"].values.ravel()
        fano = row["fano"].values.ravel()
        keep = np.isfinite(fano) & (rate > 0)
        fano_ax.plot(rate[keep], fano[keep], ".", color=color, markersize=2, alpha=0.4)
        correlation_ax.plot(np.rad2deg(data["preference_difference"]), row["noise_correlation"], "o-", color=color)
    style.figure_legend(figure, {model: style.key(color) for model, color in color_of.items()}, title="model")
    curve_ax.errorbar([], [], yerr=[], fmt="o", markersize=3, color="k", label="mean ± SD over trials")
    curve_ax.plot([], [], "k-", linewidth=1, label="von Mises fit")
    curve_ax.set_xlabel("stimulus orientation (degree)")
    curve_ax.set_ylabel("firing rate (Hz)")
    curve_ax.set_title(f"Tuning curves of neurons {shown[0]} and {shown[1]}")
    curve_ax.set_ylim(top=1.3 * curve_ax.get_ylim()[1])  # room for the legend above the curves
    curve_ax.legend(loc="upper left")
    preferred_ax.plot([0, 180], [0, 180], "k-", linewidth=0.8, label="truth")
    preferred_ax.set_xlabel("true preferred orientation (degree)")
    preferred_ax.set_ylabel("fitted preferred orientation (degree, ± 2 SE)")
    preferred_ax.set_title("Fits recover the preferred orientation")
    preferred_ax.legend()
    fano_ax.axhline(1.0, color="k", linestyle=":", label="Poisson (Fano = 1)")
    fano_ax.set_xlabel("firing rate (Hz)")
    fano_ax.set_ylabel(f"Fano factor ({window:g} s counts)")
    fano_ax.set_title("Mean-variance relation (DSNN: zero variance)")
    fano_ax.legend()
    correlation_ax.axhline(0, color="k", linewidth=0.8)
    correlation_ax.set_xlabel("difference of preferred orientations (degree)")
    correlation_ax.set_ylabel("spike-count noise correlation")
    correlation_ax.set_title("Noise correlations (DSNN: undefined, no variance)")
    sizes = data["population_size"].values
    for model in data["fisher_model"].values:
        fisher_ax.errorbar(sizes, data["fisher_information"].sel(fisher_model=model),
                           yerr=data["fisher_information_sd"].sel(fisher_model=model), fmt="o-",
                           color=color_of[str(model)])
    fisher_ax.axhline(1 / float(data.attrs["orientation_jitter_rad"]) ** 2, color="gray", linestyle=":",
                      label="input-noise limit 1/jitter²")
    fisher_ax.set_xscale("log")
    fisher_ax.set_yscale("log")
    style.log_ticks(fisher_ax.xaxis, sizes)
    fisher_ax.set_xlabel("population size N")
    fisher_ax.set_ylabel("linear Fisher information (1/rad², ± SD)")
    fisher_ax.set_title("Fisher information against N")
    fisher_ax.legend()
    levels = data["noise_level"].values
    noise_ax.plot(levels, data["fisher_information_noise"], "o-", color="k", label="Fisher information")
    twin = noise_ax.twinx()
    threshold = np.rad2deg(1 / np.sqrt(data["fisher_information_noise"].values))
    twin.plot(levels, threshold, "s--", color="0.5", label="discrimination threshold (d' = 1)")
    noise_ax.set_xlabel("NSNN gaussian membrane noise SD per step")
    noise_ax.set_ylabel(f"Fisher information, N = {n_neurons} (1/rad²)")
    twin.set_ylabel("discrimination threshold (degree)")
    noise_ax.set_title("More intrinsic noise, less information")
    lines, twin_lines = noise_ax.get_legend_handles_labels(), twin.get_legend_handles_labels()
    noise_ax.legend(lines[0] + twin_lines[0], lines[1] + twin_lines[1])
    return figure


def summary(data: xr.Dataset) -> list[str]:
    largest = int(data["population_size"].max())
    lines = []
    for model in data["fisher_model"].values:
        information = float(data["fisher_information"].sel(fisher_model=model, population_size=largest))
        threshold = float(data["discrimination_threshold"].sel(fisher_model=model, population_size=largest))
        lines.append(f"{model}: Fisher information {information:.0f} rad^-2 at N = {largest}, "
                     f"discrimination threshold {threshold:.2f} deg")
    return lines
