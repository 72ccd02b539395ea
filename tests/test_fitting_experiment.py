"""The fitting experiment's computations with the simulator and the fitters stubbed (no kernel compiled): the
recorded models, stimuli, true weights and seeds, the starting points and data passed to each fit, and every
stored number recomputed from the stubs' output (held-out bits per spike, time rescaling, tuning curves, ISI
densities, the Neo round trip)."""

from __future__ import annotations

import json
from types import SimpleNamespace

import numpy as np
import pytest
import xarray as xr

import nsnn_sim as ns
from nsnn_sim import fit
from nsnn_sim.experiments import fitting
from nsnn_sim.spikes import SpikeTrains

SEED, N_NEURONS, N_TRAIN, N_TEST = 7, 3, 6400, 3200  # every orientation twice in the test data


def _stimulus(n_steps: int, generator) -> tuple[np.ndarray, np.ndarray]:
    """16 orientations in random order (a fresh permutation per 16 blocks), 100 steps each; (1, cos, sin) 2 theta."""
    n_blocks = int(np.ceil(n_steps / 100))
    order = np.concatenate([generator.permutation(16) for _ in range(int(np.ceil(n_blocks / 16)))])[:n_blocks]
    index = np.repeat(order, 100)[:n_steps]
    theta = index * np.pi / 16
    return index, np.stack([np.ones(n_steps), np.cos(2 * theta), np.sin(2 * theta)], axis=1)


def _weights(n_neurons: int, gain: float, generator) -> np.ndarray:
    """gain (bias, A cos 2 phi, A sin 2 phi), phi = (k + 1/2) pi / n, bias U[0.3, 0.45], A U[0.15, 0.3]."""
    bias, amplitude = generator.uniform(0.3, 0.45, n_neurons), generator.uniform(0.15, 0.3, n_neurons)
    phi = (np.arange(n_neurons) + 0.5) * np.pi / n_neurons
    return gain * np.stack([bias, amplitude * np.cos(2 * phi), amplitude * np.sin(2 * phi)], axis=1)


def _tuning(spikes: np.ndarray, index: np.ndarray):
    """Mean and SE over blocks of the 100-step block rates (Hz), per orientation."""
    rates = spikes.reshape(-1, 100, spikes.shape[1]).sum(axis=1) / 0.1
    block = index[::100]
    mean = np.stack([rates[block == k].mean(axis=0) for k in range(16)])
    se = np.stack([rates[block == k].std(axis=0, ddof=1) / np.sqrt((block == k).sum()) for k in range(16)])
    return mean, se


def _isi(spikes: np.ndarray) -> np.ndarray:
    """Density per ms of the pooled intervals on 2 ms bins from 0 to 60 ms, over all intervals."""
    intervals = np.concatenate([np.diff(np.flatnonzero(spikes[:, i])) for i in range(spikes.shape[1])]) * 1.0
    counts = np.array([np.sum((intervals >= 2 * k) & (intervals < 2 * k + 2)) for k in range(29)]
                      + [np.sum((intervals >= 58) & (intervals <= 60))])
    return counts / intervals.size / 2.0


class _FakeModel:
    """A fitted model: spike probability 0.05 exp(x w) per step (w from ``seed``), clipped to 0.4."""

    def __init__(self, seed: int, n_neurons: int):
        generator = np.random.default_rng(seed)
        self.w = generator.normal(0, 0.3, (3, n_neurons))
        self.dataset = xr.Dataset({"estimate": (("neuron", "parameter"), generator.normal(size=(n_neurons, 5))),
                                   "se": (("neuron", "parameter"), generator.random((n_neurons, 5)))},
                                  attrs={"seconds": float(seed)})

    def probability(self, x):
        return np.minimum(0.4, 0.05 * np.exp(x @ self.w))

    def log_likelihood(self, x, spikes):
        p = self.probability(x)
        return np.sum(spikes * np.log(p) + (1 - spikes) * np.log1p(-p), axis=(0, 1))

    def log_silence(self, x, spikes):
        return np.broadcast_to(np.log1p(-self.probability(x)), spikes.shape)

    def simulate(self, x, seed):
        dense = (np.random.default_rng(seed).random((1, *self.probability(x).shape)) < self.probability(x)) * 1.0
        return SimpleNamespace(spikes=SimpleNamespace(to_dense=lambda: dense))


