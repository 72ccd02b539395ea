"""Argument checks shared by the public API: every error names the parameter, the value and what is allowed.

All checks run in Python before any Numba kernel is called.

* Numbers: :func:`float_array`, :func:`finite_array`, :func:`numeric_parameter`, :func:`whole_number`,
  :func:`per_neuron`, :func:`neuron_indices`, :func:`finite_values` (arrays or DataArrays that broadcast, e.g.
  angles of any real value). One rule for every array argument: integers or reals only (no strings, even numeric
  ones, no bools, no complex numbers, no objects), and, where the value reaches a kernel, finite and of magnitude
  at most :data:`MAX_MAGNITUDE`.
* Orientations: :func:`orientation_grid` -- the one check of a set of stimulus orientations
  (1-D, finite, distinct, radians in ``[0, pi)``), used by every coding module.
* Messages: :func:`describe`.
* Units: :func:`si_value` converts a time or a rate with physical units (a Brian2 ``Quantity``, a
  ``quantities`` array) to SI; values with units are refused everywhere else unless dimensionless
  (:mod:`nsnn_sim._core.units`).

Examples
--------
>>> import numpy as np
>>> orientation_grid("stimuli", np.arange(4) * np.pi / 4)
array([0.        , 0.78539816, 1.57079633, 2.35619449])
>>> orientation_grid("stimuli", [0.0, 4.0])  # doctest: +ELLIPSIS
Traceback (most recent call last):
...
ValueError: stimuli=array(shape=(2,), min=0, max=4) must be orientations in radians in [0, pi) ...
"""

from __future__ import annotations

import functools
import inspect

import numpy as np
import xarray as xr

from nsnn_sim._core.messages import describe
from nsnn_sim._core.units import dimensionless, to_si

__all__ = ["float_array", "finite_array", "distinct_values", "MAX_MAGNITUDE", "numeric_parameter", "scalar_parameter",
           "whole_number", "per_neuron", "describe", "finite_values", "orientation_grid", "ORIENTATION_PERIOD",
           "si_value"]

#: The largest magnitude a number fed to a kernel may have. Beyond it float64 arithmetic inside the kernels
#: (a noise draw times its scale, a Poisson count times its weight, squares in the bridge formula) can
#: overflow to inf and then NaN; 1e100 leaves a margin of 10^200 for such products and sums.
MAX_MAGNITUDE = 1e100

#: Orientations are angles modulo pi (a grating at s and at s + pi is the same stimulus).
ORIENTATION_PERIOD = np.pi


def with_units(**units):
    """Decorate a function so that the arguments named in ``units`` (name -> ``"s"``, ``"Hz"``, ...) may carry
    units: each is converted by :func:`si_value` before the call (``None`` passes through), so the function
    body sees SI numbers only.

    Examples
    --------
    >>> from nsnn_sim._core.validation import with_units
    >>> @with_units(tau="s")
    ... def doubled(tau):
    ...     return 2 * tau
    >>> doubled(0.01)
    0.02
    """

    def decorate(function):
        signature = inspect.signature(function)

        @functools.wraps(function)
        def converted(*args, **kwargs):
            bound = signature.bind(*args, **kwargs)
            for name, unit in units.items():
                if bound.arguments.get(name) is not None:
                    bound.arguments[name] = si_value(name, bound.arguments[name], unit)
            return function(*bound.args, **bound.kwargs)

        return converted

    return decorate


def si_value(name: str, value, unit: str):
    """A time or rate parameter in SI: ``value`` unchanged if it is a plain number or array (SI already),
    its SI value if it carries units of the right dimension, else ``UnitError`` (a ``TypeError`` and a
    ``ValueError``) naming ``name``, the value with its unit and the unit expected.

    ``unit`` is ``"s"`` (times), ``"Hz"`` (rates), ``"1/s"`` (costs per second) or ``"1"``; see
    :func:`nsnn_sim._core.units.to_si`.

    Examples
    --------
    >>> from nsnn_sim._core.validation import si_value
    >>> si_value("tau", 0.02, "s")
    0.02
    """
    return to_si(name, value, unit)


