"""Physical units in (nsnn_sim._core.units): a time or rate with units is converted to SI, a wrong
dimension is refused naming the parameter, the value with its unit and the unit expected, a voltage or
current is refused with the conversion to membrane units, and a plain float keeps meaning SI."""

from __future__ import annotations

import re

import brian2 as b2
import numpy as np
import pytest
import quantities as pq

import nsnn_sim as ns
from nsnn_sim._core.units import UnitError, dimensionless, has_units, to_si
from nsnn_sim.analysis import stats
from nsnn_sim.interop.times import from_times, time_step, whole_steps
from nsnn_sim.spikes import SpikeTrains

SPIKES = SpikeTrains([0, 0, 0, 1, 1, 1, 1], [0, 0, 1, 0, 0, 1, 1], [3, 40, 77, 10, 52, 60, 99], dt=1e-3,
                     n_trials=2, n_neurons=2, n_steps=100)
A, B = [0.010, 0.031, 0.052], [0.012, 0.040]


def _values(result):
    """What a call returned, as comparable numbers (DataArrays, models' parameters, SpikeTrains)."""
    if isinstance(result, SpikeTrains):
        return (result.shape, result.dt, result.trial.tolist(), result.neuron.tolist(), result.step.tolist())
    return np.asarray(getattr(result, "values", result), dtype=float)


# (case, the call with units, the same call with plain SI floats): the results must agree
CONVERTED = [
    ("LIF tau=20*ms (Brian2)", lambda: ns.LIF(tau=20 * b2.ms).tau, lambda: ns.LIF(tau=0.02).tau),
    ("LIF tau=20*pq.ms (quantities)", lambda: ns.LIF(tau=20 * pq.ms).tau, lambda: ns.LIF(tau=0.02).tau),
    ("LIF per-neuron tau=[10, 20]*ms", lambda: ns.LIF(tau=np.array([10.0, 20.0]) * b2.ms).tau,
     lambda: ns.LIF(tau=np.array([0.01, 0.02])).tau),
    ("LIF tau_ref=2*pq.ms, dt=0.1*ms", lambda: ns.LIF(tau_ref=2 * pq.ms, dt=0.1 * b2.ms).compile(1).refractory_steps,
     lambda: ns.LIF(tau_ref=2e-3, dt=1e-4).compile(1).refractory_steps),
    ("NSNN dt=1*pq.ms", lambda: ns.NSNN(dt=1 * pq.ms).dt, lambda: ns.NSNN(dt=1e-3).dt),
    ("poisson_input rate=20*Hz (Brian2)", lambda: ns.poisson_input(20 * b2.Hz, 0.1, 5).rate,
     lambda: ns.poisson_input(20.0, 0.1, 5).rate),
    ("poisson_input rate=0.02*pq.kHz", lambda: ns.poisson_input(0.02 * pq.kHz, 0.1, 5).rate,
     lambda: ns.poisson_input(20.0, 0.1, 5).rate),
    ("simulate with LIF(tau=20*ms, dt=0.1*ms) and poisson rate=50*Hz: the same spikes",
     lambda: ns.simulate(ns.LIF(tau=20 * b2.ms, dt=0.1 * b2.ms), [0.5, ns.poisson_input(50 * b2.Hz, 0.2, 20)],
                         n_neurons=5,
                         n_steps=500, seed=2).spikes,
     lambda: ns.simulate(ns.LIF(tau=0.02, dt=1e-4), [0.5, ns.poisson_input(50.0, 0.2, 20)], n_neurons=5, n_steps=500,
                         seed=2).spikes),
    ("SpikeTrains(dt=1*pq.ms)", lambda: SpikeTrains([0], [0], [5], dt=1 * pq.ms, n_trials=1, n_neurons=1, n_steps=9),
     lambda: SpikeTrains([0], [0], [5], dt=1e-3, n_trials=1, n_neurons=1, n_steps=9)),
    ("counts(window=20*ms)", lambda: SPIKES.counts(window=20 * b2.ms), lambda: SPIKES.counts(window=0.02)),
    ("crop(t_start=10*pq.ms, t_stop=0.08*b2.second)", lambda: SPIKES.crop(10 * pq.ms, 0.08 * b2.second),
     lambda: SPIKES.crop(0.01, 0.08)),
    ("psth(bin_width=10*ms, smoothing=20*ms)", lambda: stats.psth(SPIKES, 10 * b2.ms, smoothing=20 * b2.ms),
     lambda: stats.psth(SPIKES, 0.01, smoothing=0.02)),
    ("firing_rates(t_start=10*pq.ms, t_stop=60*pq.ms)", lambda: stats.firing_rates(SPIKES, 10 * pq.ms, 60 * pq.ms),
     lambda: stats.firing_rates(SPIKES, 0.01, 0.06)),
    ("fano_factor(windows=[10, 20]*ms)", lambda: stats.fano_factor(SPIKES, np.array([10.0, 20.0]) * b2.ms),
     lambda: stats.fano_factor(SPIKES, [0.01, 0.02])),
    ("van_rossum_distance(times in pq.ms, tau=5*ms)",
     lambda: stats.van_rossum_distance(np.array(A) * 1e3 * pq.ms, np.array(B) * 1e3 * pq.ms, 5 * b2.ms),
     lambda: stats.van_rossum_distance(A, B, 0.005)),
    ("victor_purpura_distance(cost=200*Hz)", lambda: stats.victor_purpura_distance(A, B, 200 * b2.Hz),
     lambda: stats.victor_purpura_distance(A, B, 200.0)),
    ("pairwise_distances(victor_purpura, 0.2*pq.kHz)",
     lambda: stats.pairwise_distances(SPIKES, "victor_purpura", 0.2 * pq.kHz, 0),
     lambda: stats.pairwise_distances(SPIKES, "victor_purpura", 200.0, 0)),
    ("reliability(sigma=3*ms)", lambda: stats.reliability(SPIKES, 3 * b2.ms), lambda: stats.reliability(SPIKES, 3e-3)),
    ("from_times(times=[3, 40]*pq.ms, dt=1*ms)", lambda: SpikeTrains.from_times([3, 40] * pq.ms, 0, None, 1 * b2.ms),
     lambda: SpikeTrains.from_times([0.003, 0.040], 0, None, 1e-3)),
    ("NSNN(beta=0.5*pq.dimensionless): a pure number", lambda: ns.NSNN(beta=0.5 * pq.dimensionless).beta,
     lambda: ns.NSNN(beta=0.5).beta),
]

