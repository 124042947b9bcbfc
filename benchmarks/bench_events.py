"""Throughput of `geomap events` against `geomap places` on the same corpora.

    python benchmarks/bench_events.py [--eval-dir ../shared/eval] [--runs 5] [--keep DIR]

Issue #4 asks that incident extraction not slow `geomap events` below half the speed
of `geomap places`. Each command runs on one core (taskset) over each corpus, writing
to /dev/null; its work is CPU seconds on the corpus minus CPU seconds on a one-line
input run just before (start-up: interpreter, imports, gazetteer load), as in
bench_places.py. A round runs places then events, so the ratio events/places is taken
within a round, where a shared machine's speed drifts least; the figures printed are
medians over rounds.

Corpora: geowebnews and lgl (general news), and the conflict news of
event_location_dev.jsonl: its sentences regrouped into their source documents (the
benchmark's own document ids), each document's distinct sentences in corpus order
joined into one article.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from _run import geomap_cmd, run_cpu  # noqa: E402

from geomap.evaluation.events import load_event_location_records  # noqa: E402


def _work(command: str, corpus: Path, tiny: Path) -> float:
    """CPU seconds of ``geomap COMMAND corpus`` beyond a one-line run just before it."""
    start = run_cpu([*geomap_cmd(), command, str(tiny)])[1]
    return run_cpu([*geomap_cmd(), command, str(corpus)])[1] - start


def conflict_corpus(source: Path, out: Path) -> None:
    """Write the event-location sentences as one JSONL article per source document."""
    docs: dict[str, list[str]] = {}
    for rec in load_event_location_records(source):
        sentences = docs.setdefault(rec.doc_id, [])
        # a sentence with two event verbs is two records; an article holds it once
        if rec.text not in sentences:
            sentences.append(rec.text)
    with out.open("w", encoding="utf-8") as fh:
        for n, sentences in enumerate(docs.values()):
            fh.write(json.dumps({"id": f"doc{n}", "text": " ".join(sentences)}) + "\n")


def _words(corpus: Path) -> int:
    with corpus.open(encoding="utf-8") as fh:
        return sum(len(json.loads(line)["text"].split()) for line in fh if line.strip())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--eval-dir", type=Path, default=ROOT.parent / "shared" / "eval")
    ap.add_argument("--runs", type=int, default=5, help="rounds (places + events) per corpus")
    ap.add_argument("--keep", type=Path, help="also write the conflict corpus here")
    args = ap.parse_args()

    tmp = tempfile.TemporaryDirectory()
    tiny = Path(tmp.name) / "tiny.jsonl"
    tiny.write_text(json.dumps({"id": "t", "text": "Shelling hit Erbil."}) + "\n")
    conflict = args.keep or Path(tmp.name) / "event_location_docs.jsonl"
    conflict_corpus(args.eval_dir / "event_location_dev.jsonl", conflict)
    corpora = {
        "geowebnews": args.eval_dir / "geowebnews.jsonl",
        "lgl": args.eval_dir / "lgl.jsonl",
        "event_loc": conflict,
    }

    print(
        f"{'corpus':<12}{'words':>9}{'places w/s':>12}{'events w/s':>12}"
        f"{'ratio':>8}{'min':>7}{'max':>7}"
    )
    for name, path in corpora.items():
        words = _words(path)
        places, events, ratios = [], [], []
        for _ in range(args.runs):
            p = _work("places", path, tiny)
            e = _work("events", path, tiny)
            places.append(p)
            events.append(e)
            ratios.append(p / e)  # events speed / places speed = places time / events time
        print(
            f"{name:<12}{words:>9,}{words / statistics.median(places):>12,.0f}"
            f"{words / statistics.median(events):>12,.0f}{statistics.median(ratios):>8.3f}"
            f"{min(ratios):>7.3f}{max(ratios):>7.3f}"
        )
    print(
        f"words/s = words / median CPU seconds beyond start-up, one core, {args.runs} rounds; "
        "ratio = median over rounds of events/places speed in the same round"
    )


if __name__ == "__main__":
    main()
