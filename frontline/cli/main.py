"""The ``frontline`` command: one group, data on stdout, logs and errors on stderr."""

from __future__ import annotations

import functools
import logging
import os
import re
import sys
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import click
import pandas as pd
from click.core import ParameterSource

from frontline import __version__
from frontline.cache import no_cache as cache_off
from frontline.errors import (
    CopiesDisagreeWarning,
    FrontlineError,
    FrontlineWarning,
    InvalidArgumentError,
    short_message,
)
from frontline.history import History, load
from frontline.io.readers import DEEPSTATE_LAG_DAYS
from frontline.io.writers import (
    DECIMALS,
    FORMATS,
    POLYGON_FORMATS,
    check_crs,
    file_format,
    format_table,
    reader_columns,
    write_polygons,
    write_table,
)
from frontline.sources.archive import load_history
from frontline.sources.credits import source_credit
from frontline.sources.fetch import ensure_data

if TYPE_CHECKING:
    import geopandas as gpd


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    click.echo(f"Warning: {message}", err=True)


class _Group(click.Group):
    """A FrontlineError becomes one clear line and exit code 1 (no traceback); any other
    exception is a bug in frontline: its traceback is shown, with a line saying so.

    A long message is cut to its first items and a count (:func:`short_message`; ``-v``
    shows it whole). The group's options are accepted after a subcommand too
    (``frontline monthly -q --data-dir DIR``): :func:`_accept_group_options`.
    """

    group_class = type  # subgroups (snapshot, archive) behave the same

    def get_command(self, ctx, cmd_name):
        command = super().get_command(ctx, cmd_name)
        if command is not None:
            _accept_group_options(command, ctx.find_root().command)
            name = " ".join([*ctx.command_path.split()[1:], cmd_name])
            if name in EXAMPLES and "Example:" not in (command.help or ""):
                command.help = f"{command.help or ''}\n\nExample: {EXAMPLES[name]}"
        return command

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
            verbose = ctx.find_root().params.get("verbose")
            raise click.ClickException(str(err) if verbose else short_message(str(err))) \
                from err
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
def cli(ctx: click.Context, data_dir: str | None, archive: str | None, as_of: str | None,
        deepstate_lag: int, no_cache: bool, verbose: int, quiet: bool, debug: bool) -> None:
    """Measure territorial change in Ukraine from ISW/CTP and DeepStateMap polygons.

    Data: ISW and AEI's Critical Threats Project; DeepStateMap. frontline never ships
    their files: point it at yours with --data-dir or FRONTLINE_DATA_DIR. These options
    may also follow the command (frontline monthly -q --data-dir DIR).

    Example: frontline --data-dir ../shared/data monthly --start 2024-08 --end 2024-10
    """
    level = logging.ERROR if quiet else (logging.WARNING, logging.INFO, logging.DEBUG)[
        min(verbose, 2)]
    logging.basicConfig(level=level, format="%(levelname)s: %(message)s", stream=sys.stderr)
    logging.getLogger().setLevel(level)  # also when given again after the command
    ctx.ensure_object(dict)
    if no_cache:
        ctx.with_resource(cache_off())
    ctx.obj.update(data_dir=data_dir, archive=archive, as_of=as_of, progress=not quiet,
                   deepstate_lag=deepstate_lag,
                   debug=debug)


#: The example a command's --help ends with, for commands whose docstring has none
#: (the docstring is the place for one; these are the commands of modules written before).
EXAMPLES = {
    "charts": "frontline charts --month 2024-10 --through 2024-10-27 --out charts/",
    "fetch": "frontline fetch isw-areas deepstate",
    "import": "frontline import ~/Downloads/ISW_*.zip",
    "snapshot isw": "frontline snapshot isw --layer control",
    "snapshot deepstate": "frontline snapshot deepstate --date 2026-11-30",
    "update": "frontline update",
    "archive status": "frontline archive status --show gaps --output gaps.csv",
    "total": "frontline total --date 2024-11-30",
}


def _accept_group_options(command: click.Command, group: click.Command) -> None:
    """Let ``command`` take the group's options too (hidden in its --help).

    Each copy stores its value in the group's parameters and re-runs the group's
    callback, so ``frontline monthly -q`` means ``frontline -q monthly``. An option the
    command has itself (``archive status --archive``) keeps the command's meaning.
    """
    if getattr(command, "_frontline_group_options", False) or command is group:
        return
    command._frontline_group_options = True
    taken = {opt for param in command.params for opt in [*param.opts, *param.secondary_opts]}
    for param in group.params:
        if (not isinstance(param, click.Option) or param.hidden or param.name == "version"
                or taken & {*param.opts, *param.secondary_opts}):
            continue
        kind = ({"count": True} if param.count else {"is_flag": True} if param.is_flag
                else {"type": param.type})
        command.params.append(click.Option([param.name, *param.opts], **kind, hidden=True,
                                           expose_value=False, callback=_group_option_later,
                                           help=param.help))


