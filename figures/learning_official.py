"""Figure of the learning_official experiment: results/learning_official.nc -> figures/out/learning_official.png
(no simulation here).

The figure is drawn by :func:`nsnn_sim.experiments.learning_official.figure`.

    python figures/learning_official.py [--results results/learning_official.nc]
                                        [--out figures/out/learning_official.png]
"""

from nsnn_sim.experiments import main

if __name__ == "__main__":
    main("learning_official", "figure")
