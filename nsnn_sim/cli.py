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
import inspect
import re
import sys
import textwrap
import tomllib
from pathlib import Path

__all__ = ["main"]


class UsageError(Exception):
    """Bad input from the command line: reported in one line, exit code 2."""


class _Parser(argparse.ArgumentParser):
    """argparse's parser, with its errors (unknown option, bad choice, missing argument) in one line too."""

    def error(self, message):
        raise UsageError(f"{self.prog}: error: {message} (see {self.prog} --help)")


# what ``simulate`` runs when neither the options nor the --config file's [run] say otherwise
RUN_DEFAULTS = {"neurons": 100, "steps": 1000, "trials": 1, "seed": 0, "inputs": 0.0}
_UNIT_WORDS = {"s": "a time", "Hz": "a rate", "": "a plain number (membrane units or a pure number)"}


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


def documented_units(model_class) -> dict[str, str]:
    """Parameter -> the unit the model's docstring gives it: ``"s"`` if its description says ``(s)`` or
    "seconds", ``"Hz"`` if it says ``(Hz)``, else ``""`` (membrane units, pure numbers, choices)."""
    doc = inspect.getdoc(model_class) or ""
    section = doc.partition("Parameters\n----------\n")[2]
    units = {}
    # numpydoc: "name[, name...] : type" at the margin, its description indented below
    for names, description in re.findall(r"^(\w+(?:, \w+)*) :[^\n]*\n((?:[ \t]+[^\n]*\n?)*)", section, re.M):
        unit = "s" if re.search(r"\(s\)|\bseconds\b", description) else "Hz" if "(Hz)" in description else ""
        units.update(dict.fromkeys(names.split(", "), unit))
    return units


def _model_value(model_class, name: str, text):
    """A ``--set`` (or [model] string) value: a number, a bool, a word, or a number with a unit
    (:func:`nsnn_sim._core.units.from_text`) converted to SI if the parameter takes that unit."""
    from nsnn_sim._core.units import from_text

    value = _value(text) if isinstance(text, str) else text
    if not isinstance(value, str):
        return value
    with_unit = from_text(name, value)
    if with_unit is None:
        return value
    number, unit = with_unit
    takes = documented_units(model_class).get(name)
    if takes is not None and takes != unit:
        raise UsageError(f"{name}={text}: {name} of {model_class.__name__} takes {_UNIT_WORDS[takes]}, "
                         f"not {_UNIT_WORDS[unit]} ({unit})")
    return number


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
    model_class = models[kind.upper()]
    model_config.update(_pairs(args.set, "--set"))
    model_config = {name: _model_value(model_class, name, value) for name, value in model_config.items()}
    run = _table(config, "run")
    for option in RUN_DEFAULTS:
        if getattr(args, option) is not None:
            run[option] = getattr(args, option)
    unknown = sorted(set(run) - set(RUN_DEFAULTS))
    if unknown:
        raise UsageError(f"[run] has unknown keys {unknown}; allowed: {', '.join(RUN_DEFAULTS)}")
    sizes = {key: _whole(run, key, RUN_DEFAULTS[key]) for key in ("neurons", "steps", "trials", "seed")}
    out = _output_file(args.out)
    try:
        model = model_class(**model_config)
    except TypeError as error:
        raise UsageError(f"model parameters: {error}") from None
    result = ns.simulate(model, run.get("inputs", RUN_DEFAULTS["inputs"]), n_neurons=sizes["neurons"],
                         n_steps=sizes["steps"], n_trials=sizes["trials"], seed=sizes["seed"])
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
    from nsnn_sim.experiments import figure_path, given, results_path

    experiment = _experiment(args.name)
    args.out = _output_folder(args.out)
    results = experiment.analyze(results_path(args.name, args.out), quick=args.quick, seed=args.seed,
                                 **given(args, args.options))
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
    args.name, args.figure = "crossval_brian2", True
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


def _model_help() -> str:
    """The model parameters ``--set`` takes, with their defaults and units, for ``simulate --help``."""
    from dataclasses import fields

    from nsnn_sim.simulator.neurons import LIF, NSNN

    lines = ["model parameters (--set NAME=VALUE, repeatable; defaults shown): times in s and rates in Hz, or a",
             "number with a unit (s, ms, us, Hz, kHz), e.g. --set tau=20ms --set dt=0.1ms; potentials, sigma",
             "and the input in membrane units (threshold 1 by default)."]
    for model in (LIF, NSNN):
        units = documented_units(model)
        shown = [f"{item.name}={item.default!r}" + (f" {units[item.name]}" if units.get(item.name) else "")
                 for item in fields(model) if item.init]
        lines += textwrap.wrap(", ".join(shown), width=100, initial_indent=f"  {model.__name__}: ",
                               subsequent_indent=" " * (len(model.__name__) + 4))
    return "\n".join(lines)


