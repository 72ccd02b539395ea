"""``python -m nsnn_sim.experiments NAME analyze|figure [options]``: one experiment, one step
(what :func:`nsnn_sim.reproduce.reproduce` runs in a process of its own)."""

import sys

from nsnn_sim.experiments import main

if len(sys.argv) < 3:
    sys.exit("usage: python -m nsnn_sim.experiments NAME analyze|figure [options]")
main(sys.argv[1], sys.argv[2], sys.argv[3:])
