import subprocess
import sys
from pathlib import Path

import nsnn_sim as ns

ROOT = Path(__file__).resolve().parents[1]


def test_demo_writes_netcdf_and_figure(tmp_path):
    results = tmp_path / "demo.nc"
    figure = tmp_path / "demo.png"
    subprocess.run([sys.executable, str(ROOT / "analyses" / "demo.py"), "--n-neurons", "50", "--duration", "0.2",
                    "--out", str(results)], check=True, timeout=300)
    subprocess.run([sys.executable, str(ROOT / "figures" / "demo.py"), "--results", str(results),
                    "--out", str(figure)], check=True, timeout=300)
    loaded = ns.load(results)
    assert loaded.spikes.n_neurons == 50 and len(loaded.spikes) > 100
    assert figure.stat().st_size > 10_000
