"""Every live service frontline reads, in one table per service.

A service that renames an endpoint, a field or a class is one edit here. Each table
says when its names were last ``checked`` and against what: nothing in frontline's tests
can reach the live services (they run against local fakes), so a name is only as good
as its check.

- :data:`ISW_LIVE`: ISW's live ArcGIS layers (``frontline snapshot isw``).
- :data:`ISW_TIMELAPSE`: ISW's daily time-lapse and monthly services
  (``frontline snapshot isw --date D``), and :data:`MONTHLY_LAYER_NAMES`, how the monthly
  services' layers are named.
- :data:`DEEPSTATE`: DeepStateMap's history API (``frontline snapshot deepstate``).
- :data:`MIRRORS`: public copies newer than the registry (``frontline fetch --latest``),
  and :data:`HCSS_MONTH_END`, the classes of hcss-utils' month-end DeepState files.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["DEEPSTATE", "DEEPSTATE_LICENCE", "HCSS_MONTH_END", "ISW_LIVE", "ISW_TIMELAPSE",
           "MIRRORS", "MONTHLY_LAYER_NAMES", "DeepStateService", "Endpoint", "LayerNames",
           "Mirror", "MonthEndClasses", "Timelapse", "TimelapseService"]


# ------------------------------------------------------------------ ISW, live layers


@dataclass(frozen=True)
class Endpoint:
    """One ISW layer on ArcGIS.

    Attributes
    ----------
    layer : str
        Canonical layer name (see :mod:`frontline.layers`).
    service : str
        FeatureServer service name (its version suffix, e.g. ``_V3``, is part of it).
    layer_id : int
        Layer index inside the service.
    oid_field : str
        Object-id field expected (``OBJECTID`` or ``FID``); the layer's description wins.
    checked : str
        The day (ISO) the name was last seen answering in public code that uses it; ``""``
        for names taken from older copies that could not be checked.
    """

    layer: str
    service: str
    layer_id: int = 0
    oid_field: str = "OBJECTID"
    checked: str = ""

    @property
    def version(self) -> str:
        """The service's version suffix (``V3``), or ``""``."""
        match = re.search(r"_(V\d+)(?:_|$)", self.service, re.I)
        return match.group(1).upper() if match else ""


#: ISW's live layers (base address: ``$FRONTLINE_ARCGIS_URL``, else ISW's organisation).
#: Checked 2026-12-01 against public code using these services; the counteroffensives,
#: pre-2022 and Kursk names come from older copies (Nikkei's 2023 files) and are unchecked.
ISW_LIVE: tuple[Endpoint, ...] = (
    Endpoint("control", "VIEW_RussiaCoTinUkraine_V3", 49, "OBJECTID", "2026-12-01"),
    Endpoint("advances", "AssessedRussianAdvanceInUkraine_V2_view", 0, "OBJECTID",
             "2026-12-01"),
    Endpoint("claimed", "ClaimedRussianTerritoryinUkraine_V2_view", 0, "FID", "2026-12-01"),
    Endpoint("counteroffensives", "VIEW_ClaimedUkrainianCounteroffensives_V2", 0, "FID"),
    Endpoint("infiltration", "View_AssessedRussianInfiltrationAreasinUkraine_V4", 0,
             "OBJECTID", "2026-12-01"),
    Endpoint("pre2022", "VIEW_Russian_controlled_Ukrainian_Territory_before_February_24_2022",
             36, "OBJECTID", "2026-12-01"),
    Endpoint("kursk_ukrainian_advance", "VIEW_Kursk_Incursion_Claimed_Limit_of_Ukrainian_Advance",
             0, "FID"),
)


# ------------------------------------------------------------------ ISW, time-lapse


@dataclass(frozen=True)
class Timelapse:
    """One ISW time-lapse layer: dated copies of the control-of-terrain polygon.

    Attributes
    ----------
    service, layer_id
        FeatureServer service and layer index.
    first, last : str
        The days (ISO) the service is expected to cover: only services whose span is
        near a requested date are asked; the dates they really hold come from the
        service (``returnDistinctValues``).
    date_field : str
        The field dating each feature.
    date_only : bool
        The field is ``esriFieldTypeDateOnly`` (values ``YYYY-MM-DD``, ``DATE`` literals
        in queries) rather than a timestamp.
    layer : str
        The canonical layer the polygons stand for (a service read at ``layer_id``).
    listing : bool
        The service holds several layers (ISW's monthly ``*_Merge_<MON>`` services): they
        are found in its root listing (``<service>/FeatureServer?f=json``) and named by
        :data:`MONTHLY_LAYER_NAMES`; ``layer_id`` is then only the control layer's id as
        public code reads it (not used).
    """

    service: str
    layer_id: int
    first: str
    last: str
    date_field: str = "datetime"
    date_only: bool = False
    layer: str = "control"
    listing: bool = False


