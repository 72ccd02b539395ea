"""The GIF recovery study (benchmarks/gif_recovery.py) at its full size: 60 data sets simulated by the simulator's
linear state, 4 neurons each, about 450 training spikes per neuron; fitted (a) from spikes alone and (b) with the
recorded voltage (Pozzorini's two steps). Run with ``pytest -m slow tests/test_fit_gif_slow.py`` (about 12 minutes
on 2 loaded cores); the script prints the table.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "gif_recovery.py"


@pytest.fixture(scope="module")
def study(tmp_path_factory):
    out = tmp_path_factory.mktemp("gif_recovery")
    completed = subprocess.run([sys.executable, str(SCRIPT), "--datasets", "60", "--neurons", "4", "--out", str(out)],
                               capture_output=True, text=True, timeout=3600)
    assert completed.returncode == 0, completed.stderr[-3000:]
    print(completed.stdout)
    return json.loads((out / "gif_recovery.json").read_text())


@pytest.mark.slow
def test_every_identifiable_parameter_has_honest_wald_statistics(study):
    """Per mode and parameter, over the 240 neurons: the mean z within 4 SE of 0 (SE = SD/sqrt(n), about 0.065:
    detects a bias of (4 + 1.28) SE = 0.34 SD nine times in ten), the SD of z in [0.8, 1.25] (its own SE is about
    1/sqrt(2n) = 0.046), the 95 % Wald interval covering 90-99 % (binomial SE 1.4 %); every fit converged or was
    counted as singular, and at most 1 % singular."""
    parameters = study["parameters"]
    assert {key.split(":")[0] for key in parameters} == {"spikes", "voltage"}
    assert len(parameters) == 7 + 8  # (a) w (2), b, 2 jumps, tau, log rho_0; (b) w (2), b, 2 jumps, theta, tau, delta_u
    for key, row in parameters.items():
        assert abs(row["mean"]) < 4 * row["se_mean"], (key, row)
        assert 0.8 <= row["sd"] <= 1.25, (key, row)
        assert 0.90 <= row["coverage"] <= 0.99, (key, row)
    for mode in ("spikes", "voltage"):
        assert study["singular"][mode] <= 0.01 * 240, study["singular"]


@pytest.mark.slow
def test_gif_beats_the_lif_on_held_out_data_only_where_there_is_adaptation(study):
    """Held-out bits per spike, GIF minus LIF escape (hazard) per neuron, pooled over 240 neurons: more than 4 SE
    above 0 on data with adaptation, not more than 4 SE above 0 on data without."""
    adapting, plain = study["gain_adapting"], study["gain_plain"]
    assert adapting["mean"] > 4 * adapting["se"], adapting
    assert plain["mean"] < 4 * plain["se"], plain
