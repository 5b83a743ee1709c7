"""Data commands: fetch, snapshot isw|deepstate, update, import, archive status."""

from __future__ import annotations

import click
import pandas as pd

from frontline.cli.main import DATE, cli, emit, format_option
from frontline.sources.arcgis import ENDPOINTS, snapshot_isw, snapshot_isw_day
from frontline.sources.archive import (
    archive_dir,
    archive_gaps,
    archive_orphans,
    archive_status,
    archive_summary,
    import_paths,
)
from frontline.sources.deepstate import snapshot_deepstate
from frontline.sources.fetch import data_target, fetch
from frontline.sources.mirrors import RECORD, fetch_latest
from frontline.sources.registry import GROUPS, ISW_TERMS, registry_table, select_entries
from frontline.sources.update import update

archive_option = click.option(
    "--archive", "archive_root", type=click.Path(file_okay=False), default=None,
    help="Archive folder (default: $FRONTLINE_ARCHIVE, else the user data folder).")


@cli.command("fetch")
@click.argument("names", nargs=-1)
@click.option("--list", "list_only", is_flag=True,
              help="List the registry's files (address, size, licence); download nothing.")
@click.option("--mirror", default=None,
              help="A directory or URL laid out like the data folder to download from "
                   "(default: $FRONTLINE_MIRROR).")
@click.option("--latest", is_flag=True,
              help="Files newer than the registry from the public mirrors (NAMES are "
                   "groups); their sha256 is recorded on first download.")
@click.option("--since", default=None, type=DATE,
              help="With --latest: files dated from this day on (default: after the "
                   "registry's last file).")
@format_option()
@click.pass_context
def fetch_command(ctx: click.Context, names: tuple[str, ...], list_only: bool,
                  mirror: str | None, latest: bool, since: str | None, fmt: str) -> None:
    """Download the public inputs frontline knows into the data directory.

    NAMES are groups, files or folders of the registry; none means everything. Groups:
    deepstate, isw-history, isw-areas, isw-weekly, isw-extra, boundaries, towns.
    Files go to --data-dir, else $FRONTLINE_DATA_DIR, else the user cache folder; files
    already there are verified (sha256), not downloaded again. Copies of ISW data show
    ISW's terms first. With --latest, the public mirrors' newer files are fetched: trust
    on first use (their sha256 is recorded in .frontline/latest.json and checked later),
    a pinned file is never overwritten, and a file that changed upstream is kept as a new
    vintage under vintages/.
    """
    if since is not None and not latest:
        raise click.UsageError("--since goes with --latest.")
    if latest:
        dest = data_target(ctx.obj["data_dir"])
        table = fetch_latest(names, data_dir=dest, since=since,
                             notice=lambda text: click.echo(text, err=True))
        emit(table.drop(columns=["path"]), fmt)
        first = int((table["status"] == "added (trust on first use)").sum())
        changed = int(table["status"].str.startswith("new vintage").sum())
        click.echo(f"data directory: {dest}; {first} new file(s) (trust on first use: no "
                   f"pinned hash, sha256 recorded in {dest / RECORD}), {changed} changed "
                   "upstream (kept as new vintages, nothing overwritten)", err=True)
        return
    entries = select_entries(names)
    if list_only:
        emit(registry_table(entries)[["name", "group", "size", "url", "licence"]], fmt)
        return
    dest = data_target(ctx.obj["data_dir"])
    table = fetch(names, data_dir=dest, mirror=mirror, progress=ctx.obj["progress"])
    summary = (table.groupby(["group", "status"]).agg(files=("name", "count"),
                                                     mb=("size", "sum"))
               .reset_index())
    summary["mb"] = summary["mb"] / 1e6
    summary["about"] = summary["group"].map(GROUPS)
    emit(summary, fmt)
    click.echo(f"data directory: {dest}", err=True)


@cli.group("snapshot")
def snapshot_group() -> None:
    """Take live snapshots of published layers into the archive."""


@snapshot_group.command("isw")
@archive_option
@click.option("--layer", "layers", multiple=True,
              type=click.Choice([e.layer for e in ENDPOINTS]),
              help="Only this layer (repeatable; default: every layer of the endpoint table).")
@click.option("--on-empty", type=click.Choice(["error", "skip"]), default="error",
              show_default=True, help="A layer with no features: fail, or leave it out.")
@click.option("--date", "date", default=None, type=DATE,
              help="ISW's map of this past day (YYYY-MM-DD), from its time-lapse and "
                   "monthly services (default: today's live layers).")
@format_option()
@click.pass_context
def snapshot_isw_command(ctx: click.Context, archive_root: str | None,
                         layers: tuple[str, ...], on_empty: str, date: str | None,
                         fmt: str) -> None:
    """Store ISW's public ArcGIS layers (today's, or a past day's) in the archive.

    Every feature of each layer is read (page by page, EPSG:4326 GeoJSON) and stored
    with its provenance: retrieval time, service URL and version, feature counts, sha256.
    Nothing is stored unless every layer arrives complete. With --date, that day's layers
    come from ISW's time-lapse services (the table in frontline/sources/services.py):
    control of terrain from the daily time-lapse (2022-02-24 to 2024-12-31), every layer
    a 2025-26 monthly service lists and frontline recognises (control, advances, claimed,
    counteroffensives, infiltration...); a layer name frontline does not know is reported
    on stderr and in the table, never guessed. A day no service holds is an error naming
    the nearest dates each one has. Base address: $FRONTLINE_ARCGIS_URL, else ISW's
    ArcGIS organisation.
    """
    click.echo(ISW_TERMS, err=True)
    if date is not None:
        if layers:
            raise click.UsageError("--date takes every layer the time-lapse service holds "
                                   "for that day: drop --layer.")
        report = snapshot_isw_day(date, root=archive_root, progress=ctx.obj["progress"])
    else:
        report = snapshot_isw(root=archive_root, layers=list(layers) or None,
                              on_empty=on_empty, progress=ctx.obj["progress"])
    emit(report, fmt)
    click.echo(f"archive: {archive_dir(archive_root)}", err=True)


