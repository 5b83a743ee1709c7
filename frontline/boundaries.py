"""Ukraine's administrative units, town points, and custom areas built from them.

Boundaries are read from ``<data_dir>/boundaries`` (see ``data/README.md``)::

    osm_darmat1/adm2_raions_by_oblast/<oblast>.geojson     raions (admin_level 6)
    osm_darmat1/adm3_hromadas_by_raion/<oblast>.<raion>.geojson   hromadas (admin_level 7)
    settlements/frontline_towns.csv, settlements/geonames_cities500_UA.csv   town points

Levels
------
``raion``
    The 136 raions of the 2020 reform (OSM, full resolution, KATOTTH codes), Crimea's
    10 included. Other features in those files are left out: ``kyyivska_oblast.geojson``
    also holds the Kyiv city outline (admin_level 4) and ``kyyiv.geojson`` Kyiv's city
    districts (admin_level 10).
``oblast``
    The dissolve of each oblast's raions, plus Kyiv city (the admin_level 4 outline), coded
    by ISO 3166-2 (``UA-14`` = Donetsk oblast). **Sevastopol is missing**: the OSM set has
    no feature for it, so no oblast-level unit covers the city (about 864 km²). Together
    the units cover 602,517 km², against 603,550–603,628 km² for Ukraine in its 2013
    borders.
``hromada``
    The hromadas (admin_level 7) of Donetsk, Luhansk, Kharkiv, Zaporizhzhia and Kherson
    oblasts, the only ones in the data. Settlement polygons and points in those files are
    left out. A hromada's raion comes from its KATOTTH code, not from the file it is in
    (Yasynuvata hromada sits in the Pokrovsk raion file but belongs to Donetsk raion).

Ukraine as a whole
------------------
:func:`load_ukraine` is the country within its internationally recognised borders,
Crimea and Sevastopol included: the union of Minregion's 27 oblast-level units of 2020
(``isw/boundaries_used/ukraine_oblasts_minregion_2020.geojson.gz``, © Мінрегіон, CC
BY-SA), 602,312.71 km² on the WGS84 ellipsoid. It is the denominator of a total's share
of Ukraine (:func:`frontline.changes.total`); the State Statistics Service's stated
603,628 km² differs by 0.22 %.

Where the boundaries come from
------------------------------
Every function takes ``data_dir``: a data directory, or a :class:`~frontline.History`
whose data directory (``History.root``, set by :func:`frontline.load`) holds the
boundaries; None means ``$FRONTLINE_DATA_DIR`` (:func:`boundaries_dir`).

Outlines never used for land areas: geoBoundaries' ADM1 (coastal units include the
territorial sea: Donetsk comes out at 28,936 km² instead of 26,528), Natural Earth and
``osm_darmat1/Ukraine.geojson`` (generalised: 599,095 km² for the whole country).

Names
-----
:func:`find_unit` takes English or Ukrainian names with or without the level word, in
the spellings people use: ``"Pokrovsk"``, ``"Pokrovskyi"``, ``"Покровський район"``,
``"Pokrovsk raion"``, ``"Donetsk oblast"``, ``"Донецька область"`` — or a code
(``UA14160000000061982``, ``UA-14``). Ukrainian is transliterated with the official
national system (Cabinet of Ministers resolution 55 of 2010), and spelling variants
(``y``/``i``/``j``, ``-skyi``/``-skii``/``-sk``, apostrophes) are folded.
"""

from __future__ import annotations

import difflib
import functools
import os
import re
import unicodedata
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd
import pyogrio
import shapely

from frontline.cache import cached_frame
from frontline.errors import AreaError, DataDirError, InvalidArgumentError, UnknownUnitError
from frontline.geodesy import geodesic_area_km2, geodesic_circle
from frontline.history import History
from frontline.overlay import union
from frontline.settings import resolve_data_dir

#: Where boundaries are read from: a data directory, a History (its own folder) or None
#: (``$FRONTLINE_DATA_DIR``); see :func:`boundaries_dir`.
DataDir = str | os.PathLike | History | None

__all__ = [
    "LEVELS",
    "UKRAINE_FILE",
    "UKRAINE_SOURCE",
    "UNIT_COLUMNS",
    "boundaries_dir",
    "load_ukraine",
    "load_units",
    "find_unit",
    "load_towns",
    "find_town",
    "area_from_spec",
    "transliterate",
]

#: Unit levels, coarsest first.
LEVELS = ("oblast", "raion", "hromada")

UNIT_COLUMNS = ["level", "code", "name_uk", "name_en", "oblast", "raion", "area_km2",
                "geometry"]

_RAION_DIR = Path("boundaries", "osm_darmat1", "adm2_raions_by_oblast")
_HROMADA_DIR = Path("boundaries", "osm_darmat1", "adm3_hromadas_by_raion")
_TOWNS = Path("boundaries", "settlements", "frontline_towns.csv")
_GEONAMES = Path("boundaries", "settlements", "geonames_cities500_UA.csv")

