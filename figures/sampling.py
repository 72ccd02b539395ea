"""Neural sampling figure from results/sampling.nc -> figures/out/sampling.png (no simulation here).

Left: KL(sampled || exact) against the number of sweeps for logistic noise (exact sampler),
Gaussian noise with the same slope, and the deterministic network, with the KL that exact samples
would show (the plug-in bias floor). Right: posterior marginals with three units clamped.

    python figures/sampling.py [--results results/sampling.nc]
"""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from nsnn_sim.plotting import figure_inputs, save_figure  # noqa: E402


def main(argv=None) -> Path:
    args, data = figure_inputs("sampling", __doc__, argv)
    figure, (kl_ax, marginal_ax) = plt.subplots(1, 2, figsize=(14, 5.6))
    sweeps = data["sweeps"].values
    styles = {0: "--", 1: "-"}
    for n, noise in enumerate(data["noise"].values):
        for s, scale in enumerate(data["weight_scale"].values):
            kl_ax.plot(sweeps, data["kl"].sel(noise=noise, weight_scale=scale), styles[s], marker="o", markersize=3,
                       color=f"C{n}", label=f"{noise}, weight SD {scale:g}")
    kl_ax.plot(sweeps, data["kl_bias_floor"], "k:", label="exact samples (plug-in bias (2^K - 1)/2N)")
    kl_ax.axhline(0.01, color="gray", linewidth=0.8)
    kl_ax.text(sweeps[0], 0.012, "0.01 nats", fontsize=8, color="gray")
    kl_ax.set_xscale("log")
    kl_ax.set_yscale("log")
    kl_ax.set_xlabel(f"sweeps per chain (K = {data.attrs['n_units']} steps each; {data.attrs['n_chains']} chains)")
    kl_ax.set_ylabel("KL(sampled || exact) (nats)")
    kl_ax.set_title("Logistic NSNN samples the Boltzmann distribution exactly")
    kl_ax.legend(fontsize=7)
    units = data["unit"].values
    width = 0.2
    marginal_ax.bar(units - 1.5 * width, data["exact_posterior_marginal"], width, color="k", label="exact posterior")
    for n, noise in enumerate(data["noise"].values):
        marginal_ax.bar(units + (n - 0.5) * width, data["posterior_marginal"].sel(noise=noise), width,
                        yerr=2 * data["posterior_marginal_se"].sel(noise=noise), color=f"C{n}", capsize=2,
                        label=f"sampled, {noise} (+-2 SE)")
    marginal_ax.plot(units, data["exact_prior_marginal"], "kx", label="exact prior (no evidence)")
    for unit, value in enumerate(data["clamped"].values):
        if value >= 0:
            marginal_ax.text(unit, 1.03, f"clamped {value}", ha="center", fontsize=7)
    marginal_ax.set_xticks(units)
    marginal_ax.set_ylim(0, 1.12)
    marginal_ax.set_xlabel("unit")
    marginal_ax.set_ylabel("p(z_k = 1 | evidence)")
    marginal_ax.set_title("Inference: posterior marginals with three units clamped")
    marginal_ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=3)
    figure.tight_layout()
    return save_figure(figure, args.out, dpi=110)


if __name__ == "__main__":
    main()
