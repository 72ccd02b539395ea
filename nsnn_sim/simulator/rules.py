"""The codes of the spike, reset and threshold-crossing rules, shared by the models and the kernels.

A model stores its rules as these small integers (:class:`nsnn_sim.simulator.neurons.CompiledNeurons`); the
kernels branch on them. The names users give (``firing="escape"``) map to codes through the dicts below.

Examples
--------
>>> from nsnn_sim.simulator.rules import _FIRING_CODES, FIRING_HAZARD
>>> _FIRING_CODES["hazard"] == FIRING_HAZARD
True
"""

FIRING_MEMBRANE, FIRING_ESCAPE, FIRING_REFERENCE, FIRING_HAZARD = 0, 1, 2, 3
RESET_ZERO, RESET_SUBTRACT = 0, 1
CROSSING_GRID, CROSSING_BRIDGE, CROSSING_SUBSTEP = 0, 1, 2

_FIRING_CODES = {"membrane": FIRING_MEMBRANE, "escape": FIRING_ESCAPE, "reference": FIRING_REFERENCE,
                 "hazard": FIRING_HAZARD}
_RESET_CODES = {"zero": RESET_ZERO, "subtract": RESET_SUBTRACT}
_CROSSING_CODES = {"grid": CROSSING_GRID, "bridge": CROSSING_BRIDGE, "substep": CROSSING_SUBSTEP}
