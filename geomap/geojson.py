"""The one place that writes and reads GeoJSON (RFC 7946: ``[lon, lat]``, WGS84).

Features carry a ``kind`` property: ``place`` (a place mention), ``event`` (an
incident; null geometry when the text states no place), ``origin`` (an actor's
origin) and ``link`` (a LineString from an actor's origin to the event).
Streams are GeoJSON text sequences, one Feature per line (RFC 8142 record
separators with ``rs=True``); :func:`feature_collection` wraps them instead.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from collections.abc import Iterable, Iterator, Mapping
from typing import IO, Any

from geomap.errors import InputFormatError
from geomap.model import Actor, Incident, LatLon, Place, PlaceMention, PlaceType, Span

__all__ = [
    "RS",
    "encode_place_feature",
    "feature_collection",
    "incident_features",
    "incidents_from_features",
    "place_feature",
    "read_features",
    "to_features",
    "write_encoded",
    "write_features",
]

RS = "\x1e"
DECIMALS = 6

Feature = dict[str, Any]


def _position(point: LatLon) -> list[float]:
    # the only LatLon -> [lon, lat] conversion in geomap
    return [round(point.lon, DECIMALS), round(point.lat, DECIMALS)]


def _latlon(position: Any) -> LatLon:
    lon, lat = position[:2]
    return LatLon(float(lat), float(lon))


def _point(point: LatLon | None) -> dict[str, Any] | None:
    return None if point is None else {"type": "Point", "coordinates": _position(point)}


def _place_dict(place: Place) -> dict[str, Any]:
    lon, lat = _position(place.point)
    return {
        "place_id": place.place_id,
        "name": place.name,
        "place_type": place.place_type.value,
        "country_code": place.country_code,
        "admin1": place.admin1,
        "population": place.population,
        "lon": lon,
        "lat": lat,
    }


def _place_from(d: Mapping[str, Any] | None) -> Place | None:
    if not d:
        return None
    return Place(
        place_id=d["place_id"],
        name=d["name"],
        place_type=PlaceType(d["place_type"]),
        point=LatLon(float(d["lat"]), float(d["lon"])),
        country_code=d.get("country_code"),
        admin1=d.get("admin1"),
        population=int(d.get("population") or 0),
        source=str(d["place_id"]).split(":", 1)[0],
    )


def place_feature(mention: PlaceMention) -> Feature:
    """A place mention as a ``kind: place`` Feature."""
    place = mention.place
    return {
        "type": "Feature",
        "geometry": _point(place.point if place else None),
        "properties": {
            "kind": "place",
            "article_id": mention.article_id,
            "start": mention.span.start,
            "end": mention.span.end,
            "text": mention.text,
            "name": place.name if place else None,
            "place_id": place.place_id if place else None,
            "place_type": place.place_type.value if place else None,
            "country_code": place.country_code if place else None,
            "admin1": place.admin1 if place else None,
            "population": place.population if place else None,
            "via": mention.via,
            "score": mention.score,
        },
    }


def _span_props(prefix: str, span: Span | None) -> dict[str, int | None]:
    return {
        f"{prefix}_start": span.start if span else None,
        f"{prefix}_end": span.end if span else None,
    }


def _actor_props(role: str, actor: Actor | None) -> dict[str, Any]:
    props: dict[str, Any] = {
        role: actor.name if actor else None,
        f"{role}_type": actor.actor_type if actor else None,
        f"inter{role[-1]}": actor.inter if actor else None,
        f"{role}_country_code": actor.country_code if actor else None,
        f"{role}_origin": _place_dict(actor.origin) if actor and actor.origin else None,
    }
    props.update(_span_props(role, actor.span if actor else None))
    return props


def _event_feature(incident: Incident) -> Feature:
    loc = incident.location
    place = loc.place if loc else None
    props: dict[str, Any] = {
        "kind": "event",
        "incident_id": incident.incident_id,
        "article_id": incident.article_id,
        "start": incident.evidence_span.start,
        "end": incident.evidence_span.end,
        "event_type": incident.event_type,
        "sub_event_type": incident.sub_event_type,
        "rule": incident.rule,
    }
    props.update(_actor_props("actor1", incident.actor1))
    props.update(_actor_props("actor2", incident.actor2))
    props.update(
        {
            "location": place.name if place else None,
            "location_text": loc.text if loc else None,
            "place_id": place.place_id if place else None,
            "place_type": place.place_type.value if place else None,
            "country_code": place.country_code if place else None,
            "place": _place_dict(place) if place else None,
            "place_score": loc.score if loc else None,
            "place_via": loc.via if loc else None,
            "geo_precision": incident.geo_precision,
            "location_fallback": incident.location_fallback,
            "date": incident.date.isoformat() if incident.date else None,
            "time_precision": incident.time_precision,
            "fatalities": incident.fatalities,
            "injured": incident.injured,
            "fatalities_claimed_by": incident.fatalities_claimed_by,
            "evidence": incident.evidence,
            "confidence": round(incident.confidence, 4),
            "trigger_start": incident.trigger.start,
            "trigger_end": incident.trigger.end,
            "source_title": incident.source_title,
            "source_url": incident.source_url,
            "notes": list(incident.notes),
        }
    )
    props.update(_span_props("place", loc.span if loc else None))
    return {"type": "Feature", "geometry": _point(incident.point), "properties": props}


def incident_features(incident: Incident) -> list[Feature]:
    """The event Feature, then an ``origin`` and a ``link`` Feature per actor origin.

    A link is drawn only when both ends have points: an event with no stated place
    keeps its origins but gets no arrow.
    """
    out = [_event_feature(incident)]
    target = incident.point
    for role, actor in (("actor1", incident.actor1), ("actor2", incident.actor2)):
        if actor is None or actor.origin is None:
            continue
        common = {
            "incident_id": incident.incident_id,
            "article_id": incident.article_id,
            "role": role,
            "actor": actor.name,
            "actor_type": actor.actor_type,
            "origin_name": actor.origin.name,
            "origin_place_id": actor.origin.place_id,
            "event_type": incident.event_type,
            "date": incident.date.isoformat() if incident.date else None,
        }
        out.append(
            {
                "type": "Feature",
                "geometry": _point(actor.origin.point),
                "properties": {"kind": "origin", **common},
            }
        )
        # arrows run from the acting side's origin to where it struck
        if role == "actor1" and target is not None and actor.origin.point != target:
            out.append(
                {
                    "type": "Feature",
                    "geometry": {
                        "type": "LineString",
                        "coordinates": [_position(actor.origin.point), _position(target)],
                    },
                    "properties": {"kind": "link", **common},
                }
            )
    return out


def to_features(
    places: Iterable[PlaceMention] = (), incidents: Iterable[Incident] = ()
) -> Iterator[Feature]:
    for mention in places:
        yield place_feature(mention)
    for incident in incidents:
        yield from incident_features(incident)


def feature_collection(features: Iterable[Feature]) -> dict[str, Any]:
    return {"type": "FeatureCollection", "features": list(features)}


def _dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


_encode_str = json.encoder.encode_basestring  # what _dumps does to a str, without the dispatch

# a place's geometry and properties as JSON text: one encoding per place, not per mention
_place_json: dict[str, tuple[Place, str, str]] = {}
_NO_PLACE_JSON = (
    "null",
    '"name":null,"place_id":null,"place_type":null,"country_code":null,"admin1":null,'
    '"population":null',
)


def _place_fragments(place: Place | None) -> tuple[str, str]:
    if place is None:
        return _NO_PLACE_JSON
    known = _place_json.get(place.place_id)
    if known is None or (known[0] is not place and known[0] != place):
        if len(_place_json) > 100_000:  # bound the memo on endless streams
            _place_json.clear()
        props = {
            "name": place.name,
            "place_id": place.place_id,
            "place_type": place.place_type.value,
            "country_code": place.country_code,
            "admin1": place.admin1,
            "population": place.population,
        }
        geometry = _dumps(_point(place.point))
        known = _place_json[place.place_id] = (place, geometry, _dumps(props)[1:-1])
    return known[1], known[2]


def encode_place_feature(mention: PlaceMention) -> str:
    """``_dumps(place_feature(mention))``, byte for byte, reusing each place's encoding."""
    geometry, place_props = _place_fragments(mention.place)
    score = mention.score
    # json writes a finite float as its repr; anything else takes the general path
    score_json = (
        float.__repr__(score) if type(score) is float and math.isfinite(score) else _dumps(score)
    )
    return (
        f'{{"type":"Feature","geometry":{geometry},"properties":{{"kind":"place",'
        f'"article_id":{_encode_str(mention.article_id)},"start":{mention.span.start:d},'
        f'"end":{mention.span.end:d},"text":{_encode_str(mention.text)},{place_props},'
        f'"via":{_encode_str(mention.via)},"score":{score_json}}}}}'
    )


