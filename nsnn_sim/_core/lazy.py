"""Subpackages and modules as attributes imported on first use (PEP 562), so ``import nsnn_sim`` stays fast.

Examples
--------
>>> import types
>>> from nsnn_sim._core.lazy import lazy_attributes
>>> getattr_, dir_ = lazy_attributes("nsnn_sim.analysis", {"stats": "nsnn_sim.analysis.stats"}, {})
>>> getattr_("stats").__name__
'nsnn_sim.analysis.stats'
"""

from __future__ import annotations

import importlib

__all__ = ["lazy_attributes"]


def lazy_attributes(package: str, modules, namespace: dict):
    """``(__getattr__, __dir__)`` for ``package``: attribute ``name`` imports ``modules[name]`` on first access
    and keeps it in ``namespace`` (the package's globals), so the next access is a plain lookup. ``modules`` is
    a dict of attribute -> module, or a sequence of the package's own submodule names."""
    if not isinstance(modules, dict):
        modules = {name: f"{package}.{name}" for name in modules}

    def __getattr__(name: str):
        if name in modules:
            module = importlib.import_module(modules[name])
            namespace[name] = module
            return module
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__():
        return sorted(set(namespace) | set(modules))

    return __getattr__, __dir__
