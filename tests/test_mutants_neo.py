"""The Neo bridge's details no round trip sees: each train's ``sampling_rate`` is ``1/dt`` in Hz, ``n_steps`` is
the longest ``t_stop - t_start`` in steps when trains start late, and a Block without trains reads as the least
``SpikeTrains`` there is (one silent neuron over one step)."""

import neo
import pytest
import quantities as pq

from nsnn_sim.spikes import SpikeTrains


def test_every_exported_train_has_sampling_rate_one_over_dt_in_hertz():
    spikes = SpikeTrains([0, 1], [1, 0], [3, 7], dt=0.25e-3, n_trials=2, n_neurons=2, n_steps=10)
    for segment in spikes.to_neo().segments:
        for train in segment.spiketrains:
            assert train.sampling_rate.dimensionality == pq.Hz.dimensionality
            assert float(train.sampling_rate.magnitude) == pytest.approx(4000.0, rel=1e-15)  # 1/(0.25 ms)


def test_from_neo_counts_n_steps_from_each_trains_t_start():
    # trains over [5, 15) ms and [20, 27) ms on a 1 ms grid: the longer lasts 10 steps, wherever it starts
    late = neo.SpikeTrain([5.0, 7.0] * pq.ms, t_start=5 * pq.ms, t_stop=15 * pq.ms)
    later = neo.SpikeTrain([26.0] * pq.ms, t_start=20 * pq.ms, t_stop=27 * pq.ms)
    spikes = SpikeTrains.from_neo([late, later], dt=1e-3)
    assert spikes == SpikeTrains([0, 0, 0], [0, 0, 1], [0, 2, 6], dt=1e-3, n_trials=1, n_neurons=2, n_steps=10)


def test_a_block_without_trains_is_one_trial_of_one_silent_neuron_over_one_step():
    block = neo.Block()
    block.segments.append(neo.Segment())
    spikes = SpikeTrains.from_neo(block, dt=1e-3)
    assert spikes.shape == (1, 1, 1) and len(spikes) == 0 and spikes.dt == 1e-3
