"""LIF rate and ISI CV against theory as dt -> 0, for grid and Brownian-bridge threshold crossing.

For each (mu, sigma, tau_ref) point and time step, simulates a population of independent noisy LIF
neurons and compares the stationary rate with the Siegert rate, the leading-order prediction of the
grid bias (Siegert at threshold + rho*sigma*sqrt(2 dt/tau)), and the ISI CV with Brunel's formula.
Writes results/lif_convergence.nc (dims: condition, dt, crossing).

    python analyses/lif_convergence.py [--quick] [--out results/lif_convergence.nc]
    python figures/lif_convergence.py

Examples
--------
>>> from nsnn_sim.experiments import get
>>> experiment = get('lif_convergence')
>>> experiment.description
'LIF rate against dt: grid threshold bias ~ sqrt(dt), Brownian-bridge crossing.'
>>> experiment.seed, experiment.module.__name__
(3, 'nsnn_sim.experiments.lif_convergence')
"""

from __future__ import annotations

import time

import numpy as np
import xarray as xr

import nsnn_sim as ns
from nsnn_sim._core.log import get_logger
from nsnn_sim._core.version import provenance
from nsnn_sim.analysis import stats

_log = get_logger(__name__)

DESCRIPTION = "LIF rate against dt: grid threshold bias ~ sqrt(dt), Brownian-bridge crossing."
SEED = 3
ORDER = 10
CV_GROUPS = 10  # disjoint sets of neurons for the CV's SE
TAU = 10e-3
POINTS = [(0.6, 0.3, 0.0), (0.9, 0.5, 0.0), (1.2, 0.2, 2.1e-3)]  # 2.1 ms: whole steps at every dt
DTS = [1e-4, 3e-5, 1e-5]
CROSSINGS = ["grid", "bridge"]


def measure(mu, sigma, tau_ref, dt, crossing, neuron_seconds, seed):
    """Rate (stationary protocol, :func:`~nsnn_sim.analysis.stats.stationary_rate`), its SE, pooled ISI CV, its
    SE (the spread of the CVs of ``CV_GROUPS`` disjoint sets of neurons over sqrt(CV_GROUPS)) and wall time."""
    duration = 1.0  # counted after the warm-up
    n_neurons = max(2, int(neuron_seconds / duration))
    n_steps = int(round((stats.STATIONARY_WARMUP + duration) / dt))
    model = ns.LIF(tau=TAU, sigma=sigma, tau_ref=tau_ref, dt=dt, threshold_crossing=crossing, method="euler")
    start = time.perf_counter()
    spikes = ns.simulate(model, mu, n_neurons=n_neurons, n_steps=n_steps, seed=seed).spikes
    elapsed = time.perf_counter() - start
    rate, rate_se = stats.stationary_rate(spikes)
    stationary = stats.stationary_part(spikes)
    length, _, train = stationary.intervals()
    by_group = stats.cv_of_intervals(length.astype(float), train % CV_GROUPS, CV_GROUPS)  # disjoint sets of neurons
    cv_se = float(np.std(by_group, ddof=1) / np.sqrt(CV_GROUPS))
    return rate, rate_se, float(stats.isi_cv(stationary, pool="all")), cv_se, elapsed


def run(quick: bool = False, seed: int = SEED) -> xr.Dataset:
    """Rate and ISI CV of LIF populations for every (mu, sigma, tau_ref) point, dt and crossing rule
    (quick: 300 neuron-seconds per cell, full: 2000)."""
    neuron_seconds = 300 if quick else 2000

    shape = (len(POINTS), len(DTS), len(CROSSINGS))
    rate, rate_se, cv, cv_se, wall = (np.zeros(shape) for _ in range(5))
    for p, (mu, sigma, tau_ref) in enumerate(POINTS):
        for d, dt in enumerate(DTS):
            for c, crossing in enumerate(CROSSINGS):
                rate[p, d, c], rate_se[p, d, c], cv[p, d, c], cv_se[p, d, c], wall[p, d, c] = measure(
                    mu, sigma, tau_ref, dt, crossing, neuron_seconds, seed)
    siegert = np.array([ns.theory.siegert_rate(mu, s, TAU, tau_ref=r) for mu, s, r in POINTS])
    brunel_cv = np.array([ns.theory.isi_cv(mu, s, TAU, tau_ref=r) for mu, s, r in POINTS])
    shifted = [[1 + ns.theory.grid_threshold_shift(s, dt, TAU) for dt in DTS] for _, s, _ in POINTS]
    predicted_grid = np.array([[ns.theory.siegert_rate(mu, s, TAU, threshold=threshold, tau_ref=r) for threshold in row]
                               for (mu, s, r), row in zip(POINTS, shifted)])
    condition = [f"mu={mu:g}, sigma={s:g}, tau_ref={r * 1e3:g} ms" for mu, s, r in POINTS]
    dataset = xr.Dataset(
        {
            "rate": (("condition", "dt", "crossing"), rate, {"units": "Hz"}),
            "rate_se": (("condition", "dt", "crossing"), rate_se, {"units": "Hz", "long_name": "SE over neurons"}),
            "cv": (("condition", "dt", "crossing"), cv),
            "cv_se": (("condition", "dt", "crossing"), cv_se, {"long_name": f"SE from {CV_GROUPS} sets of neurons"}),
            "wall_time": (("condition", "dt", "crossing"), wall, {"units": "s"}),
            "siegert_rate": ("condition", siegert, {"units": "Hz"}),
            "brunel_cv": ("condition", brunel_cv),
            "predicted_grid_rate": (("condition", "dt"), predicted_grid, {"units": "Hz"}),
            "mu": ("condition", [p[0] for p in POINTS]),
            "sigma": ("condition", [p[1] for p in POINTS]),
            "tau_ref": ("condition", [p[2] for p in POINTS], {"units": "s"}),
        },
        coords={"condition": condition, "dt": ("dt", DTS, {"units": "s"}), "crossing": CROSSINGS},
        attrs={"tau": TAU, "seed": seed, "neuron_seconds": neuron_seconds,
               "quick": int(quick), **provenance(), "model": "LIF euler, Gaussian membrane noise"},
    )
    relative = dataset["rate"] / dataset["siegert_rate"] - 1
    for p, name in enumerate(condition):
        grid = relative.isel(condition=p).sel(crossing="grid").values
        slope = np.polyfit(np.log(DTS), np.log(np.abs(grid)), 1)[0]
        _log.info(f"{name}: grid error {np.round(100 * grid, 2)} % (log-log slope {slope:.2f}); "
                  f"bridge error {np.round(100 * relative.isel(condition=p).sel(crossing='bridge').values, 2)} %; "
                  f"CV/Brunel - 1 {np.round(100 * (cv[p] / brunel_cv[p] - 1).ravel(), 1)} %")
    return dataset


