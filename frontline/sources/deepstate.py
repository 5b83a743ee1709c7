"""Snapshots of DeepStateMap's map, stored in the archive with their provenance.

DeepStateMap's history API (:data:`frontline.sources.services.DEEPSTATE`) gives the
latest map, a list of every published snapshot (``id``, ``createdAt``), one snapshot's map
by id (sometimes wrapped as ``{"map": ...}``) and DeepState's own areas for it. A map is a
FeatureCollection whose features are named "UA /// EN /// ..."; the occupied layer is the
union of the classes ``Occupied``, ``Occupied Crimea`` and ``CADR and CALR``, closed by a
buffer of ±0.000009° exactly as the registry's daily files (cyterat/deepstate-map-data)
are built, so a snapshot and a daily file of the same map measure the same area.

Every other polygon class is known and left out (liberated, unspecified...), or unknown:
an unknown class is reported (a warning, the report's ``unknown_classes`` and the stored
provenance), never dropped silently; one drawn in an occupied fill colour stops the
snapshot, because the occupied area would come out short. The raw answer is kept in the
archive's ``raw/`` folder, so nothing DeepState sent is lost.

A stored layer is source ``deepstate``, layer ``occupied``, dated the UTC day of the
snapshot's ``createdAt``; its provenance holds the snapshot id, the created time, the
URL, the sha256 of the raw answer and DeepState's own areas when the service gives them.

The base address is ``$FRONTLINE_DEEPSTATE_URL`` when set (tests point it at a local
server). DeepState's licence (:data:`~frontline.sources.services.DEEPSTATE_LICENCE`) is
shown before the first download.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import sys
import warnings
from collections.abc import Callable

import geopandas as gpd
import pandas as pd
import requests
import shapely
from shapely.geometry import shape

from frontline.errors import (
    FetchError,
    FrontlineWarning,
    InvalidArgumentError,
    NotFoundError,
    ServiceError,
)
from frontline.geodesy import geodesic_area_km2
from frontline.io import readers
from frontline.settings import ENV_DEEPSTATE_URL
from frontline.sources.archive import append_tables, archive_dir
from frontline.sources.network import (
    DEFAULT_POLICY,
    HttpPolicy,
    http_get,
    json_answer,
    new_session,
)
from frontline.sources.services import DEEPSTATE, DEEPSTATE_LICENCE, DeepStateService

__all__ = ["ENV_DEEPSTATE_URL", "deepstate_snapshots", "occupied_layer",
           "snapshot_deepstate"]

log = logging.getLogger(__name__)


_FIX = "check $FRONTLINE_DEEPSTATE_URL and the table in frontline/sources/services.py."


def base_url(service: DeepStateService = DEEPSTATE) -> str:
    """``$FRONTLINE_DEEPSTATE_URL``, else DeepStateMap's API."""
    return (os.environ.get(ENV_DEEPSTATE_URL) or service.base_url).rstrip("/")


def _get(session, url: str, policy):
    try:
        answer = http_get(session, url, policy=policy)
    except FetchError as err:
        raise ServiceError(f"{err} Check the network and ${ENV_DEEPSTATE_URL}, then run "
                           "the snapshot again.") from err
    return json_answer(answer, fix=_FIX), answer


def _created(value) -> pd.Timestamp | None:
    """``createdAt`` (ISO text) or an id (unix seconds) as a naive UTC time."""
    if value is None or value == "":
        return None
    try:
        if isinstance(value, (int, float)) or str(value).isdigit():
            stamp = pd.Timestamp(int(value), unit="s", tz="UTC")
        else:
            stamp = pd.Timestamp(str(value))
            stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp
    except (ValueError, OverflowError):
        return None
    return stamp.tz_convert("UTC").tz_localize(None)


