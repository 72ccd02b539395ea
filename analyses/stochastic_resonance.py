"""Stochastic resonance: periodic SNR, aperiodic information, suprathreshold SR -> results/stochastic_resonance.nc.

The experiment lives in :mod:`nsnn_sim.experiments.stochastic_resonance` (its run, figure and report lines); this
script is its command-line entry point, writing results/stochastic_resonance.nc (``--out``).

    python analyses/stochastic_resonance.py [--quick] [--seed N] [--out results/stochastic_resonance.nc]
"""

from nsnn_sim.experiments import main

if __name__ == "__main__":
    main("stochastic_resonance", "analyze")
