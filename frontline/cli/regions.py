"""Regional commands: ``units`` and ``distance``; ``--by/--area/--near`` for the core ones.

:func:`region_options` adds ``--by``, ``--area``, ``--near``, ``--radius-km`` and
``--polygon`` to a command and hands it one ``region`` argument (a :class:`RegionSpec`,
or None when none was given); ``areas``, ``change`` and ``monthly`` use it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

import click
import pandas as pd
import shapely

from frontline.boundaries import LEVELS, area_from_spec, load_units
from frontline.changes import GAP_POLICIES
from frontline.cli.main import (
    DATE,
    check_order,
    cli,
    emit,
    format_option,
    get_history,
    prepare_data,
)
from frontline.layers import PRESETS
from frontline.regions import area_series, breakdown, distance_series, monthly_by_unit

_POLYGON_SOURCES = ["isw", "isw-weekly", "deepstate"]


@dataclass(frozen=True)
class RegionSpec:
    """What ``--by/--area/--near/--radius-km/--polygon`` asked for."""

    by: str | None = None
    area: tuple = ()
    near: str | None = None
    radius_km: float | None = None
    polygon: str | None = None

    def units(self, data_dir=None):
        """The units to break down by: every unit of ``--by``, else one custom area."""
        if self.by is not None:
            if self.area or self.near or self.polygon:
                raise click.UsageError("Give --by, or one area (--area / --near / --polygon), "
                                       "not both.")
            return load_units(self.by, data_dir=data_dir)
        return area_from_spec(area=list(self.area) or None, near=self.near,
                              radius_km=self.radius_km, polygon=self.polygon,
                              data_dir=data_dir)

    def breakdown(self, change, data_dir=None) -> pd.DataFrame:
        """The ``change --by/--area`` table."""
        return breakdown(change, self.units(data_dir))

    def monthly(self, history, data_dir=None, **monthly) -> pd.DataFrame:
        """The ``monthly --by/--area`` table."""
        return monthly_by_unit(history, self.units(data_dir), **monthly)

    def areas(self, ctx, sources, start=None, end=None) -> pd.DataFrame:
        """The ``areas --area/--by`` table: controlled area inside each area on every date.

        ``ctx`` is the command's context; one polygon source (default ``isw``).
        """
        sources = list(sources) or ["isw"]
        if len(sources) > 1 or sources[0] not in _POLYGON_SOURCES:
            raise click.UsageError(
                f"--area/--by/--near measure one source with polygons: pass --source "
                f"{' or '.join(_POLYGON_SOURCES)} once (got {', '.join(sources)}).")
        history = get_history(ctx, sources=sources, region=True)
        return area_series(history, self.units(ctx.obj["data_dir"]), source=sources[0],
                           start=start, end=end, progress=ctx.obj["progress"])


def region_options(func: Callable) -> Callable:
    """Add the regional options to a command; it receives them as ``region``."""

    @functools.wraps(func)
    def wrapper(*args, by, area, near, radius_km, polygon, **kwargs):
        given = by or area or near or radius_km is not None or polygon
        region = RegionSpec(by, tuple(area), near, radius_km, polygon) if given else None
        return func(*args, region=region, **kwargs)

    options = [
        click.option("--polygon", type=click.Path(dir_okay=False, exists=True), default=None,
                     help="A polygon file (with a CRS) as the area."),
        click.option("--radius-km", type=click.FloatRange(min=0, min_open=True), default=None,
                     help="Radius around --near, in km."),
        click.option("--near", default=None,
                     help="A town (or 'lat,lon'): the area within --radius-km of it."),
        click.option("--area", multiple=True,
                     help="A unit name or code, e.g. 'Pokrovsk raion' (repeat for a union)."),
        click.option("--by", type=click.Choice(LEVELS), default=None,
                     help="Break the figures down by every unit of this level."),
    ]
    for option in options:
        wrapper = option(wrapper)
    return wrapper


@cli.command("units")
@click.option("--level", type=click.Choice(LEVELS), default=None,
              help="Units to list (default raion; with --area, the area itself).")
@click.option("--area", multiple=True,
              help="Only units inside this area (a unit name or code; repeatable).")
@format_option(polygons=True)
@click.pass_context
def units_command(ctx: click.Context, level: str | None, area: tuple[str, ...], fmt: str) -> None:
    """List administrative units: code, names and geodesic land area (area_km2).

    Raions and oblasts cover Ukraine (no Sevastopol in the OSM data); hromadas exist
    for Donetsk, Luhansk, Kharkiv, Zaporizhzhia and Kherson oblasts only. With
    --output FILE.gpkg (or .geojson) the units' outlines are written too.

    Example: frontline units --level raion --area "Donetsk oblast" --output raions.gpkg
    """
    prepare_data(ctx, [], region=True)  # boundaries: fetched when no data dir is set
    data_dir = ctx.obj["data_dir"]
    if area and level is None:
        table = area_from_spec(area=list(area), data_dir=data_dir)
    else:
        table = load_units(level or "raion", data_dir=data_dir)
        if area:
            outline = area_from_spec(area=list(area), data_dir=data_dir).geometry.iloc[0]
            shapely.prepare(outline)
            points = table.geometry.representative_point().values
            table = table[shapely.contains(outline, points)]
    emit(table, fmt)


@cli.command("distance")
@click.option("--town", required=True, help="A town name (GeoNames spelling) or 'lat,lon'.")
@click.option("--source", type=click.Choice(_POLYGON_SOURCES), default="deepstate",
              show_default=True, help="Source of the controlled area.")
@click.option("--preset", type=click.Choice(list(PRESETS)), default=None,
              help="Layers measured (default afp for ISW, deepstate for DeepState).")
@click.option("--from", "start", type=DATE, default=None, help="First date (YYYY-MM-DD).")
@click.option("--to", "end", type=DATE, default=None, help="Last date (YYYY-MM-DD).")
@click.option("--date", "dates", type=DATE, multiple=True,
              help="Only this date (repeatable); --gap-policy decides for missing ones.")
@click.option("--gap-policy", type=click.Choice(GAP_POLICIES[:2]), default="error",
              show_default=True, help="A --date without snapshot: fail or use the previous.")
@format_option()
@click.pass_context
def distance_command(ctx: click.Context, town: str, source: str, preset: str | None,
                     start: str | None, end: str | None, dates: tuple[str, ...],
                     gap_policy: str, fmt: str) -> None:
    """Shortest geodesic distance from a town to the controlled area, one row per date.

    0 when the town is inside the controlled area.

    Example: frontline distance --town Pokrovsk --source deepstate --from 2024-08-01
    --to 2024-11-01 --output pokrovsk.csv
    """
    check_order(ctx, "start", "end")
    history = get_history(ctx, source, region=True)
    table = distance_series(history, town, source=source, preset=preset, start=start,
                            end=end, dates=list(dates) or None, gap_policy=gap_policy,
                            data_dir=ctx.obj["data_dir"], progress=ctx.obj["progress"])
    emit(table, fmt)
