"""First-call time of a fresh process: the Numba kernels compiled from nothing (cold cache) against
loaded from the cache that ``nsnn-sim warmup`` fills (what ``make`` runs after installing).

Each measurement runs in a fresh process with its own, initially empty, Numba cache folder
(``NUMBA_CACHE_DIR``): the process imports nsnn_sim and simulates a small LIF population (100
neurons, 1000 steps, the default LIF: exact step, sub-step crossing), then a logistic-escape NSNN with Poisson
input and a recorded membrane, then a recurrent LIF network (the recurrent kernel), recording each call's wall
time and its ``compile_time_s`` (Numba compilation or cache loading).

* cold: the first process in an empty cache folder;
* warm-up: ``nsnn_sim.warmup.warmup()`` in that folder (once);
* warm: a fresh process after the warm-up (min of 3).

Writes first_call.json and .md to benchmarks/results/ (or ``--out``).

    python benchmarks/first_call.py [--out DIR]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import RESULTS, run_worker, write_table  # noqa: E402


def first_calls(scratch: str) -> dict:
    """Seconds of the import and of two first simulations in this process."""
    import time

    start = time.perf_counter()
    import numpy as np

    import nsnn_sim as ns

    imported = time.perf_counter()
    lif = ns.simulate(ns.LIF(sigma=0.5), 0.9, n_neurons=100, n_steps=1000, seed=1)
    first = time.perf_counter()
    nsnn = ns.simulate(ns.NSNN(noise="logistic", firing="escape", noise_scale=0.2),
                       [0.3, ns.poisson_input(20.0, 0.2, 10)], n_neurons=100, n_steps=1000, seed=1, record_state=[0])
    second = time.perf_counter()
    weights = np.full((100, 100), 0.01)
    recurrent = ns.simulate(ns.LIF(sigma=0.5), 0.9, n_neurons=100, n_steps=1000, seed=1, connections=weights)
    third = time.perf_counter()
    return {"import_s": imported - start, "lif_first_s": first - imported, "lif_compile_s": lif.compile_time,
            "nsnn_poisson_first_s": second - first, "nsnn_poisson_compile_s": nsnn.compile_time,
            "recurrent_first_s": third - second, "recurrent_compile_s": recurrent.compile_time}


def warm_up(scratch: str) -> dict:
    import time

    start = time.perf_counter()
    from nsnn_sim.warmup import warmup

    groups = warmup()
    return {"warmup_s": time.perf_counter() - start, "groups": groups}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--quick", action="store_true", help="one warm process instead of three")
    args = parser.parse_args(argv)
    previous = os.environ.get("NUMBA_CACHE_DIR")
    load_before = os.getloadavg()[0]
    rows = []
    with tempfile.TemporaryDirectory() as cache:
        os.environ["NUMBA_CACHE_DIR"] = cache
        try:
            rows.append({"case": "cold cache (first process)", **run_worker(first_calls)})
            warm = run_worker(warm_up)
            warmed = [run_worker(first_calls) for _ in range(1 if args.quick else 3)]
            best = min(warmed, key=lambda row: row["lif_first_s"] + row["nsnn_poisson_first_s"]
                       + row["recurrent_first_s"])
            rows.append({"case": f"after nsnn-sim warmup ({warm['warmup_s']:.1f} s)", **best})
        finally:
            if previous is None:
                os.environ.pop("NUMBA_CACHE_DIR", None)
            else:
                os.environ["NUMBA_CACHE_DIR"] = previous
    load_after = os.getloadavg()[0]
    groups = "; ".join(f"{name} {seconds:.1f} s" for name, seconds in warm["groups"].items())
    write_table(args.out, "first_call", rows, [
        ("case", "{case}"), ("import (s)", "{import_s:.2f}"), ("first LIF simulate (s)", "{lif_first_s:.2f}"),
        ("of which compile/load (s)", "{lif_compile_s:.2f}"),
        ("then NSNN + Poisson + recorded state (s)", "{nsnn_poisson_first_s:.2f}"),
        ("of which compile/load (s)", "{nsnn_poisson_compile_s:.2f}"),
        ("then a recurrent LIF network (s)", "{recurrent_first_s:.2f}"),
        ("of which compile/load (s)", "{recurrent_compile_s:.2f}")],
        header=f"First calls of a fresh process, 2 threads; load average {load_before:.2f} before and "
               f"{load_after:.2f} after, on {os.cpu_count()} cores. The warm-up's groups: {groups}.")


if __name__ == "__main__":
    main()
