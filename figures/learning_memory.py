"""Figure of the learning_memory experiment: results/learning_memory.nc -> figures/out/learning_memory.png
(no simulation here).

The figure is drawn by :func:`nsnn_sim.experiments.learning_memory.figure`.

    python figures/learning_memory.py [--results results/learning_memory.nc]
                                      [--out figures/out/learning_memory.png]
"""

from nsnn_sim.experiments import main

if __name__ == "__main__":
    main("learning_memory", "figure")
