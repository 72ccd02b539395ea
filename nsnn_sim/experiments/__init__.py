"""Every experiment of the project as library code, discovered: simulation -> Dataset -> figure -> report.

An experiment is one module of this package that defines

``DESCRIPTION`` : str
    One line for the report.
``SEED`` : int
    The default seed.
``run(quick=False, seed=SEED, **options) -> xarray.Dataset``
    The simulations and analyses, quick (seconds to a minute) or full (paper scale). Everything
    random derives from ``seed``; the Dataset carries its provenance attrs.
``figure(data) -> matplotlib.figure.Figure``
    The figure, from the Dataset alone (figures never simulate).
``summary(data) -> list[str]``
    The key numbers, one line each, for ``figures/REPORT.md``.

and optionally ``QUICK`` (extra keywords of ``run`` in quick mode), ``OPTIONS`` (its own command-line
options: ``{"--flag": keywords of argparse's add_argument}``, passed to ``run`` as keywords when given;
they have no default, so that ``run``'s own and ``QUICK``'s values apply), ``MARKDOWN(data) -> str`` (a
table written beside the results) and ``REQUIRES`` (the extras it needs, e.g. ``{"brian2": "brian2"}``,
module -> extra: :func:`nsnn_sim.reproduce.reproduce` skips it, saying so, where one is missing).
Adding an experiment is adding such a module: :func:`registry` finds it; the report,
``nsnn-sim analyze NAME / figures / reproduce`` and the thin scripts ``analyses/NAME.py`` and
``figures/NAME.py`` use it (:meth:`Experiment.add_arguments` declares the options for both command lines).

Files: ``OUT/results/NAME.nc`` and ``OUT/figures/out/NAME.png`` (with ``NAME.pdf`` and ``NAME.svg`` beside
it, :func:`nsnn_sim.analysis.plotting.save_figure`) under an output folder ``OUT`` (default the current directory),
so everything runs from an installed package in any folder. Each is written whole or not at all
(:mod:`nsnn_sim._core.atomic`): a failed or killed run leaves the previous results and figures as they were.
Every figure is drawn in the house style (:mod:`nsnn_sim.experiments._style`): the same fonts and colours, panel
letters, legends off the data, and a "quick mode" mark on figures of quick runs.

Examples
--------
>>> from nsnn_sim.experiments import registry
>>> "demo" in registry()
True
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from types import ModuleType

import xarray as xr

from nsnn_sim._core.atomic import write_atomically, write_netcdf
from nsnn_sim._core.checksums import add_checksums, open_checked
from nsnn_sim._core.log import get_logger

__all__ = ["Experiment", "registry", "get", "check_module", "results_path", "figure_path", "given", "main"]

_log = get_logger(__name__)
_REQUIRED = ("DESCRIPTION", "SEED", "run", "figure", "summary")


@dataclass(frozen=True)
class Experiment:
    """One experiment module (module docstring) and what the pipeline needs to know of it."""

    name: str
    module: ModuleType

    @property
    def description(self) -> str:
        return self.module.DESCRIPTION

    @property
    def seed(self) -> int:
        return self.module.SEED

    @property
    def about(self) -> str:
        """The module docstring without its examples: the ``--help`` text of its command lines."""
        return (self.module.__doc__ or self.description).partition("\nExamples\n--------")[0].rstrip()

    @property
    def missing_extras(self) -> list[str]:
        """The extras this experiment needs that are not installed (module ``REQUIRES``)."""
        import importlib.util

        return [extra for module, extra in getattr(self.module, "REQUIRES", {}).items()
                if importlib.util.find_spec(module) is None]

    @property
    def quick_options(self) -> dict:
        return dict(getattr(self.module, "QUICK", {}))

    @property
    def options(self) -> dict[str, dict]:
        """The module's own command-line options, ``{"--flag": keywords of add_argument}``."""
        return dict(getattr(self.module, "OPTIONS", {}))

    def add_arguments(self, parser) -> tuple[str, ...]:
        """Add ``--quick``, ``--seed`` and the module's ``OPTIONS`` to the argparse ``parser``; return the
        names under which the module's options arrive in the parsed namespace (the keywords of ``run``).

        The one declaration of an experiment's command line, used by ``analyses/NAME.py`` and by
        ``nsnn-sim analyze NAME``."""
        quick = ", ".join(f"{key}={value!r}" for key, value in self.quick_options.items())
        parser.add_argument("--quick", action="store_true",
                            help="the quick mode (seconds to a minute)" + (f": {quick}" if quick else ""))
        parser.add_argument("--seed", type=int, help=f"seed of everything random (default {self.seed})")
        group = parser.add_argument_group(f"options of the {self.name} experiment")
        return tuple(group.add_argument(flag, **keywords).dest for flag, keywords in self.options.items())

    def run(self, quick: bool = False, seed: int | None = None, **options) -> xr.Dataset:
        """Run the experiment; quick mode adds the module's ``QUICK`` keywords (overridable). The Dataset's
        ``quick`` attribute records the mode (figures mark quick runs)."""
        keywords = {**(self.quick_options if quick else {}), **options}
        data = self.module.run(quick=quick, seed=self.seed if seed is None else seed, **keywords)
        data.attrs["quick"] = int(quick)
        return data

    def analyze(self, out: Path, quick: bool = False, seed: int | None = None, **options) -> Path:
        """Run and write ``out`` (netCDF), plus the module's markdown table beside it if it has one."""
        data = self.run(quick=quick, seed=seed, **options)
        out = Path(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        data = add_checksums(data)
        write_netcdf(out, data)
        if hasattr(self.module, "MARKDOWN"):
            table = self.module.MARKDOWN(data)
            write_atomically(out.with_suffix(".md"), lambda temporary: temporary.write_text(table))
        _log.info("%s -> %s", self.name, out)
        return out

    def draw(self, results: Path, out: Path) -> Path:
        """The figure of the results file ``results`` in the house style (:mod:`nsnn_sim.experiments._style`),
        written to ``out`` (a 300-dpi PNG) and as PDF and SVG beside it."""
        import matplotlib

        matplotlib.use("Agg")
        from nsnn_sim.analysis.plotting import save_figure
        from nsnn_sim.experiments import _style as style

        data = load_results(results)
        with style.context():
            figure = style.finish(self.module.figure(data), quick=bool(data.attrs.get("quick", 0)))
            return save_figure(figure, out)  # PNG at 300 dpi, PDF and SVG

    def summary(self, data: xr.Dataset) -> list[str]:
        return list(self.module.summary(data))


def load_results(path) -> xr.Dataset:
    """A results file, read into memory with its checksums verified (the file is closed afterwards)."""
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"results file {path} not found: run `nsnn-sim analyze {path.stem}` first")
    return open_checked(path)


