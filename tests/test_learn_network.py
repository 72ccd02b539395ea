"""The learner's Network and SpikingLayer bookkeeping, exactly: the memory asked for the weights of every layer,
which layers are adaptive, the surrogates offered when one is refused, the parameters the optimiser trains, the
repr."""

import pytest

from nsnn_sim import learn
from nsnn_sim.learn import network as network_module
from nsnn_sim.simulator import noise as noise_families


def test_the_weights_memory_counts_every_layer_its_recurrence_and_the_readout(monkeypatch):
    asked = []
    monkeypatch.setattr(network_module, "require_memory", lambda count, what: asked.append((count, what)))
    learn.Network(3, [learn.SpikingLayer(4), learn.SpikingLayer(5, recurrent=True)], learn.Readout("count", 2))
    # W 4x3, W 5x4 and V 5x5, then the readout's 5 x 2, 8 bytes each
    assert asked == [(8.0 * (4 * 3 + 5 * 4 + 5 * 5 + 5 * 2), "Network(n_inputs=3, layer sizes [4, 5]) weights")]


def test_a_layer_is_adaptive_with_a_threshold_jump_or_a_learned_one():
    assert not learn.SpikingLayer(3).adaptive
    assert learn.SpikingLayer(3, threshold_jump=0.5).adaptive
    assert learn.SpikingLayer(3, threshold_jump=0.0, learn_threshold_jump=True).adaptive


def test_a_refused_surrogate_offers_every_family_but_none_and_the_erf():
    allowed = tuple(name for name in noise_families.names() if name != "none") + ("erf",)
    with pytest.raises(ValueError) as refused:
        learn.SpikingLayer(3, surrogate="none")
    assert str(refused.value) == f"surrogate='none' has a zero derivative; allowed: {allowed}"
    assert "'gaussian'" in str(refused.value) and "'none', " not in str(refused.value)


def test_the_trainable_parameters_follow_each_layers_learn_flags():
    layers = [learn.SpikingLayer(4, alpha_syn=0.5, learn_alpha_syn=True, threshold_jump=0.2),
              learn.SpikingLayer(3, alpha_syn=0.5, threshold_jump=0.1, learn_threshold_jump=True, learn_beta=True)]
    network = learn.Network(2, layers, learn.Readout("count", 2))
    assert network.trainable() == ["0.W", "0.alpha_syn", "1.W", "1.beta", "1.threshold_jump"]


def test_the_repr_names_the_layer_sizes_readout_noise_and_delay():
    network = learn.Network(3, [learn.SpikingLayer(4), learn.SpikingLayer(5, noise="logistic")],
                            learn.Readout("count", 2))
    assert repr(network) == "Network(3 -> 4 -> 5, readout=count, noise=['gaussian', 'logistic'], layer_delay=1)"
