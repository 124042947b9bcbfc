"""The seed article's places and incidents against golden GeoJSON, compared as parsed JSON.

Regenerate after an intended change with:
    GEOMAP_REGEN_GOLDEN=1 python -m pytest tests/test_golden.py
and review the diff of tests/golden/ before committing it.
"""

import json
import os
from pathlib import Path

import pytest

from geomap.cli import main

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seeds" / "000_445be07204acb7d5.txt"
GOLDEN = Path(__file__).resolve().parent / "golden"


def _run(args, capsys):
    assert main([str(a) for a in args]) == 0
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize(
    ("name", "args"),
    [
        ("seed_places.geojson", ["places", SEED, "--collection"]),
        ("seed_events.geojson", ["events", SEED, "--date", "2020-01-08", "--collection"]),
    ],
)
def test_seed_matches_golden(name, args, capsys):
    got = _run(args, capsys)
    path = GOLDEN / name
    if os.environ.get("GEOMAP_REGEN_GOLDEN"):
        path.write_text(json.dumps(got, indent=1, ensure_ascii=False) + "\n")
    assert got == json.loads(path.read_text())


def test_golden_events_say_what_the_issue_requires():
    """Read the golden file as an analyst would: the facts, not the bytes."""
    events = [
        f
        for f in json.loads((GOLDEN / "seed_events.geojson").read_text())["features"]
        if f["properties"]["kind"] == "event"
    ]
    located = [f for f in events if f["geometry"] is not None]
    strikes = [
        f["properties"]
        for f in located
        if f["properties"]["sub_event_type"] == "Shelling/artillery/missile attack"
    ]
    assert sorted(p["location"] for p in strikes) == ["Baghdad", "Erbil"]
    assert all(p["actor1"] == "Iran" and p["date"] == "2020-01-07" for p in strikes)
    drone = [f for f in events if f["properties"]["sub_event_type"] == "Air/drone strike"]
    assert drone and all(f["geometry"] is None for f in drone)
    seizure = [f["properties"] for f in located if f["properties"]["date"] == "1979-01-01"]
    assert [p["location"] for p in seizure] == ["Tehran"]
    assert len(located) == 3