@dataclass(frozen=True)
class LayerNames:
    """How the layers of ISW's monthly services are named, and when that was checked.

    A listed layer's name is first read with :func:`frontline.layers.canonical_layer` (the
    spellings of ISW's files and live services); a name it does not know is matched
    against ``patterns``: ``(regular expression, canonical layer)`` on the name lowercased
    with every character but letters and digits removed, the first match winning. Every
    canonical layer named is one of :data:`frontline.layers.LAYERS`. A name matching
    nothing is reported, never guessed.
    """

    checked: str
    how: str
    patterns: tuple[tuple[str, str], ...]


#: The short names of the monthly services' per-layer ``*_Merge_<MON>`` layers. Kursk,
#: Ukrainian and pre-2022 layers never match the general words (they stay unknown unless
#: frontline.layers knows their full spelling).
MONTHLY_LAYER_NAMES = LayerNames(
    checked="2026-12-01",
    how="the words public code reading the 2025-26 monthly services keys them by (CoT, "
        "Advance, Claimed ... Territory, Counteroffensive, Infiltration); the layers each "
        "service lists are read from the service at every snapshot",
    patterns=(
        (r"^(?!.*kursk).*counteroffensive", "counteroffensives"),
        (r"^(?!.*kursk).*infiltration", "infiltration"),
        (r"^(?!.*kursk).*partisan", "partisan"),
        (r"^(?!.*(kursk|ukrainian)).*claimed.*territory", "claimed"),
        (r"^(?!.*(kursk|ukrainian)).*advance", "advances"),
        (r"^(?!.*(kursk|ukrainian|before|pre20|prior)).*(cot|control)", "control"),
    ),
)


@dataclass(frozen=True)
class TimelapseService:
    """The table of ISW's time-lapse services, with when it was checked."""

    checked: str
    how: str
    layers: tuple[Timelapse, ...]
    names: LayerNames = MONTHLY_LAYER_NAMES


def _monthly(service: str, layer_id: int, first: str, last: str, **more) -> Timelapse:
    """A 2025-26 monthly service: its layers come from its root listing."""
    return Timelapse(service, layer_id, first, last, listing=True, **more)


ISW_TIMELAPSE = TimelapseService(
    checked="2026-12-01",
    how="service, layer and field names from public code that reads them (2026-07); "
        "the dates each holds, and the monthly services' layers, are read from the "
        "service at every snapshot",
    layers=(
        Timelapse("UkrainianCoTTimelapse_FEB_2022_to_DEC_2024_view", 0,
                  "2022-02-24", "2024-12-31"),
        _monthly("JAN2025Timelapse_Ukraine_Russia_War", 1, "2025-01-01", "2025-01-31"),
        _monthly("March_PreppedTimelapse", 31, "2025-03-01", "2025-03-31"),
        _monthly("Ukraine_COT_Timelapse_April_2025", 110, "2025-04-01", "2025-04-30"),
        _monthly("May_2025_Timelapse", 3, "2025-05-01", "2025-05-31"),
        _monthly("June_2025_Timelapse", 3, "2025-06-01", "2025-06-30"),
        _monthly("July_2025_Timelapse", 3, "2025-07-01", "2025-07-31"),
        _monthly("August_2025_Timelapse", 2, "2025-08-01", "2025-08-31"),
        _monthly("SEP2025RUCoT", 5, "2025-09-01", "2025-09-30"),
        _monthly("Russo_Ukraine_War_October_2025_Timelapse", 3, "2025-10-01", "2025-10-31"),
        _monthly("Russo_Ukraine_War_November_2025_Timelapse", 33, "2025-11-01", "2025-11-30"),
        _monthly("Ukraine_Time_Lapse_December_2025_WFL1", 9, "2025-12-01", "2025-12-31"),
        _monthly("COT_Merge_Jan_2026_view", 37, "2026-01-01", "2026-01-31"),
        _monthly("Ukraine_Timelapse_Feb_2026_WFL1_view", 28, "2026-02-01", "2026-02-28"),
        _monthly("Export_March_2026_V4", 33, "2026-03-01", "2026-03-31"),
        _monthly("Ukraine_Timelapse_April_2026_WFL1", 33, "2026-04-01", "2026-04-30"),
        _monthly("May_CoT_view", 0, "2026-05-01", "2026-05-31", date_field="pub_date",
                 date_only=True),
    ),
)


