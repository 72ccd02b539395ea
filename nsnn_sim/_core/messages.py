"""How values are shown in error messages: short, never raising, plain Python numbers (no ``np.int64(0)``);
and where a warning points: at the user's call, not inside the package.

Examples
--------
>>> import numpy as np
>>> from nsnn_sim._core.messages import describe
>>> describe(np.int64(3)), describe(np.arange(5.0))
('3', 'array(shape=(5,), min=0, max=4)')
"""

from __future__ import annotations

import sys
import warnings

import numpy as np

__all__ = ["describe", "warn_at_caller"]


def describe(value) -> str:
    """A short rendering of a scalar or array for error messages (never raises)."""
    try:
        array = np.asarray(value)
    except Exception:  # noqa: BLE001 - a message must never fail
        return repr(value)
    if array.ndim == 0:
        return repr(array.item()) if array.dtype.kind in "biufc" else repr(value)
    if array.size == 0 or array.dtype.kind not in "iuf":
        return f"array(shape={array.shape}, dtype={array.dtype})"
    finite = array[np.isfinite(array)]
    if finite.size == 0:
        return f"array(shape={array.shape}, no finite values)"
    extra = "" if finite.size == array.size else f", {array.size - finite.size} non-finite"
    return f"array(shape={array.shape}, min={finite.min():g}, max={finite.max():g}{extra})"


def warn_at_caller(message: str, category: type[Warning] = UserWarning) -> None:
    """Warn, attributing the warning to the first frame outside nsnn_sim (the user's call).

    Python's default filter then shows it once per calling line and message, however deep inside the
    package it was raised.
    """
    frame, level = sys._getframe(1), 2
    while frame is not None and frame.f_globals.get("__name__", "").partition(".")[0] == "nsnn_sim":
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level)
