"""frontline: measure territorial change on the front lines of the war in Ukraine.

The flow, one module a stage: :mod:`frontline.io` reads every input format into one
canonical dated-layer table → :mod:`frontline.history` holds it (:func:`load`) →
:mod:`frontline.changes` measures totals and changes (:func:`change`,
:func:`monthly_gains`) → :mod:`frontline.regions` breaks them down by unit →
:mod:`frontline.compare` sets sources side by side → :mod:`frontline.viz` draws them;
:mod:`frontline.sources` fetches and archives the data, :mod:`frontline.cli` is the
command line. See ``docs/glossary.md`` for the words used.

The top level holds the core workflow; the other public names live in the module of
their stage: readers in :mod:`frontline.io` (``read_isw_zip``, ``read_deepstate``, …),
plots in :mod:`frontline.viz` (``plot_totals``, ``explore_layers``, …), source
comparisons in :mod:`frontline.compare` (``compare_sources``, ``controlled_totals``, …),
units and towns in :mod:`frontline.boundaries` (``load_units``, ``find_town``, …) and
the archive's ``import_paths`` in :mod:`frontline.sources.archive`.

Data: ISW and AEI's Critical Threats Project (ISW/CTP) and DeepStateMap. frontline
never redistributes their files.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("frontline")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0+unknown"

from frontline.brief import Brief, month_brief
from frontline.changes import Change, Snapshot, change, monthly_gains, snapshot, total
from frontline.compare import notebook_data_dir
from frontline.errors import (
    CopiesDisagreeWarning,
    FrontlineError,
    FrontlineWarning,
    SnapshotGapError,
)
from frontline.exports import change_polygons
from frontline.geodesy import KM2_PER_MI2, geodesic_area_km2, km2_to_mi2
from frontline.history import History, load
from frontline.layers import LAYERS, PRESETS
from frontline.regions import area_series, breakdown, distance_series, monthly_by_unit
from frontline.sources.archive import load_history
from frontline.sources.fetch import ensure_data
from frontline.viz.explore import explore
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
    "area_series",
    "breakdown",
    "change",
    "change_polygons",
    "distance_series",
    "ensure_data",
    "explore",
    "geodesic_area_km2",
    "km2_to_mi2",
    "load",
    "load_history",
    "month_brief",
    "monthly_by_unit",
    "monthly_gains",
    "notebook_data_dir",
    "publication_charts",
    "snapshot",
    "total",
]
