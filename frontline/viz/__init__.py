"""Charts: matplotlib plots, interactive maps and the month's publication set.

The plots are used from here (``from frontline.viz import plot_totals``);
:func:`frontline.explore` and :func:`frontline.publication_charts` are also at the top
level.
"""

from frontline.viz.explore import explore, explore_layers
from frontline.viz.plots import (
    plot_area_closeup,
    plot_axis_series,
    plot_change_map,
    plot_controlled_total,
    plot_monthly_gains,
    plot_pokrovsk,
    plot_source_comparison,
    plot_source_difference,
    plot_totals,
)
from frontline.viz.publication import publication_charts

__all__ = [
    "explore",
    "explore_layers",
    "plot_area_closeup",
    "plot_axis_series",
    "plot_change_map",
    "plot_controlled_total",
    "plot_monthly_gains",
    "plot_pokrovsk",
    "plot_source_comparison",
    "plot_source_difference",
    "plot_totals",
    "publication_charts",
]
