"""LIF rate and ISI CV against theory as dt -> 0, for grid and Brownian-bridge threshold crossing.

For each (mu, sigma, tau_ref) point and time step, simulates a population of independent noisy LIF
neurons and compares the stationary rate with the Siegert rate, the leading-order prediction of the
grid bias (Siegert at threshold + rho*sigma*sqrt(2 dt/tau)), and the ISI CV with Brunel's formula.
Writes results/lif_convergence.nc (dims: condition, dt, crossing).

    python analyses/lif_convergence.py [--quick] [--out results/lif_convergence.nc]
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

TAU = 10e-3
POINTS = [(0.6, 0.3, 0.0), (0.9, 0.5, 0.0), (1.2, 0.2, 2.1e-3)]  # 2.1 ms: whole steps at every dt
DTS = [1e-4, 3e-5, 1e-5]
CROSSINGS = ["grid", "bridge"]


def measure(mu, sigma, tau_ref, dt, crossing, neuron_seconds, seed):
    duration = 1.0
    n_neurons = max(1, int(neuron_seconds / duration))
    n_steps = int(round(duration / dt))
    warmup = int(round(0.05 / dt))
    model = ns.LIF(tau=TAU, sigma=sigma, tau_ref=tau_ref, dt=dt, threshold_crossing=crossing)
    start = time.perf_counter()
    spikes = ns.simulate(model, mu, n_neurons=n_neurons, n_steps=n_steps, seed=seed).spikes
    elapsed = time.perf_counter() - start
    keep = spikes.step >= warmup
    rates = np.bincount(spikes.neuron[keep], minlength=n_neurons) / ((n_steps - warmup) * dt)
    return rates.mean(), rates.std(ddof=1) / np.sqrt(n_neurons), float(stats.isi_cv(spikes, pool="all")), elapsed


def main(argv=None) -> Path:
    args = analysis_arguments("lif_convergence", __doc__, seed=3, quick_help="fewer neurons (larger error bars)", argv=argv)
    neuron_seconds = 300 if args.quick else 2000

    shape = (len(POINTS), len(DTS), len(CROSSINGS))
    rate, rate_se, cv, wall = (np.zeros(shape) for _ in range(4))
    for p, (mu, sigma, tau_ref) in enumerate(POINTS):
        for d, dt in enumerate(DTS):
            for c, crossing in enumerate(CROSSINGS):
                rate[p, d, c], rate_se[p, d, c], cv[p, d, c], wall[p, d, c] = measure(
                    mu, sigma, tau_ref, dt, crossing, neuron_seconds, args.seed)
    siegert = np.array([ns.theory.siegert_rate(mu, s, TAU, tau_ref=r) for mu, s, r in POINTS])
    brunel_cv = np.array([ns.theory.isi_cv(mu, s, TAU, tau_ref=r) for mu, s, r in POINTS])
    predicted_grid = np.array([[ns.theory.siegert_rate(mu, s, TAU, threshold=1 + ns.theory.grid_threshold_shift(s, dt, TAU),
                                                       tau_ref=r) for dt in DTS] for mu, s, r in POINTS])
    condition = [f"mu={mu:g}, sigma={s:g}, tau_ref={r * 1e3:g} ms" for mu, s, r in POINTS]
    dataset = xr.Dataset(
        {
            "rate": (("condition", "dt", "crossing"), rate, {"units": "Hz"}),
            "rate_se": (("condition", "dt", "crossing"), rate_se, {"units": "Hz", "long_name": "SE over neurons"}),
            "cv": (("condition", "dt", "crossing"), cv),
            "wall_time": (("condition", "dt", "crossing"), wall, {"units": "s"}),
            "siegert_rate": ("condition", siegert, {"units": "Hz"}),
            "brunel_cv": ("condition", brunel_cv),
            "predicted_grid_rate": (("condition", "dt"), predicted_grid, {"units": "Hz"}),
            "mu": ("condition", [p[0] for p in POINTS]),
            "sigma": ("condition", [p[1] for p in POINTS]),
            "tau_ref": ("condition", [p[2] for p in POINTS], {"units": "s"}),
        },
        coords={"condition": condition, "dt": ("dt", DTS, {"units": "s"}), "crossing": CROSSINGS},
        attrs={"tau": TAU, "seed": args.seed, "neuron_seconds": neuron_seconds,
               **provenance(), "model": "LIF euler, Gaussian membrane noise"},
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    dataset.to_netcdf(args.out, engine="h5netcdf")
    relative = dataset["rate"] / dataset["siegert_rate"] - 1
    for p, name in enumerate(condition):
        grid = relative.isel(condition=p).sel(crossing="grid").values
        slope = np.polyfit(np.log(DTS), np.log(np.abs(grid)), 1)[0]
        print(f"{name}: grid error {np.round(100 * grid, 2)} % (log-log slope {slope:.2f}); "
              f"bridge error {np.round(100 * relative.isel(condition=p).sel(crossing='bridge').values, 2)} %; "
              f"CV/Brunel - 1 {np.round(100 * (cv[p] / brunel_cv[p] - 1).ravel(), 1)} %")
    print(f"-> {args.out}")
    return args.out


if __name__ == "__main__":
    main()
