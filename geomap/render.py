"""Draw incidents on a self-contained, offline HTML map.

The map is a folium (Leaflet) document that needs no network: Leaflet, its
markercluster plugin, the Font Awesome glyphs used for markers and the Natural Earth
basemap are read from installed packages and from ``data/basemap/`` at render time and
inlined. Online OpenStreetMap tiles are an optional base layer that is off by default.

Incidents are not turned into one folium object each. They travel as one compact JSON
payload, and a small runtime written here (``_RUNTIME_JS``) builds markers, clusters,
arrows, the heat layer and the filters from it in the browser; folium provides the map,
the layer control and the page. That keeps ten thousand incidents to a few megabytes
and a few seconds.

This module is the one place that

- converts :class:`~geomap.model.LatLon` to Leaflet's ``[lat, lon]`` (:func:`_latlng`);
- escapes article text: :func:`_html` for HTML built here, :func:`_script_json` for
  data embedded in ``<script>``. The runtime only ever puts data into the page with
  ``textContent``, never ``innerHTML``. Article text must never reach a folium
  ``Popup``/``Tooltip``/``Html``: folium renders their content as a Jinja template a
  second time, so ``{{ ... }}`` in an article would be executed.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import gzip
import html
import json
import math
import os
import re
import secrets
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

import folium
from branca.element import Element, Figure, MacroElement
from folium.map import Layer, LayerControl
from folium.template import Template

from geomap._atomic import atomic_path, atomic_text, refuse_existing
from geomap.errors import GeomapError
from geomap.model import Actor, Incident, LatLon, Place, PlaceMention

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Playwright

__all__ = ["CHROMIUM_ARGS", "EVENT_TYPES", "launch_chromium", "render_map", "screenshot"]

# --- symbols ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class _Style:
    color: str  # CSS hex colour of the marker disc
    glyph: str  # Font Awesome 6 "solid" icon name


# ACLED's six event types, in ACLED's order. Colours follow the Okabe-Ito palette,
# which stays distinguishable under the common colour-vision deficiencies.
_EVENT_STYLES: dict[str, _Style] = {
    "Battles": _Style("#d55e00", "person-rifle"),
    "Explosions/Remote violence": _Style("#e69f00", "explosion"),
    "Violence against civilians": _Style("#cc79a7", "user-injured"),
    "Protests": _Style("#0072b2", "bullhorn"),
    "Riots": _Style("#8a6d00", "fire"),
    "Strategic developments": _Style("#009e73", "chess-knight"),
}
_OTHER_STYLE = _Style("#616161", "circle-question")
_ORIGIN_GLYPH = "house-flag"
EVENT_TYPES: tuple[str, ...] = tuple(_EVENT_STYLES)

_ATTRIBUTION_HTML = (
    'Places: <a href="https://www.geonames.org/">GeoNames</a> (CC BY 4.0) | '
    'Boundaries: <a href="https://www.naturalearthdata.com/">Natural Earth</a> '
    "(public domain) | Icons: Font Awesome Free (CC BY 4.0)"
)
_ATTRIBUTION_TEXT = (
    "Places: GeoNames (CC BY 4.0) · Boundaries: Natural Earth (public domain) · "
    "Icons: Font Awesome Free (CC BY 4.0)"
)

# Above these counts the browser would struggle with one DOM node per item.
_CLUSTER_ABOVE = 100  # incidents: cluster markers
_CANVAS_ABOVE = 1500  # arrows and place circles: draw on canvas instead of SVG
_BASEMAP_QUANTUM = 100  # basemap coordinates embedded as integer hundredths of a degree
_ADMIN1_MIN_ZOOM = 4  # admin-1 lines are clutter below this zoom
_ADMIN1_NEAR_DEG = 0.5  # a point this close to a country pulls in its admin-1 units

_BASEMAP_DIR = Path(__file__).resolve().parent.parent / "data" / "basemap"

# --- escaping and coordinates: the one place ----------------------------------------------


def _html(value: object) -> str:
    """Text made safe as HTML element content or a double-quoted attribute value.

    >>> _html('<img src=x onerror="alert(1)">')
    '&lt;img src=x onerror=&quot;alert(1)&quot;&gt;'
    """
    return html.escape(str(value), quote=True)


# "<" covers "</script>" and "<!--"; U+2028/9 end lines in older JS engines.
_SCRIPT_ESCAPES = {
    ord("<"): "\\u003c",
    ord(">"): "\\u003e",
    ord("&"): "\\u0026",
    0x2028: "\\u2028",
    0x2029: "\\u2029",
}


def _script_json(value: Any) -> str:
    """JSON that can sit inside ``<script>`` whatever strings it holds.

    >>> _script_json({"t": "</script><script>alert(1)</script>"})
    '{"t":"\\\\u003c/script\\\\u003e\\\\u003cscript\\\\u003ealert(1)\\\\u003c/script\\\\u003e"}'
    """
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"), allow_nan=False)
    return text.translate(_SCRIPT_ESCAPES)


def _latlng(point: LatLon) -> list[float]:
    """Leaflet's ``[lat, lon]`` order, rounded to about a metre.

    >>> _latlng(LatLon(36.19, 44.01))
    [36.19, 44.01]
    """
    return [round(point.lat, 5), round(point.lon, 5)]


def _safe_url(url: str | None) -> str | None:
    """Only http(s) links: a ``javascript:`` URL in an article must not become a link."""
    if not url:
        return None
    try:
        scheme = urlsplit(url.strip()).scheme.lower()
    except ValueError:
        return None
    return url.strip() if scheme in ("http", "https") else None


# --- inlined third-party assets ---------------------------------------------------------


class _Raw(Element):
    """Markup emitted as is.

    folium compiles the output of ``MacroElement`` macros as a Jinja template a second
    time; anything carrying data or third-party code goes through this instead.
    """

    def __init__(self, text: str) -> None:
        super().__init__()
        self._name = "GeomapRaw"
        self.text = text

    def render(self, **kwargs: Any) -> str:
        return self.text


def _inline_script(code: str) -> str:
    # A source map comment would make devtools fetch a file that is not there.
    code = re.sub(r"//# sourceMappingURL=\S+", "", code)
    return "<script>" + re.sub(r"</(script)", r"<\\/\1", code, flags=re.IGNORECASE) + "</script>"


def _inline_style(css: str) -> str:
    return "<style>" + re.sub(r"</(style)", r"<\\/\1", css, flags=re.IGNORECASE) + "</style>"


def _inline_images(css: str, folder: Path) -> str:
    """Replace ``url(images/x.png)`` by data: URIs so the stylesheet loads nothing."""

    def data_uri(match: re.Match[str]) -> str:
        png = (folder / match.group(2)).read_bytes()
        return "url(data:image/png;base64," + base64.b64encode(png).decode("ascii") + ")"

    return re.sub(r"url\((['\"]?)(images/[\w.-]+\.png)\1\)", data_uri, css)


@functools.cache
def _vendor_assets() -> str:
    """Leaflet and markercluster, read from their xstatic packages (cached per process)."""
    try:
        import xstatic.pkg.leaflet as leaflet_pkg
        import xstatic.pkg.leaflet_markercluster as cluster_pkg
    except ImportError as err:
        raise GeomapError(
            f"cannot inline the map's JavaScript: {err}; "
            "fix: pip install xstatic-leaflet==1.9.3.0 xstatic-leaflet-markercluster"
        ) from err
    leaflet = Path(leaflet_pkg.BASE_DIR)
    cluster = Path(cluster_pkg.BASE_DIR)
    parts = [
        _inline_style(_inline_images((leaflet / "leaflet.css").read_text("utf-8"), leaflet)),
        _inline_style((cluster / "MarkerCluster.css").read_text("utf-8")),
        _inline_style((cluster / "MarkerCluster.Default.css").read_text("utf-8")),
        _inline_script((leaflet / "leaflet.js").read_text("utf-8")),
        _inline_script((cluster / "leaflet.markercluster.js").read_text("utf-8")),
    ]
    return "\n".join(parts)


@functools.cache
def _glyph(name: str) -> str:
    """One Font Awesome solid icon as inline SVG (the icon font itself is not needed)."""
    try:
        import xstatic.pkg.font_awesome as fa_pkg
    except ImportError as err:
        raise GeomapError(
            f"cannot inline map icons: {err}; fix: pip install 'xstatic-font-awesome>=6.2,<7'"
        ) from err
    source = (Path(fa_pkg.BASE_DIR) / "svgs" / "solid" / f"{name}.svg").read_text("utf-8")
    view_box = re.search(r'viewBox="([\d. ]+)"', source)
    path = re.search(r'<path d="([^"]+)"', source)
    if view_box is None or path is None:
        raise GeomapError(f"Font Awesome icon {name!r} has no single path; pick another glyph")
    return (
        f'<svg viewBox="{view_box.group(1)}" aria-hidden="true" focusable="false">'
        f'<path d="{path.group(1)}"/></svg>'
    )


# --- basemap ----------------------------------------------------------------------------


def _encode_ring(ring: Sequence[Sequence[float]]) -> list[int]:
    """A [lon, lat] ring as flat delta-encoded integer [lat, lon] pairs.

    Deltas of hundredths of a degree take a third of the bytes of GeoJSON floats.
    """
    out: list[int] = []
    prev_lat = prev_lon = 0
    for lon, lat in ring:
        qlat, qlon = round(lat * _BASEMAP_QUANTUM), round(lon * _BASEMAP_QUANTUM)
        if out and qlat == prev_lat and qlon == prev_lon:
            continue  # collapsed by quantization
        out += [qlat - prev_lat, qlon - prev_lon]
        prev_lat, prev_lon = qlat, qlon
    return out


def _encode_geometry(geometry: dict[str, Any]) -> list[list[list[int]]]:
    polygons = (
        [geometry["coordinates"]] if geometry["type"] == "Polygon" else geometry["coordinates"]
    )
    encoded = []
    for polygon in polygons:
        rings = [r for r in (_encode_ring(ring) for ring in polygon) if len(r) >= 8]
        if rings:
            encoded.append(rings)
    return encoded


@dataclass(frozen=True)
class _Basemap:
    countries: str  # JSON text: every country's encoded polygons
    admin1: dict[str, str]  # ISO 3166-1 alpha-2 -> comma-joined encoded admin-1 polygons


BASEMAP_CACHE = "basemap.render.json.gz"


@functools.cache
def _basemap() -> _Basemap:
    """The Natural Earth basemap, pre-encoded at build time; loaded once per process.

    The shapes are stored as the JSON text the page reads, so rendering splices
    text instead of parsing and re-encoding thousands of polygons per map.
    """
    path = _BASEMAP_DIR / BASEMAP_CACHE
    try:
        with gzip.open(path, "rt", encoding="utf-8") as fh:
            data = json.load(fh)
        return _Basemap(countries=data["countries"], admin1=data["admin1"])
    except (OSError, ValueError, KeyError) as err:
        raise GeomapError(
            f"bundled basemap {path} cannot be read ({err}); expected the file built by "
            "scripts/build_basemap.py; fix: python scripts/build_basemap.py"
        ) from err


def encode_basemap(countries: dict[str, Any], admin1: dict[str, Any]) -> dict[str, Any]:
    """The render cache for two GeoJSON FeatureCollections (used by build_basemap.py)."""
    dumps = functools.partial(json.dumps, separators=(",", ":"))
    shapes = [e for e in (_encode_geometry(f["geometry"]) for f in countries["features"]) if e]
    by_country: dict[str, list[str]] = {}
    for f in admin1["features"]:
        code = (f.get("properties") or {}).get("iso_a2") or ""
        if not f.get("geometry") or len(code) != 2:
            continue
        geom = _encode_geometry(f["geometry"])
        if geom:
            by_country.setdefault(code, []).append(dumps(geom))
    return {
        "countries": dumps(shapes),
        "admin1": {code: ",".join(parts) for code, parts in sorted(by_country.items())},
    }


def _admin1_for(codes: set[str], basemap: _Basemap) -> str:
    """Admin-1 units of the countries where something is drawn: detail only where it is read."""
    return "[" + ",".join(t for c in sorted(codes) if (t := basemap.admin1.get(c))) + "]"


# --- the data payload -------------------------------------------------------------------


class _Strings:
    """String table: repeated names, titles and sentences are sent once."""

    def __init__(self) -> None:
        self.items: list[str] = []
        self._index: dict[str, int] = {}

    def __call__(self, text: str | None) -> int | None:
        if text is None or text == "":
            return None
        index = self._index.get(text)
        if index is None:
            index = self._index[text] = len(self.items)
            self.items.append(text)
        return index


# Column order of one incident row; sent with the data so the runtime reads by name.
_FIELDS = (
    "id", "lat", "lon", "type", "sub", "a1", "a2", "o1", "o2", "day", "tprec",
    "fat", "inj", "claim", "ev", "hs", "he", "src", "url", "conf", "where",
    "mention", "gprec", "fallback", "rule", "notes",
)  # fmt: skip

_EPOCH = dt.date(1970, 1, 1)


def _day(date: dt.date | None) -> int | None:
    return None if date is None else (date - _EPOCH).days


def _finite(value: float | None) -> float | None:
    return value if value is not None and math.isfinite(value) else None


def _highlight(incident: Incident) -> tuple[int, int]:
    """Trigger offsets relative to the evidence sentence, or (-1, -1) if they do not fit."""
    start = incident.trigger.start - incident.evidence_span.start
    end = incident.trigger.end - incident.evidence_span.start
    if 0 <= start < end <= len(incident.evidence):
        return start, end
    return -1, -1


def _style(event_type: str) -> _Style:
    return _EVENT_STYLES.get(event_type, _OTHER_STYLE)


@dataclass
class _Payload:
    data: dict[str, Any]
    located: list[Incident]
    unlocated: int
    type_counts: Counter[str]
    actor_counts: Counter[str]
    days: list[int]
    points: list[LatLon]


def _origin_key(place: Place) -> str:
    return place.place_id or f"{place.point.lat},{place.point.lon}"


def _build_payload(incidents: Sequence[Incident], places: Sequence[PlaceMention]) -> _Payload:
    strings = _Strings()
    located = [i for i in incidents if i.point is not None]

    # The six ACLED types keep fixed indices (and colours); any other event_type a
    # coder produced follows, drawn with the "other" style.
    type_names = list(EVENT_TYPES)
    type_names += sorted({i.event_type for i in located} - set(type_names))
    type_index = {name: k for k, name in enumerate(type_names)}
    type_counts = Counter(i.event_type for i in located)

    origins: list[list[Any]] = []
    origin_index: dict[str, int] = {}
    origin_actors: list[set[str]] = []

    def origin(actor: Actor | None) -> int | None:
        if actor is None or actor.origin is None:
            return None
        key = _origin_key(actor.origin)
        k = origin_index.get(key)
        if k is None:
            k = origin_index[key] = len(origins)
            origins.append([*_latlng(actor.origin.point), strings(actor.origin.name), []])
            origin_actors.append(set())
        origin_actors[k].add(actor.name)
        return k

    rows: list[list[Any]] = []
    arrows: dict[tuple[int, float, float], list[Any]] = {}
    actor_counts: Counter[str] = Counter()
    for incident in located:
        point = incident.point
        assert point is not None  # located by construction
        lat, lon = _latlng(point)
        a1, a2 = incident.actor1, incident.actor2
        o1, o2 = origin(a1), origin(a2)
        for actor in (a1, a2):
            if actor is not None:
                actor_counts[actor.name] += 1
        mention = incident.location
        place = mention.place if mention is not None else None
        hs, he = _highlight(incident)
        row = {
            "id": strings(incident.incident_id),
            "lat": lat,
            "lon": lon,
            "type": type_index[incident.event_type],
            "sub": strings(incident.sub_event_type),
            "a1": strings(a1.name) if a1 else None,
            "a2": strings(a2.name) if a2 else None,
            "o1": o1,
            "o2": o2,
            "day": _day(incident.date),
            "tprec": strings(incident.time_precision),
            "fat": incident.fatalities,
            "inj": incident.injured,
            "claim": strings(incident.fatalities_claimed_by),
            "ev": strings(incident.evidence),
            "hs": hs,
            "he": he,
            "src": strings(incident.source_title),
            "url": strings(_safe_url(incident.source_url)),
            "conf": _finite(round(incident.confidence, 3)),
            "where": strings(place.name if place else None),
            "mention": strings(mention.text if mention else None),
            "gprec": incident.geo_precision,
            "fallback": 1 if incident.location_fallback else 0,
            "rule": strings(incident.rule),
            "notes": [strings(n) for n in incident.notes if n] or None,
        }
        rows.append([row[f] for f in _FIELDS])
        # Arrows run from the origin of the actor who acted (actor 1) to the place.
        if (
            o1 is not None
            and a1 is not None
            and a1.origin is not None
            and _distance_km(a1.origin.point, point) >= 1.0
        ):
            arrow = arrows.setdefault(
                (o1, lat, lon), [o1, lat, lon, [], type_index[incident.event_type]]
            )
            arrow[3].append(len(rows) - 1)

    for k, names in enumerate(origin_actors):
        origins[k][3] = [strings(n) for n in sorted(names)]

    mention_groups: dict[str, list[PlaceMention]] = {}
    for m in places:
        if m.place is not None:
            mention_groups.setdefault(_origin_key(m.place), []).append(m)
    place_rows = []
    for group in mention_groups.values():
        place = group[0].place
        assert place is not None
        texts = sorted({m.text for m in group})[:5]
        place_rows.append(
            [*_latlng(place.point), strings(place.name), len(group), [strings(t) for t in texts]]
        )

    days = sorted(d for d in (_day(i.date) for i in located) if d is not None)
    points = [i.point for i in located if i.point is not None]
    points += [LatLon(o[0], o[1]) for o in origins]
    points += [LatLon(p[0], p[1]) for p in place_rows]

    data = {
        "fields": list(_FIELDS),
        "incidents": rows,
        "types": [
            {"name": strings(n), "color": _style(n).color, "glyph": _style(n).glyph}
            for n in type_names
        ],
        "origins": origins,
        "arrows": list(arrows.values()),
        "places": place_rows,
        "cluster": len(rows) > _CLUSTER_ABOVE,
        "canvasAbove": _CANVAS_ABOVE,
        "quantum": _BASEMAP_QUANTUM,
        "admin1MinZoom": _ADMIN1_MIN_ZOOM,
    }
    data["strings"] = strings.items  # last: every field above has interned its text
    return _Payload(
        data=data,
        located=located,
        unlocated=len(incidents) - len(located),
        type_counts=type_counts,
        actor_counts=actor_counts,
        days=days,
        points=points,
    )


def _distance_km(a: LatLon, b: LatLon) -> float:
    """Great-circle distance (haversine, mean Earth radius)."""
    p1, p2 = math.radians(a.lat), math.radians(b.lat)
    dp, dl = p2 - p1, math.radians(b.lon - a.lon)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(h)))


# --- HTML built here (every piece of text through _html) ------------------------------------


def _iso(day: int) -> str:
    return (_EPOCH + dt.timedelta(days=day)).isoformat()


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _sources_html(incidents: Sequence[Incident]) -> tuple[int, str]:
    sources: dict[str, tuple[str | None, str | None]] = {}
    for i in incidents:
        sources.setdefault(i.article_id, (i.source_title, _safe_url(i.source_url)))
    items = []
    for article_id, (title, url) in list(sources.items())[:5]:
        label = _html(title or article_id)
        if url:
            items.append(
                f'<li><a href="{_html(url)}" target="_blank" rel="noopener noreferrer">'
                f"{label}</a></li>"
            )
        else:
            items.append(f"<li>{label}</li>")
    more = len(sources) - len(items)
    if more > 0:
        items.append(f"<li>and {more} more</li>")
    return len(sources), "".join(items)


def _panel_html(incidents: Sequence[Incident], payload: _Payload, title: str) -> str:
    located = len(payload.located)
    n_sources, sources = _sources_html(incidents)
    days = payload.days
    if not days:
        when = "no dates stated"
    elif days[0] == days[-1]:
        when = _iso(days[0])
    else:
        when = f"{_iso(days[0])} to {_iso(days[-1])}"
    unlocated = (
        f'<p class="geomap-unlocated">{_plural(payload.unlocated, "incident")} '
        "without a stated place (not on the map)</p>"
        if payload.unlocated
        else ""
    )
    actors = "".join(
        f'<option value="{_html(name)}">{_html(name)} ({count})</option>'
        for name, count in sorted(payload.actor_counts.items(), key=lambda kv: (-kv[1], kv[0]))
    )
    slider = ""
    if days and days[0] != days[-1]:
        lo, hi = days[0], days[-1]
        slider = (
            '<fieldset class="geomap-time"><legend>Time</legend>'
            f'<label>From <output id="geomap-from-label">{_iso(lo)}</output>'
            f'<input type="range" id="geomap-from" min="{lo}" max="{hi}" value="{lo}" step="1">'
            "</label>"
            f'<label>To <output id="geomap-to-label">{_iso(hi)}</output>'
            f'<input type="range" id="geomap-to" min="{lo}" max="{hi}" value="{hi}" step="1">'
            "</label>"
            '<label><input type="checkbox" id="geomap-undated" checked> undated incidents'
            "</label></fieldset>"
        )
    return (
        '<div id="geomap-panel" class="geomap-box geomap-panel">'
        f"<h1>{_html(title)}</h1>"
        f'<p class="geomap-meta"><span id="geomap-when">{_html(when)}</span> · '
        f'<span id="geomap-count">{_plural(located, "incident")}</span> on the map · '
        f"{_plural(n_sources, 'source')}</p>"
        f"{unlocated}"
        f'<details class="geomap-sources"><summary>Sources</summary><ul>{sources}</ul></details>'
        '<details class="geomap-filters" open><summary>Filters</summary>'
        '<label>Actor <select id="geomap-actor"><option value="">all actors</option>'
        f"{actors}</select></label>"
        f"{slider}"
        f'<p class="geomap-shown" id="geomap-shown">Showing {located} of {located}</p>'
        "</details>"
        f'<p class="geomap-attrib">{_html(_ATTRIBUTION_TEXT)}</p>'
        "</div>"
    )


def _marker_html(style: _Style) -> str:
    return (
        f'<span class="geomap-event" style="background:{style.color}">{_glyph(style.glyph)}</span>'
    )


_ARROW_SVG = (
    '<svg class="geomap-legend-arrow" width="30" height="12" aria-hidden="true">'
    '<line x1="1" y1="6" x2="20" y2="6" stroke="#444" stroke-width="2" stroke-dasharray="5 3"/>'
    '<polygon points="29,6 19,1 19,11" fill="#444"/></svg>'
)


def _legend_html(payload: _Payload) -> str:
    rows = []
    for k, entry in enumerate(payload.data["types"]):
        name = payload.data["strings"][entry["name"]]
        count = payload.type_counts.get(name, 0)
        if not count:
            continue  # the legend explains what is drawn
        rows.append(
            f'<li><label><input type="checkbox" class="geomap-type-toggle" data-type="{k}" checked>'
            f"{_marker_html(_style(name))}<span>{_html(name)} ({count})</span></label></li>"
        )
    if payload.data["origins"]:
        rows.append(
            f'<li><span class="geomap-origin">{_glyph(_ORIGIN_GLYPH)}</span>'
            "<span>Actor origin: where an actor comes from</span></li>"
        )
    if payload.data["arrows"]:
        rows.append(
            f"<li>{_ARROW_SVG}<span>From the acting actor's origin to the incident "
            "(colour of the event type)</span></li>"
        )
    if payload.data["places"]:
        rows.append(
            '<li><span class="geomap-legend-place"></span>'
            "<span>Place named in the article</span></li>"
        )
    if payload.data["cluster"]:
        rows.append(
            '<li><span class="geomap-legend-cluster">12</span>'
            "<span>Cluster of nearby incidents (click to zoom)</span></li>"
        )
    rows.append(
        '<li><span class="geomap-legend-heat"></span>'
        "<span>Heat map of incident density (layer off by default)</span></li>"
    )
    rows.append(
        '<li><span class="geomap-legend-admin1"></span>'
        f"<span>Province/state boundary (from zoom {_ADMIN1_MIN_ZOOM})</span></li>"
    )
    return (
        '<div id="geomap-legend" class="geomap-box geomap-legend">'
        "<details open><summary>Legend</summary>"
        f"<ul>{''.join(rows)}</ul>"
        "</details></div>"
    )


# --- folium glue ------------------------------------------------------------------------


class _Script(MacroElement):
    """A script block placed in document order among the map's children, verbatim."""

    def __init__(self, name: str, code: str) -> None:
        super().__init__()
        self._name = "GeomapScript"
        self._id = name
        self.code = code

    def render(self, **kwargs: Any) -> None:
        figure = self.get_root()
        assert isinstance(figure, Figure)
        figure.script.add_child(_Raw(self.code), name=self.get_name())


