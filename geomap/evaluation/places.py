"""Toponym scoring exactly as ``shared/eval/README.md`` defines it.

Matching: a prediction matches a gold span when they overlap by at least one
character; each gold span and each prediction is used once, pairing greedily by
largest overlap. Recognition P/R/F1 count every gold toponym; ``e2e161`` is the
share of gold toponyms *with coordinates* whose matched prediction has a point
within 161 km (haversine, R = 6371.0088 km); ``cond161`` the same over matched
gold toponyms only; error km over matched pairs that both have points.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from geopy.distance import great_circle

from geomap.model import LatLon, Span

__all__ = [
    "GoldDocument",
    "GoldToponym",
    "Predicted",
    "ToponymScore",
    "haversine_km",
    "match_spans",
    "read_gold",
]

EARTH_RADIUS_KM = 6371.0088
THRESHOLD_KM = 161.0


def haversine_km(a: LatLon, b: LatLon) -> float:
    """Great-circle distance on the README's sphere (geopy's great_circle).

    >>> round(haversine_km(LatLon(0, 0), LatLon(0, 1)), 3)
    111.195
    """
    return great_circle((a.lat, a.lon), (b.lat, b.lon), radius=EARTH_RADIUS_KM).km


@dataclass(frozen=True, slots=True)
class GoldToponym:
    span: Span
    name: str
    point: LatLon | None


@dataclass(frozen=True, slots=True)
class GoldDocument:
    doc_id: str
    text: str
    toponyms: tuple[GoldToponym, ...]
    title: str | None = None
    date: str | None = None


@dataclass(frozen=True, slots=True)
class Predicted:
    span: Span
    point: LatLon | None


def read_gold(path: str | Path) -> Iterator[GoldDocument]:
    """Read a toponym corpus in the shared/eval JSON Lines format."""
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            if not line.strip():
                continue
            rec = json.loads(line)
            tops = []
            for t in rec["toponyms"]:
                point = None
                if t.get("lat") is not None and t.get("lon") is not None:
                    point = LatLon(float(t["lat"]), float(t["lon"]))
                tops.append(GoldToponym(Span(t["start"], t["end"]), t["name"], point))
            yield GoldDocument(
                rec["id"], rec["text"], tuple(tops), rec.get("title"), rec.get("date")
            )


def match_spans(gold: Sequence[Span], predicted: Sequence[Span]) -> list[tuple[int, int]]:
    """Greedy one-to-one pairing by largest character overlap (ties: text order).

    >>> match_spans([Span(0, 5), Span(10, 15)], [Span(4, 14)])
    [(1, 0)]
    """
    pairs = []
    for gi, g in enumerate(gold):
        for pi, p in enumerate(predicted):
            overlap = min(g.end, p.end) - max(g.start, p.start)
            if overlap >= 1:
                pairs.append((-overlap, gi, pi))
    pairs.sort()
    used_g: set[int] = set()
    used_p: set[int] = set()
    out = []
    for _, gi, pi in pairs:
        if gi in used_g or pi in used_p:
            continue
        used_g.add(gi)
        used_p.add(pi)
        out.append((gi, pi))
    return sorted(out)


@dataclass
class ToponymScore:
    gold: int = 0
    gold_with_point: int = 0
    predicted: int = 0
    matched: int = 0
    within: int = 0  # matched gold with a point whose prediction is within 161 km
    matched_with_point: int = 0  # matched gold that has a point (cond161 denominator)
    errors_km: list[float] = field(default_factory=list)

    def add(self, other: ToponymScore) -> None:
        self.gold += other.gold
        self.gold_with_point += other.gold_with_point
        self.predicted += other.predicted
        self.matched += other.matched
        self.within += other.within
        self.matched_with_point += other.matched_with_point
        self.errors_km.extend(other.errors_km)

    @property
    def precision(self) -> float:
        return self.matched / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.matched / self.gold if self.gold else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0

    @property
    def e2e161(self) -> float:
        return self.within / self.gold_with_point if self.gold_with_point else 0.0

    @property
    def cond161(self) -> float:
        return self.within / self.matched_with_point if self.matched_with_point else 0.0

    @property
    def mean_km(self) -> float | None:
        return statistics.fmean(self.errors_km) if self.errors_km else None

    @property
    def median_km(self) -> float | None:
        return statistics.median(self.errors_km) if self.errors_km else None

    def as_dict(self) -> dict[str, float | int | None]:
        return {
            "gold": self.gold,
            "predicted": self.predicted,
            "matched": self.matched,
            "precision": round(self.precision, 4),
            "recall": round(self.recall, 4),
            "f1": round(self.f1, 4),
            "e2e161": round(self.e2e161, 4),
            "cond161": round(self.cond161, 4),
            "mean_km": None if self.mean_km is None else round(self.mean_km, 1),
            "median_km": None if self.median_km is None else round(self.median_km, 1),
        }


def score_document(gold: Sequence[GoldToponym], predicted: Sequence[Predicted]) -> ToponymScore:
    """Score one document's predictions against its gold toponyms."""
    s = ToponymScore(
        gold=len(gold),
        gold_with_point=sum(g.point is not None for g in gold),
        predicted=len(predicted),
    )
    for gi, pi in match_spans([g.span for g in gold], [p.span for p in predicted]):
        s.matched += 1
        g, p = gold[gi], predicted[pi]
        if g.point is None:
            continue
        s.matched_with_point += 1
        if p.point is None:
            continue  # a match without a point is a miss
        km = haversine_km(g.point, p.point)
        s.errors_km.append(km)
        if km <= THRESHOLD_KM:
            s.within += 1
    return s


