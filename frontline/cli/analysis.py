"""Core commands: ``areas``, ``change``, ``monthly``."""

from __future__ import annotations

import functools
from collections.abc import Callable

import click

from frontline.changes import (
    GAP_POLICIES,
    GLITCH_POLICIES,
    MAX_GAP_DAYS,
    change,
    monthly_gains,
)
from frontline.cli.main import (
    DATE,
    MONTH,
    check_order,
    cli,
    emit,
    format_option,
    get_history,
    write_polygon_file,
)
from frontline.cli.regions import RegionSpec, region_options
from frontline.exports import SLIVER_KM2, change_polygons
from frontline.history import SOURCES
from frontline.io.writers import file_format, write_atomic
from frontline.layers import LAYERS, PRESET_DESCRIPTIONS, PRESETS

_SOURCE = click.Choice(list(SOURCES))


def analysis_options(func: Callable) -> Callable:
    """--source, --preset, --gap-policy, --max-gap-days and --on-glitch (change, monthly)."""
    func = click.option("--on-glitch", type=click.Choice(GLITCH_POLICIES), default="warn",
                        show_default=True,
                        help="A start or end on a glitch day (a value that jumps and comes "
                             "back, see `frontline coverage`): warn and use it, fail, or "
                             "use the nearest clean day (exact=false).")(func)
    func = click.option("--max-gap-days", type=click.IntRange(0), default=MAX_GAP_DAYS,
                        show_default=True,
                        help="How many days --gap-policy previous (and a glitch skip) may "
                             "reach back.")(func)
    func = click.option("--gap-policy", type=click.Choice(GAP_POLICIES), default="error",
                        show_default=True,
                        help="A needed date without snapshot: fail, use the previous "
                             "snapshot, or interpolate totals (rows marked exact=false).")(func)
    func = click.option("--preset", type=click.Choice(list(PRESETS)), default=None,
                        help="Layers a total counts (default afp for ISW, deepstate for "
                             "DeepState): " + "; ".join(
                                 f"{name} = {what}" for name, what in PRESET_DESCRIPTIONS.items()
                                 if "+infiltration" not in name)
                             + "; <preset>+infiltration adds ISW's infiltration layer.")(func)
    func = click.option("--source", type=_SOURCE, default=None,
                        help="Narrow to one input (default: ISW polygons, else ISW area "
                             "table).")(func)
    return func


@cli.command()
@click.option("--source", "sources", type=_SOURCE, multiple=True,
              help="Only this source (repeatable). Default: all.")
@click.option("--layer", "layers", type=click.Choice(list(LAYERS)), multiple=True,
              help="Only this layer (repeatable).")
@click.option("--date", "on", type=DATE, default=None, help="Only this date (YYYY-MM-DD).")
@click.option("--start", type=DATE, default=None, help="First date (YYYY-MM-DD).")
@click.option("--end", type=DATE, default=None, help="Last date (YYYY-MM-DD).")
@region_options
@format_option()
@click.pass_context
def areas(ctx: click.Context, sources: tuple[str, ...], layers: tuple[str, ...],
          on: str | None, start: str | None, end: str | None, region: RegionSpec | None,
          fmt: str) -> None:
    """Geodesic area of every layer on every date: one row per (date, source, layer).

    With --area/--by/--near: the controlled area inside each area, one row per date.

    Example: frontline areas --source isw --date 2024-10-31 --output areas.csv
    """
    check_order(ctx, "start", "end")
    if on and (start or end):
        raise click.UsageError("Give --date, or --start/--end, not both.", ctx)
    start, end = (on, on) if on else (start, end)
    if region is not None:
        return emit(region.areas(ctx, sources, start, end), fmt)
    history = get_history(ctx, sources=sources or list(SOURCES))
    table = history.layer_areas(source=sources or None, start=start, end=end,
                                layers=layers or None, progress=ctx.obj["progress"])
    emit(table, fmt)


@cli.command("change")
@click.option("--from", "start", type=DATE, required=True, help="Start date (YYYY-MM-DD).")
@click.option("--to", "end", type=DATE, required=True, help="End date (YYYY-MM-DD).")
@analysis_options
@click.option("--polygons", type=click.Path(dir_okay=False), default=None,
              help="Also write the gained/lost polygons to this file (.geojson or .gpkg), "
                   "as --output FILE.geojson does.")
@click.option("--min-area-km2", type=click.FloatRange(0), default=SLIVER_KM2,
              show_default=True,
              help="Polygon files leave out pieces smaller than this (slivers; their "
                   "number and total area are on each feature and on stderr).")