# (case, the call, what the message must contain)
REFUSED = [
    ("LIF(tau=100*Hz)", lambda: ns.LIF(tau=100 * b2.Hz),
     "tau=100. Hz has units of rate (1/time); tau takes a time in seconds (s)"),
    ("LIF(tau=[10, 20]*pq.Hz) per neuron", lambda: ns.LIF(tau=[10.0, 20.0] * pq.Hz),
     "tau=array(shape=(2,), min=10, max=20) Hz has units of rate (1/time); tau takes a time in seconds (s)"),
    ("LIF(dt=1*pq.mV)", lambda: ns.LIF(dt=1 * pq.mV), "dt=1.0 mV has units of voltage; dt takes a time in seconds (s)"),
    ("poisson_input(rate=10*ms)", lambda: ns.poisson_input(10 * b2.ms, 0.1, 3),
     "rate=10. ms has units of time; rate takes a rate in hertz (Hz = 1/s)"),
    ("simulate(LIF(), 0.9*nA)", lambda: ns.simulate(ns.LIF(), 0.9 * b2.nA, n_neurons=3, n_steps=10),
     "inputs=0.9 nA has units of current; inputs takes numeric (a current array) or PoissonInput: the input "
     "current in nsnn_sim is dimensionless (membrane units R*I, threshold 1 by default): multiply the current by "
     "the membrane resistance and divide by the threshold-to-reset voltage"),
    ("LIF(threshold=20*mV)", lambda: ns.LIF(threshold=20 * b2.mV),
     "threshold=20. mV has units of voltage; threshold takes a number or a 1-D array of numbers: the membrane "
     "potential in nsnn_sim is dimensionless (membrane units, threshold 1 by default): divide the voltage by the "
     "threshold-to-reset voltage"),
    ("LIF(u_reset=-70*pq.mV)", lambda: ns.LIF(u_reset=-70 * pq.mV), "u_reset=-70.0 mV has units of voltage"),
    ("LIF(sigma=5*mV)", lambda: ns.LIF(sigma=5 * b2.mV), "sigma=5. mV has units of voltage"),
    ("poisson_input(weight=0.5*mV)", lambda: ns.poisson_input(10.0, 0.5 * b2.mV, 3),
     "weight=0.5 mV has units of voltage; weight takes a number or a 1-D array of numbers: the membrane potential"),
    ("simulate(initial_state=10*pq.mV)", lambda: ns.simulate(ns.NSNN(), 0.5, n_neurons=3, n_steps=10,
               initial_state=10 * pq.mV),
     "initial_state=10.0 mV has units of voltage"),
    ("victor_purpura_distance(cost=5*ms)", lambda: stats.victor_purpura_distance(A, B, 5 * b2.ms),
     "cost=5. ms has units of time; cost takes a cost per second (1/s)"),
    ("van_rossum_distance(tau=50*Hz)", lambda: stats.van_rossum_distance(A, B, 50 * b2.Hz),
     "tau=50. Hz has units of rate (1/time); tau takes a time in seconds (s)"),
    ("counts(window=5*pq.mV)", lambda: SPIKES.counts(window=5 * pq.mV),
     "window=5.0 mV has units of voltage; window takes a time in seconds (s)"),
    ("SpikeTrains(dt=1*kHz)", lambda: SpikeTrains([], [], [], dt=1 * b2.kHz, n_trials=1, n_neurons=1, n_steps=5),
     "dt=1. kHz has units of rate (1/time); dt takes a time in seconds (s)"),
    ("firing_rates(t_stop=2*pq.m)", lambda: stats.firing_rates(SPIKES, t_stop=2 * pq.m),
     "t_stop=2.0 m has units of m; t_stop takes a time in seconds (s)"),
    ("reliability(sigma=1*nS)", lambda: stats.reliability(SPIKES, 1 * b2.nS),
     "sigma=1. nS has units of m^-2 kg^-1 s^3 A^2; sigma takes a time in seconds (s)"),
]

