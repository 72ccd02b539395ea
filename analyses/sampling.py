"""Neural sampling with noisy spiking networks -> results/sampling.nc.

A network of K = 10 stochastic neurons samples p(z) ~ exp(b'z + z'Wz/2) (nsnn_sim.sampling: the
systematic-scan Gibbs chain written as an NSNN, exact for logistic escape noise). Because K is small
the target is enumerated exactly. Reported: KL(sampled || exact) against the number of sweeps
(K steps each) for logistic noise, Gaussian noise with the same slope at threshold
(sigma = 4/sqrt(2 pi) for logistic scale 1) and the deterministic network, at two weight scales;
and inference: three units clamped as evidence, sampled posterior marginals of the others against
the exact ones.

    python analyses/sampling.py [--quick] [--out results/sampling.nc]
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import xarray as xr

from nsnn_sim.reproduce import analysis_arguments
from nsnn_sim.sampling import BoltzmannTarget, kl_divergence, sample_states, state_distribution
from nsnn_sim.version import provenance

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


def main(argv=None) -> Path:
    args = analysis_arguments("sampling", __doc__, seed=21, quick_help="fewer sweeps and chains (seconds)", argv=argv)
    start = time.perf_counter()
    n_sweeps, n_chains = (20_000, 8) if args.quick else (100_000, 16)
    checkpoints = np.unique(np.geomspace(100, n_sweeps, 12).astype(int))
    scales = np.array([0.3, 0.6])
    kl = np.zeros((scales.size, len(NOISES), checkpoints.size))
    for s, scale in enumerate(scales):
        target = random_target(scale, args.seed)
        exact = target.probabilities()
        for n, (noise, noise_scale) in enumerate(NOISES.values()):
            states = sample_states(target, n_sweeps, n_chains=n_chains, noise=noise, noise_scale=noise_scale,
                                   seed=args.seed + 10 * s + n)
            kl[s, n] = [kl_divergence(state_distribution(states[:, :m], N_UNITS), exact) for m in checkpoints]
    bias_floor = (2**N_UNITS - 1) / (2 * n_chains * checkpoints)  # expected plug-in KL of exact samples

    target = random_target(scales[-1], args.seed)
    marginals = np.zeros((len(NOISES), N_UNITS))
    marginal_se = np.zeros((len(NOISES), N_UNITS))
    for n, (noise, noise_scale) in enumerate(NOISES.values()):
        states = sample_states(target, n_sweeps, n_chains=n_chains, noise=noise, noise_scale=noise_scale,
                               clamped=EVIDENCE, seed=args.seed + 100 + n)
        per_chain = ((states[..., None] >> np.arange(N_UNITS)) & 1).mean(axis=1)
        marginals[n] = per_chain.mean(axis=0)
        marginal_se[n] = per_chain.std(axis=0, ddof=1) / np.sqrt(n_chains)
    dataset = xr.Dataset(
        {"kl": (("weight_scale", "noise", "sweeps"), kl, {"units": "nats", "long_name": "KL(sampled || exact)"}),
         "kl_bias_floor": (("sweeps",), bias_floor, {"units": "nats",
                                                     "long_name": "(2^K - 1) / (2 n_samples): plug-in KL of exact samples"}),
         "posterior_marginal": (("noise", "unit"), marginals),
         "posterior_marginal_se": (("noise", "unit"), marginal_se),
         "exact_posterior_marginal": (("unit",), target.marginals(EVIDENCE)),
         "exact_prior_marginal": (("unit",), target.marginals()),
         "clamped": (("unit",), np.array([EVIDENCE.get(u, -1) for u in range(N_UNITS)]))},
        coords={"weight_scale": scales, "noise": list(NOISES), "sweeps": checkpoints, "unit": np.arange(N_UNITS)},
        attrs={"n_units": N_UNITS, "n_chains": n_chains, "seed": args.seed, "quick": int(args.quick),
               "scheme": "systematic-scan Gibbs chain as an NSNN (logistic escape, gated slots, delays (k-j) mod K)",
               **provenance()},
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    dataset.to_netcdf(args.out, engine="h5netcdf")
    print(dataset["kl"].isel(sweeps=-1).to_pandas().round(5))
    print(f"-> {args.out} ({time.perf_counter() - start:.1f} s)")
    return args.out


if __name__ == "__main__":
    main()