class _AppLayer(Layer):
    """A layer the runtime built, handed to folium so LayerControl lists it."""

    _template = Template(
        """
        {% macro script(this, kwargs) %}
            var {{ this.get_name() }} = {{ this.app }}.layers[{{ this.key|tojson }}];
        {% endmacro %}
        """
    )

    def __init__(self, app: str, key: str, name: str, *, overlay: bool, show: bool) -> None:
        super().__init__(name=name, overlay=overlay, control=True, show=show)
        self._name = "GeomapLayer"
        self._id = key
        self.app = app
        self.key = key


def _build_html(
    incidents: Sequence[Incident],
    places: Sequence[PlaceMention],
    title: str | None,
    online_tiles: bool,
) -> str:
    payload = _build_payload(incidents, places)
    basemap = _basemap()
    codes = {p.place.country_code for p in places if p.place and p.place.country_code}
    for incident in incidents:
        if incident.location and incident.location.place:
            codes.add(incident.location.place.country_code or "")
        for actor in (incident.actor1, incident.actor2):
            if actor and actor.origin:
                codes.add(actor.origin.country_code or "")
    # the shapes are spliced in as text after the rest is serialised; the marker is
    # random so no article text can collide with it
    marker = f"geomap-basemap-{secrets.token_hex(8)}"
    payload.data["basemap"] = marker
    basemap_json = (
        f'{{"countries":{basemap.countries},"admin1":{_admin1_for(codes, basemap)}}}'
    )
    payload.data["glyphs"] = {
        style.glyph: _glyph(style.glyph) for style in [*_EVENT_STYLES.values(), _OTHER_STYLE]
    } | {"origin": _glyph(_ORIGIN_GLYPH)}
    payload.data["attribution"] = _ATTRIBUTION_HTML

    if title is None:
        titles = {i.source_title for i in incidents if i.source_title}
        title = titles.pop() if len(titles) == 1 else "Conflict incidents"

    fmap = folium.Map(location=[20, 0], zoom_start=2, tiles=None, control_scale=True)
    fmap._id = "geomap"
    # Without a tile layer nothing sets these, and markercluster needs a maximum zoom;
    # each zoom level is one more level of clusters to build, and street level (16)
    # is as close as a geocoded incident deserves.
    fmap.options.update(min_zoom=1, max_zoom=16)
    # No CDN links: everything folium would fetch is inlined or not used at all
    # (no Bootstrap, no jQuery, no awesome-markers: markers are divIcons with inline SVG).
    fmap.default_js = []
    fmap.default_css = []
    figure = fmap.get_root()
    assert isinstance(figure, Figure)
    figure.header.add_child(_Raw(f"<title>{_html(title)}</title>"), name="geomap_title")
    figure.header.add_child(_Raw(_vendor_assets()), name="geomap_vendor")
    figure.header.add_child(_Raw(_inline_style(_CSS)), name="geomap_css")
    figure.header.add_child(_Raw(_inline_script(_RUNTIME_JS)), name="geomap_runtime")
    figure.html.add_child(
        _Raw(_panel_html(incidents, payload, title) + _legend_html(payload)), name="geomap_ui"
    )

    # Data sits in a non-executed JSON block: JSON.parse reads it faster than the JS
    # parser reads an object literal of the same size.
    figure.html.add_child(
        _Raw(
            '<script type="application/json" id="geomap-data">'
            + _script_json(payload.data).replace(f'"{marker}"', basemap_json)
            + "</script>"
        ),
        name="geomap_data",
    )
    app = "geomap_app"
    fmap.add_child(
        _Script(
            "create",
            f"var {app} = GeomapRuntime.create({fmap.get_name()}, "
            'JSON.parse(document.getElementById("geomap-data").textContent));',
        )
    )
    layers = [
        _AppLayer(app, "basemap", "Natural Earth (offline)", overlay=False, show=True),
    ]
    if online_tiles:
        osm = folium.TileLayer(
            "OpenStreetMap", name="OpenStreetMap (online)", overlay=False, show=False
        )
        osm._id = "osm"
        layers.append(osm)
    layers += [
        _AppLayer(app, "admin1", "Admin-1 boundaries", overlay=True, show=True),
        _AppLayer(app, "heat", "Heat map", overlay=True, show=False),
    ]
    if payload.data["places"]:
        layers.append(_AppLayer(app, "places", "Place mentions", overlay=True, show=True))
    layers += [
        # Thousands of arrows are a hairball, not a picture: then they are opt-in.
        _AppLayer(
            app,
            "arrows",
            "Origin → incident arrows",
            overlay=True,
            show=len(payload.data["arrows"]) <= _CANVAS_ABOVE,
        ),
        _AppLayer(app, "origins", "Actor origins", overlay=True, show=True),
        _AppLayer(app, "incidents", "Incidents", overlay=True, show=True),
    ]
    for layer in layers:
        fmap.add_child(layer)
    control = LayerControl(position="topright", collapsed=True)
    control._id = "layers"
    fmap.add_child(control)
    fmap.add_child(_Script("finish", f"{app}.finish();"))
    return figure.render()


