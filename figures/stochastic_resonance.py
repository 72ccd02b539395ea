"""Figure of the stochastic_resonance experiment.

results/stochastic_resonance.nc -> figures/out/stochastic_resonance.png.

No simulation here.

The figure is drawn by :func:`nsnn_sim.experiments.stochastic_resonance.figure`.

    python figures/stochastic_resonance.py [--results results/stochastic_resonance.nc]
        [--out figures/out/stochastic_resonance.png]
"""

from nsnn_sim.experiments import main

if __name__ == "__main__":
    main("stochastic_resonance", "figure")
