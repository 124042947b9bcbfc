"""The event-location metric on tiny hand-made cases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from geomap.errors import InputFormatError
from geomap.evaluation.events import (
    EventLocationRecord,
    document_folds,
    load_event_location_records,
    recogniser_predictor,
    score_event_locations,
    sentence_correct,
)
from geomap.model import Article, PlaceMention, Span


def _rec(rid: str, text: str, verb: str, gold: list[str], doc: str = "d") -> EventLocationRecord:
    start = text.index(verb)
    spans = tuple(Span(text.index(g), text.index(g) + len(g)) for g in gold)
    return EventLocationRecord(rid, doc, text, Span(start, start + len(verb)), spans, bool(gold))


def test_one_character_of_overlap_is_a_match() -> None:
    assert sentence_correct([Span(10, 16)], True, [Span(15, 20)])


def test_touching_spans_do_not_match() -> None:
    assert not sentence_correct([Span(10, 16)], True, [Span(16, 20)])


def test_no_location_is_right_only_when_nothing_is_predicted() -> None:
    assert sentence_correct([], False, [])
    assert not sentence_correct([], False, [Span(0, 3)])


def test_a_missing_prediction_is_wrong() -> None:
    assert not sentence_correct([Span(0, 3)], True, [])


def test_every_prediction_must_match_its_own_gold_span() -> None:
    gold = [Span(0, 5), Span(10, 15)]
    assert sentence_correct(gold, True, [Span(0, 2), Span(11, 12)])
    assert not sentence_correct(gold, True, [Span(0, 2), Span(20, 22)])
    # two predictions inside one gold span: the second has no gold left
    assert not sentence_correct([Span(0, 10)], True, [Span(0, 2), Span(5, 7)])


def test_pairing_is_greedy_by_largest_overlap() -> None:
    # The long prediction takes the gold span it overlaps most; the short one then
    # still has its own.
    gold = [Span(0, 10), Span(12, 20)]
    assert sentence_correct(gold, True, [Span(8, 20), Span(0, 3)])


def test_slices_are_scored_separately() -> None:
    located = _rec("1", "Gunmen killed two men in Gao.", "killed", ["Gao"])
    unlocated = _rec("2", "Gunmen killed two men.", "killed", [])
    score = score_event_locations([located, unlocated], lambda rec: [])
    assert (score.with_gold_place.n, score.with_gold_place.correct) == (1, 0)
    assert (score.without_gold_place.n, score.without_gold_place.correct) == (1, 1)
    assert score.overall.accuracy == 0.5
    assert "with gold place" in score.summary()


def test_loader_reads_the_corpus_fields(tmp_path: Path) -> None:
    path = tmp_path / "ev.jsonl"
    rows = [
        {
            "id": "eventloc-1",
            "orig_id": "APW_ENG_20031101.0130_5_shoot",
            "text": "Shots in Gao.",
            "event_verb": {"start": 0, "end": 5, "name": "Shots"},
            "event_locations": [{"start": 9, "end": 12, "name": "Gao"}],
            "has_event_location": True,
        },
        {
            "id": "eventloc-2",
            "orig_id": "APW_ENG_20031101.0130_7_kill",
            "text": "He died.",
            "event_verb": {"start": 3, "end": 7, "name": "died"},
            "event_locations": [],
            "has_event_location": False,
        },
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    recs = load_event_location_records(path)
    assert [r.event_locations for r in recs] == [(Span(9, 12),), ()]
    assert recs[0].doc_id == recs[1].doc_id == "APW_ENG_20031101.0130"


def test_loader_names_the_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "x"}\n', encoding="utf-8")
    with pytest.raises(InputFormatError, match=r"bad.jsonl:1"):
        load_event_location_records(path)


def test_folds_keep_a_document_together() -> None:
    recs = [_rec(str(i), "x y", "x", [], doc=f"doc{i % 4}") for i in range(40)]
    folds = document_folds(recs, k=3)
    assert sorted(i for f in folds for i in f) == list(range(40))
    for fold in folds:
        docs_here = {recs[i].doc_id for i in fold}
        others = {recs[i].doc_id for f in folds if f is not fold for i in f}
        assert not docs_here & others


def test_predictor_uses_the_recogniser_not_the_gold() -> None:
    rec = _rec("1", "Gunmen killed two men in Gao.", "killed", ["Gao"])
    seen: list[str] = []

    def recognise(article: Article, gazetteer: object) -> list[PlaceMention]:
        seen.append(article.text)
        return [PlaceMention(article.article_id, Span(25, 28), "Gao", None, 0.9)]

    predict = recogniser_predictor(recognise, gazetteer=None)
    assert predict(rec) == [Span(25, 28)]
    assert seen == [rec.text]


def test_as_dict_has_every_slice() -> None:
    rec = _rec("1", "Gunmen killed two men in Gao.", "killed", ["Gao"])
    figures = score_event_locations([rec], lambda r: [Span(25, 28)]).as_dict()
    assert figures["with_gold_place"] == 1.0
    assert figures["overall_n"] == 1 and figures["without_gold_place_n"] == 0


def test_reliability_bins_edges_and_errors() -> None:
    from geomap.evaluation.events import reliability

    r = reliability([1.0, 0.0, 0.05, 0.55], [True, False, True, True])
    # 1.0 falls in the last bin, 0.0 and 0.05 share the first
    assert [(lo, n) for lo, n, _, _ in r.bins] == [(0.0, 2), (0.5, 1), (0.9, 1)]
    assert r.bins[0][3] == 0.5
    # ECE: |0.025 - 0.5| * 2 + |0.55 - 1| + |1 - 1|, over 4
    assert r.ece == pytest.approx((0.475 * 2 + 0.45) / 4)
    assert r.brier == pytest.approx((0 + 0 + 0.95**2 + 0.45**2) / 4)
    empty = reliability([], [])
    assert (empty.n, empty.ece, empty.bins) == (0, 0.0, ())
    with pytest.raises(ValueError, match="differ in length"):
        reliability([0.5], [])
