"""Training time per epoch of the learner (nsnn_sim.learn) -> benchmarks/results/learning_epoch.json.

The network and task of analyses/learning.py (Randman, 10 classes x 100 patterns, 20 inputs x 50
steps; 20 -> 100 -> 10 membrane readout; minibatches of 32, Adam): one warm-up epoch (compilation),
then the median of ``--epochs`` timed epochs, for the DSNN (surrogate gradient) and each NSNN noise
family, with Numba's default thread count. Also the forward and backward pass of one minibatch.

    python benchmarks/learning_epoch.py [--quick]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import time
from pathlib import Path

import numpy as np

from nsnn_sim import learn
from nsnn_sim.learn.losses import cross_entropy

ROOT = Path(__file__).resolve().parents[1]


def _experiment():
    spec = importlib.util.spec_from_file_location("learning_analysis", ROOT / "analyses" / "learning.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(argv=None) -> Path:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="2 timed epochs, 2 models")
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "learning_epoch.json")
    args = parser.parse_args(argv)
    experiment = _experiment()
    data = learn.randman(n_classes=experiment.N_CLASSES, n_inputs=20, n_steps=50, n_train=100, n_test=100,
                         manifold_dim=1, alpha=2.0, seed=5)
    models = list(experiment.MODELS.items())[:2] if args.quick else list(experiment.MODELS.items())
    epochs = 2 if args.quick else args.epochs
    rows = []
    for name, (noise, scale) in models:
        network = experiment.build_network(noise, scale, seed=5)
        learn.train(network, data.x_train, data.y_train, epochs=1, optimizer=learn.Adam(1e-2), progress=False)
        history = learn.train(network, data.x_train, data.y_train, epochs=epochs, optimizer=learn.Adam(1e-2),
                              progress=False)
        batch = data.x_train[:32]
        start = time.perf_counter()
        trace = learn.forward(network, batch, seed=1)
        middle = time.perf_counter()
        learn.backward(network, trace, cross_entropy(trace.outputs, data.y_train[:32])[1])
        end = time.perf_counter()
        rows.append({"model": name, "seconds_per_epoch": float(np.median(history["epoch_time"])),
                     "patterns_per_epoch": int(data.y_train.size), "forward_batch32_s": middle - start,
                     "backward_batch32_s": end - middle})
        print(rows[-1], flush=True)
    record = {"rows": rows, "cores": os.cpu_count(), "threads": int(os.environ.get("NUMBA_NUM_THREADS", 0)) or None,
              "timed_epochs": epochs}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(record, indent=1))
    return args.out


if __name__ == "__main__":
    main()
