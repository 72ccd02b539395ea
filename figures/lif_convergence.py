"""Figure of the lif_convergence experiment: results/lif_convergence.nc -> figures/out/lif_convergence.png
(no simulation here).

The figure is drawn by :func:`nsnn_sim.experiments.lif_convergence.figure`.

    python figures/lif_convergence.py [--results results/lif_convergence.nc] [--out figures/out/lif_convergence.png]
"""

from nsnn_sim.experiments import main

if __name__ == "__main__":
    main("lif_convergence", "figure")
