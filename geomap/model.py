"""Values passed between geomap's pipeline stages.

Every stage takes and returns these frozen dataclasses; nothing passes bare
``(lat, lon)`` tuples or string-keyed dicts. Coordinates inside geomap are always
:class:`LatLon`; only ``geojson.py`` (``[lon, lat]``) and ``render.py``
(``[lat, lon]``) convert them.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from enum import StrEnum

__all__ = [
    "Actor",
    "Article",
    "Incident",
    "LatLon",
    "Place",
    "PlaceMention",
    "PlaceType",
    "Span",
]


@dataclass(frozen=True, slots=True)
class LatLon:
    """A WGS84 point in degrees.

    >>> LatLon(36.19, 44.01).lat
    36.19
    """

    lat: float
    lon: float

    def __post_init__(self) -> None:
        if not (math.isfinite(self.lat) and -90.0 <= self.lat <= 90.0):
            raise ValueError(f"latitude {self.lat!r} is outside [-90, 90]")
        if not (math.isfinite(self.lon) and -180.0 <= self.lon <= 180.0):
            raise ValueError(f"longitude {self.lon!r} is outside [-180, 180]")


@dataclass(frozen=True, slots=True)
class Span:
    """Character offsets into an article's text, end exclusive."""

    start: int
    end: int

    def __post_init__(self) -> None:
        if not 0 <= self.start <= self.end:
            raise ValueError(f"span [{self.start}, {self.end}) is not a valid range")

    def overlaps(self, other: Span) -> bool:
        return self.start < other.end and other.start < self.end


class PlaceType(StrEnum):
    """Kinds of gazetteer entry, coarse enough to act as a resolution prior."""

    CONTINENT = "continent"
    COUNTRY = "country"
    REGION = "region"  # a named region that is not an admin unit (Kurdistan Region)
    ADMIN1 = "admin1"
    ADMIN2 = "admin2"
    CITY = "city"
    FACILITY = "facility"  # air base, airport
    WATER = "water"


@dataclass(frozen=True, slots=True)
class Place:
    """One gazetteer entry.

    ``place_id`` is namespaced by its source, e.g. ``geonames:95446`` or
    ``iata:EBL``; ``admin1`` is the GeoNames admin-1 key (``IQ.11``).
    """

    place_id: str
    name: str
    place_type: PlaceType
    point: LatLon
    country_code: str | None = None
    admin1: str | None = None
    population: int = 0
    source: str = "geonames"


@dataclass(frozen=True, slots=True)
class Article:
    """One input article; ``text`` is what every offset points into."""

    article_id: str
    text: str
    title: str | None = None
    date: dt.date | None = None
    url: str | None = None
    source: str | None = None  # file path or "-" for stdin


@dataclass(frozen=True, slots=True)
class PlaceMention:
    """A place name found in an article and the entry it resolves to.

    ``via`` says how the span was matched: ``name``, ``abbreviation`` or
    ``demonym`` (Iranian -> Iran). ``place`` is None only when the name was
    recognised but no entry could be chosen.
    """

    article_id: str
    span: Span
    text: str
    place: Place | None
    score: float
    via: str = "name"


@dataclass(frozen=True, slots=True)
class Actor:
    """A normalised actor ("Iran", "United States") with an origin place.

    ``actor_type`` is ACLED's actor category name and ``inter`` its code
    (1 state forces, 2 rebel group, 3 political militia, 4 identity militia,
    5 rioters, 6 protesters, 7 civilians, 8 external/other forces).
    """

    name: str
    actor_type: str
    inter: int
    span: Span | None = None
    origin: Place | None = None
    country_code: str | None = None


@dataclass(frozen=True, slots=True)
class Incident:
    """One incident at one location, coded the way ACLED codes events."""

    incident_id: str
    article_id: str
    event_type: str
    sub_event_type: str
    rule: str
    trigger: Span
    evidence: str
    evidence_span: Span
    confidence: float
    actor1: Actor | None = None
    actor2: Actor | None = None
    location: PlaceMention | None = None
    geo_precision: int | None = None
    location_fallback: bool = False
    date: dt.date | None = None
    time_precision: str | None = None  # day, week, month, year
    fatalities: int | None = None
    injured: int | None = None
    fatalities_claimed_by: str | None = None
    source_title: str | None = None  # the article's title, for popups and exports
    source_url: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def point(self) -> LatLon | None:
        if self.location is None or self.location.place is None:
            return None
        return self.location.place.point