# --- writing ----------------------------------------------------------------------------


def _write_atomic(path: Path, text: str, overwrite: bool) -> None:
    """Write via a temp file in the same folder and rename, so readers never see half."""
    with atomic_text(path, overwrite=overwrite) as fh:
        fh.write(text)


def render_map(
    incidents: Sequence[Incident],
    path: str | Path,
    *,
    places: Sequence[PlaceMention] = (),
    title: str | None = None,
    online_tiles: bool = True,
    overwrite: bool = False,
) -> Path:
    """Write a self-contained HTML map of incidents that works offline.

    Events are drawn where they happened (incidents without a place are counted in
    the panel, not drawn), actor origins as separate markers, and an arrow runs from
    the acting actor's origin to each event. Popups show the coding and the evidence
    sentence with its trigger highlighted; a legend, filters (event type, actor,
    time), a heat layer and a layer control come with it.

    Parameters
    ----------
    incidents : sequence of Incident
        What to draw; those whose ``point`` is None are only counted.
    path : str or Path
        The HTML file to write (its folder is created if missing).
    places : sequence of PlaceMention, optional
        Place mentions to draw as a separate layer of small circles.
    title : str, optional
        Heading and page title; defaults to the single source title, if there is one.
    online_tiles : bool, default True
        Offer OpenStreetMap tiles as a second base layer (never shown by default).
    overwrite : bool, default False
        Replace ``path`` if it exists.

    Returns
    -------
    Path
        The path written.

    Raises
    ------
    OutputExistsError
        If ``path`` exists and ``overwrite`` is false.
    GeomapError
        If the bundled basemap or the inlined assets cannot be read.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "empty.html"
    >>> render_map([], out).name
    'empty.html'
    >>> "GeoNames" in out.read_text(encoding="utf-8")
    True
    """
    path = Path(path)
    for incident in incidents:
        if not isinstance(incident, Incident):
            raise TypeError(f"render_map expects Incident objects, got {type(incident).__name__}")
    for mention in places:
        if not isinstance(mention, PlaceMention):
            raise TypeError(
                f"render_map expects PlaceMention objects in places, got {type(mention).__name__}"
            )
    if not overwrite:
        refuse_existing(path)  # fail before the work, not after
    text = _build_html(incidents, places, title, online_tiles)
    _write_atomic(path, text, overwrite)
    return path


