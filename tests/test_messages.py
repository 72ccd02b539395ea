"""Messages show plain numbers, never ``np.float64(0.5)``, and warnings point at the user's call
(:mod:`nsnn_sim._core.messages`). None of these runs a kernel."""

import re
import warnings

import numpy as np
import pytest

import nsnn_sim as ns
from nsnn_sim import learn
from nsnn_sim._core.messages import describe, warn_at_caller
from nsnn_sim._core.validation import whole_number
from nsnn_sim.analysis import spectral, stats
from nsnn_sim.analysis.compare import compare, unit_fano
from nsnn_sim.simulator.brunel import brunel_model_a

SPIKES = ns.SpikeTrains([0, 0, 0], [0, 1, 1], [3, 7, 40], dt=1e-3, n_trials=1, n_neurons=2, n_steps=100)

# each call gets numpy scalars and must fail; the message must show the plain number
CASES = {
    "theory sigma": (lambda: ns.theory.siegert_rate(0.9, np.float64(-1.5)), "sigma=-1.5 "),
    "theory threshold": (lambda: ns.theory.noise_free_rate(1.2, threshold=np.float64(0.5),
                                                           u_reset=np.float64(0.75)), "threshold=0.5 must be > "
                                                                                      "u_reset=0.75"),
    "whole number": (lambda: whole_number("n_neurons", np.int64(0)), "n_neurons=0 must be >= 1"),
    "firing_rates window": (lambda: stats.firing_rates(SPIKES, t_start=np.float64(0.05), t_stop=np.float64(0.02)),
                            "t_stop=0.02 s must be later than t_start=0.05 s"),
    "stationary warm-up": (lambda: stats.stationary_rate(SPIKES, warmup=np.float64(0.5)),
                           "warmup=0.5 s leaves nothing of the run (0.1 s)"),
    "crop": (lambda: SPIKES.crop(np.float64(0.06), np.float64(0.03)), "got 0.06, 0.03"),
    "counts window": (lambda: SPIKES.counts(np.float64(0.0025)), "window=0.0025 s is not a whole number of steps"),
    "brunel delay": (lambda: brunel_model_a(n_excitatory=40, delay=np.float64(1.55e-3)), "delay=0.00155 s"),
    "fano window": (lambda: unit_fano(SPIKES, np.float64(0.06)), "fano_window=0.06 s"),
    "connection delay": (lambda: ns.connect(np.ones((2, 2)), delay=np.array([[0.0, 1e-3], [1e-3, 1e-3]])),
                         "delay=0.0 s must be > 0"),
    "layer delay": (lambda: learn.Network(2, [learn.SpikingLayer(2)], layer_delay=np.int64(3)), "layer_delay=3 "),
    "spectral segment": (lambda: spectral.power_spectrum(SPIKES, bin_width=np.float64(0.01), segment=np.float64(0.2)),
                         "segment=0.2 s is longer than the records (0.1 s)"),
}


@pytest.mark.parametrize("name", CASES)
def test_messages_show_numpy_scalars_as_plain_numbers(name):
    call, expected = CASES[name]
    with pytest.raises((ValueError, TypeError)) as error:
        call()
    message = str(error.value)
    assert "np." not in message and "float64" not in message and "int64" not in message, message
    assert expected in message, message


def test_describe_is_repr_for_python_values_and_plain_for_numpy_scalars():
    for value in (0.1, 3, -2.5e-7, "gaussian", None, True):
        assert describe(value) == repr(value)
    assert (describe(np.float64(0.1)), describe(np.int32(-4)), describe(np.bool_(True))) == ("0.1", "-4", "True")


def test_a_warning_points_at_the_first_frame_outside_the_package_and_shows_once_per_line():
    inside = {"__name__": "nsnn_sim.fake", "warn_at_caller": warn_at_caller}  # a module of the package
    exec(compile("def deeper():\n    warn_at_caller('from inside the package')\n", "nsnn_sim/fake.py", "exec"),
         inside)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("default")
        for _ in range(3):
            inside["deeper"]()  # this line is the caller outside the package
    assert len(caught) == 1
    assert caught[0].filename == __file__ and caught[0].category is UserWarning
    assert re.search(r"inside\[\"deeper\"\]\(\)", open(__file__).read().splitlines()[caught[0].lineno - 1])


def _bernoulli_trains(seed: int) -> ns.SpikeTrains:
    """20 trains x 4 trials of independent Bernoulli spikes, p = 0.02 per 1 ms step (no kernel)."""
    trial, neuron, step = np.nonzero(np.random.default_rng(seed).random((4, 20, 2000)) < 0.02)
    return ns.SpikeTrains(trial, neuron, step, dt=1e-3, n_trials=4, n_neurons=20, n_steps=2000)


def test_a_comparison_prints_as_a_table_of_plain_numbers():
    comparison = compare(_bernoulli_trains(1), _bernoulli_trains(2))
    text = str(comparison)
    lines = text.splitlines()
    assert lines[0].split() == ["metric", "run", "a", "run", "b", "p-value"]
    assert [line.split()[0] for line in lines[1:5]] == ["rate", "cv", "fano", "isi_ks"]
    assert lines[5].startswith("isi_ks_statistic: ") and len(lines) == 6
    assert repr(comparison) == text and "np." not in text and "float64" not in text
    rate = lines[1].split()  # rate  a +- se_a  b +- se_b  p
    assert float(rate[1]) == pytest.approx(comparison.values_a["rate"], rel=1e-5) and rate[2] == rate[5] == "+-"
    assert float(rate[6]) == pytest.approx(comparison.se_b["rate"], rel=1e-2)
    assert float(rate[7]) == pytest.approx(comparison.p_values["rate"], rel=1e-2)
    for table in (comparison.values_a, comparison.values_b, comparison.se_a, comparison.se_b, comparison.p_values,
                  comparison.extra):
        assert all(type(value) is float for value in table.values())
