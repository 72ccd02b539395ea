"""Optional dependencies: each bridge to another package is an extra of ``pip install nsnn_sim[...]``.

==========  ==========================  ==============================================
extra       packages                    needed by
==========  ==========================  ==============================================
``brian2``  brian2 (and numpy < 2.4)    :mod:`nsnn_sim.interop.brian2`, the Brian2 cross-validation
``sweep``   dask.distributed            :mod:`nsnn_sim.sweep`
``neo``     neo, quantities, elephant   Neo / Elephant import and export
``nwb``     pynwb                       NWB files
``learn``   scikit-learn                the digits data set of :mod:`nsnn_sim.learn`
``all``     all of the above
==========  ==========================  ==============================================

The core (simulate, statistics, coding, theory, the learner, figures) needs none of them.

Examples
--------
>>> from nsnn_sim._core.extras import require
>>> require("math", "sweep").__name__
'math'
"""

from __future__ import annotations

import importlib
from types import ModuleType

__all__ = ["require"]


def require(module: str, extra: str) -> ModuleType:
    """Import ``module`` or raise one clear ``ImportError`` naming the extra that installs it."""
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise ImportError(f"this part of nsnn_sim needs the optional package {module.split('.')[0]!r}: "
                          f"pip install 'nsnn_sim[{extra}]' (or nsnn_sim[all])") from error