# --- headless browser -------------------------------------------------------------------

CHROMIUM_ARGS: tuple[str, ...] = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
)
_CHROMIUM = "/usr/bin/chromium"
_LOCAL_SCHEMES = ("file:", "data:", "about:", "blob:")


def launch_chromium(playwright: Playwright, executable: str | None = None) -> Browser:
    """Launch Debian's headless Chromium the way the tests and benchmarks do.

    ``executable`` defaults to ``$GEOMAP_CHROMIUM`` or ``/usr/bin/chromium``.
    """
    path = executable or os.environ.get("GEOMAP_CHROMIUM", _CHROMIUM)
    if not Path(path).exists():
        raise GeomapError(
            f"Chromium not found at {path}; expected a Chromium binary; "
            "fix: apt-get install -y chromium, or set GEOMAP_CHROMIUM"
        )
    return playwright.chromium.launch(executable_path=path, args=list(CHROMIUM_ARGS))


def screenshot(
    html_path: str | Path,
    png_path: str | Path,
    *,
    width: int = 1280,
    height: int = 800,
    timeout_ms: int = 30_000,
    overwrite: bool = False,
    browser: Browser | None = None,
) -> Path:
    """Save a PNG of a map written by :func:`render_map`, with the network blocked.

    Needs the ``playwright`` package and a Chromium (see :func:`launch_chromium`);
    pass ``browser`` to reuse one already launched.
    """
    html_path, png_path = Path(html_path), Path(png_path)
    if not overwrite:
        refuse_existing(png_path)

    def offline(route: Any) -> None:
        if route.request.url.startswith(_LOCAL_SCHEMES):
            route.continue_()
        else:
            route.abort()

    def shoot(chromium: Browser, target: str) -> None:
        page = chromium.new_page(viewport={"width": width, "height": height})
        try:
            page.route("**/*", offline)
            page.goto(html_path.resolve().as_uri())
            page.wait_for_function("window.geomap && window.geomap.ready", timeout=timeout_ms)
            page.screenshot(path=target)
        finally:
            page.close()

    with atomic_path(png_path, overwrite=overwrite, suffix=".png") as tmp:
        if browser is not None:
            shoot(browser, str(tmp))
        else:
            try:
                from playwright.sync_api import sync_playwright
            except ImportError as err:
                raise GeomapError(
                    f"screenshots need Playwright ({err}); fix: pip install playwright"
                ) from err
            with sync_playwright() as pw:
                chromium = launch_chromium(pw)
                try:
                    shoot(chromium, str(tmp))
                finally:
                    chromium.close()
    return png_path