def deepstate_snapshots(*, base: str | None = None, session: requests.Session | None = None,
                        policy: HttpPolicy = DEFAULT_POLICY,
                        service: DeepStateService = DEEPSTATE) -> pd.DataFrame:
    """DeepState's list of published snapshots: ``id, created_at`` (UTC), oldest first.

    Raises
    ------
    ServiceError
        The list cannot be read or is not a list of ``{id, createdAt}``.
    """
    session = session or new_session()
    url = f"{base or base_url(service)}{service.listing}"
    found, _ = _get(session, url, policy)
    if isinstance(found, dict):  # some answers wrap the list
        found = next((v for v in found.values() if isinstance(v, list)), found)
    if not isinstance(found, list):
        raise ServiceError(f"{url}: expected a list of snapshots, got "
                           f"{type(found).__name__}: {_FIX}")
    rows = []
    for item in found:
        if not isinstance(item, dict) or "id" not in item:
            raise ServiceError(f"{url}: a snapshot without an id ({str(item)[:80]}): {_FIX}")
        rows.append({"id": item["id"],
                     "created_at": _created(item.get("createdAt")) or _created(item["id"])})
    frame = pd.DataFrame(rows, columns=["id", "created_at"])
    return frame.sort_values("created_at", kind="stable").reset_index(drop=True)


def _class_of(feature: dict, service: DeepStateService) -> str:
    name = str((feature.get("properties") or {}).get(service.name_field) or "")
    parts = [p.strip() for p in name.split(service.name_separator)]
    return parts[service.name_part] if len(parts) > service.name_part else name.strip()


def _fill(feature: dict) -> str:
    props = feature.get("properties") or {}
    return str(props.get("fill") or props.get("fill-color") or "").lower()


def occupied_layer(collection: dict, /, *, service: DeepStateService = DEEPSTATE,
                   url: str = "") -> tuple[object, dict]:
    """The occupied area of one DeepState map, unioned as the registry's daily files are.

    Parameters
    ----------
    collection : dict
        A GeoJSON FeatureCollection as DeepState serves it.
    service : DeepStateService
        The class table.
    url : str
        Named in errors.

    Returns
    -------
    (shapely geometry, dict)
        The occupied (multi)polygon, and what was found: ``features`` per occupied
        class, ``unknown_classes`` (name → ``{"features", "fill"}``), ``other`` (count of
        known non-occupied polygons), ``not_polygons`` (markers and lines, not areas).

    Raises
    ------
    ServiceError
        No occupied polygon at all, or an unknown class drawn in an occupied colour.

    Examples
    --------
    >>> square = {"type": "Polygon", "coordinates": [[[37, 48], [37.1, 48], [37.1, 48.1],
    ...                                               [37, 48.1], [37, 48]]]}
    >>> fc = {"type": "FeatureCollection", "features": [{"type": "Feature",
    ...       "properties": {"name": "Окуповано /// Occupied /// x"}, "geometry": square}]}
    >>> geometry, found = occupied_layer(fc)
    >>> round(geometry.area, 6), found["features"]
    (0.01, {'Occupied': 1})
    """
    features = collection.get("features") if isinstance(collection, dict) else None
    if not isinstance(features, list):
        raise ServiceError(f"{url}: the map is not a GeoJSON FeatureCollection: {_FIX}")
    occupied = set(service.occupied)
    other = {name.lower() for name in service.other}
    parts, counts, unknown = [], {}, {}
    found = {"features": counts, "unknown_classes": unknown, "other": 0, "not_polygons": 0}
    for feature in features:
        if not isinstance(feature, dict) or not feature.get("geometry"):
            found["not_polygons"] += 1
            continue
        kind = feature["geometry"].get("type")
        if kind not in ("Polygon", "MultiPolygon"):
            found["not_polygons"] += 1
            continue
        name = _class_of(feature, service)
        if name in occupied:
            geometry = shape(feature["geometry"])
            geometry = shapely.force_2d(geometry)
            parts.append(geometry)
            counts[name] = counts.get(name, 0) + 1
        elif name.lower() in other:
            found["other"] += 1
        else:
            entry = unknown.setdefault(name or "(no name)", {"features": 0, "fill": _fill(feature)})
            entry["features"] += 1
    alarming = {n: e for n, e in unknown.items() if e["fill"] in service.occupied_fills}
    if alarming:
        shown = ", ".join(f"{n!r} ({e['features']} features, fill {e['fill']})"
                          for n, e in alarming.items())
        raise ServiceError(
            f"{url}: unknown class(es) {shown} drawn in DeepState's occupied colours: the "
            "occupied area would come out short. Add the class to DEEPSTATE.occupied (or "
            "DEEPSTATE.other) in frontline/sources/services.py; nothing was stored."
        )
    if not parts:
        raise ServiceError(
            f"{url}: the map has no polygon of the occupied classes "
            f"({', '.join(service.occupied)}; {len(features)} features): DeepState renamed "
            f"its classes or sent an empty map: {_FIX} Nothing was stored."
        )
    return readers.union_closed(parts, service.close_eps), found