def _group_option_later(ctx, param, value):
    if ctx.get_parameter_source(param.name) in (None, ParameterSource.DEFAULT):
        return
    root = ctx.find_root()
    root.params[param.name] = value
    root.invoke(root.command.callback, **root.params)
    if param.name == "quiet" and value:
        warnings.simplefilter("ignore", CopiesDisagreeWarning)


# ------------------------------------------------------------------ option values


class DateType(click.ParamType):
    """A calendar date ``YYYY-MM-DD`` (``month=True``: a month ``YYYY-MM``), checked when
    the command line is read, so a bad value names its option.
    """

    name = "date"

    def __init__(self, *, month: bool = False):
        self.month = month
        self.name = "month" if month else "date"

    def convert(self, value, param, ctx):
        """The value as ``YYYY-MM-DD`` (``YYYY-MM``) text; a usage error otherwise."""
        if value is None:
            return None
        text = str(value).strip()
        form, example = ("YYYY-MM", "2024-10") if self.month else ("YYYY-MM-DD", "2024-10-31")
        pattern = r"\d{4}-\d{2}" if self.month else r"\d{4}-\d{2}-\d{2}"
        if not re.fullmatch(pattern, text):
            self.fail(f"{value!r} is not a {self.name}: give {form}, e.g. {example}.", param, ctx)
        try:
            pd.Period(text, "M") if self.month else pd.Timestamp(text)
        except ValueError:
            self.fail(f"{value!r} is not a real {self.name} ({form}).", param, ctx)
        return text


DATE = DateType()
MONTH = DateType(month=True)


def check_order(ctx, first: str, last: str) -> None:
    """Refuse ``first`` later than ``last`` (two parameter names of the command), naming
    both options: ``--start 2024-10 is after --end 2024-09``.
    """
    start, end = ctx.params.get(first), ctx.params.get(last)
    if start is None or end is None or str(start) <= str(end):
        return
    names = {p.name: p.opts[0] for p in ctx.command.params}
    raise click.UsageError(f"{names[first]} {start} is after {names[last]} {end}: give the "
                           "earlier date first.", ctx)


# ------------------------------------------------------------------ output


@dataclass(frozen=True)
class OutputSpec:
    """What the output options of :func:`format_option` asked for."""

    output: str | None = None
    columns: tuple = ()
    all_columns: bool = False
    full_precision: bool = False
    crs: str | None = None

    @property
    def decimals(self):
        """Decimals kept (None: full precision)."""
        return None if self.full_precision else DECIMALS


_OUTPUT = "frontline.output"


def format_option(default: str = "table", *,
                  polygons: bool = False) -> Callable[[Callable], Callable]:
    """The output options every table command takes, in one decorator.

    ``--format`` (the terminal format), ``--output FILE`` (a file instead, its format
    from the extension: :data:`frontline.io.writers.FILE_FORMATS`, polygons
    ``.geojson``/``.gpkg``), ``--columns``/``--all-columns`` and ``--full-precision``;
    with ``polygons=True`` also ``--crs`` (reproject a polygon file). The command
    receives only ``fmt``; :func:`emit` reads the rest.
    """
    def decorate(func):
        @functools.wraps(func)
        def wrapper(*args, output, columns, all_columns, full_precision, crs=None, **kwargs):
            ctx = click.get_current_context()
            if output:
                kind = file_format(output)  # an unknown extension fails before any work
                if (ctx.get_parameter_source("fmt") == ParameterSource.COMMANDLINE
                        and kind != kwargs["fmt"]):
                    raise click.UsageError(f"--format {kwargs['fmt']} and --output {output} "
                                           f"({kind}) disagree: give one of them.", ctx)
                if kind in ("geojson", "gpkg") and not polygons:
                    raise click.UsageError(
                        f"--output {output}: `{ctx.info_name}` prints a table, not polygons; "
                        "write .csv, .json, .parquet or .xlsx.", ctx)
            if crs is not None and not (output and file_format(output) in ("geojson", "gpkg")):
                raise click.UsageError("--crs reprojects a polygon file: give --output "
                                       "FILE.gpkg too.", ctx)
            if crs is not None:
                check_crs(crs, output)
            if columns is not None and all_columns:
                raise click.UsageError("Give --columns or --all-columns, not both.", ctx)
            names = tuple(c.strip() for c in columns.split(",") if c.strip()) if columns else ()
            ctx.meta[_OUTPUT] = OutputSpec(output, names, all_columns, full_precision, crs)
            return func(*args, **kwargs)

        options = [
            click.option("--format", "fmt", type=click.Choice(FORMATS), default=default,
                         show_default=True, help="Output format on stdout."),
            click.option("--output", "-o", type=click.Path(dir_okay=False), default=None,
                         help="Write to this file instead of stdout (atomically); the format "
                              "from the extension: .csv .json .parquet .xlsx .md .txt"
                              + (", polygons .geojson .gpkg." if polygons else ".")),
            click.option("--columns", default=None,
                         help="Only these columns, comma-separated, in this order."),
            click.option("--all-columns", is_flag=True,
                         help="Every column, including how each figure was computed "
                              "(inputs, totals, gap policy, 50 % band, each layer's "
                              "change)."),
            click.option("--full-precision", is_flag=True,
                         help=f"Keep every digit (default: areas and distances to "
                              f"{DECIMALS} decimals, percentages to 3, other numbers to 6)."),
        ]
        if polygons:
            options.append(click.option(
                "--crs", default=None,
                help="Reproject the polygon file, e.g. EPSG:3857 or EPSG:6381 (.gpkg only; "
                     "GeoJSON is WGS84). Areas stay geodesic."))
        for option in reversed(options):
            wrapper = option(wrapper)
        return wrapper

    return decorate


