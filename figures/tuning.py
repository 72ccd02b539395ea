"""Figure of the tuning experiment: results/tuning.nc -> figures/out/tuning.png (no simulation here).

The figure is drawn by :func:`nsnn_sim.experiments.tuning.figure`.

    python figures/tuning.py [--results results/tuning.nc] [--out figures/out/tuning.png]
"""

from nsnn_sim.experiments import main

if __name__ == "__main__":
    main("tuning", "figure")
