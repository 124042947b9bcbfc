"""geomap: conflict news to geolocated incidents, GeoJSON and offline maps.

Nothing is loaded at import time; the gazetteer loads on the first call that
needs it (or explicitly through :meth:`Gazetteer.load`).
"""

from geomap.errors import GeomapError
from geomap.model import Actor, Article, Incident, LatLon, Place, PlaceMention, PlaceType, Span

__all__ = [
    "Actor",
    "Article",
    "GeomapError",
    "Incident",
    "LatLon",
    "Place",
    "PlaceMention",
    "PlaceType",
    "Span",
]
__version__ = "0.1.0"
