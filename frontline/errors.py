"""Exceptions and warnings raised by frontline.

Every error names the file (or the date) it is about and says what to do.
"""

__all__ = [
    "FrontlineError",
    "DataDirError",
    "ReadError",
    "UnknownLayerError",
    "DuplicateSnapshotError",
    "SnapshotGapError",
    "UnknownUnitError",
    "AreaError",
    "FrontlineWarning",
    "CopiesDisagreeWarning",
]


class FrontlineError(Exception):
    """Base class of every error frontline raises on purpose."""


class DataDirError(FrontlineError):
    """No data directory is configured, or it holds no data frontline can read."""


class ReadError(FrontlineError):
    """A file cannot be read: empty, corrupt, no CRS, or no parseable date."""


class UnknownLayerError(FrontlineError):
    """A layer name matches none of the spellings in :data:`frontline.layers.LAYERS`."""


class DuplicateSnapshotError(FrontlineError):
    """Two different files claim the same (source, date, layer)."""


class SnapshotGapError(FrontlineError):
    """A date needed by an analysis has no snapshot and the gap policy is ``"error"``."""


class UnknownUnitError(FrontlineError):
    """No administrative unit (or town) matches a name, or several match equally well."""


class AreaError(FrontlineError):
    """A custom area cannot be built: radius ≤ 0, a file without CRS, no land in Ukraine."""


class FrontlineWarning(UserWarning):
    """Something the user should know about (e.g. two inputs disagree)."""


class CopiesDisagreeWarning(FrontlineWarning):
    """Several copies of one area table give different values for a (date, layer); the
    documented rule of :func:`frontline.readers.combine_area_tables` picked one."""
