"""The package's layout is its architecture: layers import downwards only, no import circles, a docstring in
every subpackage, and ``import nsnn_sim as ns`` exposes every public subpackage quickly."""

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "nsnn_sim"

# lowest first; a module may import modules of its own layer or of layers below it
LAYERS = [
    {"nsnn_sim._core", "nsnn_sim._version"},
    {"nsnn_sim.spikes"},
    {"nsnn_sim.simulator"},
    {"nsnn_sim.theory", "nsnn_sim.analysis", "nsnn_sim.coding"},
    {"nsnn_sim.interop", "nsnn_sim.learn", "nsnn_sim.fit"},
    {"nsnn_sim.experiments", "nsnn_sim"},  # the face (``import nsnn_sim as ns``) serves the experiments
    {"nsnn_sim.sweep", "nsnn_sim.reproduce", "nsnn_sim.warmup", "nsnn_sim.cli", "nsnn_sim.__main__"},
]
# data types whose methods may delegate to a plug-in of a higher layer when called (as xarray's
# Dataset.to_netcdf imports its backend): (module of the data type, package of the plug-ins)
DELEGATING = {("nsnn_sim.spikes", "nsnn_sim.interop"), ("nsnn_sim.simulator.results", "nsnn_sim.interop"),
              ("nsnn_sim.simulator.results", "nsnn_sim.simulator.neurons")}
PUBLIC_SUBPACKAGES = ["simulator", "theory", "analysis", "coding", "interop", "learn", "fit", "experiments",
                      "sweep", "stats", "noise"]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path):
    """(imported module, deferred?, inside a class method?) for every nsnn_sim import of a file."""
    found = []

    def visit(node, in_function, in_class_method):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.ImportFrom) and child.module and child.module.startswith("nsnn_sim"):
                found.append((child.module, in_function, in_class_method))
                found.extend((f"{child.module}.{alias.name}", in_function, in_class_method) for alias in child.names)
            elif isinstance(child, ast.Import):
                found.extend((alias.name, in_function, in_class_method) for alias in child.names
                             if alias.name.startswith("nsnn_sim"))
            else:
                is_function = isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
                visit(child, in_function or is_function,
                      in_class_method or (is_function and isinstance(node, ast.ClassDef)))

    visit(ast.parse(path.read_text()), False, False)
    return found


def graph(deferred: bool):
    """module -> imported modules of the package (parent packages importing their children left out)."""
    files = {module_name(path): path for path in PACKAGE.rglob("*.py")}
    edges = {}
    for name, path in files.items():
        targets = set()
        for target, in_function, in_method in imports(path):
            if target not in files or target == name or target.startswith(name + "."):
                continue
            if in_function and not deferred:
                continue
            if in_method and any(name == owner and target.startswith(plugin) for owner, plugin in DELEGATING):
                continue
            targets.add(target)
        edges[name] = targets
    return edges


def layer(name: str) -> int:
    best = max((prefix for group in LAYERS for prefix in group if name == prefix or name.startswith(prefix + ".")),
               key=len)
    return next(index for index, group in enumerate(LAYERS) if best in group)


def strongly_connected(edges):
    index, low, stack, on_stack, found, counter = {}, {}, [], set(), [], [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.add(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


@pytest.mark.parametrize("deferred", [False, True], ids=["import-time", "deferred-too"])
def test_there_are_no_import_circles(deferred):
    """None at import time; none among imports inside functions either, except a data type's method
    delegating to a plug-in (``SpikeTrains.to_neo`` -> ``nsnn_sim.interop.neo``)."""
    assert strongly_connected(graph(deferred)) == []


def test_every_import_points_to_the_same_or_a_lower_layer():
    upward = [(source, target) for source, targets in graph(deferred=True).items() for target in targets
              if layer(target) > layer(source)]
    assert upward == []


def test_the_layer_test_sees_an_upward_import():
    """The check above has teeth: the engine importing the analysis layer would be upward."""
    assert layer("nsnn_sim.analysis.stats") > layer("nsnn_sim.simulator.engine")
    assert layer("nsnn_sim._core.validation") < layer("nsnn_sim.spikes") < layer("nsnn_sim.simulator.noise")
    assert strongly_connected({"a": {"b"}, "b": {"a"}, "c": set()}) == [["a", "b"]]


def test_every_subpackage_says_what_lives_there():
    for init in PACKAGE.rglob("__init__.py"):
        docstring = ast.get_docstring(ast.parse(init.read_text()))
        assert docstring and len(docstring.split()) >= 8, init


def test_import_nsnn_sim_exposes_every_public_subpackage_and_stays_fast():
    """In a fresh interpreter: ``ns.<subpackage>`` works without importing it first, and the import itself
    takes under 1.5 s of CPU time (numpy, scipy, numba and xarray included; the subpackages load lazily)."""
    script = (
        "import time; start = time.process_time(); import nsnn_sim as ns; took = time.process_time() - start\n"
        "import sys; lazy = [name for name in ns._LAZY if ns.__name__ + '.' + name in sys.modules]\n"
        f"names = {PUBLIC_SUBPACKAGES!r}\n"
        "modules = [getattr(ns, name).__name__ for name in names]\n"
        "print(took); print(','.join(modules))\n")
    output = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True).stdout
    took, modules = output.split("\n")[:2]
    assert float(took) < 1.5
    assert modules.split(",") == ["nsnn_sim.simulator", "nsnn_sim.theory", "nsnn_sim.analysis", "nsnn_sim.coding",
                                  "nsnn_sim.interop", "nsnn_sim.learn", "nsnn_sim.fit", "nsnn_sim.experiments",
                                  "nsnn_sim.sweep", "nsnn_sim.analysis.stats", "nsnn_sim.simulator.noise"]
