"""The engine's costs against its floor: random-number draws, time per neuron-step, start-up, memory.

Each measurement runs in a fresh process:

* floor: nanoseconds per draw, one thread, of the counter-stream uniform alone (``rng.uniform``:
  one SplitMix64 hash), the ziggurat standard normal (``rng.normal``: the LIF membrane-noise draw
  that ``neuron_step`` makes) and, for comparison, the AS 241 inverse cdf of a uniform (the draw
  used before the ziggurat, and still by the non-Gaussian families), over ``keys x counters``
  draws (min of 5 repeats);
* engine: nanoseconds per neuron-step of :func:`nsnn_sim.simulate` on the throughput benchmark's LIF
  (N = 10^4, 10^4 steps, spikes recorded), with 1 and 2 threads (min of 3), and the ratio of the
  1-thread time to the normal draw's floor;
* first call: a fresh process imports nsnn_sim and simulates a small model (100 LIF neurons,
  1000 steps) with the Numba cache warm (a first process warms it); min of 3 processes;
* memory: peak resident memory of a process that simulates N = 10^5 LIF neurons for 10^5 steps
  (10 s, about 58 Hz: 5.8e7 spikes) and holds the spikes.

Writes engine_costs.json, .md and .png to benchmarks/results/ (or ``--out``).

    python benchmarks/engine_costs.py [--quick] [--memory-neurons 100000] [--memory-steps 100000] [--out DIR]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import RESULTS, bar_chart, peak_memory_bytes, run_worker, write_table  # noqa: E402


def floor(n_keys: int, n_counters: int, engine_neurons: int, engine_steps: int, scratch: str) -> dict:
    """Nanoseconds per draw (one thread, min of 5) of the uniform, the ziggurat normal and the AS 241
    ppf of a uniform, and nanoseconds per neuron-step of the engine with 1 and 2 threads (min of 3)."""
    import time

    import numpy as np
    from numba import njit

    import nsnn_sim as ns
    from nsnn_sim.simulator import noise, rng

    @njit
    def draw_all(keys, n_counters, which):
        # which: 0 uniform, 1 normal, 2 AS 241 ppf of a uniform (a loop-invariant branch)
        total = 0.0
        for key in keys:
            for counter in range(n_counters):
                if which == 0:
                    total += rng.uniform(key, counter)
                elif which == 1:
                    total += rng.normal(key, counter)
                else:
                    total += noise.ppf(noise.GAUSSIAN, rng.uniform(key, counter), 1.0)
        return total

    keys = np.array([rng.stream_key(1, 0, i, rng.MEMBRANE) for i in range(n_keys)], dtype=np.uint64)
    out = {}
    for which, name in enumerate(("uniform", "normal", "ppf_uniform")):
        draw_all(keys[:2], 10, which)
        times = []
        for _ in range(5):
            start = time.perf_counter()
            draw_all(keys, n_counters, which)
            times.append(time.perf_counter() - start)
        out[f"floor_{name}_ns"] = min(times) * 1e9 / (n_keys * n_counters)
    model = ns.LIF(tau=10e-3, sigma=0.5, dt=1e-4, method="euler")
    ns.simulate(model, 0.9, n_neurons=10, n_steps=10, seed=0)
    for threads in (1, 2):
        times = [ns.simulate(model, 0.9, n_neurons=engine_neurons, n_steps=engine_steps, seed=1,
                             n_threads=threads).run_time
                 for _ in range(3)]
        out[f"engine_{threads}_thread_ns"] = min(times) * 1e9 / (engine_neurons * engine_steps)
    return out


def first_call(scratch: str) -> dict:
    """Seconds to import nsnn_sim and to run a first small simulation in a fresh process."""
    import time

    start = time.perf_counter()
    import nsnn_sim as ns

    imported = time.perf_counter()
    ns.simulate(ns.LIF(sigma=0.5, method="euler"), 0.9, n_neurons=100, n_steps=1000, seed=0)
    done = time.perf_counter()
    return {"import_s": imported - start, "first_simulate_s": done - imported,
            "import_and_first_simulate_s": done - start}


def memory(n_neurons: int, n_steps: int, scratch: str) -> dict:
    """Peak resident memory of a process that simulates the LIF and holds its spikes."""
    import nsnn_sim as ns

    result = ns.simulate(ns.LIF(tau=10e-3, sigma=0.5, dt=1e-4, method="euler"), 0.9, n_neurons=n_neurons,
                         n_steps=n_steps, seed=1)
    spikes = result.spikes
    return {"memory_neurons": n_neurons, "memory_steps": n_steps, "memory_spikes": len(spikes),
            "spike_bytes": spikes.trial.nbytes + spikes.neuron.nbytes + spikes.step.nbytes,
            "memory_run_time_s": result.run_time, "peak_memory_bytes": peak_memory_bytes()}


def main(argv=None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="smaller floor, engine and memory runs")
    parser.add_argument("--memory-neurons", type=int)
    parser.add_argument("--memory-steps", type=int)
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    floor_size = (1000, 1000, 2000, 2000) if args.quick else (10_000, 1000, 10_000, 10_000)
    row = run_worker(floor, *floor_size, threads=2)
    row["engine_over_normal_floor"] = row["engine_1_thread_ns"] / row["floor_normal_ns"]
    row["thread_speedup"] = row["engine_1_thread_ns"] / row["engine_2_thread_ns"]
    run_worker(first_call)  # warms the cache
    first_calls = [run_worker(first_call) for _ in range(3)]
    row.update(min(first_calls, key=lambda r: r["import_and_first_simulate_s"]))
    memory_size = (args.memory_neurons or (100_000 if not args.quick else 10_000),
                   args.memory_steps or (100_000 if not args.quick else 10_000))
    row.update(run_worker(memory, *memory_size))
    row["peak_memory_gb"] = row["peak_memory_bytes"] / 1e9
    write_table(args.out, "engine_costs", [row], [
        ("uniform (ns)", "{floor_uniform_ns:.2f}"), ("normal (ns)", "{floor_normal_ns:.2f}"),
        ("AS241 ppf(uniform) (ns)", "{floor_ppf_uniform_ns:.2f}"),
        ("engine, 1 thread (ns/neuron-step)", "{engine_1_thread_ns:.2f}"),
        ("engine, 2 threads (ns/neuron-step)", "{engine_2_thread_ns:.2f}"),
        ("engine / normal floor", "{engine_over_normal_floor:.2f}"), ("1->2 threads", "{thread_speedup:.2f}"),
        ("import (s)", "{import_s:.2f}"), ("first simulate, warm cache (s)", "{first_simulate_s:.2f}"),
        ("memory run", "{memory_neurons} x {memory_steps}"), ("spikes", "{memory_spikes}"),
        ("peak memory (GB)", "{peak_memory_gb:.2f}")],
        header="Floor: ns per draw on one thread (min of 5). Engine: LIF of benchmarks/throughput.py, "
               "N = 10^4 (min of 3). First call: fresh process, warm Numba cache (min of 3). Memory: peak RSS "
               "of a fresh process holding the spikes.\n")
    labels = ["uniform", "normal (ziggurat)", "AS241 ppf(uniform)", "engine, 1 thread", "engine, 2 threads"]
    values = [row["floor_uniform_ns"], row["floor_normal_ns"], row["floor_ppf_uniform_ns"],
              row["engine_1_thread_ns"], row["engine_2_thread_ns"]]
    bar_chart(args.out / "engine_costs.png", labels, values, "ns per draw / per neuron-step",
              "Random-number floor and engine cost (LIF, Gaussian membrane noise)")
    return args.out / "engine_costs.json"


if __name__ == "__main__":
    main()
