"""``python -m nsnn_sim``: the ``nsnn-sim`` command (:mod:`nsnn_sim.cli`)."""

import sys

from nsnn_sim.cli import main

sys.exit(main())
