"""Throughput of `geomap ingest` on one process, two local processes and Dask.

    python benchmarks/bench_batch.py [--eval-dir ../shared/eval] [--articles 10000] [--runs 3]

Builds a corpus of about ``--articles`` articles by repeating the development corpora
(lgl.jsonl and geowebnews.jsonl); each copy gets a new id and a short closing line, so
it is a new article to the store and to the extraction caches, while its incidents
are the original's (the store merges them, as it would a syndicated wire story). Then
runs the real command into a fresh store, ``--runs`` times per engine:

    geomap ingest CORPUS --store S                              (1 process)
    geomap ingest CORPUS --store S --workers 2                  (2 local processes)
    geomap ingest CORPUS --store S --engine dask --workers 2    (Dask LocalCluster)

and prints the median wall time (start-up, gazetteer loads and cluster start
included), articles per second, the ratio to the one-process run, CPU seconds, and
the store's size on disk with its counts. The machine is shared and noisy: compare
medians, and read the ratio rather than the absolute figures.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

ENGINES = {
    "1 process": [],
    "2 local processes": ["--workers", "2"],
    "dask, 2 workers": ["--engine", "dask", "--workers", "2"],
}


def _geomap() -> list[str]:
    exe = shutil.which("geomap")
    return (
        [exe]
        if exe
        else [sys.executable, "-c", "import sys; from geomap.cli import main; sys.exit(main())"]
    )


def build_corpus(sources: list[Path], target: int, out: Path) -> int:
    """Write about ``target`` articles to ``out`` by repeating ``sources``; returns the count."""
    records = [json.loads(line) for path in sources for line in path.open() if line.strip()]
    written = 0
    with out.open("w", encoding="utf-8") as fh:
        copy = 0
        while written < target:
            for record in records:
                if written == target:
                    break
                clone = dict(record)
                clone["id"] = f"{record['id']}~{copy}"
                clone["text"] = f"{record['text']}\n\n(Copy {copy}.)"
                fh.write(json.dumps(clone, ensure_ascii=False) + "\n")
                written += 1
            copy += 1
    return written


def _store_figures(store: Path) -> tuple[float, int, int, int]:
    """Size in MB of the store (with any WAL left), and its article/incident/source counts."""
    size = sum(p.stat().st_size for p in store.parent.glob(store.name + "*"))
    with sqlite3.connect(store) as conn:
        counts = [
            conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("articles", "incidents", "sources")
        ]
    return size / 1e6, *counts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--eval-dir", type=Path, default=ROOT.parent / "shared" / "eval")
    ap.add_argument("--articles", type=int, default=10_000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    sources = [args.eval_dir / "lgl.jsonl", args.eval_dir / "geowebnews.jsonl"]

    with tempfile.TemporaryDirectory() as tmp:
        corpus = Path(tmp) / "corpus.jsonl"
        n = build_corpus(sources, args.articles, corpus)
        print(
            f"corpus: {n} articles from {', '.join(p.name for p in sources)}; "
            f"{os.cpu_count()} CPUs; {args.runs} runs per engine\n"
        )
        rows = []
        for name, flags in ENGINES.items():
            walls, cpus = [], []
            figures = None
            for run in range(args.runs):
                store = Path(tmp) / f"store-{run}.sqlite"
                before = resource.getrusage(resource.RUSAGE_CHILDREN)
                started = time.perf_counter()
                subprocess.run(
                    [*_geomap(), "ingest", str(corpus), "--store", str(store), *flags],
                    check=True,
                    stderr=subprocess.DEVNULL,
                )
                walls.append(time.perf_counter() - started)
                after = resource.getrusage(resource.RUSAGE_CHILDREN)
                # children of children (pool and Dask workers) are counted once reaped
                cpus.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
                figures = _store_figures(store)
                for path in store.parent.glob(store.name + "*"):
                    path.unlink()
            rows.append((name, walls, statistics.median(cpus), figures))

    base = statistics.median(rows[0][1])
    print(
        f"{'engine':<20}{'median s':>9}{'min s':>8}{'max s':>8}{'articles/s':>12}"
        f"{'vs 1 proc':>10}{'CPU s':>8}{'store MB':>10}{'incidents':>11}{'sources':>9}"
    )
    for name, walls, cpu, (size, articles, incidents, reports) in rows:
        median = statistics.median(walls)
        assert articles == n, f"{name} stored {articles} of {n} articles"
        print(
            f"{name:<20}{median:>9.1f}{min(walls):>8.1f}{max(walls):>8.1f}{n / median:>12.1f}"
            f"{base / median:>9.2f}x{cpu:>8.1f}{size:>10.1f}{incidents:>11}{reports:>9}"
        )


if __name__ == "__main__":
    main()