@snapshot_group.command("deepstate")
@archive_option
@click.option("--date", "date", default=None, type=DATE,
              help="The last DeepState snapshot created on this UTC day (YYYY-MM-DD).")
@click.option("--id", "snapshot_id", default=None,
              help="One DeepState snapshot by its id (a unix time).")
@format_option()
def snapshot_deepstate_command(archive_root: str | None, date: str | None,
                               snapshot_id: str | None, fmt: str) -> None:
    """Store DeepStateMap's latest map (or a day's, or one snapshot's) in the archive.

    The occupied classes (Occupied, Occupied Crimea, CADR and CALR) are unioned as the
    registry's daily files are; the layer is stored with its provenance (snapshot id,
    created time, URL, sha256) and DeepState's own areas when the service gives them.
    Unknown classes are reported. DeepState's licence is shown first. Base address:
    $FRONTLINE_DEEPSTATE_URL, else DeepStateMap's API.
    """
    report = snapshot_deepstate(date=date, snapshot_id=snapshot_id, root=archive_root,
                                notice=lambda text: click.echo(text, err=True))
    emit(report, fmt)
    click.echo(f"archive: {archive_dir(archive_root)}", err=True)


@cli.command("update")
@archive_option
@click.pass_context
def update_command(ctx: click.Context, archive_root: str | None) -> None:
    """Add today's ISW and DeepState snapshots and the mirrors' newer files to the archive.

    One command to run every day (cron): `frontline snapshot isw`, `frontline snapshot
    deepstate` and `frontline fetch --latest` (files go to the data directory, then into
    the archive). Idempotent: a second run adds nothing and says so. Prints one summary
    line; exits with code 1 if a source failed (the others are still taken).
    """
    dest = data_target(ctx.obj["data_dir"])
    result = update(root=archive_root, data_dir=dest, progress=ctx.obj["progress"],
                    notice=lambda text: click.echo(text, err=True))
    click.echo(result.summary)
    for step, message in result.failures.items():
        click.echo(f"Error: {step}: {message}", err=True)
    if not result.ok:
        raise click.exceptions.Exit(1)


@cli.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@archive_option
@format_option()
@click.pass_context
def import_command(ctx: click.Context, paths: tuple[str, ...], archive_root: str | None,
                   fmt: str) -> None:
    """Add ISW zips (nested bundles too), GeoJSON, TopoJSON, DeepState files or area tables
    to the archive.

    PATHS are files or folders (searched recursively; .json/.csv area tables are taken from
    area_tables folders). Importing the same bytes again changes nothing; a different
    file for a date already held adds a new vintage.
    """
    report = import_paths(paths, root=archive_root, progress=ctx.obj["progress"])
    emit(report, fmt)
    counts = report["status"].value_counts().to_dict()
    click.echo("archive: {} ({})".format(
        archive_dir(archive_root),
        ", ".join(f"{v} {k}" for k, v in counts.items()) or "nothing to import"), err=True)


@cli.group("archive")
def archive_group() -> None:
    """Inspect the local archive of dated layers and their vintages."""


_SHOW = ("all", "summary", "dates", "gaps", "vintages")


@archive_group.command("status")
@archive_option
@click.option("--show", type=click.Choice(_SHOW), default="all", show_default=True,
              help="Which table: per-source summary, every date held, runs of missing "
                   "days, or the layers with several vintages (all: the last three).")
@click.option("--as-of", "as_of", default=None,
              help="Which vintage analyses would use as of this date or time (UTC).")
@format_option()
def archive_status_command(archive_root: str | None, show: str, as_of: str | None,
                           fmt: str) -> None:
    """List the archive's dates, gaps, vintages, and the vintage analyses use by default.

    Analyses use the latest vintage of each (source, date, layer); pin them to an earlier
    state with --as-of (frontline.sources.archive.load_history(as_of=...)).
    """
    from frontline.cli.main import output_spec

    if show == "all" and (fmt in ("csv", "json") or output_spec().output):
        raise click.UsageError("--format csv/json and --output write one table: choose it "
                               "with --show.")
    status = _with_times(archive_status(archive_root, as_of=as_of), "default_imported_at")
    tables = {
        "summary": _with_times(archive_summary(archive_root), "last_import"),
        "dates": status,
        "gaps": archive_gaps(archive_root),
        "vintages": status[status["vintages"] > 1].reset_index(drop=True),
    }
    orphans = archive_orphans(archive_root)
    if orphans:
        click.echo(f"note: {len(orphans)} segment(s) in {orphans[0].parent} are not in the "
                   "manifest (left by an interrupted import; the archive does not use them and "
                   "they can be deleted).", err=True)
    if show != "all":
        emit(tables[show], fmt)
        return
    click.echo(f"archive: {archive_dir(archive_root)}", err=True)
    for name in ("summary", "gaps", "vintages"):
        click.echo(f"\n== {name} ==")
        table = tables[name]
        if table.empty:
            click.echo("(none)")
        else:
            emit(table, fmt)


def _with_times(frame, column):
    """Vintage times to the second (the table writer would print dates only)."""
    frame = frame.copy()
    frame[column] = pd.to_datetime(frame[column]).dt.strftime("%Y-%m-%d %H:%M:%S")
    return frame