# (case, the call, the value it must give): plain floats mean SI, as always
PLAIN = [
    ("LIF(tau=0.02)", lambda: ns.LIF(tau=0.02).tau, 0.02),
    ("LIF(dt=1e-4, tau_ref=2e-3)", lambda: ns.LIF(dt=1e-4, tau_ref=2e-3).compile(1).refractory_steps, [20]),
    ("poisson_input(rate=20.0)", lambda: ns.poisson_input(20.0, 0.1, 5).rate, 20.0),
    ("NSNN(dt=1e-3)", lambda: ns.NSNN(dt=1e-3).dt, 1e-3),
    ("counts(window=0.05): two windows of 50 steps", lambda: SPIKES.counts(window=0.05).sizes["time"], 2),
    ("victor_purpura_distance(cost=0): the count difference", lambda: stats.victor_purpura_distance(A, B, 0.0), 1.0),
]


@pytest.mark.parametrize("with_units, plain", [case[1:] for case in CONVERTED], ids=[case[0] for case in CONVERTED])
def test_a_time_or_rate_with_units_is_converted_to_si(with_units, plain):
    expected, got = _values(plain()), _values(with_units())
    if isinstance(expected, tuple):
        assert got == expected
    else:
        np.testing.assert_allclose(got, expected, rtol=1e-14, atol=0)


