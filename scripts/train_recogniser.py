"""Train the place recogniser and resolver, and report cross-validated scores.

    pip install -e '.[build]'
    python scripts/train_recogniser.py [--folds 5]

Candidates come from geomap's own scanner on the raw text of the development
corpora (shared/eval/lgl.jsonl, geowebnews.jsonl).

- Recogniser: a candidate is positive when it overlaps a gold toponym.
- Resolver: for each kept candidate that matches a gold toponym with coordinates,
  every gazetteer entry behind the name is a row, positive when within 161 km of
  the gold point (pointwise logistic ranking).

Every reported figure is document-level cross-validated: each document is scored
by models trained on the other folds, with the README's metric. The shipped
weights are then fitted on all documents: data/model/recogniser.json and
data/model/resolver.json.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
from logistic import fit_weights
from sklearn.model_selection import GroupKFold

from geomap.evaluation.places import (
    Predicted,
    ToponymScore,
    haversine_km,
    match_spans,
    read_gold,
    score_document,
)
from geomap.gazetteer import Gazetteer
from geomap.model import Article
from geomap.places import (
    MODEL_PATH,
    RESOLVER_PATH,
    Recogniser,
    Resolver,
    _best,
    adjust_scores,
    analyse,
    coherence_features,
    entry_features,
    find_places,
)

ROOT = Path(__file__).resolve().parent.parent
CORPORA = ("lgl", "geowebnews")
THRESHOLDS = tuple(round(0.3 + 0.01 * i, 2) for i in range(31))
MIN_PRECISION = 0.85


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--eval-dir", type=Path, default=ROOT.parent / "shared" / "eval")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--C", type=float, default=0.3)
    args = ap.parse_args()

    gaz = Gazetteer().load()
    blank = Recogniser({})
    docs = []  # (corpus, doc, candidates)
    for corpus in CORPORA:
        for doc in read_gold(args.eval_dir / f"{corpus}.jsonl"):
            docs.append((corpus, doc, analyse(doc.text, gaz, blank)[1]))
    groups = np.array([doc.doc_id for _, doc, _ in docs])
    folds = list(GroupKFold(n_splits=args.folds).split(groups, groups=groups))

    def recogniser_rows(indexes):
        rows, labels = [], []
        for d in indexes:
            _, doc, cands = docs[d]
            hit = {
                pi for _, pi in match_spans([t.span for t in doc.toponyms], [c.span for c in cands])
            }
            for i, c in enumerate(cands):
                rows.append(c.features)
                labels.append(int(i in hit))
        return rows, labels

    # 1. recogniser, out of fold
    rec_weights = []
    oof: dict[int, list[float]] = {}
    for train, test in folds:
        w = fit_weights(*recogniser_rows(train), args.C)
        rec_weights.append(w)
        model = Recogniser(w)
        for d in test:
            cands = docs[d][2]
            oof[d] = adjust_scores(cands, [model.probability(c.features) for c in cands])

    def recognition(threshold):
        out = {}
        for corpus in CORPORA:
            tp = pred = gold = 0
            for d, (name, doc, cands) in enumerate(docs):
                if name != corpus:
                    continue
                spans = [c.span for c, p in zip(cands, oof[d], strict=True) if p >= threshold]
                gold += len(doc.toponyms)
                pred += len(spans)
                tp += len(match_spans([t.span for t in doc.toponyms], spans))
            p, r = (tp / pred if pred else 0.0), (tp / gold if gold else 0.0)
            out[corpus] = {
                "precision": round(p, 4),
                "recall": round(r, 4),
                "f1": round(2 * p * r / (p + r) if p + r else 0.0, 4),
            }
        return out

    by_threshold = {str(t): recognition(t) for t in THRESHOLDS}
    for t, v in by_threshold.items():
        print("recognition", t, v, file=sys.stderr)
    # best mean F1 among thresholds whose precision clears the bar on every corpus
    ok = [
        t
        for t, v in by_threshold.items()
        if all(x["precision"] >= MIN_PRECISION for x in v.values())
    ]
    threshold = float(
        max(ok or by_threshold, key=lambda t: sum(x["f1"] for x in by_threshold[t].values()))
    )

    # 2. resolver rows from the out-of-fold kept candidates; with first-pass weights,
    #    the rows carry the coherence features of the second pass
    def resolver_rows(indexes, first_pass=None):
        rows, labels = [], []
        for d in indexes:
            _, doc, cands = docs[d]
            kept = [c for c, p in zip(cands, oof[d], strict=True) if p >= threshold]
            options = entry_features(kept, doc.text, gaz)
            if first_pass is not None:
                options = coherence_features(
                    options, _best(options, Resolver(first_pass).score), gaz
                )
            for gi, pi in match_spans([t.span for t in doc.toponyms], [c.span for c in kept]):
                gold = doc.toponyms[gi].point
                senses = options[kept[pi].key]
                if gold is None or len(senses) < 2:
                    continue
                labelled = [
                    (f, int(haversine_km(gold, gaz.place(m.index).point) <= 161)) for m, f in senses
                ]
                if not any(lab for _, lab in labelled) or all(lab for _, lab in labelled):
                    continue  # nothing to learn from this name
                for f, lab in labelled:
                    rows.append(f)
                    labels.append(lab)
        return rows, labels

    res_weights = []
    for train, _ in folds:
        first = fit_weights(*resolver_rows(train), 1.0)
        res_weights.append((first, fit_weights(*resolver_rows(train, first), 1.0)))

    # 3. end to end, each document by the models of the folds that did not see it
    fold_of = {d: k for k, (_, test) in enumerate(folds) for d in test}
    totals = {c: ToponymScore() for c in CORPORA}
    for d, (corpus, doc, _) in enumerate(docs):
        k = fold_of[d]
        mentions = find_places(
            Article(doc.doc_id, doc.text),
            gaz,
            Recogniser(rec_weights[k], threshold),
            Resolver(*res_weights[k]),
        )
        predicted = [Predicted(m.span, m.place.point if m.place else None) for m in mentions]
        totals[corpus].add(score_document(doc.toponyms, predicted))
    cross_validated = {c: s.as_dict() for c, s in totals.items()}
    for c, s in cross_validated.items():
        print("end-to-end (cross-validated)", c, s, file=sys.stderr)

    # 4. ship models fitted on everything
    all_docs = range(len(docs))
    meta = {"folds": args.folds, "trained_on": list(CORPORA), "documents": len(docs)}
    MODEL_PATH.parent.mkdir(parents=True, exist_ok=True)
    MODEL_PATH.write_text(
        json.dumps(
            {
                "threshold": threshold,
                "cross_validated": {"by_threshold": by_threshold, **meta},
                "weights": fit_weights(*recogniser_rows(all_docs), args.C),
            },
            indent=1,
        )
        + "\n"
    )
    # the shipped resolver learns from contexts kept by the out-of-fold recogniser
    first = fit_weights(*resolver_rows(all_docs), 1.0)
    RESOLVER_PATH.write_text(
        json.dumps(
            {
                "cross_validated": {"end_to_end": cross_validated, **meta},
                "weights": first,
                "coherence": fit_weights(*resolver_rows(all_docs, first), 1.0),
            },
            indent=1,
        )
        + "\n"
    )
    print(f"threshold {threshold}", file=sys.stderr)


if __name__ == "__main__":
    main()
