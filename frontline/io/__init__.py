"""Reading: every input format to one canonical dated-layer table, and writing outputs.

The readers are used from here (``from frontline.io import read_isw_zip``); the rest of
the reading machinery is in :mod:`frontline.io.readers`, checks in
:mod:`frontline.io.validate` and writers in :mod:`frontline.io.writers`.
"""

from frontline.io.readers import (
    read_area_table,
    read_deepstate,
    read_isw_geojson,
    read_isw_zip,
    read_topojson,
)

__all__ = [
    "read_area_table",
    "read_deepstate",
    "read_isw_geojson",
    "read_isw_zip",
    "read_topojson",
]