@pytest.mark.parametrize("call, message", [case[1:] for case in REFUSED], ids=[case[0] for case in REFUSED])
def test_a_value_of_the_wrong_dimension_is_refused_naming_parameter_value_and_unit(call, message):
    with pytest.raises(UnitError, match=re.escape(message)):
        call()


@pytest.mark.parametrize("call, expected", [case[1:] for case in PLAIN], ids=[case[0] for case in PLAIN])
def test_a_plain_float_keeps_meaning_si(call, expected):
    np.testing.assert_array_equal(_values(call()), expected)


def test_unit_errors_are_type_and_value_errors_and_plain_values_pass_through_untouched():
    assert issubclass(UnitError, TypeError) and issubclass(UnitError, ValueError)
    array = np.array([0.01, 0.02])
    assert to_si("tau", array, "s") is array
    assert to_si("tau", 0.01, "s") == 0.01
    assert isinstance(to_si("tau", 10 * b2.ms, "s"), float) and isinstance(to_si("tau", 10 * pq.ms, "s"), float)
    with pytest.raises(ValueError, match="unit='V' is not allowed"):
        to_si("tau", 0.01, "V")


def test_the_unit_table_has_at_least_fifteen_cases():
    assert len(CONVERTED) + len(REFUSED) + len(PLAIN) >= 15
    assert min(len(CONVERTED), len(REFUSED), len(PLAIN)) >= 5


# (case, the conversion, the value worked out by hand): every unit family accepted, Brian2 and `quantities`,
# scalars and arrays, through to_si and dimensionless and through the spike-time helpers of interop.times
HAND = [
    ("2.5 second", lambda: to_si("t", 2.5 * b2.second, "s"), 2.5),
    ("20 ms (Brian2)", lambda: to_si("t", 20 * b2.ms, "s"), 0.02),
    ("150 usecond", lambda: to_si("t", 150 * b2.usecond, "s"), 1.5e-4),
    ("300 nsecond", lambda: to_si("t", 300 * b2.nsecond, "s"), 3e-7),
    ("[1, 2.5] ms (Brian2 array)", lambda: to_si("t", np.array([1.0, 2.5]) * b2.ms, "s"), [1e-3, 2.5e-3]),
    ("2 s (quantities)", lambda: to_si("t", 2 * pq.s, "s"), 2.0),
    ("7 ms (quantities)", lambda: to_si("t", 7 * pq.ms, "s"), 7e-3),
    ("40 us (quantities)", lambda: to_si("t", 40 * pq.us, "s"), 4e-5),
    ("5 ns (quantities)", lambda: to_si("t", 5 * pq.ns, "s"), 5e-9),
    ("1.5 min", lambda: to_si("t", 1.5 * pq.min, "s"), 90.0),
    ("2 h", lambda: to_si("t", 2 * pq.h, "s"), 7200.0),
    ("[0.5, 3] ms (quantities array)", lambda: to_si("t", [0.5, 3.0] * pq.ms, "s"), [5e-4, 3e-3]),
    ("20 Hz (Brian2)", lambda: to_si("r", 20 * b2.Hz, "Hz"), 20.0),
    ("0.5 kHz (Brian2)", lambda: to_si("r", 0.5 * b2.kHz, "Hz"), 500.0),
    ("2 MHz (Brian2)", lambda: to_si("r", 2 * b2.MHz, "Hz"), 2e6),
    ("4/second (Brian2)", lambda: to_si("r", 4 / b2.second, "Hz"), 4.0),
    ("1/(5 ms) (Brian2)", lambda: to_si("r", 1 / (5 * b2.ms), "Hz"), 200.0),
    ("30 Hz (quantities)", lambda: to_si("r", 30 * pq.Hz, "Hz"), 30.0),
    ("0.02 kHz (quantities)", lambda: to_si("r", 0.02 * pq.kHz, "Hz"), 20.0),
    ("1e-3 MHz (quantities)", lambda: to_si("r", 1e-3 * pq.MHz, "Hz"), 1000.0),
    ("3/ms (quantities)", lambda: to_si("r", 3 / pq.ms, "Hz"), 3000.0),
    ("120/min (quantities)", lambda: to_si("r", 120 / pq.min, "Hz"), 2.0),
    ("200/s as a cost (1/s)", lambda: to_si("c", 200 / pq.s, "1/s"), 200.0),
    ("0.2 kHz as a cost (Brian2)", lambda: to_si("c", 0.2 * b2.kHz, "1/s"), 200.0),
    ("[10, 40] Hz (Brian2 array)", lambda: to_si("r", np.array([10.0, 40.0]) * b2.Hz, "Hz"), [10.0, 40.0]),
    ("0.5 Brian2 dimensionless", lambda: dimensionless("b", b2.Quantity(0.5)), 0.5),
    ("0.25 pq.dimensionless", lambda: to_si("b", 0.25 * pq.dimensionless, "1"), 0.25),
    ("50 percent", lambda: dimensionless("b", 50 * pq.percent), 0.5),
    ("3 ms x 1 kHz (quantities)", lambda: dimensionless("b", 3 * pq.ms * pq.kHz), 3.0),
    ("180 degrees", lambda: dimensionless("b", 180 * pq.deg), np.pi),
    ("times [3, 40] ms (quantities) on dt 1 ms", lambda: from_times([3, 40] * pq.ms, 0, None, 1 * b2.ms).step, [3, 40]),
    ("times [0.25, 1.5] ms on dt 250 us", lambda: from_times(np.array([0.25, 1.5]) * b2.ms, 0, None,
                                                            250 * pq.us).step, [1, 6]),
    ("dt 100 usecond", lambda: time_step(100 * b2.usecond), 1e-4),
    ("dt 0.5 ms (quantities)", lambda: time_step(0.5 * pq.ms), 5e-4),
    ("1.5 s in steps of 1 ms", lambda: whole_steps("duration", 1.5 * pq.s, 1e-3), 1500),
    ("2.0001 ms in steps of 1 ms: holds 3", lambda: whole_steps("duration", 2.0001 * b2.ms, 1e-3), 3),
    ("2 ms + 0.5 ns in steps of 1 ms: on the grid", lambda: whole_steps("duration", (2e6 + 0.5) * pq.ns, 1e-3), 2),
]


