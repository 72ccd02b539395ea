"""Reading NWB files nsnn_sim did not write: without a trials table the one trial lasts until one step after
the last spike, and a trial is the half-open interval ``[start_time, stop_time)``, so a spike at a trial's
stop time before a gap lies in no trial."""

import datetime
import re
import warnings

import pynwb
import pytest

from nsnn_sim import load_nwb
from nsnn_sim.spikes import SpikeTrains


def _write(path, units, trials=()):
    """An NWB file holding ``units`` (a list of spike time lists) and ``trials`` ((start, stop) pairs)."""
    nwbfile = pynwb.NWBFile("a recording", "id", datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc))
    for start, stop in trials:
        nwbfile.add_trial(start_time=start, stop_time=stop)
    for spike_times in units:
        nwbfile.add_unit(spike_times=spike_times)
    with pynwb.NWBHDF5IO(str(path), "w") as io:
        io.write(nwbfile)
    return path


def test_without_trials_the_one_trial_ends_one_step_after_the_last_spike(tmp_path):
    path = _write(tmp_path / "no_trials.nwb", [[0.1, 0.25], [0.3]])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        spikes = load_nwb(path, dt=1e-3)
    assert not [warning for warning in caught if "lie in no trial" in str(warning.message)]
    # the last spike, 0.3 s, is step 300: the trial holds steps 0..300, 301 steps
    assert spikes == SpikeTrains([0, 0, 0], [0, 0, 1], [100, 250, 300], dt=1e-3, n_trials=1, n_neurons=2,
                                 n_steps=301)


def test_a_spike_at_a_trials_stop_time_before_a_gap_is_in_no_trial(tmp_path):
    path = _write(tmp_path / "gap.nwb", [[0.1, 0.5, 1.25]], trials=[(0.0, 0.5), (1.0, 1.5)])
    with pytest.warns(UserWarning, match=re.escape("1 spikes of") + ".* lie in no trial and are left out"):
        spikes = load_nwb(path, dt=1e-3)
    assert spikes == SpikeTrains([0, 1], [0, 0], [100, 250], dt=1e-3, n_trials=2, n_neurons=1, n_steps=500)
