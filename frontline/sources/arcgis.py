"""Snapshots of ISW's public ArcGIS layers, stored in the archive with their provenance.

ISW and AEI's Critical Threats Project publish their live map layers as ArcGIS
FeatureServer services. Their names change over time (``_V2``/``_V3`` suffixes, ``VIEW_``
prefixes) and so does the object-id field (``FID`` or ``OBJECTID``), so every address lives
in one table, :data:`frontline.sources.services.ISW_LIVE` (:data:`ENDPOINTS` here), each
name with the date it was checked. The object-id field each layer really uses is read from
the layer's own description (``?f=json``) before paging.

:func:`snapshot_isw` asks each layer for every feature as EPSG:4326 GeoJSON, page by page
(``resultOffset``/``resultRecordCount`` until ``exceededTransferLimit`` is false and a page
comes back short), checks the total against the service's own count, backs off on HTTP
429/5xx (honouring ``Retry-After``, within the deadline and retry budget of
:mod:`frontline.sources.network`), and rejects HTML error pages, ArcGIS error objects and
empty layers with one clear error. Only when every layer has arrived is anything written:
each layer becomes one archive row (source ``isw``, dated the UTC day of retrieval) with
its provenance (retrieval time, service URL and version, feature and page counts, sha256)
and the raw GeoJSON kept in the archive's ``raw/`` folder.

:func:`snapshot_isw_day` takes ISW's map of a past day from the daily time-lapse
(2022-02-24 → 2024-12-31) and the monthly services of 2025–26
(:data:`frontline.sources.services.ISW_TIMELAPSE`): the services near the day are asked
which dates they hold (``returnDistinctValues``), and the day's features are read with a
``where`` on the date field, with the same paging and checks. The daily time-lapse holds
the control layer; each monthly service lists its layers (``<service>/FeatureServer?f=json``)
and every one whose name :func:`monthly_layer` recognises and that holds the day is
taken. A name no pattern knows is reported (a warning and a row of the result), never
guessed or dropped silently.

The base address is ``$FRONTLINE_ARCGIS_URL`` when set (tests point it at a local server).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import re
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import asdict

import geopandas as gpd
import pandas as pd
import requests
from tqdm.auto import tqdm

from frontline.errors import (
    FetchError,
    FrontlineWarning,
    InvalidArgumentError,
    NotFoundError,
    ServiceError,
    UnknownLayerError,
)
from frontline.io import readers
from frontline.layers import LAYERS, canonical_layer
from frontline.settings import ENV_ARCGIS_URL
from frontline.sources.archive import append_tables, archive_dir
from frontline.sources.network import (
    DEFAULT_POLICY,
    HttpPolicy,
    http_get,
    json_answer,
    new_session,
)
from frontline.sources.services import (
    ISW_LIVE,
    ISW_TIMELAPSE,
    MONTHLY_LAYER_NAMES,
    Endpoint,
    LayerNames,
    Timelapse,
    TimelapseService,
)

__all__ = ["DEFAULT_BASE_URL", "ENDPOINTS", "ENV_ARCGIS_URL", "Endpoint",
           "endpoints_table", "fetch_layer", "monthly_layer", "service_layers",
           "snapshot_isw", "snapshot_isw_day", "timelapse_dates"]

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://services5.arcgis.com/SaBe5HMtmnbqSWlu/arcgis/rest/services"


#: Every live ISW layer a snapshot takes: the table lives in
#: :data:`frontline.sources.services.ISW_LIVE` (one edit when a service changes).
ENDPOINTS: tuple[Endpoint, ...] = ISW_LIVE


def endpoints_table(endpoints: Sequence[Endpoint] = ENDPOINTS) -> pd.DataFrame:
    """The endpoint table as a DataFrame (one row per layer, with its version)."""
    return pd.DataFrame([{**asdict(e), "version": e.version} for e in endpoints])


def base_url() -> str:
    """``$FRONTLINE_ARCGIS_URL``, else ISW's ArcGIS organisation."""
    return (os.environ.get(ENV_ARCGIS_URL) or DEFAULT_BASE_URL).rstrip("/")


