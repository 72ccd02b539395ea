"""Spike-for-spike identity of nsnn_sim and Brian2 when Brian2 is fed nsnn_sim's noise.

For every case the same model runs in nsnn_sim and in Brian2 with ``shared_noise=True`` (the
membrane noise, escape and bridge uniforms nsnn_sim draws, as TimedArrays), with and without
recurrent connections (random sparse weights, delays 1-5 steps). Reports the spikes compared,
mismatches and the largest membrane difference; a mismatch prints both membranes around it.
Writes results/brian2_identity.md.

    python analyses/brian2_identity.py [--quick] [--target cython|cpp_standalone]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import scipy.sparse as sp

import nsnn_sim as ns
from nsnn_sim.brian2_bridge import run_brian2


def cases(n_neurons: int):
    sine = lambda n_steps, amplitude, mean, period: (  # noqa: E731
        mean + amplitude * np.sin(np.arange(n_steps) / period)[:, None] * np.ones((1, n_neurons)))
    return [
        ("LIF euler, refractory 1 ms", ns.LIF(sigma=0.4, tau_ref=1e-3), 0.85, 5000),
        ("LIF bridge crossing, subtract reset", ns.LIF(sigma=0.4, tau_ref=1e-3, threshold_crossing="bridge",
                                                       reset="subtract"), 0.85, 5000),
        ("LIF exact, u_rest 0.1, u_reset -0.2", ns.LIF(sigma=0.4, method="exact", u_rest=0.1, u_reset=-0.2), 0.8, 5000),
        ("LIF escape logistic", ns.LIF(firing="escape", noise="logistic", sigma=0.05, tau_ref=2e-3), 0.95, 5000),
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


def main(argv=None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--target", default="cython", choices=("cython", "cpp_standalone", "numpy"))
    parser.add_argument("--out", type=Path, default=Path("results/brian2_identity.md"))
    args = parser.parse_args(argv)
    n_neurons, n_trials = (30, 2) if args.quick else (100, 3)
    generator = np.random.default_rng(5)
    mask = generator.random((n_neurons, n_neurons)) < 0.1
    weights = sp.csr_matrix(np.where(mask, generator.normal(0.1, 0.3, mask.shape), 0.0))
    delays = sp.csr_matrix(np.where(mask, generator.integers(1, 6, mask.shape), 0))
    rows, total, total_mismatches = [], 0, 0
    for name, model, inputs, n_steps in cases(n_neurons):
        for connections in (None, ns.connect(weights, delays)):
            kwargs = dict(n_neurons=n_neurons, n_steps=n_steps, n_trials=n_trials, seed=17, connections=connections,
                          record_state=np.arange(n_neurons))
            ours = ns.simulate(model, inputs, **kwargs)
            theirs = run_brian2(model, inputs, shared_noise=True, target=args.target, **kwargs)
            a = set(zip(ours.spikes.trial.tolist(), ours.spikes.neuron.tolist(), ours.spikes.step.tolist()))
            b = set(zip(theirs.spikes.trial.tolist(), theirs.spikes.neuron.tolist(), theirs.spikes.step.tolist()))
            mismatches = sorted(a ^ b)
            for trial, neuron, step in mismatches[:3]:
                window = slice(max(step - 2, 0), step + 2)
                print(f"  mismatch {name} trial {trial} neuron {neuron} step {step}: nsnn_sim u "
                      f"{ours.state[trial, window, neuron]}, Brian2 v {theirs.state[trial, window, neuron]}")
            difference = float(np.max(np.abs(ours.state - theirs.state)))
            label = f"{name}{', recurrent' if connections is not None else ''}"
            rows.append(f"| {label} | {len(a)} | {len(b)} | {len(mismatches)} | {difference:.1e} |")
            total += len(a)
            total_mismatches += len(mismatches)
            print(rows[-1], flush=True)
    table = (f"Brian2 target: {args.target}; {n_neurons} neurons x {n_trials} trials per case; "
             f"{total} nsnn_sim spikes compared, {total_mismatches} mismatches.\n\n"
             "| case | spikes nsnn_sim | spikes Brian2 | mismatched spikes | max membrane difference |\n"
             "|---|---|---|---|---|\n" + "\n".join(rows) + "\n")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(table)
    print(table)
    return args.out


if __name__ == "__main__":
    main()
