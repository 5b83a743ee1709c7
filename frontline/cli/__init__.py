"""The ``frontline`` command line: one group (:mod:`frontline.cli.main`) and its commands.

Each command module imports the group from :mod:`frontline.cli.main` and registers its
commands on it; nothing imports this package back, so there is no import cycle.
"""

from frontline.cli import analysis, cache, charts, data, regions  # noqa: F401  (registers commands)
from frontline.cli.main import cli, main

__all__ = ["cli", "main"]
