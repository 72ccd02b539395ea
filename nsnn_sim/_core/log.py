"""The package's logger, and a console handler for command-line use.

The library never prints: it logs to ``logging.getLogger("nsnn_sim")`` (and its children, e.g.
``nsnn_sim.learn.train``), which, as for any well-behaved library, has no handler of its own, so
messages appear only where the application asks for them. The ``nsnn-sim`` command and
``verbose=True`` options call :func:`enable_console`.

Examples
--------
>>> import logging
>>> from nsnn_sim._core.log import enable_console, logger
>>> handler = enable_console(logging.WARNING)
>>> logger.name
'nsnn_sim'
>>> logger.removeHandler(handler)
"""

from __future__ import annotations

import logging
import sys

__all__ = ["logger", "enable_console", "get_logger"]

logger = logging.getLogger("nsnn_sim")
logger.addHandler(logging.NullHandler())

_CONSOLE_NAME = "nsnn_sim-console"


def get_logger(name: str) -> logging.Logger:
    """The logger of module ``name`` (``nsnn_sim.xxx``), a child of :data:`logger`."""
    return logging.getLogger(name if name.startswith("nsnn_sim") else f"nsnn_sim.{name}")


def enable_console(level: int = logging.INFO, stream=None) -> logging.Handler:
    """Send the package's messages at ``level`` and above to ``stream`` (default stderr).

    Idempotent: a second call adjusts the level of the handler the first one added. Returns the
    handler (remove it with ``logger.removeHandler``).
    """
    for handler in logger.handlers:
        if handler.get_name() == _CONSOLE_NAME:
            handler.setLevel(level)
            logger.setLevel(min(level, logger.level or level))
            return handler
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.set_name(_CONSOLE_NAME)
    handler.setFormatter(logging.Formatter("%(message)s"))
    handler.setLevel(level)
    logger.addHandler(handler)
    logger.setLevel(level)
    return handler
