"""Bayesian decoding of orientation and cue integration by noisy spiking populations -> results/decoding.nc.


Populations as in analyses/tuning.py (von Mises tuned drive). For each model (NSNN with Gaussian
membrane noise, NSNN with logistic escape noise, DSNN + input noise, and an independent-Poisson
population with the NSNN's tuning curves as the reference):

* decoding: training trials give the tuning curves (von Mises fits -> coding.PoissonDecoder) and the
  count distributions (coding.EmpiricalDecoder); held-out trials at random orientations are decoded.
  Reported: circular error of the posterior mean, posterior SD, calibration (nominal against
  empirical coverage of central credible intervals) against population size and counting window,
  and the Cramer-Rao bound 1/sqrt(I_Poisson) of the fitted tuning curves.
* cue integration (Ma, Beck, Latham & Pouget 2006): two populations with the same preferred
  orientations see the same orientation at contrasts 1 and 0.5 (input gain). Each cue alone is
  decoded, the optimal combination (1/var = 1/var1 + 1/var2, reliability-weighted circular mean)
  is formed, and the posterior from the summed activity of both populations (decoder built from
  the summed tuning curves) is compared with it.

    python analyses/decoding.py [--quick] [--out results/decoding.nc]

Examples
--------
>>> from nsnn_sim.experiments import get
>>> experiment = get('decoding')
>>> experiment.description
'Bayesian decoding of orientation, calibration, Cramer-Rao bound, cue integration.'
>>> experiment.seed, experiment.module.__name__
(8, 'nsnn_sim.experiments.decoding')
"""

from __future__ import annotations

import textwrap

import numpy as np
import xarray as xr

import nsnn_sim as ns
from nsnn_sim import coding
from nsnn_sim._core.log import get_logger
from nsnn_sim._core.version import provenance
from nsnn_sim.experiments.tuning import (  # the same population
    DRIVE,
    DT,
    INPUT_NOISE,
    ORIENTATION_JITTER,
    WARMUP,
    drive,
    models,
)

_log = get_logger(__name__)

DESCRIPTION = "Bayesian decoding of orientation, calibration, Cramer-Rao bound, cue integration."
SEED = 8
ORDER = 40
CONTRASTS = (1.0, 0.5)
LEVELS = (0.5, 0.68, 0.8, 0.9, 0.95)


def counts(name: str, model, orientations: np.ndarray, preferred: np.ndarray, window: float, contrast: float,
           seed: int) -> np.ndarray:
    """Counts (trial, neuron) in [WARMUP, WARMUP + window), one trial per orientation."""
    n_steps = int(round((WARMUP + window) / DT))
    mean = contrast * drive(orientations, preferred)  # (trial, neuron)
    if name == "Poisson reference":
        return None
    generator = np.random.default_rng(seed)
    if name == "DSNN + input noise":
        jitter = generator.normal(0.0, ORIENTATION_JITTER, orientations.size)
        mean = contrast * drive(orientations + jitter, preferred)
        inputs = mean[:, None, :] + generator.normal(0.0, INPUT_NOISE, (orientations.size, n_steps, preferred.size))
    else:
        inputs = np.broadcast_to(mean[:, None, :], (orientations.size, n_steps, preferred.size))
    spikes = ns.simulate(model, inputs, n_neurons=preferred.size, n_steps=n_steps, n_trials=orientations.size,
                         seed=seed).spikes
    return spikes.crop(WARMUP).counts().values


def population_counts(name, model, orientations, preferred, window, contrast, seed, poisson_means=None):
    if name == "Poisson reference":
        generator = np.random.default_rng(seed)
        return generator.poisson(poisson_means(orientations))
    return counts(name, model, orientations, preferred, window, contrast, seed)


def train_decoder(train: np.ndarray, grid: np.ndarray):
    """Von Mises fits of the trial means -> PoissonDecoder (neurons whose fit failed are dropped)."""
    responses = xr.DataArray(train, dims=("stimulus", "trial", "neuron"), coords={"stimulus": grid})
    fit = coding.fit_tuning_curves(responses)
    keep = fit["converged"].values.astype(bool)
    return coding.PoissonDecoder.from_tuning_fit(fit.isel(neuron=keep)), keep, fit


