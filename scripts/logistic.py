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


# One sentence's choice: the features of "no site", those of each candidate, and
# which candidates are right (None: the right choice is "no site").
Choice = tuple[Sequence[str], Sequence[Sequence[str]], Sequence[int] | None]


def fit_choice_weights(choices: Sequence[Choice], C: float, min_count: int = 1) -> dict[str, float]:
    """Feature name -> weight of a conditional logit: each sentence is one choice
    among its candidates and "no site", by softmax of the summed weights.

    The likelihood of a sentence is the probability of its right choices
    together (coordinated sites share it); L2 penalty 1 / (2C). Weighing the
    names of a sentence against each other, not each alone, is what a pointwise
    logistic model cannot do.
    """
    import numpy as np
    from scipy import sparse
    from scipy.optimize import minimize

    seen: Counter[str] = Counter()
    for null, cands, _ in choices:
        seen.update(null)
        for feats in cands:
            seen.update(feats)
    vocab = {k: i for i, k in enumerate(sorted(k for k, n in seen.items() if n >= min_count))}
    indptr, cols, starts, right = [0], [], [], []
    for null, cands, gold in choices:
        starts.append(len(indptr) - 1)
        for feats in (null, *cands):
            cols.extend(vocab[f] for f in feats if f in vocab)  # a repeat counts twice, as in use
            indptr.append(len(cols))
        right.extend([1, *[0] * len(cands)] if gold is None else [0, *gold])
    X = sparse.csr_matrix((np.ones(len(cols)), cols, indptr), shape=(len(indptr) - 1, len(vocab)))
    XT = X.T.tocsr()
    first = np.array(starts)
    group = np.repeat(np.arange(len(first)), np.diff(np.append(first, X.shape[0])))
    y = np.array(right, dtype=float)

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        z = X @ w
        e = np.exp(z - np.maximum.reduceat(z, first)[group])
        total = np.add.reduceat(e, first)
        good = np.add.reduceat(e * y, first)
        grad = XT @ (e / total[group] - e * y / good[group]) + w / C
        return float(-np.sum(np.log(good / total)) + 0.5 * (w @ w) / C), grad

    options = {"maxiter": 3000}
    fit = minimize(loss, np.zeros(len(vocab)), jac=True, method="L-BFGS-B", options=options)
    weights = {k: float(fit.x[i]) for k, i in vocab.items()}
    return {k: round(v, 5) for k, v in sorted(weights.items()) if abs(v) > 1e-5}
