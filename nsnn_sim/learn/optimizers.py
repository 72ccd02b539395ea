"""Gradient-descent optimisers acting in place on a dict of named parameter arrays.

* :class:`SGD`: ``v <- momentum*v + g``; ``p <- p - learning_rate*v``.
* :class:`Adam` (Kingma & Ba 2015): ``m <- b1 m + (1-b1) g``, ``v <- b2 v + (1-b2) g**2``,
  ``p <- p - learning_rate * m_hat / (sqrt(v_hat) + eps)`` with bias-corrected ``m_hat``, ``v_hat``.

Examples
--------
>>> import numpy as np
>>> from nsnn_sim.learn.optimizers import SGD, Adam
>>> parameters = {"w": np.array([1.0, -1.0])}
>>> SGD(learning_rate=0.1).step(parameters, {"w": np.array([1.0, 1.0])}, ["w"])
>>> parameters["w"].tolist()
[0.9, -1.1]
>>> Adam(learning_rate=0.1).step(parameters, {"w": np.array([2.0, -3.0])}, ["w"])
>>> parameters["w"].round(6).tolist()
[0.8, -1.0]
"""

from __future__ import annotations

import numpy as np

from nsnn_sim._core.validation import numeric_parameter

__all__ = ["SGD", "Adam"]


class SGD:
    """Stochastic gradient descent with optional momentum."""

    def __init__(self, learning_rate: float = 0.01, momentum: float = 0.0):
        self.learning_rate = float(numeric_parameter("learning_rate", learning_rate, lower=0.0, lower_open=True))
        self.momentum = float(numeric_parameter("momentum", momentum, lower=0.0, upper=1.0, upper_open=True))
        self._velocity: dict[str, np.ndarray] = {}

    def step(self, parameters: dict, grads: dict, names) -> None:
        """Update ``parameters[name]`` for each of ``names`` with ``grads[name]``."""
        for name in names:
            velocity = self._velocity.setdefault(name, np.zeros_like(parameters[name]))
            velocity *= self.momentum
            velocity += grads[name]
            parameters[name] -= self.learning_rate * velocity


class Adam:
    """Adam with bias correction."""

    def __init__(self, learning_rate: float = 1e-3, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8):
        self.learning_rate = float(numeric_parameter("learning_rate", learning_rate, lower=0.0, lower_open=True))
        self.beta1 = float(numeric_parameter("beta1", beta1, lower=0.0, upper=1.0, upper_open=True))
        self.beta2 = float(numeric_parameter("beta2", beta2, lower=0.0, upper=1.0, upper_open=True))
        self.eps = float(numeric_parameter("eps", eps, lower=0.0, lower_open=True))
        self._moments: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self._count = 0

    def step(self, parameters: dict, grads: dict, names) -> None:
        """Update ``parameters[name]`` for each of ``names`` with ``grads[name]``."""
        self._count += 1
        correction1 = 1.0 - self.beta1**self._count
        correction2 = 1.0 - self.beta2**self._count
        for name in names:
            grad = grads[name]
            first, second = self._moments.setdefault(name, (np.zeros_like(grad), np.zeros_like(grad)))
            first *= self.beta1
            first += (1.0 - self.beta1) * grad
            second *= self.beta2
            second += (1.0 - self.beta2) * grad * grad
            parameters[name] -= self.learning_rate * (first / correction1) / (np.sqrt(second / correction2) + self.eps)