# ------------------------------------------------------------------ DeepState


@dataclass(frozen=True)
class DeepStateService:
    """DeepStateMap's history API: endpoints, fields and classes.

    Attributes
    ----------
    base_url : str
        Default base address (``$FRONTLINE_DEEPSTATE_URL`` overrides it).
    last, listing, geojson, areas : str
        Paths of the latest snapshot, the list of snapshots, one snapshot's map and one
        snapshot's areas (``{id}`` is the snapshot id).
    name_field, name_separator, name_part : str, str, int
        A feature's class is part ``name_part`` of ``properties[name_field]`` split at
        ``name_separator`` ("UA /// EN /// ...": 1 is the English name).
    occupied : tuple of str
        Classes unioned into the occupied layer (as the registry's daily files are).
    other : tuple of str
        Known classes that are not occupied territory (not counted, not reported).
    occupied_fills : tuple of str
        Fill colours of the occupied classes: an unknown class drawn in one of them
        stops the snapshot (the occupied area would be short).
    close_eps : float
        Degrees: the union is closed by buffering out and back in by this much, as the
        registry's daily files are (removes slivers between touching classes).
    checked, how : str
    """

    base_url: str
    last: str
    listing: str
    geojson: str
    areas: str
    name_field: str
    name_separator: str
    name_part: int
    occupied: tuple[str, ...]
    other: tuple[str, ...]
    occupied_fills: tuple[str, ...]
    close_eps: float
    checked: str
    how: str


DEEPSTATE = DeepStateService(
    base_url="https://deepstatemap.live/api",
    last="/history/last",
    listing="/history/public",
    geojson="/history/{id}/geojson",
    areas="/history/{id}/areas",
    name_field="name",
    name_separator="///",
    name_part=1,
    occupied=("Occupied", "Occupied Crimea", "CADR and CALR"),
    other=("Liberated", "Unknown", "Unspecified", "Grey zone", "Contested",
           "Ukrainian counteroffensive", "Advance"),
    occupied_fills=("#a52714", "#880e4f"),
    close_eps=0.000009,
    checked="2026-12-01",
    how="against the download script of cyterat/deepstate-map-data (the registry's "
        "source) and public code using the API",
)

#: DeepStateMap's terms, shown before the first download from its API.
DEEPSTATE_LICENCE = (
    "DeepStateMap data: the map is DeepStateMap's (https://deepstatemap.live). Its use is "
    "free for volunteer, charitable and defence purposes; commercial use needs "
    "DeepState's approval; proxying or redistributing its API is not allowed. Credit "
    "\"DeepStateMap\"; frontline keeps the data for your own analysis and never "
    "redistributes it."
)


# ------------------------------------------------------------------ public mirrors


@dataclass(frozen=True)
class Mirror:
    """A public repository whose newer files frontline can fetch by their naming pattern.

    Attributes
    ----------
    group : str
        The registry group its files belong to.
    repo, branch : str
        GitHub repository and branch (its newest files).
    folder : str
        Folder of the repository listed.
    pattern : str
        Regular expression a file name must match; its ``date`` group (``YYYYMMDD`` or
        ``YYYY-MM-DD``) dates the file.
    target : str
        Where a file goes in the data layout (``{name}`` is its file name, ``{date}`` the
        date its name holds, as written there).
    licence, attribution : str
    isw_terms : bool
        The files are copies of ISW data (ISW's terms apply).
    checked : str
    rolling : bool
        The files keep one name and change in place (one commit a day): every content
        seen is kept as a vintage under ``vintages/`` (for the archive), never in the
        data layout, where it would stand beside the registry's pinned copy.
    back_fill : bool
        Only files dated before the first file the registry holds of ``group`` are taken
        (whatever ``since`` says): from that day on the group's daily files hold every
        day, and a second file for a day would be a second snapshot of it.
    """

    group: str
    repo: str
    branch: str
    folder: str
    pattern: str
    target: str
    licence: str
    attribution: str
    isw_terms: bool = False
    checked: str = ""
    rolling: bool = False
    back_fill: bool = False


