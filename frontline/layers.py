"""One vocabulary of layer names.

ISW publishes the same layer under many names: in its download zips
(``UkraineControlMapAO31OCT2024.shp``, with typos such as ``UkaineControlMa``),
its ArcGIS services (``VIEW_RussiaCoTinUkraine_V3``), Nikkei's and Le Monde's copies
(Japanese labels, ``control_map``), and third-party area tables
(``ukraine_control_map``). :func:`canonical_layer` maps every spelling found in the
real data to one canonical name; an unknown name raises, it is never guessed.
"""

from __future__ import annotations

import re
import unicodedata

from frontline.errors import InvalidArgumentError, UnknownLayerError

__all__ = ["LAYERS", "OPTIONAL_LAYERS", "POINT_LAYERS", "PRESETS", "PRESET_DESCRIPTIONS",
           "canonical_layer", "preset_layers"]

#: Canonical layer names and what they hold.
LAYERS: dict[str, str] = {
    "control": "ISW: territory assessed as Russian-controlled (Russian control of terrain)",
    "advances": "ISW: assessed Russian advances",
    "claimed": "ISW: claimed Russian territory (claimed, not assessed)",
    "advances_or_claimed": (
        "ISW advances and claimed areas under one label (Nikkei's 2023-04-30 copy names "
        "both ロシア軍侵攻エリア); counts wherever advances and claimed both count"
    ),
    "counteroffensives": "ISW: claimed Ukrainian counteroffensives",
    "partisan": "ISW: reported Ukrainian partisan warfare",
    "infiltration": "ISW: assessed Russian infiltration (from late 2025)",
    "pre2022": "ISW: Russian-controlled Ukrainian territory before 24 February 2022",
    "kursk_ukrainian_advance": "ISW Kursk (in Russia): claimed limit of Ukrainian advance",
    "kursk_ukrainian_advances": (
        "ISW Kursk (in Russia): Ukrainian advances in Russia (drawn from December 2024)"
    ),
    "kursk_russian_advances": "ISW Kursk (in Russia): Russian advances in Russia",
    "kursk_russian_claims": "ISW Kursk (in Russia): claimed Russian advances in Russia",
    "kursk_events": "ISW Kursk (in Russia): incursion events (points)",
    "other": "a third-party table's unclassified layer (sdspieg 'ukraine_other'); never counted",
    "occupied": "DeepStateMap: all territory marked occupied (Crimea and pre-2022 areas included)",
}

#: Sets of layers whose union is a day's total, and what each counts.
_BASE_PRESETS: dict[str, tuple[tuple[str, ...], str]] = {
    "afp": (("control", "advances", "claimed"),
            "AFP's rule: ISW's control ∪ advances ∪ claimed inside Ukraine"),
    "isw": (("control", "advances"),
            "what ISW's own reports count: control ∪ advances (e.g. 752 km² from 1 Jan to "
            "31 May 2024, 627 km² in November 2024)"),
    "isw+kursk": (("control", "advances", "kursk_russian_advances"),
                  "preset isw plus ISW's Russian advances in Kursk oblast (in Russia), "
                  "where ISW draws them (Aug 2024 - Nov 2025)"),
    "control": (("control",), "ISW's control of terrain layer alone"),
    "deepstate": (("occupied",), "DeepStateMap's occupied area (Crimea and pre-2022 areas "
                                 "included)"),
}

#: Layers that are points by nature (events, not areas): read, never measured as areas.
POINT_LAYERS = frozenset({"kursk_events"})

#: Layers a preset counts where the source has them and treats as empty where it does not:
#: ISW drew infiltration only from 2025-11-06 and Kursk advances only from Aug 2024.
OPTIONAL_LAYERS = frozenset({"infiltration", "kursk_russian_advances"})

#: Every preset: its layers. ``<preset>+infiltration`` adds ISW's infiltration layer
#: (areas of limited Russian presence, drawn since 2025-11-06) to any ISW preset.
PRESETS: dict[str, tuple[str, ...]] = {}
#: What each preset counts, in words (``--preset`` help, README).
PRESET_DESCRIPTIONS: dict[str, str] = {}
for _name, (_layers, _what) in _BASE_PRESETS.items():
    PRESETS[_name] = _layers
    PRESET_DESCRIPTIONS[_name] = _what
for _name, (_layers, _what) in _BASE_PRESETS.items():
    if _name != "deepstate":
        PRESETS[f"{_name}+infiltration"] = (*_layers, "infiltration")
        PRESET_DESCRIPTIONS[f"{_name}+infiltration"] = (
            f"preset {_name} plus ISW's infiltration layer (counted from 2025-11-06)")


# Exact names that carry no pattern (Japanese labels in Nikkei's 2023-04-30 copy).
_EXACT = {
    "ロシア軍支配エリア": "control",
    "ロシア軍侵攻エリア": "advances_or_claimed",
    "ウクライナ軍反撃エリア": "counteroffensives",
}