def _unwrap(found, url: str) -> tuple[dict, dict]:
    """(map FeatureCollection, the answer's other fields) from any of DeepState's shapes."""
    if not isinstance(found, dict):
        raise ServiceError(f"{url}: expected a JSON object, got {type(found).__name__}: {_FIX}")
    if found.get("type") == "FeatureCollection":
        return found, {}
    inner = found.get("map")
    if isinstance(inner, str):  # the map itself JSON-encoded
        try:
            inner = json.loads(inner)
        except ValueError as err:
            raise ServiceError(f"{url}: 'map' is not GeoJSON ({err}): {_FIX}") from err
    if isinstance(inner, dict) and inner.get("type") == "FeatureCollection":
        return inner, {k: v for k, v in found.items() if k != "map"}
    raise ServiceError(f"{url}: the answer holds no map (keys: {sorted(found)[:6]}): {_FIX}")


def _areas(session, url: str, policy) -> list | None:
    """DeepState's own areas of a snapshot, or None when the service gives none."""
    try:
        found, _ = _get(session, url, policy)
    except ServiceError as err:
        log.warning("%s: DeepState's own areas not stored (%s)", url, err)
        return None
    if isinstance(found, dict):
        found = found.get("areas", found.get("data"))
    if not isinstance(found, list):
        return None
    return [{"type": str(a.get("type")), "area": a.get("area")} for a in found
            if isinstance(a, dict)]


def snapshot_deepstate(*, date: str | dt.date | None = None, snapshot_id: int | str | None = None,
                       root: str | os.PathLike[str] | None = None, base: str | None = None,
                       service: DeepStateService = DEEPSTATE, retries: int = 3,
                       backoff: float = 1.0, deadline: float | None = None,
                       budget: float | None = None,
                       notice: Callable[[str], object] | None = None) -> pd.DataFrame:
    """Store DeepState's latest map, or the map of a day or snapshot id, in the archive.

    Parameters
    ----------
    date : date-like, optional
        The day wanted: the last snapshot created that UTC day.
    snapshot_id : int or str, optional
        One snapshot by its id (see :func:`deepstate_snapshots`).
    root : path-like, optional
        The archive (see :func:`frontline.sources.archive.archive_dir`).
    base : str, optional
        Base address (default: ``$FRONTLINE_DEEPSTATE_URL``, else DeepState's API).
    service : DeepStateService
        Endpoints, fields and classes (default: :data:`~frontline.sources.services.DEEPSTATE`).
    retries, backoff, deadline, budget
        The network policy (:class:`~frontline.sources.network.HttpPolicy`).
    notice : callable, optional
        Receives DeepState's licence before the download (default: stderr).

    Returns
    -------
    pandas.DataFrame
        One row: ``source, date, layer, snapshot_id, created_at, area_km2,
        deepstate_occupied_since_2022_km2, unknown_classes, sha256, status, vintage``;
        ``area_km2`` is frontline's geodesic area of the occupied layer (Crimea and the
        pre-2022 areas included), ``deepstate_occupied_since_2022_km2`` DeepState's own
        ``occupied_after_24_02_2022`` figure (a different quantity), when given.

    Raises
    ------
    InvalidArgumentError
        Both ``date`` and ``snapshot_id``.
    NotFoundError
        No snapshot on ``date`` (the nearest ones are named) or with ``snapshot_id``.
    ServiceError
        The map cannot be read or holds no occupied polygon; nothing is stored.
    """
    if date is not None and snapshot_id is not None:
        raise InvalidArgumentError("Give --date or --id, not both.")
    (notice or (lambda text: print(text, file=sys.stderr)))(DEEPSTATE_LICENCE)
    policy = DEFAULT_POLICY.with_(retries=retries, backoff=backoff, deadline=deadline,
                                  budget=budget)
    base = (base or base_url(service)).rstrip("/")
    retrieved = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    with new_session() as session:
        created = None
        if date is None and snapshot_id is None:
            url = f"{base}{service.last}"
        else:
            listing = deepstate_snapshots(base=base, session=session, policy=policy,
                                          service=service)
            snapshot_id, created = _pick(listing, date, snapshot_id, base + service.listing)
            url = f"{base}{service.geojson.format(id=snapshot_id)}"
        found, answer = _get(session, url, policy)
        collection, rest = _unwrap(found, url)
        if snapshot_id is None:
            snapshot_id = rest.get("id")
            created = _created(rest.get("createdAt")) or _created(snapshot_id)
        if created is None:
            raise ServiceError(f"{url}: the snapshot has neither createdAt nor an id: "
                               f"cannot date it. {_FIX}")
        geometry, seen = occupied_layer(collection, service=service, url=url)
        areas = (_areas(session, f"{base}{service.areas.format(id=snapshot_id)}", policy)
                 if snapshot_id is not None else None)
    if seen["unknown_classes"]:
        shown = ", ".join(f"{n!r} ({e['features']})" for n, e in seen["unknown_classes"].items())
        warnings.warn(f"{url}: unknown DeepState class(es) {shown}: not counted as occupied, "
                      "kept in the raw answer; add them to frontline/sources/services.py.",
                      FrontlineWarning, stacklevel=2)
    raw = answer.body
    sha = hashlib.sha256(raw).hexdigest()
    day = pd.Timestamp(created.date())
    frame = gpd.GeoDataFrame(geometry=[geometry], crs="EPSG:4326")
    row = readers.layer_row("deepstate", day, "occupied", url, "", frame)
    row["n_features"] = sum(seen["features"].values())
    provenance = {
        "kind": "deepstate-api", "url": url, "snapshot_id": snapshot_id,
        "created_at": f"{created:%Y-%m-%dT%H:%M:%S}Z", "retrieved_at": retrieved.isoformat(),
        "sha256": sha, "classes": seen["features"], "unknown_classes": seen["unknown_classes"],
        "other_polygons": seen["other"], "not_polygons": seen["not_polygons"],
        "deepstate_areas": areas, "table_checked": service.checked,
    }
    stored = append_tables(archive_dir(root), [(readers.canonical_frame([row]), sha,
                                                provenance, raw)],
                           retrieved.replace(tzinfo=None))
    own = next((a["area"] for a in areas or () if a["type"] == "occupied_after_24_02_2022"),
               None)
    return pd.DataFrame([{
        "source": "deepstate", "date": f"{day:%Y-%m-%d}", "layer": "occupied",
        "snapshot_id": snapshot_id, "created_at": provenance["created_at"],
        "area_km2": round(float(geodesic_area_km2(row["geometry"])), 2),
        "deepstate_occupied_since_2022_km2": own,
        "unknown_classes": ", ".join(seen["unknown_classes"]), "sha256": sha,
        "status": stored["status"].iloc[0], "vintage": int(stored["vintage"].iloc[0]),
    }])