# ------------------------------------------------------------------- requests


_FIX = "check the endpoint table in frontline/sources/services.py."


def _get_json(session: requests.Session, url: str, params: dict, *,
              policy: HttpPolicy) -> dict:
    """GET an ArcGIS REST answer as JSON; every failure becomes one ServiceError."""
    try:
        answer = http_get(session, url, params=params, policy=policy)
    except FetchError as err:
        raise ServiceError(
            f"{err} Check the network and ${ENV_ARCGIS_URL}, then run the snapshot again."
        ) from err
    if answer.status >= 400:
        raise ServiceError(f"{url}: HTTP {answer.status} {answer.reason}: the service is "
                           f"down or was renamed; {_FIX}")
    found = json_answer(answer, fix=f"try again later or {_FIX}")
    if isinstance(found, dict) and "error" in found:
        error = found["error"] or {}
        raise ServiceError(
            f"{url}: ArcGIS error {error.get('code', '?')}: {error.get('message', '')} "
            f"{' '.join(map(str, error.get('details') or []))}".rstrip()
            + f". {_FIX[0].upper()}{_FIX[1:]}"
        )
    if not isinstance(found, dict):
        raise ServiceError(f"{url}: expected a JSON object, got {type(found).__name__}.")
    return found


def _exceeded(page: dict) -> bool:
    return bool(page.get("exceededTransferLimit")
                or (page.get("properties") or {}).get("exceededTransferLimit"))


def _service_url(base: str | None, service: str) -> str:
    return f"{base or base_url()}/{service}/FeatureServer"


def _layer_url(base: str | None, service: str, layer_id: int) -> str:
    return f"{_service_url(base, service)}/{layer_id}"


def _query_all(session, url: str, where: str, *, oid_hint: str, page_size: int | None,
               policy: HttpPolicy) -> dict:
    """Every feature matching ``where``, page by page, checked against the layer's count."""
    info = _get_json(session, url, {"f": "json"}, policy=policy)
    oid = info.get("objectIdField") or oid_hint
    if oid != oid_hint:
        log.info("%s: object-id field is %s (table says %s)", url, oid, oid_hint)
    limit = int(info.get("maxRecordCount") or 2000)
    size = max(1, min(page_size or limit, limit))
    counted = _get_json(session, f"{url}/query",
                        {"where": where, "returnCountOnly": "true", "f": "json"},
                        policy=policy).get("count")
    features, pages, offset = [], 0, 0
    while True:
        page = _get_json(session, f"{url}/query", {
            "where": where, "outFields": "*", "returnGeometry": "true", "f": "geojson",
            "outSR": "4326", "orderByFields": f"{oid} ASC", "resultOffset": str(offset),
            "resultRecordCount": str(size),
        }, policy=policy)
        found = page.get("features")
        if not isinstance(found, list) or any(
                not isinstance(f, dict) or f.get("type") != "Feature" for f in found):
            raise ServiceError(
                f"{url}/query: the answer is not a GeoJSON FeatureCollection (keys: "
                f"{sorted(page)[:6]}): the service may not support f=geojson."
            )
        pages += 1
        features += found
        offset += len(found)
        if not found or (not _exceeded(page) and len(found) < size):
            break
        if counted is not None and offset >= counted and not _exceeded(page):
            break
        runaway = counted is not None and offset > int(counted) + 10 * size
        if runaway or _repeats(features, oid):
            raise ServiceError(
                f"{url}/query: page {pages} repeats features already read (the service "
                "ignores resultOffset, or the layer changed during the snapshot): run it "
                "again; nothing was stored."
            )
    ids = _ids(features, oid)
    if counted is not None and len(features) != int(counted):
        raise ServiceError(
            f"{url}: got {len(features)} features in {pages} page(s) but the layer counts "
            f"{counted}: it changed during the snapshot or paging failed; run it again."
        )
    if None not in ids and len(set(ids)) != len(ids):
        raise ServiceError(
            f"{url}: the pages overlap ({len(ids) - len(set(ids))} repeated {oid} values): "
            "the layer changed during the snapshot; run it again."
        )
    collection = {"type": "FeatureCollection", "features": features}
    return {"collection": collection, "url": url, "info": info, "count": counted,
            "pages": pages, "oid_field": oid}


