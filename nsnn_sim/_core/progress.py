"""Progress bars (tqdm) for long runs: simulations, sweeps, training.

A bar is shown when asked (``progress=True``), never with ``progress=False``, and by default
(``progress=None``) when the run is predicted to take more than :data:`AUTO_SECONDS` — except under
continuous integration (the environment variable ``CI`` set) or with ``NSNN_SIM_PROGRESS=0``.

Examples
--------
>>> from nsnn_sim._core.progress import progress_enabled
>>> progress_enabled(False, predicted_seconds=100.0)
False
"""

from __future__ import annotations

import os

from nsnn_sim._core.messages import describe

__all__ = ["AUTO_SECONDS", "progress_enabled", "progress_bar"]

AUTO_SECONDS = 2.0


def progress_enabled(requested: bool | None, predicted_seconds: float = 0.0) -> bool:
    """Whether to show a bar: ``requested`` if True or False; if None, when the run is predicted to
    take more than :data:`AUTO_SECONDS` and neither ``CI`` nor ``NSNN_SIM_PROGRESS=0`` is set."""
    if requested is not None:
        if not isinstance(requested, (bool, type(None))):
            raise TypeError(f"progress must be True, False or None, got {describe(requested)}")
        return bool(requested)
    if os.environ.get("CI") or os.environ.get("NSNN_SIM_PROGRESS", "1") == "0":
        return False
    return predicted_seconds > AUTO_SECONDS


def progress_bar(total: int, enabled: bool, desc: str, unit: str, initial: int = 0):
    """A tqdm bar over ``total`` items (a silent one, same methods, when not ``enabled``)."""
    from tqdm.auto import tqdm

    return tqdm(total=total, initial=initial, desc=desc, unit=unit, disable=not enabled, leave=False)
