"""The Brian2 identity experiment's computations without a simulation: its cases, sizes and connections against
the design its docstrings state, and the spike sets, mismatches and membrane differences it computes from the
two simulators' results (both simulators stubbed)."""

import logging
import re
from types import SimpleNamespace

import numpy as np
import pytest

from nsnn_sim.experiments import brian2_identity as identity

# cases()'s docstring: each case's input (a constant or the (mean, amplitude, period in steps) of a sine) and the
# parameters its name does not state
_DESIGN = {"LIF euler": (0.85, {"sigma": 0.4}), "LIF bridge": (0.85, {"sigma": 0.4, "tau_ref": 1e-3}),
           "LIF exact": (0.8, {"sigma": 0.4}), "LIF escape logistic": (0.95, {"sigma": 0.05, "tau_ref": 2e-3}),
           "LIF hazard": (0.9, {"rho_0": 200.0, "delta_u": 0.2}), "NSNN gaussian membrane": (0.45, {}),
           "NSNN logistic escape": ((0.5, 0.3, 9.0), {"noise_scale": 0.3}),
           "NSNN triangular": (0.4, {"noise_scale": 0.6}), "NSNN uniform": (0.5, {"noise_scale": 0.4}),
           "NSNN cauchy": (0.5, {"noise_scale": 0.1}), "NSNN gaussian escape": (0.5, {}),
           "NSNN deterministic": ((0.6, 0.4, 7.0), {})}


def test_every_case_is_the_model_its_name_and_docstring_state_with_the_documented_steps():
    cases = identity.cases(4)
    assert len(cases) == 12
    for (name, model, inputs, n_steps), (prefix, (stimulus, parameters)) in zip(cases, _DESIGN.items()):
        assert name.startswith(prefix)
        if isinstance(stimulus, tuple):
            mean, amplitude, period = stimulus
            expected = mean + amplitude * np.sin(np.arange(n_steps) / period)
            np.testing.assert_allclose(inputs[:, 3], expected, rtol=0, atol=1e-15)
        else:
            assert inputs == stimulus, name
        for key, value in parameters.items():
            assert getattr(model, key) == value, name
        assert n_steps == (5000 if name.startswith("LIF") else 1000), name  # the module docstring's steps
        if np.ndim(inputs) == 2:  # a time-varying input covers the case's steps, the same for every neuron
            assert inputs.shape == (n_steps, 4) and np.all(inputs == inputs[:, :1])
        stated = dict(re.findall(r"(refractory|u_rest|u_reset) (-?[\d.]+)", name))
        for key, value in stated.items():
            scale = 1e-3 if key == "refractory" else 1.0
            assert getattr(model, "tau_ref" if key == "refractory" else key) == float(value) * scale, name
    exact = cases[2][1]
    assert (exact.method, exact.u_rest, exact.u_reset, exact.threshold_crossing) == ("exact", 0.1, -0.2, "grid")


class _Result:
    """A simulator's result: spikes as (trial, neuron, step) arrays and the recorded membranes."""

    def __init__(self, spikes, state):
        trial, neuron, step = (np.array(column, dtype=int) for column in zip(*spikes)) if spikes else ([],) * 3
        self.spikes = SimpleNamespace(trial=np.asarray(trial), neuron=np.asarray(neuron), step=np.asarray(step))
        self.state = state


def _stub(monkeypatch, extra_spikes=()):
    """ns.simulate and run_brian2 replaced: both give the same two spikes and membranes numbered by step; Brian2
    adds ``extra_spikes`` (trial, neuron, step) in the recurrent runs and its membranes are 0.5 higher."""
    import nsnn_sim.interop.brian2 as bridge

    calls = []

    def fake(kind, model, inputs, kwargs):
        calls.append((kind, model, inputs, kwargs))
        shape = (kwargs["n_trials"], kwargs["n_neurons"], kwargs["n_steps"])
        state = np.broadcast_to(np.arange(shape[2], dtype=float), shape).copy()
        spikes = [(0, 1, 3), (1, 2, 5)]
        if kind == "brian2":
            state += 0.5  # exact: the membranes are whole numbers
            if kwargs["connections"] is not None:
                spikes += extra_spikes
        return _Result(spikes, state)

    monkeypatch.setattr(identity.ns, "simulate", lambda model, inputs, **kwargs: fake("ours", model, inputs, kwargs))
    monkeypatch.setattr(bridge, "run_brian2", lambda model, inputs, **kwargs: fake("brian2", model, inputs, kwargs))
    return calls


