"""Long statistical checks of nsnn_sim.fit: honest standard errors over many simulated data sets, and the
held-out comparison picking the noise family that made the data.

Run with ``pytest -m slow tests/test_fit_slow.py``; each test prints the numbers it checks.

The hazard recovery study (issue 31): 8 seeds x 30 exact-method hazard neurons, each fitted from four starts far
from the truth (tau and delta_u x0.3 and x3); every fit must reach the log-likelihood of the truth.
"""

from __future__ import annotations

import numpy as np
import pytest
from test_fit import FAR_STARTS, hazard_recovery

import nsnn_sim as ns
from nsnn_sim import fit
from nsnn_sim.fit.problem import parameter_names

N_DATASETS = 100
N_STEPS = 10000
N_NEURONS = 3
MODELS = {
    "NSNN logistic": (ns.NSNN(beta=0.6, noise="logistic", noise_scale=0.15, firing="escape"),
                      ns.NSNN(beta=0.5, noise="logistic", noise_scale=0.2, firing="escape"), 1.0),
    "LIF gaussian": (ns.LIF(tau=0.01, sigma=0.1, noise="gaussian", firing="escape", dt=1e-3, tau_ref=2e-3,
                            method="euler"),
                     ns.LIF(tau=0.015, sigma=0.15, noise="gaussian", firing="escape", dt=1e-3, tau_ref=2e-3,
                            method="euler"), 2.0),
}


def _dataset(true_model, gain: float, n_steps: int, seed: int):
    generator = np.random.default_rng(seed)
    x = np.column_stack([np.ones(n_steps), generator.normal(size=(n_steps, 2))])
    weights = gain * np.column_stack([np.linspace(0.4, 0.5, N_NEURONS), generator.normal(0, 0.2, (N_NEURONS, 2))])
    spikes = ns.simulate(true_model, x @ weights.T, n_neurons=N_NEURONS, n_steps=n_steps, seed=seed).spikes
    return spikes, x, weights


def _cluster_bootstrap_sd(z_by_unit: np.ndarray, seed: int = 0, n_resamples: int = 2000) -> float:
    """SE of the pooled SD of z by resampling the independent units (data set x neuron) with replacement."""
    generator = np.random.default_rng(seed)
    n = z_by_unit.shape[0]
    return float(np.std([z_by_unit[generator.integers(0, n, n)].std() for _ in range(n_resamples)]))


@pytest.mark.slow
def test_parameter_recovery_z_scores_are_standard_normal_over_100_data_sets():
    z_by_model = {name: [] for name in MODELS}
    for index in range(N_DATASETS):
        name = list(MODELS)[index % len(MODELS)]
        true_model, start, gain = MODELS[name]
        spikes, x, weights = _dataset(true_model, gain, N_STEPS, seed=1000 + index)
        result = fit.fit_escape(start, x, spikes, weights=np.full((N_NEURONS, 3), 0.3 * gain))
        decay, scale = parameter_names(true_model)
        truth = np.column_stack([weights, np.full(N_NEURONS, getattr(true_model, decay)),
                                 np.full(N_NEURONS, getattr(true_model, scale))])
        data = result.dataset
        assert data.attrs["converged"] == 1
        z_by_model[name].append((data["estimate"].values - truth) / data["se"].values)
    units = np.concatenate([np.concatenate(z) for z in z_by_model.values()])  # (unit, parameter)
    pooled = units.ravel()
    mean_se = units.mean(axis=1).std(ddof=1) / np.sqrt(units.shape[0])  # units are independent
    sd_se = _cluster_bootstrap_sd(units)
    print(f"\npooled z over {units.shape[0]} units x {units.shape[1]} parameters: mean {pooled.mean():.4f} "
          f"(SE {mean_se:.4f}), SD {pooled.std():.4f} (SE {sd_se:.4f})")
    # 300 units x 5 parameters: SE of the pooled SD about 1/sqrt(2 * 1500) = 0.018 (the bootstrap's value is
    # printed), so SEs wrong by (4 + 1.28) x 0.018 = 10 % are detected nine times in ten; a bias of the estimates
    # of (4 + 1.28) mean SEs, about 0.14 of their SE. Above 1 %: the SEs are exact against the inverse of a
    # finite-difference Hessian and a closed-form information in test_fit_exact.py
    assert abs(pooled.mean()) < 4 * mean_se
    assert abs(pooled.std() - 1.0) < 4 * sd_se
    for name, z in z_by_model.items():
        z = np.concatenate(z)
        means, ses = z.mean(axis=0), z.std(axis=0, ddof=1) / np.sqrt(z.shape[0])
        print(f"{name}: mean z per parameter {np.round(means, 3).tolist()} (SE {np.round(ses, 3).tolist()}), "
              f"SD {np.round(z.std(axis=0), 3).tolist()}")
        assert np.all(np.abs(means) < 4 * ses), (name, means, ses)


