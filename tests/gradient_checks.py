"""Finite-difference derivatives of the learner's mean-field loss, shared by the learner's gradient tests."""

from __future__ import annotations

from nsnn_sim import learn


def mean_field_directional_derivative(network, x, labels, name: str, direction, h: float,
                                      loss: str = "cross_entropy") -> float:
    """d loss / d epsilon of the mean-field network with ``parameters[name]`` (or the input, ``name="input"``)
    moved by ``epsilon*direction``: the 4th-order central stencil
    ``(8 (f(h) - f(-h)) - (f(2h) - f(-2h))) / (12 h)`` (truncation ~h^4, rounding ~1e-13/h)."""
    def value(epsilon):
        if name == "input":
            return learn.loss_and_gradients(network, x + epsilon * direction, labels, loss=loss, mean_field=True)[0]
        shifted = network.copy()
        shifted.parameters[name] = network.parameters[name] + epsilon * direction
        return learn.loss_and_gradients(shifted, x, labels, loss=loss, mean_field=True)[0]
    return (8 * (value(h) - value(-h)) - (value(2 * h) - value(-2 * h))) / (12 * h)
