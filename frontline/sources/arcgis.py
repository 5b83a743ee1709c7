"""Snapshots of ISW's public ArcGIS layers, stored in the archive with their provenance.

ISW and AEI's Critical Threats Project publish their live map layers as ArcGIS
FeatureServer services. Their names change over time (``_V2``/``_V3`` suffixes, ``VIEW_``
prefixes) and so does the object-id field (``FID`` or ``OBJECTID``), so every address lives
in one table, :data:`ENDPOINTS`. The object-id field each layer really uses is read from
the layer's own description (``?f=json``) before paging.

:func:`snapshot_isw` asks each layer for every feature as EPSG:4326 GeoJSON, page by page
(``resultOffset``/``resultRecordCount`` until ``exceededTransferLimit`` is false and a page
comes back short), checks the total against the service's own count, backs off on HTTP
429/5xx (honouring ``Retry-After``), and rejects HTML error pages, ArcGIS error objects and
empty layers with one clear error. Only when every layer has arrived is anything written:
each layer becomes one archive row (source ``isw``, dated the UTC day of retrieval) with
its provenance (retrieval time, service URL and version, feature and page counts, sha256)
and the raw GeoJSON kept in the archive's ``raw/`` folder.

The base address is ``$FRONTLINE_ARCGIS_URL`` when set (tests point it at a local server).

.. note::
   The control, advances and infiltration service names are the ones public code uses
   against ISW's organisation today; the claimed, counteroffensives, pre-2022 and Kursk
   names come from older copies of ISW's layers (Nikkei's 2023 files) and public web
   maps, and could not be checked from here. :data:`ENDPOINTS` says which is which.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import os
import re
from dataclasses import asdict, dataclass

import geopandas as gpd
import pandas as pd
import requests
from tqdm.auto import tqdm

from frontline.errors import InvalidArgumentError, ServiceError
from frontline.io import readers
from frontline.sources.archive import append_tables, archive_dir
from frontline.sources.fetch import USER_AGENT, get_with_retries

__all__ = ["DEFAULT_BASE_URL", "ENDPOINTS", "ENV_ARCGIS_URL", "Endpoint",
           "endpoints_table", "fetch_layer", "snapshot_isw"]

log = logging.getLogger(__name__)

ENV_ARCGIS_URL = "FRONTLINE_ARCGIS_URL"
DEFAULT_BASE_URL = "https://services5.arcgis.com/SaBe5HMtmnbqSWlu/arcgis/rest/services"


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
    checked : bool
        True when the name is known to answer today; False for names taken from older
        copies (see the module note).
    """

    layer: str
    service: str
    layer_id: int = 0
    oid_field: str = "OBJECTID"
    checked: bool = False

    @property
    def version(self) -> str:
        """The service's version suffix (``V3``), or ``""``."""
        match = re.search(r"_(V\d+)(?:_|$)", self.service, re.I)
        return match.group(1).upper() if match else ""


#: Every ISW layer a snapshot takes, in one table.
ENDPOINTS: tuple[Endpoint, ...] = (
    Endpoint("control", "VIEW_RussiaCoTinUkraine_V3", 49, "OBJECTID", True),
    Endpoint("advances", "AssessedRussianAdvanceInUkraine_V2_view", 0, "OBJECTID", True),
    Endpoint("claimed", "VIEW_ClaimedRussianTerritoryinUkraine_V2", 0, "FID", False),
    Endpoint("counteroffensives", "VIEW_ClaimedUkrainianCounteroffensives_V2", 0, "FID",
             False),
    Endpoint("infiltration", "View_AssessedRussianInfiltrationAreasinUkraine_V4", 0,
             "OBJECTID", True),
    Endpoint("pre2022", "VIEW_Russian_controlled_Ukrainian_Territory_before_February_24_2022",
             36, "OBJECTID", False),
    Endpoint("kursk_ukrainian_advance", "VIEW_Kursk_Incursion_Claimed_Limit_of_Ukrainian_Advance",
             0, "FID", False),
)


def endpoints_table(endpoints=ENDPOINTS) -> pd.DataFrame:
    """The endpoint table as a DataFrame (one row per layer, with its version)."""
    return pd.DataFrame([{**asdict(e), "version": e.version} for e in endpoints])