#: Ukraine's outline within its internationally recognised borders (inside a data dir).
UKRAINE_FILE = Path("isw", "boundaries_used", "ukraine_oblasts_minregion_2020.geojson.gz")
#: What :func:`load_ukraine` measures, in words (the denominator of a share of Ukraine).
UKRAINE_SOURCE = (
    "Ukraine within its internationally recognised borders, Crimea and Sevastopol "
    "included: geodesic area (WGS84) of the union of Minregion's 2020 oblast boundaries "
    "(27 units; © Мінрегіон, CC BY-SA; isw/boundaries_used/"
    "ukraine_oblasts_minregion_2020.geojson.gz)")

# KATOTTH's two-digit region prefix -> (ISO 3166-2 code, Ukrainian name, English name).
# ISO numbers follow KOATUU except Crimea, Kyiv city, Sevastopol, Luhansk and Chernivtsi.
OBLASTS: dict[str, tuple[str, str, str]] = {
    "UA01": ("UA-43", "Автономна Республіка Крим", "Autonomous Republic of Crimea"),
    "UA05": ("UA-05", "Вінницька область", "Vinnytsia Oblast"),
    "UA07": ("UA-07", "Волинська область", "Volyn Oblast"),
    "UA12": ("UA-12", "Дніпропетровська область", "Dnipropetrovsk Oblast"),
    "UA14": ("UA-14", "Донецька область", "Donetsk Oblast"),
    "UA18": ("UA-18", "Житомирська область", "Zhytomyr Oblast"),
    "UA21": ("UA-21", "Закарпатська область", "Zakarpattia Oblast"),
    "UA23": ("UA-23", "Запорізька область", "Zaporizhzhia Oblast"),
    "UA26": ("UA-26", "Івано-Франківська область", "Ivano-Frankivsk Oblast"),
    "UA32": ("UA-32", "Київська область", "Kyiv Oblast"),
    "UA35": ("UA-35", "Кіровоградська область", "Kirovohrad Oblast"),
    "UA44": ("UA-09", "Луганська область", "Luhansk Oblast"),
    "UA46": ("UA-46", "Львівська область", "Lviv Oblast"),
    "UA48": ("UA-48", "Миколаївська область", "Mykolaiv Oblast"),
    "UA51": ("UA-51", "Одеська область", "Odesa Oblast"),
    "UA53": ("UA-53", "Полтавська область", "Poltava Oblast"),
    "UA56": ("UA-56", "Рівненська область", "Rivne Oblast"),
    "UA59": ("UA-59", "Сумська область", "Sumy Oblast"),
    "UA61": ("UA-61", "Тернопільська область", "Ternopil Oblast"),
    "UA63": ("UA-63", "Харківська область", "Kharkiv Oblast"),
    "UA65": ("UA-65", "Херсонська область", "Kherson Oblast"),
    "UA68": ("UA-68", "Хмельницька область", "Khmelnytskyi Oblast"),
    "UA71": ("UA-71", "Черкаська область", "Cherkasy Oblast"),
    "UA73": ("UA-77", "Чернівецька область", "Chernivtsi Oblast"),
    "UA74": ("UA-74", "Чернігівська область", "Chernihiv Oblast"),
    "UA80": ("UA-30", "Київ", "Kyiv"),
    "UA85": ("UA-40", "Севастополь", "Sevastopol"),
}

# Other names people use for a unit (matched like its own names).
_ALIASES = {
    "UA-43": ("Crimea", "Krym", "Крим"),
    "UA-30": ("Kyiv city", "Kiev city", "місто Київ"),
    "UA-23": ("Zaporizhia Oblast",),
}

# --------------------------------------------------------------------------- names

_UK = {
    "а": "a", "б": "b", "в": "v", "г": "h", "ґ": "g", "д": "d", "е": "e", "є": "ie",
    "ж": "zh", "з": "z", "и": "y", "і": "i", "ї": "i", "й": "i", "к": "k", "л": "l",
    "м": "m", "н": "n", "о": "o", "п": "p", "р": "r", "с": "s", "т": "t", "у": "u",
    "ф": "f", "х": "kh", "ц": "ts", "ч": "ch", "ш": "sh", "щ": "shch", "ь": "", "ю": "iu",
    "я": "ia", "'": "", "’": "", "ʼ": "",
    # Russian letters, for names typed in Russian
    "ы": "y", "э": "e", "ё": "io", "ъ": "",
}
_UK_INITIAL = {"є": "ye", "ї": "yi", "й": "y", "ю": "yu", "я": "ya"}


