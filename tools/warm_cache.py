"""A warm Numba cache for the mutants whose edit no compiled kernel can see (``tools/mutation.py``).

A mutant in a fresh, empty ``NUMBA_CACHE_DIR`` recompiles every kernel its tests touch (10-60 s each).
Most mutants cannot change any compiled kernel: this module decides which, and gives those a copy of a
cache warmed once per run on the unmutated package.

When can a cached kernel be stale? Numba (0.6x) keys a kernel's cache entry on the *content* (a SHA-256)
of the kernel's own source file, the bytecode of its own function and its argument types. It does not
see (a) the njit functions it calls or inlines from other files, nor (b) the values of the globals it
read at compile time (frozen into the machine code). So a mutant of module ``M`` can make the cached
kernels of a module ``G`` stale only if ``G`` can reach an object of ``M``: ``G`` imports ``M``, directly
or through other modules (:func:`importers`, over every ``import`` of the package, function-level ones
included). And it can do so only if ``M`` holds kernels (:func:`kernel_modules`: a module importing
``numba`` and naming one of its compilers) or a function of ``M`` can set a global before a kernel
compiles: one that runs while the package is imported (traced by :func:`import_time_functions`) or
assigns a ``global``. No other function
of a pure-Python module can reach compiled code: a kernel cannot call it, and the mutator never edits
module-level code (:mod:`mutation`).

:func:`stale_modules` gives, for a mutated function, every module whose cached kernels are dropped from the
mutant's copy of the warm cache (the module itself and all its importers; empty for a function of a pure-Python
module that runs only when called); the kernels in ``tests/`` are dropped with any non-empty set.
:func:`copy_warm_cache` hard-links the warm cache into the mutant's own folder without those files,
renaming Numba's per-folder subdirectories (named from a hash of the source folder's absolute path) from
the warm build's tree to the mutant's tree. Numba replaces cache files (write then ``os.replace``), never
rewrites them in place, so a hard-linked warm file is never changed by a mutant's run.

The package's own purge (:func:`nsnn_sim._core.kernel_cache.purge_stale_kernel_cache`, run by the test
suite's conftest) deletes ``*.nbi`` / ``*.nbc`` files under the package's ``__pycache__`` folders; with
``NUMBA_CACHE_DIR`` set Numba writes none there, so it never touches a warm or mutant cache.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = "nsnn_sim"
# numba's compiling decorators and functions: a module naming one (and importing numba) may hold kernels
_COMPILERS = {"njit", "jit", "vectorize", "guvectorize", "cfunc", "overload", "overload_method", "generated_jit",
              "stencil", "jitclass", "intrinsic"}


def module_files(root: Path = ROOT) -> dict[str, Path]:
    """Every module of the package, named as in :mod:`mutation` (``"simulator/engine"``; a package's
    ``__init__`` as ``"simulator/__init__"``)."""
    base = root / PACKAGE
    return {path.relative_to(base).with_suffix("").as_posix(): path for path in sorted(base.rglob("*.py"))}


def _dotted(module: str) -> str:
    name = f"{PACKAGE}.{module.replace('/', '.')}"
    return name.removesuffix(".__init__") if module.endswith("__init__") else name


def _imported(module: str, tree: ast.AST, known: dict[str, str]) -> tuple[set[str], bool]:
    """(the package modules ``module`` imports anywhere in its source, whether it imports numba)."""
    found, numba = set(), False
    package = _dotted(module) if module.endswith("__init__") else _dotted(module).rsplit(".", 1)[0]

    def add(name: str) -> None:
        parts = name.split(".")
        for end in range(1, len(parts) + 1):  # importing a.b.c runs a, a.b and a.b.c
            if ".".join(parts[:end]) in known:
                found.add(known[".".join(parts[:end])])

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                numba |= alias.name.split(".")[0] == "numba"
                add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            name = node.module or ""
            if node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                name = ".".join(base + ([name] if name else []))
            numba |= name.split(".")[0] == "numba"
            add(name)
            for alias in node.names:  # "from package import module"
                add(f"{name}.{alias.name}")
    return found - {module}, numba


@lru_cache(maxsize=None)
def _graph(root: Path = ROOT) -> tuple[dict[str, frozenset[str]], frozenset[str], frozenset[str]]:
    files = module_files(root)
    known = {_dotted(module): module for module in files}
    edges, kernels, globals_ = {}, set(), set()
    for module, path in files.items():
        tree = ast.parse(path.read_bytes())
        edges[module], numba = _imported(module, tree, known)
        if numba and any(getattr(node, "id", getattr(node, "attr", None)) in _COMPILERS for node in ast.walk(tree)):
            kernels.add(module)
        if any(isinstance(node, ast.Global) for node in ast.walk(tree)):
            globals_.add(module)
    return ({module: frozenset(value) for module, value in edges.items()}, frozenset(kernels),
            frozenset(globals_))


def kernel_modules(root: Path = ROOT) -> frozenset[str]:
    """The modules that may hold compiled (and cached) kernels: they import numba and name one of its
    compilers (:data:`_COMPILERS`, as a decorator or a call)."""
    return _graph(root)[1]


def importers(module: str, root: Path = ROOT) -> set[str]:
    """Every module that imports ``module``, directly or through other modules of the package."""
    edges = _graph(root)[0]
    found, frontier = set(), {module}
    while frontier:
        frontier = {other for other, targets in edges.items() if targets & frontier} - found - {module}
        found |= frontier
    return found


_TRACE = """
import importlib, inspect, json, pkgutil, sys
ran = {}
def profile(frame, event, arg):
    code = frame.f_code
    if event == "call" and code.co_flags & inspect.CO_NEWLOCALS and "/nsnn_sim/" in code.co_filename:
        module = code.co_filename.split("/nsnn_sim/", 1)[1].removesuffix(".py")
        ran.setdefault(module, set()).add(code.co_name)
