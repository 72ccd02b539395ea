"""A small torch-free learner for noisy spiking networks: BPTT with the noise-driven learning rule.

The forward pass runs the simulator's own neuron equation (:func:`nsnn_sim.simulator.neurons.neuron_update`);
the backward pass takes ``d s / d u = pdf(u - theta)`` from :mod:`nsnn_sim.simulator.noise` (NDL, Ma, Yan &
Tang 2023) or a surrogate pdf for the deterministic SNN. Trained networks run unchanged in
:func:`nsnn_sim.simulate` (:func:`simulate_network`). The official code's model (reference firing,
same-step layers, per-step linear logits, step cross-entropy, noisy ensembles) is available by name
(:mod:`.official`).

Modules: :mod:`nsnn_sim.learn.network` (layers, readout, parameters), :mod:`.forward`, :mod:`.backward`,
:mod:`.losses`, :mod:`.gradients` (one minibatch's loss and gradients), :mod:`.optimizers`,
:mod:`.train`, :mod:`.simulator`, :mod:`.official` (the paper's model), :mod:`.data` (Randman,
tuning task), :mod:`.datasets` (scikit-learn's digits, SHD files), :mod:`.perturbations` (the
official spike deletion / insertion in every layer, EventDrop), :mod:`.robustness` (input and
membrane perturbations, FGSM and L2-sphere attacks, with expectation over noise).

Examples
--------
>>> import numpy as np
>>> from nsnn_sim import learn
>>> data = learn.randman(n_classes=2, n_inputs=5, n_steps=10, n_train=20, n_test=10, seed=0)
>>> network = learn.Network(5, [learn.SpikingLayer(8, beta=0.9, noise="gaussian", noise_scale=0.3, firing="escape")],
...                         learn.Readout("membrane", n_outputs=2), seed=0)
>>> history = learn.train(network, data.x_train, data.y_train, epochs=2, optimizer=learn.Adam(1e-2), progress=False)
>>> list(history.data_vars), history.sizes["epoch"]
(['loss', 'accuracy', 'test_loss', 'test_accuracy', 'epoch_time'], 2)
>>> learner = learn.evaluate(network, data.x_test, data.y_test, seed=3)
>>> simulator = learn.evaluate(network, data.x_test, data.y_test, seed=3, engine="simulator")
>>> learner.accuracy == simulator.accuracy
True
"""

from nsnn_sim.learn.backward import backward
from nsnn_sim.learn.data import RandmanData, TuningTask, randman, tuning_task
from nsnn_sim.learn.datasets import ClassificationData, LabelledInputs, digits, load_shd
from nsnn_sim.learn.forward import Trace, forward, layer_seed
from nsnn_sim.learn.gradients import loss_and_gradients
from nsnn_sim.learn.losses import LossValue, cross_entropy, mean_squared_error, step_cross_entropy
from nsnn_sim.learn.network import Network, Readout, SpikingLayer, erf_surrogate_sd
from nsnn_sim.learn.official import OFFICIAL_NOISE_SCALES, official_layer, official_network
from nsnn_sim.learn.optimizers import SGD, Adam
from nsnn_sim.learn.perturbations import SpikePerturbation, event_drop
from nsnn_sim.learn.robustness import (
    delete_spikes,
    gradient_sign_attack,
    input_gradient,
    insert_spikes,
    l2_sphere_attack,
)
from nsnn_sim.learn.simulator import SimulatedNetwork, simulate_network
from nsnn_sim.learn.train import Evaluation, batch_seed, evaluate, train

__all__ = ["Network", "SpikingLayer", "Readout", "forward", "backward", "Trace", "layer_seed", "train", "evaluate",
           "Evaluation", "LossValue", "LabelledInputs",
           "batch_seed", "loss_and_gradients", "SGD", "Adam", "cross_entropy", "mean_squared_error",
           "step_cross_entropy", "randman", "RandmanData", "tuning_task", "TuningTask", "simulate_network",
           "SimulatedNetwork", "delete_spikes", "insert_spikes", "gradient_sign_attack", "input_gradient",
           "erf_surrogate_sd", "official_layer", "official_network", "OFFICIAL_NOISE_SCALES",
           "digits", "load_shd", "ClassificationData", "SpikePerturbation", "event_drop", "l2_sphere_attack"]
