"""Throughput of a sparse recurrent E/I network: nsnn_sim against Brian2, side by side.

Brunel (2000) model A in the synchronous irregular state with a fast oscillation (his Fig. 8B, SI fast;
g = 6, eta = 4; the asynchronous irregular state is Fig. 8C, g = 5, eta = 2): N = 12,500 LIF neurons
(N_E = 10,000), 10 % connectivity (C_E = 1000, C_I = 250 synapses per neuron, J = 0.1 mV),
delay D = 1.5 ms, C_E external Poisson trains per neuron, dt = 0.1 ms, 10^4 steps (1 s), membranes
started uniformly in [10, 20] mV. One trial per run. Each simulator runs in its own process:
nsnn_sim with 2 threads and with 1, Brian2's Cython runtime, Brian2 cpp_standalone with 2 OpenMP
threads, and NEST 3.10's ``iaf_psc_delta`` network built as its ``brunel_delta_nest.py`` builds it
(``nest_reference.brunel``, 2 threads, from its own environment ``--nest-python``; left out with a note if
absent; the exact integration where nsnn_sim's model and Brian2 use Euler's, so its rate is shown but not
required to agree). Only the run phase is compared (nsnn_sim: after a first 10-step call that compiles or loads
the kernels; Brian2 runtime: after a first 10-step run; cpp_standalone: the binary's own run time; NEST:
``nest.Simulate`` after the build),
the fastest of ``--repeats`` timed runs (3). The population rates after a 10 % warm-up must agree
(|z| < 4, SE from the spread of the rate over 20 ms windows, shorter in runs of fewer than 5
windows). Writes recurrent.json, .md and .png to benchmarks/results/ (or ``--out``).

    python benchmarks/recurrent.py [--quick] [--n-excitatory 10000] [--steps 10000] [--nest-python PATH]
                                   [--out DIR]
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
    bar_chart,
    brian2_run,
    check_same_work,
    fastest_nsnn_sim_run,
    machine_load,
    peak_memory_bytes,
    run_nest,
    run_worker,
    spike_steps,
    write_table,
)

SIMULATORS = ("nsnn_sim", "nsnn_sim_1_thread", "brian2_cython", "brian2_cpp_standalone", "nest_3.10")

def worker(simulator: str, n_excitatory: int, n_steps: int, repeats: int, scratch: str) -> dict:
    """One measurement, in its own process (:func:`common.run_worker`): the run time of ``simulator``
    on Brunel's model A, and the population rate (after 10 %) with its SE over 20 ms windows."""
    import time

    import numpy as np

    import nsnn_sim as ns
    from nsnn_sim.simulator.brunel import brunel_model_a

    net = brunel_model_a(n_excitatory, epsilon=0.1, j=0.1, g=6.0, eta=4.0, delay=1.5e-3, dt=1e-4, seed=7)
    n, dt = net.n_neurons, net.model.dt
    initial = np.random.default_rng(7).uniform(10.0, 20.0, n)
    common = dict(connections=net.connections, initial_state=initial)
    if simulator.startswith("nsnn_sim"):
        start = time.perf_counter()
        ns.simulate(net.model, net.inputs, n_neurons=n, n_steps=10, seed=0, **common)
        compile_time = time.perf_counter() - start
        result, run_time = fastest_nsnn_sim_run(lambda: ns.simulate(net.model, net.inputs, n_neurons=n,
                                                                    n_steps=n_steps, seed=1,
                                                                    **common), repeats)
        step, offset = result.spikes.step, 0
    else:
        from nsnn_sim.interop.brian2 import to_brian2

        built, compile_time, run_time, offset = brian2_run(
            simulator, lambda: to_brian2(net.model, net.inputs, n, n_steps, seed=1, **common), n_steps, dt, repeats,
            scratch)
        step = spike_steps(built, dt)[1]
    step = step - offset
    first = n_steps // 10
    window = max(1, min(int(round(0.02 / dt)), (n_steps - first) // 5))
    step = step[step < n_steps]
    counts = np.bincount((step[step >= first] - first) // window, minlength=(n_steps - first) // window)
    rates = counts[:(n_steps - first) // window] / (n * window * dt)
    return {"simulator": simulator, "n_neurons": n, "n_steps": n_steps, "run_time": run_time,
            "compile_time": compile_time, "neuron_steps_per_s": n * n_steps / run_time,
            "rate_mean": float(rates.mean()), "rate_se": float(rates.std(ddof=1) / np.sqrt(rates.size)),
            "synapses": int(net.connections.weights.nnz), "peak_memory_bytes": peak_memory_bytes()}


def nest_row(nest_python: str, n_excitatory: int, n_steps: int, repeats: int) -> dict | None:
    """NEST's fastest ``Simulate`` of the network (:func:`nest_reference.brunel`), or None without NEST."""
    report = run_nest(nest_python, "brunel", n_excitatory, n_steps * 0.1, repeats)
    if report is None:
        return None
    fastest = min(report["runs"], key=lambda run: run["simulate_wall_s"])
    return {"simulator": "nest_3.10", "n_neurons": report["n_neurons"], "n_steps": n_steps,
            "run_time": fastest["simulate_wall_s"], "compile_time": 0.0,
            "neuron_steps_per_s": report["n_neurons"] * n_steps / fastest["simulate_wall_s"],
            "rate_mean": fastest["rate_hz"], "rate_se": fastest["rate_se_hz"], "synapses": fastest["synapses"],
            "peak_memory_bytes": 0}


def main(argv=None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="2000 steps (0.2 s)")
    parser.add_argument("--n-excitatory", type=int, default=10_000)
    parser.add_argument("--steps", type=int, help="steps per run (default 10000, quick 2000)")
    parser.add_argument("--simulators", nargs="+", choices=SIMULATORS, default=list(SIMULATORS))
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per measurement; the fastest counts")
    parser.add_argument("--nest-python", default="/work/venv-nest/bin/python")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    n_steps = args.steps or (2000 if args.quick else 10_000)
    load_before = machine_load()
    rows = []
    for simulator in ["nsnn_sim"] + [s for s in args.simulators if s != "nsnn_sim"]:
        if simulator == "nest_3.10":
            row = nest_row(args.nest_python, args.n_excitatory, n_steps, args.repeats)
            if row is None:
                continue
        else:
            row = run_worker(worker, simulator, args.n_excitatory, n_steps, args.repeats,
                             threads=1 if simulator == "nsnn_sim_1_thread" else 2)
        rows.append(row)
        print(json.dumps(row), flush=True)
    load_after = machine_load()
    check_same_work(rows, ("n_neurons",))
    write_table(args.out, "recurrent", rows, [
        ("simulator", "{simulator}"), ("N", "{n_neurons}"), ("synapses", "{synapses}"),
        ("run time (s)", "{run_time:.2f}")] + SIDE_BY_SIDE_COLUMNS,
        header=f"Brunel model A (g = 6, eta = 4, D = 1.5 ms: Fig. 8B, SI fast), {n_steps} steps of 0.1 ms, run phase "
               f"(fastest of {args.repeats} runs); "
               "nsnn_sim, cpp_standalone and NEST with 2 threads, Brian2 Cython 1. NEST integrates exactly, the "
               "others by Euler's method: its rate need not agree (same work marks the Brian2 rows).\n\n"
               f"load before: {load_before}\n\nload after: {load_after}\n")
    bar_chart(args.out / "recurrent.png", [r["simulator"] for r in rows], [r["neuron_steps_per_s"] for r in rows],
              "neuron-steps per second (run phase)", f"Brunel model A, N = {rows[0]['n_neurons']}")
    return args.out / "recurrent.json"


if __name__ == "__main__":
    main()
