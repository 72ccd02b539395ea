"""The neural-sampling experiment's computations with the sampler stubbed: the targets, chain sizes, noises, seeds
and evidence it passes to :func:`sample_states`, and every number it stores recomputed here by hand from the stub's
states (the KL against the exactly enumerated target, the bias floor, the posterior marginals and their SE), so no
kernel is compiled. The end-to-end run is test_sampling_experiment_converges_for_logistic_noise in
tests/test_experiments.py.
"""

from __future__ import annotations

import numpy as np
import pytest

from nsnn_sim.experiments import sampling

K = 10
EVIDENCE = {0: 1, 4: 0, 7: 1}  # the module docstring's three clamped units


def _target_by_hand(scale: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Weights ~ N(0, scale) symmetrised as (W + W') / sqrt 2 with a zero diagonal, then biases ~ N(-0.5, 0.5)."""
    generator = np.random.default_rng(seed)
    weights = generator.normal(0.0, scale, (K, K))
    weights = (weights + weights.T) / np.sqrt(2)
    weights[np.arange(K), np.arange(K)] = 0.0
    return weights, generator.normal(-0.5, 0.5, K)


def _probabilities_by_hand(weights: np.ndarray, bias: np.ndarray, clamped: dict | None = None) -> np.ndarray:
    """p(z) ~ exp(b'z + z'Wz/2) over the 2^K states, unit k being bit k of the state index; 0 off the evidence."""
    z = (np.arange(2**K)[:, None] >> np.arange(K)) & 1
    log_weight = np.array([b @ bias + 0.5 * b @ weights @ b for b in z.astype(float)])
    for unit, value in (clamped or {}).items():
        log_weight[z[:, unit] != value] = -np.inf
    unnormalised = np.exp(log_weight - log_weight.max())
    return unnormalised / unnormalised.sum()


def _kl_by_hand(states: np.ndarray, exact: np.ndarray) -> float:
    sampled = np.bincount(states.ravel(), minlength=2**K) / states.size
    seen = sampled > 0
    return float(np.sum(sampled[seen] * np.log(sampled[seen] / exact[seen])))


def _fake_states(n_chains: int, n_sweeps: int, seed: int) -> np.ndarray:
    """Deterministic state indices in [0, 2^K), far from the target (the low states twice as likely as the rest)."""
    generator = np.random.default_rng(seed)
    return generator.integers(0, 2**K + 2**(K - 1), (n_chains, n_sweeps)) % 2**K


@pytest.fixture
def stubbed(monkeypatch):
    calls = []

    def fake_sample_states(target, n_sweeps, n_chains=8, noise="logistic", noise_scale=1.0, clamped=None,
                           burn_in=100, seed=0):
        calls.append(dict(weights=target.weights.copy(), bias=target.bias.copy(), n_sweeps=n_sweeps,
                          n_chains=n_chains, noise=noise, noise_scale=noise_scale, clamped=clamped,
                          burn_in=burn_in, seed=seed))
        return _fake_states(n_chains, n_sweeps, seed)

    monkeypatch.setattr(sampling, "sample_states", fake_sample_states)
    return calls


def test_random_target_is_the_documented_symmetric_gaussian_network():
    for scale, seed in ((0.3, 21), (0.6, 4)):
        target = sampling.random_target(scale, seed)
        weights, bias = _target_by_hand(scale, seed)
        np.testing.assert_array_equal(target.weights, weights)
        np.testing.assert_array_equal(target.bias, bias)
        np.testing.assert_allclose(target.probabilities(), _probabilities_by_hand(weights, bias), rtol=1e-12)


@pytest.mark.parametrize("quick, n_sweeps, n_chains", [(True, 20_000, 8), (False, 100_000, 16)])
def test_run_samples_the_documented_design_with_its_seeds_and_noises(stubbed, quick, n_sweeps, n_chains):
    seed = 3
    data = sampling.run(quick=quick, seed=seed)
    # Gaussian noise with the logistic's slope at threshold: 1/(4 s) = 1/(sigma sqrt(2 pi)) for s = 1
    noises = [("logistic", 1.0), ("gaussian", 4 / np.sqrt(2 * np.pi)), ("none", 1.0)]
    # the KL runs: weight SD 0.3 then 0.6, each noise seeded seed + 10 s + n; then inference at SD 0.6 with the
    # evidence, seeded seed + 100 + n; every run n_chains x n_sweeps after the sampler's default burn-in
    expected = [(scale, noise, scale_n, None, seed + 10 * s + n)
                for s, scale in enumerate((0.3, 0.6)) for n, (noise, scale_n) in enumerate(noises)]
    expected += [(0.6, noise, scale_n, EVIDENCE, seed + 100 + n) for n, (noise, scale_n) in enumerate(noises)]
    assert len(stubbed) == len(expected)
    for call, (scale, noise, noise_scale, clamped, call_seed) in zip(stubbed, expected):
        weights, bias = _target_by_hand(scale, seed)
        np.testing.assert_array_equal(call["weights"], weights)
        np.testing.assert_array_equal(call["bias"], bias)
        assert (call["noise"], call["noise_scale"], call["clamped"], call["seed"]) == (noise, noise_scale, clamped,
                                                                                      call_seed)
        assert type(call["seed"]) is int
        assert (call["n_sweeps"], call["n_chains"], call["burn_in"]) == (n_sweeps, n_chains, 100)
    # 12 log-spaced checkpoints from 100 sweeps to the last
    np.testing.assert_array_equal(data["sweeps"], np.unique(np.geomspace(100, n_sweeps, 12).astype(int)))
    assert data["sweeps"].values[0] == 100 and data["sweeps"].values[-1] == n_sweeps
    np.testing.assert_array_equal(data["weight_scale"], [0.3, 0.6])
    assert list(data["noise"].values) == ["logistic (exact)", "gaussian, matched slope", "deterministic"]
    assert data.attrs["n_units"] == K and data.attrs["n_chains"] == n_chains
    assert data.attrs["seed"] == seed and data.attrs["quick"] == int(quick)
    np.testing.assert_array_equal(data["inference_seed"], seed + 100 + np.arange(3))
    np.testing.assert_array_equal(data["clamped"], [1, -1, -1, -1, 0, -1, -1, 1, -1, -1])
    np.testing.assert_array_equal(data["unit"], np.arange(K))


def test_run_stores_the_kl_of_the_sampled_states_against_the_exact_target(stubbed):
    seed = 3
    data = sampling.run(quick=True, seed=seed)
    checkpoints = data["sweeps"].values
    assert data["kl"].dims == ("weight_scale", "noise", "sweeps")
    for s, scale in enumerate((0.3, 0.6)):
        exact = _probabilities_by_hand(*_target_by_hand(scale, seed))
        for n in range(3):
            states = _fake_states(8, 20_000, seed + 10 * s + n)
            kl = [_kl_by_hand(states[:, :m], exact) for m in checkpoints]
            np.testing.assert_allclose(data["kl"].values[s, n], kl, rtol=1e-10)
    # the plug-in KL that exact samples show: (2^K - 1) / (2 n) for n = chains x sweeps samples
    np.testing.assert_allclose(data["kl_bias_floor"], (2**K - 1) / (2 * 8 * checkpoints), rtol=1e-15)


def test_run_stores_the_sampled_and_exact_marginals_given_the_evidence(stubbed):
    seed = 3
    data = sampling.run(quick=True, seed=seed)
    weights, bias = _target_by_hand(0.6, seed)  # inference on the target of weight SD 0.6
    for n in range(3):
        states = _fake_states(8, 20_000, seed + 100 + n)
        per_chain = np.array([[np.mean((chain >> unit) & 1) for unit in range(K)] for chain in states])
        np.testing.assert_allclose(data["posterior_marginal"].values[n], per_chain.mean(axis=0), rtol=1e-12)
        np.testing.assert_allclose(data["posterior_marginal_se"].values[n],
                                   per_chain.std(axis=0, ddof=1) / np.sqrt(8), rtol=1e-12)
    z = (np.arange(2**K)[:, None] >> np.arange(K)) & 1
    posterior = _probabilities_by_hand(weights, bias, EVIDENCE) @ z
    np.testing.assert_allclose(data["exact_posterior_marginal"], posterior, rtol=1e-12)
    np.testing.assert_allclose(data["exact_posterior_marginal"].values[[0, 4, 7]], [1, 0, 1], atol=1e-12)
    np.testing.assert_allclose(data["exact_prior_marginal"], _probabilities_by_hand(weights, bias) @ z, rtol=1e-12)
