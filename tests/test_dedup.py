"""Tests for geomap.dedup: the rule, the choice between incidents, merging, and
hand-written article pairs run through the real pipeline into the store."""

from __future__ import annotations

import dataclasses
import datetime as dt
import itertools
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geomap.articles import read_articles
from geomap.dedup import (
    DEFAULT_RULE,
    DedupRule,
    Report,
    actor_key,
    assign,
    cluster,
    merge,
    normalise_actor,
)
from geomap.gazetteer import default_gazetteer
from geomap.incidents import find_incidents
from geomap.model import Actor, Article, Incident, LatLon, Place, PlaceMention, PlaceType, Span
from geomap.places import find_places
from geomap.store import IncidentStore

PAIRS = Path(__file__).resolve().parent / "data" / "dedup"

BAGHDAD = Place("geonames:98182", "Baghdad", PlaceType.CITY, LatLon(33.34058, 44.40088), "IQ")
SADR_CITY = Place("geonames:7802746", "Sadr City", PlaceType.CITY, LatLon(33.3889, 44.4583), "IQ")
ABU_GHRAIB = Place("geonames:100077", "Abu Ghraib", PlaceType.CITY, LatLon(33.30563, 44.18477))
BASRA = Place("geonames:89341", "Basra", PlaceType.CITY, LatLon(30.50852, 47.7804), "IQ")
IRAQ = Place("geonames:99237", "Iraq", PlaceType.COUNTRY, LatLon(33.0, 43.9), "IQ")
DAY = dt.date(2020, 1, 8)


def report(
    article_id: str = "a",
    *,
    n: int = 1,
    event_type: str = "Explosions/Remote violence",
    place: Place | None = BAGHDAD,
    date: dt.date | None = DAY,
    actor1: str | None = None,
    actor2: str | None = None,
    precision: int | None = 1,
    fatalities: int | None = None,
    confidence: float = 0.8,
) -> Incident:
    """One article's incident, with only what the rule looks at varying."""
    return Incident(
        incident_id=f"{article_id}-{n}",
        article_id=article_id,
        event_type=event_type,
        sub_event_type="Shelling/artillery/missile attack",
        rule="test",
        trigger=Span(0, 7),
        evidence=f"Rockets hit, says {article_id}.",
        evidence_span=Span(0, 20),
        confidence=confidence,
        actor1=Actor(actor1, "State forces", 1) if actor1 else None,
        actor2=Actor(actor2, "Civilians", 7) if actor2 else None,
        location=(PlaceMention(article_id, Span(0, 7), place.name, place, 0.9) if place else None),
        geo_precision=precision if place else None,
        date=date,
        time_precision="day" if date else None,
        fatalities=fatalities,
    )


# --- the rule ----------------------------------------------------------------------


def test_same_place_and_day_from_two_articles_is_one_incident() -> None:
    assert DEFAULT_RULE.compare(Report.of(report("a")), Report.of(report("b"))) == (0, 0.0)


def test_two_reports_of_one_article_never_merge() -> None:
    assert not DEFAULT_RULE.matches(report("a", n=1), report("a", n=2))


def test_event_types_must_be_equal_but_sub_event_types_may_differ() -> None:
    assert not DEFAULT_RULE.matches(report("a"), report("b", event_type="Battles"))
    other_sub = dataclasses.replace(report("b"), sub_event_type="Air/drone strike")
    assert DEFAULT_RULE.matches(report("a"), other_sub)


def test_nearby_places_merge_within_max_km_only() -> None:
    a, sadr, abu = report("a"), report("b", place=SADR_CITY), report("c", place=ABU_GHRAIB)
    days, km = DEFAULT_RULE.compare(Report.of(a), Report.of(sadr))  # type: ignore[misc]
    assert days == 0 and 7 < km < 8  # Sadr City is 7.3 km from Baghdad's centre
    assert DEFAULT_RULE.matches(a, abu)  # Abu Ghraib: about 20.9 km
    assert not DedupRule(max_km=20).matches(a, abu)
    assert not DEFAULT_RULE.matches(a, report("d", place=BASRA))  # 450 km


