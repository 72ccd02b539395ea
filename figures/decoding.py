"""Decoding and cue-integration figure from results/decoding.nc -> figures/out/decoding.png.

A: RMS decoding error and mean posterior SD against population size, with the Cramer-Rao bound.
B: decoding error against counting window. C: calibration of the Poisson decoder (von Mises
tuning). D: calibration of the decoder with the learned (empirical) likelihood. E: cue integration:
posterior variance of each cue, of the optimal combination and of the summed-activity posterior.
F: how far the summed-activity posterior is from the optimal one (variance ratio, mean difference).

    python figures/decoding.py [--results results/decoding.nc]
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from nsnn_sim.plotting import figure_inputs, save_figure  # noqa: E402


def main(argv=None) -> Path:
    args, data = figure_inputs("decoding", __doc__, argv)
    figure, axes = plt.subplots(2, 3, figsize=(16, 9.5))
    (size_ax, window_ax, calibration_ax), (empirical_ax, cue_ax, ratio_ax) = axes
    sizes = data["population_size"].values
    models = [str(m) for m in data["model"].values]
    for m, model in enumerate(models):
        color = f"C{m}"
        row = data.sel(model=model)
        size_ax.plot(sizes, np.rad2deg(row["error_rms"]), "o-", color=color, label=f"{model}: RMS error")
        size_ax.plot(sizes, np.rad2deg(row["posterior_sd"]), "s:", color=color, alpha=0.7,
                     label="mean posterior SD" if m == 0 else None)
        size_ax.plot(sizes, np.rad2deg(row["cramer_rao"]), "--", color=color, alpha=0.5,
                     label="Cramer-Rao bound 1/sqrt(I) (Poisson, fitted tuning)" if m == 0 else None)
        window_ax.plot(data["window"] * 1e3, np.rad2deg(row["window_error_rms"]), "o-", color=color, label=model)
        levels = data["level"].values
        calibration_ax.plot(levels, row["coverage"], "o-", color=color, label=model)
        empirical_ax.plot(levels, row["coverage_empirical"], "o-", color=color, label=model)
        size_ax.plot(sizes[-1] * 1.15, np.rad2deg(row["linear_fisher_bound"]), "*", color=color, markersize=10,
                     label="1/sqrt(linear Fisher information), whole population" if m == 0 else None)
    size_ax.set_xscale("log")
    size_ax.set_yscale("log")
    size_ax.set_xticks(sizes)
    size_ax.set_xticklabels([str(s) for s in sizes])
    size_ax.set_xlabel("population size N")
    size_ax.set_ylabel("orientation error / SD (degree)")
    size_ax.set_title(f"Decoding error ({data.attrs['window_s'] * 1e3:g} ms counts)")
    size_ax.legend(fontsize=6.5)
    noise_ax = window_ax.twiny()
    noise_ax.plot(data["noise_level"], np.rad2deg(data["noise_error_rms"]), "k^--",
                  label="NSNN gaussian: error vs noise SD (top axis)")
    noise_ax.set_xlabel("NSNN membrane noise SD per step (black triangles)")
    window_ax.plot([], [], "k^--", label="error vs noise level (top axis)")
    window_ax.set_xlabel("counting window (ms)")
    window_ax.set_ylabel("RMS decoding error (degree)")
    window_ax.set_xscale("log")
    window_ax.set_yscale("log")
    window_ax.set_title("Longer windows, smaller errors")
    window_ax.legend(fontsize=7)
    for ax, title in ((calibration_ax, "Poisson decoder: calibration"),
                      (empirical_ax, "Learned-likelihood decoder: calibration (16 neurons, 50 ms)")):
        ax.plot([0.4, 1], [0.4, 1], "k-", linewidth=0.8, label="calibrated")
        ax.set_xlabel("nominal credible level")
        ax.set_ylabel("empirical coverage")
        ax.set_title(title)
        ax.legend(fontsize=7)
    positions = np.arange(len(models))
    width = 0.2
    for k, (key, label) in enumerate((("cue1_var", "cue 1 alone (contrast 1)"), ("cue2_var", "cue 2 alone (contrast 0.5)"),
                                      ("optimal_var", "optimal: 1/(1/var1 + 1/var2)"),
                                      ("summed_var", "posterior of the summed activity"))):
        values = np.rad2deg(np.sqrt(data[f"cue_{key}"].sel(estimate="mean").values))
        cue_ax.bar(positions + (k - 1.5) * width, values, width, label=label)
    cue_ax.set_xticks(positions)
    cue_ax.set_xticklabels(models, rotation=15, fontsize=8)
    cue_ax.set_ylabel("posterior SD (degree, root mean variance)")
    cue_ax.set_title("Cue integration (Ma et al. 2006)")
    cue_ax.legend(fontsize=7)
    ratio = data["cue_summed_over_optimal_var"]
    ratio_ax.errorbar(positions, ratio.sel(estimate="mean"), yerr=2 * ratio.sel(estimate="se"), fmt="o",
                      capsize=3, label="variance: summed / optimal (+-2 SE)")
    mean_difference = np.rad2deg(np.sqrt(data["cue_mean_difference"].sel(estimate="mean").values))
    twin = ratio_ax.twinx()
    twin.bar(positions, mean_difference, 0.3, alpha=0.3, color="C3", label="RMS difference of means (degree)")
    ratio_ax.axhline(1.0, color="k", linewidth=0.8)
    ratio_ax.set_xticks(positions)
    ratio_ax.set_xticklabels(models, rotation=15, fontsize=8)
    ratio_ax.set_ylabel("summed-activity / optimal posterior variance")
    twin.set_ylabel("RMS(summed mean - optimal mean) (degree)")
    ratio_ax.set_title("Summed activity vs optimal combination")
    lines, twin_lines = ratio_ax.get_legend_handles_labels(), twin.get_legend_handles_labels()
    ratio_ax.legend(lines[0] + twin_lines[0], lines[1] + twin_lines[1], fontsize=7, loc="upper left")
    caption = cue_caption(data)
    figure.text(0.5, 0.005, caption, ha="center", fontsize=8, wrap=True)
    figure.tight_layout(rect=(0, 0.04, 1, 1))
    return save_figure(figure, args.out, dpi=110)


def cue_caption(data) -> str:
    """Plain statement of which models integrate near-optimally (summed/optimal variance within 5 %)."""
    ratio = data["cue_summed_over_optimal_var"].sel(estimate="mean")
    near = [str(m) for m in data["model"].values if abs(float(ratio.sel(model=m)) - 1) < 0.05]
    far = [str(m) for m in data["model"].values if str(m) not in near]
    coverage = data["coverage"].sel(level=0.9)
    badly = [str(m) for m in data["model"].values if abs(float(coverage.sel(model=m)) - 0.9) > 0.05]
    text = (f"Cue integration: summed-activity posterior within 5 % of the optimal variance for {', '.join(near) or 'none'}"
            + (f"; not for {', '.join(far)}" if far else "") + ". ")
    if badly:
        text += (f"But the Poisson decoder's 90 % intervals are miscalibrated for {', '.join(badly)} (coverage "
                 + ", ".join(f"{float(coverage.sel(model=m)):.2f}" for m in badly)
                 + "): their posteriors, and so this integration, are only Poisson-like in name.")
    return text


if __name__ == "__main__":
    main()
