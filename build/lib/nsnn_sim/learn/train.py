"""Training loop: minibatches, the NDL / surrogate gradient, an optimiser, history as xarray.

Each minibatch runs the stochastic network forward (:func:`~nsnn_sim.learn.forward.forward`, the
simulator's neuron equation), computes the loss on its outputs, backpropagates with the NDL rule
(:func:`~nsnn_sim.learn.backward.backward`) and takes an optimiser step. Everything random is seeded
from ``seed``: the shuffling of epoch ``e`` and the network noise of each minibatch.
"""

from __future__ import annotations

import time

import numpy as np
import xarray as xr
from tqdm.auto import tqdm

from nsnn_sim import rng
from nsnn_sim.learn.backward import backward
from nsnn_sim.learn.forward import check_inputs, forward
from nsnn_sim.learn.losses import LOSSES
from nsnn_sim.learn.optimizers import Adam
from nsnn_sim.learn.simulator import simulate_network
from nsnn_sim.log import enable_console, get_logger
from nsnn_sim.validation import whole_number
from nsnn_sim.version import provenance

__all__ = ["train", "evaluate", "batch_seed"]

_log = get_logger(__name__)


TRAINING, EVALUATION, ATTACK = 1, 2, 3


def batch_seed(seed: int, epoch: int, batch: int, purpose: int = TRAINING) -> int:
    """The network-noise seed of minibatch ``batch`` of epoch ``epoch`` (a hash, in [0, 2**63)).

    ``purpose`` keeps training (1), evaluation (2, epoch 0) and gradient-sign attacks (3, epoch =
    noisy pass) on different streams."""
    return int(rng.stream_key(seed, epoch, batch, purpose)) >> 1


def _check_targets(loss: str, targets, n_samples: int):
    if loss not in LOSSES:
        raise ValueError(f"loss={loss!r} is not allowed; allowed: {tuple(LOSSES)}")
    targets = np.asarray(targets)
    if targets.shape[:1] != (n_samples,):
        raise ValueError(f"targets has {targets.shape[:1]} rows; expected one per input pattern ({n_samples})")
    return targets


def evaluate(network, inputs, targets, loss: str = "cross_entropy", seed: int = 0, batch_size: int = 256,
             mean_field: bool = False, membrane_noise: float = 0.0, engine: str = "learner") -> dict:
    """Loss and (for classification) accuracy of ``network`` on a dataset, without training.

    Batch ``k`` uses the noise seed ``batch_seed(seed, 0, k, EVALUATION)`` and trials ``0..batch-1``.
    ``engine="simulator"`` runs the batches in :func:`nsnn_sim.simulate` instead of the learner's
    forward pass (:mod:`nsnn_sim.learn.simulator`; not with ``mean_field``): with the same seed the
    outputs are identical. Returns ``{"loss", "accuracy" (NaN for "mse"), "outputs"}``.
    """
    if engine not in ("learner", "simulator"):
        raise ValueError(f"engine={engine!r} is not allowed; allowed: ('learner', 'simulator')")
    if engine == "simulator" and mean_field:
        raise ValueError("the simulator runs the stochastic network: mean_field=True needs engine='learner'")
    inputs = check_inputs(network, inputs)
    targets = _check_targets(loss, targets, inputs.shape[0])
    batch_size = whole_number("batch_size", batch_size)
    outputs = np.empty((inputs.shape[0], network.n_outputs))
    for number, start in enumerate(range(0, inputs.shape[0], batch_size)):
        chunk = slice(start, start + batch_size)
        if engine == "learner":
            outputs[chunk] = forward(network, inputs[chunk], seed=batch_seed(seed, 0, number, EVALUATION), mean_field=mean_field,
                                     membrane_noise=membrane_noise).outputs
        else:
            outputs[chunk] = simulate_network(network, inputs[chunk], seed=batch_seed(seed, 0, number, EVALUATION),
                                              membrane_noise=membrane_noise).outputs
    value, _ = LOSSES[loss](outputs, targets)
    accuracy = float(np.mean(outputs.argmax(axis=1) == targets)) if loss == "cross_entropy" else float("nan")
    return {"loss": value, "accuracy": accuracy, "outputs": outputs}


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
        Integer labels (``loss="cross_entropy"``) or target outputs (``loss="mse"``).
    loss : {"cross_entropy", "mse"}
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
        (:func:`nsnn_sim.log.enable_console`).
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
    targets = _check_targets(loss, targets, inputs.shape[0])
    epochs = whole_number("epochs", epochs)
    batch_size = whole_number("batch_size", batch_size)
    seed = whole_number("seed", seed, minimum=0)
    has_test = test_inputs is not None
    if has_test:
        test_inputs = check_inputs(network, test_inputs)
        test_targets = _check_targets(loss, test_targets, test_inputs.shape[0])
    optimizer = Adam(1e-3) if optimizer is None else optimizer
    loss_function = LOSSES[loss]
    names = network.trainable()
    history = {key: np.full(epochs, np.nan) for key in ("loss", "accuracy", "test_loss", "test_accuracy", "epoch_time")}
    bar = tqdm(range(epochs), disable=not progress, desc="epochs", leave=False)
    for epoch in bar:
        started = time.perf_counter()
        order = np.random.default_rng([seed, epoch]).permutation(inputs.shape[0])
        losses, correct = [], 0
        for number, start in enumerate(range(0, inputs.shape[0], batch_size)):
            chosen = order[start:start + batch_size]
            trace = forward(network, inputs[chosen], seed=batch_seed(seed, epoch, number), mean_field=mean_field)
            value, grad_outputs = loss_function(trace.outputs, targets[chosen])
            grads = backward(network, trace, grad_outputs)
            optimizer.step(network.parameters, grads, names)
            network.constrain()
            losses.append(value * chosen.size)
            if loss == "cross_entropy":
                correct += int(np.sum(trace.outputs.argmax(axis=1) == targets[chosen]))
        history["epoch_time"][epoch] = time.perf_counter() - started
        history["loss"][epoch] = np.sum(losses) / inputs.shape[0]
        history["accuracy"][epoch] = correct / inputs.shape[0] if loss == "cross_entropy" else np.nan
        if has_test:
            result = evaluate(network, test_inputs, test_targets, loss=loss, seed=seed, mean_field=mean_field)
            history["test_loss"][epoch], history["test_accuracy"][epoch] = result["loss"], result["accuracy"]
        summary = {"loss": f"{history['loss'][epoch]:.4g}", "s/epoch": f"{history['epoch_time'][epoch]:.2f}"}
        if has_test and loss == "cross_entropy":
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