def transliterate(text: str) -> str:
    """Romanise Ukrainian with the official national system (KMU resolution 55, 2010).

    Examples
    --------
    >>> transliterate("Покровський район")
    'Pokrovskyi raion'
    >>> transliterate("Згурівка, Їжакевич")
    'Zghurivka, Yizhakevych'
    """
    out = []
    previous = ""
    for char in text:
        lower = char.lower()
        initial = not previous or (not previous.isalpha() and previous not in "'’ʼ")
        if lower == "г" and previous.lower() == "з":
            latin = "gh"
        elif initial and lower in _UK_INITIAL:
            latin = _UK_INITIAL[lower]
        else:
            latin = _UK.get(lower, char if lower == char else char.lower())
        if char != lower and latin:
            latin = latin[0].upper() + latin[1:]
        out.append(latin)
        previous = char
    return "".join(out)


_LEVEL_WORDS = {
    "raion": "raion", "rayon": "raion", "raon": "raion", "district": "raion", "rn": "raion",
    "oblast": "oblast", "obl": "oblast", "region": "oblast", "province": "oblast",
    "hromada": "hromada", "hromady": "hromada", "community": "hromada",
    "municipality": "hromada", "gromada": "hromada",
}
_FILLER = {"urban", "rural", "settlement", "city", "town", "village", "miska", "silska",
           "selyshchna", "terytorialna", "territorial", "the", "of", "misto", "selyshche",
           "selo", "avtonomna", "respublika", "autonomous", "republic"}


def _fold(text: str) -> list[str]:
    """Lower-case ASCII words of a name in any script, apostrophes dropped."""
    text = unicodedata.normalize("NFKC", str(text)).strip()
    text = transliterate(text)
    text = unicodedata.normalize("NFKD", text)
    text = "".join(c for c in text if not unicodedata.combining(c)).lower()
    text = re.sub(r"['’ʼ`]", "", text)
    return re.findall(r"[a-z0-9]+", text)


def _phonetic(word: str, *, adjective: bool) -> str:
    word = word.replace("y", "i").replace("j", "i")
    word = re.sub(r"(.)\1+", r"\1", word)  # Zaporizzhia, Avdiiivka -> single letters
    if adjective:
        # Pokrovskyi / Pokrovskii / Pokrovska / Pokrovske -> pokrovsk (the town's stem)
        word = re.sub(r"sk(i|a|e|oi|ogo|aia)$", "sk", word)
    return word


def _keys(text: str, *, adjective: bool = True) -> tuple[str, str, str | None]:
    """(key without level words, key with them, level named in the text or None)."""
    words = _fold(text)
    level = None
    kept = []
    for word in words:
        if word in _LEVEL_WORDS:
            level = level or _LEVEL_WORDS[word]
        elif word not in _FILLER:
            kept.append(word)
    full = "".join(_phonetic(w, adjective=adjective) for w in words)
    key = "".join(_phonetic(w, adjective=adjective) for w in kept)
    return key, full, level


def _stem(key: str) -> str:
    """A key without the endings that tell a town from its raion (Horlivka, Horlivskyi)."""
    return re.sub(r"(sk|ka|a|e|i)$", "", key)


def _display_en(name_uk: str) -> str:
    """An English name for a unit OSM gives none: transliterated, 'Raion'/'hromada'."""
    text = transliterate(name_uk)
    return re.sub(r"\braion\b", "Raion", text)


# --------------------------------------------------------------------------- loading


def boundaries_dir(data_dir: DataDir = None) -> Path:
    """The data directory boundaries are read from.

    Parameters
    ----------
    data_dir : path-like, History or None
        A folder; or a :class:`~frontline.History`, whose own data directory
        (``History.root``) is used when it has one (a history built in memory or from
        the archive has none: then ``$FRONTLINE_DATA_DIR``); None: ``$FRONTLINE_DATA_DIR``.

    Examples
    --------
    With the data in ``../shared/data``::

        history = frontline.load("../shared/data")
        boundaries_dir(history)   # PosixPath('../shared/data'), whatever the environment
    """
    if isinstance(data_dir, History):
        data_dir = data_dir.root
    return resolve_data_dir(data_dir)


def _boundaries(data_dir) -> Path:
    root = boundaries_dir(data_dir)
    folder = root / _RAION_DIR
    if not folder.is_dir() or not any(folder.glob("*.geojson")):
        raise DataDirError(
            f"{folder}: no raion boundaries found. frontline needs the OSM raion files "
            "(darmat1/ukraine-geo-data) laid out as data/README.md describes."
        )
    return root


def _read(path: Path, columns: list[str]) -> gpd.GeoDataFrame:
    frame = pyogrio.read_dataframe(path, columns=columns)  # a column not there is skipped
    for column in columns:
        if column not in frame.columns:
            frame[column] = None
    if frame.crs is None:
        raise DataDirError(f"{path}: the file has no CRS; boundaries must be in EPSG:4326.")
    return frame.to_crs("EPSG:4326")