@pytest.fixture(scope="module")
def fitting_run():
    """A quick run (3 neurons, 6400 + 3200 steps: 6499 asked, rounded down to whole blocks) with ns.simulate,
    fit_escape and fit_poisson_glm stubbed."""
    calls = SimpleNamespace(simulate=[], escape=[], glm=[])

    def fake_simulate(model, drive, *, n_neurons, n_steps, seed):
        probability = 0.03 + 0.1 * np.clip(drive, 0, 1)
        dense = np.random.default_rng(seed).random(drive.shape) < probability
        steps, neurons = np.nonzero(dense)
        spikes = SpikeTrains(np.zeros_like(steps), neurons, steps, dt=model.dt, n_trials=1, n_neurons=n_neurons,
                             n_steps=n_steps)
        calls.simulate.append(SimpleNamespace(model=model, drive=drive, n_neurons=n_neurons, n_steps=n_steps,
                                              seed=seed, spikes=spikes))
        return SimpleNamespace(spikes=spikes)

    def fake_fit_escape(start, x, spikes, **options):
        result = _FakeModel(100 + len(calls.escape), options["weights"].shape[0])
        calls.escape.append(SimpleNamespace(start=start, x=x, spikes=spikes, options=options, result=result))
        return result

    def fake_fit_poisson_glm(x, spikes, **options):
        result = _FakeModel(200 + len(calls.glm), spikes.shape[-1])
        calls.glm.append(SimpleNamespace(x=x, spikes=spikes, options=options, result=result))
        return result

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(fitting.ns, "simulate", fake_simulate)
        patch.setattr(fitting.fit, "fit_escape", fake_fit_escape)
        patch.setattr(fitting.fit, "fit_poisson_glm", fake_fit_poisson_glm)
        data = fitting.run(quick=True, seed=SEED, neurons=N_NEURONS, train_steps=6499)
    return data, calls


@pytest.mark.filterwarnings("ignore:Mean of empty slice", "ignore:Degrees of freedom",
                            "ignore:invalid value encountered")  # the orientations never shown: NaN
def test_fitting_experiment_tuning_and_isi_are_exact_on_known_spikes():
    index = np.repeat([3, 0, 3, 15, 0, 15], 100)
    spikes = np.zeros((600, 2))
    spikes[[5, 50, 150, 260, 261, 262, 590], 0] = 1  # blocks 0-5: 2, 1, 3 (intervals of 1 ms), 0, 0, 1 spikes
    spikes[[0, 120, 500], 1] = 1
    mean, se = fitting.tuning(spikes, index)
    np.testing.assert_allclose(mean[[3, 0, 15], 0], [25.0, 5.0, 5.0], rtol=1e-12)  # (20 + 30)/2, (10 + 0)/2, ...
    np.testing.assert_allclose(se[[3, 0, 15], 0], [5.0, 5.0, 5.0], rtol=1e-12)  # SD / sqrt(2) of two rates
    np.testing.assert_allclose(mean[[3, 0, 15], 1], [5.0, 5.0, 5.0], rtol=1e-12)
    assert np.all(np.isnan(mean[[1, 2, 4]])) and np.all(np.isnan(se[[1, 2, 4]]))
    # neuron 0: intervals 45, 100, 110, 1, 1, 328 ms; neuron 1: 120, 380; in 0-60 ms only 45, 1 and 1
    expected = np.zeros(30)
    expected[[0, 22]] = np.array([2, 1]) / 8 / 2
    np.testing.assert_allclose(fitting.isi_histogram(spikes), expected, rtol=1e-12)
    np.testing.assert_allclose(fitting.isi_histogram(spikes), _isi(spikes), rtol=1e-12)


