"""Checks of a noise family registered from outside nsnn_sim, run in a fresh process.

    python -m registered_family_checks (entry-point | import-first) NAME

``entry-point``: the family's module is named by an entry point of the group
``nsnn_sim.noise_families`` (on ``PYTHONPATH``) and loaded by ``import nsnn_sim``; ``import-first``:
the module ``NAME_family`` is imported before anything is simulated (then only the numpy methods and
the engine are checked: what depends on the order of registration). Prints one JSON object with
the measured numbers; tests/test_noise_registry.py asserts on them.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
from pathlib import Path

import numpy as np

SD = 0.4  # the family runs at the scale of this SD (its FamilySpec.scale_for_sd)


def _clamped_fraction(model, drive, n_neurons=200, n_steps=1000, runner=None):
    """Spike fraction of beta = 0 neurons (u is reset to the same clamped value every step, so the
    ``n_neurons*n_steps`` steps are independent Bernoulli trials) and their number."""
    import nsnn_sim as ns

    result = (runner or ns.simulate)(model, drive, n_neurons=n_neurons, n_steps=n_steps, seed=5)
    return len(result.spikes) / (n_neurons * n_steps), n_neurons * n_steps


def engine(name: str) -> dict:
    """Escape and membrane firing at clamped potentials, against the scipy reference's cdf."""
    import nsnn_sim as ns
    from nsnn_sim.simulator import noise

    record = noise.spec(name)
    scale = record.scale_for_sd(SD)
    reference = record.scipy_reference(scale)
    escape, n = _clamped_fraction(ns.NSNN(beta=0.0, noise=name, noise_scale=scale, firing="escape"), 0.85)
    membrane, _ = _clamped_fraction(ns.NSNN(beta=0.0, noise=name, noise_scale=scale), 0.8)
    return {"escape": escape, "escape_expected": float(reference.cdf(0.85 - 1.0)),
            "membrane": membrane, "membrane_expected": float(reference.sf(1.0 - 0.8)), "n": n}


def numpy_methods(name: str) -> dict:
    """Largest deviations of NoiseFamily.cdf/pdf/ppf from the scipy reference."""
    from nsnn_sim.simulator import noise

    record = noise.spec(name)
    scale = record.scale_for_sd(SD)
    family, reference = noise.get(name, scale), record.scipy_reference(scale)
    x = np.linspace(-3.0, 3.0, 121)
    p = np.linspace(0.001, 0.999, 999)
    return {"cdf_error": float(np.max(np.abs(family.cdf(x) - reference.cdf(x)))),
            "pdf_error": float(np.max(np.abs(family.pdf(x) - reference.pdf(x)))),
            "ppf_error": float(np.max(np.abs(family.ppf(p) - reference.ppf(p))))}


def learner(name: str) -> dict:
    """One escape step of the learner: the NDL gradient of L = sum_k c_k s_k is c_k pdf(u_k - theta) x_j
    with the family's pdf; returns its largest relative deviation from the scipy pdf's value, and
    the firing fractions of the two neurons against the cdf."""
    from nsnn_sim import learn
    from nsnn_sim.simulator import noise

    record = noise.spec(name)
    scale = record.scale_for_sd(SD)
    reference = record.scipy_reference(scale)
    network = learn.Network(3, [learn.SpikingLayer(2, noise=name, noise_scale=scale, firing="escape")],
                            learn.Readout("count"), weight_gain=1.0, seed=4)
    network.parameters["0.W"][:] = [[0.5, 0.3, 0.1], [0.4, -0.4, 0.6]]  # u - theta = -0.2 and +0.1
    coefficients, x, n = np.array([1.0, -2.0]), np.array([[[1.0, 0.5, 1.5]]]), 20_000
    trace = learn.forward(network, np.repeat(x, n, axis=0), seed=11)
    gradient = learn.backward(network, trace, np.broadcast_to(coefficients / n, (n, 2)))["0.W"]
    distance = np.array([-0.2, 0.1])
    expected = np.outer(coefficients * reference.pdf(distance), x[0, 0])
    return {"gradient_relative_error": float(np.max(np.abs(gradient / expected - 1.0))),
            "fired": trace.layers[0].spikes[:, 0, :].mean(axis=0).tolist(),
            "fired_expected": reference.cdf(distance).tolist(), "fired_n": n}


