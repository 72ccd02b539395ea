"""Connection rules and seeded distributions for the projections of a network of populations.

A rule draws the synapses from ``n_pre`` source neurons to ``n_post`` target neurons as ``(post, pre)`` index
arrays, with a :class:`numpy.random.Generator` (single-threaded numpy: the same synapses for any thread count):

=============================  ==========================================================================
:func:`pairwise_bernoulli`     each of the ``n_post*n_pre`` pairs is a synapse with probability ``p``
                               (independently); drawn as geometric gaps between the chosen pairs, so the
                               cost is O(synapses), not O(pairs)
:func:`fixed_indegree`         every target has exactly ``k`` synapses, from sources drawn uniformly: ``k``
                               distinct sources (``multapses=False``, the default) or ``k`` independent draws
:func:`fixed_outdegree`        every source has exactly ``k`` synapses, to targets drawn likewise
:func:`one_to_one`             source ``i`` to target ``i`` (``n_pre == n_post``)
:func:`all_to_all`             every pair
:func:`explicit`               the nonzero entries of a matrix ``W[post, pre]`` (dense or scipy.sparse)
=============================  ==========================================================================

Autapses (a neuron onto itself, when source and target are one population) are allowed, as rare events of the
random graph (Brunel 2000). Weights and delays may be drawn from :func:`normal` or :func:`uniform`, one value per
synapse in the order the rule lists the synapses.

Examples
--------
>>> import numpy as np
>>> from nsnn_sim.simulator.connectivity import fixed_indegree
>>> post, pre = fixed_indegree(3).draw(np.random.default_rng(0), n_pre=10, n_post=4)
>>> np.bincount(post).tolist()
[3, 3, 3, 3]
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from nsnn_sim._core.validation import describe, finite_array, scalar_parameter, whole_number

__all__ = ["ConnectionRule", "pairwise_bernoulli", "fixed_indegree", "fixed_outdegree", "one_to_one", "all_to_all",
           "explicit", "Distribution", "normal", "uniform"]

#: pairs drawn per chunk of :func:`pairwise_bernoulli`'s geometric gaps (bounds its scratch memory)
_GAPS_PER_CHUNK = 2**22


class ConnectionRule(ABC):
    """A connection rule: :meth:`check` the sizes, then :meth:`draw` the synapses."""

    def check(self, n_pre: int, n_post: int) -> None:
        """``ValueError`` if the rule cannot connect ``n_pre`` sources to ``n_post`` targets."""

    def count(self, n_pre: int, n_post: int) -> int | None:
        """The number of synapses the rule draws, if fixed by the sizes (``None`` if random)."""
        return None

    @abstractmethod
    def draw(self, generator: np.random.Generator, n_pre: int, n_post: int) -> tuple[np.ndarray, np.ndarray]:
        """``(post, pre)`` int64 arrays, one entry per synapse."""


@dataclass(frozen=True)
class _PairwiseBernoulli(ConnectionRule):
    p: float

    def draw(self, generator, n_pre, n_post):
        """Pairs ``post*n_pre + pre`` in increasing order: the gap to the next chosen pair is Geometric(p)."""
        n_pairs = n_pre * n_post
        if self.p == 0.0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
        # enough gaps to pass the last pair with near certainty (the mean count + 5 SD), at most one chunk
        expected = n_pairs * self.p
        size = int(min(_GAPS_PER_CHUNK, expected + 5.0 * np.sqrt(expected) + 16))
        chunks, last = [], -1
        while last < n_pairs:
            pairs = last + np.cumsum(generator.geometric(self.p, size=size))
            chunks.append(pairs[pairs < n_pairs])
            last = int(pairs[-1])
        pairs = np.concatenate(chunks)
        return pairs // n_pre, pairs % n_pre


def pairwise_bernoulli(p: float) -> ConnectionRule:
    """Each (post, pre) pair is a synapse with probability ``p`` in [0, 1], independently (NEST's
    ``pairwise_bernoulli``, Brian2's ``connect(p=...)``); the count is Binomial(``n_pre*n_post``, ``p``)."""
    return _PairwiseBernoulli(scalar_parameter("p", p, lower=0.0, upper=1.0))


@dataclass(frozen=True)
class _FixedDegree(ConnectionRule):
    k: int
    multapses: bool
    incoming: bool  # True: k per target (in-degree); False: k per source (out-degree)

    def _sizes(self, n_pre, n_post):
        """(number of neurons with k synapses each, number of neurons they choose from)."""
        return (n_post, n_pre) if self.incoming else (n_pre, n_post)

    def check(self, n_pre, n_post):
        owners, choices = self._sizes(n_pre, n_post)
        if not self.multapses and self.k > choices:
            side = "sources (n_pre)" if self.incoming else "targets (n_post)"
            raise ValueError(f"k={self.k} is more than the {choices} {side} to choose from without multapses: "
                             f"use k <= {choices} or multapses=True")

    def count(self, n_pre, n_post):
        return self.k * self._sizes(n_pre, n_post)[0]

    def draw(self, generator, n_pre, n_post):
        owners, choices = self._sizes(n_pre, n_post)
        if self.multapses:
            chosen = generator.integers(0, choices, size=(owners, self.k))
        else:  # one call per owner: numpy draws k distinct values in O(k) (a hash set), 0.25 s for 10^4 x 1000
            chosen = np.empty((owners, self.k), dtype=np.int64)
            for owner in range(owners):
                chosen[owner] = generator.choice(choices, size=self.k, replace=False)
        owner = np.repeat(np.arange(owners, dtype=np.int64), self.k)
        chosen = chosen.ravel().astype(np.int64)
        return (owner, chosen) if self.incoming else (chosen, owner)


def fixed_indegree(k: int, multapses: bool = False) -> ConnectionRule:
    """Every target neuron receives exactly ``k`` synapses from sources drawn uniformly: ``k`` distinct sources
    (``multapses=False``; ``k <= n_pre``), or ``k`` independent draws (``multapses=True``; a pair may repeat)."""
    return _FixedDegree(whole_number("k", k, minimum=0), _flag("multapses", multapses), True)


def fixed_outdegree(k: int, multapses: bool = False) -> ConnectionRule:
    """Every source neuron makes exactly ``k`` synapses onto targets drawn uniformly (as :func:`fixed_indegree`
    with the roles swapped; ``k <= n_post`` without multapses)."""
    return _FixedDegree(whole_number("k", k, minimum=0), _flag("multapses", multapses), False)


def _flag(name: str, value) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {describe(value)}")
    return bool(value)


@dataclass(frozen=True)
class _OneToOne(ConnectionRule):
    def check(self, n_pre, n_post):
        if n_pre != n_post:
            raise ValueError(f"one_to_one needs populations of equal size, got n_pre={n_pre}, n_post={n_post}")

    def count(self, n_pre, n_post):
        return n_post

    def draw(self, generator, n_pre, n_post):
        index = np.arange(n_post, dtype=np.int64)
        return index, index.copy()


def one_to_one() -> ConnectionRule:
    """Source ``i`` onto target ``i``, for populations of equal size."""
    return _OneToOne()


@dataclass(frozen=True)
class _AllToAll(ConnectionRule):
    def count(self, n_pre, n_post):
        return n_pre * n_post

    def draw(self, generator, n_pre, n_post):
        return (np.repeat(np.arange(n_post, dtype=np.int64), n_pre),
                np.tile(np.arange(n_pre, dtype=np.int64), n_post))


def all_to_all() -> ConnectionRule:
    """Every source onto every target (``n_pre*n_post`` synapses, post-major)."""
    return _AllToAll()


@dataclass(frozen=True, eq=False)
class _Explicit(ConnectionRule):
    matrix: object  # scipy.sparse COO of W[post, pre], duplicates summed

    def check(self, n_pre, n_post):
        if self.matrix.shape != (n_post, n_pre):
            raise ValueError(f"explicit: matrix has shape {self.matrix.shape}; a projection's W[post, pre] must "
                             f"have shape (n_post, n_pre) = ({n_post}, {n_pre})")

    def count(self, n_pre, n_post):
        return self.matrix.nnz

    def draw(self, generator, n_pre, n_post):
        return self.matrix.row.astype(np.int64), self.matrix.col.astype(np.int64)

    @property
    def weights(self) -> np.ndarray:
        """The matrix's values, one per synapse in :meth:`draw`'s order."""
        return self.matrix.data


def explicit(matrix) -> ConnectionRule:
    """The synapses of a matrix ``W[post, pre]`` (dense or scipy.sparse): one per nonzero entry, post-major; the
    entries are the weights unless the projection gives ``weight``."""
    what = "a 2-D array of real numbers or a scipy.sparse matrix of them"
    if sp.issparse(matrix):
        finite_array("matrix", matrix.data, what)
        coo = sp.csr_matrix(matrix, dtype=np.float64)
        coo.sum_duplicates()
        coo.eliminate_zeros()
        coo = coo.tocoo()
    else:
        dense = finite_array("matrix", matrix, what)
        if dense.ndim != 2:
            raise ValueError(f"matrix must be 2-D (n_post, n_pre), got shape {dense.shape}")
        coo = sp.coo_matrix(dense)  # row-major nonzeros: post-major order
    return _Explicit(coo)


class Distribution(ABC):
    """Values drawn per synapse from a seeded generator: :meth:`draw` ``(generator, size)``."""

    @abstractmethod
    def draw(self, generator: np.random.Generator, size: int) -> np.ndarray:
        """``size`` values."""


@dataclass(frozen=True)
class _Normal(Distribution):
    mean: float
    sd: float

    def draw(self, generator, size):
        return generator.normal(self.mean, self.sd, size=size)


def normal(mean: float, sd: float) -> Distribution:
    """Normal(``mean``, ``sd``) values, one per synapse (a delay is then checked to be >= one step)."""
    return _Normal(scalar_parameter("mean", mean), scalar_parameter("sd", sd, lower=0.0))


@dataclass(frozen=True)
class _Uniform(Distribution):
    low: float
    high: float

    def draw(self, generator, size):
        return generator.uniform(self.low, self.high, size=size)


def uniform(low: float, high: float) -> Distribution:
    """Uniform values on ``[low, high)``, one per synapse."""
    low, high = scalar_parameter("low", low), scalar_parameter("high", high)
    if high < low:
        raise ValueError(f"high={describe(high)} must be >= low={describe(low)}")
    return _Uniform(low, high)