def poisson_information(fit: xr.Dataset, stimulus: np.ndarray) -> np.ndarray:
    """Poisson information sum_i f_i'(s)^2 / max(f_i(s), 1e-9) of von Mises curves (counts), per stimulus."""
    parameters = [fit[name].values for name in coding.TUNING_PARAMETERS]
    return coding.poisson_fisher_information(coding.von_mises_tuning(stimulus[:, None], *parameters),
                                             coding.von_mises_tuning_derivative(stimulus[:, None], *parameters),
                                             floor=1e-9)


def rms_error(decoded: xr.Dataset, truth: np.ndarray) -> float:
    """Root-mean-square circular error (rad) of the posterior means of ``decoded`` about ``truth``."""
    return float(np.sqrt(np.mean(coding.circular_error(decoded["posterior_mean"].values, truth) ** 2)))


def run(quick: bool = False, seed: int = SEED) -> xr.Dataset:
    """128 neurons preferring ``(k + 1/2) pi / 128``, 80 training trials at each of 16 orientations ``k pi / 16``,
    1500 test trials, 200 per stimulus of the linear Fisher information (quick: 64 neurons, 40, 400, 200)."""
    n_neurons, n_train, n_test = (64, 40, 400) if quick else (128, 80, 1500)
    n_near = 200  # trials per stimulus of the linear Fisher information
    window = 0.25
    sizes = np.array([8, 16, 32, 64] + ([128] if n_neurons >= 128 else []))
    windows = np.array([0.05, 0.1, 0.25])
    n_grid = 16
    grid = np.arange(n_grid) * np.pi / n_grid
    preferred = (np.arange(n_neurons) + 0.5) * np.pi / n_neurons
    generator = np.random.default_rng(seed)
    test_orientation = generator.uniform(0, np.pi, n_test)
    names = ["NSNN gaussian membrane", "NSNN logistic escape", "DSNN + input noise", "Poisson reference"]
    all_models = models()

    shape = (len(names), sizes.size)
    error_sd, posterior_sd, crb = np.full(shape, np.nan), np.full(shape, np.nan), np.full(shape, np.nan)
    calibration = np.full((len(names), len(LEVELS)), np.nan)
    empirical_error = np.full(len(names), np.nan)
    linear_bound = np.full(len(names), np.nan)
    delta = np.deg2rad(2.0)
    calibration_empirical = np.full((len(names), len(LEVELS)), np.nan)
    window_error = np.full((len(names), windows.size), np.nan)
    cue = {key: np.full((len(names), 2), np.nan) for key in
           ("cue1_var", "cue2_var", "optimal_var", "summed_var", "optimal_mean_error", "summed_mean_error",
            "mean_difference", "summed_over_optimal_var")}
    poisson_means = None
    reference_fit = None  # the first model's (NSNN gaussian) fitted tuning curves, for the Poisson reference
    for m, name in enumerate(names):
        model = all_models.get(name)
        model_seed = seed + 1000 * m
        if name == "Poisson reference":  # independent Poisson counts with the NSNN's fitted tuning curves
            fit_reference = reference_fit

            def poisson_means(orientations, contrast_fit=fit_reference):
                return coding.von_mises_tuning(orientations[:, None], contrast_fit["preferred"].values,
                                               contrast_fit["kappa"].values, contrast_fit["baseline"].values,
                                               contrast_fit["gain"].values)
        train = np.stack([population_counts(name, model, np.full(n_train, g), preferred, window, 1.0, model_seed + k,
                                            poisson_means) for k, g in enumerate(grid)])
        test = population_counts(name, model, test_orientation, preferred, window, 1.0, model_seed + 500, poisson_means)
        decoder, keep, fit = train_decoder(train, grid)
        if m == 0:
            reference_fit = fit.isel(neuron=keep)
        decoded = decoder.decode(test[:, keep], credible=0.9)
        calibration[m] = coding.coverage(decoded, test_orientation, LEVELS).values
        # the empirical likelihood lives on its training orientations: calibrate it on a fine grid
        # (64 orientations) in a hard task (16 neurons, 50 ms) where posteriors span many grid points
        fine = np.arange(64) * np.pi / 64
        chosen = np.linspace(0, n_neurons - 1, 16).astype(int)
        fine_train = np.stack([population_counts(name, model, np.full(n_train, g), preferred, 0.05, 1.0,
                                                 model_seed + 4000 + k, _scaled(poisson_means, 0.05 / window))
                               for k, g in enumerate(fine)])[:, :, chosen]
        empirical = coding.EmpiricalDecoder(xr.DataArray(fine_train, dims=("stimulus", "trial", "neuron"),
                                                         coords={"stimulus": fine}))
        truth = fine[generator.integers(0, fine.size, n_test)]
        fine_test = population_counts(name, model, truth, preferred, 0.05, 1.0, model_seed + 4500,
                                      _scaled(poisson_means, 0.05 / window))[:, chosen]
        decoded_empirical = empirical.decode(fine_test)
        calibration_empirical[m] = coding.coverage(decoded_empirical, truth, LEVELS).values
        empirical_error[m] = rms_error(decoded_empirical, truth)
        for k, size in enumerate(sizes):
            subset = np.flatnonzero(keep)[np.linspace(0, keep.sum() - 1, min(size, keep.sum())).astype(int)]
            sub_decoder = coding.PoissonDecoder.from_tuning_fit(fit.isel(neuron=subset))
            result = sub_decoder.decode(test[:, subset])
            error_sd[m, k] = rms_error(result, test_orientation)
            posterior_sd[m, k] = float(np.mean(result["posterior_sd"].values))
            crb[m, k] = float(np.mean(1 / np.sqrt(poisson_information(fit.isel(neuron=subset), test_orientation))))
        # counting window: decode the first part of the same trials with the decoder scaled to it
        for w, length in enumerate(windows):
            if name == "Poisson reference":
                short = generator.poisson(poisson_means(test_orientation) * length / window)
            else:
                short = counts(name, model, test_orientation, preferred, length, 1.0, model_seed + 700 + w)
            short_decoder = coding.PoissonDecoder.from_tuning_fit(fit.isel(neuron=keep), window=length / window)
            window_error[m, w] = rms_error(short_decoder.decode(short[:, keep]), test_orientation)
        # the Cramer-Rao bound from the bias-corrected linear Fisher information of the whole population
        # (at 90 deg, 2 deg apart), not the Poisson assumption
        near_stimuli = [np.full(n_near, np.pi / 2 + sign * delta / 2) for sign in (-1, 1)]
        if name == "Poisson reference":
            near = [generator.poisson(poisson_means(stimuli)) for stimuli in near_stimuli]
        else:
            near = [counts(name, model, stimuli, preferred, window, 1.0, model_seed + 800 + k)
                    for k, stimuli in enumerate(near_stimuli)]
        varying = (near[0].var(axis=0) > 0) & (near[1].var(axis=0) > 0)
        linear_bound[m] = 1 / np.sqrt(float(coding.linear_fisher_information(near[0][:, varying], near[1][:, varying],
                                                                             delta)))
        # cue integration: contrasts 1 and 0.5, same orientation
        per_contrast = []
        for c, contrast in enumerate(CONTRASTS):
            if name == "Poisson reference":
                train_c = np.stack([generator.poisson(contrast_means(poisson_means, g, n_train, contrast))
                                    for g in grid])
                test_c = generator.poisson(contrast_means(poisson_means, test_orientation, None, contrast))
            else:
                train_c = np.stack([counts(name, model, np.full(n_train, g), preferred, window, contrast,
                                           model_seed + 2000 + 100 * c + k) for k, g in enumerate(grid)])
                test_c = counts(name, model, test_orientation, preferred, window, contrast, model_seed + 3000 + c)
            per_contrast.append((train_c, test_c))
        decoders = [train_decoder(train_c, grid) for train_c, _ in per_contrast]
        single = [d[0].decode(test_c[:, d[1]]) for d, (_, test_c) in zip(decoders, per_contrast)]
        summed_decoder, summed_keep, _ = train_decoder(per_contrast[0][0] + per_contrast[1][0], grid)
        summed = summed_decoder.decode((per_contrast[0][1] + per_contrast[1][1])[:, summed_keep])
        var1, var2 = single[0]["posterior_sd"].values ** 2, single[1]["posterior_sd"].values ** 2
        mean1, mean2 = single[0]["posterior_mean"].values, single[1]["posterior_mean"].values
        optimal_mean, optimal_var = coding.combine_cues(mean1, var1, mean2, var2)
        summed_var = summed["posterior_sd"].values ** 2
        summed_mean = summed["posterior_mean"].values
        values = {"cue1_var": var1, "cue2_var": var2, "optimal_var": optimal_var, "summed_var": summed_var,
                  "optimal_mean_error": coding.circular_error(optimal_mean, test_orientation) ** 2,
                  "summed_mean_error": coding.circular_error(summed_mean, test_orientation) ** 2,
                  "mean_difference": coding.circular_error(summed_mean, optimal_mean) ** 2,
                  "summed_over_optimal_var": summed_var / optimal_var}
        for key, value in values.items():
            cue[key][m] = [np.mean(value), np.std(value, ddof=1) / np.sqrt(value.size)]
        _log.info(f"{name}: error {np.rad2deg(error_sd[m]).round(2)} deg, coverage(0.9) {calibration[m][3]:.3f}, "
                  f"summed/optimal variance {cue['summed_over_optimal_var'][m][0]:.3f}")

    # decoding error against the NSNN's noise level (Gaussian membrane noise), whole population
    noise_levels = np.array([0.2, 0.4, 0.8])
    noise_error, noise_sd = np.zeros(noise_levels.size), np.zeros(noise_levels.size)
    for k, level in enumerate(noise_levels):
        model = models(level)["NSNN gaussian membrane"]
        train = np.stack([counts("NSNN", model, np.full(n_train, g), preferred, window, 1.0, seed + 9000 + 20 * k + j)
                          for j, g in enumerate(grid)])
        decoder, keep, _ = train_decoder(train, grid)
        result = decoder.decode(counts("NSNN", model, test_orientation, preferred, window, 1.0,
                                       seed + 9500 + k)[:, keep])
        noise_error[k] = rms_error(result, test_orientation)
        noise_sd[k] = float(np.mean(result["posterior_sd"].values))

    variables = {
        "error_rms": (("model", "population_size"), error_sd, {"units": "rad", "long_name": "RMS circular error"}),
        "posterior_sd": (("model", "population_size"), posterior_sd, {"units": "rad"}),
        "cramer_rao": (("model", "population_size"), crb, {"units": "rad",
                                                           "long_name": "mean 1/sqrt(Poisson Fisher information)"}),
        "coverage": (("model", "level"), calibration, {"long_name": "Poisson decoder, von Mises tuning"}),
        "coverage_empirical": (("model", "level"), calibration_empirical,
                               {"long_name": "empirical-likelihood decoder, 16 neurons, 50 ms, 64 orientations"}),
        "empirical_error_rms": (("model",), empirical_error, {"units": "rad"}),
        "window_error_rms": (("model", "window"), window_error, {"units": "rad"}),
        "linear_fisher_bound": (("model",), linear_bound,
                                {"units": "rad", "long_name": "1/sqrt(bias-corrected linear Fisher information), "
                                                              "whole population, 90 deg"}),
        "noise_error_rms": (("noise_level",), noise_error, {"units": "rad",
                                                            "long_name": "NSNN gaussian membrane, whole population"}),
        "noise_posterior_sd": (("noise_level",), noise_sd, {"units": "rad"}),
    }
    for key, value in cue.items():
        variables[f"cue_{key}"] = (("model", "estimate"), value)
    dataset = xr.Dataset(variables, coords={"model": names, "population_size": sizes, "level": list(LEVELS),
                                            "noise_level": noise_levels,
                                            "window": ("window", windows, {"units": "s"}),
                                            "estimate": ["mean", "se"]},
                         attrs={"seed": seed, "quick": int(quick), "n_test": n_test, "n_train": n_train,
                                "n_neurons": n_neurons, "training_orientations_rad": grid, "fisher_trials": n_near,
                                "window_s": window, "contrasts": str(CONTRASTS), "drive": str(DRIVE),
                                **provenance()})
    return dataset


