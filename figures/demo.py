"""Raster + population rate of results/demo.nc -> figures/out/demo.png (no simulation here).

    python figures/demo.py [--results results/demo.nc] [--out figures/out/demo.png]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import xarray as xr  # noqa: E402

from nsnn_sim.plotting import raster_and_rate, save_figure  # noqa: E402
from nsnn_sim.spikes import SimulationResult  # noqa: E402


def main(argv=None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--results", type=Path, default=Path("results/demo.nc"))
    parser.add_argument("--out", type=Path, default=Path("figures/out/demo.png"))
    args = parser.parse_args(argv)
    with xr.open_dataset(args.results, engine="h5netcdf") as dataset:
        dataset = dataset.load()
    result = SimulationResult.from_xarray(dataset)
    model = result.model
    title = (f"Noisy LIF (tau = {model.tau * 1e3:g} ms, sigma = {model.sigma:g}, mu = {dataset.attrs['mu']:g}, "
             f"dt = {model.dt * 1e3:g} ms)")
    figure = raster_and_rate(result.spikes, bin_width=10e-3, title=title,
                             theory_rate=float(dataset.attrs["siegert_rate_hz"]))
    return save_figure(figure, args.out, dpi=120)


if __name__ == "__main__":
    main()
