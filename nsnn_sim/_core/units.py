"""Physical units in: Brian2 ``Quantity`` and ``quantities`` arrays converted to SI, or refused.

nsnn_sim works in plain floats with fixed meanings (DESIGN.md section 5):

============================  ========================  ====================================================
quantity                      plain float means         a value with units
============================  ========================  ====================================================
time (``tau``, ``dt``,        seconds                   converted to seconds if it is a time, else refused
windows, ``t_start`` ...)
rate (``poisson_input``       hertz (1/s)               converted to hertz if it is a rate (1/time)
``rate``, Victor-Purpura
``cost``)
membrane potential            membrane units            refused: the membrane is dimensionless, threshold 1
(``threshold``, ``u_rest``,                             (divide ``v - v_reset`` by ``v_threshold - v_reset``)
``sigma``, input weights)
input current (``inputs``)    membrane units (``R*I``)  refused: multiply by the membrane resistance, then
                                                        divide by ``v_threshold - v_reset``
anything else                 a pure number             accepted only if dimensionless
============================  ========================  ====================================================

Plain numbers (Python and numpy scalars and arrays) pass through unchanged: a float keeps meaning SI.
Unit libraries are recognised by duck typing, never imported: a Brian2 ``Quantity`` has ``.dim`` (a
Dimension whose ``_dims`` are the exponents of m, kg, s, A, K, mol, cd) and holds its value in SI
already; a ``quantities`` array has ``.dimensionality`` and ``.simplified`` (the value in SI base
units). So ``import nsnn_sim`` never imports brian2 or quantities.

A value with the wrong dimension raises :class:`UnitError`, a ``TypeError`` and a ``ValueError`` (catch
either), naming the parameter, the value with its unit, and the unit expected.

Examples
--------
>>> from nsnn_sim._core.units import to_si
>>> to_si("tau", 0.01, "s")
0.01
"""

from __future__ import annotations

import re
from decimal import Decimal

import numpy as np

from nsnn_sim._core.messages import describe, warn_at_caller

__all__ = ["UnitError", "UnitWarning", "to_si", "dimensionless", "has_units", "from_text", "warn_read_as_seconds",
           "EXPECTED", "TEXT_UNITS"]

# exponents of (m, kg, s, A, K, mol, cd)
_BASE_SYMBOLS = ("m", "kg", "s", "A", "K", "mol", "cd")
_TIME = (0, 0, 1, 0, 0, 0, 0)
_RATE = (0, 0, -1, 0, 0, 0, 0)
_VOLTAGE = (2, 1, -3, -1, 0, 0, 0)
_CURRENT = (0, 0, 0, 1, 0, 0, 0)
_NONE = (0, 0, 0, 0, 0, 0, 0)

# the units a parameter may be given in: name -> (dimension, how the message calls it)
EXPECTED = {"s": (_TIME, "a time in seconds (s)"),
            "Hz": (_RATE, "a rate in hertz (Hz = 1/s)"),
            "1/s": (_RATE, "a cost per second (1/s)"),
            "1": (_NONE, "a dimensionless number")}

# the units a number written as text (command line, configuration file) may carry: symbol -> (power of ten of the
# factor to SI, SI unit); scaling the decimal text keeps "100us" exactly 1e-4 (100 * 1e-6 would not be)
TEXT_UNITS = {"s": (0, "s"), "ms": (-3, "s"), "us": (-6, "s"), "µs": (-6, "s"), "Hz": (0, "Hz"), "kHz": (3, "Hz")}
_NUMBER_AND_UNIT = re.compile(r"\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*([A-Za-zµ]+)\s*")

_NAMES = {_TIME: "time", _RATE: "rate (1/time)", _VOLTAGE: "voltage", _CURRENT: "current", _NONE: "no dimension"}

_VOLTAGE_ADVICE = ("the membrane potential in nsnn_sim is dimensionless (membrane units, threshold 1 by default): "
                   "divide the voltage by the threshold-to-reset voltage, e.g. (v - v_reset)/(v_threshold - v_reset) "
                   "for a potential or w/(v_threshold - v_reset) for a jump or an SD, and pass a plain number")