sys.setprofile(profile)
import nsnn_sim
for info in pkgutil.walk_packages(nsnn_sim.__path__, "nsnn_sim."):
    if not info.name.endswith("__main__"):
        importlib.import_module(info.name)
sys.setprofile(None)
print(json.dumps({module: sorted(names) for module, names in ran.items()}))
"""


def import_time_functions(python: str, root: Path = ROOT) -> dict[str, frozenset[str]]:
    """The names of the functions (and comprehensions) of each module that run while every module of the
    package is imported, from a profile of a fresh interpreter; a module with a ``global`` statement counts
    as if all its functions did (``"*"``). Such a function can set a value that a kernel reads as a global."""
    env = dict(os.environ, PYTHONPATH=str(root))
    run = subprocess.run([python, "-c", _TRACE], env=env, cwd=root, capture_output=True, text=True, check=True)
    ran = {module: frozenset(names) for module, names in json.loads(run.stdout.strip().splitlines()[-1]).items()}
    return {**ran, **{module: frozenset({"*"}) for module in _graph(root)[2]}}


def stale_modules(module: str, function: str, import_time: dict[str, frozenset[str]],
                  root: Path = ROOT) -> frozenset[str]:
    """The modules whose cached kernels a mutant of ``function`` (dotted for a nested one) in ``module`` can
    make stale (see the module docstring): ``module`` and all its importers if ``module`` holds kernels or
    the function (or a function around it) runs at import, else none."""
    ran = import_time.get(module, frozenset())
    if module not in kernel_modules(root) and "*" not in ran and not set(function.split(".")) & ran:
        return frozenset()
    return frozenset({module} | importers(module, root))


def cache_subdir(directory: str) -> str:
    """Numba's subfolder of ``NUMBA_CACHE_DIR`` for the kernels of the source files in ``directory``
    (``_UserProvidedCacheLocator.get_suitable_cache_subpath``: the folder's name and a SHA-1 of its
    absolute path)."""
    path = os.path.abspath(directory)
    return f"{os.path.basename(path)}_{hashlib.sha1(path.encode()).hexdigest()}"


def _source_folders(tree: Path) -> list[Path]:
    return sorted({path.parent for name in (PACKAGE, "tests") for path in (tree / name).rglob("*.py")})


def copy_warm_cache(warm: Path, warm_tree: Path, tree: Path, destination: Path, stale: frozenset[str]) -> int:
    """Hard-link the warm cache ``warm`` (built on the copy ``warm_tree``) into ``destination`` for the copy
    ``tree``, leaving out the kernels of the ``stale`` modules (and of ``tests/`` when any); returns the
    number of files left out."""
    renamed = {cache_subdir(str(folder)): cache_subdir(str(tree / folder.relative_to(warm_tree)))
               for folder in _source_folders(warm_tree)}
    dropped_folders = {cache_subdir(str(warm_tree / "tests"))} if stale else set()
    dropped = {(cache_subdir(str((warm_tree / PACKAGE / module).parent)), Path(module).name + ".")
               for module in stale}
    left_out = 0
    destination.mkdir(parents=True, exist_ok=True)
    for folder, _, files in os.walk(warm):
        relative = Path(folder).relative_to(warm)
        target = destination.joinpath(*(renamed.get(part, part) for part in relative.parts))
        target.mkdir(parents=True, exist_ok=True)
        for name in files:
            here = relative.name
            if here in dropped_folders or any(here == subdir and name.startswith(stem) for subdir, stem in dropped):
                left_out += 1
                continue
            os.link(Path(folder) / name, target / name)
    return left_out


def remove(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)
