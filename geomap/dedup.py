"""Cross-article deduplication: when two reports describe one incident.

Several articles often report the same strike. The store keeps one *incident* per
real-world event and every article's *report* of it as a source. Two reports found in
**different** articles are the same incident when all of these hold
(:meth:`DedupRule.compare`):

1. **Same type family**: equal ``event_type`` (``Battles``, ``Explosions/Remote
   violence`` ...); sub-event types may differ ("missile attack" vs "air strike").
2. **Same or nearby place**: the same ``place_id``, or points at most ``max_km``
   apart (geodesic distance, :mod:`geopy.distance`). An incident with no located place
   never merges, and neither does one coded coarser than ``max_geo_precision``
   (ACLED's 1 town, 2 near a town, 3 region or country; ``None`` counts as 3).
3. **Close dates**: at most ``max_days`` apart. An undated report merges only with
   another undated one (when everything else matches), never with a dated one.
4. **Compatible actors**: for actor1, and separately for actor2, the normalised names
   (:func:`normalise_actor`) are equal or one side is missing. An "Unidentified armed
   group" counts as missing: it says the text did not name who acted. Roles are not
   swapped: "Iran struck the US" and "the US struck Iran" are two incidents.

Two reports from the same article never merge: extraction already joins an article's
retellings of one event, so two that remain are two events.

The store applies the rule with *complete linkage*: a report joins an incident only
when it matches every report the incident already has, so every two reports of one
stored incident satisfy the rule and incidents cannot drift along a chain of
near-matches. When a report matches several incidents it joins the closest (fewest days
apart, then fewest km, then the oldest incident); each incident takes at most one
report per article. A report with the ``incident_id`` of a stored incident joins it
whatever the rule says. :func:`assign` is the choice and :func:`cluster` applies it
to a list of incidents in memory, exactly as the store does when the articles are
added in that order.

A merged incident (:func:`merge`) is its best report (located, then finest
``geo_precision``, then finest ``time_precision``, then highest confidence), with the
actors, date and place that report lacks filled in from the others, and ACLED's
conservative count: the lowest fatality (and injury) figure any report gives.

>>> import datetime as dt
>>> from geomap.model import Incident, LatLon, Place, PlaceMention, PlaceType, Span
>>> baghdad = Place("geonames:98182", "Baghdad", PlaceType.CITY, LatLon(33.34, 44.40), "IQ")
>>> def report(article_id, day):
...     at = PlaceMention(article_id, Span(0, 7), "Baghdad", baghdad, 0.9)
...     return Incident(f"{article_id}-1", article_id, "Explosions/Remote violence",
...                     "Shelling/artillery/missile attack", "test", Span(0, 1), "Rockets.",
...                     Span(0, 8), 0.8, location=at, geo_precision=1, date=day)
>>> rule = DedupRule()
>>> rule.matches(report("a", dt.date(2020, 1, 7)), report("b", dt.date(2020, 1, 8)))
True
>>> rule.matches(report("a", dt.date(2020, 1, 7)), report("b", dt.date(2020, 1, 9)))
False
>>> rule.matches(report("a", None), report("b", dt.date(2020, 1, 8)))
False
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import math
import re
import unicodedata
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TypeVar

from geopy.distance import geodesic

from geomap.model import Incident, LatLon

__all__ = [
    "DEFAULT_RULE",
    "DedupRule",
    "Report",
    "actor_key",
    "assign",
    "cluster",
    "merge",
    "normalise_actor",
]

K = TypeVar("K", bound=Hashable)  # whatever identifies an incident: a store id, a list index

_COARSEST_PRECISION = 3  # ACLED's geo_precision runs 1 (town) to 3 (region/country)
_KM_PER_DEGREE_LAT = 110.574  # the shortest degree of latitude, at the equator


@dataclass(frozen=True, slots=True)
class Report:
    """What the rule looks at in one article's incident.

    Actors are :func:`actor_key` forms: normalised, None when missing or unidentified.
    """

    article_id: str
    event_type: str
    date: dt.date | None
    place_id: str | None
    point: LatLon | None
    geo_precision: int | None
    actor1: str | None
    actor2: str | None

    @classmethod
    def of(cls, incident: Incident) -> Report:
        place = incident.location.place if incident.location is not None else None
        return cls(
            article_id=incident.article_id,
            event_type=incident.event_type,
            date=incident.date,
            place_id=place.place_id if place is not None else None,
            point=incident.point,
            geo_precision=incident.geo_precision,
            actor1=actor_key(incident.actor1.name if incident.actor1 else None),
            actor2=actor_key(incident.actor2.name if incident.actor2 else None),
        )


@dataclass(frozen=True, slots=True)
class DedupRule:
    """Thresholds for deciding that two articles report the same incident.

    Parameters
    ----------
    max_km
        Largest distance between two reports' points, in km (same ``place_id`` always
        counts as the same place).
    max_days
        Largest number of days between two reports' dates.
    max_geo_precision
        Coarsest ``geo_precision`` that may merge: 3 lets country- and region-level
        reports merge too, 1 only town-level ones.

    >>> DedupRule(max_km=10).max_km
    10
    """

    max_km: float = 25.0
    max_days: int = 1
    max_geo_precision: int = _COARSEST_PRECISION

    def __post_init__(self) -> None:
        if not (math.isfinite(self.max_km) and self.max_km >= 0):
            raise ValueError(f"max_km {self.max_km!r} must be a finite distance >= 0")
        if isinstance(self.max_days, bool) or not isinstance(self.max_days, int):
            raise ValueError(f"max_days {self.max_days!r} must be a whole number of days")
        if self.max_days < 0:
            raise ValueError(f"max_days {self.max_days!r} must be >= 0")
        if self.max_geo_precision not in (1, 2, 3):
            raise ValueError(
                f"max_geo_precision {self.max_geo_precision!r} must be 1, 2 or 3 (ACLED codes)"
            )

    def mergeable(self, report: Report) -> bool:
        """Whether the report can merge with anything at all (located, fine enough)."""
        precision = report.geo_precision or _COARSEST_PRECISION
        return report.point is not None and precision <= self.max_geo_precision

    def compare(self, a: Report, b: Report) -> tuple[int, float] | None:
        """``(days apart, km apart)`` when a and b are one incident, else None."""
        if (
            a.article_id == b.article_id
            or a.event_type != b.event_type
            or not (self.mergeable(a) and self.mergeable(b))
            or not (_compatible(a.actor1, b.actor1) and _compatible(a.actor2, b.actor2))
        ):
            return None
        if (a.date is None) != (b.date is None):
            return None  # undated only ever merges with undated
        days = abs((a.date - b.date).days) if a.date is not None and b.date is not None else 0
        if days > self.max_days:
            return None
        assert a.point is not None and b.point is not None  # mergeable() checked
        km = 0.0 if a.place_id is not None and a.place_id == b.place_id else _km(a.point, b.point)
        if km > self.max_km:
            return None
        return days, km

    def matches(self, a: Incident, b: Incident) -> bool:
        """Whether two incidents are one incident under this rule."""
        return self.compare(Report.of(a), Report.of(b)) is not None

    def latitude_window(self, point: LatLon) -> tuple[float, float]:
        """Latitudes that can hold a point within ``max_km`` (for an index pre-filter)."""
        # A degree of latitude is never shorter than at the equator; pad for rounding.
        delta = self.max_km / _KM_PER_DEGREE_LAT + 1e-6
        return point.lat - delta, point.lat + delta


#: The rule the store and ``geomap ingest`` use unless told otherwise.
DEFAULT_RULE = DedupRule()


def _compatible(a: str | None, b: str | None) -> bool:
    return a is None or b is None or a == b


def _km(a: LatLon, b: LatLon) -> float:
    return geodesic((a.lat, a.lon), (b.lat, b.lon)).km


_DROPPED = re.compile(r"[.'’`]")  # "U.S." -> "us", "Houthis'" -> "houthis"
_SEPARATORS = re.compile(r"[^\w]+")  # "al-Shabaab" -> "al shabaab"
_LEADING_ARTICLE = re.compile(r"^(?:the|a|an) ")


def normalise_actor(name: str | None) -> str | None:
    """The form actor names are compared in: case-folded, punctuation and "the" dropped.

    >>> normalise_actor("The U.S. Army"), normalise_actor("al-Shabaab")
    ('us army', 'al shabaab')
    >>> normalise_actor("  ") is None
    True
    """
    if name is None:
        return None
    text = unicodedata.normalize("NFKC", name).casefold()
    text = _SEPARATORS.sub(" ", _DROPPED.sub("", text)).strip()
    return _LEADING_ARTICLE.sub("", text) or None


def actor_key(name: str | None) -> str | None:
    """An actor name as the rule compares it: normalised; None if missing or unidentified.

    >>> actor_key("Unidentified armed group (Iraq)") is None, actor_key("The Islamic State")
    (True, 'islamic state')
    """
    normal = normalise_actor(name)
    # ACLED's "Unidentified Armed Group (Iraq)" is a perpetrator the text does not name.
    if normal is not None and normal.startswith("unidentified "):
        return None
    return normal


# --- choosing incidents for reports -------------------------------------------------


def assign(
    reports: Sequence[Report],
    candidates: Mapping[K, Sequence[Report]],
    rule: DedupRule,
) -> dict[int, K]:
    """Which existing incident each of one article's reports joins.

    Parameters
    ----------
    reports
        One article's reports, in their order in the article.
    candidates
        Existing incidents (key -> their reports), oldest first; keys are the
        tie-break after distance, so insertion order matters.
    rule
        The rule every pair must satisfy.

    Returns
    -------
    dict[int, K]
        Report index -> incident key, for the reports that join an incident; the
        others start new incidents. Each incident takes at most one report.
    """
    order = {key: n for n, key in enumerate(candidates)}
    pairs: list[tuple[int, float, int, int, K]] = []
    for index, report in enumerate(reports):
        if not rule.mergeable(report):
            continue
        for key, members in candidates.items():
            worst = _worst(rule, report, members)
            if worst is not None:
                pairs.append((worst[0], worst[1], order[key], index, key))
    pairs.sort(key=lambda pair: pair[:4])  # closest first, then oldest incident
    chosen: dict[int, K] = {}
    taken: set[K] = set()
    for _days, _km_apart, _age, index, key in pairs:
        if index not in chosen and key not in taken:
            chosen[index] = key
            taken.add(key)
    return chosen


def _worst(rule: DedupRule, report: Report, members: Sequence[Report]) -> tuple[int, float] | None:
    """The largest (days, km) to any member, or None if any member does not match."""
    if not members:
        return None
    days, km = 0, 0.0
    for member in members:
        apart = rule.compare(report, member)
        if apart is None:
            return None
        days, km = max(days, apart[0]), max(km, apart[1])
    return days, km


def cluster(incidents: Iterable[Incident], rule: DedupRule = DEFAULT_RULE) -> list[list[Incident]]:
    """Group incidents as the store does when their articles are added in this order.

    Articles are taken in order of first sight; of several incidents with one id in an
    article the first is kept. A report whose ``incident_id`` is already a group's id
    joins that group whatever the rule says (the same id is the same incident); the
    others go through :func:`assign`. Each group is one incident's reports, groups in
    order of creation, each named by its first report's id.

    >>> cluster([])
    []
    """
    by_article: dict[str, dict[str, Incident]] = {}
    for incident in incidents:
        by_article.setdefault(incident.article_id, {}).setdefault(incident.incident_id, incident)
    groups: dict[str, list[Incident]] = {}
    members: dict[str, list[Report]] = {}
    for unique in by_article.values():
        found = list(unique.values())
        reports = [Report.of(incident) for incident in found]
        joins = {n: i.incident_id for n, i in enumerate(found) if i.incident_id in groups}
        rest = [n for n in range(len(found)) if n not in joins]
        taken = set(joins.values())
        open_groups = {key: value for key, value in members.items() if key not in taken}
        chosen = assign([reports[n] for n in rest], open_groups, rule)
        joins.update((rest[k], key) for k, key in chosen.items())
        for n, incident in enumerate(found):
            key = joins.get(n, incident.incident_id)
            groups.setdefault(key, []).append(incident)
            members.setdefault(key, []).append(reports[n])
    return list(groups.values())


# --- merging ------------------------------------------------------------------------

_TIME_PRECISION_RANK = {"day": 0, "week": 1, "month": 2, "year": 3}


def _quality(incident: Incident) -> tuple[bool, int, int, float]:
    """Sort key, best first: located, finest place, finest date, most confident."""
    return (
        incident.point is None,
        incident.geo_precision or _COARSEST_PRECISION + 1,
        _TIME_PRECISION_RANK.get(incident.time_precision or "", len(_TIME_PRECISION_RANK)),
        -incident.confidence,
    )


def merge(reports: Sequence[Incident], incident_id: str | None = None) -> Incident:
    """One incident from several reports of it; a single report comes back unchanged.

    Parameters
    ----------
    reports
        The reports, oldest first (ties in quality go to the oldest).
    incident_id
        The merged incident's id; defaults to the first report's.

    >>> from geomap.model import Span
    >>> a = Incident("a-1", "a", "Battles", "Armed clash", "t", Span(0, 1), "x", Span(0, 1), 0.5,
    ...              fatalities=4)
    >>> b = dataclasses.replace(a, incident_id="b-1", article_id="b", fatalities=2)
    >>> merged = merge([a, b])
    >>> merged.incident_id, merged.fatalities, merged.notes
    ('a-1', 2, ('reported by 2 articles',))
    """
    if not reports:
        raise ValueError("merge() needs at least one report")
    incident_id = incident_id if incident_id is not None else reports[0].incident_id
    ranked = sorted(reports, key=_quality)  # stable: equal quality keeps the oldest first
    best = ranked[0]
    if len(reports) == 1:
        return dataclasses.replace(best, incident_id=incident_id)

    def first(attribute: str) -> object:
        return next(
            (value for r in ranked if (value := getattr(r, attribute)) is not None),
            None,
        )

    counted = [r for r in reports if r.fatalities is not None]
    fewest = min(counted, key=lambda r: r.fatalities or 0) if counted else None
    injured = [r.injured for r in reports if r.injured is not None]
    dated = best if best.date is not None else next((r for r in ranked if r.date), best)
    articles = len({r.article_id for r in reports})
    return dataclasses.replace(
        best,
        incident_id=incident_id,
        actor1=first("actor1"),
        actor2=first("actor2"),
        date=dated.date,
        time_precision=dated.time_precision,
        # ACLED codes the most conservative figure when sources disagree.
        fatalities=fewest.fatalities if fewest else None,
        fatalities_claimed_by=fewest.fatalities_claimed_by if fewest else None,
        injured=min(injured) if injured else None,
        notes=(*best.notes, f"reported by {articles} articles"),
    )