def fetch_layer(endpoint: Endpoint, /, *, session: requests.Session | None = None,
                base: str | None = None, page_size: int | None = None,
                policy: HttpPolicy = DEFAULT_POLICY) -> dict:
    """Every feature of one layer as one GeoJSON FeatureCollection (EPSG:4326).

    Parameters
    ----------
    endpoint : Endpoint
    session : requests.Session, optional
    base : str, optional
        Base address (default: :func:`base_url`).
    page_size : int, optional
        Features per request (default: the layer's ``maxRecordCount``, at most 2000).
    policy : HttpPolicy
        Deadline of each request and the retry budget
        (:class:`frontline.sources.network.HttpPolicy`).

    Returns
    -------
    dict
        ``{"collection": FeatureCollection, "url", "info", "count", "pages",
        "oid_field"}``.

    Raises
    ------
    ServiceError
        HTTP error, HTML page, ArcGIS error, or fewer/more features than the layer counts.
    """
    session = session or new_session()
    url = _layer_url(base, endpoint.service, endpoint.layer_id)
    return _query_all(session, url, "1=1", oid_hint=endpoint.oid_field,
                      page_size=page_size, policy=policy)


def _ids(features: list, oid: str) -> list:
    return [(f.get("properties") or {}).get(oid, f.get("id")) for f in features]


def _repeats(features: list, oid: str) -> bool:
    ids = _ids(features, oid)
    return None not in ids and len(set(ids)) < len(ids)


def _epoch_ms(value) -> str:
    if not value:
        return ""
    stamp = dt.datetime.fromtimestamp(int(value) / 1000, tz=dt.timezone.utc)
    return stamp.isoformat()


def _policy(retries, backoff, deadline, budget) -> HttpPolicy:
    return DEFAULT_POLICY.with_(retries=retries, backoff=backoff, deadline=deadline,
                                budget=budget)


def _batch(source_url: str, service: str, layer: str, day: pd.Timestamp, features: list,
           provenance: dict, *, layer_name: str | None = None, stored_name: str | None = None):
    """(canonical frame, sha256, provenance, raw bytes) for one layer's features.

    ``layer_name`` (default: the service name) must be a spelling frontline knows;
    ``stored_name`` (default: the same) is the name kept in the row's ``layer_name``.
    """
    collection = {"type": "FeatureCollection", "features": features}
    raw = json.dumps(collection, sort_keys=True, separators=(",", ":")).encode("utf-8")
    sha = hashlib.sha256(raw).hexdigest()
    frame = gpd.GeoDataFrame.from_features(features, crs="EPSG:4326")
    row = readers.layer_row("isw", day, layer_name or service, source_url, service, frame)
    row["layer"] = layer  # the table decides, not the spelling
    if stored_name is not None:
        row["layer_name"] = stored_name
    return readers.canonical_frame([row]), sha, {**provenance, "sha256": sha}, raw


_REPORT = ["layer", "service", "features", "pages", "sha256", "status", "vintage", "date"]


def _store(root, batches, report, retrieved, columns=tuple(_REPORT)) -> pd.DataFrame:
    stored = (append_tables(archive_dir(root), batches, retrieved.replace(tzinfo=None))
              if batches else pd.DataFrame(columns=["layer", "vintage", "status"]))
    by_layer = stored.set_index("layer") if len(stored) else None
    for line in report:
        if by_layer is not None and line["layer"] in by_layer.index and not line["status"]:
            line["status"] = by_layer.loc[line["layer"], "status"]
            line["vintage"] = int(by_layer.loc[line["layer"], "vintage"])
    return pd.DataFrame(report, columns=list(columns))


