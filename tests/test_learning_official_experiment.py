"""The official-model learning experiment's computations without training: its variants against the design their
names and the module docstring state, the threshold-tie count, and what run() computes from stubbed training,
evaluation and forward passes (the seeds, sizes and every stored number)."""

from types import SimpleNamespace

import numpy as np
import pytest
import xarray as xr

from nsnn_sim.experiments import learning_official as official
from nsnn_sim.experiments.learning import N_CLASSES, SPREAD, build_network


def test_every_variant_is_the_official_model_with_the_factors_its_name_states():
    # the official model (module docstring): reference firing, Gaussian sigma 0.4, decay 0.5, reset not detached,
    # same-step layers, per-step linear logits with the step cross-entropy; the learning experiment's gain 5
    for name, make in official.OFFICIAL_VARIANTS.items():
        network, loss = make(3)
        layer = network.layers[0]
        assert (network.n_inputs, layer.n_neurons, network.readout.n_outputs) == (20, 100, N_CLASSES)
        assert (network.weight_gain, network.seed) == (5.0, 3), name
        if name.startswith("escape NSNN"):
            assert (layer.firing, layer.beta, loss) == ("escape", 0.9, "cross_entropy")
            continue
        assert network.layer_delay == 0
        membrane = "membrane readout" in name
        assert (network.readout.kind, loss) == (("membrane", "cross_entropy") if membrane else
                                                ("linear", "step_cross_entropy")), name
        if membrane:  # the learning experiment's readout
            assert vars(network.readout) == vars(build_network("gaussian", SPREAD, 3).readout)
        assert layer.beta == (0.9 if "beta 0.9" in name else 0.5), name
        assert layer.detach_reset == ("detached" in name), name
        if "DSNN" in name:
            assert (layer.noise, layer.surrogate) == ("none", "erf")
            continue
        escape = "escape SD 0.3" in name
        assert (layer.noise, layer.firing) == ("gaussian", "escape" if escape else "reference"), name
        scale = SPREAD if escape else SPREAD / np.sqrt(2) if "0.3/sqrt2" in name else 0.4
        assert layer.noise_scale == pytest.approx(scale, rel=1e-15), name


class _Tied:
    """A deterministic one-layer network for the tie count: a threshold per neuron, copyable."""

    noise = "none"

    def __init__(self, threshold):
        self.layers = [self]
        self.parameters = {"0.threshold": np.asarray(threshold, dtype=float)}

    def copy(self):
        return _Tied(self.parameters["0.threshold"].copy())


def _forward(network, inputs, seed):
    """A forward pass whose free potential is the input and whose outputs are the spikes of ``u >= theta``."""
    threshold = network.parameters["0.threshold"]
    layer = SimpleNamespace(u_free=inputs, spikes=(inputs >= threshold).astype(float))
    return SimpleNamespace(layers=[layer], outputs=2.0 * layer.spikes - 0.5)


def test_threshold_ties_count_equal_potentials_and_the_strict_rules_output_change(monkeypatch):
    monkeypatch.setattr(official.learn, "forward", _forward)
    network = _Tied([1.0, 0.5])
    inputs = np.array([[[1.0, 0.2], [0.9, 0.5]], [[1.0, 0.7], [2.0, 0.5]]])  # u == theta at 4 entries
    ties, change = official._threshold_ties(network, inputs, seed=1)
    assert ties == 4
    assert change == 2.0  # a tied spike is lost under u > theta: the output moves from 1.5 to -0.5
    assert official._threshold_ties(network, inputs + 0.25, seed=1) == (0, 0.0)
    np.testing.assert_array_equal(network.parameters["0.threshold"], [1.0, 0.5])  # the strict rule on a copy


def _randman_data(**kwargs):
    generator = np.random.default_rng(0)
    n_train, n_test = kwargs["n_classes"] * kwargs["n_train"], kwargs["n_classes"] * kwargs["n_test"]
    return SimpleNamespace(x_train=generator.random((n_train, 2, 3)), y_train=np.arange(n_train) % 10,
                           x_test=generator.random((n_test, 2, 3)), y_test=np.arange(n_test) % 10,
                           attrs={"alpha": kwargs["alpha"], "n_steps": kwargs["n_steps"]})


@pytest.fixture
def stubbed(monkeypatch):
    """Two variants (a noisy one and a deterministic one), the data, training, evaluation and forward passes
    replaced by records whose results encode their arguments."""
    calls = {"randman": [], "made": [], "train": [], "evaluate": [], "forward": [], "ties": []}

    def variant(kind):
        def make(seed):
            calls["made"].append((kind, seed))
            return SimpleNamespace(kind=kind, seed=seed, layers=[SimpleNamespace(noise=kind)]), f"{kind} loss"
        return make

    def randman(**kwargs):
        calls["randman"].append(kwargs)
        return _randman_data(**kwargs)

    def train(network, inputs, targets, **kwargs):
        calls["train"].append((network.kind, network.seed, inputs.shape[0], kwargs))
        epochs = kwargs["epochs"]
        return xr.Dataset({"test_accuracy": ("epoch", 0.01 * network.seed + 0.001 * np.arange(epochs)),
                           "epoch_time": ("epoch", [100.0] + [1.0 + network.seed] * (epochs - 1))})

    def evaluate(network, inputs, targets, loss, seed, n_ensembles=1, engine="learner"):
        calls["evaluate"].append((network.kind, loss, seed, n_ensembles, engine))
        outputs = np.full(3, float(seed)) + (1e-9 if engine == "simulator" and network.kind == "none" else 0.0)
        return SimpleNamespace(accuracy=seed + n_ensembles / 10, outputs=outputs)

    def forward(network, inputs, seed):
        calls["forward"].append((network.kind, seed))
        return SimpleNamespace(layers=[SimpleNamespace(spikes=np.array([0.0, 1.0, 1.0, float(network.seed)]))])

    def ties(network, inputs, seed):
        calls["ties"].append((network.kind, inputs.shape[0], seed))
        return 7 + seed, 0.5 * seed

    monkeypatch.setattr(official, "OFFICIAL_VARIANTS", {"noisy": variant("gaussian"), "deterministic": variant("none")})
    for name, function in (("randman", randman), ("train", train), ("evaluate", evaluate), ("forward", forward)):
        monkeypatch.setattr(official.learn, name, function)
    monkeypatch.setattr(official, "_threshold_ties", ties)
    return calls


