"""Spike-for-spike identity of nsnn_sim and Brian2 when Brian2 is fed nsnn_sim's noise.

The experiment lives in :mod:`nsnn_sim.experiments.brian2_identity` (its run, figure and report lines); this
script is its command-line entry point, writing results/brian2_identity.nc (``--out``).

    python analyses/brian2_identity.py [--quick] [--seed N] [--out results/brian2_identity.nc]
"""

from nsnn_sim.experiments import main

if __name__ == "__main__":
    main("brian2_identity", "analyze")
