"""Neuron state: synaptic filtering and adaptation against rate, CV, serial correlations and Fano factors.

The experiment lives in :mod:`nsnn_sim.experiments.neuron_state` (its run, figure and report lines); this
script is its command-line entry point, writing results/neuron_state.nc (``--out``).

    python analyses/neuron_state.py [--quick] [--seed N] [--out results/neuron_state.nc]
"""

from nsnn_sim.experiments import main

if __name__ == "__main__":
    main("neuron_state", "analyze")
