"""Rebuild ``store_v1.sql``: a schema-version-1 store written by the version-1 code.

The version-1 ``geomap/store.py`` is taken from git (commit f0bfd21, before
deduplication), so the fixture is what that release really wrote. Run from the
repository root:

    python tests/data/dedup/make_store_v1.py
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import importlib.util
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
V1_COMMIT = "f0bfd21"


def main() -> None:
    from geomap.model import Actor, Article, Incident, LatLon, Place, PlaceMention, PlaceType, Span

    source = subprocess.run(
        ["git", "show", f"{V1_COMMIT}:geomap/store.py"],
        check=True,
        capture_output=True,
        text=True,
        cwd=HERE,
    ).stdout
    with tempfile.TemporaryDirectory() as tmp:
        module_path = Path(tmp) / "store_v1.py"
        module_path.write_text(source)
        spec = importlib.util.spec_from_file_location("store_v1", module_path)
        assert spec is not None and spec.loader is not None
        v1 = importlib.util.module_from_spec(spec)
        sys.modules["store_v1"] = v1
        spec.loader.exec_module(v1)

        baghdad = Place(
            "geonames:98182", "Baghdad", PlaceType.CITY, LatLon(33.34058, 44.40088), "IQ", "IQ.07"
        )
        erbil = Place(
            "geonames:95446", "Erbil", PlaceType.CITY, LatLon(36.19257, 44.01062), "IQ", "IQ.11"
        )

        def incident(article: str, n: int, place: Place | None, text: str) -> Incident:
            at = text.index(place.name) if place else 0
            return Incident(
                incident_id=f"v1-{article}-{n}",
                article_id=article,
                event_type="Explosions/Remote violence",
                sub_event_type="Shelling/artillery/missile attack",
                rule="weapon:shelling",
                trigger=Span(0, 7),
                evidence=text,
                evidence_span=Span(0, len(text)),
                confidence=0.75,
                actor1=Actor("Iran", "State forces", 1) if place is erbil else None,
                location=(
                    PlaceMention(article, Span(at, at + len(place.name)), place.name, place, 0.9)
                    if place
                    else None
                ),
                geo_precision=1 if place else None,
                date=dt.date(2020, 1, 8) if place else None,
                time_precision="day" if place else None,
                fatalities=0 if place is erbil else None,
            )

        erbil_text = "Iranian missiles struck a base in Erbil."
        baghdad_1 = "Rockets hit the Green Zone in Baghdad."
        baghdad_2 = "Two rockets landed in Baghdad's Green Zone."
        shared = incident("erbil-1", 1, erbil, erbil_text)
        path = Path(tmp) / "v1.sqlite"
        with v1.IncidentStore(path) as store:
            store.add_article(Article("erbil-1", erbil_text, date=dt.date(2020, 1, 8)), [shared])
            # version 1 merged only incidents with the same id: the second source
            second = "Missiles from Iran hit Erbil."
            store.add_article(
                Article("erbil-2", second + " No one died.", url="https://example.org/e2"),
                [
                    dataclasses.replace(
                        shared,
                        article_id="erbil-2",
                        evidence=second,
                        evidence_span=Span(0, len(second)),
                    )
                ],
            )
            for article, text in (("baghdad-1", baghdad_1), ("baghdad-2", baghdad_2)):
                store.add_article(Article(article, text), [incident(article, 1, baghdad, text)])
            store.add_article(
                Article("nowhere-1", "Shelling was reported."),
                [incident("nowhere-1", 1, None, "Shelling was reported.")],
            )
        with sqlite3.connect(path) as conn:
            pragmas = [
                f"PRAGMA {name} = {conn.execute(f'PRAGMA {name}').fetchone()[0]};"
                for name in ("application_id", "user_version")
            ]
            dump = "\n".join(conn.iterdump())
    header = (
        "-- A schema-version-1 geomap store, written by the version-1 store.py "
        f"(git {V1_COMMIT}).\n-- Rebuild with: python tests/data/dedup/make_store_v1.py\n"
    )
    (HERE / "store_v1.sql").write_text(header + "\n".join(pragmas) + "\n" + dump + "\n")


if __name__ == "__main__":
    main()
