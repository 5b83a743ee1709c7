"""frontline: measure territorial change on the front lines of the war in Ukraine.

Data: ISW and AEI's Critical Threats Project (ISW/CTP) and DeepStateMap. frontline
never redistributes their files.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("frontline")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

from .arcgis import SnapshotError, snapshot_isw
from .archive import ArchiveError, archive_status, import_paths, load_history
from .area import KM2_PER_MI2, geodesic_area_km2, km2_to_mi2
from .change import Change, Snapshot, change, monthly_changes, monthly_gains, snapshot
from .charts import (
    UKRAINE_KM2,
    axis_series,
    compare_sources,
    controlled_totals,
    held_by_date,
    map_snapshots,
    plot_axis_series,
    plot_source_difference,
    plot_totals,
    publication_charts,
    reproduce_published,
    source_difference,
    source_differences,
)
from .errors import (
    AreaError,
    CopiesDisagreeWarning,
    DataDirError,
    DuplicateSnapshotError,
    FrontlineError,
    FrontlineWarning,
    ReadError,
    SnapshotGapError,
    UnknownLayerError,
    UnknownUnitError,
)
from .fetch import FetchError, ensure_data
from .history import SOURCES, History, load
from .layers import LAYERS, PRESETS, canonical_layer
from .plot import (
    plot_area_closeup,
    plot_change_map,
    plot_controlled_total,
    plot_monthly_gains,
    plot_pokrovsk,
    plot_source_comparison,
)
from .readers import (
    read_area_table,
    read_deepstate,
    read_isw_geojson,
    read_isw_zip,
    read_topojson,
)
from .regions import (
    area_series,
    areas_within,
    breakdown,
    distance_series,
    distance_to,
    monthly_by_unit,
)
from .units import area_from_spec, find_town, find_unit, load_towns, load_units

__all__ = [
    "__version__",
    "KM2_PER_MI2",
    "LAYERS",
    "PRESETS",
    "SOURCES",
    "History",
    "Change",
    "Snapshot",
    "change",
    "monthly_changes",
    "monthly_gains",
    "snapshot",
    "DataDirError",
    "DuplicateSnapshotError",
    "FrontlineError",
    "FrontlineWarning",
    "CopiesDisagreeWarning",
    "ReadError",
    "SnapshotGapError",
    "UnknownLayerError",
    "canonical_layer",
    "geodesic_area_km2",
    "km2_to_mi2",
    "load",
    "read_area_table",
    "read_deepstate",
    "read_isw_geojson",
    "read_isw_zip",
    "read_topojson",
    "ArchiveError",
    "FetchError",
    "SnapshotError",
    "archive_status",
    "ensure_data",
    "import_paths",
    "load_history",
    "snapshot_isw",
    "AreaError",
    "UnknownUnitError",
    "area_from_spec",
    "area_series",
    "areas_within",
    "breakdown",
    "distance_series",
    "distance_to",
    "find_town",
    "find_unit",
    "load_towns",
    "load_units",
    "monthly_by_unit",
    "plot_area_closeup",
    "plot_change_map",
    "plot_controlled_total",
    "plot_monthly_gains",
    "plot_pokrovsk",
    "plot_source_comparison",
    "UKRAINE_KM2",
    "axis_series",
    "compare_sources",
    "controlled_totals",
    "held_by_date",
    "map_snapshots",
    "plot_axis_series",
    "plot_source_difference",
    "plot_totals",
    "publication_charts",
    "reproduce_published",
    "source_difference",
    "source_differences",
]
