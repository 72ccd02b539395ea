"""Throughput of nsnn_sim against Brian2 (Cython runtime and cpp_standalone), side by side.

Model (issue 7): LIF, Euler, Gaussian membrane noise, mu = 0.9, sigma = 0.5, threshold 1, reset 0,
tau = 10 ms, dt = 0.1 ms, 1 s, for N = 10^3, 10^4, 10^5 neurons; and the discrete NSNN with
logistic escape noise. Every (simulator, N) runs in its own process; the run phase is timed
separately from compilation (nsnn_sim: a first small call; Brian2 runtime: a first short run of the
same network; cpp_standalone: the binary's own run time). Before the timings are compared the
mean rates are checked to agree (two-sample z-test over neurons, |z| < 4). Writes JSON, a markdown
table and a plot to benchmarks/results/.

    python benchmarks/throughput.py [--quick] [--sizes 1000 10000 100000]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

RESULTS = Path(__file__).parent / "results"

WORKER = textwrap.dedent('''
    import json, resource, sys, time, os
    import numpy as np
    simulator, kind, n, seconds = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
    import nsnn_sim as ns
    if kind == "lif":
        model, drive = ns.LIF(tau=10e-3, sigma=0.5, dt=1e-4), 0.9
    else:
        model, drive = ns.NSNN(noise="logistic", noise_scale=0.4, firing="escape", dt=1e-4), 0.45
    n_steps = int(round(seconds / model.dt))
    start = time.perf_counter()
    if simulator == "nsnn_sim":
        ns.simulate(model, drive, n_neurons=10, n_steps=10, seed=0)
        compile_time = time.perf_counter() - start
        result = ns.simulate(model, drive, n_neurons=n, n_steps=n_steps, seed=1)
        run_time = result.wall_time
        neuron, step, offset = result.spikes.neuron, result.spikes.step, 0
    else:
        from nsnn_sim.brian2_bridge import run_brian2, to_brian2
        import brian2 as b2
        if simulator == "brian2_cython":
            b2.prefs.codegen.target = "cython"
            built = to_brian2(model, drive, n, n_steps, seed=1)
            t0 = time.perf_counter()
            built.network.run(10 * model.dt * b2.second)  # code generation and compilation
            compile_time = time.perf_counter() - t0
            t0 = time.perf_counter()
            built.network.run(n_steps * model.dt * b2.second)
            run_time = time.perf_counter() - t0
            neuron = np.asarray(built.spike_monitor.i[:])
            step, offset = np.rint(np.asarray(built.spike_monitor.t[:] / b2.second) / model.dt).astype(int), 10
        else:
            directory = sys.argv[5]
            b2.set_device("cpp_standalone", directory=directory, build_on_run=False)
            b2.prefs.devices.cpp_standalone.openmp_threads = 2
            built = to_brian2(model, drive, n, n_steps, seed=1)
            built.network.run(n_steps * model.dt * b2.second)
            t0 = time.perf_counter()
            b2.device.build(directory=directory, compile=True, run=True)
            total = time.perf_counter() - t0
            run_time = float(b2.device._last_run_time)
            compile_time = total - run_time
            neuron = np.asarray(built.spike_monitor.i[:])
            step, offset = np.rint(np.asarray(built.spike_monitor.t[:] / b2.second) / model.dt).astype(int), 0
    rates = np.bincount(neuron[step >= offset + n_steps // 10], minlength=n) / (0.9 * seconds)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    print(json.dumps({"simulator": simulator, "model": kind, "n_neurons": n, "run_time": run_time,
                      "compile_time": compile_time, "neuron_steps_per_s": n * n_steps / run_time,
                      "rate_mean": float(rates.mean()), "rate_se": float(rates.std() / np.sqrt(n)),
                      "peak_memory_bytes": peak}))
''')


def measure(simulator: str, kind: str, n: int, seconds: float) -> dict:
    import tempfile

    with tempfile.TemporaryDirectory() as directory:
        env = dict(os.environ, NUMBA_NUM_THREADS="2")
        completed = subprocess.run([sys.executable, "-c", WORKER, simulator, kind, str(n), str(seconds), directory],
                                   capture_output=True, text=True, env=env, timeout=3600)
    if completed.returncode:
        raise RuntimeError(f"{simulator} {kind} N={n} failed:\n{completed.stderr[-2000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def main(argv=None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="N = 1000 and 10000, 0.2 s")
    parser.add_argument("--sizes", type=int, nargs="+")
    args = parser.parse_args(argv)
    sizes = args.sizes or ([1000, 10_000] if args.quick else [1000, 10_000, 100_000])
    seconds = 0.2 if args.quick else 1.0
    rows = []
    for kind in ("lif", "nsnn"):
        for n in sizes:
            for simulator in ("nsnn_sim", "brian2_cython", "brian2_cpp_standalone"):
                row = measure(simulator, kind, n, seconds)
                rows.append(row)
                print(json.dumps(row), flush=True)
    for row in rows:  # same work: rates agree with nsnn_sim's within 4 SE
        reference = next(r for r in rows if r["model"] == row["model"] and r["n_neurons"] == row["n_neurons"]
                         and r["simulator"] == "nsnn_sim")
        z = (row["rate_mean"] - reference["rate_mean"]) / max(1e-12, (row["rate_se"] ** 2 + reference["rate_se"] ** 2) ** 0.5)
        row["rate_z_vs_nsnn_sim"] = z
        row["same_work"] = abs(z) < 4
        row["speedup_of_nsnn_sim"] = reference["neuron_steps_per_s"] / row["neuron_steps_per_s"]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "throughput.json").write_text(json.dumps(rows, indent=1))
    lines = ["| model | N | simulator | neuron-steps/s | nsnn_sim speed-up | compile (s) | peak memory (MB) | rate (Hz) | same work |",
             "|---|---|---|---|---|---|---|---|---|"]
    for row in rows:
        lines.append(f"| {row['model']} | {row['n_neurons']} | {row['simulator']} | {row['neuron_steps_per_s']:.3g} | "
                     f"{row['speedup_of_nsnn_sim']:.2f} | {row['compile_time']:.1f} | {row['peak_memory_bytes'] / 1e6:.0f} | "
                     f"{row['rate_mean']:.2f} | {'yes' if row['same_work'] else 'NO'} |")
    (RESULTS / "throughput.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    plot(rows)
    return RESULTS / "throughput.json"


def plot(rows) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 2, figsize=(11, 4))
    for ax, kind in zip(axes, ("lif", "nsnn")):
        for simulator in ("nsnn_sim", "brian2_cython", "brian2_cpp_standalone"):
            chosen = [r for r in rows if r["model"] == kind and r["simulator"] == simulator]
            ax.plot([r["n_neurons"] for r in chosen], [r["neuron_steps_per_s"] for r in chosen], "o-", label=simulator)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("neurons")
        ax.set_ylabel("neuron-steps per second (run phase, 2 threads)")
        ax.set_title("LIF, Gaussian membrane noise" if kind == "lif" else "NSNN, logistic escape noise")
        ax.legend(fontsize=8)
    figure.tight_layout()
    figure.savefig(RESULTS / "throughput.png", dpi=110)


if __name__ == "__main__":
    main()
