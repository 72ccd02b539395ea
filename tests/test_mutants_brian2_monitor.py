"""A Brian2 run of one step reads as one step: ``n_steps`` is how far the clock ran over ``dt``."""

import brian2 as b2

from nsnn_sim.spikes import SpikeTrains


def test_a_one_step_brian2_run_is_one_step_long():
    previous = b2.prefs.codegen.target
    b2.prefs.codegen.target = "numpy"  # no Cython compilation; restored for the other test modules
    try:
        b2.start_scope()
        group = b2.SpikeGeneratorGroup(3, [1], [0] * b2.ms, dt=0.1 * b2.ms)
        monitor = b2.SpikeMonitor(group)
        b2.Network(group, monitor).run(0.1 * b2.ms)
    finally:
        b2.prefs.codegen.target = previous
    assert SpikeTrains.from_brian2(monitor) == SpikeTrains([0], [1], [0], dt=1e-4, n_trials=1, n_neurons=3, n_steps=1)