def _scaled(poisson_means, factor):
    """The Poisson reference's mean counts for a window ``factor`` times the default."""
    if poisson_means is None:
        return None
    return lambda orientations: factor * poisson_means(orientations)


def contrast_means(poisson_means, orientations, n_trials, contrast):
    """Poisson reference at a contrast: its mean counts, baseline included, times the contrast (an input gain)."""
    orientations = np.full(n_trials, orientations) if n_trials is not None else orientations
    return contrast * poisson_means(orientations)


def figure(data: xr.Dataset):
    """Decoding and cue-integration figure from results/decoding.nc -> figures/out/decoding.png.

    a: RMS decoding error and mean posterior SD against population size, with the Cramer-Rao bound.
    b: decoding error against counting window. c: calibration of the Poisson decoder (von Mises
    tuning). d: calibration of the decoder with the learned (empirical) likelihood (c, d: ±2 binomial
    SE of a coverage over the n_test test orientations). e: cue integration: posterior variance of
    each cue, of the optimal combination and of the summed-activity posterior. f: how far the
    summed-activity posterior is from the optimal one (variance ratio, mean difference). One colour
    per model in every panel (the legend on the right)."""
    from nsnn_sim.experiments import _style as style

    figure, axes = style.subplots(2, 3)
    (size_ax, window_ax, calibration_ax), (empirical_ax, cue_ax, ratio_ax) = axes
    sizes = data["population_size"].values
    models = [str(m) for m in data["model"].values]
    levels = data["level"].values
    for m, model in enumerate(models):
        color = f"C{m}"
        row = data.sel(model=model)
        size_ax.plot(sizes, np.rad2deg(row["error_rms"]), "o-", color=color)
        size_ax.plot(sizes, np.rad2deg(row["posterior_sd"]), "s:", color=color, alpha=0.7)
        size_ax.plot(sizes, np.rad2deg(row["cramer_rao"]), "--", color=color, alpha=0.5)
        size_ax.plot(sizes[-1] * 1.15, np.rad2deg(row["linear_fisher_bound"]), "*", color=color, markersize=10)
        window_ax.plot(data["window"] * 1e3, np.rad2deg(row["window_error_rms"]), "o-", color=color)
        for ax, coverage in ((calibration_ax, row["coverage"]), (empirical_ax, row["coverage_empirical"])):
            binomial_se = np.sqrt(coverage * (1 - coverage) / data.attrs["n_test"])  # n_test test orientations
            ax.errorbar(levels + 0.004 * (m - 1), coverage, yerr=2 * binomial_se, fmt="o-", markersize=3,
                        color=color)
    style.figure_legend(figure, {model: style.key(f"C{m}") for m, model in enumerate(models)}, title="model")
    kinds = {"RMS error": style.key(), "mean posterior SD": style.key(linestyle=":", marker="s"),
             "Cramer-Rao bound 1/sqrt(I)\n(Poisson, fitted tuning)": style.key(linestyle="--", marker="none"),
             "1/sqrt(linear Fisher information),\nwhole population": style.key(linestyle="none", marker="*",
                                                                              markersize=10)}
    size_ax.set_xscale("log")
    size_ax.set_yscale("log")
    style.log_ticks(size_ax.xaxis, sizes)
    style.log_ticks(size_ax.yaxis)
    size_ax.set_xlabel("population size N")
    size_ax.set_ylabel("orientation error or SD (degree)")
    size_ax.set_title(f"Decoding error ({data.attrs['window_s'] * 1e3:g} ms counts)")
    size_ax.legend(list(kinds.values()), list(kinds))
    noise_ax = window_ax.twiny()
    noise_ax.plot(data["noise_level"], np.rad2deg(data["noise_error_rms"]), "k^--")
    noise_ax.set_xlabel("NSNN membrane noise SD per step (black triangles)")
    window_ax.plot([], [], "k^--", label="NSNN gaussian: error against\nnoise SD (top axis), 250 ms")
    window_ax.set_xlabel("counting window (ms)")
    window_ax.set_ylabel("RMS decoding error (degree)")
    window_ax.set_xscale("log")
    window_ax.set_yscale("log")
    style.log_ticks(window_ax.xaxis, data["window"].values * 1e3)
    style.log_ticks(window_ax.yaxis)
    window_ax.set_title("Longer windows, smaller errors")
    window_ax.legend()
    for ax, title in ((calibration_ax, "Poisson decoder: calibration"),
                      (empirical_ax, "Learned-likelihood decoder (16 neurons, 50 ms)")):
        ax.plot([0.4, 1], [0.4, 1], "k-", linewidth=0.8, label="calibrated")
        ax.set_xlabel("nominal credible level")
        ax.set_ylabel("empirical coverage (±2 binomial SE)")
        ax.set_title(title)
        ax.legend()
    positions = np.arange(len(models))
    width = 0.2
    bars = (("cue1_var", "cue 1 alone (contrast 1)"), ("cue2_var", "cue 2 alone (contrast 0.5)"),
            ("optimal_var", "optimal: 1/(1/var1 + 1/var2)"), ("summed_var", "posterior of the summed activity"))
    tallest = 0.0
    for k, (name, label) in enumerate(bars):
        values = np.rad2deg(np.sqrt(data[f"cue_{name}"].sel(estimate="mean").values))
        cue_ax.bar(positions + (k - 1.5) * width, values, width, color=("0.75", "0.5", "0.25", "C9")[k], label=label)
        tallest = max(tallest, float(np.max(values)))
    cue_ax.set_ylim(0, 1.6 * tallest)  # room for the legend above the bars
    cue_ax.set_xticks(positions, [textwrap.fill(model, 12) for model in models])
    cue_ax.set_ylabel("posterior SD (degree, root mean variance)")
    cue_ax.set_title("Cue integration (Ma et al. 2006)")
    cue_ax.legend(loc="upper left")
    ratio = data["cue_summed_over_optimal_var"]
    ratio_ax.errorbar(positions, ratio.sel(estimate="mean"), yerr=2 * ratio.sel(estimate="se"), fmt="o",
                      color="k", label="variance: summed / optimal (±2 SE)")
    mean_difference = np.rad2deg(np.sqrt(data["cue_mean_difference"].sel(estimate="mean").values))
    twin = ratio_ax.twinx()
    twin.bar(positions, mean_difference, 0.3, alpha=0.3, color="C3", label="RMS difference of means (degree)")
    ratio_ax.axhline(1.0, color="k", linewidth=0.8)
    ratio_ax.set_xticks(positions, [textwrap.fill(model, 12) for model in models])
    ratio_ax.set_ylabel("summed-activity / optimal posterior variance")
    twin.set_ylabel("RMS(summed mean - optimal mean) (degree)")
    ratio_ax.set_title("Summed activity vs optimal combination")
    lines, twin_lines = ratio_ax.get_legend_handles_labels(), twin.get_legend_handles_labels()
    ratio_ax.legend(lines[0] + twin_lines[0], lines[1] + twin_lines[1], loc="upper left")
    caption = cue_caption(data)
    figure.text(0.5, 0.0, caption, ha="center", va="top", wrap=True)  # below the panels, in the saved area
    return figure