def test_the_same_place_id_is_the_same_place_whatever_max_km() -> None:
    assert DedupRule(max_km=0).compare(Report.of(report("a")), Report.of(report("b"))) == (0, 0.0)
    assert not DedupRule(max_km=0).matches(report("a"), report("b", place=SADR_CITY))


def test_unlocated_incidents_never_merge() -> None:
    assert not DEFAULT_RULE.matches(report("a", place=None), report("b", place=None))
    assert not DEFAULT_RULE.matches(report("a"), report("b", place=None))


def test_coarse_places_merge_only_up_to_max_geo_precision() -> None:
    a, b = report("a", place=IRAQ, precision=3), report("b", place=IRAQ, precision=3)
    assert DEFAULT_RULE.matches(a, b)
    assert not DedupRule(max_geo_precision=2).matches(a, b)
    unknown = report("c", place=IRAQ, precision=None)  # counts as the coarsest
    assert not DedupRule(max_geo_precision=2).matches(a, unknown)


@pytest.mark.parametrize(
    ("days_apart", "max_days", "merged"),
    [(0, 1, True), (1, 1, True), (2, 1, False), (3, 3, True), (1, 0, False)],
)
def test_dates_merge_within_max_days(days_apart: int, max_days: int, merged: bool) -> None:
    later = report("b", date=DAY + dt.timedelta(days=days_apart))
    assert DedupRule(max_days=max_days).matches(report("a"), later) is merged
    assert DedupRule(max_days=max_days).matches(later, report("a")) is merged


def test_undated_merges_only_with_undated() -> None:
    assert DEFAULT_RULE.matches(report("a", date=None), report("b", date=None))
    assert not DEFAULT_RULE.matches(report("a", date=None), report("b"))
    assert not DedupRule(max_days=10_000).matches(report("a"), report("b", date=None))


@pytest.mark.parametrize(
    ("a1", "a2", "b1", "b2", "merged"),
    [
        ("Iran", None, "Iran", None, True),
        ("Iran", None, None, None, True),  # one side missing
        ("Iran", None, None, "United States", True),  # each role has one side missing
        ("The U.S.", None, "US", None, True),  # normalised names
        ("Iran", None, "Turkey", None, False),
        ("Iran", "Iraq", "Iran", "United States", False),
        ("Iran", "United States", "United States", "Iran", False),  # roles are not swapped
        ("Islamic State", None, "Unidentified armed group (Iraq)", None, True),
    ],
)
def test_actors_must_be_compatible(
    a1: str | None, a2: str | None, b1: str | None, b2: str | None, merged: bool
) -> None:
    a = report("a", actor1=a1, actor2=a2)
    b = report("b", actor1=b1, actor2=b2)
    assert DEFAULT_RULE.matches(a, b) is merged


def test_actor_names_are_normalised() -> None:
    assert normalise_actor("The U.S. Army") == "us army"
    assert normalise_actor("Al-Shabaab") == normalise_actor("al Shabaab") == "al shabaab"
    assert normalise_actor("HOUTHIS'") == "houthis"
    assert normalise_actor(None) is None and normalise_actor(" - ") is None
    assert actor_key("Unidentified Armed Group (Iraq)") is None
    assert actor_key("Unidentifiable Name Militia") == "unidentifiable name militia"


@pytest.mark.parametrize(
    "kwargs",
    [
        {"max_km": -1},
        {"max_km": float("nan")},
        {"max_km": float("inf")},
        {"max_days": -1},
        {"max_days": 1.5},
        {"max_days": True},
        {"max_geo_precision": 0},
        {"max_geo_precision": 4},
    ],
)
def test_bad_thresholds_are_refused(kwargs: dict[str, object]) -> None:
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        DedupRule(**kwargs)  # type: ignore[arg-type]


def test_rule_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        DEFAULT_RULE.max_km = 1  # type: ignore[misc]


# --- choosing among incidents ------------------------------------------------------


