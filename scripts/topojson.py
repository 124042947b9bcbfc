"""Decode TopoJSON (npm's world-atlas and us-atlas) into shapely polygons.

The one decoder both build scripts use; never imported by geomap at run time.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import numpy as np
from shapely.geometry import MultiPolygon, Polygon


def decode_arcs(topology: dict[str, Any]) -> list[np.ndarray]:
    """Absolute lon/lat arrays of a (possibly quantized) topology's arcs."""
    transform = topology.get("transform")
    arcs = []
    for arc in topology["arcs"]:
        xy = np.asarray(arc, dtype=float)
        if transform is not None:
            # Quantized arcs are delta-encoded integers on a grid.
            xy = np.cumsum(xy, axis=0) * transform["scale"] + transform["translate"]
        arcs.append(xy)
    return arcs


def _ring(arcs: list[np.ndarray], indices: Sequence[int]) -> np.ndarray:
    parts = []
    for k, i in enumerate(indices):
        # A negative index ~i is arc i walked backwards.
        arc = arcs[i] if i >= 0 else arcs[~i][::-1]
        parts.append(arc if k == 0 else arc[1:])  # arcs share their joining point
    return np.concatenate(parts)


def _polygon(arcs: list[np.ndarray], rings: list[list[int]]) -> Polygon | None:
    shell, *holes = (_ring(arcs, r) for r in rings)
    # quantisation can collapse a tiny island to fewer points than a ring needs
    if len(shell) < 4:
        return None
    return Polygon(shell, [h for h in holes if len(h) >= 4])


def topology_geometry(
    arcs: list[np.ndarray], geom: dict[str, Any]
) -> Polygon | MultiPolygon | None:
    """The object's polygon(s); None when it has none (another type, or all collapsed)."""
    kind = geom.get("type")
    if kind == "Polygon":
        return _polygon(arcs, geom["arcs"])
    if kind == "MultiPolygon":
        polys = [p for p in (_polygon(arcs, rings) for rings in geom["arcs"]) if p is not None]
        if not polys:
            return None
        return MultiPolygon(polys)
    return None


def geometries(
    topology: dict[str, Any], name: str
) -> Iterator[tuple[dict[str, Any], Polygon | MultiPolygon]]:
    """Yield ``(object, geometry)`` for every polygonal object in ``objects[name]``."""
    arcs = decode_arcs(topology)
    for obj in topology["objects"][name]["geometries"]:
        geom = topology_geometry(arcs, obj)
        if geom is not None:
            yield obj, geom
