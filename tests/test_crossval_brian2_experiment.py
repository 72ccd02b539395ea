"""The Brian2 cross-validation experiment's computations without Brian2 or a simulation: the grid against the
design its names and grid()'s docstring state, the sinusoidal input, the seeds of both simulators and the
Bonferroni count (the simulators and compare() stubbed)."""

import re
from types import SimpleNamespace

import numpy as np
import pytest
from scipy import stats

import nsnn_sim as ns
from nsnn_sim.experiments import crossval_brian2 as crossval

# the inputs and parameters grid()'s docstring lists for the conditions whose names do not state them: a constant,
# ("sine", mean, amplitude, frequency) or ("poisson", constant, rate, weight, sources)
_UNNAMED = {"LIF subtract reset": (0.9, {}), "LIF time-varying": (("sine", 0.9, 0.3, 5.0), {"sigma": 0.3}),
            "LIF exact method": (0.7, {}), "LIF escape logistic": (0.95, {"sigma": 0.05}),
            "LIF no noise": (("poisson", 0.7, 400.0, 0.05, 20), {"tau_ref": 2e-3}),
            "NSNN gaussian membrane": (0.45, {"noise_scale": 0.4}),
            "NSNN logistic escape": (0.4, {"noise_scale": 0.2}), "NSNN triangular": (0.35, {"noise_scale": 0.6}),
            "NSNN uniform escape": (("sine", 0.4, 0.15, 4.0), {"noise_scale": 0.4}),
            "NSNN cauchy": (0.45, {"noise_scale": 0.1}), "NSNN gaussian reference": (0.4, {"noise_scale": 0.3}),
            "NSNN logistic reference": (("sine", 0.4, 0.15, 3.0), {"noise_scale": 0.2}),
            "NSNN deterministic": (("poisson", 0.2, 30.0, 0.25, 10), {}),
            "NSNN heterogeneous beta": (("poisson", 0.3, 20.0, 0.2, 10), {"noise_scale": 0.3})}


def _check_input(condition, stimulus):
    """The condition's input against the docstring's constant, sine or constant + Poisson drive."""
    inputs = condition.inputs(3, 50, 1)
    if not isinstance(stimulus, tuple):
        assert inputs == stimulus, condition.name
    elif stimulus[0] == "sine":
        expected = crossval.sinusoid(*stimulus[1:], condition.model.dt)(3, 50, 1)
        np.testing.assert_array_equal(inputs, expected)
    else:
        constant, drive = inputs
        assert constant == stimulus[1], condition.name
        assert (float(drive.rate), float(drive.weight), drive.n_sources) == stimulus[2:], condition.name


@pytest.fixture
def brunel(monkeypatch):
    """brunel_model_a replaced by a record of its arguments (the full network has 10^7 synapses)."""
    calls = []

    def fake(n_excitatory, **kwargs):
        calls.append((n_excitatory, kwargs))
        return SimpleNamespace(n_neurons=n_excitatory + n_excitatory // 4, n_excitatory=n_excitatory,
                               model="brunel model", inputs=0.25, connections="brunel connections")

    monkeypatch.setattr(crossval, "brunel_model_a", fake)
    return calls


def _stated(name):
    """The parameters a condition's name states: mu, sigma, refractory (ms), u_rest and u_reset."""
    return {key: float(value) for key, value in re.findall(r"(mu|sigma|refractory|u_rest|u_reset) (-?[\d.]+)", name)}


