"""Tuning figure from results/tuning.nc -> figures/out/tuning.png (no simulation here).

A: tuning curves (mean +- SD over trials) of three neurons per model with their von Mises fits.
B: fitted against true preferred orientation. C: Fano factor against firing rate (mean-variance).
D: noise correlation against the difference in preferred orientation. E: bias-corrected linear
Fisher information against population size. F: discrimination threshold and Fisher information
against the NSNN's noise level.

    python figures/tuning.py [--results results/tuning.nc]
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from nsnn_sim.coding import von_mises_tuning  # noqa: E402
from nsnn_sim.plotting import figure_inputs, save_figure  # noqa: E402


def main(argv=None) -> Path:
    args, data = figure_inputs("tuning", __doc__, argv)
    window = float(data.attrs["window_s"])
    figure, axes = plt.subplots(2, 3, figsize=(16, 9.5))
    (curve_ax, preferred_ax, fano_ax), (correlation_ax, fisher_ax, noise_ax) = axes
    degrees = np.rad2deg(data["stimulus"].values)
    fine = np.linspace(0, np.pi, 200)
    n_neurons = data.sizes["neuron"]
    shown = [n_neurons // 4, n_neurons // 2]
    for m, model in enumerate(data["model"].values):
        color = f"C{m}"
        row = data.sel(model=model)
        for k, neuron in enumerate(shown):
            mean, sd = row["tuning_mean"].isel(neuron=neuron), row["tuning_sd"].isel(neuron=neuron)
            curve_ax.errorbar(degrees + 1.5 * m, mean, yerr=sd, fmt="o", markersize=3, color=color, capsize=2,
                              label=f"{model} (mean +- SD over trials)" if k == 0 else None)
            fit = row.isel(neuron=neuron)
            if bool(fit["fit_converged"]):
                curve_ax.plot(np.rad2deg(fine), von_mises_tuning(fine, float(fit["fit_preferred"]), float(fit["fit_kappa"]),
                                                                 float(fit["fit_baseline"]), float(fit["fit_gain"])) / window,
                              color=color, linewidth=1)
        fitted = np.rad2deg(row["fit_preferred"].values)
        preferred_ax.plot(np.rad2deg(data["preferred_true"].values), fitted, ".", color=color, markersize=4,
                          label=str(model))
        rate = row["tuning_mean"].values.ravel()
        fano = row["fano"].values.ravel()
        keep = np.isfinite(fano) & (rate > 0)
        fano_ax.plot(rate[keep], fano[keep], ".", color=color, markersize=2, alpha=0.4, label=str(model))
        correlation_ax.plot(np.rad2deg(data["preference_difference"]), row["noise_correlation"], "o-", color=color,
                            label=str(model))
    curve_ax.plot([], [], "k-", linewidth=1, label="von Mises fit")
    curve_ax.set_xlabel("stimulus orientation (degree)")
    curve_ax.set_ylabel("firing rate (Hz)")
    curve_ax.set_title(f"Tuning curves of neurons {shown[0]} and {shown[1]}")
    curve_ax.legend(fontsize=7)
    preferred_ax.plot([0, 180], [0, 180], "k-", linewidth=0.8, label="truth")
    preferred_ax.set_xlabel("true preferred orientation (degree)")
    preferred_ax.set_ylabel("fitted preferred orientation (degree)")
    preferred_ax.set_title("Von Mises fits recover the preferred orientation")
    preferred_ax.legend(fontsize=7)
    fano_ax.axhline(1.0, color="k", linestyle=":", label="Poisson (Fano = 1)")
    fano_ax.set_xlabel("firing rate (Hz)")
    fano_ax.set_ylabel(f"Fano factor ({window:g} s counts)")
    fano_ax.set_title("Mean-variance relation (DSNN: zero variance)")
    fano_ax.legend(fontsize=7, markerscale=4)
    correlation_ax.axhline(0, color="k", linewidth=0.8)
    correlation_ax.set_xlabel("difference of preferred orientations (degree)")
    correlation_ax.set_ylabel("spike-count noise correlation")
    correlation_ax.set_title("Noise correlations (DSNN: undefined, no variance)")
    correlation_ax.legend(fontsize=7)
    sizes = data["population_size"].values
    color_of = {str(model): f"C{m}" for m, model in enumerate(data["model"].values)}
    for model in data["fisher_model"].values:
        values = data["fisher_information"].sel(fisher_model=model)
        fisher_ax.plot(sizes, values, "o-", color=color_of[str(model)], label=str(model))
    fisher_ax.axhline(1 / float(data.attrs["orientation_jitter_rad"]) ** 2, color="gray", linestyle=":",
                      label="input-noise limit 1/jitter^2")
    fisher_ax.set_xscale("log")
    fisher_ax.set_yscale("log")
    fisher_ax.set_xlabel("population size N")
    fisher_ax.set_ylabel("linear Fisher information (1/rad^2), bias-corrected")
    fisher_ax.set_title("Fisher information grows with N unless the noise is in the input")
    fisher_ax.legend(fontsize=7)
    levels = data["noise_level"].values
    noise_ax.plot(levels, data["fisher_information_noise"], "o-", color="C0", label="Fisher information")
    twin = noise_ax.twinx()
    threshold = np.rad2deg(1 / np.sqrt(data["fisher_information_noise"].values))
    twin.plot(levels, threshold, "s--", color="C3", label="discrimination threshold (d' = 1)")
    noise_ax.set_xlabel("NSNN membrane noise SD per step")
    noise_ax.set_ylabel(f"Fisher information, N = {n_neurons} (1/rad^2)")
    twin.set_ylabel("discrimination threshold (degree)")
    noise_ax.set_title("More intrinsic noise, less information")
    lines, twin_lines = noise_ax.get_legend_handles_labels(), twin.get_legend_handles_labels()
    noise_ax.legend(lines[0] + twin_lines[0], lines[1] + twin_lines[1], fontsize=7)
    figure.tight_layout()
    return save_figure(figure, args.out, dpi=110)


if __name__ == "__main__":
    main()