@region_options
@format_option(polygons=True)
@click.pass_context
def change_command(ctx: click.Context, start: str, end: str, source: str | None,
                   preset: str | None, gap_policy: str, max_gap_days: int, on_glitch: str,
                   polygons: str | None, min_area_km2: float, region: RegionSpec | None,
                   fmt: str) -> None:
    """Compare two dates: totals, net change, gross gained and gross lost.

    With --output FILE.geojson (or .gpkg) or --polygons FILE: the territory gained and
    lost, one dissolved feature per class, each with the snapshot dates used, source,
    preset, exact, area_km2, area_mi2 and the credit line.

    Example: frontline change --from 2024-09-29 --to 2024-10-26 --source isw
    --output gained_lost.geojson
    """
    check_order(ctx, "start", "end")
    if polygons and file_format(polygons, option="--polygons") not in ("geojson", "gpkg"):
        raise click.UsageError(f"--polygons {polygons}: polygons are written as .geojson "
                               "or .gpkg.", ctx)
    result = change(get_history(ctx, source, region), start, end, source=source, preset=preset,
                    gap_policy=gap_policy, max_gap_days=max_gap_days, on_glitch=on_glitch)

    def shapes():
        return change_polygons(result, min_area_km2=min_area_km2)

    if polygons:
        write_polygon_file(polygons, shapes())
    if region is not None:
        return emit(region.breakdown(result, ctx.obj["data_dir"]), fmt, polygons=shapes)
    emit(result.to_frame(), fmt, polygons=shapes)


@cli.command()
@click.option("--start", type=MONTH, default=None, help="First month, YYYY-MM.")
@click.option("--end", type=MONTH, default=None, help="Last month, YYYY-MM.")
@click.option("--through", type=DATE, default=None,
              help="End the last month early on this date (e.g. 2024-10-27).")
@analysis_options
@region_options
@format_option()
@click.pass_context
def monthly(ctx: click.Context, start: str | None, end: str | None, through: str | None,
            source: str | None, preset: str | None, gap_policy: str, max_gap_days: int,
            on_glitch: str, region: RegionSpec | None, fmt: str) -> None:
    """The monthly table: net, gained and lost km²/mi², with the snapshots used.

    A month's figure is total(last day) − total(last day of the previous month).

    Example: frontline monthly --start 2024-08 --end 2024-10 --through 2024-10-27
    --gap-policy interpolate --output monthly.csv
    """
    check_order(ctx, "start", "end")
    monthly_table = monthly_gains if region is None else functools.partial(
        region.monthly, data_dir=ctx.obj["data_dir"])
    table = monthly_table(get_history(ctx, source, region), start=start, end=end, through=through,
                          source=source, preset=preset, gap_policy=gap_policy,
                          max_gap_days=max_gap_days, on_glitch=on_glitch)
    emit(table, fmt)


@cli.command("brief")
@click.option("--month", type=MONTH, required=True, help="The month, YYYY-MM.")
@click.option("--since", type=MONTH, default=None,
              help="First month of the ranking (default: the first the data covers).")
@click.option("--source", type=click.Choice(["isw", "isw-areas", "deepstate"]), default=None,
              help="The month's figure from one input (default: ISW polygons, else the "
                   "ISW area table).")
@click.option("--preset", type=click.Choice(list(PRESETS)), default=None,
              help="Layers a total counts (default afp for ISW, deepstate for DeepState).")
@click.option("--gap-policy", type=click.Choice(GAP_POLICIES), default="error",
              show_default=True, help="A month end without snapshot: fail, use the previous "
                                      "snapshot, or interpolate (the text says so).")
@click.option("--max-offset-days", type=click.IntRange(0), default=3, show_default=True,
              help="How far before a month end a polygon map may be to stand for it.")
@click.option("--format", "fmt", type=click.Choice(["markdown", "json"]), default="markdown",
              show_default=True, help="The paragraph and its tables as Markdown or JSON.")
@click.option("--output", "-o", type=click.Path(dir_okay=False), default=None,
              help="Write to this file (.md or .json; atomically) instead of stdout.")
@click.pass_context
def brief_command(ctx: click.Context, month: str, since: str | None, source: str | None,
                  preset: str | None, gap_policy: str, max_offset_days: int, fmt: str,
                  output: str | None) -> None:
    """The month in a short sourced paragraph, with the tables behind every number.

    Net and gross km² and mi², the month's rank among all months since the data begins,
    the oblasts and raions where most of it happened, the towns the front came closest
    to, what is inexact and why, and the credit line.

    Example: frontline brief --month 2024-11 --output brief_2024-11.md
    """
    from frontline.brief import month_brief

    check_order(ctx, "since", "month")
    if output:
        suffix = output.rsplit(".", 1)[-1].lower() if "." in output else ""
        if suffix not in ("md", "json"):
            raise click.UsageError(f"--output {output}: a brief is written as .md or .json.",
                                   ctx)
        fmt = "json" if suffix == "json" else "markdown"
    sources = ["isw", "isw-areas", "deepstate"] if source is None else [source, "deepstate"]
    history = get_history(ctx, sources=list(dict.fromkeys(sources)), region=True)
    result = month_brief(history, month, source=source, preset=preset, gap_policy=gap_policy,
                         since=since, max_offset_days=max_offset_days,
                         data_dir=ctx.obj["data_dir"])
    text = result.to_json() if fmt == "json" else result.to_markdown()
    if output:
        write_atomic(output, text)
        click.echo(f"wrote {output}", err=True)
    else:
        click.echo(text, nl=False)


