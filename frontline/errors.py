"""Every exception and warning frontline raises on purpose.

Every error names the file (or the date, or the option) it is about and says what to do.
Each derives from :class:`FrontlineError` and from the builtin it refines, so
``except ValueError`` (or ``LookupError``, ``OSError``) keeps working::

    FrontlineError
    ├── InvalidArgumentError (ValueError)    an argument or option value frontline refuses
    ├── NotFoundError (KeyError)             a layer, date or name that is not held
    ├── DataDirError (OSError)               no data directory, or nothing readable in it
    ├── ReadError (ValueError)               a file cannot be read (empty, corrupt, no CRS)
    ├── UnknownLayerError (LookupError)      a layer name matching no known spelling
    ├── DuplicateSnapshotError (ValueError)  two files claim one (source, date, layer)
    ├── SnapshotGapError (LookupError)       a needed date has no snapshot
    ├── UnknownUnitError (LookupError)       no unit or town matches a name
    ├── AreaError (ValueError)               a custom area cannot be built
    ├── ArchiveError (OSError)               the archive cannot be read or written
    ├── FetchError (OSError)                 a download failed
    ├── ServiceError (OSError)               an ArcGIS service could not be read completely
    └── GlitchError (ValueError)             a figure would rest on a glitch day

The CLI prints a :class:`FrontlineError` as one line and exits with code 1 (a long
message cut by :func:`short_message`); any other exception is a bug and shows its
traceback.
"""

import re

__all__ = [
    "FrontlineError",
    "InvalidArgumentError",
    "NotFoundError",
    "ArchiveError",
    "FetchError",
    "ServiceError",
    "DataDirError",
    "ReadError",
    "UnknownLayerError",
    "DuplicateSnapshotError",
    "SnapshotGapError",
    "UnknownUnitError",
    "AreaError",
    "FrontlineWarning",
    "CopiesDisagreeWarning",
    "GlitchError",
    "GlitchWarning",
    "one_line",
    "short_message",
]

#: Items of a list in a message shown before "... and N more" (:func:`short_message`).
SHOWN_ITEMS = 5

#: Longest message (characters) shown whole, and longest single item.
MESSAGE_CHARS = 600
ITEM_CHARS = 200


def short_message(text: str, *, items: int = SHOWN_ITEMS, limit: int = MESSAGE_CHARS) -> str:
    """A message cut to what a person reads: the first ``items`` items and a count.

    Messages list their items separated by ``"; "``; a message longer than ``limit``
    characters keeps its first ``items`` items (each at most :data:`ITEM_CHARS`
    characters), says how many more there are, and keeps its last sentence (which says
    what to do).

    Examples
    --------
    >>> text = "Missing: " + "; ".join(f"2024-{m:02d}-01" for m in range(1, 13)) + ". Fix it."
    >>> short_message(text, items=2, limit=40)
    'Missing: 2024-01-01; 2024-02-01; … and 10 more. Fix it.'
    """
    if len(text) <= limit:
        return text
    body, advice = text, ""
    for boundary in re.finditer(r"\.\s+(?=[A-Z(])", text):  # the closing sentence(s)
        if len(text) - boundary.end() <= 2 * ITEM_CHARS:
            body, advice = text[:boundary.start()], text[boundary.end():]
            break
    parts = body.split("; ")
    shown = [p if len(p) <= ITEM_CHARS else p[:ITEM_CHARS - 1] + "…" for p in parts[:items]]
    more = len(parts) - len(shown)
    message = "; ".join(shown) + (f"; … and {more} more" if more else "")
    message = message.rstrip(".") + "."
    if advice:
        message += " " + advice
    return message


def one_line(err: BaseException) -> str:
    r"""An exception's message on one line (every run of white space made one space).

    Examples
    --------
    >>> one_line(OSError("connection refused\n  by 127.0.0.1"))
    'connection refused by 127.0.0.1'
    """
    return " ".join(str(err).split())


class FrontlineError(Exception):
    """Base class of every error frontline raises on purpose."""


class InvalidArgumentError(FrontlineError, ValueError):
    """An argument or option value frontline refuses (an unknown preset, source, policy...)."""


class NotFoundError(FrontlineError, KeyError):
    """Something asked for is not held: a layer on a date, a registry name."""

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0]) if self.args else ""


class ArchiveError(FrontlineError, OSError):
    """The archive cannot be read or written, or holds nothing for the request."""


class WriteError(FrontlineError, OSError):
    """A file could not be written (disk full, no permission, read-only folder); the
    target was left as it was.
    """


class FetchError(FrontlineError, OSError):
    """A download failed: unreachable, wrong hash, truncated, or not in the mirror."""


class ServiceError(FrontlineError, OSError):
    """An ArcGIS layer could not be read completely (nothing was stored)."""


class DataDirError(FrontlineError, OSError):
    """No data directory is configured, or it holds no data frontline can read."""


class ReadError(FrontlineError, ValueError):
    """A file cannot be read: empty, corrupt, no CRS, or no parseable date."""


class UnknownLayerError(FrontlineError, LookupError):
    """A layer name matches none of the spellings in :data:`frontline.layers.LAYERS`."""


class DuplicateSnapshotError(FrontlineError, ValueError):
    """Two different files claim the same (source, date, layer)."""


class SnapshotGapError(FrontlineError, LookupError):
    """A date needed by an analysis has no snapshot and the gap policy is ``"error"``."""


class UnknownUnitError(FrontlineError, LookupError):
    """No administrative unit (or town) matches a name, or several match equally well."""


class AreaError(FrontlineError, ValueError):
    """A custom area cannot be built: radius ≤ 0, a file without CRS, no land in Ukraine."""


class FrontlineWarning(UserWarning):
    """Something the user should know about (e.g. two inputs disagree)."""


class CopiesDisagreeWarning(FrontlineWarning):
    """Several copies of one area table give different values for a (date, layer); the
    documented rule of :func:`frontline.io.readers.combine_area_tables` picked one.
    """


class GlitchError(FrontlineError, ValueError):
    """A figure would start or end on a glitch day and ``on_glitch="error"``."""


class GlitchWarning(FrontlineWarning):
    """A figure starts or ends on a glitch day (:mod:`frontline.glitches`); the value is used."""
