"""SpikeTrains' stacking of runs as trials and a crop from time 0, on trains built by hand."""

from nsnn_sim.spikes import SpikeTrains, stack_trials


def test_stacked_runs_number_their_trials_after_the_earlier_runs():
    first = SpikeTrains([0, 1], [0, 1], [2, 3], dt=1e-3, n_trials=2, n_neurons=2, n_steps=5)
    second = SpikeTrains([0], [1], [4], dt=1e-3, n_trials=1, n_neurons=2, n_steps=5)
    third = SpikeTrains([0, 2], [0, 0], [0, 1], dt=1e-3, n_trials=3, n_neurons=2, n_steps=5)
    # run k's trial t is trial t + (trials of the runs before k): offsets 0, 2, 3
    expected = SpikeTrains([0, 1, 2, 3, 5], [0, 1, 1, 0, 0], [2, 3, 4, 0, 1], dt=1e-3, n_trials=6, n_neurons=2,
                           n_steps=5)
    assert stack_trials([first, second, third]) == expected
    assert stack_trials([second]) == second


def test_a_crop_from_time_zero_keeps_the_spikes_of_step_zero():
    spikes = SpikeTrains([0, 0, 1], [0, 1, 0], [0, 3, 0], dt=1e-3, n_trials=2, n_neurons=2, n_steps=6)
    assert spikes.crop(0.0, 3e-3) == SpikeTrains([0, 1], [0, 0], [0, 0], dt=1e-3, n_trials=2, n_neurons=2, n_steps=3)
    assert spikes.crop(0.0) == spikes