@pytest.mark.parametrize("quick", [False, True])
def test_the_grid_is_the_design_its_names_and_docstring_state(brunel, quick):
    conditions = crossval.grid(quick)
    assert len(conditions) == (7 if quick else 19)
    if quick:
        assert [c.name for c in conditions if not c.name.startswith(crossval.QUICK_CONDITIONS)] == []
    for condition in conditions[:-1]:
        lif = condition.name.startswith("LIF")
        assert (condition.n_neurons, condition.duration) == ((300 if lif else 400, 1.0) if quick else
                                                             (800 if lif else 1000, 2.0))
        assert condition.model.dt == (1e-4 if lif else 1e-3)
        stated = _stated(condition.name)
        unnamed = [value for key, value in _UNNAMED.items() if condition.name.startswith(key)]
        stimulus, scales = unnamed[0] if unnamed else (stated.pop("mu"), {})
        _check_input(condition, stimulus)
        for key, value in scales.items():
            assert getattr(condition.model, key) == value, condition.name
        for key, value in stated.items():
            expected = value * 1e-3 if key == "refractory" else value
            assert getattr(condition.model, "tau_ref" if key == "refractory" else key) == expected, condition.name
        if "heterogeneous beta" in condition.name:
            np.testing.assert_array_equal(condition.model.beta, np.linspace(0.2, 0.8, condition.n_neurons))
        assert condition.time_varying == (isinstance(stimulus, tuple) and stimulus[0] == "sine"), condition.name
        assert condition.warmup == 0.05
        assert condition.theory == (lif and condition.name.startswith(("LIF euler gaussian", "LIF bridge")))
    network = conditions[-1]
    n_excitatory, j = (2000, 0.5) if quick else (10_000, 0.1)
    n = n_excitatory * 5 // 4
    assert brunel == [(n_excitatory, dict(epsilon=0.1, j=j, g=6.0, eta=4.0, seed=7))]
    assert (network.n_neurons, network.duration, network.n_trials) == (n, 0.5 if quick else 1.0, 6 if quick else 8)
    assert network.name == f"Brunel model A, N={n}, g=6, eta=4" and network.connections == "brunel connections"
    assert network.warmup == 0.1
    assert network.notes == f"C_E={n_excitatory // 10}, J={j} mV, D=1.5 ms"  # epsilon N_E; J C_E is 100 mV in both
    np.testing.assert_array_equal(network.initial_state, np.random.default_rng(7).uniform(10.0, 20.0, n))


def test_the_sinusoidal_input_is_mean_plus_amplitude_sine_at_its_frequency():
    values = crossval.sinusoid(0.9, 0.3, 5.0, 1e-4)(3, 2001, 1)
    assert values.shape == (2001, 3)
    # 5 Hz at 0.1 ms steps: a quarter period is 500 steps
    np.testing.assert_allclose(values[[0, 500, 1000, 1500, 2000], 1], [0.9, 1.2, 0.9, 0.6, 0.9], atol=1e-12)
    np.testing.assert_array_equal(values[:, 0], values[:, 2])


def _stub_simulators(monkeypatch):
    """nsnn_sim.simulate, run_brian2 and compare replaced by records of their calls."""
    import nsnn_sim.interop.brian2 as bridge

    calls = {"ours": [], "theirs": []}

    def result(kind, kwargs):
        calls[kind].append(kwargs)
        spikes = np.zeros(kwargs["n_trials"] + (7 if kind == "ours" else 3))
        return SimpleNamespace(spikes=spikes, run_time=1.5 if kind == "ours" else 2.0)

    monkeypatch.setattr(crossval.ns, "simulate", lambda model, inputs, **kwargs: result("ours", kwargs))
    monkeypatch.setattr(bridge, "run_brian2", lambda model, inputs, **kwargs: result("theirs", kwargs))
    monkeypatch.setattr(crossval, "stack_trials", lambda trains: np.concatenate(trains))
    monkeypatch.setattr(crossval, "compare", lambda a, b, **kwargs: ("compared", len(a), len(b), kwargs))
    return calls


@pytest.mark.parametrize("recurrent", [False, True])
def test_both_simulators_run_a_condition_with_their_own_seeds(monkeypatch, recurrent):
    calls = _stub_simulators(monkeypatch)
    monkeypatch.setattr(crossval, "theory_checks", lambda model, mu, trains: ("theory", model.dt, mu, trains))
    condition = crossval.Condition("c", SimpleNamespace(dt=1e-3), crossval.constant(0.4), 10, 0.25, n_trials=3,
                                   connections="w" if recurrent else None, renewal=False, warmup=0.1,
                                   theory=not recurrent)
    out = crossval.run_condition(condition, seed=200)
    assert calls["ours"] == [dict(n_neurons=10, n_steps=250, connections=condition.connections, initial_state=None,
                                  n_trials=3, seed=200)]
    # Brian2: seed + 1 (a network: one run per trial, seeds seed + 1 + trial)
    assert [(kwargs["seed"], kwargs["n_trials"]) for kwargs in calls["theirs"]] == (
        [(201, 1), (202, 1), (203, 1)] if recurrent else [(201, 3)])
    theirs = 3 * 4 if recurrent else 6
    assert out["comparison"] == ("compared", 10, theirs, dict(warmup=0.1, by_trial=recurrent, renewal=False,
                                                              time_varying=False))
    assert out["spikes"] == (10, theirs) and out["wall"] == (1.5, 6.0 if recurrent else 2.0)
    if recurrent:
        assert "theory" not in out
    else:  # the theory at the constant input, for both simulators' spikes
        assert out["theory"][:3] == ("theory", 1e-3, 0.4) and [len(t) for t in out["theory"][3]] == [10, 6]