@dataclass
class CorpusResult:
    """Scores and speed for one corpus."""

    name: str
    score: ToponymScore
    documents: int
    words: int
    seconds: float
    load_seconds: float

    @property
    def words_per_second(self) -> float:
        return self.words / self.seconds if self.seconds else 0.0

    def as_dict(self) -> dict[str, object]:
        return {
            "corpus": self.name,
            "documents": self.documents,
            "words": self.words,
            **self.score.as_dict(),
            "words_per_second": round(self.words_per_second),
            "gazetteer_load_seconds": round(self.load_seconds, 3),
        }


def evaluate_corpus(
    path: Path,
    *,
    gazetteer=None,
    recogniser=None,
    errors: IO[str] | None = None,
    resolver=None,
) -> CorpusResult:
    """Run geomap's places stage on a gold corpus's raw text and score it.

    ``errors`` receives one JSON line per miss, false place and far resolution.
    """
    import time

    from geomap.gazetteer import default_gazetteer
    from geomap.model import Article
    from geomap.places import find_places

    started = time.perf_counter()
    gaz = gazetteer if gazetteer is not None else default_gazetteer()
    load_seconds = time.perf_counter() - started
    docs = list(read_gold(path))
    total = ToponymScore()
    words = 0
    elapsed = 0.0
    for doc in docs:
        words += len(doc.text.split())
        t0 = time.perf_counter()
        mentions = find_places(Article(doc.doc_id, doc.text), gaz, recogniser, resolver)
        elapsed += time.perf_counter() - t0
        predicted = [Predicted(m.span, m.place.point if m.place else None) for m in mentions]
        total.add(score_document(doc.toponyms, predicted))
        if errors is not None:
            _write_errors(errors, doc, mentions, predicted)
    return CorpusResult(Path(path).stem, total, len(docs), words, elapsed, load_seconds)


def _context(text: str, span: Span, width: int = 60) -> str:
    left = text[max(0, span.start - width) : span.start].replace("\n", " ")
    right = text[span.end : span.end + width].replace("\n", " ")
    return f"{left}[[{text[span.start : span.end]}]]{right}"


def _write_errors(fh: IO[str], doc: GoldDocument, mentions, predicted) -> None:
    pairs = dict(match_spans([g.span for g in doc.toponyms], [p.span for p in predicted]))
    used = set(pairs.values())
    for gi, g in enumerate(doc.toponyms):
        if gi not in pairs:
            kind, extra = "miss", {}
        else:
            m = mentions[pairs[gi]]
            if g.point is None or (
                m.place and haversine_km(g.point, m.place.point) <= THRESHOLD_KM
            ):
                continue
            kind = "far"
            extra = {
                "predicted": m.place.name if m.place else None,
                "predicted_id": m.place.place_id if m.place else None,
                "km": round(haversine_km(g.point, m.place.point)) if m.place else None,
            }
        fh.write(
            json.dumps(
                {
                    "doc": doc.doc_id,
                    "error": kind,
                    "name": g.name,
                    "gold": [g.point.lat, g.point.lon] if g.point else None,
                    "context": _context(doc.text, g.span),
                    **extra,
                },
                ensure_ascii=False,
            )
            + "\n"
        )
    for pi, m in enumerate(mentions):
        if pi not in used:
            fh.write(
                json.dumps(
                    {
                        "doc": doc.doc_id,
                        "error": "false",
                        "name": m.text,
                        "predicted": m.place.name if m.place else None,
                        "score": m.score,
                        "context": _context(doc.text, m.span),
                    },
                    ensure_ascii=False,
                )
                + "\n"
            )
