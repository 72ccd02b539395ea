"""Figure of the sampling experiment: results/sampling.nc -> figures/out/sampling.png (no simulation here).

The figure is drawn by :func:`nsnn_sim.experiments.sampling.figure`.

    python figures/sampling.py [--results results/sampling.nc] [--out figures/out/sampling.png]
"""

from nsnn_sim.experiments import main

if __name__ == "__main__":
    main("sampling", "figure")
