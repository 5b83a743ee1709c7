"""The ``frontline`` command: one group, data on stdout, logs and errors on stderr."""

from __future__ import annotations

import logging
import sys

import click
import pandas as pd

from . import __version__
from ._output import FORMATS, format_table
from .errors import FrontlineError


class _Group(click.Group):
    """Turns every FrontlineError into one clear line and exit code 1 (no traceback)."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except FrontlineError as err:
            raise click.ClickException(str(err)) from err
        except (ValueError, KeyError) as err:
            if ctx.obj and ctx.obj.get("debug"):
                raise
            message = err.args[0] if err.args else repr(err)
            raise click.ClickException(str(message)) from err


@click.group(cls=_Group)
@click.version_option(__version__, prog_name="frontline")
@click.option("--data-dir", type=click.Path(file_okay=False), default=None,
              help="Data directory (default: $FRONTLINE_DATA_DIR).")
@click.option("--archive", type=click.Path(file_okay=False), default=None,
              help="Analyse the layers in this archive (see `frontline import`) instead "
                   "of raw files.")
@click.option("--as-of", default=None,
              help="Pin analyses to the archive's data as of this date (a vintage date).")
@click.option("-v", "--verbose", count=True, help="More log output on stderr.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bars or logs.")
@click.option("--debug", is_flag=True, hidden=True, help="Show tracebacks.")
@click.pass_context
def cli(ctx, data_dir, archive, as_of, verbose, quiet, debug):
    """Measure territorial change in Ukraine from ISW/CTP and DeepStateMap polygons.

    Data: ISW and AEI's Critical Threats Project; DeepStateMap. frontline never ships
    their files: point it at yours with --data-dir or FRONTLINE_DATA_DIR.
    """
    level = logging.ERROR if quiet else (logging.WARNING, logging.INFO, logging.DEBUG)[
        min(verbose, 2)]
    logging.basicConfig(level=level, format="%(levelname)s: %(message)s", stream=sys.stderr)
    ctx.ensure_object(dict)
    ctx.obj.update(data_dir=data_dir, archive=archive, as_of=as_of, progress=not quiet,
                   debug=debug)


def format_option(default="table"):
    return click.option("--format", "fmt", type=click.Choice(FORMATS), default=default,
                        show_default=True, help="Output format.")


def emit(frame: pd.DataFrame, fmt: str) -> None:
    click.echo(format_table(frame, fmt), nl=False)


def main(argv=None) -> None:
    cli.main(args=argv, prog_name="frontline")


# Commands live beside the code they call; each module registers itself here.
from . import _cli_charts, _cli_core, _cli_data, _cli_regions  # noqa: E402,F401