# --- styles and runtime (written for geomap; no third-party code) --------------------------

_CSS = """
.leaflet-container.geomap-map { background: #c9dbe9;
  font: 13px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Liberation Sans", Arial,
    sans-serif; }
.geomap-icon { background: none; border: 0; }
.geomap-event, .geomap-origin { box-sizing: border-box; display: inline-flex;
  align-items: center; justify-content: center; flex: none;
  box-shadow: 0 1px 4px rgba(0,0,0,.55); }
.geomap-event { width: 26px; height: 26px; border-radius: 50%; border: 2px solid #fff; }
.geomap-origin { width: 22px; height: 22px; border-radius: 3px; background: #263238;
  border: 2px solid #ffd54f; }
.geomap-event svg, .geomap-origin svg { width: 13px; height: 13px; fill: #fff; }
.geomap-box { background: rgba(255,255,255,.96); padding: 8px 10px; border-radius: 6px;
  box-shadow: 0 1px 5px rgba(0,0,0,.4); max-width: 320px; color: #222;
  overflow: auto; }
.geomap-panel { max-height: calc(55vh - 100px); }
.geomap-legend { max-height: calc(45vh - 70px); }
.geomap-box, .geomap-popup { overflow-wrap: anywhere; }
.geomap-map .leaflet-tooltip { white-space: normal; width: max-content; max-width: 300px;
  overflow-wrap: anywhere; }
.geomap-panel h1 { font-size: 15px; line-height: 1.3; margin: 0 0 4px; }
.geomap-panel p { margin: 0 0 6px; }
.geomap-meta, .geomap-shown, .geomap-unlocated { color: #444; }
.geomap-panel label { display: block; margin: 4px 0; }
.geomap-panel select { max-width: 220px; }
.geomap-panel input[type=range] { display: block; width: 100%; }
.geomap-panel fieldset { border: 1px solid #ccc; border-radius: 4px; margin: 6px 0;
  padding: 2px 8px; }
.geomap-panel summary, .geomap-legend summary { cursor: pointer; font-weight: 600; }
.geomap-sources ul { margin: 4px 0; padding-left: 18px; }
.geomap-attrib { font-size: 11px; color: #555; margin: 6px 0 0; }
.geomap-legend { font-size: 12px; }
.geomap-legend ul { list-style: none; margin: 4px 0 0; padding: 0; }
.geomap-legend-arrow { flex: none; }
.geomap-legend li, .geomap-legend li > label { display: flex; align-items: center; gap: 6px;
  margin: 3px 0; }
.geomap-legend .geomap-event { width: 22px; height: 22px; }
.geomap-legend-place { width: 10px; height: 10px; margin: 0 6px; border-radius: 50%;
  border: 2px solid #37474f; background: #fff; flex: none; }
.geomap-legend-cluster { width: 24px; height: 24px; border-radius: 50%; flex: none;
  background: rgba(110,204,57,.85); font-size: 11px; display: inline-flex;
  align-items: center; justify-content: center; }
.geomap-legend-heat { width: 24px; height: 12px; flex: none; border-radius: 2px;
  background: linear-gradient(90deg, #2b83ba, #abdda4, #fdae61, #d7191c); }
.geomap-legend-admin1 { width: 24px; flex: none; border-top: 2px dashed #a89f91; }
.geomap-popup { min-width: 220px; }
.geomap-popup-head { display: flex; align-items: center; gap: 6px; }
.geomap-popup-head .geomap-event { width: 22px; height: 22px; }
.geomap-sub { color: #555; display: block; font-size: 12px; }
.geomap-popup dl { display: grid; grid-template-columns: auto 1fr; gap: 2px 8px; margin: 6px 0; }
.geomap-popup dt { color: #555; }
.geomap-popup dd { margin: 0; }
.geomap-evidence { margin: 6px 0; padding: 4px 8px; border-left: 3px solid #999;
  background: #f6f6f6; max-height: 10em; overflow: auto; }
.geomap-evidence mark { background: #ffe066; font-weight: 600; }
.geomap-small { color: #666; font-size: 11px; }
.geomap-heat, .geomap-flows { position: absolute; pointer-events: none; }
"""

