"""Spike trains in and out (nsnn_sim.interop): Neo and Elephant, NWB, users' own Brian2 runs, and the
core working without any of those packages."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import warnings
from pathlib import Path

import brian2 as b2
import neo
import numpy as np
import pynwb
import pytest
import quantities as pq
from elephant import spike_train_dissimilarity
from elephant import statistics as elephant_statistics
from test_packaging import OPTIONAL, _python

import nsnn_sim as ns
from nsnn_sim.analysis import stats
from nsnn_sim.simulator.results import SimulationResult
from nsnn_sim.spikes import SpikeTrains

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(autouse=True, scope="module")
def _brian2_numpy_target():
    """Brian2's numpy target here (no Cython compilation), restored for the other test modules."""
    previous = b2.prefs.codegen.target
    b2.prefs.codegen.target = "numpy"
    yield
    b2.prefs.codegen.target = previous


@pytest.fixture(scope="module")
def population() -> SpikeTrains:
    """A noisy LIF population, several trials, a spread of rates: a silent neuron, trains with fewer than
    three spikes (CV, CV2, LV undefined), and regular to irregular ones."""
    model = ns.LIF(tau=10e-3, sigma=0.4, dt=1e-4, tau_ref=2e-3, method="euler")
    drive = np.r_[-1.0, np.linspace(0.4, 1.3, 7)]  # neuron 0 never fires
    return ns.simulate(model, drive, n_neurons=8, n_steps=5000, n_trials=6, seed=11).spikes


def _awkward() -> SpikeTrains:
    """Empty neurons (1, 2, 4), empty trials (1, 3), one-spike trains, spikes on the first and last step,
    and a long run, so that ``trial_start + step*dt`` is far from small integers."""
    n_steps = 1_000_000
    return SpikeTrains(trial=[0, 0, 0, 2, 2, 2, 4], neuron=[0, 0, 3, 0, 3, 3, 5],
                       step=[0, 17, n_steps - 1, 999_999, 5, 123_457, 42], dt=1e-4, n_trials=5, n_neurons=6,
                       n_steps=n_steps)


def _relative(ours, theirs) -> float:
    """The largest relative difference; 0 where both are NaN (both undefined), inf where only one is."""
    ours, theirs = np.atleast_1d(np.asarray(ours, dtype=float)), np.atleast_1d(np.asarray(theirs, dtype=float))
    both_nan, one_nan = np.isnan(ours) & np.isnan(theirs), np.isnan(ours) ^ np.isnan(theirs)
    scale = np.maximum(np.abs(ours), np.abs(theirs))
    with np.errstate(invalid="ignore"):
        relative = np.where(scale > 0, np.abs(ours - theirs) / np.where(scale > 0, scale, 1.0), 0.0)
    return float(np.max(np.where(both_nan, 0.0, np.where(one_nan, np.inf, relative))))