def _clean_names(frame: pd.DataFrame) -> tuple[pd.Series, pd.Series]:
    name_uk = frame["name:uk"].fillna(frame["name"]).astype(str)
    name_en = frame["name:en"].where(frame["name:en"].notna(), name_uk.map(_display_en))
    return name_uk, name_en.astype(str)


def _valid(geoms: np.ndarray, path: Path) -> np.ndarray:
    geoms = shapely.force_2d(np.asarray(geoms, dtype=object))
    bad = ~shapely.is_valid(geoms)
    if bad.any():
        # OSM multipolygons are valid in this data set; anything else is a broken file.
        raise DataDirError(
            f"{path}: {int(bad.sum())} invalid boundary polygon(s) "
            f"({shapely.is_valid_reason(geoms[bad][0])}): download the file again."
        )
    return geoms


@functools.lru_cache(maxsize=8)
def _load_level(root: Path, level: str) -> gpd.GeoDataFrame:
    if level in LEVELS:  # kept in the layer cache while the boundary files are unchanged
        files = [p for folder in (_RAION_DIR, _HROMADA_DIR) if (root / folder).is_dir()
                 for p in sorted((root / folder).glob("*.geojson"))]
        return cached_frame(f"units:{level}", files, lambda: _build_level(root, level))
    return _build_level(root, level)


def _build_level(root: Path, level: str) -> gpd.GeoDataFrame:
    if level == "raion":
        return _load_raions(root)
    if level == "oblast":
        return _load_oblasts(root)
    if level == "hromada":
        return _load_hromadas(root)
    raise InvalidArgumentError(f"Unknown level {level!r}: choose one of {', '.join(LEVELS)}.")


def _frame(records: dict, geoms) -> gpd.GeoDataFrame:
    frame = gpd.GeoDataFrame(records, geometry=list(geoms), crs="EPSG:4326")
    frame["area_km2"] = geodesic_area_km2(frame.geometry.values)
    frame = frame[UNIT_COLUMNS].sort_values("code").reset_index(drop=True)
    return frame


def _load_raions(root: Path) -> gpd.GeoDataFrame:
    columns = ["admin_level", "katotth", "name", "name:uk", "name:en"]
    parts = []
    for path in sorted((root / _RAION_DIR).glob("*.geojson")):
        frame = _read(path, columns)
        frame = frame[frame["admin_level"].astype(str) == "6"]
        if len(frame):
            frame = frame.assign(geometry=_valid(frame.geometry.values, path))
            parts.append(frame)
    table = pd.concat(parts, ignore_index=True)
    name_uk, name_en = _clean_names(table)
    codes = table["katotth"].astype(str)
    oblasts = codes.str[:4].map(lambda p: OBLASTS.get(p, (None, None, None))[2])
    return _frame({"level": "raion", "code": codes, "name_uk": name_uk, "name_en": name_en,
                   "oblast": oblasts, "raion": name_en}, table.geometry.values)


def _load_oblasts(root: Path) -> gpd.GeoDataFrame:
    raions = _load_level(root, "raion")
    rows, geoms = [], []
    for prefix, group in raions.groupby(raions["code"].str[:4], sort=True):
        iso, uk, en = OBLASTS[prefix]
        rows.append({"level": "oblast", "code": iso, "name_uk": uk, "name_en": en,
                     "oblast": en, "raion": None})
        geoms.append(union(group.geometry.values))
    kyiv = root / _RAION_DIR / "kyyivska_oblast.geojson"
    if kyiv.exists():
        city = _read(kyiv, ["admin_level", "katotth"])
        city = city[city["admin_level"].astype(str) == "4"]
        if len(city):
            iso, uk, en = OBLASTS["UA80"]
            rows.append({"level": "oblast", "code": iso, "name_uk": uk, "name_en": en,
                         "oblast": en, "raion": None})
            geoms.append(shapely.union_all(_valid(city.geometry.values, kyiv)))
    return _frame(pd.DataFrame(rows), geoms)


def _load_hromadas(root: Path) -> gpd.GeoDataFrame:
    folder = root / _HROMADA_DIR
    paths = sorted(folder.glob("*.geojson")) if folder.is_dir() else []
    if not paths:
        raise DataDirError(f"{folder}: no hromada boundaries found (see data/README.md).")
    columns = ["admin_level", "katotth", "name", "name:uk", "name:en"]
    parts = []
    for path in paths:
        frame = _read(path, columns)
        frame = frame[(frame["admin_level"].astype(str) == "7")
                      & frame.geom_type.isin(["Polygon", "MultiPolygon"])]
        if len(frame):
            parts.append(frame.assign(geometry=_valid(frame.geometry.values, path)))
    table = pd.concat(parts, ignore_index=True).drop_duplicates("katotth")
    name_uk, name_en = _clean_names(table)
    codes = table["katotth"].astype(str)
    raions = _load_level(root, "raion")
    raion_names = dict(zip(raions["code"].str[:6], raions["name_en"], strict=True))
    return _frame({"level": "hromada", "code": codes, "name_uk": name_uk, "name_en": name_en,
                   "oblast": codes.str[:4].map(lambda p: OBLASTS.get(p, (None,) * 3)[2]),
                   "raion": codes.str[:6].map(raion_names)}, table.geometry.values)


