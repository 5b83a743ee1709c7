"""The ``frontline`` command: one group, data on stdout, logs and errors on stderr."""

from __future__ import annotations

import logging
import sys
import warnings

import click
import pandas as pd

from frontline import __version__
from frontline.cache import no_cache as cache_off
from frontline.errors import (
    CopiesDisagreeWarning,
    FrontlineError,
    FrontlineWarning,
    InvalidArgumentError,
)
from frontline.history import load
from frontline.io.readers import DEEPSTATE_LAG_DAYS
from frontline.io.writers import FORMATS, format_table
from frontline.sources.archive import load_history
from frontline.sources.fetch import ensure_data


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    click.echo(f"Warning: {message}", err=True)


class _Group(click.Group):
    """A FrontlineError becomes one clear line and exit code 1 (no traceback); any other
    exception is a bug in frontline: its traceback is shown, with a line saying so.
    """

    def invoke(self, ctx):
        try:
            with warnings.catch_warnings():
                # frontline's warnings are part of the output: one line each on stderr
                # (a figure resting on a glitch day says so even with -q).
                warnings.simplefilter("default", FrontlineWarning)
                if ctx.params.get("quiet"):
                    warnings.simplefilter("ignore", CopiesDisagreeWarning)
                warnings.showwarning = _show_warning
                return super().invoke(ctx)
        except FrontlineError as err:
            raise click.ClickException(str(err)) from err
        except (click.exceptions.Exit, click.ClickException, click.Abort):
            raise
        except Exception:
            click.echo("frontline: unexpected error (a bug in frontline; please report it "
                       "with the traceback below):", err=True)
            raise


@click.group(cls=_Group)
@click.version_option(__version__, prog_name="frontline")
@click.option("--data-dir", type=click.Path(file_okay=False), default=None,
              help="Data directory (default: $FRONTLINE_DATA_DIR).")
@click.option("--archive", type=click.Path(file_okay=False), default=None,
              help="Analyse the layers in this archive (see `frontline import`) instead "
                   "of raw files.")
@click.option("--as-of", default=None,
              help="Pin analyses to the archive's data as of this date (a vintage date).")
@click.option("--deepstate-lag", type=click.IntRange(0), default=DEEPSTATE_LAG_DAYS,
              show_default=True,
              help="Days between a DeepState file's download date and the map date it "
                   "stands for (2 reproduces DeepState's own 2025 monthly figures).")
@click.option("--no-cache", is_flag=True,
              help="Read every input file again instead of the layer cache "
                   "($FRONTLINE_CACHE=off does the same; see `frontline cache status`).")
@click.option("-v", "--verbose", count=True, help="More log output on stderr.")
@click.option("-q", "--quiet", is_flag=True, help="No progress bars or logs.")
@click.option("--debug", is_flag=True, hidden=True, help="Show tracebacks.")
@click.pass_context
def cli(ctx, data_dir, archive, as_of, deepstate_lag, no_cache, verbose, quiet, debug):
    """Measure territorial change in Ukraine from ISW/CTP and DeepStateMap polygons.

    Data: ISW and AEI's Critical Threats Project; DeepStateMap. frontline never ships
    their files: point it at yours with --data-dir or FRONTLINE_DATA_DIR.
    """
    level = logging.ERROR if quiet else (logging.WARNING, logging.INFO, logging.DEBUG)[
        min(verbose, 2)]
    logging.basicConfig(level=level, format="%(levelname)s: %(message)s", stream=sys.stderr)
    ctx.ensure_object(dict)
    if no_cache:
        ctx.with_resource(cache_off())
    ctx.obj.update(data_dir=data_dir, archive=archive, as_of=as_of, progress=not quiet,
                   deepstate_lag=deepstate_lag,
                   debug=debug)


def format_option(default="table"):
    """The ``--format`` option every table command takes."""
    return click.option("--format", "fmt", type=click.Choice(FORMATS), default=default,
                        show_default=True, help="Output format.")


def emit(frame: pd.DataFrame, fmt: str) -> None:
    """Print a table on stdout in ``fmt`` (data on stdout, logs on stderr)."""
    click.echo(format_table(frame, fmt), nl=False)


def main(argv=None) -> None:
    """The ``frontline`` entry point."""
    cli.main(args=argv, prog_name="frontline")


#: Registry groups each source needs (see ``frontline fetch --list``).
GROUPS_BY_SOURCE = {"isw": ["isw-history"], "isw-areas": ["isw-areas"],
                    "isw-weekly": ["isw-weekly"], "deepstate": ["deepstate"]}


def prepare_data(ctx, sources, region=None) -> None:
    """Make sure a data directory is there: with none configured, fetch what is needed.

    Everything the commands read goes through here, so the main job works on a fresh
    machine (``frontline fetch`` into the user cache) and offline with FRONTLINE_MIRROR.
    """
    groups = [group for source in sources for group in GROUPS_BY_SOURCE[source]]
    if region is not None:
        groups += ["boundaries", "towns"]
    ctx.obj["data_dir"] = ensure_data(groups, ctx.obj["data_dir"], progress=ctx.obj["progress"])


def get_history(ctx, source=None, region=None, *, sources=None):
    """The history a command analyses: the one way every command gets its data.

    ``source`` None means every ISW input (polygons + area table); ``sources`` names
    several at once. With --archive or --as-of the layers and area tables come from the
    archive (pinned to a vintage date); otherwise from the data directory, fetched first
    when none is configured (:func:`prepare_data`).
    """
    if sources is None:
        sources = ["isw", "isw-areas"] if source is None else [source]
    sources = list(sources)
    if ctx.obj.get("archive") or ctx.obj.get("as_of"):
        if ctx.obj.get("deepstate_lag", DEEPSTATE_LAG_DAYS) != DEEPSTATE_LAG_DAYS:
            raise InvalidArgumentError(
                "--deepstate-lag applies to a data directory: the archive holds DeepState "
                f"maps dated with the default lag of {DEEPSTATE_LAG_DAYS} day; drop "
                "--archive/--as-of or the lag.")
        history = load_history(ctx.obj.get("archive"), as_of=ctx.obj.get("as_of"),
                               sources=sources)
        if region is not None:  # boundaries and towns still come from the data directory
            prepare_data(ctx, [], region)
        return history
    prepare_data(ctx, sources, region)
    return load(ctx.obj["data_dir"], sources=sources, progress=ctx.obj["progress"],
                deepstate_lag=ctx.obj.get("deepstate_lag", DEEPSTATE_LAG_DAYS))