# ------------------------------------------------------------------ Elephant on the exported block
def test_elephant_on_the_exported_block_gives_nsnn_sims_statistics(population):
    spikes = population
    block = spikes.to_neo()
    trains = [[segment.spiketrains[neuron] for neuron in range(spikes.n_neurons)] for segment in block.segments]
    cv, cv2, lv = stats.isi_cv(spikes).values, stats.cv2(spikes).values, stats.lv(spikes).values
    rates = stats.firing_rates(spikes).values
    checked, differences = 0, {}
    for trial in range(spikes.n_trials):
        for neuron in range(spikes.n_neurons):
            train = trains[trial][neuron]
            # stats.firing_rates(spikes)[t, n] <-> elephant mean_firing_rate(train): count / (t_stop - t_start)
            differences.setdefault("mean_firing_rate", []).append(
                _relative(rates[trial, neuron], elephant_statistics.mean_firing_rate(train).rescale("Hz").magnitude))
            if len(train) < 3:  # both leave CV, CV2 and LV undefined: checked below
                continue
            intervals = elephant_statistics.isi(train)
            checked += 1
            # stats.isi_cv (SD with ddof=0) <-> elephant cv(isi(train)) = scipy.stats.variation, ddof=0
            differences.setdefault("cv", []).append(_relative(cv[trial, neuron], elephant_statistics.cv(intervals)))
            # stats.cv2 <-> elephant cv2(isi(train)); stats.lv <-> elephant lv(isi(train))
            differences.setdefault("cv2", []).append(_relative(cv2[trial, neuron], elephant_statistics.cv2(intervals)))
            differences.setdefault("lv", []).append(_relative(lv[trial, neuron], elephant_statistics.lv(intervals)))
    undefined = [(t, n) for t in range(spikes.n_trials) for n in range(spikes.n_neurons) if len(trains[t][n]) < 3]
    assert checked >= 30 and undefined
    for trial, neuron in undefined:
        assert np.isnan(cv[trial, neuron]) and np.isnan(cv2[trial, neuron]) and np.isnan(lv[trial, neuron])
        assert np.isnan(elephant_statistics.cv2(elephant_statistics.isi(trains[trial][neuron]), with_nan=True))
    # stats.fano_factor(spikes, duration, across="trials")[n] <-> elephant fanofactor(the trials of neuron n):
    # both Var/mean of the whole-run counts over trials, variance with ddof = 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # both are 0/0 = NaN for a neuron that never fires
        fano = stats.fano_factor(spikes, spikes.duration).values[:, 0]
        theirs_fano = [elephant_statistics.fanofactor([trains[t][neuron] for t in range(spikes.n_trials)])
                       for neuron in range(spikes.n_neurons)]
    for neuron, theirs in enumerate(theirs_fano):
        differences.setdefault("fanofactor", []).append(_relative(fano[neuron], theirs))
    for neuron in (2, 5, 7):
        per_neuron = [trains[t][neuron] for t in range(spikes.n_trials)]
        # stats.pairwise_distances("victor_purpura", q) <-> elephant victor_purpura_distance(cost_factor=q Hz)
        ours = stats.pairwise_distances(spikes, "victor_purpura", 200.0, neuron).values
        theirs = spike_train_dissimilarity.victor_purpura_distance(per_neuron, cost_factor=200.0 * pq.Hz)
        differences.setdefault("victor_purpura_distance", []).append(_relative(ours, theirs))
        # stats.pairwise_distances("van_rossum", tau, convention="elephant") <-> elephant van_rossum_distance
        ours = stats.pairwise_distances(spikes, "van_rossum", 5e-3, neuron, convention="elephant").values
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # Elephant clips its rounding below 0 on the diagonal
            theirs = spike_train_dissimilarity.van_rossum_distance(per_neuron, time_constant=5e-3 * pq.s)
        differences.setdefault("van_rossum_distance (elephant convention)", []).append(_relative(ours, theirs))
        assert np.all(np.diag(ours) == 0)
        # our default convention is Elephant's divided by sqrt(2)
        plain = stats.pairwise_distances(spikes, "van_rossum", 5e-3, neuron).values
        np.testing.assert_allclose(plain * np.sqrt(2), ours, rtol=1e-14)
    largest = {name: max(values) for name, values in differences.items()}
    assert set(largest) == {"mean_firing_rate", "cv", "cv2", "lv", "fanofactor", "victor_purpura_distance",
                            "van_rossum_distance (elephant convention)"}
    assert all(value <= 1e-12 for value in largest.values()), largest


