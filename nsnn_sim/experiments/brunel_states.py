"""Brunel's (2000) four states of model A: synchronous regular, synchronous irregular (fast and slow), asynchronous.

    python analyses/brunel_states.py [--quick]
    python figures/brunel_states.py

Brunel's model A (:func:`nsnn_sim.simulator.brunel.brunel_model_a`: ``tau = 20 ms``, ``theta = 20 mV``,
``V_r = 10 mV``, ``tau_rp = 2 ms``, ``J = 0.1 mV``, ``D = 1.5 ms``, ``C_E = 1000``, ``C_I = 250``) at the four
parameter pairs of his Fig. 8 (the parameters also of Brian2's ``examples/frompapers/Brunel_2000.py``, which
redraws that figure): A synchronous regular, SR (``g = 3``, ``eta = nu_ext/nu_thr = 2``); B synchronous irregular
with a fast oscillation, SI fast (``g = 6``, ``eta = 4``); C asynchronous irregular, AI (``g = 5``, ``eta = 2``, also
NEST's ``brunel_delta_nest.py``); D synchronous irregular with a slow oscillation, SI slow (``g = 4.5``,
``eta = 0.9``). Membranes start uniformly in ``[10, 20] mV``; statistics are taken after a warm-up.

Each state is characterised by the population rate's power spectrum, the mean rate and the mean ISI CV.
The spectrum is that of the population's summed spike train (0.5 ms bins, Welch segments of 0.2 s, 5 Hz
resolution; :func:`nsnn_sim.analysis.spectral.power_spectrum`), divided by ``N`` times a Poisson train's level
``2 nu``: ``R(f) = S_pop(f)/(2 N nu)``. With ``S_pop = N S_11 + N(N - 1) S_12``, ``R/N`` is, up to ``O(1/N)``, the
cross-spectral density of two neurons in units of the Poisson level: the part of each neuron's power the
population shares. Its largest value at ``f >= 10 Hz`` is the state's **synchrony index**, and its frequency the
**peak frequency**. A state oscillates (has a spectral peak) when the index is at least
:data:`SYNCHRONY_THRESHOLD` = 0.2. Why an index of the shared part: for independent neurons ``R/N`` is
``O(1/N)`` whatever each neuron's own spectrum (a regular neuron has a peak of its own); in the asynchronous
state the shared part is only the network's finite-size fluctuation, which vanishes as ``N`` grows at fixed
``epsilon``, while a coherent oscillation of the population keeps it. Measured (SE: the spread of the peak bin
over Welch segments): quick run (N = 6,250, epsilon 0.2) AI 0.12 +- 0.04 (0.11-0.17 over three more seeds),
SI slow 0.31 +- 0.15 (0.23-0.31), SI fast 1.7 +- 0.6, SR 38; Brunel's size (N = 12,500, epsilon 0.1) AI
0.063 +- 0.014, SI slow 0.164 +- 0.028, SI fast 0.83 +- 0.13, SR 38. The two sizes change ``N`` and
``epsilon`` together, and every irregular state's index halves between them. SI fast's index is 13-14 times
AI's at both sizes and the threshold lies between them (AI at most 0.17 over four quick seeds); SI slow is
not separated from AI by it at Brunel's size (see below).

The paper's statements compared (its Fig. 8 caption and abstract): A neurons fire regularly, almost fully
synchronised; B the global activity oscillates fast, neurons fire irregularly at a rate below the global
frequency; C stationary global activity, irregular firing ("very irregular" in the abstract); D a slow
oscillation of the global activity, neurons fire irregularly at very low rates; the fast oscillation's frequency
is set by the synaptic (delay) time scale, the slow one's by the membrane time constant. The numbers the
checks use are derived here, each in :func:`checks`: the fast band ``[1/(4D), 1/(2D)]`` (a delayed negative
feedback through a low-pass response of phase lag between 0 and ``pi/2`` oscillates where the delay's lag
``2 pi f D`` makes up the rest of ``pi``), the slow band below half of that, and SR's volley period ``D``
(``D < tau_rp``: a neuron is refractory when its own volley returns, so the network splits into two clusters
that fire alternately, each neuron at ``1/(2D)``). The AI rate is compared with Brunel's self-consistent
mean-field rate (:func:`nsnn_sim.theory.brunel_rate`) within 5 %, the accuracy of that theory for the same neuron
driven by independent Poisson trains at the predicted rates (the *feed-forward control*, also simulated: it
isolates the diffusion approximation and the time grid from the network's correlations).

Quick mode simulates ``N_E = 5,000`` at ``epsilon = 0.2`` (the same ``C_E`` and ``J``, hence the same mean-field
input, but twice the shared input of Brunel's sparse network) for 0.8 s: it resolves the four states, their
peak frequencies to 10 Hz and the AI rate, but not the asynchronous state's finite-size fluctuation at Brunel's
size (the index of a finite-size fluctuation is about twice the full-size one), the SI slow state's index is
within one SE of the threshold, and the ISI CV of the SI slow state (about 3 spikes per neuron in 0.6 s) is
biased low.

What it shows (quick run): the four states appear where Brunel put them; SR's neurons fire at 1/(2D) = 333 Hz
in two alternating clusters; the AI rate is within 2 % of the mean-field rate (37.2 +- 0.5 Hz against 37.95 Hz),
but its ISI CV (0.40) is well below the diffusion theory's at the same input (0.675) and the feed-forward
control's (0.62): the network's spike trains are more regular than Poisson, so the input they make is less
noisy than the theory assumes. The abstract's "very irregular" firing of the AI state is not reproduced.
At Brunel's size (the paper-scale run) the AI index falls to 0.063 +- 0.014 as a finite-size fluctuation should,
but the SI slow state's too, to 0.164 +- 0.028, below the threshold: its slow oscillation is irregular (population
bursts of varying size and spacing, clear in the rate trace) and spreads its power over a broad band, so the
peak's index separates SR and SI fast from AI at both sizes but not SI slow from AI at Brunel's size.

Examples
--------
>>> from nsnn_sim.experiments import get
>>> get("brunel_states").seed
2000
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from nsnn_sim import theory
from nsnn_sim.analysis import stats
from nsnn_sim.analysis.spectral import power_spectrum
from nsnn_sim.simulator.brunel import brunel_model_a
from nsnn_sim.simulator.engine import simulate
from nsnn_sim.simulator.network import poisson_input

DESCRIPTION = "Brunel's (2000) four states (SR, SI fast, AI, SI slow): spectra, rates, CVs beside the paper and theory."
SEED = 2000
ORDER = 14
QUICK = {"n_excitatory": 5000, "epsilon": 0.2, "duration": 0.8}
OPTIONS = {"--n-excitatory": {"type": int, "help": "N_E (default 10000, Brunel's; quick: 5000)"},
           "--epsilon": {"type": float, "help": "connection probability (default 0.1; quick: 0.2)"},
           "--duration": {"type": float, "help": "seconds per state (default 2.2; quick: 0.8; SR at most 0.6)"}}

#: (name, g, eta) of Brunel's Fig. 8, panels A-D
STATES = {"A": ("SR", 3.0, 2.0), "B": ("SI fast", 6.0, 4.0), "C": ("AI", 5.0, 2.0), "D": ("SI slow", 4.5, 0.9)}
DT, DELAY, J = 1e-4, 1.5e-3, 0.1
TAU, THRESHOLD, RESET, TAU_REF = 20e-3, 20.0, 10.0, 2e-3
WARMUP = 0.2  # s: ten membrane time constants after the synchronous start
BIN, SEGMENT, LOWEST = 5e-4, 0.2, 10.0  # spectrum: bin (s), Welch segment (s), lowest frequency searched (2 df)
#: SR is periodic, and at 333 Hz its spikes cost six times the others': its run is capped at this length (s)
REGULAR_DURATION = 0.6
RATE_WINDOW = 0.1  # s: the rate's SE is the SD over windows of this length (the neurons are correlated)
SHOWN = 0.2  # s: the raster and rate trace hold the run's last SHOWN seconds
SHOWN_SPAN = {"A": 0.02}  # s of them drawn where the figure would otherwise be a solid block (SR: 667 Hz volleys)
RASTER_NEURONS = 50
#: A spectral peak counts when the shared spectral density reaches this fraction of a Poisson train's level
SYNCHRONY_THRESHOLD = 0.2
#: The AI rate's tolerance against the mean-field rate (the theory's error on the feed-forward control)
THEORY_TOLERANCE = 0.05
CONTROL_NEURONS = 2000


def _in_degrees(connections) -> tuple[int, int]:
    """``(C_E, C_I)``: the excitatory and inhibitory synapses onto neuron 0 (every neuron has the same)."""
    row = connections.weights.getrow(0).data
    return int(np.sum(row > 0)), int(np.sum(row < 0))


def _rate_and_se(spikes, n_neurons: int) -> tuple[float, float]:
    """Mean rate per neuron and its SE from the spread over :data:`RATE_WINDOW` windows (the neurons are not
    independent, so an SE over neurons would be too small)."""
    counts = spikes.counts(window=RATE_WINDOW).values.sum(axis=(0, 1)) / (n_neurons * RATE_WINDOW)
    return float(counts.mean()), float(counts.std(ddof=1) / np.sqrt(counts.size))


def _cv_and_se(spikes) -> tuple[float, float]:
    """Mean over neurons of each neuron's ISI CV (neurons with at least two intervals), and its SE over neurons."""
    cv = stats.isi_cv(spikes).values.ravel()
    cv = cv[np.isfinite(cv)]
    return float(cv.mean()), float(cv.std(ddof=1) / np.sqrt(cv.size))


