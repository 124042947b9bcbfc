"""geomap: conflict news to geolocated incidents, GeoJSON and offline maps.

A small, flat API; nothing is loaded at import time. The gazetteer loads on the
first call that needs it (or explicitly: ``Gazetteer().load()``), and folium only
when a map is rendered.

>>> import geomap
>>> article = geomap.Article("a1", "Rockets hit a base near Erbil, Iraq, on Monday.")
>>> [p.place.name for p in geomap.find_places(article)]
['Erbil', 'Iraq']
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from geomap.errors import GeomapError
from geomap.model import Actor, Article, Incident, LatLon, Place, PlaceMention, PlaceType, Span

if TYPE_CHECKING:
    from geomap.articles import read_article, read_articles
    from geomap.gazetteer import Gazetteer
    from geomap.geojson import to_features as to_geojson
    from geomap.incidents import find_incidents
    from geomap.places import find_places
    from geomap.render import render_map
    from geomap.store import IncidentStore

__all__ = [
    "Actor",
    "Article",
    "Gazetteer",
    "GeomapError",
    "Incident",
    "IncidentStore",
    "LatLon",
    "Place",
    "PlaceMention",
    "PlaceType",
    "Span",
    "find_incidents",
    "find_places",
    "read_article",
    "read_articles",
    "render_map",
    "to_geojson",
]
__version__ = "0.1.0"

# verb -> (module, attribute): imported on first use, so `import geomap` stays cheap
_LAZY = {
    "read_article": ("geomap.articles", "read_article"),
    "read_articles": ("geomap.articles", "read_articles"),
    "find_places": ("geomap.places", "find_places"),
    "find_incidents": ("geomap.incidents", "find_incidents"),
    "to_geojson": ("geomap.geojson", "to_features"),
    "render_map": ("geomap.render", "render_map"),
    "Gazetteer": ("geomap.gazetteer", "Gazetteer"),
    "IncidentStore": ("geomap.store", "IncidentStore"),
}


def __getattr__(name: str) -> Any:
    try:
        module, attribute = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'geomap' has no attribute {name!r}") from None
    value = getattr(import_module(module), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(__all__)