def _add_experiments(analyze, crossval, command: str | None) -> None:
    """One subcommand of ``analyze`` per experiment, with its own options, and crossval_brian2's options
    on ``crossval``; only for the command being run (importing every experiment takes seconds)."""
    from nsnn_sim.experiments import get, registry

    common = _Parser(add_help=False)
    common.add_argument("--figure", action="store_true", help="also draw OUT/figures/out/NAME.png (.pdf, .svg)")
    common.add_argument("--out", default=".", help="output folder (default: the current directory)")
    if command in (None, "analyze"):
        names = analyze.add_subparsers(dest="name", metavar="NAME", title="experiments (NAME --help: its options)",
                                       required=True)
        for name, experiment in registry().items():
            one = names.add_parser(name, help=experiment.description, parents=[common],
                                   description=experiment.about,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
            one.set_defaults(options=experiment.add_arguments(one))
    if command in (None, "crossval"):
        crossval.set_defaults(options=get("crossval_brian2").add_arguments(crossval))
        crossval.add_argument("--out", default=".", help="output folder (default: the current directory)")


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser of ``nsnn-sim``; the experiments' subcommands only if ``command`` is ``None`` (every
    command), ``"analyze"`` or ``"crossval"``."""
    parser = _Parser(prog="nsnn-sim", description=__doc__.splitlines()[0],
                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=_version_line())
    loudness = parser.add_mutually_exclusive_group()
    loudness.add_argument("-v", "--verbose", action="store_true", help="also show the library's debug messages")
    loudness.add_argument("-q", "--quiet", action="store_true", help="show only warnings and errors")
    commands = parser.add_subparsers(dest="command", required=True)

    simulate = commands.add_parser("simulate", help="simulate a model and write netCDF",
                                   description="Simulate a model (options or a TOML file with [model] and [run]) "
                                               "and write the result as netCDF.",
                                   epilog=_model_help() if command in (None, "simulate") else None,
                                   formatter_class=argparse.RawDescriptionHelpFormatter)
    simulate.add_argument("--config", help="TOML file: [model] kind = 'LIF' and parameters; [run] neurons, steps, "
                                           "trials, seed, inputs (the options below override it)")
    simulate.add_argument("--model", help="lif or nsnn (default: lif, or the file's [model] kind)")
    simulate.add_argument("--set", action="append", metavar="NAME=VALUE",
                          help="a model parameter, e.g. tau=20ms (repeatable; the parameters are listed below)")
    simulate.add_argument("--inputs", type=float, help="constant input current, membrane units (R*I; threshold 1) "
                                                       f"(default {RUN_DEFAULTS['inputs']})")
    simulate.add_argument("--neurons", type=int, help=f"number of neurons (default {RUN_DEFAULTS['neurons']})")
    simulate.add_argument("--steps", type=int, help="time steps of the model's dt each (default "
                                                    f"{RUN_DEFAULTS['steps']}; duration = steps * dt)")
    simulate.add_argument("--trials", type=int, help=f"independent trials (default {RUN_DEFAULTS['trials']})")
    simulate.add_argument("--seed", type=int, help=f"seed of the noise (default {RUN_DEFAULTS['seed']})")
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
                                  description="Run one experiment of nsnn_sim.experiments and write its results "
                                              "(`nsnn-sim analyze NAME --help` lists the experiment's options).")
    analyze.set_defaults(run=_analyze)

    figures = commands.add_parser("figures", help="draw every figure whose results exist",
                                  description="Draw OUT/figures/out/NAME.png (.pdf, .svg) for every "
                                              "OUT/results/NAME.nc.")
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
    crossval.set_defaults(run=_crossval)
    _add_experiments(analyze, crossval, command)

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

    argv = sys.argv[1:] if argv is None else list(argv)
    # the top-level options take no values, so the first word that is not an option is the command
    command = next((word for word in argv if not word.startswith("-")), "")
    try:
        args = build_parser(command).parse_args(argv)
    except UsageError as error:  # from _Parser.error, prefixed with the (sub)command
        print(error, file=sys.stderr)
        return 2
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
