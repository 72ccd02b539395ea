"""Neural sampling: an NSNN whose spikes are samples of a Boltzmann distribution over binary states.

Target: ``p(z) = exp(b'z + z'Wz/2) / Z`` over ``z in {0, 1}^K`` (``W`` symmetric, zero diagonal).

Scheme (exact for logistic noise): systematic-scan Gibbs sampling written as an NSNN. Time is cut
into sweeps of ``K`` steps; neuron ``k`` may fire only at step ``k`` of each sweep (its *slot*: a
gating current of -1e9 elsewhere), where its membrane is ``u_k = theta + b_k + sum_j W_kj z_j`` and
it fires with the escape probability ``F(u_k - theta)``. With logistic noise of scale 1,
``F(x) = 1/(1 + exp(-x))`` is exactly the Gibbs conditional ``p(z_k = 1 | z_-k)``. ``z_j`` is 1 when
neuron ``j`` fired at its last slot: a spike of ``j`` reaches ``k`` with the delay ``(k - j) mod K``,
i.e. exactly at ``k``'s next slot (``beta = 0``, so the membrane keeps nothing else). The state after
every full sweep is a state of the systematic-scan Gibbs chain, whose stationary distribution is
``p``. (This replaces the refractory/rectangular-PSP construction of Buesing et al. 2011 by an
equivalent sequential one that is exact in discrete time.) Other noise families give a different
conditional, hence a different (approximate) stationary distribution; ``noise="none"`` is the
deterministic network.

Clamping units (evidence) fixes their slot input to +-1e9: the chain then samples the exact
posterior ``p(z_free | z_clamped)``.

Examples
--------
>>> import numpy as np
>>> from nsnn_sim.coding.sampling import BoltzmannTarget, kl_divergence, sample_states, state_distribution
>>> target = BoltzmannTarget(weights=np.array([[0.0, 1.0], [1.0, 0.0]]), bias=np.array([-0.5, 0.2]))
>>> states = sample_states(target, n_sweeps=2000, n_chains=4, seed=0)
>>> states.shape
(4, 2000)
>>> kl_divergence(target.probabilities(), state_distribution(states, 2)) < 0.01
True
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from nsnn_sim._core.memory import require_memory
from nsnn_sim._core.validation import describe, finite_array, whole_number
from nsnn_sim.simulator.engine import simulate
from nsnn_sim.simulator.network import connect
from nsnn_sim.simulator.neurons import NSNN

__all__ = ["BoltzmannTarget", "sample_states", "state_distribution", "kl_divergence"]

_GATE = 1e9  # a current that makes the escape probability exactly 0 or 1


@dataclass(frozen=True, eq=False)
class BoltzmannTarget:
    """``p(z) ~ exp(bias'z + z'Wz/2)`` over K binary units (K <= 16, exactly enumerable)."""

    weights: np.ndarray
    bias: np.ndarray

    def __post_init__(self):
        weights = finite_array("weights", self.weights)
        bias = finite_array("bias", self.bias)
        if weights.ndim != 2 or weights.shape[0] != weights.shape[1]:
            raise ValueError(f"weights must be a square matrix, got shape {weights.shape}")
        if bias.shape != (weights.shape[0],):
            raise ValueError(f"bias has shape {bias.shape}; it needs one value per unit ({weights.shape[0]})")
        if not 1 <= bias.size <= 16:
            raise ValueError(f"K={bias.size} units: the exact distribution is enumerated, K must be in [1, 16]")
        if not np.allclose(weights, weights.T) or np.any(np.diag(weights) != 0):
            raise ValueError("weights must be symmetric with a zero diagonal")
        object.__setattr__(self, "weights", weights)
        object.__setattr__(self, "bias", bias)

    @property
    def n_units(self) -> int:
        return self.bias.size

    def states(self) -> np.ndarray:
        """All 2^K states as rows of 0/1; state index ``sum_k z_k 2^k``."""
        index = np.arange(2**self.n_units)
        return (index[:, None] >> np.arange(self.n_units)) & 1

    def probabilities(self, clamped: dict | None = None) -> np.ndarray:
        """Exact ``p(z)`` over the 2^K states (0 for states that contradict ``clamped``)."""
        z = self.states().astype(float)
        energy = z @ self.bias + 0.5 * np.einsum("si,ij,sj->s", z, self.weights, z)
        for unit, value in (clamped or {}).items():
            energy = np.where(z[:, unit] == value, energy, -np.inf)
        weights = np.exp(energy - energy.max())
        return weights / weights.sum()

    def marginals(self, clamped: dict | None = None) -> np.ndarray:
        """Exact ``p(z_k = 1)`` (given ``clamped``)."""
        return self.probabilities(clamped) @ self.states()


def sample_states(target: BoltzmannTarget, n_sweeps: int, n_chains: int = 8, noise: str = "logistic",
                  noise_scale: float = 1.0, clamped: dict | None = None, burn_in: int = 100,
                  seed: int = 0) -> np.ndarray:
    """Run the sampling network (module docstring); returns the state index of every sweep after
    ``burn_in``, shape ``(n_chains, n_sweeps)``. Each chain is one trial of one simulation."""
    n_sweeps = whole_number("n_sweeps", n_sweeps)
    burn_in = whole_number("burn_in", burn_in, minimum=0)
    n_units = target.n_units
    n_chains = whole_number("n_chains", n_chains)
    total = n_sweeps + burn_in
    # the input pattern (total*K steps x K units, float64) and the states (n_chains x total, int64)
    require_memory(8.0 * total * n_units * n_units + 8.0 * n_chains * total,
                   f"sample_states(n_sweeps={n_sweeps}, burn_in={burn_in}, n_chains={n_chains}) of {n_units} units")
    slot_bias = 1.0 + target.bias  # threshold 1: u - theta = bias + W z at the slot
    for unit, value in (clamped or {}).items():
        if not 0 <= unit < n_units or value not in (0, 1):
            raise ValueError(f"clamped must map units in [0, {n_units}) to 0 or 1, got {unit}: {value}")
        slot_bias[unit] = _GATE if value else -_GATE
    pattern = np.full((n_units, n_units), -_GATE)
    pattern[np.arange(n_units), np.arange(n_units)] = slot_bias  # row = step within the sweep
    inputs = np.tile(pattern, (total, 1))
    delays = (np.arange(n_units)[:, None] - np.arange(n_units)[None, :]) % n_units  # [post k, pre j] = (k - j) mod K
    delays[delays == 0] = n_units
    weights = np.where(np.eye(n_units, dtype=bool), 0.0, target.weights)
    model = NSNN(beta=0.0, threshold=1.0, noise=noise, noise_scale=noise_scale, firing="escape")
    spikes = simulate(model, inputs, n_neurons=n_units, n_steps=total * n_units, n_trials=n_chains, seed=seed,
                      connections=connect(weights, delays * model.dt)).spikes
    sweep = spikes.step // n_units
    states = np.zeros((n_chains, total), dtype=np.int64)
    np.add.at(states, (spikes.trial, sweep), np.left_shift(1, spikes.neuron.astype(np.int64)))
    return states[:, burn_in:]


def state_distribution(states: np.ndarray, n_units: int) -> np.ndarray:
    """Empirical distribution over the 2^K states of the given state indices (integers in [0, 2^K),
    as returned by :func:`sample_states`)."""
    n_units = whole_number("n_units", n_units, maximum=16)
    states = np.asarray(states)
    if states.dtype.kind not in "iu":
        raise TypeError(f"states must be integer state indices in [0, 2**n_units), got dtype {states.dtype}")
    if states.size and (states.min() < 0 or states.max() >= 2**n_units):
        raise ValueError(f"states={describe(states)} must be state indices in [0, 2**{n_units})")
    counts = np.bincount(np.ravel(states), minlength=2**n_units)
    return counts / counts.sum()


def kl_divergence(p: np.ndarray, q: np.ndarray) -> float:
    """``KL(p || q) = sum_s p(s) log(p(s)/q(s))`` in nats (0 log 0 = 0; inf if p > 0 where q = 0)."""
    p, q = _distribution("p", p), _distribution("q", q)
    if p.shape != q.shape:
        raise ValueError(f"p has shape {p.shape} but q has shape {q.shape}: both must be distributions over "
                         "the same states")
    support = p > 0
    if np.any(q[support] == 0):
        return float("inf")
    return float(np.sum(p[support] * np.log(p[support] / q[support])))


def _distribution(name: str, values) -> np.ndarray:
    """A 1-D probability vector: finite, >= 0, summing to 1 within 1e-9."""
    values = finite_array(name, values, "a 1-D array of probabilities")
    if values.ndim != 1 or values.size == 0:
        raise ValueError(f"{name} must be a non-empty 1-D array of probabilities, got shape {values.shape}")
    if np.any(values < 0) or abs(values.sum() - 1.0) > 1e-9:
        raise ValueError(f"{name}={describe(values)} must be probabilities >= 0 that sum to 1 "
                         f"(sum {values.sum():.12g})")
    return values