def test_run_trains_every_variant_with_its_paired_seeds_and_stores_what_it_measures(stubbed):
    data = official.run(quick=True, seed=5, seeds=2, epochs=4)
    n = N_CLASSES * 40  # quick: 40 patterns per class, train and test
    assert stubbed["randman"] == [dict(n_classes=N_CLASSES, n_inputs=20, n_steps=50, n_train=40, n_test=40,
                                       manifold_dim=1, alpha=2.0, seed=5)]  # the learning experiment's task
    assert stubbed["made"] == [("gaussian", 5), ("gaussian", 6), ("none", 5), ("none", 6)]  # network seed + s
    for (kind, seed, size, kwargs), s in zip(stubbed["train"], [0, 1, 0, 1]):
        assert (seed, size, kwargs["seed"], kwargs["epochs"], kwargs["batch_size"]) == (5 + s, n, 5 + 100 * s, 4, 32)
        assert kwargs["loss"] == f"{kind} loss" and kwargs["optimizer"].learning_rate == 1e-2
        assert kwargs["test_inputs"].shape[0] == n and kwargs["test_targets"].size == n
    # per network: the ensembles with seed 1000 + s, then learner and simulator with the same seed 2000 + s
    assert stubbed["evaluate"] == [(kind, f"{kind} loss", seed, k, engine) for kind in ("gaussian", "none")
                                   for s in (0, 1) for seed, k, engine in
                                   [(1000 + s, k, "learner") for k in (1, 2, 4, 8)] +
                                   [(2000 + s, 1, "learner"), (2000 + s, 1, "simulator")]]
    assert stubbed["forward"] == [(kind, 3000 + s) for kind in ("gaussian", "none") for s in (0, 1)]
    assert stubbed["ties"] == [("none", 2 * n, 4000), ("none", 2 * n, 4001)]  # train + test sets
    accuracy = data["test_accuracy"]
    assert accuracy.dims == ("variant", "seed", "epoch") and data["epoch"].values.tolist() == [1, 2, 3, 4]
    np.testing.assert_allclose(accuracy.sel(variant="deterministic", seed=1).values, [0.06, 0.061, 0.062, 0.063])
    np.testing.assert_array_equal(data["epoch_time"].values, [[6.0, 7.0], [6.0, 7.0]])  # epochs 2+ only
    np.testing.assert_allclose(data["ensemble_accuracy"].sel(variant="noisy", seed=1).values,
                               [1001.1, 1001.2, 1001.4, 1001.8])
    np.testing.assert_array_equal(data["simulator_identical"].values, [[1, 1], [0, 0]])
    np.testing.assert_array_equal(data["hidden_rate"].values, [[1.75, 2.0], [1.75, 2.0]])  # (2 + seed) / 4
    np.testing.assert_array_equal(data["dsnn_threshold_ties"].values, [4007, 4008])
    np.testing.assert_array_equal(data["dsnn_strict_output_change"].values, [2000.0, 2000.5])
    assert data["n_ensembles"].values.tolist() == [1, 2, 4, 8] and data["variant"].values.tolist() == ["noisy",
                                                                                                      "deterministic"]
    assert (data.attrs["n_train"], data.attrs["n_test"], data.attrs["epochs"], data.attrs["seed"]) == (n, n, 4, 5)
    assert (data.attrs["randman_alpha"], data.attrs["randman_n_steps"], data.attrs["quick"]) == (2.0, 50, 1)
    assert data.attrs["network"] == official._official_variant(5)[0].config_json()


@pytest.mark.parametrize("quick", [False, True])
def test_the_default_sizes_are_the_documented_ones(stubbed, monkeypatch, quick):
    sizes = []
    monkeypatch.setattr(official, "_official_model",
                        lambda seed, data, epochs, seeds: sizes.append((data.y_train.size, epochs, seeds)) or
                        xr.Dataset())
    clock = iter([10.0, 12.5, 20.0, 21.0])  # the wall time run() reports: perf_counter at its end minus at its start
    monkeypatch.setattr(official.time, "perf_counter", lambda: next(clock))
    assert official.run(quick=quick).attrs == {"quick": int(quick), "wall_time_s": 2.5}
    patterns, epochs = (40, 10) if quick else (100, 30)  # run's docstring; 3 seeds
    assert sizes == [(N_CLASSES * patterns, epochs, 3)]
    assert stubbed["randman"][0]["seed"] == official.SEED == 5
    official.run(quick=quick, patterns=7, epochs=2, seeds=1)
    assert sizes[-1] == (N_CLASSES * 7, 2, 1)


def test_without_a_deterministic_variant_the_tie_columns_stay_unmeasured(stubbed, monkeypatch):
    monkeypatch.setattr(official, "OFFICIAL_VARIANTS", {"noisy": official.OFFICIAL_VARIANTS["noisy"]})
    data = official.run(quick=True, seeds=2, epochs=2)
    assert stubbed["ties"] == []
    np.testing.assert_array_equal(data["dsnn_threshold_ties"].values, [-1, -1])  # -1: not measured
    assert np.isnan(data["dsnn_strict_output_change"].values).all()
