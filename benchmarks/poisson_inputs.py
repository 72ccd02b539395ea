"""The cost of Poisson inputs per neuron-step: a constant rate (a table per rate) against a rate per step.

One LIF population (tau 10 ms, threshold 1, reset 0, no membrane noise, dt 0.1 ms), 10,000 neurons x 10,000 steps
(1 s), driven by

* ``current``: a constant current 1.1 alone (the floor: the neuron update and nothing drawn);
* ``poisson``: the current 0.1 and :func:`nsnn_sim.poisson_input` of 1000 sources at 20 Hz, weight 0.005 (the
  shape of Brunel's external drive: a Binomial(1000, 0.002) count per step, 2 input spikes a step on average,
  mean drive 1.0, so the mean input is the ``current`` row's); drawn by a search of a cumulative table built once
  per run;
* ``course``: the same with the rate a course per step, ``20 Hz (1 + 0.5 sin(2 pi 10 Hz t))`` (ten whole
  periods, so its mean is 20 Hz), shape ``(n_steps,)``, through :func:`nsnn_sim.inhomogeneous_poisson_input`;
  each draw computes ``(1 - p)**n`` (an ``exp`` and a ``log1p``) and walks the pmf up to the count;
* ``trial_course``: a rate per trial and step, shape ``(n_trials, n_steps, n_neurons)`` (the one per-trial
  shape the API takes: its neuron axis is a zero-stride view here, but the run stacks it into a full array of
  ``n_trials n_steps n_neurons`` doubles), the course with a phase of ``pi t / n_trials`` in trial ``t``; run on
  2 trials x 5,000 neurons, the same 10^8 neuron-steps; ``poisson`` and ``course`` run on that shape too, as
  its controls.

Each (condition, shape, threads) runs in a fresh process (:func:`common.run_worker`) with 1 and 2 threads: a
small call compiles (or loads the kernels from Numba's cache), a full-size call warms up, then ``--repeats``
(5) timed calls; reported: the median (and fastest) kernel time ``run_time`` per neuron-step, the median wall
time of the whole ``simulate`` call per neuron-step (it includes preparing the inputs, which for
``trial_course`` stacks the full array), and the mean firing rate (the work each row did). The extra cost of
``course`` over ``poisson`` is the difference of their medians.

Beside the engine, a floor in one process on one thread (min of 5 over 10^3 keys x 10^4 counters): ns per draw
of the counter-stream uniform alone, of the uniform and the table search of ``poisson``
(``engine._binomial_lookup``), of the uniform and the tableless draw of ``course``
(``engine._binomial_inverse`` at the course's ``p`` of that step), of ``exp(n log1p(-p))`` alone, and of the
uniform and the search of a table per step of the course (what a rate per step would cost with tables: the engine's
``_poisson_tables`` built over the course's steps; its counts must sum to the tableless draw's). The machine's load
(``uptime``) before and after and the commit measured are written beside the numbers. Writes
poisson_inputs.{json,md} to benchmarks/results/ (or ``--out``); ``--floor-only`` measures only the floor, into
poisson_inputs_floor.{json,md}.

    python benchmarks/poisson_inputs.py [--quick] [--floor-only] [--repeats 5] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import HERE, RESULTS, machine_load, run_worker, write_table  # noqa: E402

DT, TAU = 1e-4, 10e-3
N_SOURCES, RATE_HZ, WEIGHT = 1000, 20.0, 0.005
#: the current beside the Poisson drive, and the current alone (the same mean input: 0.1 + 1000*20*0.005*0.01)
CURRENT_WITH_DRIVE, CURRENT_ALONE = 0.1, 1.1
MODULATION, MODULATION_HZ = 0.5, 10.0
CONDITIONS = ("current", "poisson", "course", "trial_course")


def course(n_steps: int, n_trials: int):
    """The modulated rate (Hz) ``(n_trials, n_steps)``: ``RATE_HZ (1 + MODULATION sin(2 pi f k dt + pi t / n_trials))``
    at step ``k`` of trial ``t``, ``f = MODULATION_HZ``."""
    import numpy as np

    phase = 2 * np.pi * MODULATION_HZ * DT * np.arange(n_steps) + np.pi * np.arange(n_trials)[:, None] / n_trials
    return RATE_HZ * (1.0 + MODULATION * np.sin(phase))


def inputs(condition: str, n_neurons: int, n_steps: int, n_trials: int):
    """The ``inputs`` of ``simulate`` for ``condition`` (the module docstring)."""
    import numpy as np

    import nsnn_sim as ns

    if condition == "current":
        return CURRENT_ALONE
    if condition == "poisson":
        drive = ns.poisson_input(RATE_HZ, WEIGHT, N_SOURCES)
    elif condition == "course":
        drive = ns.inhomogeneous_poisson_input(course(n_steps, 1)[0], WEIGHT, N_SOURCES)
    else:
        rates = np.broadcast_to(course(n_steps, n_trials)[:, :, None], (n_trials, n_steps, n_neurons))
        drive = ns.inhomogeneous_poisson_input(rates, WEIGHT, N_SOURCES)
    return [CURRENT_WITH_DRIVE, drive]


def engine(condition: str, n_neurons: int, n_steps: int, n_trials: int, threads: int, repeats: int,
           scratch: str) -> dict:
    """One row: the timed ``simulate`` calls of ``condition`` on ``threads`` threads (the module docstring)."""
    import statistics
    import time

    import nsnn_sim as ns

    model = ns.LIF(tau=TAU, dt=DT, noise="none", method="euler")
    small = inputs(condition, 10, 20, n_trials)
    ns.simulate(model, small, n_neurons=10, n_steps=20, n_trials=n_trials, seed=0, n_threads=threads)
    drive = inputs(condition, n_neurons, n_steps, n_trials)

    def call():
        start = time.perf_counter()
        result = ns.simulate(model, drive, n_neurons=n_neurons, n_steps=n_steps, n_trials=n_trials, seed=1,
                             n_threads=threads, progress=False)
        return result.run_time, time.perf_counter() - start, len(result.spikes)

    call()  # warm-up at full size
    runs = [call() for _ in range(repeats)]
    work = n_neurons * n_steps * n_trials
    kernel = [run[0] * 1e9 / work for run in runs]
    return {"condition": condition, "n_neurons": n_neurons, "n_steps": n_steps, "n_trials": n_trials,
            "threads": threads, "repeats": repeats, "kernel_ns": statistics.median(kernel),
            "kernel_ns_min": min(kernel), "kernel_ns_all": kernel,
            "wall_ns": statistics.median(run[1] * 1e9 / work for run in runs),
            "rate_hz": runs[0][2] / (n_neurons * n_trials * n_steps * DT)}


def floor(n_keys: int, n_counters: int, scratch: str) -> dict:
    """Nanoseconds per draw on one thread (min of 5): the uniform; with the table search; with the tableless
    draw at the course's ``p`` of each step; ``exp(n log1p(-p))`` alone; with the search of a table per step of
    the course (built by the engine's ``_poisson_tables``, as it builds a table per distinct rate), whose counts
    must equal the tableless draw's (``step_tables_same_counts``)."""
    import math
    import time
    from types import SimpleNamespace

    import numpy as np
    from numba import njit

    from nsnn_sim.simulator import engine as kernels
    from nsnn_sim.simulator import rng

    @njit
    def draw_all(keys, n_counters, which, index, cumulative, last, flip, probability, n):
        # which: 0 uniform, 1 the one table, 2 tableless draw, 3 (1 - p)**n alone, 4 the table of the step
        # (a loop-invariant branch); index[step] is the step's table
        total = 0.0
        for key in keys:
            for counter in range(n_counters):
                step = counter % probability.size
                p = probability[step]
                if which == 3:
                    total += math.exp(n * math.log1p(-p))
                    continue
                u = rng.uniform(key, counter)
                if which == 0:
                    total += u
                elif which == 2:
                    total += kernels._binomial_inverse(n, p, u)
                else:
                    row = index[step] if which == 4 else 0
                    total += kernels._binomial_lookup(cumulative, row, last[row], flip[row], n, u)
        return total

    def tables(probabilities):
        return kernels._poisson_tables(SimpleNamespace(poisson_probability=probabilities.reshape(1, -1),
                                                       poisson_sources=np.array([N_SOURCES])))

    n = np.int64(N_SOURCES)
    probability = course(n_counters, 1)[0] * DT
    one, per_step = tables(np.array([RATE_HZ * DT])), tables(probability)
    keys = np.array([rng.stream_key(1, 0, i, rng.POISSON) for i in range(n_keys)], dtype=np.uint64)
    out = {"table_entries": int(one.last[0] + 1), "step_tables": int(per_step.last.size),
           "step_table_bytes": int(per_step.cumulative.nbytes)}
    totals = {}
    names = ("uniform", "table_search", "tableless", "exp_log1p", "step_table_search")
    for which, name in enumerate(names):
        chosen = per_step if which == 4 else one
        arguments = (which, chosen.index[0], chosen.cumulative, chosen.last, chosen.flip, probability, n)
        draw_all(keys[:2], 10, *arguments)
        times = []
        for _ in range(5):
            start = time.perf_counter()
            totals[name] = draw_all(keys, n_counters, *arguments)
            times.append(time.perf_counter() - start)
        out[f"floor_{name}_ns"] = min(times) * 1e9 / (n_keys * n_counters)
    out["step_tables_same_counts"] = bool(totals["tableless"] == totals["step_table_search"])
    return out


def shell(*command: str) -> str:
    return subprocess.run(command, capture_output=True, text=True, cwd=HERE).stdout.strip()


def main(argv=None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1000 neurons x 1000 steps, a small floor")
    parser.add_argument("--repeats", type=int, default=5, help="timed calls per row after the warm-up; the median")
    parser.add_argument("--floor-only", action="store_true",
                        help="only the floor, into poisson_inputs_floor.{json,md}")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    if args.floor_only:
        return floor_only(args)
    n_neurons, n_steps = (1000, 1000) if args.quick else (10_000, 10_000)
    shapes = {1: n_neurons, 2: n_neurons // 2}  # trials -> neurons: the same neuron-steps
    plan = [(condition, 1) for condition in CONDITIONS[:3]] + [(condition, 2) for condition in CONDITIONS[1:]]
    load_before = machine_load()
    commit = measured_commit()
    rows = []
    for condition, n_trials in plan:
        for threads in (1, 2):
            row = run_worker(engine, condition, shapes[n_trials], n_steps, n_trials, threads, args.repeats,
                             threads=threads)
            rows.append(row)
            print(json.dumps(row), flush=True)
    floor_row = run_worker(floor, *((100, 1000) if args.quick else (1000, 10_000)), threads=1)
    load_after = machine_load()
    for row in rows:
        same = {r["condition"]: r for r in rows if (r["n_trials"], r["threads"]) == (row["n_trials"], row["threads"])}
        row["extra_over_poisson_ns"] = row["kernel_ns"] - same["poisson"]["kernel_ns"]
        row["over_poisson"] = row["kernel_ns"] / same["poisson"]["kernel_ns"]
        row["poisson_over_current_ns"] = (row["kernel_ns"] - same["current"]["kernel_ns"] if "current" in same
                                          else float("nan"))
    header = (f"LIF (tau 10 ms, no membrane noise, dt 0.1 ms), {n_neurons} neurons x {n_steps} steps (trial_course and "
              f"its controls: 2 trials x {shapes[2]} neurons). Drive: {N_SOURCES} Poisson sources at {RATE_HZ:g} Hz "
              f"(mean {N_SOURCES * RATE_HZ * DT:g} input spikes a step), weight {WEIGHT:g}, plus a current of "
              f"{CURRENT_WITH_DRIVE:g}; `current`: {CURRENT_ALONE:g} alone; `course`: the rate "
              f"{RATE_HZ:g} Hz (1 + {MODULATION:g} sin(2 pi {MODULATION_HZ:g} Hz t)) per step; `trial_course`: that "
              f"course per trial, phase-shifted. ns per neuron-step: kernel `run_time`, median of {args.repeats} "
              "calls after a warm-up call (compile excluded), and the fastest; wall: the whole `simulate` call "
              "(median). Extra: kernel ns over the `poisson` row of the same shape and threads.\n\n"
              f"{floor_text(floor_row)}\n\ncommit: {commit}\n\nload before: {load_before}\n\n"
              f"load after: {load_after}\n")
    write_table(args.out, "poisson_inputs", rows, [
        ("condition", "{condition}"), ("trials x neurons", "{n_trials} x {n_neurons}"), ("threads", "{threads}"),
        ("kernel ns/neuron-step (median)", "{kernel_ns:.2f}"), ("fastest", "{kernel_ns_min:.2f}"),
        ("wall ns/neuron-step", "{wall_ns:.2f}"), ("extra over poisson (ns)", "{extra_over_poisson_ns:+.2f}"),
        ("/ poisson", "{over_poisson:.2f}"), ("rate (Hz)", "{rate_hz:.2f}")], header=header)
    record = {"rows": rows, "floor": floor_row, "commit": commit, "load_before": load_before,
              "load_after": load_after, "quick": args.quick}
    (args.out / "poisson_inputs.json").write_text(json.dumps(record, indent=1))
    return args.out / "poisson_inputs.json"


def floor_only(args) -> Path:
    """The floor alone: poisson_inputs_floor.{json,md}."""
    load_before, commit = machine_load(), measured_commit()
    floor_row = run_worker(floor, *((100, 1000) if args.quick else (1000, 10_000)), threads=1)
    record = {"floor": floor_row, "commit": commit, "load_before": load_before, "load_after": machine_load(),
              "quick": args.quick}
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "poisson_inputs_floor.json").write_text(json.dumps(record, indent=1))
    text = (f"{floor_text(floor_row)}\n\ncommit: {commit}\n\nload before: {record['load_before']}\n\n"
            f"load after: {record['load_after']}\n")
    (args.out / "poisson_inputs_floor.md").write_text(text)
    print(text)
    return args.out / "poisson_inputs_floor.json"


def measured_commit() -> str:
    """The commit checked out, marked when nsnn_sim has uncommitted changes."""
    changed = shell("git", "status", "--porcelain", "--", "../nsnn_sim")
    return shell("git", "rev-parse", "HEAD") + (" (with uncommitted changes)" if changed else "")


def floor_text(floor_row: dict) -> str:
    """The floor's markdown: a sentence and a one-row table."""
    return (f"Floor, ns per draw on one thread (min of 5), Binomial({N_SOURCES}, p), p = {RATE_HZ * DT:g} for the "
            "table, the course's p of each step for the tableless draw and the step tables (the sums of the counts of "
            "the two equal: equal sums):\n\n" + "\n".join([
        "| uniform | uniform + table search | uniform + tableless draw | exp(n log1p(-p)) alone | uniform + search of "
        "the step's table | table entries | step tables (bytes) | equal sums |",
        "|---|---|---|---|---|---|---|---|",
        "| {floor_uniform_ns:.2f} | {floor_table_search_ns:.2f} | {floor_tableless_ns:.2f} | {floor_exp_log1p_ns:.2f} "
        "| {floor_step_table_search_ns:.2f} | {table_entries} | {step_tables} ({step_table_bytes}) "
        "| {step_tables_same_counts} |".format(**floor_row)]))


if __name__ == "__main__":
    main()