@pytest.mark.parametrize("call, expected", [case[1:] for case in HAND], ids=[case[0] for case in HAND])
def test_every_unit_family_converts_to_the_hand_computed_si_value(call, expected):
    value = call()
    np.testing.assert_allclose(np.asarray(value, dtype=float), expected, rtol=1e-15, atol=0)
    assert not has_units(value) and np.asarray(value).dtype.kind in "fi"


@pytest.mark.parametrize("value, unit", [(20 * pq.Hz, "s"), (5 * b2.ms, "Hz"), (5 * pq.ms, "1"),
                                         (0.5 * pq.percent, "s"), (2 * b2.mV, "1"), (3 * pq.nA, "Hz"), (1 * pq.m, "s"),
                                         (2 * b2.ms**2, "s")])
def test_a_unit_family_of_another_dimension_is_refused_by_every_expected_unit(value, unit):
    with pytest.raises(UnitError, match="has units of"):
        to_si("x", value, unit)


@pytest.mark.parametrize("text, expected", [
    ("20ms", (0.02, "s")), ("0.1 ms", (1e-4, "s")), ("100us", (1e-4, "s")), ("100µs", (1e-4, "s")),
    ("2s", (2.0, "s")), ("-1.5e1ms", (-0.015, "s")), ("20Hz", (20.0, "Hz")), ("1.5 kHz", (1500.0, "Hz")),
])
def test_a_number_written_with_a_unit_is_read_in_si_exactly(text, expected):
    """The decimal text is scaled before rounding: "100us" is the float nearest 1e-4, not 100 * 1e-6."""
    from nsnn_sim._core.units import from_text

    assert from_text("x", text) == expected


