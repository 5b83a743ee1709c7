"""Who to credit: the credit line every chart and export carries."""

from __future__ import annotations

from collections.abc import Iterable

from frontline.errors import InvalidArgumentError

__all__ = ["CREDITS", "source_credit"]

#: The credit each data source asks for (ISW's terms; DeepStateMap's licence).
CREDITS = {
    "isw": "ISW and AEI's Critical Threats Project",
    "deepstate": "DeepStateMap",
}


def source_credit(sources: str | Iterable[str]) -> str:
    """The credit line for the data sources named in ``sources``.

    Parameters
    ----------
    sources : str or iterable of str
        Source names as in the library's tables (``"isw"``, ``"isw-areas"``,
        ``"isw+isw-areas"``, ``"deepstate"``, ...).

    Examples
    --------
    >>> source_credit(["isw-areas+isw", "deepstate"])
    "Data: ISW and AEI's Critical Threats Project; DeepStateMap"
    """
    if isinstance(sources, str):
        sources = [sources]
    credits = []
    for value in sources:
        for part in str(value).replace("/", "+").split("+"):
            part = part.strip()
            if not part:
                continue
            credit = CREDITS.get("isw" if part.startswith("isw") else part, part)
            if credit not in credits:
                credits.append(credit)
    if not credits:
        raise InvalidArgumentError("No source to credit: the table has no source values.")
    return "Data: " + "; ".join(credits)
