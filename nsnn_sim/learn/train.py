"""Training loop: minibatches, the NDL / surrogate gradient, an optimiser, history as xarray.

Each minibatch runs :func:`~nsnn_sim.learn.gradients.loss_and_gradients`: the stochastic network
forward (:func:`~nsnn_sim.learn.forward.forward`, the simulator's neuron equation), the loss on its
outputs (or, for a step loss, on its per-step logits), backpropagation with the NDL rule
(:func:`~nsnn_sim.learn.backward.backward`); then an optimiser step. Everything random is seeded
from ``seed``: the shuffling of epoch ``e`` and the network noise of each minibatch.

:func:`evaluate` averages the outputs (for the linear readout: the time-averaged logits) of
``n_ensembles`` independent noisy passes before the argmax, as the official ``--n_ensembles``.

Examples
--------
>>> from nsnn_sim.learn.train import batch_seed
>>> batch_seed(0, epoch=1, batch=2) == batch_seed(0, epoch=1, batch=2)
True
>>> batch_seed(0, epoch=1, batch=2) != batch_seed(0, epoch=2, batch=1)
True
"""

from __future__ import annotations

import time
from typing import NamedTuple

import numpy as np
import xarray as xr
from tqdm.auto import tqdm

from nsnn_sim._core.log import enable_console, get_logger
from nsnn_sim._core.validation import seed_value, whole_number
from nsnn_sim._core.version import provenance
from nsnn_sim.learn.forward import check_inputs, check_mean_field, check_membrane_noise, check_spike_hook, forward
from nsnn_sim.learn.gradients import loss_and_gradients
from nsnn_sim.learn.losses import CLASSIFICATION_LOSSES, check_loss, check_targets, loss_gradients
from nsnn_sim.learn.optimizers import Adam
from nsnn_sim.learn.simulator import simulate_network
from nsnn_sim.simulator import rng

__all__ = ["train", "evaluate", "batch_seed", "Evaluation"]

_log = get_logger(__name__)


TRAINING, EVALUATION, ATTACK = 1, 2, 3


def batch_seed(seed: int, epoch: int, batch: int, purpose: int = TRAINING) -> int:
    """The network-noise seed of minibatch ``batch`` of epoch ``epoch`` (a hash, in [0, 2**63)).

    ``purpose`` keeps training (1), evaluation (2, epoch 0) and gradient-sign attacks (3, epoch =
    noisy pass) on different streams."""
    return int(rng.stream_key(seed, epoch, batch, purpose)) >> 1


class Evaluation(NamedTuple):
    """What :func:`evaluate` returns (a named tuple)."""

    loss: float  #: the loss of the (ensemble-averaged) outputs
    accuracy: float  #: the fraction of samples whose argmax is the label (NaN for ``"mse"``)
    outputs: np.ndarray  #: ``(n_samples, n_outputs)``, averaged over the ensemble
    n_ensembles: int  #: the noisy passes averaged


