"""Tiny synthetic ISW-style files built in code (no real data is copied)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import geopandas as gpd
from shapely.geometry import box


def write_isw_zip(zip_path: Path, stem: str, geometries=None, *, crs="EPSG:3857",
                  keep_prj: bool = True) -> Path:
    """Write ``stem``.shp (+ sidecars) into ``zip_path`` as ISW packs its layers."""
    if geometries is None:
        geometries = [box(37.0, 48.0, 37.2, 48.1)]
    frame = gpd.GeoDataFrame({"area": [1] * len(geometries)}, geometry=geometries,
                             crs="EPSG:4326")
    if crs is not None:
        frame = frame.to_crs(crs)
    else:
        frame = frame.set_crs(None, allow_override=True)
    work = zip_path.parent / f".{zip_path.stem}_parts"
    work.mkdir(parents=True, exist_ok=True)
    frame.to_file(work / f"{stem}.shp", engine="pyogrio")
    zip_path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(zip_path, "w") as archive:
        for part in sorted(work.iterdir()):
            if part.suffix == ".prj" and not keep_prj:
                continue
            archive.write(part, part.name)
    for part in work.iterdir():
        part.unlink()
    work.rmdir()
    return zip_path