@cli.command()
@click.option("--source", "sources", type=_SOURCE, multiple=True,
              help="Only this source (repeatable). Default: all.")
@format_option()
@click.pass_context
def coverage(ctx: click.Context, sources: tuple[str, ...], fmt: str) -> None:
    """What the data holds: per source and layer, first and last date, dates, gaps, glitches.

    Example: frontline coverage --source isw-areas --format markdown
    (or --output coverage.xlsx)
    """
    history = get_history(ctx, sources=sources or list(SOURCES))
    table = history.coverage()
    if sources:
        table = table[table["source"].isin(sources)]
    emit(table.reset_index(drop=True), fmt)


@cli.command()
@click.argument("data", required=False, type=click.Path(file_okay=False, exists=True))
@click.option("--source", "sources", type=_SOURCE, multiple=True,
              help="Only this source (repeatable). Default: all.")
@format_option()
@click.pass_context
def check(ctx: click.Context, data: str | None, sources: tuple[str, ...], fmt: str) -> None:
    """Check a data directory: every problem found, one line each; exit code 1 if any.

    Reads every file (invalid geometry types, CRS, null layers, bad area-table rows),
    then lists disagreeing copies of an area table and glitch days.

    Example: frontline check ../shared/data --source isw-areas
    """
    from frontline.checks import check_data

    data_dir = data or ctx.obj["data_dir"]
    problems = check_data(data_dir, sources=sources or None, progress=ctx.obj["progress"])
    emit(problems, fmt)
    if len(problems):
        ctx.exit(1)


# ---------------------------------------------------------------- total (a day's level)
@cli.command("total")
@click.option("--date", "on", required=True, help="The day (YYYY-MM-DD).")
@analysis_options
@click.option("--baseline", default="afp", show_default=True,
              help="Area held before 24 Feb 2022 that since_invasion_km2 subtracts: afp "
                   "(AFP's published 42,180 km², 31 Jul 2024), none, or a number of km². "
                   "The data holds no layer of that area, so no baseline comes from it.")
@click.option("--share/--no-share", default=True, show_default=True,
              help="Give the share of Ukraine (needs Minregion's outline, fetched with "
                   "the boundaries).")
@format_option()
@click.pass_context
def total_command(ctx: click.Context, on: str, source: str | None, preset: str | None,
                  gap_policy: str, max_gap_days: int, on_glitch: str, baseline: str,
                  share: bool, fmt: str) -> None:
    """The area held on one day: km², mi², share of Ukraine, taken since the invasion.

    The share's denominator is Ukraine within its internationally recognised borders,
    Crimea and Sevastopol included: 602,312.71 km², the geodesic area of Minregion's 2020
    oblast boundaries. since_invasion_km2 = total − baseline. AFP's published levels are
    about 1,846 km² below frontline's afp total of the same day (docs/totals.md).

    Example: frontline total --date 2024-07-30
    """
    from frontline.changes import total

    history = get_history(ctx, source, "ukraine" if share else None)
    emit(total(history, on, source=source, preset=preset, gap_policy=gap_policy,
               max_gap_days=max_gap_days, on_glitch=on_glitch, baseline=baseline,
               share=share, data_dir=ctx.obj.get("data_dir")), fmt)


@cli.command("layer-changes")
@click.option("--from", "start", required=True, help="Start date (YYYY-MM-DD).")
@click.option("--to", "end", required=True, help="End date (YYYY-MM-DD).")
@analysis_options
@format_option()
@click.pass_context
def layer_changes_command(ctx: click.Context, start: str, end: str, source: str | None,
                          preset: str | None, gap_policy: str, max_gap_days: int,
                          on_glitch: str, fmt: str) -> None:
    """What each ISW area layer did between two dates: one row per layer.

    start_km2, end_km2, change_km2 (polygons or the area table) and, with polygons at
    both ends, entered_km2 and left_km2; `counted` says whether the preset counts the
    layer. Area moving between a counted and an uncounted layer (infiltration,
    counteroffensives) is reclassified, not gained or lost (see `frontline change`).

    Example: frontline layer-changes --from 2026-04-12 --to 2026-04-27 --source isw
    """
    result = change(get_history(ctx, source), start, end, source=source, preset=preset,
                    gap_policy=gap_policy, max_gap_days=max_gap_days, on_glitch=on_glitch)
    emit(result.by_layer(), fmt)
