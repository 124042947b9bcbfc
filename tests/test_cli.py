"""The command line: outputs, exit codes and one-line messages for bad input."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from geomap.cli import main

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seeds" / "000_445be07204acb7d5.txt"


def run(args, capsys, stdin=None, monkeypatch=None):
    if stdin is not None:
        import io

        monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(stdin)))
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def features(out):
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def test_places_writes_a_text_sequence_of_place_features(capsys):
    code, out, err = run(["places", SEED], capsys)
    assert code == 0
    feats = features(out)
    assert feats and all(f["properties"]["kind"] == "place" for f in feats)
    for f in feats:
        p = f["properties"]
        assert {
            "article_id",
            "start",
            "end",
            "name",
            "place_id",
            "place_type",
            "country_code",
            "score",
        } <= set(p)
    assert err == ""  # stdout is data; nothing else was said


def test_collection_and_rs(capsys):
    code, out, _ = run(["places", SEED, "--collection"], capsys)
    assert code == 0 and json.loads(out)["type"] == "FeatureCollection"
    code, out, _ = run(["places", SEED, "--rs"], capsys)
    assert code == 0 and out.startswith("\x1e")


def test_stdin(capsys, monkeypatch):
    code, out, _ = run(
        ["places", "-"], capsys, stdin=b"Shelling hit Erbil, Iraq.", monkeypatch=monkeypatch
    )
    assert code == 0
    assert [f["properties"]["text"] for f in features(out)] == ["Erbil", "Iraq"]


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda d: d / "missing.txt", "does not exist"),
        (lambda d: d, "is a directory"),
        (lambda d: (d / "empty.txt").write_text("  \n") and d / "empty.txt", "has no text"),
        (lambda d: (d / "bin.txt").write_bytes(b"abc\x00def") and d / "bin.txt", "NUL byte"),
        (
            lambda d: (d / "latin.txt").write_bytes(b"Caf\xe9 in Erbil") and d / "latin.txt",
            "not valid UTF-8",
        ),
        (
            lambda d: (
                (d / "bad.jsonl").write_text('{"id": "a", "text": "Erbil"}\n{oops\n')
                and d / "bad.jsonl"
            ),
            "line 2",
        ),
    ],
    ids=["missing", "directory", "empty", "binary", "non-utf8", "bad-json-line"],
)
def test_bad_input_is_one_line_and_exit_1(tmp_path, capsys, make, message):
    path = make(tmp_path)
    code, _, err = run(["places", path], capsys)
    assert code == 1
    assert message in err
    assert err.count("\n") == 1 and err.startswith("geomap: error: ")
    assert "Traceback" not in err


def test_usage_errors_exit_2(capsys):
    code, _, err = run(["places"], capsys)
    assert code == 2
    code, _, err = run(["events", SEED, "--date", "yesterday"], capsys)
    assert code == 2 and "YYYY-MM-DD" in err


def test_output_is_never_overwritten_without_the_flag(tmp_path, capsys):
    out_path = tmp_path / "p.geojson"
    out_path.write_text("keep me")
    code, _, err = run(["places", SEED, "-o", out_path], capsys)
    assert code == 1 and "--overwrite" in err
    assert out_path.read_text() == "keep me"
    code, _, _ = run(["places", SEED, "-o", out_path, "--overwrite"], capsys)
    assert code == 0 and features(out_path.read_text())


def test_a_failure_leaves_no_half_written_output(tmp_path, capsys):
    good = tmp_path / "good.txt"
    good.write_text("Fighting in Erbil.")
    bad = tmp_path / "bad.txt"
    bad.write_bytes(b"\xff\xfe")
    out_path = tmp_path / "out.geojson"
    code, _, _ = run(["places", good, bad, "-o", out_path], capsys)
    assert code == 1
    assert list(tmp_path.iterdir()) == sorted([good, bad]) or not out_path.exists()
    assert not any(p.name.endswith(".tmp") for p in tmp_path.iterdir())


def test_installed_entry_point_runs_without_traceback(tmp_path):
    proc = subprocess.run(
        [sys.executable, "-m", "geomap.cli", "places", tmp_path / "nope.txt"],
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 1
    assert proc.stderr.strip().startswith("geomap: error:") and "Traceback" not in proc.stderr


def test_map_renders_from_geojson_that_events_wrote(tmp_path, capsys, monkeypatch):
    code, out, _ = run(["events", SEED, "--date", "2020-01-08"], capsys)
    assert code == 0
    html = tmp_path / "from_stdin.html"
    code, _, err = run(
        ["map", "-", "-o", html], capsys, stdin=out.encode(), monkeypatch=monkeypatch
    )
    assert code == 0, err
    assert "3 located incident(s)" in err
    geojson = tmp_path / "events.geojson"
    geojson.write_text(out)
    code, _, err = run(["map", geojson, "-o", tmp_path / "from_file.html"], capsys)
    assert code == 0 and "3 located incident(s)" in err


def test_map_article_flag_stores_once_and_maps_everything(tmp_path, capsys):
    store = tmp_path / "incidents.sqlite"
    html = tmp_path / "all.html"
    new = tmp_path / "new.txt"
    new.write_text("Drone strike hits Erbil airport\n\nA drone struck Erbil airport on Tuesday.\n")
    args = ["map", "--article", SEED, "--date", "2020-01-08", "--store", store, "-o", html]
    code, _, err = run(args, capsys)
    assert code == 0 and "stored 5 incident(s)" in err
    args = ["map", "--article", new, "--date", "2021-02-17", "--store", store, "-o", html]
    code, _, err = run([*args, "--overwrite"], capsys)
    assert code == 0 and "4 located incident(s)" in err
    code, _, err = run([*args, "--overwrite"], capsys)
    assert code == 0 and "nothing stored" in err and "4 located incident(s)" in err
    from geomap.store import IncidentStore

    with IncidentStore(store).open() as db:
        before = len(db.articles())
    other = tmp_path / "other.txt"
    other.write_text("Shelling hit Kharkiv on Monday.")
    code, _, err = run(["map", "--article", other, "--store", store, "-o", html], capsys)
    assert code == 1 and "--overwrite" in err  # the map exists: refused
    with IncidentStore(store).open() as db:
        assert len(db.articles()) == before  # and nothing was stored