def snapshot_isw(*, root: str | os.PathLike[str] | None = None, layers: Iterable[str] | None = None,
                 endpoints: Sequence[Endpoint] = ENDPOINTS, base: str | None = None,
                 on_empty: str = "error", page_size: int | None = None, retries: int = 3,
                 backoff: float = 1.0, deadline: float | None = None,
                 budget: float | None = None, date: str | dt.date | None = None,
                 progress: bool = True) -> pd.DataFrame:
    """Take today's state of ISW's live ArcGIS layers and store it in the archive.

    Parameters
    ----------
    root : path-like, optional
        The archive (see :func:`frontline.sources.archive.archive_dir`).
    layers : iterable of str, optional
        Canonical layers to take (default: every row of ``endpoints``).
    endpoints : sequence of Endpoint
        The endpoint table (default: :data:`ENDPOINTS`).
    base : str, optional
        Base address (default: ``$FRONTLINE_ARCGIS_URL``, else ISW's organisation).
    on_empty : {"error", "skip"}
        A layer with no features raises (nothing is stored), or is left out.
    page_size : int, optional
        Features per request (default: the layer's own maximum).
    retries, backoff, deadline, budget
        Retries after HTTP 429/5xx, the first wait, the seconds one request may take
        and all attempts of one request together (:class:`~frontline.sources.network.HttpPolicy`).
    date : date-like, optional
        The day the snapshot stands for (default: the UTC day of retrieval). For ISW's
        map of a past day use :func:`snapshot_isw_day`.
    progress : bool
        A progress bar over the layers, on stderr.

    Returns
    -------
    pandas.DataFrame
        One row per layer: ``layer, service, features, pages, sha256, status, vintage,
        date``.

    Raises
    ------
    ServiceError
        Any layer that cannot be read completely; nothing is stored then.
    """
    if on_empty not in ("error", "skip"):
        raise InvalidArgumentError(f"on_empty must be 'error' or 'skip', not {on_empty!r}.")
    chosen = [e for e in endpoints if layers is None or e.layer in set(layers)]
    if layers is not None:
        unknown = set(layers) - {e.layer for e in endpoints}
        if unknown:
            raise InvalidArgumentError(f"No endpoint for layer(s) {sorted(unknown)}: choose from "
                             f"{', '.join(e.layer for e in endpoints)}.")
    policy = _policy(retries, backoff, deadline, budget)
    retrieved = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    day = pd.Timestamp(date) if date is not None else pd.Timestamp(retrieved.date())
    batches, report = [], []
    with new_session() as session:
        for endpoint in tqdm(chosen, desc="snapshot", unit="layer", disable=not progress):
            got = fetch_layer(endpoint, session=session, base=base, page_size=page_size,
                              policy=policy)
            features = got["collection"]["features"]
            line = {"layer": endpoint.layer, "service": endpoint.service,
                    "date": f"{day:%Y-%m-%d}", "features": len(features),
                    "pages": got["pages"], "sha256": "", "status": "", "vintage": pd.NA}
            if not features:
                if on_empty == "skip":
                    log.warning("%s: no features; left out (on_empty='skip')", got["url"])
                    report.append({**line, "status": "empty, skipped"})
                    continue
                raise ServiceError(
                    f"{got['url']}: returned no features. The layer may be empty for now or "
                    "the service renamed: check the endpoint table in "
                    "frontline/sources/services.py, or pass --on-empty skip to store the "
                    "other layers. Nothing was stored."
                )
            provenance = {
                "kind": "arcgis", "service_url": got["url"], "service": endpoint.service,
                "service_version": endpoint.version, "layer_id": endpoint.layer_id,
                "server_version": got["info"].get("currentVersion"),
                "retrieved_at": retrieved.isoformat(), "features": len(features),
                "service_count": got["count"], "pages": got["pages"],
                "oid_field": got["oid_field"], "endpoint_checked": endpoint.checked,
                "last_edit": _epoch_ms((got["info"].get("editingInfo") or {})
                                       .get("lastEditDate")),
            }
            batch = _batch(got["url"], endpoint.service, endpoint.layer, day, features,
                           provenance)
            batches.append(batch)
            report.append({**line, "sha256": batch[1]})
    return _store(root, batches, report, retrieved)


