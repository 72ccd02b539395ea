"""Temporal basis functions for stimulus and spike-history filters, and the covariates they give.

A filter ``k(l) = sum_b c_b B[l, b]`` over ``n_basis`` functions turns the convolution ``sum_l k(l) x[t - l]`` into
a linear function of the covariates ``X[t, b] = sum_l B[l, b] x[t - l]``, which :func:`nsnn_sim.fit.fit_escape`
and :func:`nsnn_sim.fit.fit_poisson_glm` weight. The raised cosines on a logarithmic time axis are those of
Pillow et al. (2008), Nature 454:995 (Supplementary Methods):
``B[l, b] = (1 + cos(clip(a log(l + c) - phi_b, -pi, pi))) / 2``, peaks equally spaced in ``log(l + c)``.
"""

from __future__ import annotations

import numpy as np

from nsnn_sim._core.validation import describe, float_array, whole_number

__all__ = ["raised_cosine_basis", "filtered_covariates"]


def raised_cosine_basis(n_basis: int, n_lags: int, offset: float = 1.0) -> np.ndarray:
    """Log-time raised cosines, shape ``(n_lags, n_basis)`` (lag 0 first), peaks from lag 0 to ``n_lags - 1``.

    Parameters
    ----------
    n_basis : int
        Number of functions, >= 1.
    n_lags : int
        Length of the filters in steps, >= n_basis.
    offset : float
        ``c`` of ``log(l + c)``, > 0: small values crowd the peaks at short lags.

    Examples
    --------
    >>> basis = raised_cosine_basis(3, 20)
    >>> basis.shape, float(basis[0, 0])
    ((20, 3), 1.0)
    """
    n_basis = whole_number("n_basis", n_basis)
    n_lags = whole_number("n_lags", n_lags, minimum=n_basis)
    if not offset > 0:
        raise ValueError(f"offset={describe(offset)} must be > 0")
    warped = np.log(np.arange(n_lags) + offset)
    peaks = np.linspace(warped[0], warped[-1], n_basis)
    spacing = peaks[1] - peaks[0] if n_basis > 1 else warped[-1] - warped[0] + 1.0
    phase = np.clip((warped[:, None] - peaks[None, :]) * np.pi / (2 * spacing), -np.pi, np.pi)
    return 0.5 * (1.0 + np.cos(phase))


def filtered_covariates(signal, basis, first_lag: int = 0) -> np.ndarray:
    """``X[..., t, c*n_basis + b] = sum_l basis[l, b] signal[..., t - first_lag - l, c]`` (zeros before step 0).

    Parameters
    ----------
    signal : array (n_steps, n_channels) or (n_trials, n_steps, n_channels)
        A stimulus, or spike trains (``first_lag=1`` for a spike-history filter: only past spikes).
    basis : array (n_lags, n_basis)
    first_lag : int
        The lag of ``basis[0]``, >= 0.

    Returns
    -------
    array, shape of ``signal`` with ``n_channels*n_basis`` last
    """
    signal = float_array("signal", signal)
    basis = float_array("basis", basis)
    if signal.ndim not in (2, 3) or basis.ndim != 2:
        raise ValueError(f"signal must be (n_steps, n_channels) or (n_trials, n_steps, n_channels) and basis "
                         f"(n_lags, n_basis); got {signal.shape} and {basis.shape}")
    first_lag = whole_number("first_lag", first_lag, minimum=0)
    squeeze = signal.ndim == 2
    if squeeze:
        signal = signal[None]
    n_trials, n_steps, n_channels = signal.shape
    n_lags, n_basis = basis.shape
    out = np.zeros((n_trials, n_steps, n_channels, n_basis))
    for lag in range(n_lags):
        shift = lag + first_lag
        if shift >= n_steps:
            break
        out[:, shift:] += signal[:, :n_steps - shift, :, None] * basis[lag]
    out = out.reshape(n_trials, n_steps, n_channels * n_basis)
    return out[0] if squeeze else out
