"""Apply the fifteen mutations listed in issue 21, one at a time, and check the fast tests catch each.

Each mutation is a list of exact ``(file, old text, new text)`` replacements (the old text must occur
exactly once). For each, the package is copied to a scratch directory, the replacement applied, and
the fast tests of the files named (``pytest -m "not slow"``) run there with ``PYTHONPATH`` pointing
at the copy and ``NUMBA_CACHE_DIR`` at a fresh empty directory (Numba's cache does not track
cross-module inlining, so a shared cache could hide a mutant). The report lists, per mutation,
caught or not and the failing test ids.

Usage: ``python tools/listed_mutations.py [--only N ...] [--jobs 2] [--out FILE]`` (default
``benchmarks/results/listed_mutations.md``). The test selections (``-k``) are the tests that bear on
each mutation: a fresh Numba cache makes every kernel compile again, so whole files would take long.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from scratch_package import ROOT, copy_tree, run_tests

# (label, where, [(file, old, new), ...], [test files])
MUTATIONS = [
    ("logistic ppf x 1.02", "noise._logistic_ppf",
     [("nsnn_sim/simulator/noise.py", "    return scale * math.log(p / (1.0 - p))",
       "    return 1.02 * scale * math.log(p / (1.0 - p))")],
     ["tests/test_noise.py"]),
    ("subtractive reset ignores u_reset (u - theta*s)", "neurons.reset_membrane",
     [("nsnn_sim/simulator/neurons.py", "    return u - (threshold - u_reset) * spike",
       "    return u - threshold * spike")],
     ["tests/test_engine.py", "-k", "transcription"]),
    ("the LIF starts at 0 instead of u_rest", "neurons.LIF.compile",
     [("nsnn_sim/simulator/neurons.py", "            u_initial=u_rest,", "            u_initial=np.zeros(n_neurons),")],
     ["tests/test_engine.py", "-k", "transcription"]),
    ("bridge exponent -2 -> -1.96", "neurons.neuron_update (Brownian bridge)",
     [("nsnn_sim/simulator/neurons.py",
       "crossing = math.exp(-2.0 * (threshold - u_previous) * (threshold - u) / variance)",
       "crossing = math.exp(-1.96 * (threshold - u_previous) * (threshold - u) / variance)")],
     ["tests/test_engine.py", "-k", "transcription"]),
    ("every neuron uses neuron 0's refractory steps", "neurons.neuron_constants",
     [("nsnn_sim/simulator/neurons.py", "            p.refractory_steps[i], p.hazard_rate[i])",
       "            p.refractory_steps[0], p.hazard_rate[i])")],
     ["tests/test_engine.py", "-k", "transcription"]),
    ("every neuron uses neuron 0's Poisson weight", "engine._poisson_jump",
     [("nsnn_sim/simulator/engine.py", "jump += count * inputs.poisson_weight[group, i]",
       "jump += count * inputs.poisson_weight[group, 0]")],
     ["tests/test_engine.py", "-k", "transcription"]),
    ("ring buffer not cleared", "engine._run_connected",
     [("nsnn_sim/simulator/engine.py", "                    arriving[trial, row, i] = 0.0\n",
       "                    arriving[trial, row, i] += 0.0\n")],
     ["tests/test_engine.py", "-k", "transcription"]),
    ("Fano across trials with ddof 1", "stats._fano_of_window",
     [("nsnn_sim/analysis/stats.py", "_variance_over_mean(n_samples, total, total_squares, 0).reshape(shape)",
       "_variance_over_mean(n_samples, total, total_squares, 1 if across == 'trials' else 0).reshape(shape)")],
     ["tests/test_stats.py", "-k", "fano"]),
    ("MAP parabolic refinement sign flipped", "posterior._grid_posterior",
     [("nsnn_sim/coding/posterior.py", "offset = np.where(curvature < 0, 0.5 * (below - above) / curvature, 0.0)",
       "offset = np.where(curvature < 0, -0.5 * (below - above) / curvature, 0.0)")],
     ["tests/test_decoding.py", "-k", "map or posterior_summaries or cramer_rao"]),
    ("NDL slope taken at u_fire instead of u_free", "learn.network.SpikingLayer.gradient_potential",
     [("nsnn_sim/learn/network.py", 'return "u_fire" if self.firing == "reference" else "u_free"',
       'return "u_fire"')],
     ["tests/test_learn_gradients.py"]),
    ("detached zero reset also drops the (1 - s) factor", "learn.backward._adjoint_kernel",
     [("nsnn_sim/learn/backward.py", "through_fire = adjoint[i] * (1.0 - spike)",
       "through_fire = adjoint[i] if detach_reset else adjoint[i] * (1.0 - spike)")],
     ["tests/test_learn_gradients.py"]),
    ("noise_free_rate ignores u_reset", "theory.noise_free_rate",
     [("nsnn_sim/theory/lif.py", "math.log((drive - u_reset) / (drive - threshold))",
       "math.log(drive / (drive - threshold))")],
     ["tests/test_theory.py", "-k", "noise_free or siegert or offset or isi_cv"]),
    ("Siegert/Brunel ignore u_rest", "theory._reduced_bounds",
     [("nsnn_sim/theory/lif.py", "y_threshold = (threshold - u_rest - mu) / sigma_b",
       "y_threshold = (threshold - mu) / sigma_b"),
      ("nsnn_sim/theory/lif.py", "y_reset = (u_reset - u_rest - mu) / sigma_b", "y_reset = (u_reset - mu) / sigma_b")],
     ["tests/test_theory.py", "-k", "noise_free or siegert or offset or isi_cv"]),
    ("Brian2 Gaussian cdf expression, scale x 1.5", "noise (gaussian FamilySpec.brian2_cdf)",
     [("nsnn_sim/simulator/noise.py", 'brian2_cdf="nsnn_normal_cdf(({x})/{scale})"',
       'brian2_cdf="nsnn_normal_cdf(({x})/(1.5*{scale}))"')],
     ["tests/test_brian2_bridge.py", "-k", "expressions_equal_to_scipy"]),
    ("Brian2 LIF own-noise amplitude x 1.02", "brian2_bridge (Euler LIF xi term)",
     [("nsnn_sim/interop/brian2.py", 'noise_term = " + sigma*sqrt(2.0/tau)*xi" if noisy else ""',
       'noise_term = " + 1.02*sigma*sqrt(2.0/tau)*xi" if noisy else ""')],
     ["tests/test_brian2_bridge.py", "-k", "own_noise"]),
]


def _apply(tree: Path, replacements) -> None:
    for file, old, new in replacements:
        path = tree / file
        current = path.read_text()
        if current.count(old) != 1:
            raise SystemExit(f"{file}: the old text occurs {current.count(old)} times, not once: {old!r}")
        path.write_text(current.replace(old, new))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", type=int, nargs="*", help="1-based mutation numbers (default: all)")
    parser.add_argument("--out", default=str(ROOT / "benchmarks" / "results" / "listed_mutations.md"))
    parser.add_argument("--python", default=sys.executable)
    parser.add_argument("--jobs", type=int, default=1, help="mutations run at once, each in its own copy")
    args = parser.parse_args()
    chosen = args.only or list(range(1, len(MUTATIONS) + 1))
    with tempfile.TemporaryDirectory(prefix="listed_mutations_") as scratch:
        def one(number):
            label, where, replacements, tests = MUTATIONS[number - 1]
            tree = Path(scratch) / f"tree{number}"
            copy_tree(tree)
            _apply(tree, replacements)
            caught, failed, elapsed, tail = run_tests(tree, tests, args.python)[:4]
            shutil.rmtree(tree, ignore_errors=True)
            print(f"{number:2d} {'CAUGHT' if caught else 'NOT CAUGHT'} {label}: {', '.join(failed) or tail} "
                  f"({elapsed:.0f} s)", flush=True)
            return number, label, where, tests, caught, failed, elapsed, tail
        with ThreadPoolExecutor(max_workers=args.jobs) as pool:
            rows = list(pool.map(one, chosen))
    record = Path(args.out).with_suffix(".json")  # rows of earlier runs (other --only sets) are kept
    earlier = json.loads(record.read_text()) if record.exists() else []
    rows = sorted({row[0]: row for row in [*map(tuple, earlier), *rows]}.values())
    record.parent.mkdir(parents=True, exist_ok=True)
    record.write_text(json.dumps(rows, indent=1))
    lines = ["# The fifteen mutations of issue 21 against the fast tests", "",
             "Measured by `tools/listed_mutations.py`: each mutation applied alone to a copy of the package,",
             "`pytest -m \"not slow\"` on the tests named, fresh `NUMBA_CACHE_DIR` per mutation.", "",
             "| # | mutation | where | tests run | caught | failing tests | run time (s) |",
             "|---|---|---|---|---|---|---|"]
    for number, label, where, tests, caught, failed, elapsed, tail in rows:
        names = "<br>".join(f"`{name}`" for name in failed) or tail
        selection = " ".join(tests)
        lines.append(f"| {number} | {label} | `{where}` | `{selection}` | {'yes' if caught else '**no**'} "
                     f"| {names} | {elapsed:.0f} |")
    lines += ["", f"Caught: {sum(row[4] for row in rows)} of {len(rows)}.", ""]
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text("\n".join(lines))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