def test_a_report_joins_the_closest_incident() -> None:
    candidates = {
        "far": [Report.of(report("x", place=ABU_GHRAIB))],
        "near": [Report.of(report("y", place=SADR_CITY))],
        "same": [Report.of(report("z"))],
    }
    assert assign([Report.of(report("a"))], candidates, DEFAULT_RULE) == {0: "same"}
    del candidates["same"]
    assert assign([Report.of(report("a"))], candidates, DEFAULT_RULE) == {0: "near"}


def test_ties_go_to_the_oldest_incident() -> None:
    candidates = {"old": [Report.of(report("x"))], "new": [Report.of(report("y"))]}
    assert assign([Report.of(report("a"))], candidates, DEFAULT_RULE) == {0: "old"}


def test_each_incident_takes_one_report_per_article() -> None:
    reports = [Report.of(report("a", n=1)), Report.of(report("a", n=2, place=SADR_CITY))]
    candidates = {"i": [Report.of(report("x"))]}
    # the exact match wins the incident; the other report starts its own
    assert assign(reports, candidates, DEFAULT_RULE) == {0: "i"}
    assert assign(list(reversed(reports)), candidates, DEFAULT_RULE) == {1: "i"}


def test_a_report_must_match_every_report_of_an_incident() -> None:
    # day 1 and day 2 are one incident; day 3 matches day 2 but not day 1
    days = [report(name, date=DAY + dt.timedelta(days=k)) for k, name in enumerate("abc")]
    groups = cluster(days)
    assert [[i.article_id for i in group] for group in groups] == [["a", "b"], ["c"]]


def test_matching_the_first_report_of_an_incident_is_not_enough() -> None:
    # a (day 2) and b (day 1) merge; c (day 3) matches a but is two days from b
    a, b, c = (
        report(n, date=DAY + dt.timedelta(days=k)) for n, k in (("a", 2), ("b", 1), ("c", 3))
    )
    assert [[i.article_id for i in group] for group in cluster([a, b, c])] == [["a", "b"], ["c"]]
    # and the same with places: Sadr City is 7 km from Baghdad, Abu Ghraib 21 km west
    rule = DedupRule(max_km=22)
    a, b, c = report("a"), report("b", place=ABU_GHRAIB), report("c", place=SADR_CITY)
    assert [[i.article_id for i in group] for group in cluster([a, b, c], rule)] == [
        ["a", "b"],
        ["c"],
    ]


def test_the_same_incident_id_joins_whatever_the_rule() -> None:
    a = report("a")
    b = dataclasses.replace(report("b", place=BASRA), incident_id=a.incident_id)
    assert [len(group) for group in cluster([a, b])] == [2]


# Small worlds where merges are likely: few places, days, actors and types.
_places = st.sampled_from([BAGHDAD, SADR_CITY, ABU_GHRAIB, BASRA, IRAQ, None])
_reports = st.builds(
    report,
    st.sampled_from(["a", "b", "c", "d", "e"]),
    n=st.integers(1, 2),
    event_type=st.sampled_from(["Explosions/Remote violence", "Battles"]),
    place=_places,
    date=st.none() | st.integers(0, 3).map(lambda k: DAY + dt.timedelta(days=k)),
    actor1=st.sampled_from([None, "Iran", "Turkey", "Unidentified armed group (Iraq)"]),
    actor2=st.sampled_from([None, "Civilians (Iraq)"]),
    precision=st.sampled_from([1, 2, 3, None]),
    fatalities=st.none() | st.integers(0, 40),
)
_rules = st.builds(
    DedupRule,
    max_km=st.sampled_from([0.0, 10.0, 25.0, 500.0]),
    max_days=st.integers(0, 2),
    max_geo_precision=st.integers(1, 3),
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_reports, max_size=12), _rules)
def test_every_two_reports_of_an_incident_match(incidents: list[Incident], rule: DedupRule) -> None:
    groups = cluster(incidents, rule)
    unique = {(i.article_id, i.incident_id) for i in incidents}
    assert sum(len(g) for g in groups) == len(unique)  # nothing lost, nothing twice
    for group in groups:
        assert len({i.article_id for i in group}) == len(group)  # one report per article
        for a, b in itertools.combinations(group, 2):
            assert rule.matches(a, b)


