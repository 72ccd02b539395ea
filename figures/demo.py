"""Raster + population rate of results/demo.nc -> figures/out/demo.png (no simulation here).

    python figures/demo.py [--results results/demo.nc] [--out figures/out/demo.png]
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

from nsnn_sim.plotting import figure_inputs, raster_and_rate, save_figure  # noqa: E402
from nsnn_sim.spikes import SimulationResult  # noqa: E402


def main(argv=None) -> Path:
    args, dataset = figure_inputs("demo", __doc__, argv)
    result = SimulationResult.from_xarray(dataset)
    model = result.model
    title = (f"Noisy LIF (tau = {model.tau * 1e3:g} ms, sigma = {model.sigma:g}, mu = {dataset.attrs['mu']:g}, "
             f"dt = {model.dt * 1e3:g} ms)")
    figure = raster_and_rate(result.spikes, bin_width=10e-3, title=title,
                             theory_rate=float(dataset.attrs["siegert_rate_hz"]))
    return save_figure(figure, args.out, dpi=120)


if __name__ == "__main__":
    main()