def test_elephants_mean_firing_rate_counts_a_spike_at_t_stop_and_ours_does_not(population):
    """Elephant counts spikes in [t_start, t_stop], nsnn_sim in [t_start, t_stop): they differ by exactly
    one spike where a train has a spike at t_stop, and agree elsewhere."""
    spikes = population
    block = spikes.to_neo()
    stop_step = int(spikes.step[len(spikes) // 2])  # a step where some train has a spike
    t_start, t_stop = 100 * spikes.dt, stop_step * spikes.dt
    ours = stats.firing_rates(spikes, t_start=t_start, t_stop=t_stop).values
    at_stop = np.zeros((spikes.n_trials, spikes.n_neurons), dtype=bool)
    at_stop[spikes.trial[spikes.step == stop_step], spikes.neuron[spikes.step == stop_step]] = True
    assert at_stop.any() and not at_stop.all()
    for trial, segment in enumerate(block.segments):
        for neuron, train in enumerate(segment.spiketrains):
            window = {"t_start": t_start * pq.s, "t_stop": t_stop * pq.s}
            if len(train) == 0:  # Elephant refuses an empty train with a window; ours is a rate of 0
                with pytest.raises(ValueError, match="Empty input spiketrain"):
                    elephant_statistics.mean_firing_rate(train, **window)
                assert ours[trial, neuron] == 0
                continue
            theirs = elephant_statistics.mean_firing_rate(train, **window)
            expected = ours[trial, neuron] + at_stop[trial, neuron] / (t_stop - t_start)
            assert float(theirs.rescale("Hz").magnitude) == pytest.approx(expected, rel=1e-12)


def test_van_rossum_of_long_trains_equals_elephants():
    """Three trials of 20,000 spikes (Elephant's own algorithm is linear per pair too): the one-pass distance in
    Elephant's convention against elephant.spike_train_dissimilarity.van_rossum_distance, kernels narrower and
    wider than the mean interval (1 ms)."""
    generator = np.random.default_rng(4)
    n_steps = 200_000
    steps = [np.sort(generator.choice(n_steps, 20_000, replace=False)) for _ in range(3)]
    spikes = SpikeTrains(np.repeat([0, 1, 2], 20_000), np.zeros(60_000, int), np.concatenate(steps), dt=1e-4,
                         n_trials=3, n_neurons=1, n_steps=n_steps)
    trains = [segment.spiketrains[0] for segment in spikes.to_neo().segments]
    for tau in (2e-4, 5e-3, 0.1):
        ours = stats.pairwise_distances(spikes, "van_rossum", tau, 0, convention="elephant").values
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # Elephant clips its rounding below 0 on the diagonal
            theirs = spike_train_dissimilarity.van_rossum_distance(trains, time_constant=tau * pq.s)
        np.testing.assert_allclose(ours, theirs, rtol=1e-12, atol=0)  # 2e-14 measured


def test_one_spike_against_none_is_one_over_sqrt2_here_and_one_in_elephant():
    assert stats.van_rossum_distance([0.05], [], tau=0.01) == pytest.approx(1 / np.sqrt(2), rel=1e-15)
    assert stats.van_rossum_distance([0.05], [], tau=0.01, convention="elephant") == 1.0
    empty = SpikeTrains([], [], [], dt=1e-3, n_trials=1, n_neurons=1, n_steps=100)
    one = SpikeTrains([0], [0], [50], dt=1e-3, n_trials=1, n_neurons=1, n_steps=100)
    theirs = spike_train_dissimilarity.van_rossum_distance(
        [one.to_neo().segments[0].spiketrains[0], empty.to_neo().segments[0].spiketrains[0]], 0.01 * pq.s)
    assert theirs[0, 1] == pytest.approx(1.0, rel=1e-12)
    with pytest.raises(ValueError, match="convention='brian2' is not allowed; allowed: \\('nsnn_sim', 'elephant'\\)"):
        stats.van_rossum_distance([0.05], [], tau=0.01, convention="brian2")
    with pytest.raises(ValueError, match="applies to metric='van_rossum' only"):
        stats.pairwise_distances(one, "victor_purpura", 10.0, 0, convention="elephant")


# ------------------------------------------------------------------ Neo
def test_from_neo_of_to_neo_is_the_same_spike_trains():
    spikes = _awkward()
    block = spikes.to_neo()
    assert SpikeTrains.from_neo(block, spikes.dt) == spikes
    assert SpikeTrains.from_neo(list(block.segments), spikes.dt) == spikes
    assert SpikeTrains.from_neo(block, 0.1 * b2.ms) == spikes
    first_trial = SpikeTrains.from_neo(block.segments[0].spiketrains, spikes.dt)
    assert first_trial == SpikeTrains(spikes.trial[spikes.trial == 0], spikes.neuron[spikes.trial == 0],
                                      spikes.step[spikes.trial == 0], spikes.dt, 1, spikes.n_neurons, spikes.n_steps)
    empty = SpikeTrains([], [], [], dt=1e-3, n_trials=3, n_neurons=2, n_steps=10)
    assert SpikeTrains.from_neo(empty.to_neo(), 1e-3) == empty


def test_the_neo_block_has_one_segment_per_trial_one_train_per_neuron_in_seconds_and_provenance():
    result = ns.simulate(ns.NSNN(noise_scale=0.5), 0.7, n_neurons=3, n_steps=40, n_trials=2, seed=5)
    block = result.to_neo()
    assert len(block.segments) == 2 and all(len(segment.spiketrains) == 3 for segment in block.segments)
    train = block.segments[1].spiketrains[2]
    assert train.units == pq.s and float(train.t_stop) == pytest.approx(40 * 1e-3) and float(train.t_start) == 0
    assert train.annotations["neuron"] == 2 and train.annotations["trial"] == 1
    expected = result.spikes.step[(result.spikes.trial == 1) & (result.spikes.neuron == 2)] * 1e-3
    np.testing.assert_array_equal(train.magnitude, expected)
    annotations = block.annotations
    assert json.loads(annotations["model_json"]) == result.model.to_dict() and annotations["seed"] == 5
    assert annotations["nsnn_sim_version"] == ns.__version__ and annotations["dt"] == 1e-3
    assert [len(group.spiketrains) for group in block.groups] == [2, 2, 2]


def test_from_neo_refuses_a_time_off_the_grid_unless_snap():
    train = neo.SpikeTrain([1.0, 2.5, 4.0] * pq.ms, t_stop=10 * pq.ms)
    with pytest.raises(ValueError, match=re.escape("the spike time 0.0025 s (trial 0, neuron 0) is 0.0005 s from "
                                                   "the nearest step")):
        SpikeTrains.from_neo([train], dt=1e-3)
    snapped = SpikeTrains.from_neo([train], dt=1e-3, snap=True)
    assert snapped.step.tolist() == [1, 2, 4] and snapped.n_steps == 10
    shifted = neo.SpikeTrain([5.0, 7.0] * pq.ms, t_start=5 * pq.ms, t_stop=15 * pq.ms, neuron=3)
    from_start = SpikeTrains.from_neo([shifted], dt=1e-3)
    assert from_start.step.tolist() == [0, 2] and from_start.neuron.tolist() == [3, 3]
    with pytest.raises(TypeError, match="source must be a neo.Block"):
        SpikeTrains.from_neo("block.nix", dt=1e-3)


def test_from_times_snaps_and_names_the_time_it_refuses():
    spikes = SpikeTrains.from_times([0.003, 0.001, 0.001], [2, 0, 1], [1, 0, 1], dt=1e-3, n_steps=5, n_neurons=4,
                                    n_trials=3)
    assert spikes == SpikeTrains([0, 1, 1], [0, 1, 2], [1, 1, 3], dt=1e-3, n_trials=3, n_neurons=4, n_steps=5)
    assert SpikeTrains.from_times(np.array([1.0, 3.0]) * pq.ms, 0, None, dt=1 * pq.ms).shape == (1, 1, 4)
    assert SpikeTrains.from_times([0.001 + 4e-10], 0, None, dt=1e-3).step.tolist() == [1]
    one = SpikeTrains.from_times(0.002, 0, None, dt=1e-3, n_steps=4)  # a scalar time is one spike
    assert one == SpikeTrains([0], [0], [2], dt=1e-3, n_trials=1, n_neurons=1, n_steps=4)
    none = SpikeTrains.from_times([], [], None, dt=1e-3)  # no spike and no sizes: one step, neuron and trial
    assert none == SpikeTrains([], [], [], dt=1e-3, n_trials=1, n_neurons=1, n_steps=1)
    with pytest.raises(ValueError, match="before the start of its trial"):
        SpikeTrains.from_times([-0.001], 0, None, dt=1e-3)
    with pytest.raises(ValueError, match="at or after the end of the run"):
        SpikeTrains.from_times([0.005], 0, None, dt=1e-3, n_steps=5)
    with pytest.raises(ValueError, match="neurons must be 2 integers"):
        SpikeTrains.from_times([0.001, 0.002], [0.5, 1.0], None, dt=1e-3)


# ------------------------------------------------------------------ NWB
def _result_with(spikes: SpikeTrains, state=None, state_neurons=()) -> SimulationResult:
    return SimulationResult(spikes=spikes, state=state, state_neurons=np.asarray(state_neurons, dtype=np.int64),
                            model=ns.LIF(dt=spikes.dt, tau=20e-3,
                                         method="euler"), seed=9, inputs_description="current=0.9")


@pytest.mark.parametrize("spikes", [_awkward(), SpikeTrains([], [], [], dt=1e-3, n_trials=2, n_neurons=3, n_steps=7)],
                         ids=["awkward", "no spikes"])
def test_load_nwb_of_to_nwb_is_the_same_spike_trains_and_the_file_is_valid_nwb(tmp_path, spikes):
    path = _result_with(spikes).to_nwb(tmp_path / "run.nwb")
    assert pynwb.validate(path=str(path)) == []
    assert ns.load_nwb(path) == spikes
    assert ns.load_nwb(path, dt=spikes.dt) == spikes


def test_the_nwb_file_holds_units_trials_membrane_and_the_model(tmp_path):
    result = ns.simulate(ns.LIF(sigma=0.5, method="euler"), 0.9, n_neurons=5, n_steps=300, n_trials=3, seed=4,
                         record_state=[1, 3])
    path = result.to_nwb(tmp_path / "run.nwb")
    assert pynwb.validate(path=str(path)) == []
    with pynwb.NWBHDF5IO(str(path), "r") as io:
        nwbfile = io.read()
        assert len(nwbfile.units) == 5 and len(nwbfile.trials) == 3
        np.testing.assert_allclose(nwbfile.trials["start_time"].data[:], [0.0, 0.03, 0.06], rtol=1e-15)
        spike_times = nwbfile.units.get_unit_spike_times(3)
        mine = result.spikes.neuron == 3
        np.testing.assert_allclose(spike_times, result.spikes.trial[mine] * 0.03 + result.spikes.step[mine] * 1e-4,
                                   rtol=1e-15)
        membrane = nwbfile.acquisition["membrane_state"]
        # NWB's TimeSeries is (time, neuron), the trials end to end; the result's state (trial, neuron, time)
        np.testing.assert_array_equal(membrane.data[:], np.swapaxes(result.state, 1, 2).reshape(-1, 2))
        assert membrane.rate == pytest.approx(1e4)
        metadata = json.loads(nwbfile.notes)["nsnn_sim"]
    assert metadata["seed"] == 4 and metadata["model"] == result.model.to_dict()
    assert metadata["state_neurons"] == [1, 3] and metadata["nsnn_sim_version"] == ns.__version__
    assert ns.load_nwb(path) == result.spikes


def test_load_nwb_reads_a_file_nsnn_sim_did_not_write(tmp_path):
    import datetime

    nwbfile = pynwb.NWBFile("recorded elsewhere", "id-1", datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc))
    nwbfile.add_trial(start_time=1.0, stop_time=1.5)
    nwbfile.add_trial(start_time=2.0, stop_time=2.5)
    nwbfile.add_unit(spike_times=[1.002, 1.25, 2.0, 3.0])  # 3.0 s lies in no trial
    nwbfile.add_unit(spike_times=[2.499])
    with pynwb.NWBHDF5IO(str(tmp_path / "other.nwb"), "w") as io:
        io.write(nwbfile)
    with pytest.raises(ValueError, match="was not written by nsnn_sim: give dt"):
        ns.load_nwb(tmp_path / "other.nwb")
    with pytest.warns(UserWarning, match="1 spikes of .* lie in no trial"):
        spikes = ns.load_nwb(tmp_path / "other.nwb", dt=1e-3)
    assert spikes == SpikeTrains([0, 0, 1, 1], [0, 0, 0, 1], [2, 250, 0, 499], dt=1e-3, n_trials=2, n_neurons=2,
                                 n_steps=500)


def test_load_of_an_nwb_file_points_to_load_nwb_and_warns_nothing(tmp_path):
    path = _result_with(_awkward()).to_nwb(tmp_path / "run.nwb")
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the h5netcdf phony_dims warning must not leak
        with pytest.raises(ValueError, match=r"run.nwb is an NWB file: use ns.load_nwb\(path\)") as error:
            ns.load(path)
    assert "lacks" not in str(error.value)
    assert ns.load_nwb(path) == _awkward()


# ------------------------------------------------------------------ users' own Brian2 runs
def test_from_brian2_reproduces_a_hand_written_networks_spikes():
    """A SpikeGeneratorGroup (its spikes known in advance) and a noisy LIF NeuronGroup driven by it."""
    b2.start_scope()
    b2.seed(21)
    generator = np.random.default_rng(3)
    n_inputs, n_steps, dt = 7, 2000, 0.1 * b2.ms
    indices = generator.integers(0, n_inputs, 60)
    steps = generator.choice(n_steps, 60, replace=False)
    source = b2.SpikeGeneratorGroup(n_inputs, indices, steps * dt, dt=dt)
    group = b2.NeuronGroup(5, "dv/dt = (0.8 - v)/(10*ms) + 0.4*sqrt(2/(10*ms))*xi : 1", threshold="v > 1",
                           reset="v = 0", method="euler", dt=dt)
    synapses = b2.Synapses(source, group, on_pre="v += 0.3", dt=dt)
    synapses.connect(p=0.5)
    input_monitor, output_monitor = b2.SpikeMonitor(source), b2.SpikeMonitor(group)
    b2.Network(source, group, synapses, input_monitor, output_monitor).run(n_steps * dt)

    inputs = SpikeTrains.from_brian2(input_monitor)
    assert inputs.shape == (1, n_inputs, n_steps) and inputs.dt == pytest.approx(1e-4)
    assert len(inputs) == 60
    assert sorted(zip(inputs.neuron.tolist(), inputs.step.tolist())) == sorted(zip(indices.tolist(), steps.tolist()))

    outputs = SpikeTrains.from_brian2(output_monitor)
    assert len(outputs) == output_monitor.num_spikes > 50
    brian2_pairs = sorted(zip(np.asarray(output_monitor.i[:]).tolist(),
                              np.rint(np.asarray(output_monitor.t_[:]) / 1e-4).astype(int).tolist()))
    assert sorted(zip(outputs.neuron.tolist(), outputs.step.tolist())) == brian2_pairs


def test_several_brian2_runs_become_trials_and_units_are_checked():
    monitors = []
    for seed in (1, 2, 3):
        b2.start_scope()
        b2.seed(seed)
        group = b2.NeuronGroup(4, "dv/dt = (0.9 - v)/(10*ms) + 0.5*sqrt(2/(10*ms))*xi : 1", threshold="v > 1",
                               reset="v = 0", method="euler", dt=0.1 * b2.ms)
        monitor = b2.SpikeMonitor(group)
        b2.Network(group, monitor).run(50 * b2.ms)
        monitors.append(monitor)
    trials = SpikeTrains.from_brian2(monitors)
    assert trials.shape == (3, 4, 500)
    for trial, monitor in enumerate(monitors):
        assert np.count_nonzero(trials.trial == trial) == monitor.num_spikes
    longer = SpikeTrains.from_brian2(monitors[0], duration=0.1 * b2.second, n_neurons=6)
    assert longer.shape == (1, 6, 1000)
    with pytest.raises(TypeError, match=re.escape("duration=5. Hz has units of rate (1/time); duration takes a time")):
        SpikeTrains.from_brian2(monitors[0], duration=5 * b2.Hz)
    with pytest.raises(TypeError, match="monitor must be a Brian2 SpikeMonitor"):
        SpikeTrains.from_brian2([1, 2])


# ------------------------------------------------------------------ without the optional packages
def test_the_core_and_the_unit_checks_work_without_neo_pynwb_or_brian2_and_the_bridges_say_what_to_install():
    completed = _python("""
        import sys
        import nsnn_sim as ns
        from nsnn_sim.analysis import stats
        from nsnn_sim._core import units
        from nsnn_sim.interop import brian2_monitor, neo, nwb, times
        result = ns.simulate(ns.LIF(tau=0.02, sigma=0.5, dt=1e-4), 0.9, n_neurons=10, n_steps=1000, seed=1)
        assert len(result.spikes) > 0
        spikes = ns.SpikeTrains.from_times([0.001, 0.002], [0, 1], None, dt=1e-3)
        assert stats.van_rossum_distance([0.1], [], 0.01, convention="elephant") == 1.0
        messages = []
        for call in (result.spikes.to_neo, lambda: result.to_nwb("x.nwb"), lambda: ns.load_nwb("x.nwb")):
            try:
                call()
            except ImportError as error:
                messages.append(str(error))
        assert len(messages) == 3, messages
        assert "nsnn_sim[neo]" in messages[0] and "nsnn_sim[nwb]" in messages[1] and "nsnn_sim[nwb]" in messages[2]
        loaded = [name for name in sys.modules if name.split(".")[0] in {optional!r} and sys.modules[name] is not None]
        assert not loaded, loaded
        print("ok")
    """.replace("{optional!r}", repr(OPTIONAL)))
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip().endswith("ok")


def test_importing_nsnn_sim_imports_no_unit_library():
    """With every optional package installed, importing and using the core still imports none of them."""
    code = ("import sys, nsnn_sim as ns; from nsnn_sim import interop, stats; ns.LIF(tau=0.01); "
            "print(sorted(name for name in ('brian2', 'quantities', 'neo', 'pynwb', 'elephant') "
            "if name in sys.modules))")
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=300)
    assert completed.returncode == 0, completed.stderr
    assert completed.stdout.strip() == "[]"