@settings(max_examples=300, deadline=None)
@given(_reports, _reports, _rules)
def test_the_rule_is_symmetric(a: Incident, b: Incident, rule: DedupRule) -> None:
    assert rule.compare(Report.of(a), Report.of(b)) == rule.compare(Report.of(b), Report.of(a))


@settings(max_examples=40, deadline=None)
@given(st.lists(_reports, max_size=10), _rules)
def test_the_store_groups_as_cluster_does(incidents: list[Incident], rule: DedupRule) -> None:
    by_article: dict[str, list[Incident]] = {}
    for incident in incidents:
        by_article.setdefault(incident.article_id, []).append(incident)
    with (
        tempfile.TemporaryDirectory() as tmp,
        IncidentStore(Path(tmp) / "s.sqlite", rule=rule) as store,
    ):
        for article_id, found in by_article.items():
            store.add(Article(article_id, f"text of {article_id}"), found)
        stored = {
            incident.incident_id: sorted(
                (s.article_id, s.report.incident_id) for s in store.sources(incident.incident_id)
            )
            for incident in store.incidents()
        }
        merged = {i.incident_id: i for i in store.incidents()}
    expected = {
        group[0].incident_id: sorted((i.article_id, i.incident_id) for i in group)
        for group in cluster(incidents, rule)
    }
    assert stored == expected
    for group in cluster(incidents, rule):
        assert merged[group[0].incident_id] == merge(group)


# --- merging -----------------------------------------------------------------------


def test_a_single_report_is_its_own_incident() -> None:
    a = report("a", actor1="Iran", fatalities=3)
    assert merge([a]) == a
    assert merge([a], "other-id") == dataclasses.replace(a, incident_id="other-id")


def test_merged_incident_keeps_the_best_place_and_fills_missing_actors() -> None:
    coarse = report("a", place=IRAQ, precision=3, actor1="Iran", confidence=0.99)
    precise = report("b", place=SADR_CITY, precision=1, actor2="Civilians (Iraq)")
    merged = merge([coarse, precise])
    assert merged.incident_id == "a-1"  # the first report names it
    assert merged.article_id == "b"  # the best report is its base
    assert merged.location == precise.location and merged.geo_precision == 1
    assert merged.actor1 == coarse.actor1 and merged.actor2 == precise.actor2
    assert merged.notes[-1] == "reported by 2 articles"


def test_merged_fatalities_are_the_most_conservative_figure() -> None:
    reports = [report("a", fatalities=35), report("b", fatalities=None), report("c", fatalities=30)]
    assert merge(reports).fatalities == 30
    assert merge([report("a"), report("b")]).fatalities is None


def test_merge_needs_a_report() -> None:
    with pytest.raises(ValueError, match="at least one"):
        merge([])


# --- hand-written article pairs through the pipeline --------------------------------


def _pair(path: Path) -> list[tuple[Article, list[Incident]]]:
    gazetteer = default_gazetteer()
    out = []
    for article in read_articles(path):
        out.append((article, find_incidents(article, find_places(article, gazetteer), gazetteer)))
    return out


def _store_pair(
    tmp_path: Path, pair: list[tuple[Article, list[Incident]]], rule: DedupRule | None
) -> IncidentStore:
    store = IncidentStore(tmp_path / "pair.sqlite", rule=rule).open()
    for article, incidents in pair:
        store.add(article, incidents)
    return store


MERGES = sorted(PAIRS.glob("merge_*.jsonl"))
SEPARATES = sorted(PAIRS.glob("separate_*.jsonl"))


def test_the_pairs_are_there() -> None:
    assert len(MERGES) >= 4 and len(SEPARATES) >= 5


