"""Neural sampling: the logistic NSNN samples its Boltzmann distribution exactly."""

import numpy as np
import pytest

from nsnn_sim.coding.sampling import BoltzmannTarget, kl_divergence, sample_states, state_distribution


def _target(n_units=8, seed=3):
    generator = np.random.default_rng(seed)
    weights = generator.normal(0, 0.6, (n_units, n_units))
    weights = (weights + weights.T) / 2
    np.fill_diagonal(weights, 0.0)
    return BoltzmannTarget(weights, generator.normal(-0.3, 0.5, n_units))


def test_target_probabilities_and_marginals_are_the_enumerated_boltzmann_distribution():
    """p(z) = exp(b'z + z'Wz/2) / Z over the 2^K states (index sum_k z_k 2^k), summed here state by
    state with itertools; clamping keeps the states that agree and renormalises."""
    import itertools

    target = _target(n_units=4, seed=5)
    unnormalised = np.zeros(16)
    for z in itertools.product([0, 1], repeat=4):
        z = np.array(z[::-1], dtype=float)  # z[k] is bit k of the index
        index = int(sum(int(bit) << k for k, bit in enumerate(z)))
        unnormalised[index] = np.exp(target.bias @ z + 0.5 * z @ target.weights @ z)
    np.testing.assert_allclose(target.probabilities(), unnormalised / unnormalised.sum(), rtol=1e-12)
    agree = np.array([(index >> 2) & 1 == 1 for index in range(16)])
    clamped = np.where(agree, unnormalised, 0.0) / unnormalised[agree].sum()
    np.testing.assert_allclose(target.probabilities({2: 1}), clamped, rtol=1e-12, atol=1e-300)
    bits = (np.arange(16)[:, None] >> np.arange(4)) & 1
    np.testing.assert_allclose(target.marginals(), unnormalised @ bits / unnormalised.sum(), rtol=1e-12)


def test_logistic_network_samples_the_boltzmann_distribution_and_keeps_converging():
    target = _target()
    states = sample_states(target, 20_000, n_chains=8, seed=1)
    exact = target.probabilities()
    kl = {m: kl_divergence(state_distribution(states[:, :m], target.n_units), exact) for m in (1000, 5000, 20_000)}
    # plug-in KL of N samples over S = 256 states has bias (S - 1)/(2N) = 8e-4 at N = 160,000
    assert kl[20_000] < 0.01
    assert kl[1000] > kl[5000] > kl[20_000]


def test_the_gibbs_sweep_has_the_target_as_its_stationary_distribution_and_the_network_runs_that_sweep():
    """The exact counterparts of the sampling statistics. (1) The systematic-scan sweep, unit k set to 1 with the
    logistic conditional ``1/(1 + exp(-(b_k + sum_j W_kj z_j)))`` in turn, written here as a 2^K x 2^K transition
    matrix: the target ``p`` is its stationary distribution, ``p P = p`` to 1e-12 (also clamped: the posterior).
    (2) The network computes that conditional's argument: without noise it fires at its slot iff ``b_k + W z >= 0``,
    and its sweeps are those of the deterministic scan written here, state for state. The escape rule itself,
    ``P(spike) = F(u - theta)``, is the transcription's (test_engine.py)."""
    target = _target(n_units=5, seed=7)
    n_states = 2**target.n_units
    bits = target.states()

    def sweep_matrix(clamped):
        matrix = np.eye(n_states)
        for k in range(target.n_units):
            step = np.zeros((n_states, n_states))
            for index, z in enumerate(bits):
                drive = target.bias[k] + target.weights[k] @ z
                on = 1.0 / (1.0 + np.exp(-drive)) if k not in clamped else float(clamped[k])
                step[index, index | (1 << k)] += on
                step[index, index & ~(1 << k)] += 1.0 - on
            matrix = matrix @ step
        return matrix

    for clamped in ({}, {1: 1, 4: 0}):
        exact = target.probabilities(clamped)
        np.testing.assert_allclose(exact @ sweep_matrix(clamped), exact, rtol=0, atol=1e-12)
    states = sample_states(target, 30, n_chains=1, noise="none", burn_in=0)[0]
    z, expected = np.zeros(target.n_units, dtype=int), []
    for _ in range(30):
        for k in range(target.n_units):
            z[k] = int(target.bias[k] + target.weights[k] @ z >= 0)
        expected.append(int(z @ (1 << np.arange(target.n_units))))
    assert states.tolist() == expected


def test_clamped_units_give_the_exact_posterior_marginals():
    target = _target()
    evidence = {0: 1, 3: 0}
    states = sample_states(target, 20_000, n_chains=8, clamped=evidence, seed=2)
    bits = (states[..., None] >> np.arange(target.n_units)) & 1  # (chain, sweep, unit)
    per_chain = bits.mean(axis=1)
    # SE over 8 independent chains, 0.0009-0.0016 (measured): a marginal off by (4 + 1.28) SE = 0.005-0.008 (1.2-3.9 %
    # of the marginals) is detected nine times in ten. Above 1 %: the exact check is the test above
    se = per_chain.std(axis=0, ddof=1) / np.sqrt(per_chain.shape[0])
    exact = target.marginals(evidence)
    free = [u for u in range(target.n_units) if u not in evidence]
    assert np.all(np.abs(per_chain.mean(axis=0)[free] - exact[free]) < 4 * se[free] + 1e-12)
    assert np.all(per_chain[:, 0] == 1) and np.all(per_chain[:, 3] == 0)


def test_deterministic_network_does_not_sample():
    target = _target()
    states = sample_states(target, 2000, n_chains=2, noise="none")
    assert kl_divergence(state_distribution(states, target.n_units), target.probabilities()) > 1.0


@pytest.mark.parametrize("weights, bias, pattern", [
    (np.ones((3, 3)), np.zeros(3), "symmetric with a zero diagonal"),
    (np.zeros((3, 3)), np.zeros(4), "one value per unit"),
    (np.zeros((20, 20)), np.zeros(20), "K must be in"),
])
def test_bad_targets_are_rejected(weights, bias, pattern):
    with pytest.raises(ValueError, match=pattern):
        BoltzmannTarget(weights, bias)
