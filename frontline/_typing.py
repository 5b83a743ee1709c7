"""Type aliases shared by frontline's signatures (annotations only; nothing runs here)."""

from __future__ import annotations

import datetime
import os
from typing import TypeAlias

import numpy as np
import pandas as pd

#: Anything :class:`pandas.Timestamp` reads as a date: ``"2025-06-30"``, a ``date``, a Timestamp.
DateLike: TypeAlias = pd.Timestamp | str | datetime.date | np.datetime64
#: A file or folder name.
StrPath: TypeAlias = str | os.PathLike[str]

__all__ = ["DateLike", "StrPath"]