# ------------------------------------------------------------------ past days


def _day_of(value) -> str | None:
    """A time-lapse date value (epoch ms, or ``YYYY-MM-DD...``) as an ISO day."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return dt.datetime.fromtimestamp(value / 1000, tz=dt.timezone.utc).date().isoformat()
    if isinstance(value, str) and re.match(r"\d{4}-\d{2}-\d{2}", value):
        return value[:10]
    return None


def _held(session, url: str, date_field: str, policy: HttpPolicy) -> list[str]:
    """The days (ISO, sorted) a layer's date field holds (``returnDistinctValues``)."""
    answer = _get_json(session, f"{url}/query", {
        "where": "1=1", "outFields": date_field, "returnDistinctValues": "true",
        "returnGeometry": "false", "f": "json"}, policy=policy)
    features = answer.get("features")
    if not isinstance(features, list):
        raise ServiceError(f"{url}/query: the list of dates has no 'features' (keys: "
                           f"{sorted(answer)[:6]}): {_FIX}")
    days = {_day_of((f.get("attributes") or {}).get(date_field))
            for f in features if isinstance(f, dict)}
    return sorted(d for d in days if d)


def timelapse_dates(layer: Timelapse, /, *, session: requests.Session | None = None,
                    base: str | None = None, layer_id: int | None = None,
                    policy: HttpPolicy = DEFAULT_POLICY) -> list[str]:
    """The days (ISO, sorted) one time-lapse layer holds, as the service lists them.

    Asks ``returnDistinctValues=true&outFields=<date field>`` of layer ``layer_id``
    (default: the table's ``layer.layer_id``).
    """
    session = session or new_session()
    url = _layer_url(base, layer.service, layer.layer_id if layer_id is None else layer_id)
    return _held(session, url, layer.date_field, policy)


def service_layers(service: str, /, *, session: requests.Session | None = None,
                   base: str | None = None,
                   policy: HttpPolicy = DEFAULT_POLICY) -> list[tuple[int, str]]:
    """The ``(id, name)`` of every layer a FeatureServer service lists.

    Reads the service's root listing, ``GET <service>/FeatureServer?f=json`` (ArcGIS
    REST: ``{"layers": [{"id": 0, "name": "..."}, ...]}``).

    Raises
    ------
    ServiceError
        The answer is not such a listing.
    """
    session = session or new_session()
    url = _service_url(base, service)
    answer = _get_json(session, url, {"f": "json"}, policy=policy)
    layers = answer.get("layers")
    if not isinstance(layers, list) or any(
            not isinstance(item, dict) or not isinstance(item.get("id"), int)
            or not isinstance(item.get("name"), str) for item in layers):
        raise ServiceError(f"{url}: not a FeatureServer listing (expected {{'layers': "
                           f"[{{'id', 'name'}}, ...]}}, keys: {sorted(answer)[:6]}): {_FIX}")
    return [(int(item["id"]), item["name"]) for item in layers]


#: The canonical layers an ISW service can hold (DeepState's ``occupied`` and the area
#: tables' ``other`` are not ISW map layers).
_ISW_LAYERS = frozenset(LAYERS) - {"occupied", "other"}


