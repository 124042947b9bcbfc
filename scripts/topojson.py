"""Decode TopoJSON (the format of npm's world-atlas and us-atlas) into shapely geometries.

Only what the build scripts need: quantised or plain arcs, Polygon and MultiPolygon
objects. Written for the build, never imported by geomap at run time.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from shapely.geometry import MultiPolygon, Polygon
from shapely.geometry.base import BaseGeometry


def _decode_arcs(topology: dict[str, Any]) -> list[list[tuple[float, float]]]:
    transform = topology.get("transform")
    arcs: list[list[tuple[float, float]]] = []
    for arc in topology["arcs"]:
        if transform is None:
            arcs.append([(float(x), float(y)) for x, y, *_ in arc])
            continue
        (sx, sy), (tx, ty) = transform["scale"], transform["translate"]
        x = y = 0
        points = []
        # quantised arcs are delta-encoded
        for dx, dy, *_ in arc:
            x += dx
            y += dy
            points.append((x * sx + tx, y * sy + ty))
        arcs.append(points)
    return arcs


def _ring(arcs: list[list[tuple[float, float]]], indexes: list[int]) -> list[tuple[float, float]]:
    ring: list[tuple[float, float]] = []
    for index in indexes:
        # a negative index means the arc ~index walked backwards
        points = arcs[index] if index >= 0 else arcs[~index][::-1]
        # consecutive arcs share their joining point
        ring.extend(points[1:] if ring else points)
    return ring


def _polygon(arcs: list[list[tuple[float, float]]], rings: list[list[int]]) -> Polygon | None:
    shell, *holes = (_ring(arcs, r) for r in rings)
    # quantisation can collapse a tiny island to fewer points than a ring needs
    if len(shell) < 4:
        return None
    return Polygon(shell, [h for h in holes if len(h) >= 4])


def geometries(
    topology: dict[str, Any], name: str
) -> Iterator[tuple[dict[str, Any], BaseGeometry]]:
    """Yield ``(feature, geometry)`` for every polygonal object in ``objects[name]``.

    ``feature`` is the TopoJSON geometry object itself (``id`` and ``properties``).
    """
    arcs = _decode_arcs(topology)
    for obj in topology["objects"][name]["geometries"]:
        if obj.get("type") == "Polygon":
            polygons = [_polygon(arcs, obj["arcs"])]
        elif obj.get("type") == "MultiPolygon":
            polygons = [_polygon(arcs, p) for p in obj["arcs"]]
        else:
            continue
        polygons = [p for p in polygons if p is not None]
        if polygons:
            geom: BaseGeometry = polygons[0] if len(polygons) == 1 else MultiPolygon(polygons)
            yield obj, geom
