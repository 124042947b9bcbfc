"""How often geomap reads an incident where annotators marked an event.

    python benchmarks/bench_detection.py [--eval-dir ../shared/eval]

event_location_dev.jsonl marks one event verb per sentence. This counts the
sentences whose verb is one of geomap's trigger words ("killed", "shelled",
"protested"...) and, of those, the share where `find_incidents`, run on the
sentence alone with the places geomap finds in it, returns at least one incident:
a recall proxy for detection, by trigger family. The corpus is not a detection
gold standard: some of its verbs are not violence ("captured the title"), so a
perfect score is neither possible nor wanted, and precision is not measured here
(the hand-written cases in tests/data/incidents hold the negatives).
"""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from geomap.evaluation.events import load_event_location_records  # noqa: E402
from geomap.gazetteer import default_gazetteer  # noqa: E402
from geomap.incidents import _triggers, find_incidents  # noqa: E402
from geomap.model import Article, Span  # noqa: E402
from geomap.places import find_places  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--eval-dir", type=Path, default=ROOT.parent / "shared" / "eval")
    args = ap.parse_args()
    gaz = default_gazetteer()
    records = load_event_location_records(args.eval_dir / "event_location_dev.jsonl")
    read: dict[str, bool] = {}  # a sentence with two marked verbs is read once
    seen, hit = Counter(), Counter()
    for rec in records:
        at_verb = [
            t
            for t in _triggers(rec.text, Span(0, len(rec.text)))
            if t.span.overlaps(rec.event_verb)
        ]
        if not at_verb:
            continue
        if rec.text not in read:
            article = Article(rec.record_id, rec.text)
            read[rec.text] = bool(find_incidents(article, find_places(article, gaz), gaz))
        family = at_verb[0].family
        seen[family] += 1
        hit[family] += read[rec.text]
    total, found = sum(seen.values()), sum(hit.values())
    print(f"{len(records)} sentences; gold verb is a geomap trigger in {total}")
    print(f"with an incident: {found} ({found / max(1, total):.3f})")
    print(f"{'family':<12}{'sentences':>10}{'incident':>10}{'share':>8}")
    for family, n in seen.most_common():
        print(f"{family:<12}{n:>10}{hit[family]:>10}{hit[family] / n:>8.3f}")


if __name__ == "__main__":
    main()