def monthly_layer(name: str, /, *, names: LayerNames = MONTHLY_LAYER_NAMES) -> str | None:
    """The canonical layer a monthly service's layer name stands for, or None.

    The spellings :func:`frontline.layers.canonical_layer` knows come first (ISW's full
    names, Kursk and pre-2022 layers); then the patterns of
    :data:`frontline.sources.services.MONTHLY_LAYER_NAMES`. None: no pattern knows the
    name (the caller reports it; nothing is guessed).

    Examples
    --------
    >>> monthly_layer("Advances_Merge_JAN")
    'advances'
    >>> monthly_layer("Claimed_Russian_Territory_Merge_JAN")
    'claimed'
    >>> monthly_layer("Kursk_Advances_Merge_JAN") is None
    True
    """
    try:
        layer = canonical_layer(name)
    except UnknownLayerError:
        layer = None
    if layer in _ISW_LAYERS:
        return layer
    compact = re.sub(r"[^a-z0-9]", "", name.lower())
    for pattern, canonical in names.patterns:
        if re.search(pattern, compact):
            return canonical
    return None


def _where(layer: Timelapse, day: str) -> str:
    after = (dt.date.fromisoformat(day) + dt.timedelta(days=1)).isoformat()
    if layer.date_only:
        return f"{layer.date_field} >= DATE '{day}' AND {layer.date_field} < DATE '{after}'"
    return (f"{layer.date_field} >= TIMESTAMP '{day} 00:00:00' AND "
            f"{layer.date_field} < TIMESTAMP '{after} 00:00:00'")


def _candidates(day: str, layers) -> list[Timelapse]:
    """The services whose span holds ``day``; else the nearest one on each side."""
    inside = [t for t in layers if t.first <= day <= t.last]
    if inside:
        return inside
    before = [t for t in layers if t.last < day]
    after = [t for t in layers if t.first > day]
    return ([max(before, key=lambda t: t.last)] if before else []) + (
        [min(after, key=lambda t: t.first)] if after else [])


_DAY_REPORT = (*_REPORT, "layer_id", "layer_name")


def _service_layers(session, entry: Timelapse, names: LayerNames, base, policy):
    """``(id, name, canonical layer or None)`` of a time-lapse service's layers."""
    if not entry.listing:
        return [(entry.layer_id, entry.service, entry.layer)]
    return [(i, name, monthly_layer(name, names=names))
            for i, name in service_layers(entry.service, session=session, base=base,
                                          policy=policy)]


