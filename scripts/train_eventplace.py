"""Train the event-place model and report its cross-validated accuracy.

    pip install -e '.[build]'
    python scripts/train_eventplace.py [--folds 5] [--C 0.5] [--min-count 1]

Each sentence of shared/eval/event_location_dev.jsonl (Halterman 2019) gives one
candidate per name (geomap's own place mentions, found on the sentence alone,
and the other capitalised names); a candidate is right when it overlaps a gold
event location. Each sentence is one choice among its candidates and "no site"
(a conditional logit, scripts/logistic.py); sentences whose gold place is no
candidate are left out of the fit, as no choice of theirs is right. A
candidate's probability against "no site" decides: the best one counts when it
reaches a threshold.

Every reported figure is cross-validated by document: each sentence is scored
by a model trained on the other folds, and the threshold is chosen on the
out-of-fold probabilities to maximise the lower of the two slices' accuracy
(sentences with and without a gold place). The shipped weights are then
fitted on all sentences: data/model/eventplace.json.

The file also carries the calibration of incident confidence. Each sentence is
read by the whole pipeline (find_places, find_incidents) with the place model of
its own fold; the record told at the gold verb is right when its place matches
the gold place (a site the gazetteer lacks, placed at the area around it, is
judged by the site) or, without a place, when the sentence gives none. Isotonic
maps from the place model's probability to the share right, for records with and
without a place, are the calibration; its reliability is measured cross-fitted
(each fold's maps fitted on the other folds) beside the raw probability's.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from logistic import Choice, fit_choice_weights

from geomap.evaluation.events import (
    EventLocationRecord,
    EventLocationScore,
    Reliability,
    document_folds,
    load_event_location_records,
    reliability,
    score_event_locations,
    sentence_correct,
)
from geomap.eventplace import (
    MODEL_PATH,
    Calibration,
    EventPlaceModel,
    _Candidate,
    _candidates,
    _choose,
)
from geomap.gazetteer import Gazetteer
from geomap.incidents import find_incidents
from geomap.model import Article, Incident, Span
from geomap.places import find_places

ROOT = Path(__file__).resolve().parent.parent
CALIBRATION_BIN = 100  # sentences pooled per calibration point
THRESHOLDS = tuple(round(0.05 + 0.025 * i, 3) for i in range(33))


def _choices(
    prepared: Sequence[tuple[EventLocationRecord, list[_Candidate]]], indexes: Sequence[int]
) -> list[Choice]:
    out: list[Choice] = []
    for i in indexes:
        rec, cands = prepared[i]
        if not cands:
            continue
        if not rec.has_event_location:
            out.append((cands[0].null, [c.features for c in cands], None))
            continue
        right = [int(any(c.span.overlaps(g) for g in rec.event_locations)) for c in cands]
        if any(right):
            out.append((cands[0].null, [c.features for c in cands], right))
    return out


def _score(
    prepared: Sequence[tuple[EventLocationRecord, list[_Candidate]]],
    models: dict[str, EventPlaceModel],
) -> EventLocationScore:
    """Score each record with the model of its own fold (``models[record_id]``)."""
    table = {rec.record_id: cands for rec, cands in prepared}
    return score_event_locations(
        [rec for rec, _ in prepared],
        lambda rec: [
            c.span for c in _choose(rec.text, table[rec.record_id], models[rec.record_id])
        ],
    )


def _pick_threshold(
    prepared: Sequence[tuple[EventLocationRecord, list[_Candidate]]],
    weights: dict[str, dict[str, float]],
) -> tuple[float, EventLocationScore]:
    """The threshold that maximises the lower slice accuracy (then overall)."""

    def run(threshold: float) -> EventLocationScore:
        return _score(prepared, {r: EventPlaceModel(w, threshold) for r, w in weights.items()})

    def key(s: EventLocationScore) -> tuple[float, float]:
        return min(s.with_gold_place.accuracy, s.without_gold_place.accuracy), s.overall.accuracy

    return max(((t, run(t)) for t in THRESHOLDS), key=lambda ts: key(ts[1]))


@dataclass(frozen=True)
class _Outcome:
    """One incident record read out of fold from a corpus sentence: the place
    model's best probability, whether the record has a place, and whether it is
    right about where the event happened (its site, or that the text gives none)."""

    probability: float
    located: bool
    correct: bool


_UNPLACED_SITE = re.compile(r"^site '(.+)' is not in the gazetteer; placed at ")


def _record_outcome(rec: EventLocationRecord, found: Sequence[Incident]) -> _Outcome | None:
    """The outcome of the record told at the sentence's gold event verb (the one
    whose trigger is nearest it), or None when geomap reads no incident there."""
    if not found:
        return None
    verb = rec.event_verb

    def distance(inc: Incident) -> int:
        t = inc.trigger
        return 0 if t.overlaps(verb) else min(abs(t.start - verb.end), abs(verb.start - t.end))

    nearest = min(found, key=distance)
    told = [x for x in found if x.trigger == nearest.trigger]
    spans = []
    for inc in told:
        if inc.location is None:
            continue
        # a site placed at the known place around it is judged by the site itself
        sites = [m.group(1) for n in inc.notes if (m := _UNPLACED_SITE.match(n))]
        if sites:
            spans += [Span(i, i + len(sites[0])) for i in _find_all(rec.text, sites[0])]
        else:
            spans.append(inc.location.span)
    located = any(inc.location is not None for inc in told)
    # identity calibration: the confidence is p with a place, 1 - p without
    conf = told[0].confidence
    probability = conf if located else 1.0 - conf
    correct = sentence_correct(rec.event_locations, rec.has_event_location, spans)
    return _Outcome(probability, located, correct)


def _find_all(text: str, name: str) -> list[int]:
    return [m.start() for m in re.finditer(re.escape(name), text)]


def incident_outcomes(
    records: Sequence[EventLocationRecord],
    folds: Sequence[Sequence[int]],
    oof: dict[str, dict[str, float]],
    threshold: float,
    gaz: Gazetteer,
) -> tuple[list[_Outcome], list[list[int]]]:
    """Each sentence read as a one-sentence article by the whole pipeline, with the
    place model of its own fold, uncalibrated; and the folds as outcome indexes."""
    outcomes: list[_Outcome] = []
    out_folds: list[list[int]] = []
    for fold in folds:
        model = EventPlaceModel(oof[records[fold[0]].record_id], threshold)
        here = []
        for i in fold:
            rec = records[i]
            article = Article(rec.record_id, rec.text)
            found = find_incidents(article, find_places(article, gaz), gaz, place_model=model)
            outcome = _record_outcome(rec, found)
            if outcome is not None:
                here.append(len(outcomes))
                outcomes.append(outcome)
        out_folds.append(here)
    return outcomes, out_folds


def _isotonic(xs: Sequence[float], ys: Sequence[bool], increasing: bool, per_bin: int) -> tuple:
    """Knots of a monotone fit of ``ys`` on ``xs`` (sklearn's isotonic regression).

    The points are first pooled into bins of ``per_bin`` neighbours by ``xs``, so
    no knot rests on a handful of sentences, and each bin's share is estimated
    with one success and one failure added (Laplace): a plain fit puts 0.0 and
    1.0 at the ends, certainties that a hundred sentences cannot support.
    """
    from sklearn.isotonic import IsotonicRegression

    pairs = sorted(zip(xs, ys, strict=True))
    bins = [pairs[i : i + per_bin] for i in range(0, len(pairs), per_bin)]
    if len(bins) > 1 and len(bins[-1]) < per_bin // 2:
        bins[-2:] = [bins[-2] + bins[-1]]
    bx = [sum(x for x, _ in b) / len(b) for b in bins]
    by = [(sum(y for _, y in b) + 1) / (len(b) + 2) for b in bins]
    fit = IsotonicRegression(increasing=increasing, y_min=0.0, y_max=1.0, out_of_bounds="clip")
    fit.fit(bx, by, sample_weight=[len(b) for b in bins])
    return tuple(
        (round(float(x), 4), round(float(y), 4))
        for x, y in zip(fit.X_thresholds_, fit.y_thresholds_, strict=True)
    )


def _fit_calibration(outcomes: Sequence[_Outcome], per_bin: int = CALIBRATION_BIN) -> Calibration:
    """Monotone maps from the probability to the share right, for records with a
    place (rising) and without one (falling)."""

    def fit(located: bool) -> tuple:
        some = [o for o in outcomes if o.located is located]
        return _isotonic([o.probability for o in some], [o.correct for o in some], located, per_bin)

    return Calibration(site=fit(True), none=fit(False))


def _cross_fitted(
    outcomes: Sequence[_Outcome], folds: Sequence[Sequence[int]]
) -> tuple[Reliability, Reliability]:
    """Reliability of the calibrated confidence, each fold's map fitted on the
    other folds, and of the raw probability (p if located, else 1 - p)."""
    conf = [0.0] * len(outcomes)
    for fold, cal in zip(folds, cross_fitted_calibrations(outcomes, folds), strict=True):
        for i in fold:
            o = outcomes[i]
            conf[i] = cal.confidence(o.probability, o.located)
    right = [o.correct for o in outcomes]
    raw = [o.probability if o.located else 1.0 - o.probability for o in outcomes]
    return reliability(conf, right), reliability(raw, right)


def _print_reliability(label: str, r: Reliability) -> None:
    print(f"{label}: ECE {r.ece:.4f}, Brier {r.brier:.4f}, n {r.n}", file=sys.stderr)
    for lo, n, c, a in r.bins:
        line = f"  [{lo:.1f}, {lo + 0.1:.1f})  n={n:<5} conf {c:.3f}  right {a:.3f}"
        print(line, file=sys.stderr)


def prepare(
    records: Sequence[EventLocationRecord], gaz: Gazetteer
) -> list[tuple[EventLocationRecord, list[_Candidate]]]:
    """Each sentence with its candidates, places found by geomap on the sentence alone."""
    prepared = []
    for rec in records:
        mentions = find_places(Article(rec.record_id, rec.text), gaz)
        prepared.append((rec, _candidates(rec.text, rec.event_verb, mentions, gaz)))
    return prepared


def out_of_fold_weights(
    prepared: Sequence[tuple[EventLocationRecord, list[_Candidate]]],
    folds: Sequence[Sequence[int]],
    C: float = 0.5,
    min_count: int = 1,
) -> dict[str, dict[str, float]]:
    """Each record's id -> the weights of the model fitted without its fold."""
    oof: dict[str, dict[str, float]] = {}
    for k, fold in enumerate(folds):
        held = set(fold)
        train = [i for i in range(len(prepared)) if i not in held]
        w = fit_choice_weights(_choices(prepared, train), C, min_count)
        for i in fold:
            oof[prepared[i][0].record_id] = w
        print(f"fold {k + 1}/{len(folds)} fitted", file=sys.stderr)
    return oof


def cross_fitted_calibrations(
    outcomes: Sequence[_Outcome], folds: Sequence[Sequence[int]]
) -> list[Calibration]:
    """For each fold, the calibration fitted on the other folds' outcomes."""
    out = []
    for fold in folds:
        held = set(fold)
        out.append(_fit_calibration([o for i, o in enumerate(outcomes) if i not in held]))
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--eval-dir", type=Path, default=ROOT.parent / "shared" / "eval")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--C", type=float, default=0.5)
    ap.add_argument("--min-count", type=int, default=1)
    ap.add_argument("--out", type=Path, default=MODEL_PATH)
    args = ap.parse_args()

    gaz = Gazetteer().load()
    records = load_event_location_records(args.eval_dir / "event_location_dev.jsonl")
    prepared = prepare(records, gaz)
    n_cands = sum(len(c) for _, c in prepared)
    print(f"{len(records)} sentences, {n_cands} candidates", file=sys.stderr)

    folds = document_folds(records, args.folds)
    oof = out_of_fold_weights(prepared, folds, args.C, args.min_count)
    threshold, held_out = _pick_threshold(prepared, oof)
    print("cross-validated (by document):", file=sys.stderr)
    print(held_out.summary(), file=sys.stderr)

    # confidence: how often an incident record at this probability is right about
    # its place, read out of fold by the whole pipeline
    outcomes, outcome_folds = incident_outcomes(records, folds, oof, threshold, gaz)
    located = sum(o.located for o in outcomes)
    print(
        f"incident records at the gold verb: {len(outcomes)} of {len(records)} sentences, "
        f"{located} with a place, right {sum(o.correct for o in outcomes) / len(outcomes):.3f}",
        file=sys.stderr,
    )
    calibrated, raw = _cross_fitted(outcomes, outcome_folds)
    _print_reliability("confidence, calibrated (cross-fitted)", calibrated)
    _print_reliability("raw probability, for comparison", raw)
    calibration = _fit_calibration(outcomes)

    weights = fit_choice_weights(_choices(prepared, range(len(prepared))), args.C, args.min_count)
    final = EventPlaceModel(weights, threshold, calibration=calibration)
    in_sample = _score(prepared, {r.record_id: final for r in records})
    print("in-sample (shipped model):", file=sys.stderr)
    print(in_sample.summary(), file=sys.stderr)
    args.out.write_text(
        json.dumps(
            {
                "about": "geomap event-place model; scripts/train_eventplace.py",
                "trained_on": "event_location_dev.jsonl (Halterman 2019, MIT)",
                "C": args.C,
                "min_count": args.min_count,
                "threshold": threshold,
                "cross_validated": {"folds": args.folds, **held_out.as_dict()},
                "calibration": {
                    "site": calibration.site,
                    "none": calibration.none,
                    "cross_fitted": calibrated.as_dict(),
                    "raw_probability": raw.as_dict(),
                },
                "in_sample": in_sample.as_dict(),
                "weights": weights,
            },
            indent=0,
            sort_keys=True,
        )
        + "\n"
    )
    print(f"wrote {args.out}", file=sys.stderr)


if __name__ == "__main__":
    main()
