"""The Hessian of a negative log-likelihood from its values, shared by the fits' standard-error tests."""

from __future__ import annotations

import numpy as np


def hessian_of_minus_log_likelihood(total, theta, steps):
    """``-d^2 total/dtheta_i dtheta_j`` by central second differences at steps ``h`` and ``h/2``, Richardson-
    extrapolated (``(4 H(h/2) - H(h))/3``: error O(h^4))."""
    def differences(h):
        k = len(theta)
        hessian = np.empty((k, k))
        for i in range(k):
            for j in range(i, k):
                def value(a, b):
                    point = theta.copy()
                    point[i] += a * h[i]
                    point[j] += b * h[j]
                    return total(point)
                if i == j:
                    second = (value(1, 0) - 2 * total(theta) + value(-1, 0)) / h[i] ** 2
                else:
                    second = (value(1, 1) - value(1, -1) - value(-1, 1) + value(-1, -1)) / (4 * h[i] * h[j])
                hessian[i, j] = hessian[j, i] = -second
        return hessian

    return (4 * differences(steps / 2) - differences(steps)) / 3