@pytest.mark.parametrize("path", MERGES + SEPARATES, ids=lambda p: p.stem)
def test_each_article_of_a_pair_reports_one_located_incident(path: Path) -> None:
    # The premise of the pair tests: if extraction changes, fix the texts, not the rule.
    pair = _pair(path)
    assert len(pair) == 2
    for article, incidents in pair:
        assert len(incidents) == 1, (article.article_id, incidents)
        assert incidents[0].point is not None


@pytest.mark.parametrize("path", MERGES, ids=lambda p: p.stem)
def test_reports_of_one_incident_merge(path: Path, tmp_path: Path) -> None:
    pair = _pair(path)
    with _store_pair(tmp_path, pair, DEFAULT_RULE) as store:
        (incident,) = store.incidents()
        sources = store.sources(incident.incident_id)
    assert [s.article_id for s in sources] == [a.article_id for a, _ in pair]
    for source, (article, (found,)) in zip(sources, pair, strict=True):
        # every source keeps its own evidence, with offsets into its own text
        assert source.report == found
        assert source.evidence == found.evidence
        assert article.text[source.evidence_span.start : source.evidence_span.end].strip() == (
            found.evidence.strip()
        )


@pytest.mark.parametrize("path", MERGES, ids=lambda p: p.stem)
def test_merging_does_not_depend_on_the_order(path: Path, tmp_path: Path) -> None:
    with _store_pair(tmp_path, list(reversed(_pair(path))), DEFAULT_RULE) as store:
        assert len(store.incidents()) == 1


@pytest.mark.parametrize("path", SEPARATES, ids=lambda p: p.stem)
def test_reports_of_two_incidents_stay_apart(path: Path, tmp_path: Path) -> None:
    with _store_pair(tmp_path, _pair(path), DEFAULT_RULE) as store:
        assert len(store.incidents()) == 2
        assert len(store.sources()) == 2


def test_merged_bombing_takes_both_actors_and_the_lower_toll(tmp_path: Path) -> None:
    with _store_pair(tmp_path, _pair(PAIRS / "merge_sadr_city_bombing.jsonl"), DEFAULT_RULE) as s:
        (incident,) = s.incidents()
    assert incident.actor1 is not None and incident.actor1.name == "Islamic State"
    assert incident.actor2 is not None and incident.actor2.name == "Civilians (Iraq)"
    assert incident.fatalities == 30  # 35 and "at least 30": ACLED keeps the lower
    assert incident.date == dt.date(2021, 7, 19)


def test_thresholds_change_the_outcome(tmp_path: Path) -> None:
    days_apart = _pair(PAIRS / "separate_baghdad_rockets_days_apart.jsonl")
    (tmp_path / "days").mkdir()
    with _store_pair(tmp_path / "days", days_apart, DedupRule(max_days=3)) as store:
        assert len(store.incidents()) == 1
    sadr = _pair(PAIRS / "merge_sadr_city_bombing.jsonl")  # 7.3 km apart
    with _store_pair(tmp_path, sadr, DedupRule(max_km=5)) as store:
        assert len(store.incidents()) == 2


def test_without_a_rule_nothing_merges(tmp_path: Path) -> None:
    with _store_pair(tmp_path, _pair(PAIRS / "merge_erbil_drone.jsonl"), None) as store:
        assert len(store.incidents()) == 2


def test_all_pairs_in_one_store_group_as_cluster_does(tmp_path: Path) -> None:
    # Pairs share places and days (two files report Basra rockets on 8 January), so
    # together they also test merges across files.
    everything = [item for path in MERGES + SEPARATES for item in _pair(path)]
    with _store_pair(tmp_path, everything, DEFAULT_RULE) as store:
        stored = [
            sorted(s.article_id for s in store.sources(i.incident_id)) for i in store.incidents()
        ]
    expected = [
        sorted(i.article_id for i in group)
        for group in cluster(i for _, found in everything for i in found)
    ]
    assert stored == expected
    assert ["basra-rockets-wednesday", "rockets-basra"] in stored
    assert len(stored) < len(everything)
