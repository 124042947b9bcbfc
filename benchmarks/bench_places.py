"""Accuracy and speed of `geomap places` on the toponym corpora.

    python benchmarks/bench_places.py [--eval-dir ../shared/eval] [--runs 3]

Prints, per corpus: recognition P/R/F1, e2e161, cond161, mean/median error km (the
README's metric, shipped models, in-sample), the document-level cross-validated
figures recorded by scripts/train_recogniser.py, and the throughput of the real
command `geomap places CORPUS.jsonl > /dev/null` pinned to one core: words divided by
(median wall time on the corpus - median wall time on a one-line input), so the
start-up (interpreter, imports, gazetteer load) is reported apart.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _run import geomap_cmd, run_cpu  # noqa: E402

from geomap.evaluation.places import evaluate_corpus  # noqa: E402
from geomap.places import RESOLVER_PATH  # noqa: E402


def _paired(corpus: list[str], tiny: list[str], runs: int) -> tuple[float, float, float]:
    """Median CPU seconds of the corpus run beyond a one-line run, measured in pairs.

    Each corpus run is paired with a start-up run right before it, so the slow drift
    of a shared machine's speed cancels within each pair; the median of the pairs'
    differences is the work on the corpus alone. Also returns the median start-up.
    """
    diffs, walls, starts = [], [], []
    for _ in range(runs):
        _, start = run_cpu(tiny)
        wall, cpu = run_cpu(corpus)
        diffs.append(cpu - start)
        walls.append(wall)
        starts.append(start)
    return statistics.median(diffs), statistics.median(walls), statistics.median(starts)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--eval-dir", type=Path, default=ROOT.parent / "shared" / "eval")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    corpora = [args.eval_dir / "lgl.jsonl", args.eval_dir / "geowebnews.jsonl"]
    cv = json.loads(RESOLVER_PATH.read_text()).get("cross_validated", {}).get("end_to_end", {})

    tmp = tempfile.TemporaryDirectory()
    tiny = Path(tmp.name) / "tiny.jsonl"
    tiny.write_text(json.dumps({"id": "t", "text": "Shelling hit Erbil."}) + "\n")
    tiny_cmd = [*geomap_cmd(), "places", str(tiny)]
    startups = []

    header = (
        f"{'corpus':<12}{'':>6}{'P':>7}{'R':>7}{'F1':>7}{'e2e161':>8}{'cond161':>8}"
        f"{'mean km':>9}{'med km':>8}{'words/s':>10}"
    )
    print(header)
    for path in corpora:
        result = evaluate_corpus(path)
        # the machine is shared: CPU seconds, in pairs with a start-up run
        work, wall, startup = _paired([*geomap_cmd(), "places", str(path)], tiny_cmd, args.runs)
        startups.append(startup)
        wps = result.words / max(1e-9, work)
        for label, s in (("in", result.score.as_dict()), ("cv", cv.get(path.stem))):
            if not s:
                continue
            print(
                f"{path.stem:<12}{label:>6}{s['precision']:>7.3f}{s['recall']:>7.3f}{s['f1']:>7.3f}"
                f"{s['e2e161']:>8.3f}{s['cond161']:>8.3f}{s['mean_km']:>9.0f}{s['median_km']:>8.1f}"
                f"{wps if label == 'in' else float('nan'):>10,.0f}"
            )
        print(
            f"{'':<12}words={result.words:,}; median of {args.runs} pairs: command wall "
            f"{wall:.2f}s, CPU beyond start-up {work:.2f}s"
        )
    from geomap.gazetteer import Gazetteer

    loads = []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        Gazetteer().load()
        loads.append(time.perf_counter() - t0)
    print(
        "start-up of the command (interpreter, imports, gazetteer; one-line input): "
        f"CPU {statistics.median(startups):.2f}s; "
        f"gazetteer load alone: {statistics.median(loads):.2f}s"
    )
    print(
        "in = shipped models; cv = 5-fold document-level cross-validation "
        "(scripts/train_recogniser.py); words/s = the command's CPU time on one core, "
        "start-up excluded"
    )


if __name__ == "__main__":
    main()