def figure(data: xr.Dataset):
    """Rate deficit (grid), rate error (bridge) and ISI CV against dt (error bars: 1 SE), one colour per
    condition (the legend on the right)."""
    from nsnn_sim.experiments import _style as style

    dt_ms = data["dt"].values * 1e3
    figure, (grid_ax, bridge_ax, cv_ax) = style.subplots(1, 3)
    conditions = [str(condition) for condition in data["condition"].values]
    style.figure_legend(figure, {condition: style.key(f"C{index}") for index, condition in enumerate(conditions)},
                        title="condition")
    for index, condition in enumerate(conditions):
        color = f"C{index}"
        row = data.sel(condition=condition)
        siegert = row["siegert_rate"].item()
        grid_error = -100 * (row["rate"].sel(crossing="grid") / siegert - 1)
        grid_se = 100 * row["rate_se"].sel(crossing="grid") / siegert
        grid_ax.errorbar(dt_ms, grid_error, yerr=grid_se, color=color, marker="o")
        grid_ax.plot(dt_ms, -100 * (row["predicted_grid_rate"] / siegert - 1), color=color, linestyle="--",
                     alpha=0.7)
        bridge_error = 100 * (row["rate"].sel(crossing="bridge") / siegert - 1)
        bridge_se = 100 * row["rate_se"].sel(crossing="bridge") / siegert
        bridge_ax.errorbar(dt_ms * (1 + 0.04 * index), bridge_error, yerr=bridge_se, color=color, marker="s")
        for crossing, marker in (("grid", "o"), ("bridge", "s")):
            cv_ax.errorbar(dt_ms * (1 + 0.03 * (crossing == "bridge")), row["cv"].sel(crossing=crossing),
                           yerr=row["cv_se"].sel(crossing=crossing), color=color, marker=marker,
                           linestyle="-" if crossing == "grid" else ":")
        cv_ax.axhline(row["brunel_cv"].item(), color=color, linestyle="--", alpha=0.6)
    grid_ax.plot([], [], "k-o", label="simulation, grid crossing")
    grid_ax.plot([], [], "k--", alpha=0.7, label="theory: Siegert at threshold + 0.583 s")
    guide = 8.0 * np.sqrt(dt_ms / dt_ms.max())
    grid_ax.plot(dt_ms, guide, color="gray", linewidth=3, alpha=0.4, label="slope 1/2 (error ~ sqrt(dt))")
    for ax in (grid_ax, bridge_ax, cv_ax):
        ax.set_xscale("log")
        style.log_ticks(ax.xaxis, dt_ms)
        ax.set_xlabel("time step dt (ms)")
    grid_ax.set_yscale("log")
    style.log_ticks(grid_ax.yaxis)
    grid_ax.set_ylabel("rate deficit vs Siegert (%, ±1 SE)")
    grid_ax.set_title("Threshold checked on the grid: bias ~ sqrt(dt)")
    grid_ax.legend()
    bridge_ax.axhspan(-1.5, 1.5, color="0.9", label="±1.5 %")
    bridge_ax.axhline(0, color="k", linewidth=0.8)
    bridge_ax.set_ylim(-3, 3)
    bridge_ax.set_ylabel("rate error vs Siegert (%, ±1 SE)")
    bridge_ax.set_title("Brownian-bridge crossing: no bias")
    bridge_ax.legend()
    cv_ax.plot([], [], "k-o", label="grid crossing")
    cv_ax.plot([], [], "k:s", label="bridge crossing")
    cv_ax.plot([], [], "k--", alpha=0.6, label="Brunel (2000) CV")
    cv_ax.set_ylabel("ISI coefficient of variation (±1 SE)")
    cv_ax.set_title("ISI CV against Brunel's formula")
    cv_ax.legend()
    return figure


def summary(data: xr.Dataset) -> list[str]:
    error = 100 * (data["rate"] / data["siegert_rate"] - 1)
    lines = []
    for condition in data["condition"].values:
        row = error.sel(condition=condition)
        lines.append(f"{condition}: rate error at dt = "
                     + ", ".join(f"{dt * 1e3:g} ms" for dt in data["dt"].values)
                     + f": grid {np.round(row.sel(crossing='grid').values, 2).tolist()} %, "
                     f"bridge {np.round(row.sel(crossing='bridge').values, 2).tolist()} %")
    return lines
