"""Figure of the robustness experiment: results/robustness.nc -> figures/out/robustness.png
(no simulation here).

The figure is drawn by :func:`nsnn_sim.experiments.robustness.figure`.

    python figures/robustness.py [--results results/robustness.nc]
                                 [--out figures/out/robustness.png]
"""

from nsnn_sim.experiments import main

if __name__ == "__main__":
    main("robustness", "figure")
