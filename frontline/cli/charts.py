"""The ``charts`` command: the month's publication charts (see :mod:`frontline.viz.publication`)."""

from __future__ import annotations

import click

from frontline.cli.main import cli, get_history
from frontline.viz.publication import publication_charts

_SOURCES = ["isw", "isw-areas", "deepstate"]


@cli.command()
@click.option("--month", required=True, help="The month to chart, YYYY-MM (the bars end "
              "with it; the map and the Pokrovsk close-up show it). Any month the data "
              "covers: ISW where its data reaches the month's end, else DeepStateMap; a "
              "month the data ends inside is drawn to its last day, marked partial.")
@click.option("--through", default=None,
              help="End the month early on this date (e.g. 2024-10-27).")
@click.option("--out", "out_dir", required=True, type=click.Path(file_okay=False),
              help="Folder for the PNG, SVG, CSV and notes files (created if needed).")
@click.option("--max-offset-days", default=3, show_default=True, type=click.IntRange(0),
              help="How far before a month end an ISW polygon map may be to stand for it "
                   "on the map; else DeepStateMap's map is used.")
@click.pass_context
def charts(ctx: click.Context, month: str, through: str | None, out_dir: str,
           max_offset_days: int) -> None:
    """Write the month's publication charts: bars, gains map, Pokrovsk close-up.

    PNG and SVG of each chart, the CSV behind it and notes_<month>.md; prints the paths
    written, one a line. The set is written to a temporary folder inside --out and moved
    into place only when complete, so a failed run leaves the previous set untouched.
    With --archive/--as-of the layers and the area table come from the archive (import
    the area table too); boundaries and towns from the data directory.

    Example: frontline charts --month 2024-10 --through 2024-10-27 --out charts/
    """
    history = get_history(ctx, sources=_SOURCES, region=True)
    paths = publication_charts(history, month, through=through, out_dir=out_dir,
                               data_dir=ctx.obj["data_dir"], progress=ctx.obj["progress"],
                               max_offset_days=max_offset_days)
    for path in paths:
        click.echo(str(path))
