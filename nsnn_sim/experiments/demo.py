"""Demo: a noisy LIF population at the Siegert operating point; raster and population rate.

    python analyses/demo.py [--n-neurons 1000] [--duration 1.0] [--n-trials 2] [--out results/demo.nc]
    python figures/demo.py

Examples
--------
>>> from nsnn_sim.experiments import get
>>> experiment = get('demo')
>>> experiment.description
'A noisy LIF population: raster and population rate against the Siegert rate.'
>>> experiment.seed, experiment.module.__name__
(1, 'nsnn_sim.experiments.demo')
"""

from __future__ import annotations

import xarray as xr

from nsnn_sim import theory
from nsnn_sim.simulator.engine import simulate
from nsnn_sim.simulator.neurons import LIF
from nsnn_sim.simulator.results import SimulationResult

DESCRIPTION = "A noisy LIF population: raster and population rate against the Siegert rate."
SEED = 1
ORDER = 0
QUICK = {"n_neurons": 300, "duration": 0.5}
MU, SIGMA = 0.9, 0.5


OPTIONS = {"--n-neurons": {"type": int, "help": "neurons (default 1000; quick: 300)"},
           "--duration": {"type": float, "help": "simulated time in s (default 1.0; quick: 0.5)"},
           "--n-trials": {"type": int, "help": "trials (default 2)"}}


def run(quick: bool = False, seed: int = SEED, n_neurons: int = 1000, duration: float = 1.0,
        n_trials: int = 2) -> xr.Dataset:
    """``n_neurons`` LIF neurons (tau 10 ms, sigma 0.5, bridge crossing) at ``mu = 0.9`` for
    ``duration`` seconds; the result with the membrane of neurons 0-2 and the Siegert rate."""
    model = LIF(tau=10e-3, sigma=SIGMA, dt=1e-4, threshold_crossing="bridge", method="euler")
    result = simulate(model, MU, n_neurons=n_neurons, n_steps=int(round(duration / model.dt)), n_trials=n_trials,
                      seed=seed, record_state=[0, 1, 2])
    dataset = result.to_xarray()
    dataset.attrs.update({"mu": MU, "siegert_rate_hz": theory.siegert_rate(MU, SIGMA, model.tau), "quick": int(quick)})
    return dataset


def figure(data: xr.Dataset):
    from nsnn_sim.analysis.plotting import raster_and_rate

    result = SimulationResult.from_xarray(data)
    model = result.model
    title = (f"Noisy LIF (tau = {model.tau * 1e3:g} ms, sigma = {model.sigma:g}, mu = {data.attrs['mu']:g}, "
             f"dt = {model.dt * 1e3:g} ms)")
    return raster_and_rate(result.spikes, bin_width=10e-3, title=title,
                           theory_rate=float(data.attrs["siegert_rate_hz"]))


def summary(data: xr.Dataset) -> list[str]:
    spikes = data.sizes.get("spike", 0)
    duration = data.attrs["n_steps"] * data.attrs["dt"]
    rate = spikes / (data.attrs["n_trials"] * data.attrs["n_neurons"] * duration)
    return [f"mean rate {rate:.2f} Hz; Siegert rate {data.attrs['siegert_rate_hz']:.2f} Hz "
            f"({data.attrs['n_neurons']} neurons x {data.attrs['n_trials']} trials x {duration:g} s)"]
