"""Figure of the neuron_state experiment: results/neuron_state.nc -> figures/out/neuron_state.png (no simulation here).

The figure is drawn by :func:`nsnn_sim.experiments.neuron_state.figure`.

    python figures/neuron_state.py [--results results/neuron_state.nc] [--out figures/out/neuron_state.png]
"""

from nsnn_sim.experiments import main

if __name__ == "__main__":
    main("neuron_state", "figure")
