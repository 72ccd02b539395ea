"""Throughput of nsnn_sim against Brian2 (Cython runtime and cpp_standalone), side by side.

Models (issue 7): continuous LIF, Euler, Gaussian membrane noise, mu = 0.9, sigma = 0.5, threshold 1,
reset 0, tau = 10 ms, dt = 0.1 ms, 10^4 steps (1 s), for N = 10^3, 10^4, 10^5 neurons (about 58 Hz);
and the discrete NSNN with logistic escape noise (scale 0.1, drive 0.32, dt = 1 ms, 10^4 steps:
about 25 Hz). Every (simulator, model, N) runs in its own process: nsnn_sim with 2 threads and with
1 thread (the thread speed-up), Brian2's Cython runtime (single-threaded) and Brian2 cpp_standalone
with 2 OpenMP threads. The run phase is timed separately from compilation (nsnn_sim: a first small
call; Brian2 runtime: a first short run of the same network; cpp_standalone: the binary's own run
time); each is the fastest of ``--repeats`` timed runs (3). Before the timings are compared the
mean rates are checked to agree (two-sample z-test over neurons, |z| < 4). Writes throughput.json,
.md and .png to benchmarks/results/ (or ``--out``).

    python benchmarks/throughput.py [--quick] [--sizes 1000 10000 100000] [--steps 10000] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import (  # noqa: E402
    RESULTS,
    SIDE_BY_SIDE_COLUMNS,
    brian2_run,
    check_same_work,
    fastest_nsnn_sim_run,
    figure,
    peak_memory_bytes,
    run_worker,
    spike_steps,
    write_table,
)

SIMULATORS = ("nsnn_sim", "nsnn_sim_1_thread", "brian2_cython", "brian2_cpp_standalone")

def _model(kind: str):
    import nsnn_sim as ns

    if kind == "lif":
        return ns.LIF(tau=10e-3, sigma=0.5, dt=1e-4, method="euler"), 0.9
    return ns.NSNN(noise="logistic", noise_scale=0.1, firing="escape", dt=1e-3), 0.32


def worker(simulator: str, kind: str, n: int, n_steps: int, repeats: int, scratch: str) -> dict:
    """One measurement, in its own process (:func:`common.run_worker`): the run time of ``simulator``
    on model ``kind`` with ``n`` neurons for ``n_steps`` steps, and the mean rate (after 10 %) and its SE."""
    import time

    import numpy as np

    import nsnn_sim as ns

    model, drive = _model(kind)
    if simulator.startswith("nsnn_sim"):
        start = time.perf_counter()
        ns.simulate(model, drive, n_neurons=10, n_steps=10, seed=0)
        compile_time = time.perf_counter() - start
        result, run_time = fastest_nsnn_sim_run(lambda: ns.simulate(model, drive, n_neurons=n, n_steps=n_steps, seed=1),
                                                repeats)
        neuron, step, offset = result.spikes.neuron, result.spikes.step, 0
    else:
        from nsnn_sim.interop.brian2 import to_brian2

        built, compile_time, run_time, offset = brian2_run(
            simulator, lambda: to_brian2(model, drive, n, n_steps, seed=1), n_steps, model.dt, repeats, scratch)
        neuron, step = spike_steps(built, model.dt)
    counted = (step >= offset + n_steps // 10) & (step < offset + n_steps)
    rates = np.bincount(neuron[counted], minlength=n) / ((n_steps - n_steps // 10) * model.dt)
    return {"simulator": simulator, "model": kind, "n_neurons": n, "n_steps": n_steps, "run_time": run_time,
            "compile_time": compile_time, "neuron_steps_per_s": n * n_steps / run_time,
            "rate_mean": float(rates.mean()), "rate_se": float(rates.std() / np.sqrt(n)),
            "peak_memory_bytes": peak_memory_bytes()}


def measure(simulator: str, kind: str, n: int, n_steps: int, repeats: int) -> dict:
    return run_worker(worker, simulator, kind, n, n_steps, repeats,
                      threads=1 if simulator == "nsnn_sim_1_thread" else 2)


def main(argv=None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="N = 1000 and 10000, 2000 steps")
    parser.add_argument("--sizes", type=int, nargs="+")
    parser.add_argument("--steps", type=int, help="steps per run (default 10000, quick 2000)")
    parser.add_argument("--simulators", nargs="+", choices=SIMULATORS, default=list(SIMULATORS))
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per measurement; the fastest counts")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    sizes = args.sizes or ([1000, 10_000] if args.quick else [1000, 10_000, 100_000])
    n_steps = args.steps or (2000 if args.quick else 10_000)
    simulators = ["nsnn_sim"] + [s for s in args.simulators if s != "nsnn_sim"]
    rows = []
    for kind in ("lif", "nsnn"):
        for n in sizes:
            for simulator in simulators:
                row = measure(simulator, kind, n, n_steps, args.repeats)
                rows.append(row)
                print(json.dumps(row), flush=True)
    check_same_work(rows, ("model", "n_neurons"))
    for row in rows:  # 1 -> 2 threads
        single = [r for r in rows if r["simulator"] == "nsnn_sim_1_thread" and r["model"] == row["model"]
                  and r["n_neurons"] == row["n_neurons"]]
        row["thread_speedup"] = (row["neuron_steps_per_s"] / single[0]["neuron_steps_per_s"]
                                 if row["simulator"] == "nsnn_sim" and single else float("nan"))
    write_table(args.out, "throughput", rows, [
        ("model", "{model}"), ("N", "{n_neurons}"), ("simulator", "{simulator}"),
        ("1->2 threads", "{thread_speedup:.2f}")] + SIDE_BY_SIDE_COLUMNS,
        header=f"Run phase of {n_steps} steps, fastest of {args.repeats} runs; nsnn_sim and cpp_standalone with "
               "2 threads, Brian2 Cython 1 thread, "
               "nsnn_sim_1_thread with 1. Rates agree when |z| < 4.\n")
    plot(rows, args.out)
    return args.out / "throughput.json"


def plot(rows, out: Path) -> None:
    plt = figure()
    figure_, axes = plt.subplots(1, 2, figsize=(11, 4))
    for ax, kind in zip(axes, ("lif", "nsnn")):
        for simulator in SIMULATORS:
            chosen = [r for r in rows if r["model"] == kind and r["simulator"] == simulator]
            if chosen:
                ax.plot([r["n_neurons"] for r in chosen], [r["neuron_steps_per_s"] for r in chosen], "o-",
                        label=simulator)
        ax.set_xscale("log")
        ax.set_yscale("log")
        ax.set_xlabel("neurons")
        ax.set_ylabel("neuron-steps per second (run phase)")
        ax.set_title("LIF, Gaussian membrane noise" if kind == "lif" else "NSNN, logistic escape noise")
        ax.legend(fontsize=8)
    figure_.tight_layout()
    figure_.savefig(out / "throughput.png", dpi=110)
    plt.close(figure_)


if __name__ == "__main__":
    main()
