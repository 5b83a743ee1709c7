"""frontline: measure territorial change on the front lines of the war in Ukraine.

The flow, one module a stage: :mod:`frontline.io` reads every input format into one
canonical dated-layer table → :mod:`frontline.history` holds it (:func:`load`) →
:mod:`frontline.changes` measures totals and changes (:func:`change`,
:func:`monthly_gains`) → :mod:`frontline.regions` breaks them down by unit →
:mod:`frontline.compare` sets sources side by side → :mod:`frontline.viz` draws them;
:mod:`frontline.sources` fetches and archives the data, :mod:`frontline.cli` is the
command line. See ``docs/glossary.md`` for the words used.

Data: ISW and AEI's Critical Threats Project (ISW/CTP) and DeepStateMap. frontline
never redistributes their files.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("frontline")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

from frontline.boundaries import (
    area_from_spec,
    find_town,
    find_unit,
    load_towns,
    load_ukraine,
    load_units,
)
from frontline.brief import Brief, month_brief
from frontline.changes import Change, Snapshot, change, monthly_gains, snapshot, total
from frontline.compare import (
    axis_series,
    compare_sources,
    controlled_totals,
    held_by_date,
    map_snapshots,
    notebook_data_dir,
    reproduce_published,
    source_difference,
    source_differences,
)
from frontline.errors import (
    CopiesDisagreeWarning,
    FrontlineError,
    FrontlineWarning,
    SnapshotGapError,
)
from frontline.exports import change_polygons
from frontline.geodesy import KM2_PER_MI2, geodesic_area_km2, km2_to_mi2
from frontline.history import History, load
from frontline.io.readers import (
    read_area_table,
    read_deepstate,
    read_isw_geojson,
    read_isw_zip,
    read_topojson,
)
from frontline.layers import LAYERS, PRESETS
from frontline.regions import area_series, breakdown, distance_series, monthly_by_unit
from frontline.sources.archive import import_paths, load_history
from frontline.sources.fetch import ensure_data
from frontline.viz.explore import explore, explore_layers
from frontline.viz.plots import (
    plot_axis_series,
    plot_monthly_gains,
    plot_pokrovsk,
    plot_source_comparison,
    plot_source_difference,
    plot_totals,
)
from frontline.viz.publication import publication_charts

__all__ = [
    "Brief",
    "Change",
    "CopiesDisagreeWarning",
    "FrontlineError",
    "FrontlineWarning",
    "History",
    "KM2_PER_MI2",
    "LAYERS",
    "PRESETS",
    "Snapshot",
    "SnapshotGapError",
    "__version__",
    "area_from_spec",
    "area_series",
    "axis_series",
    "breakdown",
    "change",
    "change_polygons",
    "compare_sources",
    "controlled_totals",
    "distance_series",
    "ensure_data",
    "explore",
    "explore_layers",
    "find_town",
    "find_unit",
    "geodesic_area_km2",
    "held_by_date",
    "import_paths",
    "km2_to_mi2",
    "load",
    "load_history",
    "load_towns",
    "load_ukraine",
    "load_units",
    "map_snapshots",
    "month_brief",
    "monthly_by_unit",
    "monthly_gains",
    "notebook_data_dir",
    "plot_axis_series",
    "plot_monthly_gains",
    "plot_pokrovsk",
    "plot_source_comparison",
    "plot_source_difference",
    "plot_totals",
    "publication_charts",
    "read_area_table",
    "read_deepstate",
    "read_isw_geojson",
    "read_isw_zip",
    "read_topojson",
    "reproduce_published",
    "snapshot",
    "source_difference",
    "source_differences",
    "total",
]