def float_array(name: str, value, what: str = "a number or an array of numbers") -> np.ndarray:
    """``value`` as a new float64 array; ``TypeError`` unless it holds integers or reals (no None,
    bools, strings, complex numbers or objects). A value with physical units is accepted only if they
    are dimensionless (a voltage or a current is refused with advice on converting it to membrane units)."""
    value = dimensionless(name, value, what)
    if value is None or isinstance(value, (bool, np.bool_, str)):
        raise TypeError(f"{name} must be {what}, got {describe(value)}")
    try:
        original = np.asarray(value)
    except (TypeError, ValueError):
        raise TypeError(f"{name} must be {what}, got {describe(value)}") from None
    if original.dtype.kind not in "iuf":
        raise TypeError(f"{name} must be {what}, got {describe(value) if original.ndim else repr(value)} "
                        f"of dtype {original.dtype}")
    return original.astype(np.float64)


def distinct_values(array: np.ndarray) -> np.ndarray:
    """The values of ``array`` without the repeats of its zero-stride (broadcast) axes: a view, so that a
    check of ``np.broadcast_to(x, huge_shape)`` costs what a check of ``x`` costs."""
    if array.size == 0:
        return array
    index = tuple(0 if stride == 0 else slice(None) for stride in array.strides)
    return array[index]


def finite_array(name: str, value, what: str = "a number or an array of numbers", *,
                 keep_view: bool = False) -> np.ndarray:
    """``value`` as float64 numbers that are finite and of magnitude <= :data:`MAX_MAGNITUDE`: the one check
    of an array that reaches a kernel. ``TypeError`` as :func:`float_array`; ``ValueError`` naming ``name``
    and the values otherwise. With ``keep_view`` a float64 array (a zero-stride ``np.broadcast_to`` view,
    say) is returned as it is instead of copied.

    Examples
    --------
    >>> finite_array("inputs", [0.5, 1.0])
    array([0.5, 1. ])
    >>> finite_array("inputs", [0.5, np.nan])
    Traceback (most recent call last):
    ...
    ValueError: inputs=array(shape=(2,), min=0.5, max=0.5, 1 non-finite) must be finite (no NaN or inf)
    """
    # only a plain ndarray: subclasses (a Brian2 Quantity, a quantities array) carry units to check
    plain = keep_view and type(value) is np.ndarray and value.dtype == np.float64
    array = value if plain else float_array(name, value, what)
    distinct = distinct_values(array)
    if not np.all(np.isfinite(distinct)):
        raise ValueError(f"{name}={describe(distinct)} must be finite (no NaN or inf)")
    if distinct.size and np.max(np.abs(distinct)) > MAX_MAGNITUDE:
        raise ValueError(f"{name}={describe(distinct)} must be at most {MAX_MAGNITUDE:g} in magnitude "
                         "(larger values overflow float64 arithmetic in the kernels)")
    return array


def numeric_parameter(name: str, value, *, lower=None, upper=None, lower_open=False, upper_open=False):
    """A finite scalar or 1-D per-neuron parameter within bounds (and within :data:`MAX_MAGNITUDE`);
    returns float or read-only array."""
    array = finite_array(name, value, "a number or a 1-D array of numbers")
    if array.ndim > 1:
        raise ValueError(f"{name} must be a scalar or a 1-D per-neuron array, got shape {array.shape}")
    if array.size == 0:
        raise ValueError(f"{name} must not be empty")
    if lower is not None and np.any(array <= lower if lower_open else array < lower):
        raise ValueError(f"{name}={describe(value)} must be {'>' if lower_open else '>='} {lower}")
    if upper is not None and np.any(array >= upper if upper_open else array > upper):
        raise ValueError(f"{name}={describe(value)} must be {'<' if upper_open else '<='} {upper}")
    if array.ndim == 0:
        return float(array)
    array.setflags(write=False)
    return array


def scalar_parameter(name: str, value, **bounds) -> float:
    """A finite scalar within ``bounds`` (those of :func:`numeric_parameter`), as a float."""
    checked = numeric_parameter(name, value, **bounds)
    if np.ndim(checked):
        raise ValueError(f"{name} must be a scalar, got an array of shape {np.shape(checked)}")
    return checked


def whole_number(name: str, value, minimum: int = 1, maximum: int | None = None) -> int:
    """An integer (not a bool or float) in ``[minimum, maximum]``."""
    allowed = f"in [{minimum}, {maximum}]" if maximum is not None else f">= {minimum}"
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer {allowed}, got {describe(value)}")
    if value < minimum or (maximum is not None and value > maximum):
        raise ValueError(f"{name}={describe(value)} must be {allowed}")
    return int(value)


#: the largest seed: seeds key 64-bit counter-based streams and are stored as int64
MAX_SEED = 2**63 - 1


