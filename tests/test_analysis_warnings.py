"""The statistics' warnings point at the caller's line: a statistic undefined everywhere (NaN) warns once, attributed
to the code that called the public function, not to a module of the package."""

import numpy as np
import pytest

from nsnn_sim import SpikeTrains
from nsnn_sim.analysis import stats


def test_a_statistic_undefined_everywhere_warns_at_the_callers_line():
    silent = SpikeTrains(np.zeros(0, int), np.zeros(0, int), np.zeros(0, int), dt=1e-3, n_trials=2, n_neurons=3,
                         n_steps=100)
    with pytest.warns(RuntimeWarning, match="isi_cv is undefined \\(NaN\\) everywhere") as caught:
        cv = stats.isi_cv(silent)
    assert np.all(np.isnan(cv.values)) and len(caught) == 1
    assert caught[0].filename == __file__