def load_units(level: str = "raion", *, data_dir: DataDir = None) -> gpd.GeoDataFrame:
    """Load one level of Ukraine's administrative units, with geodesic land areas.

    Parameters
    ----------
    level : {"raion", "oblast", "hromada"}
    data_dir : path, optional
        The data directory (default ``$FRONTLINE_DATA_DIR``); boundaries are read from
        its ``boundaries/`` folder. Loaded units are cached per directory.

    Returns
    -------
    geopandas.GeoDataFrame
        EPSG:4326, one row per unit: ``level, code, name_uk, name_en, oblast, raion,
        area_km2, geometry``. Codes are KATOTTH for raions and hromadas and ISO 3166-2
        for oblasts; ``area_km2`` is the geodesic area on the WGS84 ellipsoid.

    Examples
    --------
    With ``FRONTLINE_DATA_DIR`` pointing at the data (``tests/boundaries/test_boundaries.py``)::

        raions = load_units("raion")
        len(raions), round(raions.area_km2.sum())   # (136, 601696)
    """
    if level not in LEVELS:
        raise InvalidArgumentError(f"Unknown level {level!r}: choose one of {', '.join(LEVELS)}.")
    return _load_level(_boundaries(data_dir).resolve(), level).copy()


@functools.lru_cache(maxsize=4)
def _ukraine(root: Path) -> gpd.GeoDataFrame:
    path = root / UKRAINE_FILE
    if not path.exists():
        raise DataDirError(
            f"{path}: Ukraine's outline (Minregion 2020 oblasts) not found; it is the "
            "denominator of a share of Ukraine. Get it with `frontline fetch boundaries`, "
            "or leave the share out (share=False, --no-share).")
    target = f"/vsigzip/{path}" if path.suffix == ".gz" else str(path)
    frame = _read(target, ["ADMIN_1"])
    geoms = _valid(frame.geometry.values, path)
    if len(geoms) != 27:
        raise DataDirError(f"{path}: {len(geoms)} units, expected Minregion's 27 (24 oblasts, "
                           "Crimea, Kyiv, Sevastopol): download the file again.")
    return _one({"level": "country", "code": "UA", "name": "Ukraine", "name_en": "Ukraine"},
                shapely.union_all(geoms)).assign(source=UKRAINE_SOURCE, file=str(path))


def load_ukraine(*, data_dir: DataDir = None) -> gpd.GeoDataFrame:
    """Ukraine within its internationally recognised borders, Crimea and Sevastopol included.

    Returns
    -------
    geopandas.GeoDataFrame
        One row: ``level`` ("country"), ``code`` ("UA"), ``name``, ``name_en``,
        ``area_km2`` (geodesic, WGS84: 602,312.71 km² for Minregion's 2020 units),
        ``geometry``, ``source`` (:data:`UKRAINE_SOURCE`) and ``file``.

    Raises
    ------
    DataDirError
        The outline (:data:`UKRAINE_FILE`) is not in the data directory.
    """
    return _ukraine(boundaries_dir(data_dir).resolve()).copy()


# --------------------------------------------------------------------------- lookup


@functools.lru_cache(maxsize=8)
def _name_index(root: Path, level: str) -> pd.DataFrame:
    """The names and codes of one level's units (empty for missing optional hromadas)."""
    rows = []
    try:
        units = _load_level(root, level)
    except DataDirError:
        if level != "hromada":  # hromadas are optional
            raise
        units = pd.DataFrame(columns=UNIT_COLUMNS)
    for position, unit in enumerate(units.itertuples()):
        names = [unit.name_uk, unit.name_en, *_ALIASES.get(unit.code, ())]
        seen = set()
        for name in names:
            key, full, _ = _keys(name)
            if (key, full) not in seen:
                seen.add((key, full))
                rows.append({"level": level, "position": position, "code": unit.code,
                             "key": key, "full": full, "label": _label(unit)})
    return pd.DataFrame(rows, columns=["level", "position", "code", "key", "full", "label"])


def _names(root: Path, levels: tuple[str, ...]) -> pd.DataFrame:
    """The name index of ``levels``: only the levels a query can match are loaded (a
    query naming "raion" never reads the hromadas).
    """
    return pd.concat([_name_index(root, level) for level in levels], ignore_index=True)


