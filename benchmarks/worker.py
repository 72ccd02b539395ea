"""Entry point of one benchmark measurement in a fresh process (see :func:`common.run_worker`)::

    python -m worker MODULE FUNCTION ARGUMENTS_JSON SCRATCH_DIRECTORY

imports ``MODULE`` from benchmarks/, calls ``FUNCTION(*ARGUMENTS, scratch=SCRATCH_DIRECTORY)`` and
prints the dict it returns as one line of JSON (the last line of standard output).
"""

from __future__ import annotations

import importlib
import json
import sys


def main(argv=None) -> None:
    module, function, arguments, scratch = argv if argv is not None else sys.argv[1:]
    result = getattr(importlib.import_module(module), function)(*json.loads(arguments), scratch=scratch)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