def _window(spikes, neurons: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The last :data:`SHOWN` seconds: the population rate in :data:`BIN` bins (Hz per neuron), and the spike
    times and raster rows of ``neurons``."""
    shown = spikes.crop(spikes.duration - SHOWN)
    per_bin = int(round(BIN / spikes.dt))
    counts = np.bincount(shown.step // per_bin, minlength=shown.n_steps // per_bin)
    chosen = np.isin(shown.neuron, neurons)
    rows = np.searchsorted(neurons, shown.neuron[chosen])
    return counts / (spikes.n_neurons * BIN), shown.time[chosen], rows


def _spectrum(spikes, n_neurons: int, rate: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``R(f) = S_pop(f)/(2 N nu)`` (module docstring) with its SE, and the frequencies."""
    spectrum = power_spectrum(spikes, bin_width=BIN, segment=SEGMENT, t_start=WARMUP, pool="neurons")
    scale = 2.0 * n_neurons * rate
    return spectrum.frequency.values, spectrum.power.values / scale, spectrum.power_se.values / scale


def _state(name: str, n_excitatory: int, epsilon: float, duration: float, seed: int,
           n_threads: int | None = None) -> dict:
    """One state: simulate the network (on ``n_threads`` threads; the result does not depend on them) and
    measure everything the Dataset holds for it."""
    _, g, eta = STATES[name]
    duration = min(duration, REGULAR_DURATION) if name == "A" else duration
    network = brunel_model_a(n_excitatory, epsilon=epsilon, j=J, g=g, eta=eta, delay=DELAY, dt=DT, seed=seed)
    n = network.n_neurons
    generator = np.random.default_rng(seed + 1)
    spikes = simulate(network.model, network.inputs, n_neurons=n, n_steps=int(round(duration / DT)), seed=seed + 2,
                      connections=network.connections, initial_state=generator.uniform(RESET, THRESHOLD, n),
                      n_threads=n_threads).spikes
    stationary = stats.stationary_part(spikes, WARMUP)
    rate, rate_se = _rate_and_se(stationary, n)
    cv, cv_se = _cv_and_se(stationary)
    frequency, shared, shared_se = _spectrum(spikes, n, rate)
    searched = frequency >= LOWEST
    peak = int(np.flatnonzero(searched)[np.argmax(shared[searched])])
    c_e, c_i = _in_degrees(network.connections)
    predicted = theory.brunel_rate(g, eta, j=J, c_e=c_e, c_i=c_i, tau=TAU, threshold=THRESHOLD, u_reset=RESET,
                                   tau_ref=TAU_REF)
    mu, sigma_b = theory.brunel_input(predicted, g, eta, j=J, c_e=c_e, c_i=c_i, tau=TAU, threshold=THRESHOLD)
    predicted_cv = theory.isi_cv(mu, sigma_b / np.sqrt(2.0), tau=TAU, threshold=THRESHOLD, u_reset=RESET,
                                 tau_ref=TAU_REF)
    trace, raster_time, raster_row = _window(spikes, np.sort(generator.choice(n, RASTER_NEURONS, replace=False)))
    return {"g": g, "eta": eta, "duration": duration, "rate": rate, "rate_se": rate_se, "cv": cv, "cv_se": cv_se,
            "peak_frequency": frequency[peak], "synchrony": shared[peak] / n, "synchrony_se": shared_se[peak] / n,
            "theory_rate": predicted, "theory_cv": predicted_cv, "theory_mu": mu, "theory_sigma_b": sigma_b,
            "frequency": frequency, "shared": shared, "shared_se": shared_se, "trace": trace,
            "raster_time": raster_time, "raster_row": raster_row, "n_neurons": n, "c_e": c_e, "c_i": c_i}


def _control(state: dict, duration: float, seed: int) -> tuple[float, float, float]:
    """The feed-forward control (module docstring): the model-A neuron driven by independent Poisson trains at
    the state's mean-field rate (``C_E`` external and excitatory, ``C_I`` inhibitory). Rate, its SE, mean CV."""
    network = brunel_model_a(40, j=J, g=state["g"], eta=state["eta"], delay=DELAY, dt=DT)  # for its model only
    nu, nu_ext = state["theory_rate"], state["eta"] * THRESHOLD / (J * state["c_e"] * TAU)
    drives = [poisson_input(rate=nu_ext + nu, weight=J, n_sources=state["c_e"]),
              poisson_input(rate=nu, weight=-state["g"] * J, n_sources=state["c_i"])]
    spikes = simulate(network.model, drives, n_neurons=CONTROL_NEURONS, n_steps=int(round(duration / DT)), seed=seed,
                      initial_state=np.random.default_rng(seed).uniform(RESET, THRESHOLD, CONTROL_NEURONS)).spikes
    rate, rate_se = stats.stationary_rate(spikes, WARMUP)  # independent neurons: the SE over neurons
    return rate, rate_se, _cv_and_se(stats.stationary_part(spikes, WARMUP))[0]


def run(quick: bool = False, seed: int = SEED, n_excitatory: int = 10_000, epsilon: float = 0.1,
        duration: float = 2.2, n_threads: int | None = None) -> xr.Dataset:
    """The four states (module docstring) in networks of ``n_excitatory`` E neurons (``N_I = N_E/4``) with
    connection probability ``epsilon``, each simulated for ``duration`` seconds (on ``n_threads`` threads, default
    Numba's); and the AI state's feed-forward control."""
    names = list(STATES)
    rows = [_state(name, n_excitatory, epsilon, duration, seed + 10 * index, n_threads)
            for index, name in enumerate(names)]
    control_rate, control_rate_se, control_cv = _control(rows[names.index("C")], duration, seed + 100)
    scalar = lambda key: ("state", np.array([row[key] for row in rows]))  # noqa: E731
    dataset = xr.Dataset(
        {key: scalar(key) for key in ("g", "eta", "duration", "rate", "rate_se", "cv", "cv_se", "peak_frequency",
                                       "synchrony", "synchrony_se", "theory_rate", "theory_cv", "theory_mu",
                                       "theory_sigma_b")}
        | {"shared": (("state", "frequency"), np.array([row["shared"] for row in rows])),
           "shared_se": (("state", "frequency"), np.array([row["shared_se"] for row in rows])),
           "trace": (("state", "shown_time"), np.array([row["trace"] for row in rows])),
           "raster_time": (("state", "spike"), _padded([row["raster_time"] for row in rows], np.nan)),
           "raster_row": (("state", "spike"), _padded([row["raster_row"] for row in rows], -1))},
        coords={"state": names, "label": ("state", [STATES[name][0] for name in names]),
                "frequency": rows[0]["frequency"],
                "shown_time": BIN * np.arange(rows[0]["trace"].size)},  # from the start of each run's last SHOWN s
        attrs={"quick": int(quick), "seed": seed, "n_excitatory": n_excitatory, "epsilon": epsilon,
               "n_neurons": rows[0]["n_neurons"], "c_e": rows[0]["c_e"], "c_i": rows[0]["c_i"],
               "duration_s": duration, "warmup_s": WARMUP, "dt_s": DT, "delay_s": DELAY, "j": J, "bin_s": BIN,
               "segment_s": SEGMENT, "synchrony_threshold": SYNCHRONY_THRESHOLD,
               "theory_tolerance": THEORY_TOLERANCE, "control_rate": control_rate,
               "control_rate_se": control_rate_se, "control_cv": control_cv})
    for name in ("rate", "rate_se", "peak_frequency", "theory_rate"):
        dataset[name].attrs["units"] = "Hz"
    dataset["duration"].attrs["units"] = "s"
    return dataset


def _padded(arrays: list, fill) -> np.ndarray:
    """Ragged 1-d arrays as one 2-d array, padded with ``fill``."""
    out = np.full((len(arrays), max(1, max(array.size for array in arrays))), fill,
                  dtype=float if isinstance(fill, float) else np.int64)
    for index, array in enumerate(arrays):
        out[index, :array.size] = array
    return out


def checks(data: xr.Dataset) -> dict[str, list[tuple[str, str, str, bool]]]:
    """Per state, ``(what, paper's statement and its source, the criterion used here, passed)`` rows."""
    d = float(data.attrs["delay_s"])
    fast = (1.0 / (4.0 * d), 1.0 / (2.0 * d))
    df = float(data.frequency[1] - data.frequency[0])
    threshold = float(data.attrs["synchrony_threshold"])
    tolerance = float(data.attrs["theory_tolerance"])
    value = {name: {key: float(data[key].sel(state=name)) for key in ("rate", "cv", "peak_frequency", "synchrony",
                                                                        "theory_rate")} for name in STATES}
    a, b, c, s = value["A"], value["B"], value["C"], value["D"]
    caption, abstract = "Fig. 8 caption", "abstract"
    return {
        "A": [("regular", f"neurons fire regularly ({caption})", "CV < 0.1", a["cv"] < 0.1),
              ("synchronous", f"almost fully synchronised ({caption})", f"index >= {threshold}",
               a["synchrony"] >= threshold),
              ("volley period D", "(derived here: D < tau_rp, two clusters)", f"abs(f_peak - 1/D) <= {df:g} Hz",
               abs(a["peak_frequency"] - 1.0 / d) <= df)],
        "B": [("oscillates", f"fast oscillation of the global activity ({caption})", f"index >= {threshold}",
               b["synchrony"] >= threshold),
              ("fast band", f"frequency set by the synaptic time scale ({abstract})",
               f"f_peak in [1/(4D), 1/(2D)] = [{fast[0]:.0f}, {fast[1]:.0f}] Hz",
               fast[0] <= b["peak_frequency"] <= fast[1]),
              ("rate below global frequency", f"rate lower than the global frequency ({caption})", "rate < f_peak",
               b["rate"] < b["peak_frequency"]),
              ("irregular", f"neurons fire irregularly ({caption})", "CV >= 0.5", b["cv"] >= 0.5)],
        "C": [("stationary", f"stationary global activity ({caption})", f"index < {threshold}",
               c["synchrony"] < threshold),
              ("mean-field rate", "Brunel's self-consistent rate (eqs. 4-5 with the Siegert rate)",
               f"abs(rate/theory - 1) <= {tolerance:.0%}", abs(c["rate"] / c["theory_rate"] - 1.0) <= tolerance),
              ("irregular", f"very irregular firing ({abstract})", "CV >= 0.5", c["cv"] >= 0.5)],
        "D": [("oscillates", f"slow oscillation of the global activity ({caption})", f"index >= {threshold}",
               s["synchrony"] >= threshold),
              ("slow band", f"frequency set by the membrane time constant ({abstract})",
               f"f_peak < 1/(8D) = {fast[0] / 2:.0f} Hz", s["peak_frequency"] < fast[0] / 2),
              ("very low rate", f"very low rates, below the global frequency ({caption})", "rate < f_peak",
               s["rate"] < s["peak_frequency"]),
              ("irregular", f"neurons fire irregularly ({caption})", "CV >= 0.5", s["cv"] >= 0.5)]}


def figure(data: xr.Dataset):
    from nsnn_sim.experiments import _style as style

    names = list(data.state.values)
    fig, axes = style.subplots(3, len(names), panel=(3.2, 2.4))
    threshold = float(data.attrs["synchrony_threshold"])
    searched = data.frequency.values >= LOWEST
    for column, name in enumerate(names):
        row = data.sel(state=name)
        span = 1e3 * SHOWN_SPAN.get(name, SHOWN)  # ms of the last SHOWN seconds drawn
        start = f"time after {float(row.duration) - SHOWN:g} s (ms)"
        ax = axes[0, column]
        kept = row.raster_row.values >= 0
        ax.plot(1e3 * row.raster_time.values[kept], row.raster_row.values[kept], "|", color="k", markersize=3)
        ax.set(title=f"{name} {row.label.item()} (g {float(row.g):g}, eta {float(row.eta):g})", ylabel="neuron",
               xlabel=start, xlim=(0, span))
        ax = axes[1, column]
        ax.plot(1e3 * data.shown_time.values, row.trace.values, lw=0.7)
        ax.axhline(float(row.rate), color="k", ls="--", lw=0.8)
        ax.set(xlabel=start, ylabel="population rate (Hz)", xlim=(0, span))
        ax = axes[2, column]
        ax.semilogy(data.frequency.values[searched], row.shared.values[searched] / float(data.attrs["n_neurons"]))
        ax.axhline(threshold, color="C3", ls=":")
        ax.axvline(float(row.peak_frequency), color="grey", lw=0.6)
        ax.set(xlabel="frequency (Hz)", ylabel="shared density R(f)/N",
               title=f"peak {float(row.peak_frequency):.0f} Hz, index {float(row.synchrony):.2g}")
    style.figure_legend(fig, {"shared spectral density R(f)/N": style.key("C0", marker="none"),
                              f"peak threshold {threshold:g}": style.key("C3", linestyle=":", marker="none"),
                              "mean rate": style.key("k", linestyle="--", marker="none")})
    return fig


def summary(data: xr.Dataset) -> list[str]:
    lines = []
    verdicts = checks(data)
    for name in data.state.values:
        row = data.sel(state=name)
        failed = [what for what, _, _, passed in verdicts[name] if not passed]
        lines.append(f"{name} {row.label.item()} (g {float(row.g):g}, eta {float(row.eta):g}): rate "
                     f"{float(row.rate):.2f} +- {float(row.rate_se):.2f} Hz (mean field {float(row.theory_rate):.2f}), "
                     f"CV {float(row.cv):.3f} (diffusion theory {float(row.theory_cv):.3f}), peak "
                     f"{float(row.peak_frequency):.0f} Hz, synchrony index {float(row.synchrony):.3g}; checks "
                     + ("all passed" if not failed else f"failed: {', '.join(failed)}"))
    lines.append(f"feed-forward control of C (Poisson inputs at the mean-field rate "
                 f"{float(data.theory_rate.sel(state='C')):.2f} Hz): rate {data.attrs['control_rate']:.2f} +- "
                 f"{data.attrs['control_rate_se']:.2f} Hz, CV {data.attrs['control_cv']:.3f}")
    return lines


def MARKDOWN(data: xr.Dataset) -> str:  # noqa: N802 (the experiment protocol's name)
    """The table of the four states beside the paper's statements (module docstring)."""
    lines = [f"Brunel (2000) model A, N = {data.attrs['n_neurons']} (epsilon {data.attrs['epsilon']:g}), "
             f"{data.attrs['duration_s']:g} s per state (statistics after {data.attrs['warmup_s']:g} s), seed "
             f"{data.attrs['seed']}{' (quick mode)' if data.attrs['quick'] else ''}.", "",
             "| state | g | eta | rate (Hz) | mean-field rate (Hz) | CV | diffusion CV | peak (Hz) | synchrony index |",
             "|---|---|---|---|---|---|---|---|---|"]
    for name in data.state.values:
        row = data.sel(state=name)
        lines.append(f"| {name} {row.label.item()} | {float(row.g):g} | {float(row.eta):g} | {float(row.rate):.2f} +- "
                     f"{float(row.rate_se):.2f} | {float(row.theory_rate):.2f} | {float(row.cv):.3f} +- "
                     f"{float(row.cv_se):.3f} | {float(row.theory_cv):.3f} | {float(row.peak_frequency):.0f} | "
                     f"{float(row.synchrony):.3g} +- {float(row.synchrony_se):.2g} |")
    lines += ["", "| state | property | the paper (source) | criterion here | result |", "|---|---|---|---|---|"]
    for name, rows in checks(data).items():
        lines += [f"| {name} | {what} | {paper} | {criterion} | {'yes' if passed else 'NO'} |"
                  for what, paper, criterion, passed in rows]
    lines += ["", f"Feed-forward control of C: rate {data.attrs['control_rate']:.2f} +- "
              f"{data.attrs['control_rate_se']:.2f} Hz, CV {data.attrs['control_cv']:.3f}.", ""]
    return "\n".join(lines)
