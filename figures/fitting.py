"""Figure of the fitting experiment: results/fitting.nc -> figures/out/fitting.png (no simulation here).

The figure is drawn by :func:`nsnn_sim.experiments.fitting.figure`.

    python figures/fitting.py [--results results/fitting.nc] [--out figures/out/fitting.png]
"""

from nsnn_sim.experiments import main

if __name__ == "__main__":
    main("fitting", "figure")