def base_url() -> str:
    """``$FRONTLINE_ARCGIS_URL``, else ISW's ArcGIS organisation."""
    return (os.environ.get(ENV_ARCGIS_URL) or DEFAULT_BASE_URL).rstrip("/")


# ------------------------------------------------------------------- requests


def _get_json(session: requests.Session, url: str, params: dict, *, retries: int,
              backoff: float) -> dict:
    """GET an ArcGIS REST answer as JSON; every failure becomes one ServiceError."""
    try:
        response = get_with_retries(session, url, params=params, retries=retries,
                                    backoff=backoff)
    except requests.RequestException as err:
        raise ServiceError(
            f"{url}: no answer ({' '.join(str(err).split())}): check the network and "
            f"${ENV_ARCGIS_URL}, then run the snapshot again."
        ) from err
    with response:
        body = response.content
        kind = response.headers.get("Content-Type", "")
        if response.status_code >= 400:
            raise ServiceError(
                f"{url}: HTTP {response.status_code} {response.reason}: the service is down "
                "or was renamed; check the endpoint table in frontline/arcgis.py."
            )
    if "html" in kind.lower() or body.lstrip()[:1] == b"<":
        title = re.search(rb"<title>(.*?)</title>", body, re.I | re.S)
        shown = title.group(1).decode(errors="replace").strip() if title else ""
        raise ServiceError(
            f"{url}: returned an HTML page{f' ({shown!r})' if shown else ''} instead of "
            "JSON: the service is down, asks for a login, or was renamed; try again later "
            "or check the endpoint table in frontline/arcgis.py."
        )
    try:
        answer = json.loads(body)
    except ValueError as err:
        raise ServiceError(f"{url}: the answer is not JSON ({err}); try again later.") from err
    if isinstance(answer, dict) and "error" in answer:
        error = answer["error"] or {}
        raise ServiceError(
            f"{url}: ArcGIS error {error.get('code', '?')}: {error.get('message', '')} "
            f"{' '.join(map(str, error.get('details') or []))}".rstrip()
            + ". Check the endpoint table in frontline/arcgis.py."
        )
    if not isinstance(answer, dict):
        raise ServiceError(f"{url}: expected a JSON object, got {type(answer).__name__}.")
    return answer


def _exceeded(page: dict) -> bool:
    return bool(page.get("exceededTransferLimit")
                or (page.get("properties") or {}).get("exceededTransferLimit"))