@pytest.mark.slow
@pytest.mark.parametrize("true_family", ["logistic", "gaussian"])
def test_the_true_noise_family_wins_the_held_out_comparison_in_90_percent_of_data_sets(true_family):
    n_datasets, n_steps = 40, 20000
    other = {"logistic": "gaussian", "gaussian": "logistic"}[true_family]
    scale = {"logistic": 0.15, "gaussian": 0.25}[true_family]
    true_model = ns.NSNN(beta=0.6, noise=true_family, noise_scale=scale, firing="escape")
    start = ns.NSNN(beta=0.5, noise="logistic", noise_scale=0.2, firing="escape")
    margins = []
    for index in range(n_datasets):
        spikes, x, _ = _dataset(true_model, 1.0, 2 * n_steps, seed=5000 + index + (0 if true_family == "logistic"
                                                                                     else 100000))
        dense = spikes.to_dense()
        comparison, _ = fit.compare_families(start, x[:n_steps], dense[:, :n_steps], x[n_steps:], dense[:, n_steps:],
                                             families=[true_family, other],
                                             weights=np.full((N_NEURONS, 3), 0.3))
        bits = comparison["bits_per_spike_total"]
        margins.append(float(bits.sel(family=true_family) - bits.sel(family=other)))
    margins = np.array(margins)
    wins = float(np.mean(margins > 0))
    print(f"\n{true_family} data: the true family wins in {wins:.0%} of {n_datasets} data sets; margin "
          f"{margins.mean() * 1e3:.2f} +- {margins.std(ddof=1) / np.sqrt(n_datasets) * 1e3:.2f} mbit/spike "
          f"(median {np.median(margins) * 1e3:.2f})")
    # 36 wins of 40 needed: a true win rate of 0.8 passes with probability 0.076 (detected nine times in ten), 0.95
    # passes with 0.95
    assert wins >= 0.9


@pytest.mark.slow
def test_every_hazard_fit_from_far_starts_reaches_the_log_likelihood_of_the_truth():
    """8 seeds x 30 neurons x 4 far starts = 960 fits. The maximum of log L is at least the truth's (a feasible
    point), typically by half a chi-square with 4 degrees of freedom (2 nats): ``gain >= 0`` fails only for a fit
    that stopped short of the maximum (before issue 31: 1500 nats short, at tau = dt/1000, in every seed)."""
    worst = []
    for seed in range(8):
        gain, converged, n_spikes = hazard_recovery(seed=100 + seed, n_neurons=30)
        reached = int(np.sum(gain >= 0.0))
        worst.append(float(gain.min()))
        print(f"\nseed {100 + seed}: {reached}/{gain.size} fits reach the truth's log L; smallest gain "
              f"{gain.min():.3g} nats (per start {np.round(gain.min(axis=1), 3).tolist()}, starts {FAR_STARTS}); "
              f"largest spread of a neuron's log L over the starts {np.ptp(gain, axis=0).max():.2g} nats; "
              f"converged {converged.tolist()}; spikes per neuron {n_spikes.min():.0f}..{n_spikes.max():.0f}")
    print(f"worst over seeds: {min(worst):.3g} nats")
    assert min(worst) >= 0.0
