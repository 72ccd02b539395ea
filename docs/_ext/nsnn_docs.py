"""Sphinx extension of the nsnn_sim documentation: pages generated from the package itself.

At ``builder-inited`` it writes, under ``docs/_generated/`` (not kept in git):

* ``api/MODULE.rst`` for every public module of nsnn_sim (found by walking the package, so a module
  added later gets its page): the module docstring and an autosummary of every public name
  (:func:`public_names`); a name defined in another public module links to its page there.
* ``tutorials/NAME.rst`` for every experiment of :func:`nsnn_sim.experiments.registry`: the module
  docstring, how to run it, the figure and key numbers of the quick run made for this build (the
  folder in the environment variable ``NSNN_DOCS_QUICK``, written by ``nsnn-sim reproduce --quick
  --out DIR``, which ``make docs`` runs first), the paper-scale figure ``docs/figures/NAME.png`` when
  there is one, and the code of its ``run`` and ``figure``.

At ``env-check-consistency`` it warns (an error under ``-W``) for every public name that the build
did not document, so the API reference cannot silently miss one.
"""

from __future__ import annotations

import importlib
import inspect
import os
import pkgutil
import re
import shutil
import types
from pathlib import Path

PACKAGE = "nsnn_sim"
QUICK_ENV = "NSNN_DOCS_QUICK"
DOCS = Path(__file__).resolve().parents[1]
GENERATED = DOCS / "_generated"


def is_private(module_name: str) -> bool:
    """A module is private when any part of its dotted name after the package starts with ``_``
    (``nsnn_sim.analysis._common``, ``nsnn_sim._version``, ``__main__``)."""
    return any(part.startswith("_") for part in module_name.split(".")[1:])


def public_modules() -> list[str]:
    """Every public module of the package, the package first, in dotted-name order."""
    package = importlib.import_module(PACKAGE)
    names = [info.name for info in pkgutil.walk_packages(package.__path__, PACKAGE + ".")
             if not is_private(info.name)]
    return [PACKAGE, *sorted(names)]


def public_names(module: types.ModuleType) -> list[str]:
    """The public names of ``module``: its ``__all__``, or, without one, every function and class
    it defines whose name does not start with ``_``."""
    if hasattr(module, "__all__"):
        return list(module.__all__)
    return [name for name, value in vars(module).items()
            if not name.startswith("_") and (inspect.isclass(value) or callable(value))
            and getattr(value, "__module__", None) == module.__name__]


def home(module: types.ModuleType, name: str) -> str:
    """The dotted name under which ``module.name`` is documented: a function or class defined in
    another public module that lists it is documented there, everything else in ``module``."""
    value = getattr(module, name)
    if isinstance(value, types.ModuleType):
        return value.__name__
    if inspect.isclass(value) or callable(value):
        owner = getattr(value, "__module__", None)
        if owner and owner != module.__name__ and owner.startswith(PACKAGE) and not is_private(owner):
            defining = importlib.import_module(owner)
            if name in public_names(defining):
                return f"{owner}.{name}"
    return f"{module.__name__}.{name}"


def _title(text: str, underline: str = "=") -> list[str]:
    return [text, underline * len(text), ""]


def api_page(module_name: str) -> str:
    """The reStructuredText of the API page of one module."""
    module = importlib.import_module(module_name)
    own, elsewhere, submodules = [], [], []
    for name in public_names(module):
        target = home(module, name)
        if isinstance(getattr(module, name), types.ModuleType):
            submodules.append(target)
        elif target == f"{module_name}.{name}":
            own.append(name)
        else:
            elsewhere.append((name, target))
    lines = _title(f"``{module_name}``") + [f".. automodule:: {module_name}", "",
                                            f".. currentmodule:: {module_name}", ""]
    if own:
        lines += [".. autosummary::", "   :toctree: generated", "", *[f"   {name}" for name in own], ""]
    if elsewhere:
        lines += ["Also here, documented where they are defined:", ""]
        lines += [f"* :py:obj:`{name} <{target}>`" for name, target in elsewhere] + [""]
    if submodules:
        lines += ["Modules: " + ", ".join(f":py:mod:`{target}`" for target in submodules), ""]
    return "\n".join(lines)


def documented_names() -> dict[str, str]:
    """Every public name of every public module (``module.name``) and where it is documented."""
    names = {}
    for module_name in public_modules():
        module = importlib.import_module(module_name)
        for name in public_names(module):
            names[f"{module_name}.{name}"] = home(module, name)
    return names


def _quick_timings(report: Path) -> dict[str, str]:
    """Each experiment's quick-mode time, from the ``REPORT.md`` that ``reproduce`` wrote."""
    timings, current = {}, None
    for line in report.read_text().splitlines() if report.exists() else []:
        if line.startswith("## "):
            current = line[3:].strip()
        match = re.search(r"\((\d+) s\)$", line)
        if current and line.startswith("Command:") and match:
            timings[current] = match.group(1)
    return timings


