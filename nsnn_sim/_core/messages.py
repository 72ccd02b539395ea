"""How values are shown in error messages: short, never raising, plain Python numbers (no ``np.int64(0)``).

Examples
--------
>>> import numpy as np
>>> from nsnn_sim._core.messages import describe
>>> describe(np.int64(3)), describe(np.arange(5.0))
('3', 'array(shape=(5,), min=0, max=4)')
"""

from __future__ import annotations

import numpy as np

__all__ = ["describe"]


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