def evaluate(network, inputs, targets, loss: str = "cross_entropy", seed: int = 0, batch_size: int = 256,
             mean_field: bool = False, membrane_noise: float = 0.0, engine: str = "learner",
             n_ensembles: int = 1, spike_hook=None) -> Evaluation:
    """Loss and (for classification) accuracy of ``network`` on a dataset, without training.

    Noisy pass ``k`` (``0 <= k < n_ensembles``) of batch ``j`` uses the noise seed
    ``batch_seed(seed, k, j, EVALUATION)`` and trials ``0..batch-1``; the outputs of the
    ``n_ensembles`` passes (and, for a step loss, their per-step logits) are averaged before the loss
    and the argmax (the official ``--n_ensembles``: the mean of the time-averaged logits of K noisy
    passes). Pass 0 is the single pass of ``n_ensembles=1``, so ensembles of different sizes share
    their first passes. ``engine="simulator"`` runs the batches in :func:`nsnn_sim.simulate` instead of
    the learner's forward pass (:mod:`nsnn_sim.learn.simulator`; not with ``mean_field``): with the
    same seed the outputs are identical. ``membrane_noise`` and ``spike_hook`` (e.g.
    :class:`~nsnn_sim.learn.perturbations.SpikePerturbation`) perturb every pass, in either engine.

    Returns
    -------
    Evaluation
        ``loss``, ``accuracy`` (NaN for "mse"), ``outputs`` (averaged over the ensemble), ``n_ensembles``.
    """
    if engine not in ("learner", "simulator"):
        raise ValueError(f"engine={engine!r} is not allowed; allowed: ('learner', 'simulator')")
    mean_field = check_mean_field(network, mean_field)
    if engine == "simulator" and mean_field:
        raise ValueError("the simulator runs the stochastic network: mean_field=True needs engine='learner'")
    n_ensembles = whole_number("n_ensembles", n_ensembles, minimum=1)
    if mean_field and n_ensembles > 1:
        raise ValueError(f"n_ensembles={n_ensembles} averages noisy passes; the mean-field network is "
                         "deterministic: use n_ensembles=1 with mean_field=True")
    inputs = check_inputs(network, inputs)
    loss = check_loss(loss, network.readout.kind)
    targets = check_targets(loss, targets, inputs.shape[0], network.n_outputs)
    seed = seed_value(seed)
    batch_size = whole_number("batch_size", batch_size)
    membrane_noise = check_membrane_noise(membrane_noise)
    spike_hook = check_spike_hook(spike_hook, mean_field)
    linear = network.readout.kind == "linear"
    outputs = np.zeros((inputs.shape[0], network.n_outputs))
    step_outputs = np.zeros((inputs.shape[0], inputs.shape[1], network.n_outputs)) if linear else None
    for number, start in enumerate(range(0, inputs.shape[0], batch_size)):
        chunk = slice(start, start + batch_size)
        for member in range(n_ensembles):
            noise_seed = batch_seed(seed, member, number, EVALUATION)
            if engine == "learner":
                result = forward(network, inputs[chunk], seed=noise_seed, mean_field=mean_field,
                                 membrane_noise=membrane_noise, spike_hook=spike_hook)
            else:
                result = simulate_network(network, inputs[chunk], seed=noise_seed, membrane_noise=membrane_noise,
                                          spike_hook=spike_hook)
            outputs[chunk] += result.outputs
            if linear:
                step_outputs[chunk] += result.step_outputs
    outputs /= n_ensembles
    if linear:
        step_outputs /= n_ensembles
    value, _, _ = loss_gradients(loss, outputs, step_outputs, targets)
    accuracy = float(np.mean(outputs.argmax(axis=1) == targets)) if loss in CLASSIFICATION_LOSSES else float("nan")
    return Evaluation(value, accuracy, outputs, n_ensembles)


