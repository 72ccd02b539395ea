"""The ``nsnn-sim`` command: simulate, sweep, analyze, figures, reproduce, crossval, warmup, bench.

Every subcommand has ``--help``; bad input ends with a one-line message and exit code 2.
``nsnn-sim --version`` prints the version and the git commit; ``-v`` / ``-q`` before the subcommand
set how much of the library's log (:mod:`nsnn_sim._core.log`) is shown. ``python -m nsnn_sim`` is the same
command.

Examples
--------
>>> from nsnn_sim.cli import main
>>> import tempfile
>>> from pathlib import Path
>>> import nsnn_sim as ns
>>> out = Path(tempfile.mkdtemp()) / "run.nc"
>>> main(["-q", "simulate", "--model", "nsnn", "--set", "noise_scale=0.3", "--inputs", "0.8",
...       "--neurons", "5", "--steps", "100", "--seed", "2", "--out", str(out)])
241 spikes, mean rate 482.00 Hz -> ...run.nc
0
>>> ns.load(out).spikes == ns.simulate(ns.NSNN(noise_scale=0.3), 0.8, n_neurons=5, n_steps=100, seed=2).spikes
True
>>> main(["-q", "analyze", "no_such_experiment"])
2
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from pathlib import Path

__all__ = ["main"]


class UsageError(Exception):
    """Bad input from the command line: reported in one line, exit code 2."""


def _value(text: str):
    """A command-line value as int, float, bool or str."""
    for convert in (int, float):
        try:
            return convert(text)
        except ValueError:
            pass
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    return text


def _pairs(items: list[str], option: str) -> dict:
    out = {}
    for item in items or []:
        name, equals, value = item.partition("=")
        if not equals or not name:
            raise UsageError(f"{option} takes NAME=VALUE, got {item!r}")
        out[name.strip()] = value
    return out


def _read_config(path: str) -> dict:
    """The TOML file ``--config path``; one-line errors for what is not a readable TOML file."""
    config_path = Path(path)
    if config_path.is_dir():
        raise UsageError(f"--config {path}: is a directory, not a TOML file")
    try:
        return tomllib.loads(config_path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"--config {path}: no such file") from None
    except UnicodeDecodeError:
        raise UsageError(f"--config {path}: not a text (UTF-8) TOML file") from None
    except tomllib.TOMLDecodeError as error:
        raise UsageError(f"--config {path}: {error}") from None


def _table(config: dict, name: str) -> dict:
    value = config.get(name, {})
    if not isinstance(value, dict):
        raise UsageError(f"[{name}] in --config must be a table of parameters, got {name} = {value!r}")
    return dict(value)


def _whole(run: dict, key: str, default: int) -> int:
    """``run[key]`` as a whole number (TOML integers, or whole numbers from the command line)."""
    value = run.get(key, default)
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value != int(value):
        raise UsageError(f"[run] {key} = {value!r} must be a whole number")
    return int(value)


def _output_file(path: str, option: str = "--out") -> Path:
    """A file to write: not a directory, in a folder that is (or can be made) a directory."""
    out = Path(path)
    if out.is_dir():
        raise UsageError(f"{option} {path}: is a directory; give a file name (e.g. {out / 'run.nc'})")
    for parent in out.parents:
        if parent.exists():
            if not parent.is_dir():
                raise UsageError(f"{option} {path}: {parent} is a file, not a folder")
            break
    out.parent.mkdir(parents=True, exist_ok=True)
    return out


def _output_folder(path: str) -> Path:
    """An output folder (``--out`` of analyze, figures, reproduce): a folder or nothing yet."""
    out = Path(path)
    for folder in (out, *out.parents):
        if folder.exists():
            if not folder.is_dir():
                raise UsageError(f"--out {path}: {folder} is a file; --out is a folder")
            break
    return out


def _simulate(args) -> None:
    import nsnn_sim as ns

    config = _read_config(args.config) if args.config else {}
    model_config = _table(config, "model")
    kind = args.model or model_config.pop("kind", "LIF")
    model_config.pop("kind", None)
    models = {"LIF": ns.LIF, "NSNN": ns.NSNN}
    if not isinstance(kind, str) or kind.upper() not in models:
        raise UsageError(f"--model {kind!r} is not a model; allowed: lif, nsnn")
    model_config.update({k: _value(v) for k, v in _pairs(args.set, "--set").items()})
    run = _table(config, "run")
    for option in ("neurons", "steps", "trials", "seed", "inputs"):
        if getattr(args, option) is not None:
            run[option] = getattr(args, option)
    unknown = sorted(set(run) - {"neurons", "steps", "trials", "seed", "inputs"})
    if unknown:
        raise UsageError(f"[run] has unknown keys {unknown}; allowed: neurons, steps, trials, seed, inputs")
    sizes = {key: _whole(run, key, default) for key, default in
             (("neurons", 100), ("steps", 1000), ("trials", 1), ("seed", 0))}
    out = _output_file(args.out)
    try:
        model = models[kind.upper()](**model_config)
    except TypeError as error:
        raise UsageError(f"model parameters: {error}") from None
    result = ns.simulate(model, run.get("inputs", 0.0), n_neurons=sizes["neurons"], n_steps=sizes["steps"],
                         n_trials=sizes["trials"], seed=sizes["seed"])
    result.to_netcdf(out)
    print(f"{len(result.spikes)} spikes, mean rate {float(result.spikes.rates().mean()):.2f} Hz -> {out}")


def _sweep(args) -> None:
    from nsnn_sim._core.atomic import write_netcdf
    from nsnn_sim.sweep import lif_statistics, sweep

    grid = {name: [_value(v) for v in values.split(",")] for name, values in _pairs(args.grid, "--grid").items()}
    if not grid:
        raise UsageError("--grid NAME=V1,V2,... is required (e.g. --grid mu=0.8,1.0 --grid sigma=0.3,0.5)")
    unknown = set(grid) - {"mu", "sigma", "tau", "n_neurons", "duration", "dt"}
    if unknown or not {"mu", "sigma"} <= set(grid):
        raise UsageError(f"the LIF sweep takes mu and sigma (and tau, n_neurons, duration, dt); got {sorted(grid)}")
    if Path(args.store).exists() and not Path(args.store).is_dir():
        raise UsageError(f"--store {args.store}: is a file; give a folder (created if missing)")
    out = _output_file(args.out or str(Path(args.store) / "sweep.nc"))
    result = sweep(lif_statistics, grid, args.store, scheduler=args.scheduler, seed=args.seed, n_workers=args.workers)
    write_netcdf(out, result)
    failed = result["error"].values != ""
    if failed.all():
        raise UsageError(f"every condition failed; the first: {result['error'].values[0]}")
    print(result[["rate", "cv", "siegert_rate", "error"]].to_dataframe().to_string())
    if failed.any():
        print(f"{int(failed.sum())} of {failed.size} conditions failed (see the error column)", file=sys.stderr)
    print(f"-> {out}")


def _experiment(name: str):
    from nsnn_sim.experiments import get

    try:
        return get(name)
    except ValueError as error:
        raise UsageError(str(error)) from None


def _analyze(args) -> None:
    from nsnn_sim.experiments import figure_path, results_path

    experiment = _experiment(args.name)
    args.out = _output_folder(args.out)
    results = experiment.analyze(results_path(args.name, args.out), quick=args.quick, seed=args.seed)
    print(f"-> {results}")
    if args.figure:
        print(f"-> {experiment.draw(results, figure_path(args.name, args.out))}")


def _figures(args) -> None:
    from nsnn_sim.experiments import figure_path, registry, results_path

    made = 0
    args.out = _output_folder(args.out)
    for name, experiment in registry().items():
        if results_path(name, args.out).exists():
            print(f"-> {experiment.draw(results_path(name, args.out), figure_path(name, args.out))}")
            made += 1
    if not made:
        raise UsageError(f"no {results_path('NAME', args.out)} yet: run `nsnn-sim analyze NAME` or "
                         "`nsnn-sim reproduce` first")


def _reproduce(args) -> None:
    from nsnn_sim.reproduce import reproduce

    if args.only:
        for name in args.only:
            _experiment(name)
    args.out = _output_folder(args.out)
    print(f"-> {reproduce('full' if args.full else 'quick', only=args.only, out=args.out)}")


def _crossval(args) -> None:
    args.name, args.figure, args.seed = "crossval_brian2", True, None
    _analyze(args)


def _script(folder: str, name: str, extra: list[str]) -> None:
    import subprocess

    from nsnn_sim.reproduce import source_root

    root = source_root()
    script = root / folder / f"{name}.py"
    if not script.exists():
        available = sorted(p.stem for p in (root / folder).glob("*.py"))
        raise UsageError(f"no {folder}/{name}.py; available: {available}")
    completed = subprocess.run([sys.executable, str(script), *extra], cwd=root)
    if completed.returncode:
        raise SystemExit(completed.returncode)


def _warmup(args) -> None:
    from nsnn_sim.warmup import warmup

    seconds = warmup()
    print(f"kernels compiled or loaded in {sum(seconds.values()):.1f} s")


def _bench(args) -> None:
    from nsnn_sim.reproduce import source_root

    # every script except the shared helpers (benchmarks/common.py) and the worker entry point
    scripts = [s for s in sorted((source_root() / "benchmarks").glob("*.py")) if s.stem not in ("common", "worker")]
    if args.name:
        scripts = [s for s in scripts if s.stem == args.name]
        if not scripts:
            raise UsageError(f"no benchmarks/{args.name}.py")
    for script in scripts:
        _script("benchmarks", script.stem, ["--quick"] if args.quick else [])


def _version_line() -> str:
    from nsnn_sim._core import version

    dirty = {True: ", uncommitted changes", False: "", None: ""}[version.dirty()]
    return f"nsnn-sim {version.version()} (commit {version.commit()}{dirty})"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="nsnn-sim", description=__doc__.splitlines()[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=_version_line())
    loudness = parser.add_mutually_exclusive_group()
    loudness.add_argument("-v", "--verbose", action="store_true", help="also show the library's debug messages")
    loudness.add_argument("-q", "--quiet", action="store_true", help="show only warnings and errors")
    commands = parser.add_subparsers(dest="command", required=True)

    simulate = commands.add_parser("simulate", help="simulate a model and write netCDF",
                                   description="Simulate a model (options or a TOML file with [model] and [run]) "
                                               "and write the result as netCDF.")
    simulate.add_argument("--config", help="TOML file: [model] kind = 'LIF' and parameters; [run] neurons, steps, "
                                           "trials, seed, inputs")
    simulate.add_argument("--model", help="lif or nsnn (overrides the file)")
    simulate.add_argument("--set", action="append", metavar="NAME=VALUE", help="a model parameter (repeatable)")
    simulate.add_argument("--inputs", type=float, help="constant input current")
    simulate.add_argument("--neurons", type=int)
    simulate.add_argument("--steps", type=int)
    simulate.add_argument("--trials", type=int)
    simulate.add_argument("--seed", type=int)
    simulate.add_argument("--out", required=True, help="netCDF file to write")
    simulate.set_defaults(run=_simulate)

    sweep = commands.add_parser("sweep", help="LIF rate and CV over a parameter grid on dask.distributed",
                                description="Sweep the noisy LIF (rate, ISI CV, Siegert rate) over a grid.")
    sweep.add_argument("--grid", action="append", metavar="NAME=V1,V2", help="parameter values (repeatable)")
    sweep.add_argument("--store", required=True, help="folder for per-condition results (resumable)")
    sweep.add_argument("--scheduler", help="address of an existing dask scheduler (default: a LocalCluster)")
    sweep.add_argument("--workers", type=int, help="LocalCluster workers (default: the number of cores)")
    sweep.add_argument("--seed", type=int, default=0)
    sweep.add_argument("--out", help="combined netCDF (default STORE/sweep.nc)")
    sweep.set_defaults(run=_sweep)

    analyze = commands.add_parser("analyze", help="run one experiment -> OUT/results/NAME.nc",
                                  description="Run one experiment of nsnn_sim.experiments and write its results.")
    analyze.add_argument("name")
    analyze.add_argument("--quick", action="store_true")
    analyze.add_argument("--seed", type=int, help="default: the experiment's own")
    analyze.add_argument("--figure", action="store_true", help="also draw OUT/figures/out/NAME.png")
    analyze.add_argument("--out", default=".", help="output folder (default: the current directory)")
    analyze.set_defaults(run=_analyze)

    figures = commands.add_parser("figures", help="draw every figure whose results exist",
                                  description="Draw OUT/figures/out/NAME.png for every OUT/results/NAME.nc.")
    figures.add_argument("--out", default=".", help="output folder (default: the current directory)")
    figures.set_defaults(run=_figures)

    reproduce = commands.add_parser("reproduce", help="every experiment, every figure, figures/REPORT.md",
                                    description="Run every analysis, then every figure, then write figures/REPORT.md.")
    mode = reproduce.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="small runs (default)")
    mode.add_argument("--full", action="store_true", help="paper-scale runs")
    reproduce.add_argument("--only", nargs="+", metavar="NAME", help="only these experiments")
    reproduce.add_argument("--out", default=".", help="output folder (default: the current directory)")
    reproduce.set_defaults(run=_reproduce)

    crossval = commands.add_parser("crossval", help="nsnn_sim against Brian2 over the grid of models",
                                   description="Run the crossval_brian2 experiment and draw its figure.")
    crossval.add_argument("--quick", action="store_true")
    crossval.add_argument("--out", default=".", help="output folder (default: the current directory)")
    crossval.set_defaults(run=_crossval)

    warm = commands.add_parser("warmup", help="compile the kernels into Numba's cache (make does it after install)",
                               description="Compile the common kernel specialisations so a first call loads them.")
    warm.set_defaults(run=_warmup)

    bench = commands.add_parser("bench", help="run the benchmarks (benchmarks/*.py)",
                                description="Run the benchmark scripts; they write benchmarks/results/.")
    bench.add_argument("name", nargs="?", help="one benchmark (default: all)")
    bench.add_argument("--quick", action="store_true")
    bench.set_defaults(run=_bench)
    return parser


def main(argv=None) -> int:
    import logging

    from nsnn_sim._core.log import enable_console

    parser = build_parser()
    args = parser.parse_args(argv)
    enable_console(logging.DEBUG if args.verbose else logging.WARNING if args.quiet else logging.INFO)
    try:
        args.run(args)
    except (UsageError, ValueError, TypeError, OSError, RuntimeError, ImportError) as error:
        message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        print(f"nsnn-sim {args.command}: error: {message}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
