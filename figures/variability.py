"""Figure of the variability experiment: results/variability.nc -> figures/out/variability.png (no simulation here).

The figure is drawn by :func:`nsnn_sim.experiments.variability.figure`.

    python figures/variability.py [--results results/variability.nc] [--out figures/out/variability.png]
"""

from nsnn_sim.experiments import main

if __name__ == "__main__":
    main("variability", "figure")