def brian2_expression_errors(name: str) -> dict:
    """Largest deviations from the scipy reference of the family's Brian2 cdf and ppf expressions,
    evaluated by Brian2 (numpy target) on a grid (the ppf only where the family has one)."""
    import brian2 as b2

    from nsnn_sim.interop.brian2 import _brian2_function
    from nsnn_sim.simulator import noise

    b2.prefs.codegen.target = "numpy"
    record = noise.spec(name)
    scale = record.scale_for_sd(SD)
    reference = record.scipy_reference(scale)
    values, probabilities = np.linspace(-2.0, 2.0, 81), np.linspace(0.005, 0.995, 81)
    functions = {item.name: _brian2_function(b2, item) for item in record.brian2_functions}
    group = b2.NeuronGroup(values.size, "x : 1\np : 1\nF : 1\nq : 1", namespace=functions)
    group.x, group.p = values, probabilities
    code = f"F = {record.cdf_expression('x', repr(scale))}"
    if record.brian2_ppf is not None:
        code += f"\nq = {record.ppf_expression('p', repr(scale))}"
    group.run_regularly(code)
    b2.Network(group).run(b2.defaultclock.dt)
    out = {"brian2_cdf_error": float(np.max(np.abs(group.F[:] - reference.cdf(values))))}
    if record.brian2_ppf is not None:
        out["brian2_ppf_error"] = float(np.max(np.abs(group.q[:] - reference.ppf(probabilities))))
    return out


def shared_noise_identity(name: str, firing: str) -> tuple[int, bool]:
    """Spikes of an NSNN with this family (12 neurons, 2 trials, 400 steps of a sine drive) in nsnn_sim,
    and whether Brian2 (numpy target) fed nsnn_sim's draws gives the same spikes."""
    import nsnn_sim as ns
    from nsnn_sim.interop.brian2 import run_brian2
    from nsnn_sim.simulator import noise

    model = ns.NSNN(noise=name, noise_scale=noise.spec(name).scale_for_sd(SD), firing=firing)
    drive = 0.5 + 0.3 * np.sin(np.arange(400) / 9.0)[:, None] * np.ones((1, 12))
    ours = ns.simulate(model, drive, n_neurons=12, n_steps=400, n_trials=2, seed=11).spikes
    theirs = run_brian2(model, drive, 12, 400, n_trials=2, seed=11, shared_noise=True, target="numpy").spikes
    return len(ours), bool(ours == theirs)


def brian2(name: str) -> dict:
    """The Brian2 side: the expressions, shared-noise identity (escape and membrane firing), and an
    independent Brian2 run of clamped membrane firing (Brian2's own rand() through the ppf)."""
    import nsnn_sim as ns
    from nsnn_sim.interop.brian2 import run_brian2
    from nsnn_sim.simulator import noise

    out = brian2_expression_errors(name)
    for firing in ("escape", "membrane"):
        out[f"shared_{firing}_spikes"], out[f"shared_{firing}_identical"] = shared_noise_identity(name, firing)
    model = ns.NSNN(beta=0.0, noise=name, noise_scale=noise.spec(name).scale_for_sd(SD))
    fraction, n = _clamped_fraction(model, 0.8, 200, 500,
                                    runner=lambda *args, **kwargs: run_brian2(*args, **kwargs, target="numpy"))
    out.update(independent_membrane=fraction, independent_membrane_n=n)
    return out


def main(argv=None) -> None:
    how, name = (argv or sys.argv[1:])[:2]
    if how == "import-first":
        importlib.import_module(f"{name}_family")
    elif how != "entry-point":
        raise ValueError(f"how={how!r}; allowed: 'entry-point', 'import-first'")
    from nsnn_sim.simulator import noise

    result = {"names": list(noise.names()), "cache_dir": noise.kernel_cache_dir(),
              "fingerprint": noise.registry_fingerprint()}
    # the import-first run asks only what depends on the order of registration: the names and the engine's kernels
    for check in (numpy_methods, engine, learner, brian2) if how == "entry-point" else (numpy_methods, engine):
        result.update(check(name))
    cached = Path(result["cache_dir"])
    result["cached_kernels"] = sorted(path.name for path in cached.rglob("engine._run_block*.nbi"))
    result["numba_cache_dir_env"] = os.environ.get("NUMBA_CACHE_DIR", "")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