_CURRENT_ADVICE = ("the input current in nsnn_sim is dimensionless (membrane units R*I, threshold 1 by default): "
                   "multiply the current by the membrane resistance and divide by the threshold-to-reset voltage, "
                   "e.g. float(R*I/(v_threshold - v_reset)), and pass a plain number")


class UnitError(TypeError, ValueError):
    """A value whose physical dimension is not the one its parameter takes (a TypeError and a ValueError)."""


class UnitWarning(UserWarning):
    """A plain number read in SI (seconds) that is unlikely to be meant so, e.g. a membrane ``tau`` of 20 s."""


def warn_read_as_seconds(name: str, value, advice: str = "") -> None:
    """The one warning for a plain-number time that cannot be meant in seconds (the caller judges that): a
    :class:`UnitWarning` at the user's line naming ``name``, the value, the assumption (seconds) and the fix
    (``20e-3`` or ``20*ms`` for milliseconds), then ``advice`` if given.

    Examples
    --------
    >>> import warnings
    >>> from nsnn_sim._core.units import warn_read_as_seconds
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     warn_read_as_seconds("tau", 20)
    >>> print(caught[0].message)
    tau=20 is read as seconds (20 s); if you meant milliseconds, write 20e-3 or 20*ms
    """
    largest = float(np.max(value))
    warn_at_caller(f"{name}={describe(value)} is read as seconds ({largest:g} s); if you meant milliseconds, write "
                   f"{largest:g}e-3 or {largest:g}*ms{advice}", UnitWarning)


def _brian2_dimension(value) -> tuple | None:
    dimension = getattr(value, "dim", None)
    exponents = getattr(dimension, "_dims", None)
    if exponents is None or not type(value).__module__.startswith("brian2"):
        return None
    return tuple(float(exponent) for exponent in exponents)


def _quantities_parts(value) -> tuple[tuple, np.ndarray] | None:
    """``(dimension, magnitude in SI base units)`` of a ``quantities`` array, else None."""
    if not _is_quantities(value):
        return None
    simplified = value.simplified
    exponents = dict.fromkeys(_BASE_SYMBOLS, 0.0)
    for unit, exponent in simplified.dimensionality.items():
        symbol = getattr(unit, "symbol", str(unit))
        if symbol not in exponents:
            raise UnitError(f"unit {symbol!r} of {value!r} is not an SI base unit nsnn_sim understands")
        exponents[symbol] += float(exponent)
    return tuple(exponents[symbol] for symbol in _BASE_SYMBOLS), np.asarray(simplified.magnitude, dtype=np.float64)


def _parts(value) -> tuple[tuple, np.ndarray, str] | None:
    """``(dimension, value in SI, rendering with its unit)`` of a unit-carrying value; None for a plain one."""
    dimension = _brian2_dimension(value)
    if dimension is not None:
        magnitude = np.asarray(value, dtype=np.float64)  # Brian2 stores SI values
        shown = str(value) if magnitude.ndim == 0 else f"{describe(magnitude)} {value.dim}"
        return dimension, magnitude, shown
    found = _quantities_parts(value)
    if found is None:
        return None
    dimension, magnitude = found
    raw = np.asarray(value.magnitude)
    shown = str(value) if raw.ndim == 0 else f"{describe(raw)} {value.dimensionality.string}"
    return dimension, magnitude, shown


def _is_quantities(value) -> bool:
    return all(hasattr(value, attribute) for attribute in ("dimensionality", "simplified", "magnitude"))


def has_units(value) -> bool:
    """Whether ``value`` is a Brian2 ``Quantity`` or a ``quantities`` array (with any dimension)."""
    return _brian2_dimension(value) is not None or _is_quantities(value)


