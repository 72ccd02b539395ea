"""The learner (nsnn_sim.learn) against the same network written in PyTorch -> benchmarks/results/learning_vs_torch.*

Network (both): scikit-learn's digits as constant analog input for ``T`` steps -> one hidden layer of
the official reference Gaussian NSNN (decay 0.5, threshold 1, noise SD 0.4 added to the membrane and
kept, a Bernoulli spike with probability ``Phi((u + eps - theta) / 0.4)``, gradient
``pdf(u + eps - theta)``, reset to zero not detached) -> per-step linear logits; the step cross-entropy,
Adam (lr 0.01), minibatches of 32, float64 in both, from the same initial weights. The PyTorch
version is written here with batched tensor operations and a Python loop over time steps only (as
the official code), ``torch.set_num_threads(2)``; the learner runs with 2 Numba threads. One warm-up
epoch is not counted; seconds per epoch are the median of the timed epochs; the accuracy is the test
accuracy (one noisy pass) after the same number of epochs (warm-up included). Sizes: (hidden 64,
10 steps) and (hidden 256, 50 steps). Also one minibatch's forward and backward time in each, to
say where the time goes. The machine's load (``os.getloadavg``) is recorded beside the numbers.

PyTorch is never a dependency of nsnn_sim: run this from an environment that has both, e.g.

    python3 -m venv /tmp/torchvenv && /tmp/torchvenv/bin/pip install torch && /tmp/torchvenv/bin/pip install -e .
    /tmp/torchvenv/bin/python benchmarks/learning_vs_torch.py [--quick] [--epochs 5]

Without torch the script says so and exits with status 0 without writing results.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

RESULTS = Path(__file__).parent / "results"
SIZES = ((64, 10), (256, 50))
THREADS = 2
LEARNING_RATE, BATCH, SIGMA, BETA, THRESHOLD = 1e-2, 32, 0.4, 0.5, 1.0


def _nsnn_run(data, n_hidden: int, epochs: int, seed: int) -> dict:
    from nsnn_sim import learn
    from nsnn_sim.learn.losses import step_cross_entropy

    network = learn.official_network(64, n_hidden, 10, noise="gaussian", weight_gain=3.0, seed=seed)
    initial = {name: value.copy() for name, value in network.parameters.items()}
    history = learn.train(network, data.x_train, data.y_train, loss="step_cross_entropy", epochs=epochs + 1,
                          batch_size=BATCH, optimizer=learn.Adam(LEARNING_RATE), seed=seed, progress=False)
    accuracy = learn.evaluate(network, data.x_test, data.y_test, loss="step_cross_entropy", seed=seed + 1).accuracy
    batch, labels = data.x_train[:BATCH], data.y_train[:BATCH]
    forward_times, backward_times = [], []
    for repeat in range(5):
        start = time.perf_counter()
        trace = learn.forward(network, batch, seed=repeat)
        middle = time.perf_counter()
        learn.backward(network, trace, grad_step_outputs=step_cross_entropy(trace.step_outputs, labels)[1])
        forward_times.append(middle - start)
        backward_times.append(time.perf_counter() - middle)
    return {"seconds_per_epoch": float(np.median(history["epoch_time"].values[1:])),
            "epoch_times": history["epoch_time"].values[1:].tolist(), "test_accuracy": accuracy,
            "forward_batch_s": float(np.median(forward_times)), "backward_batch_s": float(np.median(backward_times)),
            "initial": initial}


def _torch_network(torch, initial: dict):
    """The same network in PyTorch: parameters and a forward pass returning the per-step logits."""
    zero, sigma = torch.tensor(0.0, dtype=torch.float64), torch.tensor(SIGMA, dtype=torch.float64)
    normal = torch.distributions.Normal(zero, sigma)

    class Spike(torch.autograd.Function):
        """Bernoulli spike with probability Phi(v / sigma) of the noisy potential v = u + eps - theta;
        its gradient is the noise pdf at v (the official NILIF)."""

        @staticmethod
        def forward(context, v):
            context.save_for_backward(v)
            return (torch.rand_like(v) < normal.cdf(v)).to(v.dtype)

        @staticmethod
        def backward(context, grad):
            (v,) = context.saved_tensors
            return grad * torch.exp(normal.log_prob(v))

    w_in = torch.tensor(initial["0.W"], dtype=torch.float64, requires_grad=True)
    w_out = torch.tensor(initial["readout.W"], dtype=torch.float64, requires_grad=True)

    def forward(x):  # x: (batch, steps, inputs)
        current = x @ w_in.T  # batched over steps
        u = torch.zeros(x.shape[0], w_in.shape[0], dtype=torch.float64)
        spikes = []
        for step in range(x.shape[1]):
            noisy = BETA * u + current[:, step] + SIGMA * torch.randn_like(u)
            spike = Spike.apply(noisy - THRESHOLD)
            u = noisy * (1.0 - spike)  # reset to zero, not detached; the noise stays in the membrane
            spikes.append(spike)
        return torch.stack(spikes, dim=1) @ w_out.T  # per-step logits

    return [w_in, w_out], forward


def _torch_run(data, initial: dict, epochs: int, seed: int) -> dict:
    import torch

    torch.set_num_threads(THREADS)
    torch.manual_seed(seed)
    parameters, forward = _torch_network(torch, initial)
    optimizer = torch.optim.Adam(parameters, lr=LEARNING_RATE)
    x, y = torch.tensor(data.x_train), torch.tensor(data.y_train)

    def step_loss(logits, labels):
        steps = logits.shape[1]
        return torch.nn.functional.cross_entropy(logits.reshape(-1, 10), labels.repeat_interleave(steps))

    times = []
    for _ in range(epochs + 1):
        start = time.perf_counter()
        order = torch.randperm(x.shape[0])
        for first in range(0, x.shape[0], BATCH):
            chosen = order[first:first + BATCH]
            optimizer.zero_grad()
            step_loss(forward(x[chosen]), y[chosen]).backward()
            optimizer.step()
        times.append(time.perf_counter() - start)
    with torch.no_grad():
        logits = forward(torch.tensor(data.x_test)).mean(dim=1)
        accuracy = float((logits.argmax(dim=1).numpy() == data.y_test).mean())
    forward_times, backward_times = [], []
    for _ in range(5):
        optimizer.zero_grad()
        start = time.perf_counter()
        loss = step_loss(forward(x[:BATCH]), y[:BATCH])
        middle = time.perf_counter()
        loss.backward()
        forward_times.append(middle - start)
        backward_times.append(time.perf_counter() - middle)
    return {"seconds_per_epoch": float(np.median(times[1:])), "epoch_times": times[1:], "test_accuracy": accuracy,
            "forward_batch_s": float(np.median(forward_times)), "backward_batch_s": float(np.median(backward_times)),
            "torch_version": torch.__version__}


def _markdown(record: dict) -> str:
    lines = ["| hidden | steps | nsnn_sim s/epoch | torch s/epoch | speed-up | nsnn_sim acc | torch acc | "
             "nsnn_sim fwd / bwd per batch (ms) | torch fwd / bwd per batch (ms) |",
             "|---|---|---|---|---|---|---|---|---|"]
    for row in record["rows"]:
        n, t = row["nsnn_sim"], row["torch"]
        lines.append(f"| {row['hidden']} | {row['steps']} | {n['seconds_per_epoch']:.3f} | "
                     f"{t['seconds_per_epoch']:.3f} | "
                     f"{row['speedup']:.2f}x | {n['test_accuracy']:.3f} | {t['test_accuracy']:.3f} | "
                     f"{1e3 * n['forward_batch_s']:.2f} / {1e3 * n['backward_batch_s']:.2f} | "
                     f"{1e3 * t['forward_batch_s']:.2f} / {1e3 * t['backward_batch_s']:.2f} |")
    lines.append("")
    lines.append(f"{record['timed_epochs']} timed epochs after one warm-up, {THREADS} threads each, float64, "
                 f"digits ({record['n_train']} train / {record['n_test']} test), torch {record['torch_version']}; "
                 f"load average before / after: {record['load_before']} / {record['load_after']} "
                 f"on {record['cores']} cores (a shared machine: timings are noisy).")
    return "\n".join(lines) + "\n"


def main(argv=None) -> Path | None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="2 timed epochs, the small size only")
    parser.add_argument("--epochs", type=int, default=5, help="timed epochs (after one warm-up)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=RESULTS / "learning_vs_torch.json")
    args = parser.parse_args(argv)
    if importlib.util.find_spec("torch") is None:
        print("learning_vs_torch: PyTorch is not installed in this environment; nothing measured. Install it in a "
              "separate environment (pip install torch) with nsnn_sim, and run this script from there.")
        return None
    import numba

    numba.set_num_threads(THREADS)
    from nsnn_sim import learn

    epochs = 2 if args.quick else args.epochs
    sizes = SIZES[:1] if args.quick else SIZES
    record = {"rows": [], "timed_epochs": epochs, "cores": os.cpu_count(), "threads": THREADS,
              "load_before": [round(v, 2) for v in os.getloadavg()], "python": sys.version.split()[0]}
    for n_hidden, n_steps in sizes:
        data = learn.digits(n_steps=n_steps, seed=args.seed)
        nsnn = _nsnn_run(data, n_hidden, epochs, args.seed)
        initial = nsnn.pop("initial")
        torch_result = _torch_run(data, initial, epochs, args.seed)
        record["torch_version"] = torch_result.pop("torch_version")
        row = {"hidden": n_hidden, "steps": n_steps, "nsnn_sim": nsnn, "torch": torch_result,
               "speedup": torch_result["seconds_per_epoch"] / nsnn["seconds_per_epoch"]}
        record["rows"].append(row)
        record.update(n_train=int(data.y_train.size), n_test=int(data.y_test.size))
        _write(args.out, record)  # after every size, so that a stopped run keeps what it measured
        print(f"hidden {n_hidden}, {n_steps} steps: nsnn_sim {nsnn['seconds_per_epoch']:.3f} s/epoch "
              f"(acc {nsnn['test_accuracy']:.3f}), torch {torch_result['seconds_per_epoch']:.3f} s/epoch "
              f"(acc {torch_result['test_accuracy']:.3f}): {row['speedup']:.2f}x", flush=True)
    _write(args.out, record)
    return args.out


def _write(out: Path, record: dict) -> None:
    record["load_after"] = [round(v, 2) for v in os.getloadavg()]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(record, indent=1))
    out.with_suffix(".md").write_text(_markdown(record))


if __name__ == "__main__":
    main()
