"""Rate error against dt (grid vs Brownian bridge) and CV against Brunel -> figures/out/lif_convergence.png.

    python figures/lif_convergence.py [--results results/lif_convergence.nc]
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from nsnn_sim.plotting import figure_inputs, save_figure  # noqa: E402


def main(argv=None) -> Path:
    args, data = figure_inputs("lif_convergence", __doc__, argv)
    dt_ms = data["dt"].values * 1e3
    figure, (grid_ax, bridge_ax, cv_ax) = plt.subplots(1, 3, figsize=(15, 4.4))
    for index, condition in enumerate(data["condition"].values):
        color = f"C{index}"
        row = data.sel(condition=condition)
        siegert = row["siegert_rate"].item()
        grid_error = -100 * (row["rate"].sel(crossing="grid") / siegert - 1)
        grid_se = 100 * row["rate_se"].sel(crossing="grid") / siegert
        grid_ax.errorbar(dt_ms, grid_error, yerr=grid_se, color=color, marker="o", capsize=3, label=condition)
        grid_ax.plot(dt_ms, -100 * (row["predicted_grid_rate"] / siegert - 1), color=color, linestyle="--",
                     alpha=0.7, label="theory: Siegert at threshold + 0.583 s" if index == 0 else None)
        bridge_error = 100 * (row["rate"].sel(crossing="bridge") / siegert - 1)
        bridge_se = 100 * row["rate_se"].sel(crossing="bridge") / siegert
        bridge_ax.errorbar(dt_ms * (1 + 0.04 * index), bridge_error, yerr=bridge_se, color=color, marker="s",
                           capsize=3, label=condition)
        for crossing, marker in (("grid", "o"), ("bridge", "s")):
            cv_ax.plot(dt_ms, row["cv"].sel(crossing=crossing), color=color, marker=marker,
                       linestyle="-" if crossing == "grid" else ":",
                       label=f"{condition}, {crossing}")
        cv_ax.axhline(row["brunel_cv"].item(), color=color, linestyle="--", alpha=0.6,
                      label="Brunel (2000) CV" if index == 0 else None)
    guide = 8.0 * np.sqrt(dt_ms / dt_ms.max())
    grid_ax.plot(dt_ms, guide, color="gray", linewidth=3, alpha=0.4, label="slope 1/2 (error ~ sqrt(dt))")
    grid_ax.set_xscale("log")
    grid_ax.set_yscale("log")
    grid_ax.set_xlabel("time step dt (ms)")
    grid_ax.set_ylabel("rate deficit vs Siegert (%)")
    grid_ax.set_title("Threshold checked on the grid: bias ~ sqrt(dt)")
    grid_ax.legend(fontsize=7)
    bridge_ax.axhspan(-1.5, 1.5, color="0.9", label="+-1.5 %")
    bridge_ax.axhline(0, color="k", linewidth=0.8)
    bridge_ax.set_xscale("log")
    bridge_ax.set_ylim(-3, 3)
    bridge_ax.set_xlabel("time step dt (ms)")
    bridge_ax.set_ylabel("rate error vs Siegert (%), +-1 SE")
    bridge_ax.set_title("Brownian-bridge crossing: no bias")
    bridge_ax.legend(fontsize=7)
    cv_ax.set_xscale("log")
    cv_ax.set_xlabel("time step dt (ms)")
    cv_ax.set_ylabel("ISI coefficient of variation")
    cv_ax.set_title("ISI CV against Brunel's formula")
    cv_ax.legend(fontsize=6.5, loc="center right")
    figure.tight_layout()
    return save_figure(figure, args.out, dpi=130)


if __name__ == "__main__":
    main()
