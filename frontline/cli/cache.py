"""``frontline cache status|clear``: the layer cache (:mod:`frontline.cache`)."""

from __future__ import annotations

import click

from frontline.cache import ENV_CACHE, cache_root, cache_status, clear_cache
from frontline.cli.main import cli, emit, format_option


@cli.group("cache")
def cache_group() -> None:
    """The layer cache: parsed layers and measures kept between runs.

    It lives in $FRONTLINE_CACHE, else the user cache folder; FRONTLINE_CACHE=off or
    --no-cache runs without it. Figures are the same with and without it.

    Example: frontline cache status
    """


@cache_group.command("status")
@format_option()
def cache_status_command(fmt: str) -> None:
    """Where the cache is and what it holds (entries and MB per kind).

    Example: frontline cache status
    """
    root = cache_root()
    if root is None:
        click.echo(f"the cache is off ({ENV_CACHE}=off or --no-cache)", err=True)
        return
    click.echo(f"cache: {root}", err=True)
    emit(cache_status(root), fmt)


@cache_group.command("clear")
def cache_clear_command() -> None:
    """Delete every cache entry (the next run reads the input files again).

    Example: frontline cache clear
    """
    root = cache_root()
    if root is None:
        click.echo(f"the cache is off ({ENV_CACHE}=off or --no-cache): nothing to clear",
                   err=True)
        return
    removed = clear_cache(root)
    click.echo(f"cache: {root}: {removed} file(s) removed", err=True)