def output_spec() -> OutputSpec:
    """The output options of the running command (defaults outside a command)."""
    ctx = click.get_current_context(silent=True)
    return ctx.meta.get(_OUTPUT, OutputSpec()) if ctx is not None else OutputSpec()


def emit(frame: pd.DataFrame, fmt: str, *, polygons: gpd.GeoDataFrame | None = None) -> None:
    """Print a table on stdout in ``fmt``, or write it (or ``polygons``) to ``--output``.

    ``polygons`` is a GeoDataFrame, or a function returning one, written when
    ``--output`` names a polygon file; its ``attrs["dropped"]`` (slivers left out) is
    reported on stderr. Data on stdout, logs on stderr.
    """
    spec = output_spec()
    if spec.output is None:
        table = reader_columns(frame, spec.columns, all_columns=spec.all_columns)
        if fmt in ("table", "markdown") and not (spec.columns or spec.all_columns):
            # on screen, a text column empty in every row (no glitch, no note) says nothing
            empty = [c for c in table.columns if len(table)
                     and (table[c].dtype == object or pd.api.types.is_string_dtype(table[c]))
                     and table[c].fillna("").astype(str).eq("").all()]
            table = table.drop(columns=empty)
        click.echo(format_table(table, fmt, decimals=spec.decimals), nl=False)
        return
    if f".{file_format(spec.output)}" in POLYGON_FORMATS:
        if polygons is None and "geometry" in getattr(frame, "columns", ()):
            polygons = frame
        shapes = polygons() if callable(polygons) else polygons
        if shapes is None:
            raise InvalidArgumentError(f"--output {spec.output}: no polygons to write.")
        write_polygon_file(spec.output, shapes, crs=spec.crs, decimals=spec.decimals)
        return
    table = reader_columns(frame, spec.columns, all_columns=spec.all_columns)
    if "source" in table.columns and "credit" not in table.columns and len(table):
        # a file travels without the command that made it: each row names whom to credit
        table = table.assign(credit=[source_credit(v) for v in table["source"].astype(str)])
    write_table(spec.output, table, decimals=spec.decimals)
    click.echo(f"wrote {spec.output}: {len(table)} row(s)", err=True)


def write_polygon_file(path: str | os.PathLike[str], shapes: gpd.GeoDataFrame, *,
                       crs: str | None = None, decimals: int = DECIMALS) -> None:
    """Write polygons (:func:`frontline.io.writers.write_polygons`) and say on stderr what
    was written and which slivers were left out (``shapes.attrs["dropped"]``).
    """
    write_polygons(path, shapes, crs=crs, decimals=decimals)
    click.echo(f"wrote {path}: {len(shapes)} feature(s)", err=True)
    threshold = shapes.attrs.get("min_area_km2")
    for kind, (parts, km2) in shapes.attrs.get("dropped", {}).items():
        if parts:
            click.echo(f"  {kind}: {parts} piece(s) under {threshold} km² left out, "
                       f"{km2:.4f} km² in all", err=True)


def main(argv: Sequence[str] | None = None) -> None:
    """The ``frontline`` entry point."""
    cli.main(args=argv, prog_name="frontline")


#: Registry groups each source needs (see ``frontline fetch --list``).
GROUPS_BY_SOURCE = {"isw": ["isw-history"], "isw-areas": ["isw-areas"],
                    "isw-weekly": ["isw-weekly"], "deepstate": ["deepstate"]}


def prepare_data(ctx: click.Context, sources: Iterable[str], region: object = None) -> None:
    """Make sure a data directory is there: with none configured, fetch what is needed.

    Everything the commands read goes through here, so the main job works on a fresh
    machine (``frontline fetch`` into the user cache) and offline with FRONTLINE_MIRROR.
    """
    groups = [group for source in sources for group in GROUPS_BY_SOURCE[source]]
    if region is not None:
        groups += ["boundaries", "towns"]
    ctx.obj["data_dir"] = ensure_data(groups, ctx.obj["data_dir"], progress=ctx.obj["progress"])


def get_history(ctx: click.Context, source: str | None = None, region: object = None, *,
                sources: Iterable[str] | None = None) -> History:
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
