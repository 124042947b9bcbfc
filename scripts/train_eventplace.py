"""Train the event-place model and report its cross-validated accuracy.

    pip install -e '.[build]'
    python scripts/train_eventplace.py [--folds 5] [--C 1.0] [--min-count 2]

Each sentence of shared/eval/event_location_dev.jsonl (Halterman 2019) gives one
candidate per name (geomap's own place mentions, found on the sentence alone,
and the other capitalised names); a candidate is positive when it overlaps a
gold event location. A logistic model scores candidates; the best one counts
when its probability reaches a threshold.

Every reported figure is cross-validated by document: each sentence is scored
by a model trained on the other folds, and the threshold is chosen on the
out-of-fold probabilities to maximise the lower of the two slices' accuracy
(sentences with and without a gold place). The shipped weights are then
fitted on all sentences: data/model/eventplace.json.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from logistic import fit_weights

from geomap.evaluation.events import (
    EventLocationRecord,
    EventLocationScore,
    document_folds,
    load_event_location_records,
    score_event_locations,
)
from geomap.eventplace import MODEL_PATH, EventPlaceModel, _Candidate, _candidates, _choose
from geomap.gazetteer import Gazetteer
from geomap.model import Article
from geomap.places import find_places

ROOT = Path(__file__).resolve().parent.parent
THRESHOLDS = tuple(round(0.05 + 0.025 * i, 3) for i in range(33))


def _rows(
    prepared: Sequence[tuple[EventLocationRecord, list[_Candidate]]], indexes: Sequence[int]
) -> tuple[list[dict[str, float]], list[int]]:
    rows, labels = [], []
    for i in indexes:
        rec, cands = prepared[i]
        for c in cands:
            rows.append(dict.fromkeys(c.features, 1.0))
            labels.append(
                int(rec.has_event_location and any(c.span.overlaps(g) for g in rec.event_locations))
            )
    return rows, labels


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


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--eval-dir", type=Path, default=ROOT.parent / "shared" / "eval")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--C", type=float, default=1.0)
    ap.add_argument("--min-count", type=int, default=2)
    ap.add_argument("--out", type=Path, default=MODEL_PATH)
    args = ap.parse_args()

    gaz = Gazetteer().load()
    records = load_event_location_records(args.eval_dir / "event_location_dev.jsonl")
    prepared = []
    for rec in records:
        mentions = find_places(Article(rec.record_id, rec.text), gaz)
        prepared.append((rec, _candidates(rec.text, rec.event_verb, mentions, gaz)))
    n_cands = sum(len(c) for _, c in prepared)
    print(f"{len(records)} sentences, {n_cands} candidates", file=sys.stderr)

    # out of fold: each record keyed to the weights of the model that never saw it
    oof: dict[str, dict[str, float]] = {}
    folds = document_folds(records, args.folds)
    for k, fold in enumerate(folds):
        held = set(fold)
        train = [i for i in range(len(prepared)) if i not in held]
        w = fit_weights(*_rows(prepared, train), args.C, args.min_count)
        for i in fold:
            oof[records[i].record_id] = w
        print(f"fold {k + 1}/{len(folds)} fitted", file=sys.stderr)
    threshold, held_out = _pick_threshold(prepared, oof)
    print("cross-validated (by document):", file=sys.stderr)
    print(held_out.summary(), file=sys.stderr)

    weights = fit_weights(*_rows(prepared, range(len(prepared))), args.C, args.min_count)
    final = EventPlaceModel(weights, threshold)
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