def _label(unit) -> str:
    name = unit.name_en
    if unit.level == "hromada" and isinstance(unit.raion, str):
        return f"{name} ({unit.raion}, {unit.oblast})"
    if unit.level == "raion":
        return f"{name} ({unit.oblast})"
    return name


def find_unit(query: str, *, level: str | None = None,
              data_dir: DataDir = None) -> gpd.GeoDataFrame:
    """Find one administrative unit by name (English or Ukrainian) or code.

    A level word in the query (``raion``, ``oblast``, ``hromada``, ``район``, ``область``,
    ``громада``) or ``level=`` narrows the search; otherwise the coarsest level that has
    a match wins (``"Donetsk"`` is the oblast, ``"Pokrovsk"`` the raion).

    Returns
    -------
    geopandas.GeoDataFrame
        One row, columns as :func:`load_units`.

    Raises
    ------
    UnknownUnitError
        No unit matches (the message lists the closest names), or several units of the
        same level match equally well (the message lists them).

    Examples
    --------
    With ``FRONTLINE_DATA_DIR`` pointing at the data (``tests/boundaries/test_boundaries.py``)::

        find_unit("Покровський район").name_en.item()   # 'Pokrovskii Raion'
        find_unit("Donetsk oblast").code.item()         # 'UA-14'
    """
    if level is not None and level not in LEVELS:
        raise InvalidArgumentError(f"Unknown level {level!r}: choose one of {', '.join(LEVELS)}.")
    root = _boundaries(data_dir).resolve()
    text = str(query).strip()
    key, full, named_level = _keys(text)
    wanted = level or named_level
    index = _names(root, (wanted,) if wanted else LEVELS)
    code = text.upper().replace(" ", "")
    by_code = index[(index["code"].str.upper() == code)
                    | (index["code"].str.replace("-", "").str.upper() == code)]
    if len(by_code):
        hit = by_code.iloc[0]
        return _load_level(root, hit["level"]).iloc[[hit["position"]]].reset_index(drop=True)
    pool = index
    hits = pool[pool["key"] == key] if key else pool.iloc[0:0]
    if hits.empty and key:
        # Town form for an adjective name: "Horlivka raion" for Horlivskyi raion.
        stem = _stem(key)
        hits = pool[pool["key"].map(_stem) == stem]
        if hits.drop_duplicates("code").shape[0] > 1 and wanted is None:
            hits = hits[hits["level"] == min(hits["level"], key=LEVELS.index)]
        if hits.drop_duplicates("code").shape[0] > 1:
            hits = hits.iloc[0:0]  # a guess between several units is no match
    if hits.empty:
        raise UnknownUnitError(_unknown_message(text, wanted, key, pool))
    if wanted is None:  # coarsest level with a match
        hits = hits[hits["level"] == min(hits["level"], key=LEVELS.index)]
    best = hits.drop_duplicates("code")
    if len(best) > 1:
        exact = hits[hits["full"] == full].drop_duplicates("code")
        best = exact if len(exact) == 1 else best
    if len(best) > 1:
        labels = "; ".join(f"{r.label} [{r.code}]" for r in best.itertuples())
        raise UnknownUnitError(
            f"{text!r} matches {len(best)} {best['level'].iloc[0]}s: {labels}. "
            "Pass the code, or a fuller name."
        )
    hit = best.iloc[0]
    return _load_level(root, hit["level"]).iloc[[hit["position"]]].reset_index(drop=True)


def _unknown_message(text, level, key, pool) -> str:
    labels = dict(zip(pool["key"], pool["label"], strict=True))
    close = difflib.get_close_matches(key, list(labels), n=5, cutoff=0.6)
    where = f" at level {level!r}" if level else ""
    hint = ("; closest: " + "; ".join(dict.fromkeys(labels[c] for c in close))) if close else ""
    return (f"No unit named {text!r}{where}{hint}. List units with `frontline units "
            "--level oblast|raion|hromada` (or frontline.boundaries.load_units).")


# --------------------------------------------------------------------------- towns


@functools.lru_cache(maxsize=8)
def _towns(root: Path) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    path = root / _TOWNS
    if not path.exists():
        raise DataDirError(f"{path}: town list not found (see data/README.md).")
    towns = pd.read_csv(path, dtype={"geonames_admin1code": str})
    towns = towns.dropna(subset=["latitude", "longitude"]).reset_index(drop=True)
    geonames = None
    if (root / _GEONAMES).exists():
        geonames = pd.read_csv(root / _GEONAMES, dtype={"admin1code": str},
                               keep_default_na=False)
    return towns, geonames


def load_towns(*, data_dir: DataDir = None) -> pd.DataFrame:
    """The front-line towns list (GeoNames points): name, latitude, longitude, raion.

    Rows without coordinates (Robotyne is not in GeoNames' cities500 extract) are left out.
    """
    towns, _ = _towns(_boundaries(data_dir).resolve())
    return towns.copy()


