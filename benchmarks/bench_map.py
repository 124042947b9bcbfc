"""How the offline map scales: 10,000 incidents at real places.

Incidents are made from the gold toponyms of the LGL and GeoWebNews corpora (their
coordinates, the sentence around each mention as evidence, the mention as trigger), with
event types, actors, origins and dates varied by a seeded generator. The script reports
the time to write the map, its size, and the time until headless Chromium, with the
network blocked, has drawn it.

Targets: HTML at most 10 MB; drawn within 3 s.

$ python benchmarks/bench_map.py
$ python benchmarks/bench_map.py --n 2000 --no-browser
$ python benchmarks/bench_map.py --check      # exit 1 if a target is missed
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from geomap.model import Actor, Incident, LatLon, Place, PlaceMention, PlaceType, Span
from geomap.render import EVENT_TYPES, launch_chromium, render_map

REPO = Path(__file__).resolve().parents[1]
EVAL_DIR = REPO.parent / "shared" / "eval"
CORPORA = ("lgl.jsonl", "geowebnews.jsonl")
MAX_HTML_BYTES = 10_000_000
MAX_DRAW_SECONDS = 3.0

SUB_EVENTS = {
    "Battles": ["Armed clash", "Government regains territory"],
    "Explosions/Remote violence": ["Air/drone strike", "Shelling/artillery/missile attack"],
    "Violence against civilians": ["Attack", "Abduction/forced disappearance"],
    "Protests": ["Peaceful protest", "Protest with intervention"],
    "Riots": ["Violent demonstration", "Mob violence"],
    "Strategic developments": ["Agreement", "Headquarters or base established"],
}
# Actors and where they come from (national capitals), to give arrows somewhere to start.
ORIGINS = {
    "Iran": (35.69, 51.42),
    "United States": (38.90, -77.04),
    "Russia": (55.76, 37.62),
    "Turkey": (39.93, 32.86),
    "Israel": (31.77, 35.21),
    "Saudi Arabia": (24.71, 46.68),
    "Ukraine": (50.45, 30.52),
    "Nigeria": (9.08, 7.40),
    "Mexico": (19.43, -99.13),
    "India": (28.61, 77.21),
    "China": (39.90, 116.40),
    "Colombia": (4.71, -74.07),
}


def _sentence(text: str, start: int, end: int) -> tuple[int, int]:
    """Bounds of the sentence around [start, end), at most ~300 characters."""
    left = max(text.rfind(". ", max(0, start - 200), start) + 2, start - 200, 0)
    right = text.find(". ", end, end + 200)
    right = min(len(text), end + 200) if right < 0 else right + 1
    return left, right


def toponyms(eval_dir: Path) -> Iterator[tuple[dict, dict]]:
    for name in CORPORA:
        with (eval_dir / name).open(encoding="utf-8") as fh:
            for line in fh:
                doc = json.loads(line)
                for top in doc["toponyms"]:
                    if top.get("lat") is not None and top.get("lon") is not None:
                        yield doc, top


def make_incidents(n: int, eval_dir: Path, seed: int = 20200108) -> list[Incident]:
    rng = random.Random(seed)
    pool = list(toponyms(eval_dir))
    if not pool:
        raise SystemExit(f"no toponyms with coordinates under {eval_dir}")
    origins = {
        name: Place(f"bench:{name}", name, PlaceType.COUNTRY, LatLon(*ll))
        for name, ll in ORIGINS.items()
    }
    start_day = dt.date(2018, 1, 1)
    out = []
    for k in range(n):
        doc, top = pool[k % len(pool)]
        lat, lon = top["lat"], top["lon"]
        if k >= len(pool):  # a second pass nudges points so none repeats exactly
            lat = max(-89.9, min(89.9, lat + rng.uniform(-0.05, 0.05)))
            lon = max(-179.9, min(179.9, lon + rng.uniform(-0.05, 0.05)))
        s0, s1 = _sentence(doc["text"], top["start"], top["end"])
        event_type = rng.choice(EVENT_TYPES)
        a1, a2 = rng.sample(sorted(origins), 2)
        place = Place(
            f"geonames:{top.get('geonameid')}", top["name"], PlaceType.CITY, LatLon(lat, lon)
        )
        out.append(
            Incident(
                incident_id=f"bench-{k}",
                article_id=doc["id"],
                event_type=event_type,
                sub_event_type=rng.choice(SUB_EVENTS[event_type]),
                rule="bench",
                trigger=Span(top["start"], top["end"]),
                evidence=doc["text"][s0:s1],
                evidence_span=Span(s0, s1),
                confidence=round(rng.uniform(0.3, 0.99), 2),
                actor1=Actor(a1, "State forces", 1, origin=origins[a1]),
                actor2=Actor(a2, "State forces", 1, origin=origins[a2]) if k % 3 else None,
                location=PlaceMention(
                    doc["id"], Span(top["start"], top["end"]), top["name"], place, 0.9
                ),
                geo_precision=rng.choice((1, 2, 3)),
                date=start_day + dt.timedelta(days=rng.randrange(730)) if k % 10 else None,
                time_precision="day",
                fatalities=rng.choice((None, 0, 1, 2, 5, 12)),
                source_title=doc.get("title") or doc["id"],
                source_url=doc.get("url"),
            )
        )
    return out


def draw_seconds(html: Path, runs: int) -> tuple[list[float], list[str]]:
    """Seconds from navigation start until the map reports it has drawn, per run."""
    from playwright.sync_api import sync_playwright

    times, problems = [], []
    with sync_playwright() as pw:
        browser = launch_chromium(pw)
        try:
            for _ in range(runs):
                page = browser.new_page(viewport={"width": 1280, "height": 800})
                page.on("pageerror", lambda e: problems.append(str(e)))
                page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
                page.route(
                    "**/*",
                    lambda r: (
                        r.continue_()
                        if r.request.url.startswith(("file:", "data:", "about:", "blob:"))
                        else (problems.append(f"blocked {r.request.url}"), r.abort())
                    ),
                )
                page.goto(html.resolve().as_uri(), timeout=120_000)
                page.wait_for_function("window.geomap && window.geomap.ready", timeout=120_000)
                # performance.now() counts from navigation start.
                times.append(page.evaluate("window.geomap.readyAt") / 1000)
                page.close()
        finally:
            browser.close()
    return times, problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=10_000, help="number of incidents")
    parser.add_argument("--eval-dir", type=Path, default=EVAL_DIR, help="folder of the corpora")
    parser.add_argument("--out", type=Path, help="keep the map here (default: a temp file)")
    parser.add_argument("--runs", type=int, default=3, help="browser loads to time")
    parser.add_argument("--no-browser", action="store_true", help="skip the Chromium timing")
    parser.add_argument("--check", action="store_true", help="exit 1 if a target is missed")
    args = parser.parse_args(argv)

    incidents = make_incidents(args.n, args.eval_dir)
    places = {(i.point.lat, i.point.lon) for i in incidents if i.point}
    with tempfile.TemporaryDirectory() as folder:
        out = args.out or Path(folder) / "bench_map.html"
        t0 = time.perf_counter()
        render_map(incidents, out, overwrite=True)
        cold = time.perf_counter() - t0
        t0 = time.perf_counter()
        render_map(incidents, out, overwrite=True)
        warm = time.perf_counter() - t0
        size = out.stat().st_size
        drawn, problems = ([], []) if args.no_browser else draw_seconds(out, args.runs)

    print(f"incidents              {len(incidents)} at {len(places)} distinct points")
    print(f"render_map, cold       {cold:.2f} s (includes loading the basemap)")
    print(f"render_map, warm       {warm:.2f} s")
    print(f"HTML size              {size / 1e6:.2f} MB (target <= {MAX_HTML_BYTES / 1e6:.0f} MB)")
    missed = size > MAX_HTML_BYTES
    if drawn:
        median = statistics.median(drawn)
        runs = ", ".join(f"{t:.2f}" for t in drawn)
        print(
            f"drawn in Chromium      {median:.2f} s median of [{runs}] "
            f"(target <= {MAX_DRAW_SECONDS:.0f} s)"
        )
        missed |= median > MAX_DRAW_SECONDS
    for problem in problems:
        print(f"browser problem        {problem}")
    missed |= bool(problems)
    return 1 if args.check and missed else 0


if __name__ == "__main__":
    sys.exit(main())
