"""Connection generation: nsnn_sim's Network against NEST 3.10's Connect -> results/connection_generation.json, .md

For each rule, ``n x n`` neurons (default 10^4 x 10^4) with ``pairwise_bernoulli(p = 0.1)`` and
``fixed_indegree(k = 0.1 n)`` (no multapses, autapses allowed, as NEST's ``allow_multapses=False``), constant
weight and delay. nsnn_sim: the wall time of ``Network.build()`` (the synapses drawn, sorted by source and
stored; the fastest of ``--repeats``, each on a fresh Network); NEST: the wall time of ``nest.Connect`` on
``--threads`` threads (``iaf_psc_delta``, created beforehand; fastest of ``--repeats``, each in a fresh kernel),
run in its own environment (``--nest-python``, default /work/venv-nest/bin/python; its column is left out with
a note if absent). Both in one run, with the machine's load before and after: run it on an idle machine.

    python benchmarks/connection_generation.py [--n 10000] [--repeats 3] [--threads 2]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from common import RESULTS, write_table

NAME = "connection_generation"

NEST_CODE = """
import json, sys, time
import nest
nest.set_verbosity("M_ERROR")
n, rule, repeats, threads = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
spec = ({"rule": "pairwise_bernoulli", "p": 0.1} if rule == "pairwise_bernoulli"
        else {"rule": "fixed_indegree", "indegree": n // 10, "allow_multapses": False})
times, count = [], 0
for repeat in range(repeats):
    nest.ResetKernel()
    nest.SetKernelStatus({"local_num_threads": threads, "rng_seed": 1 + repeat})
    pre, post = nest.Create("iaf_psc_delta", n), nest.Create("iaf_psc_delta", n)
    start = time.perf_counter()
    nest.Connect(pre, post, spec, {"weight": 0.1, "delay": 1.5})
    times.append(time.perf_counter() - start)
    count = nest.GetKernelStatus("num_connections")
print(json.dumps({"seconds": min(times), "synapses": count}))
"""


def nsnn_sim_row(n: int, rule: str, repeats: int) -> dict:
    import nsnn_sim as ns

    connection_rule = ns.pairwise_bernoulli(0.1) if rule == "pairwise_bernoulli" else ns.fixed_indegree(n // 10)
    ns.Network().add("A", ns.LIF(method="euler"), 10).connect("A", "A", ns.all_to_all(),
                                                              weight=0.1).build()  # loads the sort
    times, synapses = [], 0
    for repeat in range(repeats):
        network = ns.Network(seed=1 + repeat).add("A", ns.LIF(method="euler"), n).add("B", ns.LIF(method="euler"), n)
        network.connect("A", "B", connection_rule, weight=0.1, delay=1.5e-3)
        start = time.perf_counter()
        built = network.build()
        times.append(time.perf_counter() - start)
        synapses = built.connections.weights.nnz
    return {"simulator": "nsnn_sim", "rule": rule, "n": n, "seconds": min(times), "synapses": int(synapses)}


def nest_row(nest_python: str, n: int, rule: str, repeats: int, threads: int) -> dict | None:
    if not Path(nest_python).exists():
        print(f"no NEST at {nest_python}: its column is left out", flush=True)
        return None
    completed = subprocess.run([nest_python, "-c", NEST_CODE, str(n), rule, str(repeats), str(threads)],
                               capture_output=True, text=True, timeout=3600)
    if completed.returncode:
        print(f"NEST failed, its column is left out:\n{completed.stderr[-2000:]}", flush=True)
        return None
    measured = json.loads(completed.stdout.strip().splitlines()[-1])
    return {"simulator": f"nest_3.10_{threads}_threads", "rule": rule, "n": n, **measured}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--nest-python", default="/work/venv-nest/bin/python")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    rows = []
    for rule in ("pairwise_bernoulli", "fixed_indegree"):
        rows.append(nsnn_sim_row(args.n, rule, args.repeats))
        nest = nest_row(args.nest_python, args.n, rule, args.repeats, args.threads)
        rows += [nest] if nest else []
    for row in rows:
        row["load_before"], row["load_after"] = load_before, os.getloadavg()[0]
    write_table(args.out, NAME, rows, [("simulator", "{simulator}"), ("rule", "{rule}"), ("n x n", "{n}"),
                                       ("synapses", "{synapses}"), ("wall time (s)", "{seconds:.3f}"),
                                       ("load before / after", "{load_before:.2f} / {load_after:.2f}")],
                f"Connection generation, {args.n} x {args.n} (fastest of {args.repeats})\n")

if __name__ == "__main__":
    sys.exit(main())