_RUNTIME_JS = r"""
(function () {
  "use strict";

  // Text reaches the page only through textContent: never innerHTML.
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = String(text); }
    return e;
  }
  // SVG keeps one DOM node per shape (testable, crisp); canvas scales to thousands.
  function vectorRenderer(count, canvasAbove) {
    return count > canvasAbove ? L.canvas({ padding: 0.3 }) : L.svg({ padding: 0.3 });
  }
  function iso(day) { return new Date(day * 864e5).toISOString().slice(0, 10); }
  function plural(n, word) { return n + " " + word + (n === 1 ? "" : "s"); }

  // Basemap rings arrive as flat delta-encoded integer [lat, lon] pairs.
  function decodeRing(flat, q) {
    var out = [], lat = 0, lon = 0;
    for (var i = 0; i < flat.length; i += 2) {
      lat += flat[i]; lon += flat[i + 1];
      out.push([lat / q, lon / q]);
    }
    return out;
  }
  function decodeGeometry(polys, q) {
    return polys.map(function (rings) {
      return rings.map(function (r) { return decodeRing(r, q); });
    });
  }

  // A flow line from a to b: a quadratic curve in Web Mercator bending to the right of
  // the direction of travel, so a->b and b->a stay apart and nothing leaves the map
  // (great circles run off the top of Mercator). a is moved by 360 degrees when that
  // is the shorter way, so the line ends exactly at b, where the incident marker is.
  function flowLine(a, b) {
    var crs = L.CRS.EPSG3857, lon = a[1];
    while (lon - b[1] > 180) { lon -= 360; }
    while (lon - b[1] < -180) { lon += 360; }
    var p = crs.latLngToPoint(L.latLng(a[0], lon), 0);
    var q = crs.latLngToPoint(L.latLng(b[0], b[1]), 0);
    var dx = q.x - p.x, dy = q.y - p.y, len = Math.sqrt(dx * dx + dy * dy);
    if (len < 0.05) { return [[a[0], lon], [b[0], b[1]]]; }  // under ~8 km: straight
    var bend = 0.2, cx = (p.x + q.x) / 2 - dy * bend, cy = (p.y + q.y) / 2 + dx * bend, pts = [];
    for (var i = 0, n = 24; i <= n; i++) {
      var t = i / n, u = 1 - t;
      var ll = crs.pointToLatLng(L.point(u * u * p.x + 2 * u * t * cx + t * t * q.x,
        u * u * p.y + 2 * u * t * cy + t * t * q.y), 0);
      pts.push([ll.lat, ll.lng]);
    }
    pts[n] = [b[0], b[1]];
    return pts;
  }

  // A marker that labels its element, so the page (and tests) can tell incidents apart.
  var IncidentMarker = L.Marker.extend({
    onAdd: function (map) {
      L.Marker.prototype.onAdd.call(this, map);
      var e = this.getElement();
      e.classList.add("geomap-incident");
      e.dataset.incident = String(this.options.incident);
      return this;
    }
  });

  // A canvas over the whole map, redrawn after every move or zoom; hidden during zoom
  // animations. Subclasses implement _draw(context, width, height).
  var CanvasOverlay = L.Layer.extend({
    onAdd: function (map) {
      this._canvas = L.DomUtil.create("canvas", this.options.className + " leaflet-zoom-hide");
      this.getPane().appendChild(this._canvas);
      map.on("moveend resize", this._reset, this);  // moveend also follows every zoom
      this._reset();
    },
    onRemove: function (map) {
      L.DomUtil.remove(this._canvas);
      map.off("moveend resize", this._reset, this);
    },
    redraw: function () { if (this._map) { this._redraw(); } },
    _reset: function () {
      var size = this._map.getSize(), ratio = this.options.hiDpi ? window.devicePixelRatio || 1 : 1;
      L.DomUtil.setPosition(this._canvas, this._map.containerPointToLayerPoint([0, 0]));
      this._canvas.width = size.x * ratio; this._canvas.height = size.y * ratio;
      this._canvas.style.width = size.x + "px"; this._canvas.style.height = size.y + "px";
      this._ratio = ratio;
      this._redraw();
    },
    _redraw: function () {
      var g = this._canvas.getContext("2d", { willReadFrequently: !this.options.hiDpi });
      g.setTransform(1, 0, 0, 1, 0, 0);
      g.clearRect(0, 0, this._canvas.width, this._canvas.height);
      g.setTransform(this._ratio, 0, 0, this._ratio, 0, 0);
      var size = this._map.getSize();
      if (size.x && size.y) { this._draw(g, size.x, size.y); }
    }
  });

  // A density surface: soft discs add up in the alpha channel, then alpha is mapped
  // through a colour ramp.
  var HeatLayer = CanvasOverlay.extend({
    options: { className: "geomap-heat", hiDpi: false },
    initialize: function (points, options) {
      this._points = points || [];
      L.setOptions(this, options);  // an own options object: the prototype's is shared
    },
    setPoints: function (points) { this._points = points; this.redraw(); },
    _sprite: function (r) {
      if (this._spriteRadius === r) { return this._spriteCanvas; }
      var c = document.createElement("canvas"), g = c.getContext("2d");
      c.width = c.height = 2 * r;
      var grad = g.createRadialGradient(r, r, 0, r, r, r);
      grad.addColorStop(0, "rgba(0,0,0,1)"); grad.addColorStop(1, "rgba(0,0,0,0)");
      g.fillStyle = grad; g.fillRect(0, 0, 2 * r, 2 * r);
      this._spriteRadius = r; this._spriteCanvas = c;
      return c;
    },
    _ramp: function () {
      if (this._rampData) { return this._rampData; }
      var c = document.createElement("canvas"), g = c.getContext("2d");
      c.width = 256; c.height = 1;
      var grad = g.createLinearGradient(0, 0, 256, 0);
      grad.addColorStop(0.0, "#2b83ba"); grad.addColorStop(0.35, "#abdda4");
      grad.addColorStop(0.65, "#fdae61"); grad.addColorStop(1.0, "#d7191c");
      g.fillStyle = grad; g.fillRect(0, 0, 256, 1);
      this._rampData = g.getImageData(0, 0, 256, 1).data;
      return this._rampData;
    },
    _draw: function (g, w, h) {
      var map = this._map;
      if (!this._points.length) { return; }
      var r = Math.max(10, Math.min(30, 4 * map.getZoom())), sprite = this._sprite(r);
      g.globalAlpha = Math.max(0.08, Math.min(0.5, 30 / Math.sqrt(this._points.length + 1)));
      for (var i = 0; i < this._points.length; i++) {
        var p = map.latLngToContainerPoint(this._points[i]);
        if (p.x < -r || p.y < -r || p.x > w + r || p.y > h + r) { continue; }
        g.drawImage(sprite, p.x - r, p.y - r);
      }
      g.globalAlpha = 1;
      var img = g.getImageData(0, 0, w, h), px = img.data, ramp = this._ramp();
      for (var j = 3; j < px.length; j += 4) {
        var a = px[j];
        if (!a) { continue; }
        px[j - 3] = ramp[a * 4]; px[j - 2] = ramp[a * 4 + 1]; px[j - 1] = ramp[a * 4 + 2];
        px[j] = Math.min(230, 60 + a);
      }
      g.putImageData(img, 0, 0);
    }
  });

  // Arrowhead triangle in pixels: its tip stops short of the target so the incident
  // marker does not hide it, pointing along the last stretch of the line p0 ... p1 p2.
  function arrowHead(p0, p1, p2) {
    var dx = p2.x - p1.x, dy = p2.y - p1.y, len = Math.sqrt(dx * dx + dy * dy) || 1;
    dx /= len; dy /= len;
    var total = p0.distanceTo(p2), back = Math.min(13, total / 3);
    var size = Math.min(14, total / 2), half = size * 0.43;
    var tip = L.point(p2.x - dx * back, p2.y - dy * back);
    var base = L.point(tip.x - dx * size, tip.y - dy * size);
    return [tip, L.point(base.x - dy * half, base.y + dx * half),
      L.point(base.x + dy * half, base.y - dx * half)];
  }

  // Thousands of arrows drawn on one canvas: Leaflet's one-object-per-path costs
  // seconds per zoom at that count. Not interactive; the few-arrow maps use SVG paths.
  var FlowLayer = CanvasOverlay.extend({
    options: { className: "geomap-flows", hiDpi: true },
    initialize: function (arrows, options) {
      this._arrows = arrows;
      L.setOptions(this, options);
    },
    _draw: function (g) {
      var map = this._map, view = map.getBounds();
      g.lineWidth = 1.5; g.globalAlpha = 0.75;
      this._arrows.forEach(function (a) {
        if (!a.on || !view.intersects(a.bounds)) { return; }
        var pts = a.pts.map(function (p) { return map.latLngToContainerPoint(p); });
        g.strokeStyle = a.color; g.fillStyle = a.color;
        g.setLineDash([6, 4]);
        g.beginPath();
        g.moveTo(pts[0].x, pts[0].y);
        for (var i = 1; i < pts.length; i++) { g.lineTo(pts[i].x, pts[i].y); }
        g.stroke();
        var n = pts.length, h = arrowHead(pts[0], pts[n - 2], pts[n - 1]);
        g.setLineDash([]);
        g.beginPath(); g.moveTo(h[0].x, h[0].y); g.lineTo(h[1].x, h[1].y); g.lineTo(h[2].x, h[2].y);
        g.closePath(); g.fill();
      });
    }
  });

  function App(map, D) {
    this.timings = { create: performance.now() };  // ms since navigation start
    this.map = map; this.D = D; this.S = D.strings; this.ready = false;
    // Shared by every popup; _fit() sets the left padding once the panel is measured,
    // so popups pan clear of it.
    this.popupOptions = {
      maxWidth: 380, minWidth: 240, className: "geomap-popup-wrap",
      autoPanPaddingTopLeft: [5, 5], autoPanPaddingBottomRight: [5, 5]
    };
    var F = {};
    D.fields.forEach(function (f, i) { F[f] = i; });
    this.F = F;
    this.layers = {};
    this.typeOn = D.types.map(function () { return true; });
    map.getContainer().classList.add("geomap-map");
    map.attributionControl.addAttribution(D.attribution);
    this._panes();
    this._basemap();
    this.timings.basemap = performance.now();
    this._incidents();
    this.timings.incidents = performance.now();
    this._origins();
    this._arrows();
    this._places();
    this.layers.heat = new HeatLayer([], { pane: "geomap-heat" });
    this.timings.created = performance.now();
  }

  App.prototype.s = function (i) { return i === null || i === undefined ? null : this.S[i]; };
  App.prototype.v = function (row, field) { return row[this.F[field]]; };

  App.prototype._panes = function () {
    var map = this.map;
    [["geomap-basemap", 150], ["geomap-admin1", 160], ["geomap-heat", 380]].forEach(function (p) {
      map.createPane(p[0]).style.zIndex = p[1];
    });
    map.getPane("geomap-heat").style.pointerEvents = "none";
  };

  App.prototype._basemap = function () {
    var B = this.D.basemap, q = this.D.quantum, map = this.map;
    var land = L.canvas({ pane: "geomap-basemap", padding: 0.3 });
    this.layers.basemap = L.layerGroup(B.countries.map(function (g) {
      return L.polygon(decodeGeometry(g, q), {
        renderer: land, interactive: false, color: "#8d9399", weight: 0.8,
        fillColor: "#f3f0e8", fillOpacity: 1
      });
    }));
    var lines = L.canvas({ pane: "geomap-admin1", padding: 0.3 });
    var inner = L.layerGroup(B.admin1.map(function (g) {
      return L.polygon(decodeGeometry(g, q), {
        renderer: lines, interactive: false, color: "#a89f91", weight: 0.8,
        dashArray: "4 3", fill: false
      });
    }));
    var outer = L.layerGroup(), minZoom = this.D.admin1MinZoom;
    this.layers.admin1 = outer;
    this._syncAdmin1 = function () {
      var on = map.getZoom() >= minZoom;
      if (on && !outer.hasLayer(inner)) { outer.addLayer(inner); }
      if (!on && outer.hasLayer(inner)) { outer.removeLayer(inner); }
    };
    map.on("zoomend", this._syncAdmin1);
  };

  App.prototype._incidents = function () {
    var self = this, D = this.D;
    var icons = D.types.map(function (t) {
      return L.divIcon({
        className: "geomap-icon",
        html: '<span class="geomap-event" style="background:' + t.color + '">' +
          D.glyphs[t.glyph] + "</span>",
        iconSize: [26, 26], iconAnchor: [13, 13], popupAnchor: [0, -12], tooltipAnchor: [0, -12]
      });
    });
    // Plain markers: popups and tooltips are shared and attached to the group below,
    // since one Popup and one Tooltip object per marker is most of the cost at 10,000.
    this.markers = D.incidents.map(function (row, i) {
      return new IncidentMarker([self.v(row, "lat"), self.v(row, "lon")], {
        icon: icons[self.v(row, "type")], riseOnHover: true, incident: i
      });
    });
    var group;
    if (D.cluster) {
      group = L.markerClusterGroup({
        chunkedLoading: true, chunkInterval: 150, chunkDelay: 1, maxClusterRadius: 45,
        showCoverageOnHover: false,
        chunkProgress: function (done, total) {
          if (done === total) { self._loaded(); }
        }
      });
    } else {
      group = L.featureGroup();
    }
    this.layers.incidents = group;
    var map = this.map, tip = L.tooltip({ direction: "top", offset: [0, -12] });
    // Opened at the marker's centre, not bound to it: lift it above the icon.
    var popup = L.popup(L.extend({}, this.popupOptions, { offset: [0, -5] }));
    function incidentOf(e) {
      var m = e.propagatedFrom || e.layer;
      return m && m.options && m.options.incident !== undefined ? m : null;
    }
    group.on("click", function (e) {
      var m = incidentOf(e);
      if (!m) { return; }
      map.closeTooltip(tip);
      popup.setLatLng(m.getLatLng()).setContent(self.popup(m.options.incident)).openOn(map);
    });
    group.on("mouseover", function (e) {
      var m = incidentOf(e);
      if (!m) { return; }
      var text = self.tooltipText(m.options.incident);
      tip.setLatLng(m.getLatLng()).setContent(el("span", null, text));
      map.openTooltip(tip);
    });
    group.on("mouseout", function () { map.closeTooltip(tip); });
  };

  App.prototype.typeName = function (row) {
    return this.s(this.D.types[this.v(row, "type")].name);
  };

  App.prototype.tooltipText = function (i) {
    var row = this.D.incidents[i], parts = [this.typeName(row)];
    var where = this.s(this.v(row, "where")), day = this.v(row, "day");
    if (where) { parts.push(where); }
    if (day !== null) { parts.push(iso(day)); }
    return parts.join(" · ");
  };

  App.prototype.actorText = function (nameIdx, originIdx) {
    var name = this.s(nameIdx);
    if (!name) { return null; }
    if (originIdx !== null) { name += " (from " + this.s(this.D.origins[originIdx][2]) + ")"; }
    return name;
  };

  App.prototype.popup = function (i) {
    var self = this, row = this.D.incidents[i], v = function (f) { return self.v(row, f); };
    var type = this.D.types[v("type")];
    var root = el("div", "geomap-popup");
    root.dataset.incident = String(i);
    var head = el("div", "geomap-popup-head");
    var badge = el("span", "geomap-event");
    badge.style.background = type.color;
    badge.innerHTML = this.D.glyphs[type.glyph];  // our own SVG constant, not article text
    var names = el("div");
    names.appendChild(el("strong", null, this.s(type.name)));
    if (v("sub") !== null) { names.appendChild(el("span", "geomap-sub", this.s(v("sub")))); }
    head.appendChild(badge); head.appendChild(names); root.appendChild(head);

    var dl = el("dl");
    function row_(label, value) {
      if (value === null || value === undefined || value === "") { return; }
      dl.appendChild(el("dt", null, label)); dl.appendChild(el("dd", null, value));
    }
    row_("Actor 1", this.actorText(v("a1"), v("o1")));
    row_("Actor 2", this.actorText(v("a2"), v("o2")));
    var day = v("day"), tprec = this.s(v("tprec"));
    row_("Date", day === null ? "not stated"
      : iso(day) + (tprec ? " (precision: " + tprec + ")" : ""));
    var where = this.s(v("where")), mention = this.s(v("mention")), wtext = where || "";
    if (mention && mention !== where) { wtext += " (“" + mention + "”)"; }
    if (v("gprec") !== null) { wtext += " · geo-precision " + v("gprec"); }
    if (v("fallback")) { wtext += " · fallback location"; }
    row_("Where", wtext);
    var fat = v("fat"), claim = this.s(v("claim"));
    row_("Fatalities", fat === null ? "not reported"
      : String(fat) + (claim ? " (claimed by " + claim + ")" : ""));
    if (v("inj") !== null) { row_("Injured", String(v("inj"))); }
    if (v("conf") !== null) { row_("Confidence", Number(v("conf")).toFixed(2)); }
    root.appendChild(dl);

    var ev = this.s(v("ev"));
    if (ev) {
      var q = el("blockquote", "geomap-evidence"), hs = v("hs"), he = v("he");
      if (hs >= 0 && he <= ev.length) {
        q.appendChild(document.createTextNode(ev.slice(0, hs)));
        q.appendChild(el("mark", null, ev.slice(hs, he)));
        q.appendChild(document.createTextNode(ev.slice(he)));
      } else {
        q.textContent = ev;
      }
      root.appendChild(q);
    }
    var src = this.s(v("src")), url = this.s(v("url"));
    var sp = el("div", "geomap-source", "Source: ");
    if (url && /^https?:\/\//i.test(url)) {
      var a = el("a", null, src || url);
      a.href = url; a.target = "_blank"; a.rel = "noopener noreferrer";
      sp.appendChild(a);
    } else {
      sp.appendChild(document.createTextNode(src || "not recorded"));
    }
    root.appendChild(sp);
    var notes = v("notes");
    if (notes) {
      var ul = el("ul", "geomap-small");
      notes.forEach(function (n) { ul.appendChild(el("li", null, self.s(n))); });
      root.appendChild(ul);
    }
    var rule = this.s(v("rule"));
    if (rule) { root.appendChild(el("div", "geomap-small", "coded by rule " + rule)); }
    return root;
  };

  App.prototype._origins = function () {
    var self = this, D = this.D;
    var icon = L.divIcon({
      className: "geomap-icon",
      html: '<span class="geomap-origin">' + D.glyphs.origin + "</span>",
      iconSize: [22, 22], iconAnchor: [11, 11], popupAnchor: [0, -10], tooltipAnchor: [0, -10]
    });
    this.originMarkers = D.origins.map(function (o, k) {
      var m = L.marker([o[0], o[1]], { icon: icon, zIndexOffset: -500 });
      var text = function () {
        var actors = o[3].map(function (a) { return self.s(a); }).join(", ");
        return "Actor origin: " + self.s(o[2]) + (actors ? " (" + actors + ")" : "");
      };
      m.on("add", function () {
        var e = m.getElement();
        if (e) { e.classList.add("geomap-origin-marker"); e.dataset.origin = String(k); }
      });
      m.bindTooltip(function () { return el("span", null, text()); }, { direction: "top" });
      m.bindPopup(function () {
        var root = el("div", "geomap-popup");
        root.appendChild(el("strong", null, text()));
        root.appendChild(el("div", "geomap-small",
          "Arrows start here for incidents this actor carried out."));
        return root;
      }, self.popupOptions);
      return m;
    });
    this.layers.origins = L.featureGroup();
  };

  // Arrows are built the first time their layer is shown: with thousands of incidents
  // the layer starts hidden, and nobody should wait for arcs they did not ask for.
  App.prototype._arrows = function () {
    var self = this;
    this.arrows = null;
    this.layers.arrows = L.featureGroup();
    this.layers.arrows.on("add", function () {
      if (self.arrows) { return; }
      self._buildArrows();
      self._showArrows();
      self._placeArrowheads();
    });
    this.map.on("zoomend", function () { self._placeArrowheads(); });
  };

  App.prototype._showArrows = function () {
    var visible = this.visible, group = this.layers.arrows;
    if (!this.arrows) { return; }
    this.arrows.forEach(function (a) {
      a.on = !visible || a.incidents.some(function (j) { return visible[j]; });
    });
    if (this.flow) { this.flow.redraw(); return; }
    group.clearLayers();
    this.arrows.forEach(function (a) { if (a.on) { group.addLayer(a.group); } });
  };

  App.prototype._buildArrows = function () {
    var self = this, D = this.D;
    this.arrows = D.arrows.map(function (a) {
      var o = D.origins[a[0]], pts = flowLine([o[0], o[1]], [a[1], a[2]]);
      return {
        pts: pts, bounds: L.latLngBounds(pts), color: D.types[a[4]].color, incidents: a[3],
        origin: o, on: true
      };
    });
    if (this.arrows.length > D.canvasAbove) {
      this.flow = new FlowLayer(this.arrows);
      this.layers.arrows.addLayer(this.flow);
      return;
    }
    var renderer = L.svg({ padding: 0.3 });
    this.arrows.forEach(function (a) {
      var line = L.polyline(a.pts, {
        renderer: renderer, color: a.color, weight: 2.5, opacity: 0.9, dashArray: "8 5",
        className: "geomap-arrow"
      });
      a.head = L.polygon([a.pts[0], a.pts[0], a.pts[0]], {
        renderer: renderer, color: a.color, weight: 1, fillColor: a.color, fillOpacity: 1,
        className: "geomap-arrowhead", interactive: false
      });
      var target = self.s(self.v(D.incidents[a.incidents[0]], "where")) || "incident";
      var label = " → " + target + ": " + plural(a.incidents.length, "incident");
      line.bindTooltip(function () { return el("span", null, self.s(a.origin[2]) + label); },
        { sticky: true });
      a.group = L.featureGroup([line, a.head]);
    });
  };

  // SVG arrowheads are sized in pixels, so they are recomputed for each zoom.
  App.prototype._placeArrowheads = function () {
    var map = this.map, z = map.getZoom();
    if (!this.arrows || this.flow) { return; }
    this.arrows.forEach(function (a) {
      var n = a.pts.length, px = function (p) { return map.project(p, z); };
      var head = arrowHead(px(a.pts[0]), px(a.pts[n - 2]), px(a.pts[n - 1]));
      a.head.setLatLngs(head.map(function (p) { return map.unproject(p, z); }));
    });
  };

  App.prototype._places = function () {
    var self = this, D = this.D;
    if (!D.places.length) { return; }
    var renderer = vectorRenderer(D.places.length, D.canvasAbove);
    this.layers.places = L.featureGroup(D.places.map(function (p) {
      var m = L.circleMarker([p[0], p[1]], {
        renderer: renderer, radius: 5, color: "#37474f", weight: 2, fillColor: "#fff",
        fillOpacity: 1, className: "geomap-place"
      });
      m.bindTooltip(function () {
        var said = p[4].map(function (t) { return "“" + self.s(t) + "”"; }).join(", ");
        return el("span", null, self.s(p[2]) + " — named " + plural(p[3], "time") + ": " + said);
      }, { direction: "top" });
      return m;
    }));
  };

  // --- filters -------------------------------------------------------------------------
  App.prototype._wire = function () {
    var self = this, map = this.map;
    function control(id, position) {
      var node = document.getElementById(id);
      if (!node) { return; }
      var C = L.Control.extend({
        onAdd: function () {
          L.DomEvent.disableClickPropagation(node);
          L.DomEvent.disableScrollPropagation(node);
          return node;
        }
      });
      new C({ position: position }).addTo(map);
    }
    control("geomap-panel", "topleft");
    control("geomap-legend", "bottomleft");
    var apply = function () { self.requestFilter(); };
    document.querySelectorAll(".geomap-type-toggle").forEach(function (box) {
      box.addEventListener("change", function () {
        self.typeOn[Number(box.dataset.type)] = box.checked; apply();
      });
    });
    var actor = document.getElementById("geomap-actor");
    if (actor) { actor.addEventListener("change", apply); }
    ["from", "to"].forEach(function (end) {
      var input = document.getElementById("geomap-" + end);
      if (!input) { return; }
      var label = document.getElementById("geomap-" + end + "-label");
      // Labels follow the thumb; the (costly) filtering waits for release.
      input.addEventListener("input", function () {
        label.textContent = iso(Number(input.value));
      });
      input.addEventListener("change", apply);
    });
    var undated = document.getElementById("geomap-undated");
    if (undated) { undated.addEventListener("change", apply); }
  };

  App.prototype._filter = function () {
    var self = this, D = this.D, F = this.F;
    var actorSel = document.getElementById("geomap-actor");
    var actorName = actorSel ? actorSel.value : "";
    var from = document.getElementById("geomap-from"), to = document.getElementById("geomap-to");
    var lo = from ? Math.min(Number(from.value), Number(to.value)) : -Infinity;
    var hi = from ? Math.max(Number(from.value), Number(to.value)) : Infinity;
    var undated = document.getElementById("geomap-undated");
    var keepUndated = undated ? undated.checked : true;
    var visible = new Uint8Array(D.incidents.length);
    D.incidents.forEach(function (row, i) {
      if (!self.typeOn[row[F.type]]) { return; }
      if (actorName && self.s(row[F.a1]) !== actorName && self.s(row[F.a2]) !== actorName) {
        return;
      }
      var day = row[F.day];
      if (day === null ? !keepUndated : day < lo || day > hi) { return; }
      visible[i] = 1;
    });
    return visible;
  };

  App.prototype.applyFilters = function () {
    var self = this, D = this.D, F = this.F, visible = this._filter();
    var shown = [], heat = [], originOn = new Uint8Array(D.origins.length);
    for (var i = 0; i < visible.length; i++) {
      if (!visible[i]) { continue; }
      var row = D.incidents[i];
      shown.push(this.markers[i]);
      heat.push([row[F.lat], row[F.lon]]);
      if (row[F.o1] !== null) { originOn[row[F.o1]] = 1; }
      if (row[F.o2] !== null) { originOn[row[F.o2]] = 1; }
    }
    var inc = this.layers.incidents;
    inc.clearLayers();
    this._pending = true;
    if (inc.addLayers) {
      var onMap = this.map.hasLayer(inc);
      inc.addLayers(shown);
      if (!onMap || !shown.length) { this._loaded(); }
    } else {
      shown.forEach(function (m) { inc.addLayer(m); });
      this._loaded();
    }
    this.layers.origins.clearLayers();
    this.originMarkers.forEach(function (m, k) {
      if (originOn[k]) { self.layers.origins.addLayer(m); }
    });
    this.visible = visible;
    this._showArrows();
    this.layers.heat.setPoints(heat);
    var out = document.getElementById("geomap-shown");
    if (out) { out.textContent = "Showing " + shown.length + " of " + D.incidents.length; }
    this.shown = shown.length;
  };

  // markercluster cannot cancel a chunked load, so a filter change that arrives during
  // one waits for it to finish.
  App.prototype.requestFilter = function () {
    if (this._pending && this.D.cluster) { this._again = true; return; }
    this.applyFilters();
  };

  App.prototype._loaded = function () {
    if (!this._pending) { return; }
    this._pending = false;
    if (this._again) { this._again = false; this.applyFilters(); return; }
    var self = this;
    // Two frames: the browser has laid out and painted what was just added.
    requestAnimationFrame(function () {
      requestAnimationFrame(function () {
        self.ready = true;
        self.readyAt = self.timings.ready = performance.now();
      });
    });
  };

  App.prototype._fit = function () {
    // The story is the incidents and where their arrows start; other origins and
    // place mentions (often whole countries far away) are a zoom-out away.
    var D = this.D, F = this.F, pts = [];
    D.incidents.forEach(function (r) { pts.push([r[F.lat], r[F.lon]]); });
    D.arrows.forEach(function (a) { pts.push([D.origins[a[0]][0], D.origins[a[0]][1]]); });
    if (!pts.length) {
      D.origins.forEach(function (o) { pts.push([o[0], o[1]]); });
      D.places.forEach(function (p) { pts.push([p[0], p[1]]); });
    }
    if (!pts.length) { this.map.setView([20, 0], 2); return; }
    // Keep the data clear of the panel and legend on the left, unless that would
    // leave too little map (a phone).
    var size = this.map.getSize(), left = 0;
    ["geomap-panel", "geomap-legend"].forEach(function (id) {
      var node = document.getElementById(id);
      if (node) { left = Math.max(left, node.offsetWidth + 20); }
    });
    if (left > size.x / 2) { left = 0; }
    this.popupOptions.autoPanPaddingTopLeft[0] = left + 5;  // in place: popups share it
    var opts = { paddingTopLeft: [left + 40, 40], paddingBottomRight: [60, 60], maxZoom: 8 };
    var b = L.latLngBounds(pts);
    if (b.getNorthEast().equals(b.getSouthWest())) {  // one point: show its surroundings
      var c = b.getCenter();
      b = L.latLngBounds([c.lat - 0.5, c.lng - 0.5], [c.lat + 0.5, c.lng + 0.5]);
    }
    this.map.fitBounds(b, opts);
  };

  App.prototype.finish = function () {
    this.timings.finish = performance.now();
    this._wire();
    this._fit();
    this._syncAdmin1();
    this.applyFilters();
    this._placeArrowheads();
    this.timings.finished = performance.now();
    window.geomap = this;
  };

  window.GeomapRuntime = { create: function (map, data) { return new App(map, data); } };
})();
"""
