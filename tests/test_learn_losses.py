"""The learner's losses against their definitions, exactly: softmax along the last axis of any array, the mean
squared error and its gradient (central differences), and the message of out-of-range class labels."""

import numpy as np
import pytest
from scipy import special

from nsnn_sim.learn import losses


def test_softmax_is_taken_along_the_last_axis_of_any_array():
    outputs = np.random.default_rng(1).normal(0.0, 3.0, (2, 3, 4))
    np.testing.assert_allclose(losses.softmax(outputs), special.softmax(outputs, axis=-1), rtol=1e-14)
    np.testing.assert_allclose(losses.softmax(outputs[0, 0]), special.softmax(outputs[0, 0]), rtol=1e-14)


def test_mean_squared_error_and_its_gradient_are_the_definition():
    rng = np.random.default_rng(2)
    outputs, targets = rng.normal(size=(3, 4)), rng.normal(size=(3, 4))
    value = losses.mean_squared_error(outputs, targets)
    assert value.loss == pytest.approx(np.mean((outputs - targets) ** 2), rel=1e-14)
    step = 1e-6
    numerical = np.empty_like(outputs)
    for index in np.ndindex(outputs.shape):
        plus, minus = outputs.copy(), outputs.copy()
        plus[index] += step
        minus[index] -= step
        numerical[index] = (losses.mean_squared_error(plus, targets).loss
                            - losses.mean_squared_error(minus, targets).loss) / (2 * step)
    np.testing.assert_allclose(value.gradient, numerical, rtol=1e-7, atol=1e-10)  # central differences: O(step^2)


def test_labels_out_of_range_are_named_five_at_most():
    labels = np.array([0, 9, 10, 11, 12, 13, 14, 1])
    with pytest.raises(ValueError, match=r"got 6 value\(s\) out of range: 9, 10, 11, 12, 13, \.\.\.$"):
        losses.check_targets("cross_entropy", labels, 8, 3)
    with pytest.raises(ValueError, match=r"got 2 value\(s\) out of range: -1, 5$"):
        losses.check_targets("cross_entropy", np.array([-1, 5, 0]), 3, 3)
