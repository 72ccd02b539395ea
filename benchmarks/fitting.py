"""Time to fit escape-noise neurons by maximum likelihood (nsnn_sim.fit) -> benchmarks/results/fitting.json, .md.

The issue's size: 100 neurons x 10^5 steps, 10 parameters per neuron (8 covariate weights: a bias and 7
Gaussian white-noise stimulus channels, the decay beta and the noise scale), NSNN with logistic escape
noise, data simulated with known parameters. Times the whole :func:`nsnn_sim.fit.fit_escape` call
(one L-BFGS-B fit per neuron with the analytic gradient, then the 20 gradient evaluations of its observed
Fisher information; the neurons' blocks on Numba's thread count of Python threads)
after a small warm-up fit (compilation), with Numba's default thread count; records the wall time, the
process's CPU time (all threads) and the load of the machine (``uptime``) beside the numbers, since the
machine may be shared (on a loaded machine the wall time measures the other jobs too).

    python benchmarks/fitting.py [--neurons 100] [--steps 100000] [--out benchmarks/results]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import time
from pathlib import Path

import numpy as np

import nsnn_sim as ns
from nsnn_sim import fit


def _load() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def problem(n_neurons: int, n_steps: int, seed: int = 0):
    generator = np.random.default_rng(seed)
    x = np.column_stack([np.ones(n_steps), generator.normal(size=(n_steps, 7))])
    weights = np.column_stack([generator.uniform(0.35, 0.5, n_neurons), generator.normal(0, 0.1, (n_neurons, 7))])
    truth = ns.NSNN(beta=0.6, noise="logistic", noise_scale=0.15, firing="escape")
    spikes = ns.simulate(truth, x @ weights.T, n_neurons=n_neurons, n_steps=n_steps, seed=seed).spikes
    return spikes, x, weights


def main(argv=None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--neurons", type=int, default=100)
    parser.add_argument("--steps", type=int, default=100_000)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results")
    args = parser.parse_args(argv)
    start = ns.NSNN(beta=0.5, noise="logistic", noise_scale=0.2, firing="escape")
    small = problem(2, 500, seed=1)
    fit.fit_escape(small[0], small[1], start)  # compilation
    spikes, x, weights = problem(args.neurons, args.steps)
    load_before = _load()
    began, cpu_began = time.perf_counter(), time.process_time()
    result = fit.fit_escape(spikes, x, start)
    seconds, cpu_seconds = time.perf_counter() - began, time.process_time() - cpu_began
    load_after = _load()
    data = result.dataset
    truth = np.column_stack([weights, np.full(args.neurons, 0.6), np.full(args.neurons, 0.15)])
    z = (data["estimate"].values - truth) / data["se"].values
    row = {"n_neurons": args.neurons, "n_steps": args.steps, "parameters_per_neuron": int(data.sizes["parameter"]),
           "n_spikes": int(len(spikes)), "seconds": seconds, "cpu_seconds": cpu_seconds,
           "n_evaluations": int(data.attrs["n_evaluations"]),
           "n_iterations_max": int(data.attrs["n_iterations"]),
           "n_iterations_total": int(data.attrs["n_iterations_total"]),
           "neuron_evaluations": int(data.attrs["n_evaluations"]) + 2 * args.neurons * int(data.sizes["parameter"]),
           "converged": bool(data.attrs["converged"]), "message": data.attrs["message"],
           "z_mean": float(np.nanmean(z)), "z_sd": float(np.nanstd(z)),
           "threads": int(os.environ.get("NUMBA_NUM_THREADS", 0)) or os.cpu_count(), "cores": os.cpu_count(),
           "uptime_before": load_before, "uptime_after": load_after}
    row["cpu_ms_per_neuron_evaluation"] = 1e3 * cpu_seconds / row["neuron_evaluations"]
    print(json.dumps(row, indent=1), flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "fitting.json"
    path.write_text(json.dumps(row, indent=1))
    (args.out / "fitting.md").write_text(
        "# Fitting benchmark (benchmarks/fitting.py)\n\n"
        f"{args.neurons} neurons x {args.steps} steps x {row['parameters_per_neuron']} parameters per neuron "
        f"(NSNN, logistic escape noise), {row['n_spikes']} spikes: **{seconds:.1f} s** wall time for fit_escape "
        f"(one L-BFGS-B fit per neuron, the blocks on {row['threads']} threads: {row['n_iterations_max']} iterations "
        f"at most, {row['n_iterations_total']} in all; {row['neuron_evaluations']} one-neuron likelihood+gradient "
        f"evaluations including the 2k per neuron of the observed Fisher information, "
        f"{row['cpu_ms_per_neuron_evaluation']:.1f} ms of CPU each), {row['cores']} cores; CPU time of the process "
        f"(all threads) {cpu_seconds:.1f} s, i.e. {cpu_seconds / row['cores']:.1f} s of wall time on "
        f"{row['cores']} fully used cores "
        f"when nothing else runs. Converged: {row['converged']}. Recovered parameters: "
        f"z = (estimate - truth)/SE has mean {row['z_mean']:.3f}, SD {row['z_sd']:.3f}.\n\n"
        f"Machine load (the machine is shared): before `{load_before}`; after `{load_after}`.\n")
    return path


if __name__ == "__main__":
    main()