def cue_caption(data) -> str:
    """Plain statement of which models integrate near-optimally (summed/optimal variance within 5 %)."""
    ratio = data["cue_summed_over_optimal_var"].sel(estimate="mean")
    near = [str(m) for m in data["model"].values if abs(float(ratio.sel(model=m)) - 1) < 0.05]
    far = [str(m) for m in data["model"].values if str(m) not in near]
    coverage = data["coverage"].sel(level=0.9)
    badly = [str(m) for m in data["model"].values if abs(float(coverage.sel(model=m)) - 0.9) > 0.05]
    text = ("Cue integration: summed-activity posterior within 5 % of the optimal variance for "
            f"{', '.join(near) or 'none'}" + (f"; not for {', '.join(far)}" if far else "") + ". ")
    if badly:
        text += (f"But the Poisson decoder's 90 % intervals are miscalibrated for {', '.join(badly)} (coverage "
                 + ", ".join(f"{float(coverage.sel(model=m)):.2f}" for m in badly)
                 + "): their posteriors, and so this integration, are only Poisson-like in name.")
    return text


def summary(data: xr.Dataset) -> list[str]:
    largest = int(data["population_size"].max())
    lines = []
    for model in data["model"].values:
        row = data.sel(model=model)
        lines.append(f"{model}: RMS error {np.rad2deg(float(row['error_rms'].sel(population_size=largest))):.2f} deg "
                     f"at N = {largest} (linear-Fisher bound {np.rad2deg(float(row['linear_fisher_bound'])):.2f} deg "
                     f"for the whole population); 90 % interval coverage {float(row['coverage'].sel(level=0.9)):.3f} "
                     f"(Poisson decoder), {float(row['coverage_empirical'].sel(level=0.9)):.3f} (learned likelihood); "
                     f"cue integration: summed / optimal posterior variance "
                     f"{float(row['cue_summed_over_optimal_var'].sel(estimate='mean')):.3f}")
    return lines