def fetch_layer(endpoint: Endpoint, /, *, session: requests.Session | None = None,
                base: str | None = None, page_size: int | None = None, retries: int = 3,
                backoff: float = 1.0) -> dict:
    """Every feature of one layer as one GeoJSON FeatureCollection (EPSG:4326).

    Parameters
    ----------
    endpoint : Endpoint
    session : requests.Session, optional
    base : str, optional
        Base address (default: :func:`base_url`).
    page_size : int, optional
        Features per request (default: the layer's ``maxRecordCount``, at most 2000).
    retries, backoff
        Retries after HTTP 429/5xx or a dropped connection, and the first wait (s).

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
    session = session or _session()
    url = f"{base or base_url()}/{endpoint.service}/FeatureServer/{endpoint.layer_id}"
    info = _get_json(session, url, {"f": "json"}, retries=retries, backoff=backoff)
    oid = info.get("objectIdField") or endpoint.oid_field
    if oid != endpoint.oid_field:
        log.info("%s: object-id field is %s (table says %s)", url, oid, endpoint.oid_field)
    limit = int(info.get("maxRecordCount") or 2000)
    size = max(1, min(page_size or limit, limit))
    counted = _get_json(session, f"{url}/query",
                        {"where": "1=1", "returnCountOnly": "true", "f": "json"},
                        retries=retries, backoff=backoff).get("count")
    features, pages, offset = [], 0, 0
    while True:
        page = _get_json(session, f"{url}/query", {
            "where": "1=1", "outFields": "*", "returnGeometry": "true", "f": "geojson",
            "outSR": "4326", "orderByFields": f"{oid} ASC", "resultOffset": str(offset),
            "resultRecordCount": str(size),
        }, retries=retries, backoff=backoff)
        found = page.get("features")
        if not isinstance(found, list) or any(
                not isinstance(f, dict) or f.get("type") != "Feature" for f in found[:1]):
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


def _ids(features: list, oid: str) -> list:
    return [(f.get("properties") or {}).get(oid, f.get("id")) for f in features]


def _repeats(features: list, oid: str) -> bool:
    ids = _ids(features, oid)
    return None not in ids and len(set(ids)) < len(ids)


def _session() -> requests.Session:
    session = requests.Session()
    session.headers["User-Agent"] = USER_AGENT
    return session


def _epoch_ms(value) -> str:
    if not value:
        return ""
    stamp = dt.datetime.fromtimestamp(int(value) / 1000, tz=dt.timezone.utc)
    return stamp.isoformat()


def snapshot_isw(*, root=None, layers=None, endpoints=ENDPOINTS, base: str | None = None,
                 on_empty: str = "error", page_size: int | None = None, retries: int = 3,
                 backoff: float = 1.0, date=None, progress: bool = True) -> pd.DataFrame:
    """Take today's state of ISW's ArcGIS layers and store it in the archive.

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
    retries, backoff
        Retries after HTTP 429/5xx, and the first wait in seconds.
    date : date-like, optional
        The day the snapshot stands for (default: the UTC day of retrieval).
    progress : bool
        A progress bar over the layers, on stderr.

    Returns
    -------
    pandas.DataFrame
        One row per layer: ``layer, service, features, pages, sha256, status, vintage``.

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
    session = _session()
    retrieved = dt.datetime.now(dt.timezone.utc).replace(microsecond=0)
    day = pd.Timestamp(date) if date is not None else pd.Timestamp(retrieved.date())
    batches, report = [], []
    with session:
        for endpoint in tqdm(chosen, desc="snapshot", unit="layer", disable=not progress):
            got = fetch_layer(endpoint, session=session, base=base, page_size=page_size,
                              retries=retries, backoff=backoff)
            features = got["collection"]["features"]
            if not features:
                if on_empty == "skip":
                    log.warning("%s: no features; left out (on_empty='skip')", got["url"])
                    report.append({"layer": endpoint.layer, "service": endpoint.service,
                                   "features": 0, "pages": got["pages"], "sha256": "",
                                   "status": "empty, skipped", "vintage": pd.NA})
                    continue
                raise ServiceError(
                    f"{got['url']}: returned no features. The layer may be empty for now or "
                    "the service renamed: check the endpoint table in frontline/arcgis.py, "
                    "or pass --on-empty skip to store the other layers. Nothing was stored."
                )
            raw = json.dumps(got["collection"], sort_keys=True,
                             separators=(",", ":")).encode("utf-8")
            sha = hashlib.sha256(raw).hexdigest()
            frame = gpd.GeoDataFrame.from_features(features, crs="EPSG:4326")
            row = readers.layer_row("isw", day, endpoint.service, got["url"], endpoint.service,
                               frame)
            row["layer"] = endpoint.layer  # the table decides, not the spelling
            provenance = {
                "kind": "arcgis", "service_url": got["url"], "service": endpoint.service,
                "service_version": endpoint.version, "layer_id": endpoint.layer_id,
                "server_version": got["info"].get("currentVersion"),
                "retrieved_at": retrieved.isoformat(), "features": len(features),
                "service_count": got["count"], "pages": got["pages"],
                "oid_field": got["oid_field"],
                "last_edit": _epoch_ms((got["info"].get("editingInfo") or {})
                                       .get("lastEditDate")),
                "sha256": sha,
            }
            batches.append((readers.canonical_frame([row]), sha, provenance, raw))
            report.append({"layer": endpoint.layer, "service": endpoint.service,
                           "features": len(features), "pages": got["pages"], "sha256": sha,
                           "status": "", "vintage": pd.NA})
    stored = (append_tables(archive_dir(root), batches, retrieved.replace(tzinfo=None))
              if batches else pd.DataFrame(columns=["layer", "vintage", "status"]))
    by_layer = stored.set_index("layer") if len(stored) else None
    for line in report:
        if by_layer is not None and line["layer"] in by_layer.index and not line["status"]:
            line["status"] = by_layer.loc[line["layer"], "status"]
            line["vintage"] = int(by_layer.loc[line["layer"], "vintage"])
    return pd.DataFrame(report, columns=["layer", "service", "features", "pages", "sha256",
                                         "status", "vintage"])
