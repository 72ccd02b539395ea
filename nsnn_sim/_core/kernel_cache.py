"""Numba's on-disk kernel cache for the package: stale entries purged, caches kept apart per noise registry.

* Numba's cache notices edits to a kernel's own file, not to functions it inlines from other files
  (e.g. ``neurons.neuron_update`` inside the engine's kernels): :func:`purge_stale_kernel_cache`
  drops every cached kernel of the package whenever any of its sources changed since the last
  purge (a digest of the sources is kept beside the cache). The warm-up (:mod:`nsnn_sim.warmup`)
  and the test suite call it first.
* A noise family registered by another package changes the dispatch every kernel inlines
  (:mod:`nsnn_sim.simulator.noise`): its kernels are cached apart, in a folder keyed by the registry's
  fingerprint (:func:`fingerprint_cache_dir`, :func:`point_kernel_caches`).

Examples
--------
>>> from nsnn_sim._core.kernel_cache import source_digest
>>> len(source_digest())
64
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

import numba
from numba.core.caching import FunctionCache
from numba.core.registry import CPUDispatcher

__all__ = ["source_digest", "purge_stale_kernel_cache", "fingerprint_cache_dir", "package_kernels",
           "compiled_kernels", "point_kernel_caches"]

PACKAGE = Path(__file__).resolve().parents[1]  # the whole package, not only _core


def source_digest() -> str:
    """SHA-256 of every source file of the package, in path order (the version file left out: it
    changes at every install, the kernels do not)."""
    digest = hashlib.sha256()
    for source in sorted(path for path in PACKAGE.rglob("*.py") if path.name != "_version.py"):
        digest.update(source.relative_to(PACKAGE).as_posix().encode())
        digest.update(source.read_bytes())
    return digest.hexdigest()


def purge_stale_kernel_cache() -> bool:
    """Delete the package's cached kernels (``*.nbi``, ``*.nbc`` under its ``__pycache__`` folders)
    if the sources changed since the last call; returns whether it purged."""
    cache = PACKAGE / "__pycache__"
    stamp = cache / "nsnn_sources.sha256"
    digest = source_digest()
    if stamp.exists() and stamp.read_text() == digest:
        return False
    for pattern in ("*.nbi", "*.nbc"):
        for path in PACKAGE.rglob(pattern):
            path.unlink()
    cache.mkdir(exist_ok=True)
    stamp.write_text(digest)
    return True


def fingerprint_cache_dir(default: str, fingerprint: str) -> str:
    """The cache folder of a registry with this ``fingerprint``: below ``default`` (``NUMBA_CACHE_DIR``)
    if set, else below ``$XDG_CACHE_HOME`` (or ``~/.cache``)/nsnn_sim."""
    if default:
        return os.path.join(default, f"nsnn_sim-noise-{fingerprint[:16]}")
    root = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(root, "nsnn_sim", f"numba-noise-{fingerprint[:16]}")


def package_kernels():
    """``(qualified name, dispatcher)`` of every Numba function of the loaded nsnn_sim modules."""
    for module_name, module in list(sys.modules.items()):
        if module_name == "nsnn_sim" or module_name.startswith("nsnn_sim."):
            for attribute, value in list(vars(module).items()):
                if isinstance(value, CPUDispatcher):
                    yield f"{module_name}.{attribute}", value


def compiled_kernels() -> list[str]:
    return [name for name, dispatcher in package_kernels() if dispatcher.overloads]


def point_kernel_caches(cache_dir: str) -> None:
    """Point Numba's cache at ``cache_dir``, for kernels decorated from now on
    (``numba.config.CACHE_DIR``) and for the package's cached kernels decorated so far (their cache
    locator is chosen at decoration: ``enable_caching`` chooses it again)."""
    numba.config.CACHE_DIR = cache_dir
    for _, dispatcher in package_kernels():
        if isinstance(dispatcher._cache, FunctionCache):  # decorated with cache=True
            dispatcher.enable_caching()
