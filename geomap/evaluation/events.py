"""The event-location metric of ``shared/eval/README.md``.

Each record is one sentence with an event verb and the gold place spans where that
event happened (Halterman 2019). A sentence counts as right when the predicted
event places match gold spans, or when the gold says the sentence names no event
place and nothing is predicted. Matching follows the README: a prediction and a
gold span match when they overlap by at least one character, each used at most
once, paired greedily by largest overlap.

Several predicted places (an event that hit two towns) are right only when every
one of them matches a distinct gold span, so predicting every place in a sentence
is never rewarded.

>>> from geomap.model import Span
>>> sentence_correct([Span(10, 16)], True, [Span(12, 16)])
True
>>> sentence_correct([], False, [Span(0, 4)])
False
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from geomap.errors import InputFormatError
from geomap.eventplace import predict_event_location
from geomap.model import Article, PlaceMention, Span

__all__ = [
    "EventLocationRecord",
    "EventLocationScore",
    "Reliability",
    "SliceScore",
    "document_folds",
    "evaluate_file",
    "load_event_location_records",
    "recogniser_predictor",
    "reliability",
    "score_event_locations",
    "sentence_correct",
]


@dataclass(frozen=True, slots=True)
class EventLocationRecord:
    """One sentence of the event-location corpus."""

    record_id: str
    doc_id: str  # the source document, to keep its sentences in one fold
    text: str
    event_verb: Span
    event_locations: tuple[Span, ...]
    has_event_location: bool


@dataclass(frozen=True, slots=True)
class SliceScore:
    """Correct sentences out of ``n``."""

    n: int
    correct: int

    @property
    def accuracy(self) -> float:
        return self.correct / self.n if self.n else 0.0


@dataclass(frozen=True, slots=True)
class EventLocationScore:
    """Event-location accuracy overall and on the two gold slices."""

    overall: SliceScore
    with_gold_place: SliceScore
    without_gold_place: SliceScore

    def as_dict(self) -> dict[str, float | int]:
        """Flat figures for JSON reports: accuracy, correct and n per slice."""
        out: dict[str, float | int] = {}
        for name, sl in (
            ("overall", self.overall),
            ("with_gold_place", self.with_gold_place),
            ("without_gold_place", self.without_gold_place),
        ):
            out[name] = round(sl.accuracy, 4)
            out[f"{name}_correct"] = sl.correct
            out[f"{name}_n"] = sl.n
        return out

    def summary(self) -> str:
        """One line per slice, for benchmarks and reports."""
        rows = (
            ("overall", self.overall),
            ("with gold place", self.with_gold_place),
            ("without gold place", self.without_gold_place),
        )
        return "\n".join(f"{name:<19} {s.accuracy:.4f}  ({s.correct}/{s.n})" for name, s in rows)


class _Recogniser(Protocol):
    def __call__(self, article: Article, gazetteer: Any, /) -> Sequence[PlaceMention]: ...


# Gigaword ids name the document before the sentence number: APW_ENG_20031101.0130_5_shoot.
_GIGAWORD_DOC = re.compile(r"^([A-Z]{3}_ENG_\d{8}\.\d{4})_")


def _doc_id(orig_id: str) -> str:
    m = _GIGAWORD_DOC.match(orig_id)
    return m.group(1) if m else orig_id


def _span(obj: Any, where: str) -> Span:
    try:
        return Span(int(obj["start"]), int(obj["end"]))
    except (KeyError, TypeError, ValueError) as err:
        raise InputFormatError(f"{where}: expected a span with start and end, got {obj!r}") from err


def load_event_location_records(path: str | Path) -> list[EventLocationRecord]:
    """Read ``event_location_dev.jsonl``-style records.

    Raises :class:`~geomap.errors.InputFormatError` naming the line when a
    record is not JSON or lacks a field.
    """
    records = []
    with Path(path).open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            where = f"{path}:{lineno}"
            try:
                raw = json.loads(line)
                orig = str(raw.get("orig_id") or raw["id"])
                records.append(
                    EventLocationRecord(
                        record_id=str(raw["id"]),
                        doc_id=_doc_id(orig),
                        text=raw["text"],
                        event_verb=_span(raw["event_verb"], where),
                        event_locations=tuple(_span(s, where) for s in raw["event_locations"]),
                        has_event_location=bool(raw["has_event_location"]),
                    )
                )
            except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as err:
                raise InputFormatError(
                    f"{where}: not an event-location record ({err}); expected id, text, "
                    "event_verb, event_locations and has_event_location"
                ) from err
    return records


def _overlap(a: Span, b: Span) -> int:
    return max(0, min(a.end, b.end) - max(a.start, b.start))


def sentence_correct(
    gold: Sequence[Span], has_event_location: bool, predicted: Sequence[Span]
) -> bool:
    """Whether one sentence's predicted event places are right.

    >>> sentence_correct([Span(0, 5), Span(10, 15)], True, [Span(1, 3), Span(11, 12)])
    True
    >>> sentence_correct([Span(0, 5)], True, [Span(1, 3), Span(20, 22)])
    False
    >>> sentence_correct([], False, [])
    True
    """
    if not has_event_location or not gold:
        return not predicted
    if not predicted:
        return False
    pairs = sorted(
        (
            (_overlap(p, g), i, j)
            for i, p in enumerate(predicted)
            for j, g in enumerate(gold)
            if _overlap(p, g) > 0
        ),
        key=lambda t: (-t[0], t[1], t[2]),
    )
    used_p: set[int] = set()
    used_g: set[int] = set()
    for _, i, j in pairs:
        if i not in used_p and j not in used_g:
            used_p.add(i)
            used_g.add(j)
    return len(used_p) == len(predicted)


def score_event_locations(
    records: Iterable[EventLocationRecord],
    predict: Callable[[EventLocationRecord], Sequence[Span]],
) -> EventLocationScore:
    """Score ``predict`` (record -> predicted place spans in ``record.text``).

    >>> r = EventLocationRecord("1", "d", "Shots in Gao.", Span(0, 5), (Span(9, 12),), True)
    >>> n = EventLocationRecord("2", "d", "He was shot.", Span(7, 11), (), False)
    >>> score = score_event_locations([r, n], lambda rec: [Span(9, 12)])
    >>> score.with_gold_place.accuracy, score.without_gold_place.accuracy
    (1.0, 0.0)
    """
    counts = {True: [0, 0], False: [0, 0]}
    for rec in records:
        with_gold = rec.has_event_location and bool(rec.event_locations)
        ok = sentence_correct(rec.event_locations, rec.has_event_location, predict(rec))
        counts[with_gold][0] += 1
        counts[with_gold][1] += ok
    w = SliceScore(*counts[True])
    wo = SliceScore(*counts[False])
    return EventLocationScore(SliceScore(w.n + wo.n, w.correct + wo.correct), w, wo)


def recogniser_predictor(
    find_places: _Recogniser, gazetteer: Any
) -> Callable[[EventLocationRecord], list[Span]]:
    """A ``predict`` that recognises places in the sentence, then picks the event's.

    The place mentions come from ``find_places(article, gazetteer)`` run on the
    sentence alone, never from the gold spans.
    """

    def predict(rec: EventLocationRecord) -> list[Span]:
        mentions = find_places(Article(article_id=rec.record_id, text=rec.text), gazetteer)
        return predict_event_location(rec.text, rec.event_verb, mentions, gazetteer)

    return predict


def evaluate_file(path: str | Path, gazetteer: Any = None) -> EventLocationScore:
    """Score geomap's event-place choice on a corpus file, places found by geomap itself.

    Place mentions come from :func:`geomap.places.find_places` run on each
    sentence alone, with the bundled gazetteer unless one is given.
    """
    from geomap.gazetteer import default_gazetteer
    from geomap.places import find_places

    gaz = default_gazetteer() if gazetteer is None else gazetteer
    records = load_event_location_records(path)
    return score_event_locations(records, recogniser_predictor(find_places, gaz))


def document_folds(records: Sequence[EventLocationRecord], k: int = 5) -> list[list[int]]:
    """Indices of ``records`` split into ``k`` folds, whole documents at a time.

    Documents go to folds by a stable hash of their id, so folds do not depend
    on record order or on Python's hash seed.

    >>> recs = [EventLocationRecord(str(i), f"d{i % 3}", "", Span(0, 0), (), False)
    ...         for i in range(6)]
    >>> sorted(len(f) for f in document_folds(recs, k=3))
    [2, 2, 2]
    """
    import zlib

    folds: list[list[int]] = [[] for _ in range(k)]
    for i, rec in enumerate(records):
        folds[zlib.crc32(rec.doc_id.encode("utf-8")) % k].append(i)
    return folds


@dataclass(frozen=True, slots=True)
class Reliability:
    """How well stated confidences match how often the records are right.

    ``bins`` holds (lower edge, count, mean confidence, share right) for each
    non-empty bin of width 1/len; ``ece`` is the expected calibration error (the
    count-weighted mean gap between confidence and share right, in bins) and
    ``brier`` the mean squared error of the confidences.
    """

    n: int
    ece: float
    brier: float
    bins: tuple[tuple[float, int, float, float], ...]

    def as_dict(self) -> dict[str, Any]:
        return {
            "n": self.n,
            "ece": round(self.ece, 4),
            "brier": round(self.brier, 4),
            "bins": [[lo, n, round(c, 4), round(a, 4)] for lo, n, c, a in self.bins],
        }


def reliability(
    confidences: Sequence[float], correct: Sequence[bool], n_bins: int = 10
) -> Reliability:
    """Bin confidences in equal-width bins and compare each with its share right.

    >>> r = reliability([0.9, 0.9, 0.2, 0.2], [True, False, False, False], n_bins=5)
    >>> round(r.ece, 3), r.bins[-1][1:]
    (0.3, (2, 0.9, 0.5))
    """
    if len(confidences) != len(correct):
        raise ValueError("confidences and outcomes differ in length; expected one per record")
    sums: dict[int, list[float]] = {}
    for c, ok in zip(confidences, correct, strict=True):
        b = sums.setdefault(min(n_bins - 1, int(c * n_bins)), [0, 0.0, 0.0])
        b[0] += 1
        b[1] += c
        b[2] += ok
    n = len(confidences)
    bins = tuple(
        (k / n_bins, int(cnt), conf / cnt, right / cnt)
        for k, (cnt, conf, right) in sorted(sums.items())
    )
    ece = sum(cnt * abs(c - a) for _, cnt, c, a in bins) / n if n else 0.0
    brier = sum((c - ok) ** 2 for c, ok in zip(confidences, correct, strict=True)) / n if n else 0.0
    return Reliability(n, ece, brier, bins)
