"""Where Fourcaud & Brunel's coloured-noise rate holds: simulated LIF rates against the theory, tau_syn/tau to 0.5.

A LIF (tau 20 ms, no dead time, threshold 1, reset 0) whose input noise passes an exponential synapse:
``LIF(noise="none", synapses={"syn": ExpSynapse(tau_syn, sigma)})`` with constant input ``mu``, so the only noise
is the Ornstein-Uhlenbeck current whose white-noise limit is membrane noise of SD ``sigma`` (the convention of
:func:`nsnn_sim.theory.fourcaud_brunel_rate`). The rate is the stationary protocol's (warm-up 0.2 s, SE over
neurons). The step is ``tau_syn/10`` (at most 0.05 ms), so that the grid resolves the smooth membrane (its
threshold-crossing bias is then O(dt), far below the SE); exact integration. Writes
``benchmarks/results/fourcaud_brunel.{json,md}``: per ratio the simulated rate, the theory, the white-noise
(Siegert) rate, and the relative error with its SE.

    python benchmarks/fourcaud_brunel.py [--quick]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import nsnn_sim as ns
from nsnn_sim import theory
from nsnn_sim.analysis.stats import stationary_rate
from nsnn_sim.simulator.state import ExpSynapse

RESULTS = Path(__file__).resolve().parent / "results"
TAU, MU, SIGMA, WARMUP = 20e-3, 0.9, 0.3, 0.2
RATIOS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.5)


def simulated(ratio: float, n_neurons: int, duration: float, seed: int = 1) -> dict:
    """Stationary rate of the coloured-noise LIF at ``tau_syn = ratio*tau``, with its theory."""
    tau_syn = ratio * TAU
    dt = min(5e-5, tau_syn / 10)
    dt = 1e-6 * round(dt / 1e-6)
    model = ns.LIF(tau=TAU, noise="none", dt=dt, method="exact", synapses={"syn": ExpSynapse(tau_syn, SIGMA)})
    result = ns.simulate(model, MU, n_neurons=n_neurons, n_steps=int(round(duration / dt)), seed=seed)
    rate, se = stationary_rate(result.spikes, warmup=WARMUP)
    predicted = theory.fourcaud_brunel_rate(MU, SIGMA, tau_syn, tau=TAU)
    return {"ratio": ratio, "tau_syn_s": tau_syn, "dt_s": dt, "rate_hz": rate, "rate_se_hz": se,
            "theory_hz": predicted, "siegert_hz": theory.siegert_rate(MU, SIGMA, tau=TAU),
            "relative_error": rate / predicted - 1.0, "relative_se": se / predicted}


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="200 neurons x 2 s instead of 2000 x 5 s")
    args = parser.parse_args(argv)
    n_neurons, duration = (200, 2.0) if args.quick else (2000, 5.0)
    rows = [simulated(ratio, n_neurons, duration) for ratio in RATIOS]
    out = {"tau_s": TAU, "mu": MU, "sigma": SIGMA, "n_neurons": n_neurons, "duration_s": duration, "rows": rows,
           "nsnn_sim_version": ns.__version__}
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "fourcaud_brunel.json").write_text(json.dumps(out, indent=1) + "\n")
    lines = ["# Fourcaud-Brunel rate against simulation", "",
             f"LIF tau {TAU * 1e3:g} ms, mu {MU}, sigma {SIGMA} (white-noise limit), no dead time; "
             f"{n_neurons} neurons x {duration:g} s, warm-up {WARMUP} s; dt = tau_syn/10 (at most 0.05 ms).", "",
             "| tau_syn/tau | tau_syn (ms) | simulated (Hz) | Fourcaud-Brunel (Hz) | error | white noise (Hz) |",
             "|---|---|---|---|---|---|"]
    for row in rows:
        lines.append(f"| {row['ratio']:g} | {row['tau_syn_s'] * 1e3:g} | {row['rate_hz']:.3f} +- "
                     f"{row['rate_se_hz']:.3f} | {row['theory_hz']:.3f} | {100 * row['relative_error']:+.2f} +- "
                     f"{100 * row['relative_se']:.2f} % | {row['siegert_hz']:.3f} |")
    (RESULTS / "fourcaud_brunel.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