def train(network, inputs, targets, loss: str = "cross_entropy", epochs: int = 10, batch_size: int = 32,
          optimizer=None, seed: int = 0, test_inputs=None, test_targets=None, progress: bool = True,
          verbose: bool = False, mean_field: bool = False) -> xr.Dataset:
    """Train ``network`` in place by minibatch gradient descent.

    Parameters
    ----------
    network : Network
    inputs : array (n_samples, n_steps, n_inputs)
        Training patterns.
    targets : array
        Integer labels in ``[0, n_outputs)`` (``"cross_entropy"``, ``"step_cross_entropy"``) or
        target outputs ``(n_samples, n_outputs)`` (``"mse"``).
    loss : {"cross_entropy", "mse", "step_cross_entropy"}
        ``"step_cross_entropy"``: the mean over steps of each step's cross-entropy (the official
        objective; needs ``Readout("linear")``). Prediction is always the argmax of the outputs
        (for the linear readout: of the time-averaged logits).
    epochs, batch_size : int
    optimizer : SGD or Adam, optional
        Default ``Adam(1e-3)``.
    seed : int
        Seeds the shuffling and the network noise (the initial weights are the network's own).
    test_inputs, test_targets : array, optional
        Evaluated after every epoch (noise seed ``seed``).
    progress : bool
        Show a tqdm progress bar over epochs (loss, accuracy and seconds per epoch).
    verbose : bool
        Log one line per epoch (with its time) to the ``nsnn_sim`` logger, shown on stderr
        (:func:`nsnn_sim._core.log.enable_console`).
    mean_field : bool
        Train the mean-field network instead of the stochastic one.

    Returns
    -------
    xarray.Dataset
        Along dim ``epoch``: ``loss`` and ``accuracy`` (mean over the epoch's minibatches, on the
        noisy forward passes used for training), ``test_loss``, ``test_accuracy``, ``epoch_time``
        (seconds); attrs: the architecture, optimiser, seed, package version.
    """
    if verbose:
        enable_console()
    inputs = check_inputs(network, inputs)
    loss = check_loss(loss, network.readout.kind)
    targets = check_targets(loss, targets, inputs.shape[0], network.n_outputs)
    epochs = whole_number("epochs", epochs)
    batch_size = whole_number("batch_size", batch_size)
    seed = seed_value(seed)
    has_test = test_inputs is not None
    if has_test:
        test_inputs = check_inputs(network, test_inputs)
        test_targets = check_targets(loss, test_targets, test_inputs.shape[0], network.n_outputs)
    mean_field = check_mean_field(network, mean_field)
    optimizer = Adam(1e-3) if optimizer is None else optimizer
    names = network.trainable()
    history = {key: np.full(epochs, np.nan) for key in ("loss", "accuracy", "test_loss", "test_accuracy", "epoch_time")}
    bar = tqdm(range(epochs), disable=not progress, desc="epochs", leave=False)
    for epoch in bar:
        started = time.perf_counter()
        order = np.random.default_rng([seed, epoch]).permutation(inputs.shape[0])
        losses, correct = [], 0
        for number, start in enumerate(range(0, inputs.shape[0], batch_size)):
            chosen = order[start:start + batch_size]
            value, grads, trace = loss_and_gradients(network, inputs[chosen], targets[chosen], loss=loss,
                                                     seed=batch_seed(seed, epoch, number), mean_field=mean_field,
                                                     return_trace=True)
            optimizer.step(network.parameters, grads, names)
            network.constrain()
            losses.append(value * chosen.size)
            if loss in CLASSIFICATION_LOSSES:
                correct += int(np.sum(trace.outputs.argmax(axis=1) == targets[chosen]))
        history["epoch_time"][epoch] = time.perf_counter() - started
        history["loss"][epoch] = np.sum(losses) / inputs.shape[0]
        history["accuracy"][epoch] = correct / inputs.shape[0] if loss in CLASSIFICATION_LOSSES else np.nan
        if has_test:
            result = evaluate(network, test_inputs, test_targets, loss=loss, seed=seed, mean_field=mean_field)
            history["test_loss"][epoch], history["test_accuracy"][epoch] = result.loss, result.accuracy
        summary = {"loss": f"{history['loss'][epoch]:.4g}", "s/epoch": f"{history['epoch_time'][epoch]:.2f}"}
        if has_test and loss in CLASSIFICATION_LOSSES:
            summary["test_acc"] = f"{history['test_accuracy'][epoch]:.3f}"
        bar.set_postfix(summary)
        if verbose:
            _log.info("epoch %d/%d: %s", epoch + 1, epochs, ", ".join(f"{k} {v}" for k, v in summary.items()))
    units = {"loss": "", "accuracy": "fraction", "test_loss": "", "test_accuracy": "fraction", "epoch_time": "s"}
    return xr.Dataset(
        {key: ("epoch", values, {"units": units[key]}) for key, values in history.items()},
        coords={"epoch": np.arange(1, epochs + 1)},
        attrs={"network": network.config_json(), "optimizer": type(optimizer).__name__,
               "learning_rate": optimizer.learning_rate, "loss_function": loss, "batch_size": batch_size,
               "seed": seed, "mean_field": int(mean_field), **provenance()},
    )
