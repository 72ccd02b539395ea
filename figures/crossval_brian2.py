"""Summary of results/crossval_brian2.nc -> figures/out/crossval_brian2.png (no simulation here).

Top: rate, ISI CV and Fano factor of nsnn_sim against Brian2 for every condition (with +-2 SE bars;
the diagonal is agreement). Bottom: every test's p-value against the Bonferroni threshold.

    python figures/crossval_brian2.py [--results results/crossval_brian2.nc]
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from nsnn_sim.plotting import figure_inputs, save_figure  # noqa: E402

LABELS = {"rate": "firing rate (Hz)", "cv": "ISI CV", "fano": "Fano factor (100 ms)"}
MARKERS = {"rate": "o", "cv": "s", "fano": "^", "isi_ks": "D", "psth": "v"}


def main(argv=None) -> Path:
    args, data = figure_inputs("crossval_brian2", __doc__, argv)
    figure = plt.figure(figsize=(14, 9))
    grid = figure.add_gridspec(2, 3, height_ratios=[1, 1.25])
    for column, metric in enumerate(LABELS):
        ax = figure.add_subplot(grid[0, column])
        values = data["value"].sel(metric=metric)
        errors = 2 * data["se"].sel(metric=metric)
        ours, theirs = values.sel(simulator="nsnn_sim").values, values.sel(simulator="brian2").values
        ax.errorbar(ours, theirs, xerr=errors.sel(simulator="nsnn_sim").values,
                    yerr=errors.sel(simulator="brian2").values, fmt="o", markersize=4, capsize=2,
                    label="one condition (+-2 SE)")
        finite = np.isfinite(ours) & np.isfinite(theirs)
        low, high = np.min(np.r_[ours[finite], theirs[finite]]), np.max(np.r_[ours[finite], theirs[finite]])
        ax.plot([low, high], [low, high], color="k", linewidth=0.8, label="equality")
        if metric == "rate":
            ax.set_xscale("log")
            ax.set_yscale("log")
        ax.set_xlabel(f"nsnn_sim: {LABELS[metric]}")
        ax.set_ylabel(f"Brian2: {LABELS[metric]}")
        ax.legend(fontsize=8, loc="upper left")
    ax = figure.add_subplot(grid[1, :])
    names = list(data["condition"].values)
    positions = np.arange(len(names))
    for offset, metric in enumerate(data["metric"].values):
        p = data["p_value"].sel(metric=metric).values
        ax.scatter(positions + 0.12 * (offset - 2), p, marker=MARKERS[str(metric)], label=str(metric), s=22)
    theory = data["theory_p_value"]
    for offset, simulator in enumerate(theory["simulator"].values):
        ax.scatter(positions + 0.3 + 0.08 * offset, theory.sel(simulator=simulator).values, marker="*", s=40,
                   label=f"theory rate vs {simulator}")
    threshold = data.attrs["bonferroni_threshold"]
    ax.axhline(threshold, color="C3", linestyle="--",
               label=f"Bonferroni threshold ({data.attrs['n_tests']} tests, family alpha {data.attrs['family_alpha']})")
    ax.set_yscale("log")
    ax.set_ylim(min(threshold / 10, np.nanmin(data["p_value"].values) / 2), 1.5)
    ax.set_xticks(positions)
    ax.set_xticklabels(names, rotation=35, ha="right", fontsize=7)
    ax.set_ylabel("two-sided p-value")
    verdict = "all conditions agree" if bool(data["agree"].all()) else \
        f"{int((~data['agree']).sum())} condition(s) differ"
    ax.set_title(f"nsnn_sim vs Brian2 (Cython), independent seeds: {verdict}")
    ax.legend(fontsize=7, ncol=4, loc="lower left")
    figure.tight_layout()
    return save_figure(figure, args.out, dpi=120)


if __name__ == "__main__":
    main()