def seed_value(seed, name: str = "seed") -> int:
    """A seed: an integer in ``[0, 2**63 - 1]`` (the one rule for every ``seed`` argument)."""
    return whole_number(name, seed, minimum=0, maximum=MAX_SEED)


def neuron_indices(name: str, value, n_neurons: int) -> np.ndarray:
    """Distinct integer neuron indices in ``[0, n_neurons)``, a 1-D int64 array in the given order (a scalar is
    one index). ``TypeError`` for a bool, a string or non-integers, ``ValueError`` out of range or repeated."""
    if isinstance(value, (bool, np.bool_, str)):
        raise TypeError(f"{name} must be an array of neuron indices, got {describe(value)}")
    indices = np.atleast_1d(np.asarray(value))
    if indices.ndim != 1 or (indices.size and indices.dtype.kind not in "iu"):
        raise TypeError(f"{name} must be a 1-D array of integer neuron indices, got {describe(value)}")
    if indices.size and (indices.min() < 0 or indices.max() >= n_neurons):
        raise ValueError(f"{name} indices must lie in [0, {n_neurons}), got {indices.min()}..{indices.max()}")
    if np.unique(indices).size != indices.size:
        raise ValueError(f"{name} indices must be unique")
    return indices.astype(np.int64)


def per_neuron(name: str, value, n_neurons: int) -> np.ndarray:
    """A scalar or per-neuron parameter as a contiguous float64 array of length ``n_neurons``."""
    array = np.asarray(value, dtype=np.float64)
    if array.ndim == 1 and array.size != n_neurons:
        raise ValueError(
            f"{name} has {array.size} per-neuron values but n_neurons={n_neurons}; give a scalar or "
            f"an array of length {n_neurons}"
        )
    # always a fresh, writable array: one Numba specialisation whatever the caller passed
    return np.array(np.broadcast_to(array, (n_neurons,)), dtype=np.float64)


def finite_values(name: str, value, what: str = "a number, an array or a DataArray of numbers"):
    """``value`` as float64 numbers that must all be finite; a ``DataArray`` stays a ``DataArray``
    (so that arguments broadcast by xarray rules), anything else becomes a new numpy array.

    ``TypeError`` for non-numeric values (see :func:`float_array`), ``ValueError`` for NaN, inf or
    magnitudes above :data:`MAX_MAGNITUDE`.
    """
    labelled = isinstance(value, xr.DataArray)
    array = finite_array(name, value.values if labelled else value, what)
    return value.astype(np.float64) if labelled else array


def orientation_grid(name: str, values, *, size: int | None = None, minimum_size: int = 1,
                     purpose: str = "this") -> np.ndarray:
    """A set of stimulus orientations: a 1-D float64 array of distinct finite angles in radians in
    ``[0, pi)`` (:data:`ORIENTATION_PERIOD`).

    Parameters
    ----------
    name : str
        The parameter's name, for the error messages.
    values : array_like
        The orientations (radians).
    size : int, optional
        The number of orientations required (e.g. one per stimulus of a response array).
    minimum_size : int
        The fewest orientations ``purpose`` works with.
    purpose : str
        What needs ``minimum_size`` orientations, for the error message (e.g. ``"interpolation"``).

    Raises
    ------
    TypeError
        Non-numeric values.
    ValueError
        Not 1-D, the wrong ``size``, values outside ``[0, pi)`` or not finite, a repeated
        orientation, fewer than ``minimum_size``.
    """
    grid = float_array(name, values, "a 1-D array of orientations in radians in [0, pi)")
    if grid.ndim != 1:
        raise ValueError(f"{name} must be a 1-D array of orientations in radians in [0, pi), "
                         f"got shape {grid.shape}")
    if size is not None and grid.size != size:
        raise ValueError(f"{name} must hold {size} orientation(s), one per stimulus, got shape {grid.shape}")
    if not np.all(np.isfinite(grid)) or np.any(grid < 0) or np.any(grid >= ORIENTATION_PERIOD):
        raise ValueError(f"{name}={describe(grid)} must be orientations in radians in [0, pi) "
                         "(convert degrees with np.deg2rad; fold with np.mod(s, np.pi))")
    if np.unique(grid).size != grid.size:
        raise ValueError(f"{name}={describe(grid)} must not repeat an orientation")
    if grid.size < minimum_size:
        raise ValueError(f"{name} has {grid.size} orientation(s); {purpose} needs at least {minimum_size}")
    return grid
