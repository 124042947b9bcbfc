"""GeoJSON output: RFC 7946 rules, text sequences, and reading it back."""

import datetime as dt
import io
import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geomap.errors import InputFormatError
from geomap.geojson import (
    RS,
    _dumps,
    encode_place_feature,
    feature_collection,
    incident_features,
    incidents_from_features,
    place_feature,
    read_features,
    write_encoded,
    write_features,
)
from geomap.model import Actor, Incident, LatLon, Place, PlaceMention, PlaceType, Span

TEHRAN = Place(
    "geonames:112931", "Tehran", PlaceType.CITY, LatLon(35.69439, 51.42151), "IR", "IR.26", 7153309
)
ERBIL = Place(
    "geonames:95446", "Erbil", PlaceType.CITY, LatLon(36.19117, 44.00943), "IQ", "IQ.11", 1612700
)


def incident(place=ERBIL, **kw):
    fields = dict(
        incident_id="abc",
        article_id="a1",
        event_type="Explosions/Remote violence",
        sub_event_type="Shelling/artillery/missile attack",
        rule="missile+struck",
        trigger=Span(5, 11),
        evidence="Iran struck a base in Erbil.",
        evidence_span=Span(0, 28),
        confidence=0.8,
        actor1=Actor("Iran", "State forces", 1, Span(0, 4), TEHRAN, "IR"),
        actor2=Actor("United States", "External/Other forces", 8, None, None, "US"),
        location=PlaceMention("a1", Span(22, 27), "Erbil", place, 0.99) if place else None,
        geo_precision=1 if place else None,
        date=dt.date(2020, 1, 7),
        time_precision="day",
        fatalities=None,
        source_title="Iran retaliates",
        source_url="https://example.org/a",
    )
    fields.update(kw)
    return Incident(**fields)


def check_rfc7946(feature):
    """The RFC 7946 rules geomap's output must keep."""
    assert feature["type"] == "Feature"
    assert isinstance(feature["properties"], dict)
    geom = feature["geometry"]
    if geom is None:
        return
    assert geom["type"] in ("Point", "LineString")
    positions = [geom["coordinates"]] if geom["type"] == "Point" else geom["coordinates"]
    if geom["type"] == "LineString":
        assert len(positions) >= 2
    for lon, lat in positions:  # [longitude, latitude], no altitude
        assert -180 <= lon <= 180 and -90 <= lat <= 90
        for v in (lon, lat):
            assert len(repr(v).split(".")[-1]) <= 6 or "e" in repr(v)


def test_event_origin_and_link_features():
    features = incident_features(incident())
    kinds = [f["properties"]["kind"] for f in features]
    assert kinds == ["event", "origin", "link"]
    event, origin, link = features
    assert event["geometry"]["coordinates"] == [44.00943, 36.19117]  # lon first
    assert origin["geometry"]["coordinates"] == [51.42151, 35.69439]
    assert link["geometry"]["coordinates"] == [[51.42151, 35.69439], [44.00943, 36.19117]]
    for f in features:
        check_rfc7946(f)
    p = event["properties"]
    for name in (
        "event_type",
        "sub_event_type",
        "actor1",
        "actor2",
        "location",
        "date",
        "time_precision",
        "geo_precision",
        "fatalities",
        "evidence",
        "confidence",
        "inter1",
        "inter2",
        "trigger_start",
        "trigger_end",
        "place_start",
        "place_end",
        "actor1_start",
        "actor1_end",
        "actor2_start",
        "actor2_end",
        "start",
        "end",
    ):
        assert name in p
    assert (p["actor2_start"], p["actor2_end"]) == (None, None)


def test_event_without_a_place_has_null_geometry_and_no_link():
    features = incident_features(incident(place=None))
    assert features[0]["geometry"] is None
    assert [f["properties"]["kind"] for f in features] == ["event", "origin"]


