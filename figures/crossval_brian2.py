"""Figure of the crossval_brian2 experiment: results/crossval_brian2.nc -> figures/out/crossval_brian2.png
(no simulation here).

The figure is drawn by :func:`nsnn_sim.experiments.crossval_brian2.figure`.

    python figures/crossval_brian2.py [--results results/crossval_brian2.nc] [--out figures/out/crossval_brian2.png]
"""

from nsnn_sim.experiments import main

if __name__ == "__main__":
    main("crossval_brian2", "figure")