def write_features(
    features: Iterable[Feature], fh: IO[str], *, collection: bool = False, rs: bool = False
) -> int:
    """Write a text sequence (default) or one FeatureCollection; returns the count."""
    return write_encoded(map(_dumps, features), fh, collection=collection, rs=rs)


def write_encoded(
    features: Iterable[str], fh: IO[str], *, collection: bool = False, rs: bool = False
) -> int:
    """As :func:`write_features`, for features already encoded as compact JSON text."""
    if collection:
        items = list(features)
        # the same text _dumps(feature_collection(...)) gives, without decoding the items
        fh.write('{"type":"FeatureCollection","features":[' + ",".join(items) + "]}\n")
        return len(items)
    n = 0
    prefix = RS if rs else ""
    for feature in features:
        fh.write(prefix + feature + "\n")
        n += 1
    return n


def read_features(text: str, source: str = "<input>") -> Iterator[Feature]:
    """Features from a FeatureCollection, a single Feature, or a text sequence."""
    stripped = text.strip(RS + " \t\r\n")
    if not stripped:
        return
    try:
        whole = json.loads(stripped)  # a FeatureCollection or one Feature, maybe pretty-printed
    except json.JSONDecodeError:
        whole = None  # a text sequence: parsed line by line below
    if isinstance(whole, dict) and whole.get("type") == "FeatureCollection":
        yield from whole.get("features", [])
        return
    if isinstance(whole, dict) and whole.get("type") == "Feature":
        yield whole
        return
    for lineno, line in enumerate(text.replace(RS, "\n").splitlines(), 1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except json.JSONDecodeError as err:
            raise InputFormatError(
                f"{source}: line {lineno} is not valid JSON ({err.msg}); expected one GeoJSON "
                "Feature per line or a FeatureCollection; check the file was written by geomap"
            ) from err
        if obj.get("type") == "FeatureCollection":
            yield from obj.get("features", [])
        elif obj.get("type") == "Feature":
            yield obj
        else:
            raise InputFormatError(
                f"{source}: line {lineno} is a {obj.get('type')!r}, expected a GeoJSON Feature; "
                "pass the output of `geomap events`"
            )


def _actor_from(props: Mapping[str, Any], role: str) -> Actor | None:
    name = props.get(role)
    if not name:
        return None
    start, end = props.get(f"{role}_start"), props.get(f"{role}_end")
    return Actor(
        name=name,
        actor_type=props.get(f"{role}_type") or "",
        inter=int(props.get(f"inter{role[-1]}") or 0),
        span=Span(start, end) if start is not None and end is not None else None,
        origin=_place_from(props.get(f"{role}_origin")),
        country_code=props.get(f"{role}_country_code"),
    )


def incidents_from_features(features: Iterable[Feature]) -> list[Incident]:
    """Rebuild incidents from ``kind: event`` features that geomap wrote.

    Other kinds are skipped: origins and links are derived again from the events.
    """
    out = []
    for feature in features:
        props = feature.get("properties") or {}
        if props.get("kind") != "event":
            continue
        place = _place_from(props.get("place"))
        geometry = feature.get("geometry")
        if place is None and geometry and geometry.get("type") == "Point":
            # an edited feature may carry a point without the gazetteer entry
            place = Place(
                place_id=props.get("place_id") or "user:edited",
                name=props.get("location") or "",
                place_type=PlaceType(props.get("place_type") or "city"),
                point=_latlon(geometry["coordinates"]),
                country_code=props.get("country_code"),
                source="user",
            )
        elif place is not None and geometry and geometry.get("type") == "Point":
            point = _latlon(geometry["coordinates"])
            if point != place.point:  # the user moved the point: the geometry wins
                place = Place(
                    place.place_id,
                    place.name,
                    place.place_type,
                    point,
                    place.country_code,
                    place.admin1,
                    place.population,
                    place.source,
                )
        location = None
        if place is not None:
            ps, pe = props.get("place_start"), props.get("place_end")
            location = PlaceMention(
                article_id=props["article_id"],
                span=Span(ps or 0, pe or 0),
                text=props.get("location_text") or place.name,
                place=place,
                score=float(props.get("place_score") or 0.0),
                via=props.get("place_via") or "name",
            )
        date = props.get("date")
        out.append(
            Incident(
                incident_id=props["incident_id"],
                article_id=props["article_id"],
                event_type=props["event_type"],
                sub_event_type=props.get("sub_event_type") or "",
                rule=props.get("rule") or "",
                trigger=Span(props.get("trigger_start") or 0, props.get("trigger_end") or 0),
                evidence=props.get("evidence") or "",
                evidence_span=Span(props.get("start") or 0, props.get("end") or 0),
                confidence=float(props.get("confidence") or 0.0),
                actor1=_actor_from(props, "actor1"),
                actor2=_actor_from(props, "actor2"),
                location=location,
                geo_precision=props.get("geo_precision"),
                location_fallback=bool(props.get("location_fallback")),
                date=dt.date.fromisoformat(date) if date else None,
                time_precision=props.get("time_precision"),
                fatalities=props.get("fatalities"),
                injured=props.get("injured"),
                fatalities_claimed_by=props.get("fatalities_claimed_by"),
                source_title=props.get("source_title"),
                source_url=props.get("source_url"),
                notes=tuple(props.get("notes") or ()),
            )
        )
    return out