def test_place_feature_properties():
    f = place_feature(PlaceMention("a1", Span(22, 27), "Erbil", ERBIL, 0.99))
    check_rfc7946(f)
    assert {
        k: f["properties"][k]
        for k in ("kind", "name", "place_id", "place_type", "country_code", "start", "end", "score")
    } == {
        "kind": "place",
        "name": "Erbil",
        "place_id": "geonames:95446",
        "place_type": "city",
        "country_code": "IQ",
        "start": 22,
        "end": 27,
        "score": 0.99,
    }


def test_coordinates_are_rounded_to_six_decimals():
    p = Place("x:1", "X", PlaceType.CITY, LatLon(1.123456789, -2.987654321))
    f = place_feature(PlaceMention("a", Span(0, 1), "X", p, 1.0))
    assert f["geometry"]["coordinates"] == [-2.987654, 1.123457]


def test_text_sequence_rs_and_collection():
    features = incident_features(incident())
    out = io.StringIO()
    assert write_features(features, out) == 3
    lines = out.getvalue().splitlines()
    assert [json.loads(line) for line in lines] == features
    out = io.StringIO()
    write_features(features, out, rs=True)
    assert all(line.startswith(RS) for line in out.getvalue().split("\n") if line)
    out = io.StringIO()
    write_features(features, out, collection=True)
    assert json.loads(out.getvalue()) == feature_collection(features)


@given(
    text=st.text(max_size=20),
    score=st.floats(0, 1),
    population=st.integers(0, 10**8),
    with_place=st.booleans(),
)
@settings(max_examples=100, deadline=None)
def test_encoded_place_feature_is_the_dumped_one(text, score, population, with_place):
    place = Place(
        "geonames:1", 'Qal"a\\ “X”', PlaceType.CITY, LatLon(36.19, 44.01), "IQ", None, population
    )
    mention = PlaceMention(
        "a\n1", Span(3, 9), text, place if with_place else None, score, "demonym"
    )
    assert encode_place_feature(mention) == _dumps(place_feature(mention))


@pytest.mark.parametrize("rs", [False, True])
@pytest.mark.parametrize("collection", [False, True])
def test_encoded_features_are_written_as_dicts_are(rs, collection):
    mentions = [
        PlaceMention("a", Span(0, 5), "Erbil", ERBIL, 0.5),
        PlaceMention("a", Span(9, 12), "Zzz", None, 0.1),
    ]
    as_dicts, as_text = io.StringIO(), io.StringIO()
    write_features(map(place_feature, mentions), as_dicts, rs=rs, collection=collection)
    write_encoded(map(encode_place_feature, mentions), as_text, rs=rs, collection=collection)
    assert as_text.getvalue() == as_dicts.getvalue()


@pytest.mark.parametrize("rs", [False, True])
@pytest.mark.parametrize("collection", [False, True])
def test_what_geomap_writes_it_reads_back(rs, collection):
    original = incident()
    out = io.StringIO()
    write_features(incident_features(original), out, rs=rs, collection=collection)
    assert incidents_from_features(read_features(out.getvalue())) == [original]


def test_an_edited_point_wins_over_the_gazetteer_entry():
    feature = incident_features(incident())[0]
    feature["geometry"]["coordinates"] = [44.5, 36.5]
    (back,) = incidents_from_features([feature])
    assert back.point == LatLon(36.5, 44.5)


def test_bad_lines_name_their_line_number():
    with pytest.raises(InputFormatError, match="line 2"):
        list(read_features('{"type":"Feature","geometry":null,"properties":{}}\n{oops\n'))


@settings(max_examples=80, deadline=None)
@given(
    lat=st.floats(-90, 90),
    lon=st.floats(-180, 180),
    fatalities=st.one_of(st.none(), st.integers(0, 10_000)),
    evidence=st.text(max_size=80),
)
def test_round_trip_invariant(lat, lon, fatalities, evidence):
    place = Place("geonames:1", "P", PlaceType.CITY, LatLon(round(lat, 6), round(lon, 6)), "IQ")
    original = incident(place=place, fatalities=fatalities, evidence=evidence)
    features = incident_features(original)
    for f in features:
        check_rfc7946(f)
    text = "".join(json.dumps(f) + "\n" for f in features)
    assert incidents_from_features(read_features(text)) == [original]
