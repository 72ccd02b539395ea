"""Connection rules (nsnn_sim.simulator.connectivity) against their definitions, exactly and without a kernel:
pairwise_bernoulli's pairs are the partial sums of one geometric sequence whatever its chunks, drawn in one chunk
of mean + 5 SD + 16 gaps; fixed degrees with multapses are numpy's uniform integers over every neuron; a rule's
fixed count is the number of synapses it draws, so a per-synapse weight array of that length is accepted."""

import numpy as np
import pytest

import nsnn_sim as ns
from nsnn_sim import Network
from nsnn_sim.simulator import connectivity
from nsnn_sim.simulator.connectivity import all_to_all, fixed_indegree, fixed_outdegree, one_to_one, pairwise_bernoulli


def _geometric_pairs(seed, p, n_pairs):
    """The chosen pairs by definition: pair ``g_1 - 1``, then each next ``g_j`` further (``g`` Geometric(p))."""
    pairs = np.cumsum(np.random.default_rng(seed).geometric(p, size=4 * int(n_pairs * p) + 100)) - 1
    assert pairs[-1] >= n_pairs  # drawn past the last pair
    return pairs[pairs < n_pairs]


@pytest.mark.parametrize("chunk", [None, 7, 1])
def test_pairwise_bernoulli_pairs_are_the_partial_sums_of_one_geometric_sequence_in_any_chunks(monkeypatch, chunk):
    """The chunk (_GAPS_PER_CHUNK bounds the scratch memory) changes nothing: chunks continue from the last pair."""
    if chunk is not None:
        monkeypatch.setattr(connectivity, "_GAPS_PER_CHUNK", chunk)
    post, pre = pairwise_bernoulli(0.2).draw(np.random.default_rng(6), n_pre=30, n_post=20)
    pairs = _geometric_pairs(6, 0.2, 600)
    assert 80 < pairs.size < 160  # 120 expected
    np.testing.assert_array_equal(post, pairs // 30)
    np.testing.assert_array_equal(pre, pairs % 30)


class _Recording:
    """A numpy generator that records the sizes of its geometric draws."""

    def __init__(self, seed):
        self.generator, self.sizes = np.random.default_rng(seed), []

    def geometric(self, p, size):
        self.sizes.append(size)
        return self.generator.geometric(p, size=size)


def test_pairwise_bernoulli_draws_one_chunk_of_mean_plus_5_sd_plus_16_gaps():
    """The gaps are drawn at once, mean count + 5 SD + 16 of them (comment in _PairwiseBernoulli.draw): one chunk
    passes the last pair with near certainty, and the number drawn fixes where the shared generator leaves the
    network's next projection. Mean n p = 1000, SD sqrt(1000) = 31.6: 1174 gaps."""
    generator = _Recording(2)
    post, _ = pairwise_bernoulli(0.1).draw(generator, n_pre=100, n_post=100)
    assert generator.sizes == [1174] and 900 < post.size < 1100
    following = generator.generator.random()
    reference = np.random.default_rng(2)
    reference.geometric(0.1, size=1174)
    assert following == reference.random()


@pytest.mark.parametrize("rule", [fixed_indegree, fixed_outdegree])
def test_fixed_degree_with_multapses_draws_numpys_uniform_integers_over_every_neuron(rule):
    """``k`` independent uniform draws over all the neurons chosen from: ``integers(0, n, (owners, k))``."""
    post, pre = rule(4, multapses=True).draw(np.random.default_rng(5), n_pre=3, n_post=6)
    owners, choices = (6, 3) if rule is fixed_indegree else (3, 6)
    chosen = np.random.default_rng(5).integers(0, choices, size=(owners, 4)).ravel()
    owner = np.repeat(np.arange(owners), 4)
    np.testing.assert_array_equal(pre if rule is fixed_indegree else post, chosen)
    np.testing.assert_array_equal(post if rule is fixed_indegree else pre, owner)
    post, pre = fixed_indegree(3, multapses=True).draw(np.random.default_rng(5), n_pre=1, n_post=2)
    assert pre.tolist() == [0] * 6 and post.tolist() == [0, 0, 0, 1, 1, 1]  # one source: every synapse from it


@pytest.mark.parametrize("rule, n_pre, n_post", [(all_to_all(), 3, 4), (one_to_one(), 5, 5),
                                                 (fixed_indegree(2), 4, 3), (fixed_outdegree(2), 4, 3)])
def test_count_of_all_to_all_one_to_one_and_degree_rules_is_the_number_drawn(rule, n_pre, n_post):
    """all_to_all, one_to_one and the fixed degrees: ``count`` is the number of synapses ``draw`` gives, and a
    weight array of that length is one weight per synapse in the order the rule lists them."""
    post, pre = rule.draw(np.random.default_rng(1), n_pre=n_pre, n_post=n_post)
    assert rule.count(n_pre, n_post) == post.size == pre.size
    weight = np.arange(1.0, post.size + 1.0)
    network = Network(1).add("A", ns.LIF(method="euler"), n_pre).add("B", ns.LIF(method="euler"), n_post)
    weights = network.connect("A", "B", rule, weight=weight).build().connections.weights.toarray()
    expected = np.zeros((n_pre + n_post,) * 2)
    expected[n_pre + post, pre] = weight
    np.testing.assert_array_equal(weights, expected)
