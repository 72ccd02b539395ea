"""Neural sampling with noisy spiking networks -> results/sampling.nc.

The experiment lives in :mod:`nsnn_sim.experiments.sampling` (its run, figure and report lines); this
script is its command-line entry point, writing results/sampling.nc (``--out``).

    python analyses/sampling.py [--quick] [--seed N] [--out results/sampling.nc]
"""

from nsnn_sim.experiments import main

if __name__ == "__main__":
    main("sampling", "analyze")
