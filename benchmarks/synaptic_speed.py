"""The ``iaf_psc_exp``-equivalent LIF with Poisson drive: nsnn_sim beside Brian2 cpp_standalone and NEST 3.10.

One model, three simulators, one run of this script (so the ratios share the machine's state): NEST's
``iaf_psc_exp`` (tau_m 10 ms, C_m 250 pF, 15 mV from rest to threshold, reset to rest, t_ref 2 ms,
tau_syn 2 ms) driven by an independent 10 kHz Poisson train per neuron with PSC amplitude ``J C/tau_syn``,
``J = 0.15 mV`` (``nest_reference.speed``); nsnn_sim's equal configuration in membrane units of 15 mV: the
exact LIF with an exponential synapse of 2 ms, weight 0.01 (the charge of a 0.15 mV jump), the 10 kHz train as
``poisson_input`` of 10,000 sources at 1 Hz (a Binomial(10^4, 10^-4) count per step, Poisson to 1e-4); Brian2
cpp_standalone runs nsnn_sim's own model through ``to_brian2`` (the exact propagator, exact binomial draws).
10,000 neurons x 1 s at dt 0.1 ms, 2 threads each. Timed: nsnn_sim's run (its ``run_time``, after a first
small call compiles), the standalone binary's own run time, NEST's ``nest.Simulate``; the fastest of
``--repeats``. The rates are checked to agree within 4 SE (the same work). NEST runs from its own
environment (``--nest-python``, default /work/venv-nest/bin/python; skipped with a note if absent).
The machine's load (``uptime``) is recorded before and after. Writes synaptic_speed.{json,md}.

    python benchmarks/synaptic_speed.py [--quick] [--repeats 3] [--nest-python PATH]
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from common import (  # noqa: E402
    RESULTS,
    SIDE_BY_SIDE_COLUMNS,
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

DT, DURATION = 1e-4, 1.0
RATE_HZ, N_SOURCES = 10_000.0, 10_000
#: the delta synapse's jump of J = 0.15 mV in units of 15 mV: the charge of one input spike
WEIGHT = 0.15 / 15.0
TAU_SYN = 2e-3


def _model():
    import nsnn_sim as ns
    from nsnn_sim.simulator.state import ExpSynapse

    model = ns.LIF(tau=10e-3, threshold=1.0, u_rest=0.0, u_reset=0.0, tau_ref=2e-3, dt=DT,
                   method="exact", noise="none", synapses={"exc": ExpSynapse(TAU_SYN)})
    return model, ns.poisson_input(RATE_HZ / N_SOURCES, WEIGHT, N_SOURCES, receptor="exc")


def _rates(neuron, step, n: int, n_steps: int, offset: int) -> dict:
    import numpy as np

    counted = (step >= offset) & (step < offset + n_steps)
    rates = np.bincount(neuron[counted], minlength=n) / (n_steps * DT)
    return {"rate_mean": float(rates.mean()), "rate_se": float(rates.std(ddof=1) / np.sqrt(n))}


def worker(simulator: str, n: int, n_steps: int, repeats: int, scratch: str) -> dict:
    """nsnn_sim or Brian2 cpp_standalone in its own process (:func:`common.run_worker`)."""
    import time

    import nsnn_sim as ns

    model, drive = _model()
    if simulator == "nsnn_sim":
        start = time.perf_counter()
        ns.simulate(model, drive, n_neurons=10, n_steps=10, seed=0)
        compile_time = time.perf_counter() - start
        result, run_time = fastest_nsnn_sim_run(
            lambda: ns.simulate(model, drive, n_neurons=n, n_steps=n_steps, seed=1), repeats)
        neuron, step, offset = result.spikes.neuron, result.spikes.step, 0
    else:
        from nsnn_sim.interop.brian2 import to_brian2

        built, compile_time, run_time, offset = brian2_run(
            simulator, lambda: to_brian2(model, drive, n, n_steps, seed=1), n_steps, DT, repeats, scratch)
        neuron, step = spike_steps(built, DT)
    return {"simulator": simulator, "n_neurons": n, "n_steps": n_steps, "run_time": run_time,
            "compile_time": compile_time, "neuron_steps_per_s": n * n_steps / run_time,
            **_rates(neuron, step, n, n_steps, offset), "peak_memory_bytes": peak_memory_bytes()}


def nest_row(nest_python: str, n: int, n_steps: int, repeats: int) -> dict | None:
    """NEST's fastest ``Simulate`` of the same population (``nest_reference.speed``, the generator shared by
    all neurons: NEST draws an independent train per target, its faster way), or None without NEST."""
    report = run_nest(nest_python, "speed", n, n_steps * DT * 1e3, repeats,
                      setup="r.SPEED_CONNECTIONS = {'all_to_all': r.SPEED_CONNECTIONS['all_to_all']}")
    if report is None:
        return None
    fastest = min(report["runs"], key=lambda run: run["simulate_wall_s"])
    return {"simulator": "nest_3.10", "n_neurons": n, "n_steps": n_steps, "run_time": fastest["simulate_wall_s"],
            "compile_time": 0.0, "neuron_steps_per_s": n * n_steps / fastest["simulate_wall_s"],
            "rate_mean": fastest["rate_hz"], "rate_se": fastest["rate_se_hz"], "peak_memory_bytes": 0}


def main(argv=None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="1000 neurons x 0.2 s")
    parser.add_argument("--repeats", type=int, default=3, help="timed runs per simulator; the fastest counts")
    parser.add_argument("--nest-python", default="/work/venv-nest/bin/python")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    n, n_steps = (1000, 2000) if args.quick else (10_000, round(DURATION / DT))
    load_before = machine_load()
    rows = [run_worker(worker, simulator, n, n_steps, args.repeats, threads=2)
            for simulator in ("nsnn_sim", "brian2_cpp_standalone")]
    nest = nest_row(args.nest_python, n, n_steps, args.repeats)
    rows += [nest] if nest else []
    load_after = machine_load()
    check_same_work(rows, ("n_neurons",))
    header = (f"iaf_psc_exp-equivalent LIF (tau_syn 2 ms, t_ref 2 ms), {n} neurons x {n_steps * DT:g} s, dt 0.1 ms, "
              f"an independent 10 kHz Poisson train per neuron; 2 threads each; run phase, fastest of {args.repeats}. "
              f"NEST's memory is not measured (0). Rates agree when |z| < 4.\n\nload before: {load_before}\n\n"
              f"load after: {load_after}\n")
    write_table(args.out, "synaptic_speed", rows, [("simulator", "{simulator}"), ("run (s)", "{run_time:.2f}")]
                + SIDE_BY_SIDE_COLUMNS, header=header)
    return args.out / "synaptic_speed.json"


if __name__ == "__main__":
    main()
