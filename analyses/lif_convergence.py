"""LIF rate and ISI CV against theory as dt -> 0, for grid and Brownian-bridge threshold crossing.

The experiment lives in :mod:`nsnn_sim.experiments.lif_convergence` (its run, figure and report lines); this
script is its command-line entry point, writing results/lif_convergence.nc (``--out``).

    python analyses/lif_convergence.py [--quick] [--seed N] [--out results/lif_convergence.nc]
"""

from nsnn_sim.experiments import main

if __name__ == "__main__":
    main("lif_convergence", "analyze")