def find_town(query: str | tuple[float, float], *, data_dir: DataDir = None) -> dict:
    """A town point: ``{"name", "latitude", "longitude", "source"}``.

    ``query`` is a town name (the front-line list first, then GeoNames' cities500 by name
    and alternate names, the most populous first), ``"lat,lon"``, or a ``(lat, lon)``
    pair.

    Raises
    ------
    UnknownUnitError
        No town of that name; the message lists the closest names.
    """
    if isinstance(query, (tuple, list)) and len(query) == 2:
        lat, lon = float(query[0]), float(query[1])
        return _point(f"{lat:.5f},{lon:.5f}", lat, lon, "coordinates")
    text = str(query).strip()
    match = re.fullmatch(r"\s*(-?\d+(?:\.\d+)?)\s*[,; ]\s*(-?\d+(?:\.\d+)?)\s*", text)
    if match:
        return find_town((match.group(1), match.group(2)))
    towns, geonames = _towns(_boundaries(data_dir).resolve())
    key = _keys(text, adjective=False)[1]
    for column in ("name", "geonames_name"):
        hit = towns[towns[column].fillna("").map(lambda n: _keys(n, adjective=False)[1]) == key]
        if len(hit):
            row = hit.iloc[0]
            return _point(row["name"], row["latitude"], row["longitude"],
                          f"frontline_towns.csv (GeoNames {int(row['geonameid'])})")
    names = list(towns["name"])
    if geonames is not None:
        folded = geonames["name"].map(lambda n: _keys(n, adjective=False)[1])
        hit = geonames[folded == key]
        if hit.empty:
            alternates = geonames["alternatenames"].str.split("|")
            hit = geonames[alternates.map(
                lambda names: any(_keys(n, adjective=False)[1] == key for n in names))]
        if len(hit):
            row = hit.sort_values("population", ascending=False).iloc[0]
            return _point(row["name"], row["latitude"], row["longitude"],
                          f"geonames_cities500_UA.csv (GeoNames {int(row['geonameid'])})")
        names += list(geonames["name"])
    close = difflib.get_close_matches(text, list(dict.fromkeys(names)), n=5, cutoff=0.7)
    hint = f"; closest: {', '.join(close)}" if close else ""
    raise UnknownUnitError(
        f"No town named {text!r} in the front-line list or GeoNames{hint}. Give the "
        "GeoNames spelling, or coordinates as 'lat,lon'."
    )


def _point(name, lat, lon, source) -> dict:
    lat, lon = float(lat), float(lon)
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise AreaError(f"Town coordinates {lat},{lon} are not a latitude,longitude pair.")
    return {"name": str(name), "latitude": lat, "longitude": lon, "source": source}


# --------------------------------------------------------------------------- custom areas


def _land(geometry, root: Path):
    """``geometry`` clipped to Ukraine's land (the union of the raions and Kyiv city)."""
    pieces = []
    for level in ("raion", "oblast"):
        units = _load_level(root, level)
        if level == "oblast":
            units = units[units["code"] == "UA-30"]
        geoms = np.asarray(units.geometry.values, dtype=object)
        candidates = shapely.STRtree(geoms).query(geometry, predicate="intersects")
        pieces += list(shapely.intersection(geoms[candidates], geometry))
    pieces = [p for p in pieces if not p.is_empty]
    return shapely.union_all(pieces) if pieces else shapely.Polygon()