@pytest.mark.parametrize("quick", [True, False])
def test_run_feeds_both_simulators_the_same_case_and_documented_connections(monkeypatch, quick):
    calls = _stub(monkeypatch)
    data = identity.run(quick=quick, seed=9)
    n_neurons, n_trials = (30, 2) if quick else (100, 3)  # run's docstring
    assert (data.attrs["n_neurons"], data.attrs["n_trials"]) == (n_neurons, n_trials)
    assert data.attrs["brian2_target"] == ("numpy" if quick else "cython")
    generator = np.random.default_rng(5)  # the module docstring's connections
    mask = generator.random((n_neurons, n_neurons)) < 0.1
    weights = np.where(mask, generator.normal(0.1, 0.3, mask.shape), 0.0)
    steps = np.where(mask, generator.integers(1, 6, mask.shape), 0)
    assert len(calls) == 4 * 12
    for index, (name, model, inputs, n_steps) in enumerate(identity.cases(n_neurons)):
        for recurrent in (False, True):
            ours, theirs = calls[4 * index + 2 * recurrent: 4 * index + 2 * recurrent + 2]
            assert ours[0] == "ours" and theirs[0] == "brian2" and ours[1] is theirs[1]
            assert theirs[3].pop("shared_noise") is True and theirs[3].pop("target") == data.attrs["brian2_target"]
            assert ours[3]["connections"] is theirs[3]["connections"]
            expected = n_steps // 5 if quick else n_steps
            assert ours[3]["n_steps"] == expected and ours[3]["seed"] == 9 and ours[3]["n_trials"] == n_trials
            np.testing.assert_array_equal(ours[3]["record_state"], np.arange(n_neurons))
            assert np.shape(ours[2]) in ((), (expected, n_neurons)) and np.shape(theirs[2]) == np.shape(ours[2])
            connections = ours[3]["connections"]
            if not recurrent:
                assert connections is None
                continue
            np.testing.assert_array_equal(connections.weights.toarray(), weights)
            compiled = connections.compile(n_neurons, model.dt)  # delays of 1-5 whole steps of the model's dt
            pre = np.repeat(np.arange(n_neurons), np.diff(compiled.indptr))
            np.testing.assert_array_equal(compiled.delay, steps[compiled.post, pre])
            np.testing.assert_array_equal(compiled.weight, weights[compiled.post, pre])
    assert data["case"].values[:2].tolist() == [identity.cases(1)[0][0], identity.cases(1)[0][0] + ", recurrent"]
    np.testing.assert_array_equal(data["n_spikes"].values, np.full((24, 2), 2))
    np.testing.assert_array_equal(data["mismatched_spikes"].values, 0)
    np.testing.assert_array_equal(data["max_membrane_difference"].values, 0.5)


def test_a_mismatch_is_counted_and_logs_both_membranes_around_it(monkeypatch, caplog):
    _stub(monkeypatch, extra_spikes=[(1, 4, 7), (0, 0, 1), (1, 6, 11), (1, 5, 9)])
    with caplog.at_level(logging.WARNING, logger=identity._log.name):
        data = identity.run(quick=True)
    mismatched = data["mismatched_spikes"].values
    np.testing.assert_array_equal(mismatched, np.tile([0, 4], 12))  # the recurrent runs only
    np.testing.assert_array_equal(data["n_spikes"].values, np.tile([[2, 2], [2, 6]], (12, 1)))
    warnings = [record.getMessage() for record in caplog.records if record.levelno == logging.WARNING]
    assert len(warnings) == 3 * 12  # the first three mismatches of each run, in (trial, neuron, step) order
    # two steps before the mismatched step and one after (from step 0 at the start), nsnn_sim's then Brian2's
    expected = ["trial 0 neuron 0 step 1: nsnn_sim u [0. 1. 2.], Brian2 v [0.5 1.5 2.5]",
                "trial 1 neuron 4 step 7: nsnn_sim u [5. 6. 7. 8.], Brian2 v [5.5 6.5 7.5 8.5]",
                "trial 1 neuron 5 step 9: nsnn_sim u [ 7.  8.  9. 10.], Brian2 v [ 7.5  8.5  9.5 10.5]"] * 12
    assert [line[line.index(" trial ") + 1:] for line in warnings] == expected