# Ordered: the first pattern that matches the compacted name wins, so the specific
# Kursk names come before the general ones they contain.
_PATTERNS: list[tuple[str, str]] = [
    (r"claimedlimitofukrainianadvance|^kurskukrainianadvance$", "kursk_ukrainian_advance"),
    (r"ukrainianadvancesinrussia|^kurskukrainianadvances$", "kursk_ukrainian_advances"),
    (r"claimedrussianadvancesinrussia|russianclaimsinrussia", "kursk_russian_claims"),
    (r"russianadvancesinrussia|^kurskrussianadvances$", "kursk_russian_advances"),
    (r"kurskincursionevents", "kursk_events"),
    (r"before(february|feb)?24|pre2022|priorto2022", "pre2022"),
    (
        r"^(ukraine|ukaine|ukrane)controlma|^controlmap$|russiacotinukraine"
        r"|russianassessedcotinukraine|territoryassessedasrussiacontrolled",
        "control",
    ),
    (r"claimedukrainiancounteroffensive|ukrainianclaimedcounteroffensive", "counteroffensives"),
    (r"^ukrainiancounteroffensives$", "counteroffensives"),
    (r"assessedrussianadvance|russianassessedadvance|^russianadvances$", "advances"),
    (r"claimedrus+ianterritory|russianclaimedcot|^russianclaimed$|claimedrussiancontrol",
     "claimed"),
    (r"partisanwarfare", "partisan"),
    (r"infiltration", "infiltration"),
    (r"^ukraineother$", "other"),
    (r"^occupied$", "occupied"),
]

_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december"
    "|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)


def _compact(name: str) -> str:
    name = unicodedata.normalize("NFKC", name).lower()
    name = re.sub(r"\.(shp|geojson|json|topojson|gz|zip)$", "", name)
    return re.sub(r"[^a-z0-9]", "", name)


def canonical_layer(name: str) -> str:
    """Return the canonical layer name for any spelling found in ISW/DeepState data.

    Dates inside the name (``AO31OCT2024``, ``October 31, 2024``) are ignored.

    Raises
    ------
    UnknownLayerError
        When the name matches no known spelling. Nothing is guessed.

    Examples
    --------
    >>> canonical_layer("UkraineControlMapAO31OCT2024.shp")
    'control'
    >>> canonical_layer("Kursk Incursion Russian Advances in Russia October 31, 2024")
    'kursk_russian_advances'
    >>> canonical_layer("VIEW_ClaimedRussianTerritoryinUkraine_V2")
    'claimed'
    """
    stripped = name.strip()
    if stripped in _EXACT:
        return _EXACT[stripped]
    if stripped in LAYERS:
        return stripped
    compact = _compact(stripped)
    for pattern, layer in _PATTERNS:
        if re.search(pattern, compact):
            return layer
    closest = _closest_spelling(stripped)
    raise UnknownLayerError(
        f"Unknown layer name {name!r}: it matches none of the spellings frontline knows"
        + (f"; the closest known spelling is {closest[0]!r} ({closest[1]})" if closest else "")
        + f" (canonical layers: {', '.join(LAYERS)}). Rename the file or add the spelling "
        "to frontline/layers.py."
    )


#: Spellings met in real files, for the "closest known spelling" of an unknown name.
_KNOWN_SPELLINGS = [
    "UkraineControlMapAO", "AssessedRussianAdvancesinUkraine",
    "ClaimedRussianTerritoryinUkraine", "ClaimedUkrainianCounteroffensives",
    "ReportedUkrainianPartisanWarfare", "AssessedRussianInfiltrationAreasinUkraine",
    "Kursk Incursion Russian Advances in Russia", "Kursk Incursion Russian Claims in Russia",
    "Kursk Incursion Ukrainian Advances in Russia",
    "Kursk Incursion Claimed Limit of Ukrainian Advance", "VIEW_RussiaCoTinUkraine_V3",
    "VIEW_ClaimedRussianTerritoryinUkraine_V2", "MDS_AssessedRussianAdvanceInUkraine_view",
    "ukraine_control_map", "russian_advances", "russian_claimed", "partisan_warfare",
    "ukrainian_counteroffensives", "russian_infiltration", "kursk_russian_advances",
]


def _undated(name: str) -> str:
    compact = _compact(name)
    compact = re.sub(rf"({_MONTHS})?\d+({_MONTHS})?\d*", "", compact)
    return compact


def _closest_spelling(name: str):
    """(spelling, canonical layer) closest to ``name`` once dates are taken out, or None."""
    import difflib

    keys = {_undated(s): s for s in _KNOWN_SPELLINGS}
    match = difflib.get_close_matches(_undated(name), list(keys), n=1, cutoff=0.6)
    if not match:
        return None
    spelling = keys[match[0]]
    return spelling, canonical_layer(spelling)


def preset_layers(preset: str) -> tuple[str, ...]:
    """Return the canonical layers a preset measures (see :data:`PRESETS`).

    Examples
    --------
    >>> preset_layers("isw+infiltration")
    ('control', 'advances', 'infiltration')
    """
    try:
        return PRESETS[preset]
    except KeyError:
        raise InvalidArgumentError(
            f"Unknown preset {preset!r}: choose one of {', '.join(PRESETS)}."
        ) from None
