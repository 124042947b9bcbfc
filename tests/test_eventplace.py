"""The event-place choice: the shipped model on hand-written sentences, the
machinery with hand-made models, and invariants on any text."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geomap.eventplace import (
    _TOKEN,
    MODEL_PATH,
    Calibration,
    EventPlaceModel,
    _candidates,
    _non_event_sense,
    _runs,
    _tokens,
    choose_sites,
    default_model,
    predict_event_location,
)
from geomap.model import LatLon, Place, PlaceMention, PlaceType, Span


def _place(name: str, kind: str, cc: str, admin1: str | None = None) -> Place:
    return Place(f"t:{cc}:{name}", name, PlaceType(kind), LatLon(0.0, 0.0), cc, admin1)


_PLACES = {
    "Iran": _place("Iran", "country", "IR"),
    "Iraq": _place("Iraq", "country", "IQ"),
    "Iraqi": _place("Iraq", "country", "IQ"),
    "Baghdad": _place("Baghdad", "city", "IQ", "IQ.07"),
    "Erbil": _place("Erbil", "city", "IQ", "IQ.11"),
    "Kirkuk": _place("Kirkuk", "city", "IQ", "IQ.13"),
    "Compton": _place("Compton", "city", "US", "US.CA"),
    "California": _place("California", "admin1", "US", "US.CA"),
    "Mogadishu": _place("Mogadishu", "city", "SO", "SO.04"),
    "Somalia": _place("Somalia", "country", "SO"),
    "Borno": _place("Borno", "admin1", "NG", "NG.02"),
    "Kabul": _place("Kabul", "city", "AF", "AF.13"),
}
_DEMONYMS = {"Iraqi"}


class _Gaz:
    def lookup(self, name: str) -> list[Place]:
        return [_PLACES[name]] if name in _PLACES else []


def _mentions(text: str) -> list[PlaceMention]:
    """What a recogniser would give: every known name, word-bounded."""
    out = []
    for name, place in _PLACES.items():
        start = text.find(name)
        while start >= 0:
            end = start + len(name)
            if (start == 0 or not text[start - 1].isalpha()) and (
                end == len(text) or not text[end].isalpha()
            ):
                via = "demonym" if name in _DEMONYMS else "name"
                out.append(PlaceMention("t", Span(start, end), name, place, 0.9, via))
            start = text.find(name, end)
    return sorted(out, key=lambda m: m.span.start)


def _predict(text: str, verb: str) -> list[str]:
    start = text.index(verb)
    spans = predict_event_location(text, Span(start, start + len(verb)), _mentions(text), _Gaz())
    return [text[s.start : s.end] for s in spans]


# Written for these tests in the style of wire copy.
@pytest.mark.parametrize(
    ("text", "verb", "expected"),
    [
        ("Gunmen killed three people in Kirkuk on Sunday, police said.", "killed", ["Kirkuk"]),
        ("Iran struck Iraqi bases in Erbil late on Tuesday.", "struck", ["Erbil"]),
        ("A man was shot dead in Compton, California, on Friday.", "shot", ["Compton"]),
        ("Troops shelled Kabul overnight.", "shelled", ["Kabul"]),
        ("A car bomb exploded outside a Mogadishu hotel on Monday.", "exploded", ["Mogadishu"]),
        (
            "Militants stormed the village of Garubula in Borno state before dawn.",
            "stormed",
            ["Garubula"],
        ),
        ("Three soldiers were killed, the army said in a statement.", "killed", []),
        ("Rebels have killed more than 2,000 people since 2015.", "killed", []),
    ],
)
def test_shipped_model_on_hand_written_sentences(text: str, verb: str, expected: list[str]):
    assert _predict(text, verb) == expected


def test_coordinated_sites_come_together() -> None:
    text = "The attack targeted two bases, one in Baghdad and the other in Erbil."
    assert _predict(text, "targeted") == ["Baghdad", "Erbil"]


def test_an_event_keeps_each_name_at_its_best_trigger() -> None:
    # the noun "attack" alone is far from the places; "targeting" is next to them
    text = "The attack came hours later, targeting two bases, one in Baghdad and one in Erbil."
    verbs = [Span(4, 10), Span(text.index("targeting"), text.index("targeting") + 9)]
    model = EventPlaceModel({"bias": -4.0, "verb:targeting|A": 3.0, "frame:in": 2.0}, 0.5)
    choice = choose_sites(text, verbs, _mentions(text), _Gaz(), model=model)
    assert [text[c.span.start : c.span.end] for c in choice.sites] == ["Baghdad", "Erbil"]
    assert {c.span for c in choice.sites} <= {c.span for c in choice.candidates}
    assert choice.probability == max(model.probability(c) for c in choice.candidates)


def test_threshold_decides_whether_there_is_a_site() -> None:
    text = "Gunmen killed three people in Kirkuk."
    verb = Span(7, 13)
    high = EventPlaceModel({"bias": -1.0, "frame:in": 3.0}, 0.5)
    low = EventPlaceModel({"bias": -1.0, "frame:in": 3.0}, 0.99)
    assert predict_event_location(text, verb, _mentions(text), model=high) == [Span(30, 36)]
    assert predict_event_location(text, verb, _mentions(text), model=low) == []


def test_no_site_is_weighed_against_each_candidate() -> None:
    # the same candidate score, against a "no site" that the verb's context
    # makes likelier: "have killed ... since" rarely comes with a site
    text = "Gunmen have killed three people in Kirkuk."
    verb = Span(12, 18)
    weights = {"bias": 1.0, "null:perfect": 3.0}
    (cand,) = _candidates(text, verb, _mentions(text), _Gaz())
    assert "null:perfect" in cand.null and "btw:in|A" in cand.features
    assert EventPlaceModel(weights, 0.5).probability(cand) == pytest.approx(1 / (1 + math.exp(2)))
    assert (
        predict_event_location(text, verb, _mentions(text), model=EventPlaceModel(weights, 0.5))
        == []
    )
    plain = EventPlaceModel({"bias": 1.0}, 0.5)  # no null weights: a logistic model
    assert predict_event_location(text, verb, _mentions(text), model=plain) == [Span(35, 41)]


def test_within_limits_the_candidates() -> None:
    text = "Gunmen killed three people in Kirkuk. Troops shelled Kabul."
    model = EventPlaceModel({"bias": 5.0}, 0.5)
    choice = choose_sites(text, [Span(7, 13)], _mentions(text), None, Span(0, 37), model)
    assert [c.mention.text for c in choice.candidates] == ["Kirkuk"]  # "Gunmen" starts it
    assert choice.sites and all(c.span.end <= 37 for c in choice.sites)


def test_unknown_names_are_candidates_without_an_entry() -> None:
    text = "In Joh Ai Rong district, insurgents detonated a bomb."
    runs = _runs(text, [], Span(35, 44))
    assert [r.text for r in runs] == ["Joh Ai Rong"]  # the capitalised "In" is not the name
    assert runs[0].place is None and runs[0].via == "frame"


def test_known_names_the_recogniser_dropped_are_marked() -> None:
    def features(text: str, name: str) -> tuple[str, ...]:
        cands = _candidates(text, Span(9, 16), [], _Gaz())
        return next(c.features for c in cands if c.mention.text == name)

    assert "type:known:city" in features("Fighting reached Kirkuk.", "Kirkuk")
    assert "type:known:unknown" in features("Fighting reached Zzyzx.", "Zzyzx")


def test_shipped_model_records_its_cross_validated_figures() -> None:
    data = json.loads(MODEL_PATH.read_text())
    model = default_model()
    assert 0.0 < model.threshold < 1.0
    for key in ("overall", "with_gold_place", "without_gold_place"):
        assert 0.0 <= data["cross_validated"][key] <= 1.0
    assert model.cross_validated == data["cross_validated"]


_WORDS = st.sampled_from(
    [
        "in",
        "at",
        "near",
        "the",
        "of",
        "and",
        ",",
        "killed",
        "shelled",
        "Kirkuk",
        "Baghdad",
        "Erbil",
        "Iraqi",
        "town",
        "village",
        "said",
        "Garubula",
        "Mr",
        "Smith",
        "police",
        ".",
        "on",
        "Monday",
    ]
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_WORDS, min_size=1, max_size=25), st.integers(min_value=0, max_value=24))
def test_predictions_are_candidate_names_apart_from_the_verb(words: list[str], k: int) -> None:
    text = " ".join(words)
    i = k % len(words)
    start = len(" ".join(words[:i])) + (1 if i else 0)
    verb = Span(start, start + len(words[i]))
    mentions = _mentions(text)
    got = predict_event_location(text, verb, mentions, _Gaz())
    assert got == predict_event_location(text, verb, mentions, _Gaz())
    spans = {c.span for c in _candidates(text, verb, mentions, _Gaz())}
    for span in got:
        assert span in spans
        assert 0 <= span.start < span.end <= len(text)
        assert not span.overlaps(verb)


def test_a_missing_or_damaged_model_is_a_model_error(tmp_path) -> None:
    from geomap.errors import GeomapError, ModelError

    with pytest.raises(ModelError, match="cannot read the model") as info:
        EventPlaceModel.load(tmp_path / "absent.json")
    assert isinstance(info.value, GeomapError) and isinstance(info.value, OSError)
    broken = tmp_path / "broken.json"
    broken.write_text('{"threshold": 0.5')
    with pytest.raises(ModelError):
        EventPlaceModel.load(broken)
    other = tmp_path / "other.json"
    other.write_text('{"threshold": 0.5}')
    with pytest.raises(ModelError, match="no weights"):
        EventPlaceModel.load(other)
    old = tmp_path / "old.json"
    old.write_text('{"threshold": 0.5, "weights": {"bias": 1.0}}')
    with pytest.raises(ModelError, match="no calibration"):
        EventPlaceModel.load(old)


def test_calibration_interpolates_between_knots_and_is_flat_beyond() -> None:
    cal = Calibration(site=((0.2, 0.1), (0.6, 0.5), (0.6, 0.7), (0.9, 0.9)), none=((0.0, 0.8),))
    assert cal.confidence(0.0, True) == 0.1  # flat below the first knot
    assert cal.confidence(0.4, True) == pytest.approx(0.3)
    assert cal.confidence(0.75, True) == pytest.approx(0.8)
    assert cal.confidence(1.0, True) == 0.9
    assert cal.confidence(0.5, False) == 0.8
    raw = Calibration.uncalibrated()
    assert raw.confidence(0.7, True) == pytest.approx(0.7)
    assert raw.confidence(0.7, False) == pytest.approx(0.3)


def test_shipped_calibration_is_monotone_and_recorded() -> None:
    cal = default_model().calibration
    grid = [i / 100 for i in range(101)]
    site = [cal.confidence(p, True) for p in grid]
    none = [cal.confidence(p, False) for p in grid]
    assert all(0.0 <= v <= 1.0 for v in site + none)
    assert site == sorted(site) and none == sorted(none, reverse=True)
    # a confident site is right far more often than a doubtful one, and a sentence
    # with no likely site far more often gives none
    assert site[100] > site[40] + 0.3
    assert none[0] > none[90] + 0.5
    recorded = json.loads(MODEL_PATH.read_text())["calibration"]["cross_fitted"]
    # out of fold, stated confidence and share right agree within a few points
    assert recorded["ece"] < 0.03
    assert sum(n for _, n, _, _ in recorded["bins"]) == recorded["n"]


@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=60))
def test_ascii_tokens_are_the_unicode_tokens(text: str) -> None:
    # ASCII sentences take a faster pattern; it must cut them exactly as the general one
    lowered = text.lower()
    expected = [(m.start(), m.group()) for m in _TOKEN.finditer(lowered)]
    starts, words = _tokens.__wrapped__(text)
    assert list(zip(starts, words, strict=True)) == expected


@pytest.mark.parametrize(
    ("text", "non_event"),
    [
        ("Lim captured Sweden's first All-England women's singles crown.", True),
        ("He captured three wickets and passed the record.", True),
        ("Cavendish captured the 13th stage on Friday.", True),
        ("The killing was captured on camera.", True),
        ("Detroit captured the Presidents' Trophy.", True),
        ("Rebels captured the town of Kidal.", False),
        ("Troops captured the rebel stronghold in a game-changing assault.", False),
        ("Rebels captured the air base after a long race through the desert.", False),
    ],
)
def test_captured_in_sports_or_on_camera_is_no_event(text: str, non_event: bool) -> None:
    start = text.index("captured")
    assert _non_event_sense(text, Span(start, start + len("captured"))) is non_event
