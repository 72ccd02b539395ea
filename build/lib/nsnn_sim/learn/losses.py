"""Losses on the network's outputs, each returning ``(loss, dL/d outputs)``.

* :func:`cross_entropy`: classification, ``L = -mean_b log softmax(outputs_b)[label_b]``.
* :func:`mean_squared_error`: regression, e.g. output firing rates against target rates,
  ``L = mean_{b,k} (outputs_bk - target_bk)**2``.
"""

from __future__ import annotations

import numpy as np

__all__ = ["cross_entropy", "mean_squared_error", "softmax", "LOSSES"]


def softmax(outputs: np.ndarray) -> np.ndarray:
    """Row-wise softmax, computed stably (``exp(o - max o)``)."""
    shifted = np.exp(outputs - outputs.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def cross_entropy(outputs: np.ndarray, labels) -> tuple[float, np.ndarray]:
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
    return float(loss), grad / n_batch


def mean_squared_error(outputs: np.ndarray, targets) -> tuple[float, np.ndarray]:
    """``mean((outputs - targets)**2)`` and its gradient ``2 (outputs - targets) / outputs.size``."""
    targets = np.asarray(targets, dtype=np.float64)
    if targets.shape != outputs.shape:
        raise ValueError(f"targets has shape {targets.shape}; expected the outputs' {outputs.shape}")
    error = outputs - targets
    return float(np.mean(error**2)), 2.0 * error / error.size


LOSSES = {"cross_entropy": cross_entropy, "mse": mean_squared_error}
