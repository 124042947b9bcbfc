"""The toponym scorer against hand-made cases of the README's metric."""

import json

import pytest

from geomap.evaluation.places import (
    GoldToponym,
    Predicted,
    haversine_km,
    match_spans,
    read_gold,
    score_document,
)
from geomap.model import LatLon, Span

ERBIL = LatLon(36.19117, 44.00943)


def gold(start, end, point=ERBIL):
    return GoldToponym(Span(start, end), "x" * (end - start), point)


def test_overlap_of_one_character_matches():
    assert match_spans([Span(0, 5)], [Span(4, 9)]) == [(0, 0)]
    assert match_spans([Span(0, 5)], [Span(5, 9)]) == []


def test_each_span_is_used_once_by_largest_overlap():
    # the prediction overlaps both gold spans; the larger overlap wins, the other is unmatched
    assert match_spans([Span(0, 5), Span(10, 15)], [Span(4, 14)]) == [(1, 0)]
    assert match_spans([Span(0, 10)], [Span(0, 3), Span(2, 10)]) == [(0, 1)]


def test_161_km_edge():
    # points 1 degree of latitude apart are 111.2 km; 1.45 degrees are 161.2 km
    near = LatLon(ERBIL.lat + 1.44, ERBIL.lon)
    far = LatLon(ERBIL.lat + 1.45, ERBIL.lon)
    assert haversine_km(ERBIL, near) < 161 < haversine_km(ERBIL, far)
    s = score_document([gold(0, 5)], [Predicted(Span(0, 5), near)])
    assert s.within == 1 and s.e2e161 == 1.0
    s = score_document([gold(0, 5)], [Predicted(Span(0, 5), far)])
    assert s.within == 0 and s.e2e161 == 0.0 and s.cond161 == 0.0


def test_unmatched_gold_is_a_miss_for_e2e_but_not_cond():
    s = score_document([gold(0, 5), gold(10, 15)], [Predicted(Span(0, 5), ERBIL)])
    assert (s.recall, s.precision) == (0.5, 1.0)
    assert s.e2e161 == 0.5
    assert s.cond161 == 1.0


def test_null_gold_geometry_counts_for_recognition_only():
    s = score_document(
        [gold(0, 5, point=None), gold(10, 15)],
        [Predicted(Span(0, 5), ERBIL), Predicted(Span(10, 15), ERBIL)],
    )
    assert s.recall == 1.0
    assert s.gold_with_point == 1 and s.e2e161 == 1.0
    assert s.errors_km == [0.0]


def test_match_without_point_is_a_miss():
    s = score_document([gold(0, 5)], [Predicted(Span(0, 5), None)])
    assert s.recall == 1.0 and s.e2e161 == 0.0 and s.cond161 == 0.0
    assert s.mean_km is None


def test_false_places_lower_precision_only():
    s = score_document([gold(0, 5)], [Predicted(Span(0, 5), ERBIL), Predicted(Span(20, 25), ERBIL)])
    assert s.precision == 0.5 and s.recall == 1.0
    assert s.f1 == pytest.approx(2 / 3)


def test_read_gold(tmp_path):
    path = tmp_path / "g.jsonl"
    path.write_text(
        json.dumps(
            {
                "id": "d1",
                "text": "Bombs in Erbil.",
                "toponyms": [
                    {"start": 9, "end": 14, "name": "Erbil", "lat": 36.19, "lon": 44.01},
                    {"start": 0, "end": 5, "name": "Bombs", "lat": None, "lon": None},
                ],
            }
        )
        + "\n"
    )
    (doc,) = read_gold(path)
    assert doc.text[doc.toponyms[0].span.start : doc.toponyms[0].span.end] == "Erbil"
    assert doc.toponyms[1].point is None