def test_fitting_experiment_true_weights_and_start_models_are_documented():
    weights = fitting.true_weights(5, 2.5, np.random.default_rng(1))
    np.testing.assert_allclose(weights, _weights(5, 2.5, np.random.default_rng(1)), rtol=1e-14)
    preferred = np.arctan2(weights[:, 2], weights[:, 1]) % (2 * np.pi) / 2
    np.testing.assert_allclose(preferred, (np.arange(5) + 0.5) * np.pi / 5, rtol=1e-12)
    index, x = fitting.stimulus(1750, np.random.default_rng(2))
    expected_index, expected_x = _stimulus(1750, np.random.default_rng(2))
    np.testing.assert_array_equal(index, expected_index)
    np.testing.assert_allclose(x, expected_x, rtol=1e-15, atol=1e-15)
    for name, (model, gain) in fitting.generating_models().items():
        kind, family = name.split()
        for candidate in fitting.FAMILIES:
            start = fitting.start_model(model, candidate)
            expected = (ns.NSNN(beta=0.5, noise=candidate, noise_scale=0.2, firing="escape", dt=1e-3)
                        if kind == "NSNN" else
                        ns.LIF(tau=0.015, sigma=0.2, noise=candidate, firing="escape", dt=1e-3, tau_ref=2e-3,
                               method="euler"))
            assert repr(start) == repr(expected)
        scale = {"logistic": 0.12, "gaussian": 0.2}[family]
        expected = (ns.NSNN(beta=0.6, noise=family, noise_scale=scale, firing="escape", dt=1e-3) if kind == "NSNN"
                    else ns.LIF(tau=0.01, sigma=scale, noise=family, firing="escape", dt=1e-3, tau_ref=2e-3,
                                method="euler"))
        assert repr(model) == repr(expected) and gain == (1.0 if kind == "NSNN" else 2.5)


def test_fitting_experiment_records_and_fits_as_documented(fitting_run):
    data, calls = fitting_run
    names = ["NSNN logistic", "LIF logistic", "NSNN gaussian", "LIF gaussian"]
    assert list(data["model"].values) == names and len(calls.simulate) == 4
    assert (data.attrs["n_train_steps"], data.attrs["n_test_steps"]) == (N_TRAIN, N_TEST)
    generator = np.random.default_rng(SEED)
    starts = json.loads(data.attrs["start_models"])
    for m, (name, record) in enumerate(zip(names, calls.simulate)):
        model, gain = fitting.generating_models()[name]
        index, x = _stimulus(N_TRAIN + N_TEST, generator)
        weights = _weights(N_NEURONS, gain, generator)
        assert repr(record.model) == repr(model)
        assert (record.n_neurons, record.n_steps, record.seed) == (N_NEURONS, N_TRAIN + N_TEST, SEED + 10 * m)
        np.testing.assert_allclose(record.drive, x @ weights.T, rtol=1e-14)
        decay, scale = (model.beta, model.noise_scale) if model.kind == "NSNN" else (model.tau, model.sigma)
        np.testing.assert_array_equal(data["truth"].sel(model=name),
                                      np.column_stack([weights, np.full((N_NEURONS, 2), [decay, scale])]))
        dense = record.spikes.to_dense()
        train, test = dense[:, :N_TRAIN], dense[:, N_TRAIN:]
        fits = calls.escape[2 * m:2 * m + 2]
        for c, (family, call) in enumerate(zip(fitting.FAMILIES, fits)):
            assert repr(call.start) == repr(fitting.start_model(model, family))
            np.testing.assert_array_equal(call.x, x[:N_TRAIN])
            np.testing.assert_array_equal(call.spikes, train)
            np.testing.assert_array_equal(call.options["weights"], np.full((N_NEURONS, 3), 0.3 * gain))
        glm = calls.glm[m]
        np.testing.assert_array_equal(glm.x, x[:N_TRAIN])
        np.testing.assert_array_equal(glm.spikes, train)
        assert glm.options == {"n_history_basis": 4, "history_steps": 20}
        # the true family's fit gives the estimates, SEs, time and starting point
        true_fit = fits[fitting.FAMILIES.index(model.noise)]
        np.testing.assert_array_equal(data["estimate"].sel(model=name), true_fit.result.dataset["estimate"])
        np.testing.assert_array_equal(data["se"].sel(model=name), true_fit.result.dataset["se"])
        assert float(data["fit_seconds"].sel(model=name)) == true_fit.result.dataset.attrs["seconds"]
        assert starts[name] == true_fit.start.to_dict()
        # held-out bits per spike over the homogeneous model fitted on the training data, per neuron and pooled
        p0 = train.mean(axis=(0, 1))
        ones = test.sum(axis=(0, 1))
        baseline = ones * np.log(p0) + (N_TEST - ones) * np.log1p(-p0)
        scored = [call.result for call in fits] + [glm.result]
        for c, result in enumerate(scored):
            held_out = result.log_likelihood(x[N_TRAIN:], test)
            np.testing.assert_allclose(data["bits_per_spike_neuron"].values[m, c],
                                       (held_out - baseline) / (ones * np.log(2)), rtol=1e-12)
            assert data["bits_per_spike"].values[m, c] == pytest.approx(
                (held_out.sum() - baseline.sum()) / (ones.sum() * np.log(2)), rel=1e-12)
        # time rescaling of every candidate and of the homogeneous model, with the run's seed
        silences = [result.log_silence(x[N_TRAIN:], test) for result in scored]
        silences.append(np.broadcast_to(np.log1p(-p0), test.shape))
        for k, silence in enumerate(silences):
            rescaled = fit.time_rescaling(silence, test, seed=SEED)
            assert data["ks_statistic"].values[m, k] == rescaled.statistic
            assert data["ks_pvalue"].values[m, k] == rescaled.pvalue
            np.testing.assert_array_equal(data["ks_curve"].values[m, k],
                                          np.quantile(rescaled.uniform, np.linspace(0, 1, 101)))
        # the true family's fit simulated with the held-out stimulus (seed + 1000 + m) against the recording
        simulated = true_fit.result.simulate(x[N_TRAIN:], seed=SEED + 1000 + m).spikes.to_dense()[0]
        for stored, spikes in (("recorded", test[0]), ("fitted", simulated)):
            mean, se = _tuning(spikes, index[N_TRAIN:])
            np.testing.assert_allclose(data[f"tuning_{stored}"].sel(model=name), mean, rtol=1e-12)
            np.testing.assert_allclose(data[f"tuning_{stored}_se"].sel(model=name), se, rtol=1e-12)
            np.testing.assert_allclose(data[f"isi_{stored}"].sel(model=name), _isi(spikes), rtol=1e-12)


