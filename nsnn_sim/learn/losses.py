"""Losses, each returning a :class:`LossValue` ``(loss, gradient)``, and the checks of a loss's name and targets.

On the network's outputs ``(batch, n_outputs)``:

* :func:`cross_entropy`: classification, ``L = -mean_b log softmax(outputs_b)[label_b]``.
* :func:`mean_squared_error`: regression, e.g. output firing rates against target rates,
  ``L = mean_{b,k} (outputs_bk - target_bk)**2``.

On the per-step logits ``y[b, t, k]`` of the linear readout (``Readout("linear")``):

* :func:`step_cross_entropy`: the official code's objective, the mean over steps of each step's
  cross-entropy, ``L = (1/T) sum_t -mean_b log softmax(y[b, t])[label_b]``
  (``loss = sum_t CE(out[:, t], y) / T`` in ``main_cifar10.py``).

:func:`loss_gradients` applies a loss by name to a forward pass; :func:`check_loss` and
:func:`check_targets` validate the name (a step loss needs the linear readout) and the targets
(shape, class range) before any kernel runs.

Examples
--------
>>> import numpy as np
>>> from nsnn_sim.learn.losses import cross_entropy, mean_squared_error
>>> loss, grad = cross_entropy(np.zeros((1, 2)), [0])
>>> round(loss, 6), grad.tolist()
(0.693147, [[-0.5, 0.5]])
>>> mean_squared_error(np.array([[1.0, 0.0]]), np.array([[0.0, 0.0]]))[0]
0.5
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from nsnn_sim._core.validation import finite_array

__all__ = ["cross_entropy", "mean_squared_error", "step_cross_entropy", "softmax", "LOSSES", "STEP_LOSSES",
           "CLASSIFICATION_LOSSES", "check_loss", "check_targets", "loss_gradients", "LossValue"]


class LossValue(NamedTuple):
    """What a loss returns (a named tuple: ``loss, gradient = cross_entropy(...)`` unpacks it)."""

    loss: float  #: the loss
    gradient: np.ndarray  #: its gradient with respect to the outputs (their shape)


def softmax(outputs: np.ndarray) -> np.ndarray:
    """Softmax along the last axis, computed stably (``exp(o - max o)``)."""
    shifted = np.exp(outputs - outputs.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def cross_entropy(outputs: np.ndarray, labels) -> LossValue:
    """Mean cross-entropy of softmax(outputs) against integer ``labels``, and its gradient
    ``(softmax(outputs) - onehot(labels)) / batch``."""
    labels = np.asarray(labels)
    n_batch, n_classes = outputs.shape
    if labels.shape != (n_batch,) or labels.dtype.kind not in "iu" or np.any((labels < 0) | (labels >= n_classes)):
        raise ValueError(f"labels must be {n_batch} integers in [0, {n_classes})")
    probabilities = softmax(outputs)
    rows = np.arange(n_batch)
    loss = -np.mean(np.log(np.maximum(probabilities[rows, labels], 1e-300)))
    grad = probabilities.copy()
    grad[rows, labels] -= 1.0
    return LossValue(float(loss), grad / n_batch)


def step_cross_entropy(step_outputs: np.ndarray, labels) -> LossValue:
    """Mean over steps of the cross-entropy of each step's logits ``step_outputs[:, t]`` (shape
    ``(batch, n_steps, n_classes)``), and its gradient ``(softmax(y[b, t]) - onehot) / (batch n_steps)``."""
    step_outputs = finite_array("step_outputs", step_outputs)
    if step_outputs.ndim != 3:
        raise ValueError(f"step_outputs has shape {step_outputs.shape}; expected (batch, n_steps, n_classes)")
    n_batch, n_steps, n_classes = step_outputs.shape
    labels = np.asarray(labels)
    if labels.shape != (n_batch,):
        raise ValueError(f"labels must be {n_batch} integers in [0, {n_classes})")
    loss, grad = cross_entropy(step_outputs.reshape(n_batch * n_steps, n_classes), np.repeat(labels, n_steps))
    return LossValue(loss, grad.reshape(step_outputs.shape))


def mean_squared_error(outputs: np.ndarray, targets) -> LossValue:
    """``mean((outputs - targets)**2)`` and its gradient ``2 (outputs - targets) / outputs.size``."""
    targets = finite_array("targets", targets)
    if targets.shape != np.shape(outputs):
        raise ValueError(f"targets has shape {targets.shape}; expected the outputs' {outputs.shape}")
    error = outputs - targets
    return LossValue(float(np.mean(error**2)), 2.0 * error / error.size)


LOSSES = {"cross_entropy": cross_entropy, "mse": mean_squared_error}
"""Losses on the outputs ``(batch, n_outputs)``."""
STEP_LOSSES = {"step_cross_entropy": step_cross_entropy}
"""Losses on the per-step logits ``(batch, n_steps, n_outputs)`` of the linear readout."""
CLASSIFICATION_LOSSES = ("cross_entropy", "step_cross_entropy")
"""Losses whose targets are class labels (accuracy = argmax of the outputs)."""


def check_loss(loss: str, readout_kind: str) -> str:
    """``loss`` if it is a known loss usable with the readout ``readout_kind``, else ``ValueError``."""
    allowed = tuple(LOSSES) + tuple(STEP_LOSSES)
    if not isinstance(loss, str) or loss not in allowed:
        raise ValueError(f"loss={loss!r} is not allowed; allowed: {allowed}")
    if loss in STEP_LOSSES and readout_kind != "linear":
        raise ValueError(f"loss={loss!r} is taken on per-step logits and needs Readout('linear', n_outputs); "
                         f"this network's readout is {readout_kind!r}")
    return loss


def check_targets(loss: str, targets, n_samples: int, n_outputs: int) -> np.ndarray:
    """``targets`` as an array, checked for ``loss``: class labels ``(n_samples,)`` of integers in
    ``[0, n_outputs)`` for the classification losses, finite ``(n_samples, n_outputs)`` for ``"mse"``.
    ``ValueError`` naming ``targets`` (and the values out of range) otherwise."""
    array = np.asarray(targets)
    if loss in CLASSIFICATION_LOSSES:
        if array.shape != (n_samples,):
            raise ValueError(f"targets has shape {array.shape}; loss={loss!r} needs one class label per input "
                             f"pattern, shape ({n_samples},)")
        if array.dtype.kind not in "iu":
            raise ValueError(f"targets must be integer class labels for loss={loss!r}, got dtype {array.dtype}")
        bad = np.unique(array[(array < 0) | (array >= n_outputs)])
        if bad.size:
            shown = ", ".join(str(v) for v in bad[:5]) + (", ..." if bad.size > 5 else "")
            raise ValueError(f"targets must be class labels in [0, {n_outputs}) (the network has {n_outputs} "
                             f"outputs); got {bad.size} value(s) out of range: {shown}")
        return array
    if array.shape != (n_samples, n_outputs):
        raise ValueError(f"targets has shape {array.shape}; loss={loss!r} needs ({n_samples}, {n_outputs}) "
                         "(one target per input pattern and output)")
    if array.dtype.kind not in "iuf" or not np.all(np.isfinite(array)):
        raise ValueError(f"targets must be finite numbers for loss={loss!r}")
    return array.astype(np.float64)


def loss_gradients(loss: str, outputs: np.ndarray, step_outputs, targets):
    """``(value, dL/d outputs, dL/d step_outputs)`` of loss ``loss``; the gradient it does not
    depend on is None. ``step_outputs`` are the linear readout's per-step logits (or None)."""
    if loss in STEP_LOSSES:
        value, grad_steps = STEP_LOSSES[loss](step_outputs, targets)
        return value, None, grad_steps
    value, grad = LOSSES[loss](outputs, targets)
    return value, grad, None