def results_path(name: str, out=".") -> Path:
    return Path(out) / "results" / f"{name}.nc"


def figure_path(name: str, out=".") -> Path:
    return Path(out) / "figures" / "out" / f"{name}.png"


def check_module(module: ModuleType) -> ModuleType:
    """``module`` if it is an experiment module (the attributes of the module docstring); ``TypeError`` naming
    what is missing, or the ``OPTIONS`` that set a default, otherwise."""
    missing = [attribute for attribute in _REQUIRED if not hasattr(module, attribute)]
    if missing:
        raise TypeError(f"experiment module {module.__name__} lacks {missing}")
    with_default = [flag for flag, keywords in getattr(module, "OPTIONS", {}).items() if "default" in keywords]
    if with_default:
        raise TypeError(f"experiment module {module.__name__}: OPTIONS {with_default} set a default; leave it out, "
                        "so that run's own and QUICK's values apply")
    return module


@lru_cache(maxsize=1)
def registry() -> dict[str, Experiment]:
    """Every experiment module of this package, by name (module docstring), in a stable order:
    the modules' ``ORDER`` (default 100), then the name."""
    found = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_"):
            continue
        module = check_module(importlib.import_module(f"{__name__}.{info.name}"))
        found[info.name] = Experiment(info.name, module)
    return dict(sorted(found.items(), key=lambda item: (getattr(item[1].module, "ORDER", 100), item[0])))


def get(name: str) -> Experiment:
    """The experiment ``name``; ``ValueError`` naming the ones there are otherwise."""
    experiments = registry()
    if name not in experiments:
        raise ValueError(f"no experiment {name!r}; available: {sorted(experiments)}")
    return experiments[name]


def given(args, names) -> dict:
    """The experiment options ``names`` (from :meth:`Experiment.add_arguments`) that the command line gave."""
    return {name: getattr(args, name) for name in names if getattr(args, name) is not None}


def main(name: str, role: str, argv=None) -> Path:
    """The thin scripts ``analyses/NAME.py`` (``role="analyze"``) and ``figures/NAME.py``
    (``role="figure"``): parse the command line and run."""
    from nsnn_sim._core.log import enable_console

    enable_console()
    experiment = get(name)
    parser = argparse.ArgumentParser(description=experiment.about,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    if role == "analyze":
        names = experiment.add_arguments(parser)
        parser.add_argument("--out", type=Path, default=results_path(name),
                            help=f"netCDF file to write (default {results_path(name)})")
        args = parser.parse_args(argv)
        return experiment.analyze(args.out, quick=args.quick, seed=args.seed, **given(args, names))
    if role == "figure":
        parser.add_argument("--results", type=Path, default=results_path(name))
        parser.add_argument("--out", type=Path, default=figure_path(name))
        args = parser.parse_args(argv)
        return experiment.draw(args.results, args.out)
    raise ValueError(f"role={role!r} is not allowed; allowed: ('analyze', 'figure')")