def _refusal(name: str, shown: str, dimension: tuple, expected: str) -> UnitError:
    what = _NAMES.get(dimension, " ".join(symbol if exponent == 1 else f"{symbol}^{exponent:g}"
                                          for symbol, exponent in zip(_BASE_SYMBOLS, dimension) if exponent))
    message = f"{name}={shown} has units of {what}; {name} takes {expected}"
    if dimension == _VOLTAGE:
        message += f": {_VOLTAGE_ADVICE}"
    elif dimension == _CURRENT:
        message += f": {_CURRENT_ADVICE}"
    return UnitError(message)


def to_si(name: str, value, unit: str):
    """``value`` in SI as a plain float or float array if it carries units of ``unit``; unchanged if plain.

    Parameters
    ----------
    name : str
        The parameter's name, for the error message.
    value : object
        A plain number or array (returned as it is, meaning SI already), a Brian2 ``Quantity`` or a
        ``quantities`` array (scalar or per-neuron array).
    unit : {"s", "Hz", "1/s", "1"}
        What the parameter takes: a time, a rate, a cost per second, a pure number.

    Returns
    -------
    object
        ``value`` itself if it carries no units, else its SI value (float, or float64 array).

    Raises
    ------
    UnitError
        If ``value`` carries units of another dimension (a voltage or current gets advice on converting).

    Examples
    --------
    >>> from nsnn_sim._core.units import to_si
    >>> to_si("rate", 20.0, "Hz")
    20.0
    """
    if unit not in EXPECTED:
        raise ValueError(f"unit={unit!r} is not allowed; allowed: {tuple(EXPECTED)}")
    return _converted(name, value, *EXPECTED[unit])


def dimensionless(name: str, value, what: str = "a dimensionless number"):
    """``value`` as a plain number if it carries no units or dimensionless ones; :class:`UnitError` otherwise.

    ``what`` says what the parameter takes (e.g. ``"a membrane potential in membrane units"``); a voltage
    or current is refused with the conversion to membrane units.

    Examples
    --------
    >>> from nsnn_sim._core.units import dimensionless
    >>> dimensionless("beta", 0.5)
    0.5
    """
    return _converted(name, value, _NONE, what)


def _converted(name: str, value, wanted: tuple, expected: str):
    """``value`` unchanged if plain, its SI value if its dimension is ``wanted``, else :class:`UnitError`."""
    parts = _parts(value)
    if parts is None:
        return value
    dimension, magnitude, shown = parts
    if dimension != wanted:
        raise _refusal(name, shown, dimension, expected)
    return float(magnitude) if magnitude.ndim == 0 else magnitude


def from_text(name: str, text: str) -> tuple[float, str] | None:
    """A number written with a unit (``"20ms"``, ``"0.1 ms"``, ``"1.5kHz"``) as ``(value in SI, SI unit)``.

    ``value = number * 10**power`` with the power of :data:`TEXT_UNITS` (s, ms, us or µs to seconds; Hz,
    kHz to hertz), rounded once from the decimal text; the SI unit is ``"s"`` or ``"Hz"``.

    Parameters
    ----------
    name : str
        The parameter the text is given for, for the error message.
    text : str
        The text.

    Returns
    -------
    tuple of (float, str) or None
        None if ``text`` is not a number followed by letters (a plain number, or a word such as
        ``"gaussian"``).

    Raises
    ------
    UnitError
        If the letters after the number are not a unit of :data:`TEXT_UNITS` (the message names ``name``).

    Examples
    --------
    >>> from nsnn_sim._core.units import from_text
    >>> from_text("tau", "20ms"), from_text("rate", "1.5 kHz"), from_text("sigma", "0.5")
    ((0.02, 's'), (1500.0, 'Hz'), None)
    """
    try:
        float(text)
        return None  # a plain number (also "1e5", "inf")
    except ValueError:
        pass
    match = _NUMBER_AND_UNIT.fullmatch(text)
    if match is None:
        return None
    number, symbol = match.groups()
    if symbol not in TEXT_UNITS:
        raise UnitError(f"{name}={text}: unknown unit {symbol!r}; allowed: {', '.join(TEXT_UNITS)} "
                        "(or a plain number in s or Hz)")
    power, unit = TEXT_UNITS[symbol]
    return float(Decimal(number).scaleb(power)), unit
