"""nsnn_sim's equivalents of NEST 3.10's iaf_psc_delta, iaf_psc_exp, iaf_psc_alpha and pp_psc_delta, beside NEST.

Reads NEST's measurements (``benchmarks/results/nest_reference.json``, written by ``nest_reference.py`` in a
venv with NEST) and simulates each case's nsnn_sim configuration with the same protocol: 500 neurons x 5 s
from rest, dt 0.1 ms, exact integration, the rate counted from t = 0 (its SE over neurons) and the shortest
ISI. NEST's ``poisson_generator`` (a Poisson count per step) is ``poisson_input`` with many sources at a low
rate (Binomial(18000, 1e-5): its count variance differs from Poisson's by 1e-5 relative). A synapse's weight is
the charge of the delta synapse's jump (0.05), whatever ``tau_syn`` (NEST's ``w = J C / tau_syn``). Writes
``benchmarks/results/nest_equivalents.{json,md}``: each rate beside NEST's, their difference in units of the
combined SE, and the shortest ISIs.

    python benchmarks/nest_equivalents.py
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import numpy as np

import nsnn_sim as ns
from nsnn_sim.simulator.state import AlphaSynapse, ExpSynapse, MovingThreshold

RESULTS = Path(__file__).resolve().parent / "results"
N_NEURONS, DURATION, DT, SEED = 500, 5.0, 1e-4, 1
POISSON_SOURCES = 18_000  # 1800 Hz as 18,000 sources of 0.1 Hz: a Binomial count per step, Poisson to 1e-5


def equivalent(case: dict):
    """``(model, inputs)`` of nsnn_sim for one NEST case of nest_reference.json."""
    eq = case["nsnn_equivalent"]
    common = dict(tau=eq["tau"], threshold=eq["threshold"], u_rest=eq["u_rest"], u_reset=eq["u_reset"],
                  tau_ref=eq["tau_ref"], dt=eq["dt"], method="exact")
    if eq.get("firing") == "hazard":
        thresholds = tuple(MovingThreshold(kernel["tau"], kernel["jump"]) for kernel in eq["threshold_kernels"])
        model = ns.LIF(firing="hazard", rho_0=eq["rho_0"], delta_u=eq["delta_u"], refractory="integrate",
                       moving_threshold=thresholds, **common)
        return model, eq["input_current"]
    synapse = eq.get("synapse")
    if synapse is None:
        model = ns.LIF(noise="none", **common)
    else:
        kind = AlphaSynapse if synapse["shape"] == "alpha" else ExpSynapse
        model = ns.LIF(noise="none", synapses={"exc": kind(synapse["tau_syn"])}, **common)
    charge = 0.05  # the delta synapse's jump: the same charge per input spike in every case
    drive = ns.poisson_input(eq["poisson"]["rate_hz"] / POISSON_SOURCES, charge, POISSON_SOURCES)
    return model, drive


def measure(model, inputs) -> dict:
    start = time.perf_counter()
    result = ns.simulate(model, inputs, n_neurons=N_NEURONS, n_steps=int(round(DURATION / DT)), seed=SEED)
    spikes = result.spikes
    rates = np.bincount(spikes.neuron, minlength=N_NEURONS) / DURATION
    same_train = np.diff(spikes.neuron) == 0
    isi = np.diff(spikes.step)[same_train]
    return {"rate_hz": float(rates.mean()), "rate_se_hz": float(rates.std(ddof=1) / math.sqrt(N_NEURONS)),
            "min_isi_steps": int(isi.min()), "n_at_min_isi": int(np.sum(isi == isi.min())),
            "wall_s": time.perf_counter() - start}


def main() -> None:
    reference = json.loads((RESULTS / "nest_reference.json").read_text())
    rows = []
    for case in reference["populations"]:
        name = case["name"]
        if name.startswith("gif") or "dead_time=0" in name:
            continue  # gif kernels act one step later than MovingThreshold; dead time 0 draws Poisson counts
        ours = measure(*equivalent(case))
        combined = math.hypot(ours["rate_se_hz"], case["rate_se_hz"])
        rows.append({"case": name, "nest_rate_hz": case["rate_hz"], "nest_rate_se_hz": case["rate_se_hz"],
                     "nest_min_isi_steps": case["min_isi_steps"], **{f"nsnn_{k}": v for k, v in ours.items()},
                     "difference_in_se": (ours["rate_hz"] - case["rate_hz"]) / combined})
    out = {"protocol": f"{N_NEURONS} neurons x {DURATION} s from rest, dt {DT * 1e3} ms, rate from t = 0, "
                       f"SE over neurons; seed {SEED}", "nsnn_sim_version": ns.__version__, "rows": rows}
    (RESULTS / "nest_equivalents.json").write_text(json.dumps(out, indent=1) + "\n")
    lines = ["# nsnn_sim's equivalents of NEST 3.10 models", "", out["protocol"], "",
             "| NEST case | NEST rate (Hz) | nsnn_sim rate (Hz) | difference (SE) "
             "| shortest ISI NEST / nsnn_sim (steps) |",
             "|---|---|---|---|---|"]
    for row in rows:
        lines.append(f"| {row['case']} | {row['nest_rate_hz']:.2f} +- {row['nest_rate_se_hz']:.2f} | "
                     f"{row['nsnn_rate_hz']:.2f} +- {row['nsnn_rate_se_hz']:.2f} | {row['difference_in_se']:+.2f} | "
                     f"{row['nest_min_isi_steps']} / {row['nsnn_min_isi_steps']} |")
    (RESULTS / "nest_equivalents.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
