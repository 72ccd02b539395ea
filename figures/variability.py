"""Variability figure from results/variability.nc -> figures/out/variability.png (no simulation here).

A: LIF ISI CV against mean input with Brunel's CV. B: LIF Fano factor (1 s) with the renewal limit
CV^2. C: NSNN ISI CV against drive for every noise family and firing rule, and the DSNN. D: Fano
factor against counting window. E: rasters under constant and frozen fluctuating input (NSNN and
DSNN). F: reliability and spike-time imprecision against the noise level.

    python figures/variability.py [--results results/variability.nc]
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from nsnn_sim.plotting import figure_inputs, save_figure  # noqa: E402


def main(argv=None) -> Path:
    args, data = figure_inputs("variability", __doc__, argv)
    figure, axes = plt.subplots(2, 3, figsize=(16, 9.5))
    (cv_ax, fano_ax, nsnn_ax), (window_ax, raster_ax, reliability_ax) = axes

    for index, sigma in enumerate(data["sigma"].values):
        color = f"C{index}"
        row = data.sel(sigma=sigma)
        cv_ax.errorbar(row["mu"], row["lif_cv"], yerr=2 * row["lif_cv_se"], fmt="o", color=color, capsize=2,
                       label=f"simulation, sigma = {sigma:g}")
        cv_ax.plot(row["mu_theory"], row["lif_theory_cv"], color=color, label="Brunel (2000) CV" if index == 0 else None)
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
    return save_figure(figure, args.out, dpi=110)


if __name__ == "__main__":
    main()