@pytest.mark.parametrize("text", ["0.5", "1e5", "inf", "gaussian", "", "ms"])
def test_text_without_a_number_and_a_unit_is_left_alone(text):
    from nsnn_sim._core.units import from_text

    assert from_text("x", text) is None


def test_an_unknown_unit_in_text_is_refused_naming_the_parameter_and_the_units_allowed():
    from nsnn_sim._core.units import from_text

    with pytest.raises(UnitError, match=r"tau=20xs: unknown unit 'xs'; allowed: s, ms, us, µs, Hz, kHz"):
        from_text("tau", "20xs")


def test_theory_takes_times_and_rates_with_units_as_the_models_do():
    from brian2 import Hz, ms

    assert ns.theory.siegert_rate(0.9, 0.5, tau=20 * ms, tau_ref=2 * ms) == ns.theory.siegert_rate(
        0.9, 0.5, tau=0.02, tau_ref=0.002)
    assert ns.theory.fourcaud_brunel_rate(0.9, 0.5, 2 * pq.ms, tau=20 * ms) == ns.theory.fourcaud_brunel_rate(
        0.9, 0.5, 0.002, tau=0.02)
    assert ns.theory.hazard_renewal(0.9, 100 * Hz, 0.1, dt=0.1 * ms) == ns.theory.hazard_renewal(0.9, 100.0, 0.1,
                                                                                                  dt=1e-4)
    with pytest.raises(ValueError, match="tau_ref"):
        ns.theory.siegert_rate(0.9, 0.5, tau_ref=2 * b2.mV)


@pytest.mark.parametrize("kwargs, named", [
    ({"tau": 20.0}, "tau=20.0 is read as seconds"), ({"dt": 0.1, "method": "exact", "tau": 0.5}, "dt=0.1 is read"),
    ({"tau_ref": 2.0}, "tau_ref=2.0 is read as seconds"),
    ({"tau": 1e-3, "dt": 1e-3, "method": "exact"}, "dt=0.001 s is not shorter than tau"),
])
def test_a_plain_time_that_cannot_be_meant_in_seconds_warns_naming_the_assumption_and_the_fix(kwargs, named):
    from nsnn_sim._core.units import UnitWarning

    with pytest.warns(UnitWarning, match=re.escape(named)) as caught:
        ns.LIF(**kwargs)
    assert len(caught) == 1 and ("e-3" in str(caught[0].message)) and caught[0].filename == __file__


@pytest.mark.parametrize("kwargs", [
    {"tau": 20 * b2.second}, {"tau": 0.02, "tau_ref": 2e-3, "dt": 1e-4}, {"tau": 0.5, "dt": 5e-3, "method": "exact"},
    {"adaptation": ns.simulator.state.Adaptation(30.0, 0.0, 0.1), "tau_syn": 0.5},
])
def test_times_given_with_units_or_legitimately_long_never_warn(kwargs):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ns.LIF(**kwargs)


def test_network_delays_take_units_and_refuse_other_dimensions():
    def delays(delay):
        network = ns.Network().add("E", ns.LIF(dt=1e-4), 3).add("I", ns.LIF(dt=1e-4), 2)
        network.connect("E", "I", ns.all_to_all(), weight=0.1, delay=delay)
        return network.build().connections.compile(5, dt=1e-4).delay.tolist()

    assert delays(1.5 * b2.ms) == delays(1.5 * pq.ms) == delays(1.5e-3) == [15] * 6
    with pytest.raises(UnitError, match="delay"):
        delays(1.5 * b2.mV)


def test_only_a_brian2_object_is_read_as_a_brian2_quantity():
    """An object of another library that happens to carry ``dim._dims`` is not taken for a Brian2 quantity."""
    from types import SimpleNamespace

    from nsnn_sim._core import units

    class Lookalike:
        dim = SimpleNamespace(_dims=(0, 0, 1, 0, 0, 0, 0))

    assert units._brian2_dimension(Lookalike()) is None
    assert units._brian2_dimension(3 * b2.ms) == (0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 0.0)
