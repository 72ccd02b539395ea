"""The package version and the provenance every result records: version, git commit, dirty tree.

The version comes from git, as setuptools-scm makes it at build time: ``X.Y.Z`` on a tag ``vX.Y.Z``,
``X.Y.(Z+1).devN+gHASH`` N commits after it, ``0.1.1.devN+gHASH`` before the first tag, with
``.dYYYYMMDD`` appended when tracked files have uncommitted changes. It is looked up in this order:

1. a git checkout holding this package (a source tree or an editable install): asked of git
   itself, so the version changes with every commit without reinstalling;
2. ``nsnn_sim/_version.py``, written by setuptools-scm into wheels and sdists (with the commit and
   the dirty flag of the tree they were built from);
3. the installed distribution's metadata; else ``"0.0.0+unknown"``.

Examples
--------
>>> from nsnn_sim._core.version import provenance
>>> sorted(provenance())
['nsnn_sim_commit', 'nsnn_sim_dirty', 'nsnn_sim_version']
"""

from __future__ import annotations

import datetime
import importlib
import re
import subprocess
from functools import lru_cache
from pathlib import Path

__all__ = ["version", "commit", "dirty", "provenance"]

_ROOT = Path(__file__).resolve().parents[2]  # the checkout: nsnn_sim/_core/version.py -> ../../


def _git(*arguments: str) -> str | None:
    try:
        completed = subprocess.run(["git", "-C", str(_ROOT), *arguments], capture_output=True, text=True,
                                   timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    return completed.stdout.strip() if completed.returncode == 0 else None


@lru_cache(maxsize=1)
def _from_git() -> tuple[str, str, bool] | None:
    """``(version, commit, dirty)`` from the git checkout holding the package, or None."""
    if not (_ROOT / ".git").exists() or not (_ROOT / "pyproject.toml").exists():
        return None
    full = _git("rev-parse", "HEAD")
    if not full:
        return None
    dirty = bool(_git("status", "--porcelain", "--untracked-files=no"))
    tag = _git("describe", "--tags", "--abbrev=0", "--match", "v[0-9]*")
    parts = re.fullmatch(r"v(\d+)\.(\d+)\.(\d+)", tag or "")
    distance = int(_git("rev-list", "--count", f"{tag}..HEAD" if parts else "HEAD") or 0)
    if parts and distance == 0:
        base = tag[1:]
    elif parts:
        major, minor, patch = map(int, parts.groups())
        base = f"{major}.{minor}.{patch + 1}.dev{distance}"
    else:  # no tag yet: setuptools-scm counts from its fallback version 0.1.0
        base = f"0.1.1.dev{distance}"
    short = _git("rev-parse", "--short=9", "HEAD") or full[:9]
    local = [] if parts and distance == 0 else [f"g{short}"]
    if dirty:
        local.append(datetime.date.today().strftime("d%Y%m%d"))
    return (base + ("+" + ".".join(local) if local else "")), full, dirty


@lru_cache(maxsize=1)
def _resolve() -> tuple[str, str, bool | None]:
    found = _from_git()
    if found is not None:
        return found
    try:
        _version = importlib.import_module("nsnn_sim._version")  # written by setuptools-scm at build time
        node = str(_version.__commit__ or "unknown")
        return _version.__version__, node[1:] if node.startswith("g") else node, bool(_version.__dirty__)
    except ImportError:
        pass
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as distribution_version

    try:
        return distribution_version("nsnn_sim"), "unknown", None
    except PackageNotFoundError:
        return "0.0.0+unknown", "unknown", None


def version() -> str:
    """The package version (module docstring)."""
    return _resolve()[0]


def commit() -> str:
    """The git commit the package was run (or built) from, or ``"unknown"``."""
    return _resolve()[1]


def dirty() -> bool | None:
    """Whether tracked files differed from that commit (None when unknown)."""
    return _resolve()[2]


def provenance() -> dict:
    """The attrs every result file carries: ``nsnn_sim_version``, ``nsnn_sim_commit`` and
    ``nsnn_sim_dirty`` (1, 0, or -1 when unknown; netCDF attributes cannot be booleans)."""
    is_dirty = dirty()
    return {"nsnn_sim_version": version(), "nsnn_sim_commit": commit(),
            "nsnn_sim_dirty": -1 if is_dirty is None else int(is_dirty)}
