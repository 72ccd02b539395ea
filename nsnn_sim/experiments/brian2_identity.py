"""Spike-for-spike identity of nsnn_sim and Brian2 when Brian2 is fed nsnn_sim's noise.

For every case the same model runs in nsnn_sim and in Brian2 with ``shared_noise=True`` (the
membrane noise, escape and bridge uniforms nsnn_sim draws, as TimedArrays), with and without
recurrent connections (10 % of the pairs, weights N(0.1, 0.3), delays 1-5 steps, all drawn with seed 5);
the LIF cases run 5000 steps, the NSNN cases 1000. Reports the spikes compared, mismatches and the
largest membrane difference; a mismatch logs both membranes from two steps before it to one after.
Writes results/brian2_identity.nc and results/brian2_identity.md.

    python analyses/brian2_identity.py [--quick] [--target cython|cpp_standalone|numpy]
    python figures/brian2_identity.py

Examples
--------
>>> from nsnn_sim.experiments import get
>>> experiment = get('brian2_identity')
>>> experiment.description
'nsnn_sim and Brian2 fed the same noise: spike-for-spike identity over every rule and family.'
>>> experiment.seed, experiment.module.__name__
(17, 'nsnn_sim.experiments.brian2_identity')
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
import xarray as xr

import nsnn_sim as ns
from nsnn_sim._core.log import get_logger
from nsnn_sim._core.version import provenance

_log = get_logger(__name__)

DESCRIPTION = "nsnn_sim and Brian2 fed the same noise: spike-for-spike identity over every rule and family."
SEED = 17
ORDER = 90
REQUIRES = {"brian2": "brian2"}


OPTIONS = {"--target": {"choices": ("cython", "cpp_standalone", "numpy"),
                        "help": "Brian2's code generation target (default: numpy with --quick, which compiles "
                                "nothing, else cython)"}}


def cases(n_neurons: int):
    """Every case as (name, model, input, steps) for ``n_neurons`` neurons. Besides what a name states: LIF
    sigma 0.4 with Gaussian noise (euler, bridge and exact; bridge refractory 1 ms), escape logistic scale
    0.05 and refractory 2 ms, hazard rho_0 200 Hz and delta_u 0.2; LIF inputs 0.85 (euler, bridge), 0.8
    (exact), 0.95 (escape), 0.9 (hazard); NSNN inputs 0.45 (gaussian membrane), 0.4 (triangular, scale 0.6),
    0.5 (uniform scale 0.4, cauchy scale 0.1, gaussian escape), 0.5 + 0.3 sin(step / 9) (logistic escape,
    scale 0.3) and 0.6 + 0.4 sin(step / 7) (deterministic)."""
    sine = lambda n_steps, amplitude, mean, period: (  # noqa: E731
        mean + amplitude * np.sin(np.arange(n_steps) / period)[:, None] * np.ones((1, n_neurons)))
    return [
        ("LIF euler, refractory 1 ms", ns.LIF(sigma=0.4, tau_ref=1e-3, method="euler"), 0.85, 5000),
        ("LIF bridge crossing, subtract reset", ns.LIF(sigma=0.4, tau_ref=1e-3, threshold_crossing="bridge",
                                                       reset="subtract", method="euler"), 0.85, 5000),
        ("LIF exact, u_rest 0.1, u_reset -0.2", ns.LIF(sigma=0.4, method="exact", u_rest=0.1, u_reset=-0.2,
                                                       threshold_crossing="grid"), 0.8, 5000),
        ("LIF escape logistic", ns.LIF(firing="escape", noise="logistic", sigma=0.05, tau_ref=2e-3, method="euler"),
         0.95, 5000),
        ("LIF hazard, refractory 2 ms", ns.LIF(firing="hazard", rho_0=200.0, delta_u=0.2, tau_ref=2e-3,
                                               method="euler"), 0.9, 5000),
        ("NSNN gaussian membrane", ns.NSNN(), 0.45, 1000),
        ("NSNN logistic escape, time-varying", ns.NSNN(noise="logistic", noise_scale=0.3, firing="escape"),
         sine(1000, 0.3, 0.5, 9.0), 1000),
        ("NSNN triangular reference, subtract", ns.NSNN(noise="triangular", noise_scale=0.6, firing="reference",
                                                        reset="subtract"), 0.4, 1000),
        ("NSNN uniform membrane", ns.NSNN(noise="uniform", noise_scale=0.4), 0.5, 1000),
        ("NSNN cauchy escape", ns.NSNN(noise="cauchy", noise_scale=0.1, firing="escape"), 0.5, 1000),
        ("NSNN gaussian escape", ns.NSNN(firing="escape"), 0.5, 1000),
        ("NSNN deterministic, time-varying", ns.NSNN(noise="none"), sine(1000, 0.4, 0.6, 7.0), 1000),
    ]


def run(quick: bool = False, seed: int = SEED, target: str | None = None) -> xr.Dataset:
    """Every case of :func:`cases`, without and with recurrent connections (quick: 30 neurons x 2
    trials and a fifth of the steps, on Brian2's numpy target, which compiles nothing; full: 100 x 3 on
    cython). The identity is exact on every target (the same expressions, the same shared noise)."""
    from nsnn_sim.interop.brian2 import run_brian2  # the brian2 extra, imported only when run

    target = ("numpy" if quick else "cython") if target is None else target

    n_neurons, n_trials = (30, 2) if quick else (100, 3)
    generator = np.random.default_rng(5)
    mask = generator.random((n_neurons, n_neurons)) < 0.1
    weights = sp.csr_matrix(np.where(mask, generator.normal(0.1, 0.3, mask.shape), 0.0))
    delays = sp.csr_matrix(np.where(mask, generator.integers(1, 6, mask.shape), 0))
    labels, counts, mismatched, differences = [], [], [], []
    for name, model, inputs, n_steps in cases(n_neurons):
        n_steps = n_steps // 5 if quick else n_steps
        if np.ndim(inputs) == 2:
            inputs = inputs[:n_steps]
        for connections in (None, ns.connect(weights, delays * model.dt)):  # delays of 1-5 steps
            kwargs = dict(n_neurons=n_neurons, n_steps=n_steps, n_trials=n_trials, seed=seed, connections=connections,
                          record_state=np.arange(n_neurons))
            ours = ns.simulate(model, inputs, **kwargs)
            theirs = run_brian2(model, inputs, shared_noise=True, target=target, **kwargs)
            a = set(zip(ours.spikes.trial.tolist(), ours.spikes.neuron.tolist(), ours.spikes.step.tolist()))
            b = set(zip(theirs.spikes.trial.tolist(), theirs.spikes.neuron.tolist(), theirs.spikes.step.tolist()))
            mismatches = sorted(a ^ b)
            for trial, neuron, step in mismatches[:3]:
                window = slice(max(step - 2, 0), step + 2)
                _log.warning(f"mismatch {name} trial {trial} neuron {neuron} step {step}: nsnn_sim u "
                             f"{ours.state[trial, neuron, window]}, Brian2 v {theirs.state[trial, neuron, window]}")
            labels.append(f"{name}{', recurrent' if connections is not None else ''}")
            counts.append((len(a), len(b)))
            mismatched.append(len(mismatches))
            differences.append(float(np.max(np.abs(ours.state - theirs.state))))
            _log.info("%s: %d / %d spikes, %d mismatched", labels[-1], len(a), len(b), len(mismatches))
    return xr.Dataset(
        {"n_spikes": (("case", "simulator"), np.array(counts)),
         "mismatched_spikes": ("case", np.array(mismatched)),
         "max_membrane_difference": ("case", np.array(differences), {"units": "membrane units"})},
        coords={"case": labels, "simulator": ["nsnn_sim", "brian2"]},
        attrs={"brian2_target": target, "n_neurons": n_neurons, "n_trials": n_trials, "seed": seed,
               "quick": int(quick), **provenance()})


def MARKDOWN(data: xr.Dataset) -> str:  # noqa: N802 (the experiment interface's name)
    """The case-by-case table (results/brian2_identity.md)."""
    rows = [f"| {case} | {int(n[0])} | {int(n[1])} | {int(m)} | {d:.1e} |" for case, n, m, d in
            zip(data["case"].values, data["n_spikes"].values, data["mismatched_spikes"].values,
                data["max_membrane_difference"].values)]
    return (f"Brian2 target: {data.attrs['brian2_target']}; {data.attrs['n_neurons']} neurons x "
            f"{data.attrs['n_trials']} trials per case; {int(data['n_spikes'].sel(simulator='nsnn_sim').sum())} "
            f"nsnn_sim spikes compared, {int(data['mismatched_spikes'].sum())} mismatches.\n\n"
            "| case | spikes nsnn_sim | spikes Brian2 | mismatched spikes | max membrane difference |\n"
            "|---|---|---|---|---|\n" + "\n".join(rows) + "\n")


def figure(data: xr.Dataset):
    """a: spikes per case in both simulators and the mismatched spikes (written beside the bars). b: the
    largest membrane difference (a case whose membranes are bit-identical is written "identical")."""
    from nsnn_sim.experiments import _style as style

    cases_ = list(data["case"].values)
    positions = np.arange(len(cases_))
    figure_, (count_ax, difference_ax) = style.subplots(1, 2, panel=(style.PANEL[0], 0.2 * len(cases_) + 1.0),
                                                        sharey=True)
    spikes = data["n_spikes"]
    for offset, simulator, color in ((-0.2, "nsnn_sim", "C0"), (0.2, "brian2", "0.6")):
        count_ax.barh(positions + offset, spikes.sel(simulator=simulator), height=0.4, color=color, label=simulator)
    for position, mismatches, longest in zip(positions, data["mismatched_spikes"].values, spikes.max("simulator")):
        count_ax.annotate(f"{int(mismatches)} mismatched", (float(longest), position), xytext=(3, 0),
                          textcoords="offset points", va="center", fontsize=7, color="k" if mismatches == 0 else "r")
    count_ax.set_yticks(positions, cases_, fontsize=7)
    count_ax.invert_yaxis()
    count_ax.set_xlim(0, 1.3 * float(spikes.max()))  # room for the counts of mismatches
    count_ax.set_xlabel("spikes (all trials and neurons)")
    count_ax.set_title(f"Shared noise, Brian2 {data.attrs['brian2_target']}: spikes and mismatches")
    count_ax.legend(loc="lower right")
    difference = data["max_membrane_difference"].values
    differs = difference > 0
    difference_ax.barh(positions[differs], difference[differs], color="C2")
    smallest = float(difference[differs].min()) if differs.any() else 1e-16
    for position in positions[~differs]:
        difference_ax.text(smallest / 3, position, "identical", va="center", fontsize=7)
    difference_ax.set_xscale("log")
    difference_ax.set_xlim(left=smallest / 10)
    difference_ax.set_xlabel("largest |u_nsnn_sim - v_Brian2| (threshold = 1)")
    difference_ax.set_title("Membrane potentials agree to rounding")
    return figure_


def summary(data: xr.Dataset) -> list[str]:
    return [f"{int(data['n_spikes'].sel(simulator='nsnn_sim').sum())} nsnn_sim spikes compared over "
            f"{data.sizes['case']} cases (Brian2 {data.attrs['brian2_target']}, shared noise): "
            f"{int(data['mismatched_spikes'].sum())} mismatches; largest membrane difference "
            f"{float(data['max_membrane_difference'].max()):.1e}"]
