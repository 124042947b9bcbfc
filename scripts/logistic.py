"""Logistic weights over named sparse features, as the shipped models store them."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from sklearn.feature_extraction import DictVectorizer
from sklearn.linear_model import LogisticRegression


def fit_weights(
    rows: Sequence[dict[str, float]], labels: Sequence[int], C: float, min_count: int = 1
) -> dict[str, float]:
    """Feature name -> weight, the intercept folded into ``bias``, near-zeros dropped.

    Features seen in fewer than ``min_count`` rows get no weight: a word seen
    once says more about that sentence than about the next.
    """
    if min_count > 1:
        seen = Counter(name for row in rows for name in row)
        rows = [{k: v for k, v in row.items() if seen[k] >= min_count} for row in rows]
    vec = DictVectorizer()
    X = vec.fit_transform(rows)
    model = LogisticRegression(C=C, max_iter=3000).fit(X, labels)
    weights = {n: float(w) for n, w in zip(vec.feature_names_, model.coef_[0], strict=True)}
    weights["bias"] = weights.get("bias", 0.0) + float(model.intercept_[0])
    return {k: round(v, 5) for k, v in sorted(weights.items()) if abs(v) > 1e-5}