def snapshot_isw_day(date: str | dt.date, /, *, root: str | os.PathLike[str] | None = None,
                     timelapse: TimelapseService = ISW_TIMELAPSE, base: str | None = None,
                     page_size: int | None = None, retries: int = 3, backoff: float = 1.0,
                     deadline: float | None = None, budget: float | None = None,
                     progress: bool = True) -> pd.DataFrame:
    """Store ISW's map of a past day from its time-lapse or monthly services.

    The services of :data:`frontline.sources.services.ISW_TIMELAPSE` whose span holds
    ``date`` are asked which days they hold; the first that holds ``date`` gives every
    feature dated that day (paged, counted and checked like a live snapshot). The daily
    time-lapse (2022-02-24 → 2024-12-31) holds the control layer; a monthly service
    (2025–26) lists its layers, and every layer whose name :func:`monthly_layer`
    recognises and that holds ``date`` is stored. Each stored layer (source ``isw``,
    dated ``date``) says in its provenance which service, layer id, layer name and date
    it came from.

    Parameters
    ----------
    date : date-like
        The day wanted (UTC).
    root : path-like, optional
        The archive.
    timelapse : TimelapseService
        The table of services (default: :data:`~frontline.sources.services.ISW_TIMELAPSE`).
    base, page_size, retries, backoff, deadline, budget, progress
        As for :func:`snapshot_isw`.

    Returns
    -------
    pandas.DataFrame
        One row per layer of the service that gave the day: ``layer, service, features,
        pages, sha256, status, vintage, date, layer_id, layer_name``. Layers not stored
        say why in ``status``: ``unknown layer name, not taken`` (``layer`` empty; also
        a :class:`~frontline.errors.FrontlineWarning`) or ``no features on <date>``.

    Raises
    ------
    NotFoundError
        No service holds ``date``: the message names the nearest dates each service
        asked has, before and after.
    ServiceError
        A service cannot be read completely, a layer lists the day but gives no features
        for it, or two of its layers read as the same canonical layer on that day.
    """
    day = pd.Timestamp(date)
    if day.tzinfo is not None:
        day = day.tz_convert("UTC").tz_localize(None)
    iso = f"{day:%Y-%m-%d}"
    policy = _policy(retries, backoff, deadline, budget)
    retrieved = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    nearest = []
    with new_session() as session:
        for entry in tqdm(_candidates(iso, timelapse.layers), desc="time-lapse",
                          unit="service", disable=not progress):
            listed = _service_layers(session, entry, timelapse.names, base, policy)
            unknown = [(i, name) for i, name, layer in listed if layer is None]
            if unknown:
                warnings.warn(
                    f"{_service_url(base, entry.service)}: layer name(s) "
                    f"{', '.join(f'{i} {name!r}' for i, name in unknown)} match no pattern: "
                    "not taken. Add the name to MONTHLY_LAYER_NAMES in "
                    "frontline/sources/services.py if it is an ISW layer.",
                    FrontlineWarning, stacklevel=2)
            batches, report, held_any, taken = [], [], set(), {}
            for layer_id, name, layer in listed:
                line = {"layer": layer or "", "service": entry.service, "date": iso,
                        "features": 0, "pages": 0, "sha256": "", "status": "",
                        "vintage": pd.NA, "layer_id": layer_id, "layer_name": name}
                if layer is None:
                    report.append({**line, "status": "unknown layer name, not taken"})
                    continue
                url = _layer_url(base, entry.service, layer_id)
                held = _held(session, url, entry.date_field, policy)
                held_any.update(held)
                if iso not in held:
                    report.append({**line, "status": f"no features on {iso}"})
                    continue
                if layer in taken:
                    raise ServiceError(
                        f"{_service_url(base, entry.service)}: layers "
                        f"{taken[layer][0]} {taken[layer][1]!r} and {layer_id} {name!r} both "
                        f"read as {layer!r} on {iso}: frontline will not choose. Make the "
                        "patterns of MONTHLY_LAYER_NAMES in frontline/sources/services.py "
                        "tell them apart; nothing was stored.")
                taken[layer] = (layer_id, name)
                got = _query_all(session, url, _where(entry, iso), oid_hint="OBJECTID",
                                 page_size=page_size, policy=policy)
                features = got["collection"]["features"]
                if not features:
                    raise ServiceError(
                        f"{url}: lists {iso} among its dates but returned no features for "
                        f"it (where {_where(entry, iso)}): nothing was stored; try again "
                        "later or another date."
                    )
                provenance = {
                    "kind": "arcgis-timelapse", "service_url": url, "service": entry.service,
                    "layer_id": layer_id, "layer_name": name, "date_field": entry.date_field,
                    "service_date": iso, "where": _where(entry, iso),
                    "retrieved_at": retrieved.isoformat(), "features": len(features),
                    "service_count": got["count"], "pages": got["pages"],
                    "oid_field": got["oid_field"], "table_checked": timelapse.checked,
                    "names_checked": timelapse.names.checked if entry.listing else "",
                    "server_version": got["info"].get("currentVersion"),
                }
                batch = _batch(url, entry.service, layer, day, features, provenance,
                               layer_name=layer, stored_name=name)
                batches.append(batch)
                report.append({**line, "features": len(features), "pages": got["pages"],
                               "sha256": batch[1]})
            if batches:
                return _store(root, batches, report, retrieved, _DAY_REPORT)
            earlier = [d for d in held_any if d < iso]
            later = [d for d in held_any if d > iso]
            nearest.append(f"{entry.service}: {max(earlier) if earlier else 'none'} "
                           f"before, {min(later) if later else 'none'} after")
    raise NotFoundError(
        f"No ISW time-lapse service holds {iso}. Nearest dates: {'; '.join(nearest)}. "
        "Choose one of those dates (ISW's time-lapses cover 2022-02-24 → 2024-12-31 daily, "
        "then month by month); for today's map run `frontline snapshot isw` without --date."
    )