def area_from_spec(*, area: str | list[str] | None = None,
                   near: str | tuple[float, float] | None = None,
                   radius_km: float | None = None,
                   polygon: str | os.PathLike | gpd.GeoDataFrame | None = None,
                   name: str | None = None, data_dir: DataDir = None) -> gpd.GeoDataFrame:
    """Build one area to measure: units, a town plus a radius, or a polygon file.

    Exactly one of:

    ``area``
        a unit name or code, or a list of them (their union): ``"Pokrovsk raion"``,
        ``["Donetsk oblast", "Luhansk oblast"]``.
    ``near`` and ``radius_km``
        a town name (or ``"lat,lon"``) and a radius in km: a geodesic circle.
    ``polygon``
        a vector file (or GeoDataFrame) with a CRS; its polygons are dissolved.

    Circles and polygons are clipped to Ukraine's land (the union of the raions), so
    their ``area_km2`` is land in Ukraine and shares are of that land.

    Returns
    -------
    geopandas.GeoDataFrame
        One row: ``level`` ("custom" unless a single unit), ``code``, ``name``,
        ``name_en``, ``area_km2`` (geodesic), ``geometry`` (EPSG:4326).

    Raises
    ------
    AreaError
        Several or none of the options, a radius ≤ 0, a file without a CRS or without
        polygons, or an area with no land in Ukraine (every problem in one message).
    UnknownUnitError
        An unknown unit or town name.
    """
    given = [k for k, v in (("area", area), ("near", near), ("polygon", polygon))
             if v is not None]
    problems = []
    if len(given) != 1:
        problems.append(f"give exactly one of area=, near= (with radius_km=) or polygon= "
                        f"(got {', '.join(given) or 'none'})")
    if near is not None and radius_km is None:
        problems.append("near= needs radius_km= (e.g. --near Pokrovsk --radius-km 20)")
    if radius_km is not None:
        try:
            radius = float(radius_km)
        except (TypeError, ValueError):
            radius = float("nan")
        if not radius > 0:
            problems.append(f"the radius must be a positive number of km (got {radius_km!r})")
        if near is None:
            problems.append("radius_km= needs near= (a town)")
    if problems:
        raise AreaError("Cannot build the area: " + "; ".join(problems) + ".")
    root = _boundaries(data_dir).resolve()
    if area is not None:
        queries = [area] if isinstance(area, str) else list(area)
        units = pd.concat([find_unit(q, data_dir=root) for q in queries], ignore_index=True)
        units = units.drop_duplicates("code")
        geometry = (units.geometry.iloc[0] if len(units) == 1
                    else shapely.union_all(np.asarray(units.geometry.values, dtype=object)))
        single = len(units) == 1
        row = {
            "level": units["level"].iloc[0] if single else "custom",
            "code": "+".join(units["code"]),
            "name": name or " + ".join(units["name_en"]),
            "name_en": " + ".join(units["name_en"]),
        }
        return _one(row, geometry)
    if near is not None:
        town = find_town(near, data_dir=root)
        circle = geodesic_circle(town["latitude"], town["longitude"], float(radius_km))
        label = name or f"within {float(radius_km):g} km of {town['name']}"
        return _one({"level": "custom", "code": "", "name": label, "name_en": label},
                    _inside_ukraine(circle, root, label))
    frame = _read_polygon(polygon)
    label = name or (Path(polygon).stem if isinstance(polygon, (str, Path)) else "polygon")
    geometry = shapely.union_all(np.asarray(frame.geometry.values, dtype=object))
    return _one({"level": "custom", "code": "", "name": label, "name_en": label},
                _inside_ukraine(geometry, root, label))


def _read_polygon(polygon) -> gpd.GeoDataFrame:
    if isinstance(polygon, (gpd.GeoDataFrame, gpd.GeoSeries)):
        frame, where = gpd.GeoDataFrame(geometry=polygon.geometry), "the GeoDataFrame"
    else:
        path = Path(polygon)
        if not path.exists():
            raise AreaError(f"{path}: no such polygon file.")
        try:
            frame = pyogrio.read_dataframe(path)
        except Exception as err:  # pyogrio raises several DataSourceError subclasses
            raise AreaError(f"{path}: cannot read it as a vector file ({err}).") from err
        where = str(path)
        if not isinstance(frame, gpd.GeoDataFrame):  # a table (CSV...) reads without geometry
            raise AreaError(
                f"{path}: not a polygon file (it holds a table of {len(frame.columns)} "
                "column(s) and no geometry): pass a GeoPackage, shapefile or GeoJSON of the "
                "area's (multi)polygons."
            )
    if frame.crs is None:
        raise AreaError(
            f"{where} has no CRS: frontline does not guess one. Add it (e.g. "
            "`ogr2ogr -a_srs EPSG:4326 out.gpkg in.shp`, or gdf.set_crs(...)) and retry."
        )
    frame = frame.to_crs("EPSG:4326")
    frame = frame[frame.geom_type.isin(["Polygon", "MultiPolygon"])]
    if frame.empty:
        raise AreaError(f"{where} holds no polygons: an area needs (multi)polygons.")
    invalid = ~frame.geometry.is_valid
    if invalid.any():
        reason = shapely.is_valid_reason(frame.geometry[invalid].iloc[0])
        raise AreaError(f"{where}: {int(invalid.sum())} invalid polygon(s) ({reason}): repair "
                        "them (shapely.make_valid, or QGIS 'Fix geometries') and retry.")
    return frame


def _inside_ukraine(geometry, root: Path, label: str):
    land = _land(geometry, root)
    if land.is_empty or geodesic_area_km2(land) < 1e-6:
        minx, miny, maxx, maxy = geometry.bounds
        raise AreaError(
            f"The area {label!r} (lon {minx:.2f}..{maxx:.2f}, lat {miny:.2f}..{maxy:.2f}) "
            "has no land in Ukraine: check the coordinates (lon/lat order, CRS)."
        )
    return land


def _one(row: dict, geometry) -> gpd.GeoDataFrame:
    frame = gpd.GeoDataFrame([row], geometry=[geometry], crs="EPSG:4326")
    frame["area_km2"] = geodesic_area_km2(frame.geometry.values)
    return frame[["level", "code", "name", "name_en", "area_km2", "geometry"]]