def test_run_places_every_metric_and_counts_the_tests_for_bonferroni(monkeypatch):
    conditions = [crossval.Condition(name, None, None, 5 * (k + 1), 0.5 + k, n_trials=k + 1)
                  for k, name in enumerate(("first", "second", "third"))]
    monkeypatch.setattr(crossval, "grid", lambda quick: conditions)
    seeds = []

    def fake_condition(condition, seed):
        seeds.append(seed)
        k = len(seeds)
        p = {"rate": 0.5, "cv": 1e-4 if k == 1 else 0.01} if k != 2 else {"rate": 0.9, "fano": 0.3, "psth": 0.6}
        out = {"comparison": SimpleNamespace(p_values=p, values_a={m: 10.0 * k for m in p},
                                             values_b={m: 11.0 * k for m in p}, se_a={m: 0.1 for m in p},
                                             se_b={m: 0.2 for m in p}),
               "wall": (k, 2.0 * k), "spikes": (100 * k, 101 * k)}
        if k == 3:
            out["theory"] = {"theory_rate": 20.0, "theory_cv": 0.8, "p": [0.5, 0.001]}
        return out

    monkeypatch.setattr(crossval, "run_condition", fake_condition)
    data = crossval.run(only=["first", "second", "third"])
    assert seeds == [100, 200, 300]  # independent streams: 100 (row + 1)
    assert data.attrs["n_tests"] == 2 + 3 + 2 + 2  # finite p-values of the metrics and of the theory
    threshold = 0.05 / 9
    assert data.attrs["bonferroni_threshold"] == pytest.approx(threshold, rel=1e-15)
    # first: its cv's p 1e-4 is below the threshold 0.0056; third: its metrics pass, its theory's 0.001 does not
    np.testing.assert_array_equal(data["agree"].values, [False, True, False])
    np.testing.assert_array_equal(data["p_value"].sel(condition="second").values, [0.9, np.nan, 0.3, np.nan, 0.6])
    np.testing.assert_array_equal(data["value"].sel(condition="third", metric="cv").values, [30.0, 33.0])
    np.testing.assert_array_equal(data["se"].sel(condition="first", metric="rate").values, [0.1, 0.2])
    np.testing.assert_array_equal(data["theory_p_value"].sel(condition="third").values, [0.5, 0.001])
    np.testing.assert_array_equal(data["theory_rate"].values, [np.nan, np.nan, 20.0])
    np.testing.assert_array_equal(data["n_spikes"].values, [[100, 101], [200, 202], [300, 303]])
    np.testing.assert_array_equal(data["wall_time"].values, [[1, 2], [2, 4], [3, 6]])
    np.testing.assert_array_equal(data["n_neurons"].values, [5, 10, 15])
    assert crossval.run(only=["second"])["condition"].values.tolist() == ["second"]


@pytest.mark.parametrize("crossing", ["bridge", "grid"])
def test_the_theory_rate_is_the_schemes_and_only_the_bridge_rate_is_z_tested(monkeypatch, crossing):
    model = ns.LIF(sigma=0.3, tau_ref=2e-3, threshold_crossing=crossing, method="euler")
    rates = {"a": (21.0, 0.25), "b": (19.5, 0.5)}  # each train's stationary rate and its SE
    monkeypatch.setattr(crossval.spike_statistics, "stationary_rate", lambda train: rates[train])
    monkeypatch.setattr(crossval.spike_statistics, "stationary_part", lambda train: train + " stationary")
    monkeypatch.setattr(crossval.spike_statistics, "isi_cv",
                        lambda train, pool: {"a stationary": 0.7, "b stationary": 0.8}[train] if pool == "all" else 0)
    out = crossval.theory_checks(model, 0.6, ["a", "b"])
    parameters = (model.tau, model.threshold, model.u_reset, model.tau_ref, model.u_rest)
    if crossing == "bridge":
        rate = ns.theory.euler_rate(0.6, model.sigma, model.dt, *parameters, crossing="bridge")
        p = [2 * stats.norm.sf(abs(mean - rate) / se) for mean, se in rates.values()]
    else:
        shift = ns.theory.grid_threshold_shift(model.sigma, model.dt, model.tau)
        assert shift > 0
        rate = ns.theory.siegert_rate(0.6, model.sigma, model.tau, model.threshold + shift, *parameters[2:])
        p = [np.nan, np.nan]
    assert out["theory_rate"] == rate
    assert out["theory_cv"] == ns.theory.isi_cv(0.6, model.sigma, *parameters)  # Brunel's CV at the threshold
    np.testing.assert_allclose(out["p"], p, rtol=1e-12)
    assert (out["rate"], out["cv"]) == ([21.0, 19.5], [0.7, 0.8])