@dataclass(frozen=True)
class MonthEndClasses:
    """Which features of hcss-utils' month-end DeepState files are occupied territory.

    The files (``public/data/deepstate_geojson/<map day>.geojson``) hold every class of
    DeepState's map, each feature with ``name`` (DeepState's English class, sometimes
    with a date: "Liberated 25.03"), ``date`` (the map day) and ``layer_type``.

    Attributes
    ----------
    class_field : str
        The property naming a feature's class.
    occupied : tuple of str
        Classes unioned into the occupied layer (closed as DeepState's snapshots are,
        :data:`DEEPSTATE` ``close_eps``).
    other : tuple of str
        Known classes that are not occupied territory.
    checked, how : str

    A class in neither list stops the read of the file (frontline cannot tell whether it
    is occupied territory: the area would be wrong either way).
    """

    class_field: str
    occupied: tuple[str, ...]
    other: tuple[str, ...]
    checked: str
    how: str


HCSS_MONTH_END = MonthEndClasses(
    class_field="layer_type",
    occupied=("russian_occupied",),
    other=("liberated",),
    checked="2026-12-01",
    how="hcss-utils/war-datasets-dashboard's public/data/deepstate_geojson/2024-07-31."
        "geojson (commit f2d7de5e): layer_type 'russian_occupied' (name 'Occupied') and "
        "'liberated' (names 'Liberated', 'Liberated 25.03', ...), date '2024-07-31'",
)


#: Public copies newer than the registry. Listing: GitHub's git-trees API
#: (``$FRONTLINE_GITHUB_API_URL``, else https://api.github.com) of the default branch
#: (``HEAD``); files: raw copies (``$FRONTLINE_GITHUB_RAW_URL``, else
#: https://raw.githubusercontent.com). Checked 2026-12-01 against the registry's own
#: sources (data/*/MANIFEST.md): the same repositories and paths. hcss-utils' month-end
#: DeepState files (``<date>.geojson``) are named by map day, not download day: they are
#: stored as ``deepstate_mapday_<date>.geojson``, a name the readers date by its own day
#: (no ``--deepstate-lag``), and only for the months before the registry's daily files
#: begin (2022-05-31 → 2024-06-30; ``back_fill``).
MIRRORS: tuple[Mirror, ...] = (
    Mirror("deepstate", "cyterat/deepstate-map-data", "HEAD", "data",
           r"^deepstatemap_data_(?P<date>\d{8})\.geojson$", "deepstate/daily/{name}",
           "GPL-3.0", "DeepStateMap.live, via github.com/cyterat/deepstate-map-data "
           "(GPL-3.0)", False, "2026-12-01"),
    Mirror("deepstate", "hcss-utils/war-datasets-dashboard", "HEAD",
           "public/data/deepstate_geojson", r"^(?P<date>\d{4}-\d{2}-\d{2})\.geojson$",
           "deepstate/month_end/deepstate_mapday_{date}.geojson",
           "no licence file; DeepStateMap's maps (DeepStateMap's terms)",
           "DeepStateMap.live, via github.com/hcss-utils/war-datasets-dashboard", False,
           "2026-12-01", back_fill=True),
    Mirror("isw-areas", "hcss-utils/war-datasets-dashboard", "HEAD", "public/data",
           r"^daily_areas\.json$", "isw/area_tables/hcss_daily_areas.json",
           "no licence file; areas of ISW/CTP layers", "hcss-utils/war-datasets-dashboard",
           True, "2026-12-01", rolling=True),
    Mirror("isw-history", "amcaw/IranMaps", "HEAD", "data/ukraine/zips", r"^[\w-]+\.zip$",
           "isw/mirrors/amcaw-iranmaps/{name}", "ISW's terms (no licence file)",
           "ISW and AEI's Critical Threats Project, via github.com/amcaw/IranMaps", True,
           "2026-12-01", rolling=True),
    # The same layout as IranMaps: ISW's five zips under one name each (ukraine_control_map,
    # russian_advances, claimed_russian_territory, ukrainian_counteroffensives,
    # russian_infiltration), rewritten daily; the .shp inside dates each.
    Mirror("isw-history", "amcaw/WarMaps", "HEAD", "data/ukraine/zips", r"^[\w-]+\.zip$",
           "isw/mirrors/amcaw-warmaps/{name}", "ISW's terms (no licence file)",
           "ISW and AEI's Critical Threats Project, via github.com/amcaw/WarMaps", True,
           "2026-12-01", rolling=True),
)