def tutorial_page(name: str, experiment, quick_dir: Path | None, warn) -> str:
    """The reStructuredText of the tutorial page of one experiment."""
    from nsnn_sim.experiments import figure_path, load_results, results_path

    module = experiment.module
    source = Path(inspect.getsourcefile(module)).resolve()
    lines = _title(f"{name}: {experiment.description}")
    lines += [f".. automodule:: {module.__name__}", "   :no-index:", ""]
    lines += _title("Run it", "-") + [
        ".. code-block:: sh", "",
        f"   nsnn-sim analyze {name} --quick     # results/{name}.nc (drop --quick for the paper-scale run)",
        f"   nsnn-sim figures                   # figures/out/{name}.png", "",
        "or from Python:", "", ".. code-block:: python", "",
        "   from nsnn_sim.experiments import get",
        f"   experiment = get({name!r})",
        "   data = experiment.run(quick=True)           # an xarray.Dataset with provenance attrs",
        "   fig = experiment.module.figure(data)",
        "   print(\"\\n\".join(experiment.summary(data)))", ""]
    missing = experiment.missing_extras
    if missing:
        lines += [f"It needs the extra ``{missing[0]}`` (``pip install 'nsnn_sim[{missing[0]}]'``).", ""]
    lines += _title("Quick mode, run for this build", "-")
    if quick_dir is None:
        lines += [f"This build ran no experiment (``{QUICK_ENV}`` unset); ``make docs`` runs them all.", ""]
    else:
        results, picture = results_path(name, quick_dir), figure_path(name, quick_dir)
        if not results.exists() or not picture.exists():
            warn(f"{name}: no quick-mode results or figure under {quick_dir} (run `nsnn-sim reproduce --quick "
                 f"--out {quick_dir}`)")
            lines += ["The quick run of this experiment is missing from this build.", ""]
        else:
            copy = GENERATED / "quick" / f"{name}.png"
            copy.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(picture, copy)
            seconds = _quick_timings(Path(quick_dir) / "figures" / "REPORT.md").get(name)
            took = f" (analysis and figure took {seconds} s on the build machine)" if seconds else ""
            lines += [f"``nsnn-sim reproduce --quick`` for this build{took}:", "",
                      f".. image:: /_generated/quick/{name}.png", f"   :alt: {name}, quick mode", "",
                      "Key numbers of the quick run:", ""]
            lines += [f"* {_literal(line)}" for line in experiment.summary(load_results(results))] + [""]
    paper = DOCS / "figures" / f"{name}.png"
    if paper.exists():
        lines += _title("Paper scale", "-") + [
            f"``nsnn-sim analyze {name}`` then ``nsnn-sim figures`` (``make figures-full``); key numbers in "
            "``docs/REPORT.md``:", "", f".. image:: /figures/{name}.png", f"   :alt: {name}, paper scale", ""]
    lines += _title("The code", "-")
    for function in ("run", "figure"):
        lines += [f"``{function}`` (``{module.__name__}.{function}``):", "",
                  f".. literalinclude:: {os.path.relpath(source, GENERATED / 'tutorials')}",
                  f"   :pyobject: {function}", "   :language: python", ""]
    return "\n".join(lines)


def _literal(line: str) -> str:
    """A summary line as reStructuredText: backquoted code stays code, other markup characters are escaped."""
    parts = line.split("`")
    out = []
    for index, part in enumerate(parts):
        if index % 2 and index < len(parts) - 1:
            out.append(f"``{part}``")
        else:
            out.append(re.sub(r"([*_|\\])", r"\\\1", part))
    return "".join(out)


def write_pages(app=None) -> dict[str, str]:
    """Write every generated page (replacing the old ones); ``{relative path: text}``."""
    from nsnn_sim.experiments import registry

    def warn(message):
        if app is None:
            raise RuntimeError(message)
        from sphinx.util import logging

        logging.getLogger(__name__).warning(message)

    quick = os.environ.get(QUICK_ENV)
    quick_dir = Path(quick).resolve() if quick else None
    pages = {f"api/{name}.rst": api_page(name) for name in public_modules()}
    pages["api/index.rst"] = "\n".join(
        _title("API reference") + ["Every public module of nsnn_sim, each with every public name: its ``__all__`` "
                                   "(or, without one, every function and class it defines).", "",
                                   ".. toctree::", "   :maxdepth: 1", "",
                                   *[f"   {name}" for name in public_modules()], ""])
    experiments = registry()
    pages.update({f"tutorials/{name}.rst": tutorial_page(name, experiment, quick_dir, warn)
                  for name, experiment in experiments.items()})
    pages["tutorials/index.rst"] = "\n".join(
        _title("Tutorials: the experiments") + [
            "One page per experiment of :mod:`nsnn_sim.experiments` (generated from its registry), each with its "
            "figure from a quick run made when these pages were built.", "",
            ".. toctree::", "   :maxdepth: 1", "", *[f"   {name}" for name in experiments], ""])
    for folder in ("api", "tutorials"):
        shutil.rmtree(GENERATED / folder, ignore_errors=True)
    for relative, text in pages.items():
        path = GENERATED / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    if app is not None:  # Sphinx listed the source files before this event: list them again, with the new pages,
        app.env.find_files(app.config, app.builder)  # so that autosummary (next) writes their stubs on a first build
    return pages


def _check_coverage(app, env):
    """Warn for every public name that no page of this build documents."""
    from sphinx.util import logging

    documented = set(env.get_domain("py").objects)
    for public, target in documented_names().items():
        if target not in documented:
            logging.getLogger(__name__).warning(f"public name {public} ({target}) is not in the API reference")


def _drop_type_docstring(app, what, name, obj, options, lines):
    """A constant without a docstring of its own would show its type's (``str``, ``numpy.ndarray``): drop it."""
    if what in ("data", "attribute") and lines and not inspect.isclass(obj) and not callable(obj):
        own = type(obj).__doc__
        if isinstance(own, str) and inspect.cleandoc(own).splitlines()[:1] == lines[:1]:
            lines[:] = [f"A constant ({type(obj).__name__})."]


def setup(app):
    app.connect("autodoc-process-docstring", _drop_type_docstring, priority=400)  # before numpydoc rewrites it
    app.connect("builder-inited", write_pages, priority=400)  # before autosummary writes its stubs (500)
    app.connect("env-check-consistency", _check_coverage)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
