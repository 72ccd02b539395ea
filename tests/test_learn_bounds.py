"""The learner's kernels stay inside their arrays: the tests of the layers with state run again with Numba's
bounds checks compiled in.

The kernels are compiled without bounds checks for speed, so an index past the end of an array reads or writes
whatever memory lies there instead of raising: a work array one element short, or an empty stand-in array whose
shape says "present", can pass every exact test when that memory happens to hold zeros or is read back unchanged.
With ``NUMBA_BOUNDSCHECK=1`` every such access raises ``IndexError``. The run compiles its own bounds-checked
kernels into a temporary cache (the flag is not part of Numba's cache key, so the project's cache is left alone):
about a minute, hence ``slow``.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import nsnn_sim

ROOT = Path(nsnn_sim.__file__).resolve().parents[1]


@pytest.mark.slow  # about 50 s on an idle core: the learner's kernels compile with bounds checks
def test_the_learner_kernels_make_no_out_of_bounds_access(tmp_path):
    environment = {**os.environ, "NUMBA_BOUNDSCHECK": "1", "NUMBA_CACHE_DIR": str(tmp_path / "numba_cache"),
                   "PYTHONPATH": str(ROOT)}
    run = subprocess.run([sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", "-m", "not slow",
                          str(ROOT / "tests" / "test_learn_state.py")],
                         cwd=ROOT, env=environment, capture_output=True, text=True, timeout=900)
    assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-2000:]
