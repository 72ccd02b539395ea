"""Neural sampling with noisy spiking networks -> results/sampling.nc.

A network of K = 10 stochastic neurons samples p(z) ~ exp(b'z + z'Wz/2) (nsnn_sim.coding.sampling: the
systematic-scan Gibbs chain written as an NSNN, exact for logistic escape noise). Because K is small
the target is enumerated exactly. Reported: KL(sampled || exact) against the number of sweeps
(K steps each) for logistic noise, Gaussian noise with the same slope at threshold
(sigma = 4/sqrt(2 pi) for logistic scale 1) and the deterministic network, at two weight scales;
and inference: three units clamped as evidence, sampled posterior marginals of the others against
the exact ones.

    python analyses/sampling.py [--quick] [--out results/sampling.nc]

Examples
--------
>>> from nsnn_sim.experiments import get
>>> experiment = get('sampling')
>>> experiment.description
'Neural sampling of a Boltzmann distribution by a logistic NSNN, and inference.'
>>> experiment.seed, experiment.module.__name__
(21, 'nsnn_sim.experiments.sampling')
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from nsnn_sim._core.log import get_logger
from nsnn_sim._core.version import provenance
from nsnn_sim.coding.sampling import BoltzmannTarget, kl_divergence, sample_states, state_distribution

_log = get_logger(__name__)

DESCRIPTION = "Neural sampling of a Boltzmann distribution by a logistic NSNN, and inference."
SEED = 21
ORDER = 50
N_UNITS = 10
NOISES = {"logistic (exact)": ("logistic", 1.0), "gaussian, matched slope": ("gaussian", 4 / np.sqrt(2 * np.pi)),
          "deterministic": ("none", 1.0)}
EVIDENCE = {0: 1, 4: 0, 7: 1}


def random_target(scale: float, seed: int) -> BoltzmannTarget:
    generator = np.random.default_rng(seed)
    weights = generator.normal(0.0, scale, (N_UNITS, N_UNITS))
    weights = (weights + weights.T) / np.sqrt(2)
    np.fill_diagonal(weights, 0.0)
    return BoltzmannTarget(weights, generator.normal(-0.5, 0.5, N_UNITS))


def run(quick: bool = False, seed: int = SEED) -> xr.Dataset:
    """Weight SDs 0.3 and 0.6, 16 chains of 100000 sweeps (quick: 8 of 20000), the KL at 12 log-spaced checkpoints
    from 100 sweeps to the last; inference on the target of weight SD 0.6, its chains seeded ``seed + 100 + n`` for
    the ``n``-th noise."""
    n_sweeps, n_chains = (20_000, 8) if quick else (100_000, 16)
    checkpoints = np.unique(np.geomspace(100, n_sweeps, 12).astype(int))
    scales = np.array([0.3, 0.6])
    kl = np.zeros((scales.size, len(NOISES), checkpoints.size))
    for s, scale in enumerate(scales):
        target = random_target(scale, seed)
        exact = target.probabilities()
        for n, (noise, noise_scale) in enumerate(NOISES.values()):
            states = sample_states(target, n_sweeps, n_chains=n_chains, noise=noise, noise_scale=noise_scale,
                                   seed=seed + 10 * s + n)
            kl[s, n] = [kl_divergence(state_distribution(states[:, :m], N_UNITS), exact) for m in checkpoints]
    bias_floor = (2**N_UNITS - 1) / (2 * n_chains * checkpoints)  # expected plug-in KL of exact samples

    target = random_target(scales[-1], seed)
    marginals = np.zeros((len(NOISES), N_UNITS))
    marginal_se = np.zeros((len(NOISES), N_UNITS))
    inference_seeds = seed + 100 + np.arange(len(NOISES))
    for n, (noise, noise_scale) in enumerate(NOISES.values()):
        states = sample_states(target, n_sweeps, n_chains=n_chains, noise=noise, noise_scale=noise_scale,
                               clamped=EVIDENCE, seed=int(inference_seeds[n]))
        per_chain = ((states[..., None] >> np.arange(N_UNITS)) & 1).mean(axis=1)
        marginals[n] = per_chain.mean(axis=0)
        marginal_se[n] = per_chain.std(axis=0, ddof=1) / np.sqrt(n_chains)
    dataset = xr.Dataset(
        {"kl": (("weight_scale", "noise", "sweeps"), kl, {"units": "nats", "long_name": "KL(sampled || exact)"}),
         "kl_bias_floor": (("sweeps",), bias_floor,
                           {"units": "nats", "long_name": "(2^K - 1) / (2 n_samples): plug-in KL of exact samples"}),
         "posterior_marginal": (("noise", "unit"), marginals),
         "posterior_marginal_se": (("noise", "unit"), marginal_se),
         "exact_posterior_marginal": (("unit",), target.marginals(EVIDENCE)),
         "exact_prior_marginal": (("unit",), target.marginals()),
         "clamped": (("unit",), np.array([EVIDENCE.get(u, -1) for u in range(N_UNITS)])),
         "inference_seed": (("noise",), inference_seeds)},
        coords={"weight_scale": scales, "noise": list(NOISES), "sweeps": checkpoints, "unit": np.arange(N_UNITS)},
        attrs={"n_units": N_UNITS, "n_chains": n_chains, "seed": seed, "quick": int(quick),
               "scheme": "systematic-scan Gibbs chain as an NSNN (logistic escape, gated slots, delays (k-j) mod K)",
               **provenance()},
    )
    _log.info("KL after the last sweep:\n%s", dataset["kl"].isel(sweeps=-1).to_pandas().round(5))
    return dataset


def figure(data: xr.Dataset):
    """Neural sampling figure from results/sampling.nc -> figures/out/sampling.png (no simulation here).

    a: KL(sampled || exact) against the number of sweeps for logistic noise (exact sampler), Gaussian
    noise with the same slope, and the deterministic network, with the KL that exact samples would
    show (the plug-in bias floor). b: posterior marginals with three units clamped (± 2 SE)."""
    from nsnn_sim.experiments import _style as style

    figure, (kl_ax, marginal_ax) = style.subplots(1, 2, gridspec_kw={"width_ratios": [1, 1.5]})
    sweeps = data["sweeps"].values
    styles = dict(zip(data["weight_scale"].values, ("--", "-")))
    noises = list(data["noise"].values)
    for n, noise in enumerate(noises):
        for scale, linestyle in styles.items():
            kl_ax.plot(sweeps, data["kl"].sel(noise=noise, weight_scale=scale), linestyle, marker="o", markersize=3,
                       color=f"C{n}")
    kl_ax.plot(sweeps, data["kl_bias_floor"], "k:")
    entries = {str(noise): style.key(f"C{n}") for n, noise in enumerate(noises)}
    entries.update({f"weight SD {scale:g}": style.key(linestyle=linestyle, marker="none")
                    for scale, linestyle in styles.items()})
    entries["exact samples: plug-in bias\n(2^K - 1)/2N"] = style.key(linestyle=":", marker="none")
    kl_ax.axhline(0.01, color="gray", linewidth=0.8)
    kl_ax.text(sweeps[0], 0.012, "0.01 nats", color="gray")
    kl_ax.set_xscale("log")
    kl_ax.set_yscale("log")
    kl_ax.set_xlabel(f"sweeps per chain (K = {data.attrs['n_units']} steps each)")
    kl_ax.set_ylabel("KL(sampled || exact) (nats)")
    kl_ax.set_title(f"Logistic NSNN samples the Boltzmann distribution exactly ({data.attrs['n_chains']} chains)")
    kl_ax.legend(list(entries.values()), list(entries))
    units = data["unit"].values
    width = 0.2
    marginal_ax.bar(units - 1.5 * width, data["exact_posterior_marginal"], width, color="k", label="exact posterior")
    for n, noise in enumerate(noises):
        marginal_ax.bar(units + (n - 0.5) * width, data["posterior_marginal"].sel(noise=noise), width,
                        yerr=2 * data["posterior_marginal_se"].sel(noise=noise), color=f"C{n}",
                        label=f"sampled, {noise} (± 2 SE)")
    marginal_ax.plot(units, data["exact_prior_marginal"], "kx", label="exact prior (no evidence)")
    clamped = data["clamped"].values
    marginal_ax.set_xticks(units, [f"{unit}" + (f"\n= {value}" if value >= 0 else "") for unit, value in
                                   zip(units, clamped)])
    marginal_ax.set_ylim(0, 1.05)
    marginal_ax.set_xlabel("unit (= v: clamped to v)")
    marginal_ax.set_ylabel("p(z_k = 1 | evidence)")
    marginal_ax.set_title("Inference: posterior marginals with three units clamped")
    marginal_ax.legend()
    return figure


def summary(data: xr.Dataset) -> list[str]:
    last = data["kl"].isel(sweeps=-1)
    lines = [f"KL(sampled || exact) after {int(data['sweeps'][-1])} sweeps x {data.attrs['n_chains']} chains, "
             f"weight SD {scale:g}: " + ", ".join(f"{noise} {float(last.sel(weight_scale=scale, noise=noise)):.2g}"
                                                 for noise in data["noise"].values)
             + f" nats (exact-sample floor {float(data['kl_bias_floor'][-1]):.2g})"
             for scale in data["weight_scale"].values]
    error = np.abs(data["posterior_marginal"] - data["exact_posterior_marginal"]).max("unit")
    lines.append("largest posterior-marginal error with 3 units clamped: "
                 + ", ".join(f"{noise} {float(error.sel(noise=noise)):.3f}" for noise in data["noise"].values))
    return lines
