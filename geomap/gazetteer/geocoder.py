"""The bundled gazetteer behind geopy's geocoder interface.

Code written against geopy (``geocode(query, exactly_one=...)``) can use geomap's
offline gazetteer in place of an online service: no network, no rate limit.

>>> from geomap.gazetteer.geocoder import OfflineGazetteer
>>> OfflineGazetteer().geocode("Irbil").address
'Erbil, IQ'
>>> OfflineGazetteer().geocode("Nowhere-on-earth") is None
True
"""

from __future__ import annotations

from geopy.geocoders.base import Geocoder
from geopy.location import Location

from geomap.gazetteer import Gazetteer, default_gazetteer
from geomap.model import Place

__all__ = ["OfflineGazetteer"]


class OfflineGazetteer(Geocoder):
    """A geopy ``Geocoder`` answering from geomap's gazetteer.

    Follows geopy's contract: no match gives ``None`` (or ``[]`` when
    ``exactly_one=False``); a missing or damaged gazetteer raises
    :class:`~geomap.errors.GazetteerError`.
    """

    def __init__(self, gazetteer: Gazetteer | None = None) -> None:
        # no HTTP adapter: nothing here goes to the network
        self._gazetteer = gazetteer

    def _gaz(self) -> Gazetteer:
        if self._gazetteer is None:
            self._gazetteer = default_gazetteer()
        return self._gazetteer

    @staticmethod
    def _location(place: Place) -> Location:
        label = ", ".join(filter(None, (place.name, place.country_code)))
        raw = {
            "place_id": place.place_id,
            "name": place.name,
            "place_type": place.place_type.value,
            "country_code": place.country_code,
            "admin1": place.admin1,
            "population": place.population,
        }
        return Location(label, (place.point.lat, place.point.lon), raw)

    def geocode(
        self, query: str, *, exactly_one: bool = True, limit: int | None = None
    ) -> Location | list[Location] | None:
        """Places called ``query``, countries and regions first, then by population."""
        places = self._gaz().lookup(query)
        if exactly_one:
            return self._location(places[0]) if places else None
        return [self._location(p) for p in places[:limit]]