def _pick(listing: pd.DataFrame, date, snapshot_id, url: str):
    """(id, created time) of the snapshot asked for, or NotFoundError naming the nearest."""
    if listing.empty:
        raise ServiceError(f"{url}: the list of snapshots is empty: {_FIX}")
    if snapshot_id is not None:
        hit = listing[listing["id"].astype(str) == str(snapshot_id)]
        if hit.empty:
            raise NotFoundError(
                f"DeepState has no snapshot with id {snapshot_id} ({len(listing)} listed, "
                f"{listing['id'].iloc[0]} to {listing['id'].iloc[-1]}): check the id with "
                "frontline.sources.deepstate.deepstate_snapshots().")
        return _native(hit["id"].iloc[-1]), hit["created_at"].iloc[-1]
    day = pd.Timestamp(date).normalize()
    days = listing["created_at"].dt.normalize()
    hit = listing[days == day]
    if hit.empty:
        before = listing[days < day]["created_at"]
        after = listing[days > day]["created_at"]
        raise NotFoundError(
            f"DeepState has no snapshot created on {day:%Y-%m-%d} (UTC). Nearest: "
            f"{f'{before.iloc[-1]:%Y-%m-%d %H:%M}' if len(before) else 'none'} before, "
            f"{f'{after.iloc[0]:%Y-%m-%d %H:%M}' if len(after) else 'none'} after: choose "
            "one of those days.")
    return _native(hit["id"].iloc[-1]), hit["created_at"].iloc[-1]


def _native(value):
    """A numpy scalar as the Python value it holds (ids are stored as JSON)."""
    return value.item() if hasattr(value, "item") else value
