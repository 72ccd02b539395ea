"""Properties that need a fresh process: thread-count invariance through NUMBA_NUM_THREADS, memory."""

import os
import subprocess
import sys
import textwrap

RUN = textwrap.dedent("""
    import hashlib, sys
    import numpy as np, scipy.sparse as sp
    import nsnn_sim as ns
    weights = sp.random(400, 400, density=0.05, random_state=1, format="csr") * 0.1
    digest = hashlib.sha256()
    for connections in (None, weights):
        spikes = ns.simulate(ns.LIF(sigma=0.5), 0.8, n_neurons=400, n_steps=3000, n_trials=3, seed=8,
                             connections=connections).spikes
        for array in (spikes.trial, spikes.neuron, spikes.step):
            digest.update(array.tobytes())
    import numba
    print(numba.config.NUMBA_NUM_THREADS, len(spikes), digest.hexdigest())
""")


def _run(code, **env):
    environment = dict(os.environ, **env)
    completed = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=environment,
                               check=True, timeout=600)
    return completed.stdout.split()


def test_bit_identical_for_numba_num_threads_1_and_2():
    one = _run(RUN, NUMBA_NUM_THREADS="1")
    two = _run(RUN, NUMBA_NUM_THREADS="2")
    assert one[0] == "1" and two[0] == "2"
    assert int(one[1]) > 1000
    assert one[1:] == two[1:]


MEMORY = textwrap.dedent("""
    import resource
    import nsnn_sim as ns
    model = ns.LIF(sigma=0.5)
    ns.simulate(model, 0.9, n_neurons=100, n_steps=100, seed=0)  # compile / load the kernels first
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = ns.simulate(model, 0.9, n_neurons=10_000, n_steps=10_000, seed=1)
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(len(result.spikes), (after - before) * 1024)
""")


def test_large_run_records_spikes_without_a_neurons_by_steps_array():
    n_spikes, peak_growth = map(int, _run(MEMORY))
    assert n_spikes > 500_000  # about 58 Hz x 10,000 neurons x 1 s
    # a neurons x steps array would be 1e8 entries: >= 100 MB even as bool. The spikes themselves
    # (trial int32 + neuron int32 + step int64 = 16 B each, plus per-block buffers) take about 20 MB.
    assert peak_growth < 60e6, peak_growth