def test_fitting_experiment_refits_the_neo_round_trip_and_stores_its_axes(fitting_run):
    data, calls = fitting_run
    np.testing.assert_allclose(data["isi"], np.arange(1.0, 60.0, 2.0), rtol=1e-15)
    np.testing.assert_allclose(data["orientation"], np.arange(16) * 11.25, rtol=1e-15)
    np.testing.assert_allclose(data["quantile"], np.linspace(0, 1, 101), rtol=1e-15)
    assert list(data["rescaling_model"].values) == ["logistic", "gaussian", "poisson_glm", "homogeneous"]
    assert list(data["parameter"].values) == ["w_bias", "w_cos", "w_sin", "decay", "scale"]
    assert data.attrs["neo_model"] == "NSNN logistic" and data.attrs["seed"] == SEED and data.attrs["quick"] == 1
    if not data.attrs["neo_available"]:
        assert len(calls.escape) == 8 and np.all(np.isnan(data["neo_estimate"]))
        return
    *_, neo = calls.escape
    assert len(calls.escape) == 9
    recorded, model = calls.simulate[0], fitting.generating_models()["NSNN logistic"][0]
    # the NSNN-logistic recording's training part, through Neo, fitted from the logistic start
    np.testing.assert_array_equal(neo.spikes.to_dense(), recorded.spikes.to_dense()[:, :N_TRAIN])
    np.testing.assert_array_equal(neo.x, calls.escape[0].x)
    assert repr(neo.start) == repr(fitting.start_model(model, "logistic"))
    np.testing.assert_array_equal(neo.options["weights"], np.full((N_NEURONS, 3), 0.3))
    np.testing.assert_array_equal(data["neo_estimate"], neo.result.dataset["estimate"])


class _Stop(Exception):
    """Raised by the stub after recording the first recording's simulation."""


@pytest.mark.parametrize("quick, n_neurons, n_train", [(True, 6, 20_000), (False, 20, 100_000)])
def test_fitting_experiment_default_sizes_and_first_recording(monkeypatch, quick, n_neurons, n_train):
    """Quick: 6 neurons, 20000 training steps; otherwise 20 and 100000; the test data half as long; the NSNN-logistic
    recording first, from the run's seed, its drive from the stimulus and weights drawn from that seed."""
    calls = []

    def fake_simulate(model, drive, *, n_neurons, n_steps, seed):
        calls.append((model, drive, n_neurons, n_steps, seed))
        raise _Stop

    monkeypatch.setattr(fitting.ns, "simulate", fake_simulate)
    with pytest.raises(_Stop):
        fitting.run(quick=quick, seed=11)
    (model, drive, simulated_neurons, n_steps, seed), = calls
    assert (simulated_neurons, n_steps, seed) == (n_neurons, n_train + n_train // 2, 11)
    assert repr(model) == repr(fitting.generating_models()["NSNN logistic"][0])
    generator = np.random.default_rng(11)
    _, x = _stimulus(n_steps, generator)
    np.testing.assert_allclose(drive, x @ _weights(n_neurons, 1.0, generator).T, rtol=1e-14)
