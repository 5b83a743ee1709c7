"""Core commands: ``areas``, ``change``, ``monthly``."""

from __future__ import annotations

import functools

import click

from ._cli_regions import region_options
from ._output import write_atomic
from .archive import load_history
from .change import GAP_POLICIES, change, monthly_gains
from .cli import cli, emit, format_option
from .fetch import ensure_data
from .history import SOURCES, load
from .layers import LAYERS, PRESETS

_SOURCE = click.Choice(list(SOURCES))


#: Registry groups each source needs (see ``frontline fetch --list``).
_GROUPS = {"isw": ["isw-history"], "isw-areas": ["isw-areas"], "isw-weekly": ["isw-weekly"],
           "deepstate": ["deepstate"]}


def _prepare(ctx, sources, region=None) -> None:
    """Make sure a data directory is there: with none configured, fetch what is needed.

    Everything the commands read goes through here, so the main job works on a fresh
    machine (``frontline fetch`` into the user cache) and offline with FRONTLINE_MIRROR.
    """
    groups = [group for source in sources for group in _GROUPS[source]]
    if region is not None:
        groups += ["boundaries", "towns"]
    ctx.obj["data_dir"] = ensure_data(groups, ctx.obj["data_dir"], progress=ctx.obj["progress"])


def _load(ctx, source, region=None):
    """The history to analyse: None means every ISW input (polygons + area table).

    With --archive or --as-of the layers and area tables come from the archive (pinned to
    a vintage date), so the default is the same there: ISW polygons, else the area table.
    """
    sources = ["isw", "isw-areas"] if source is None else [source]
    if ctx.obj.get("archive") or ctx.obj.get("as_of"):
        return load_history(ctx.obj.get("archive"), as_of=ctx.obj.get("as_of"),
                            sources=sources)
    _prepare(ctx, sources, region)
    return load(ctx.obj["data_dir"], sources=sources, progress=ctx.obj["progress"])


def analysis_options(func):
    """--source, --preset and --gap-policy, shared by change and monthly."""
    func = click.option("--gap-policy", type=click.Choice(GAP_POLICIES), default="error",
                        show_default=True,
                        help="A needed date without snapshot: fail, use the previous "
                             "snapshot, or interpolate totals (rows marked exact=false).")(func)
    func = click.option("--preset", type=click.Choice(list(PRESETS)), default=None,
                        help="Layers measured: afp = control ∪ advances ∪ claimed (default "
                             "for ISW); deepstate = DeepState occupied.")(func)
    func = click.option("--source", type=_SOURCE, default=None,
                        help="Narrow to one input (default: ISW polygons, else ISW area "
                             "table).")(func)
    return func


@cli.command()
@click.option("--source", "sources", type=_SOURCE, multiple=True,
              help="Only this source (repeatable). Default: all.")
@click.option("--layer", "layers", type=click.Choice(list(LAYERS)), multiple=True,
              help="Only this layer (repeatable).")
@click.option("--date", "on", default=None, help="Only this date (YYYY-MM-DD).")
@click.option("--start", default=None, help="First date (YYYY-MM-DD).")
@click.option("--end", default=None, help="Last date (YYYY-MM-DD).")
@region_options
@format_option()
@click.pass_context
def areas(ctx, sources, layers, on, start, end, region, fmt):
    """Geodesic area of every layer on every date: one row per (date, source, layer).

    With --area/--by/--near: the controlled area inside each area, one row per date.
    """
    start, end = (on, on) if on else (start, end)
    _prepare(ctx, sources or list(SOURCES), region)
    if region is not None:
        return emit(region.areas(ctx.obj, sources, start, end), fmt)
    history = load(ctx.obj["data_dir"], sources=sources or None, progress=ctx.obj["progress"])
    table = history.layer_areas(source=sources or None, start=start, end=end,
                                layers=layers or None, progress=ctx.obj["progress"])
    emit(table, fmt)


@cli.command("change")
@click.option("--from", "start", required=True, help="Start date (YYYY-MM-DD).")
@click.option("--to", "end", required=True, help="End date (YYYY-MM-DD).")
@analysis_options
@click.option("--polygons", type=click.Path(dir_okay=False), default=None,
              help="Also write the gained/lost polygons to this GeoJSON file.")
@region_options
@format_option()
@click.pass_context
def change_command(ctx, start, end, source, preset, gap_policy, polygons, region, fmt):
    """Compare two dates: totals, net change, gross gained and gross lost."""
    result = change(_load(ctx, source, region), start, end, source=source, preset=preset,
                    gap_policy=gap_policy)
    if polygons:
        if result.gained is None:
            raise click.ClickException(
                "No polygons for one of the dates (area table or interpolation): "
                "--polygons needs polygon snapshots on both dates.")
        write_atomic(polygons, result.polygons().to_json(drop_id=True, default=str))
    if region is not None:
        return emit(region.breakdown(result, ctx.obj["data_dir"]), fmt)
    emit(result.to_frame(), fmt)


@cli.command()
@click.option("--start", default=None, help="First month, YYYY-MM.")
@click.option("--end", default=None, help="Last month, YYYY-MM.")
@click.option("--through", default=None,
              help="End the last month early on this date (e.g. 2024-10-27).")
@analysis_options
@click.option("--output", type=click.Path(dir_okay=False), default=None,
              help="Write the table to this file instead of stdout.")
@region_options
@format_option()
@click.pass_context
def monthly(ctx, start, end, through, source, preset, gap_policy, output, region, fmt):
    """The monthly table: net, gained and lost km²/mi², with the snapshots used.

    A month's figure is total(last day) − total(last day of the previous month).
    """
    monthly_table = monthly_gains if region is None else functools.partial(
        region.monthly, data_dir=ctx.obj["data_dir"])
    table = monthly_table(_load(ctx, source, region), start=start, end=end, through=through,
                          source=source, preset=preset, gap_policy=gap_policy)
    if output:
        from ._output import format_table

        write_atomic(output, format_table(table, fmt))
    else:
        emit(table, fmt)
