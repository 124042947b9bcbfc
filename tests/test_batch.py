"""Tests for geomap.batch and the ingest/export commands: inputs, skips, engines
(one process, a process pool, Dask on a LocalCluster) and exports."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import logging
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest

from geomap import batch
from geomap.batch import (
    SchedulerUnavailable,
    Skipped,
    article_paths,
    extract,
    extract_all,
    ingest,
    read_all,
)
from geomap.cli import main
from geomap.errors import EmptyArticle, GeomapError
from geomap.model import Article
from geomap.store import ACLED_COLUMNS, IncidentStore

DATA = Path(__file__).resolve().parent / "data"
PAIRS = DATA / "dedup"
SEED = DATA.parent.parent / "seeds" / "000_445be07204acb7d5.txt"


@pytest.fixture
def corpus(tmp_path: Path) -> Path:
    """A folder like an analyst's: nested folders, .txt, .html and .jsonl, and junk."""
    root = tmp_path / "news"
    (root / "iraq" / "2020").mkdir(parents=True)
    (root / ".cache").mkdir()
    for pair in sorted(PAIRS.glob("*.jsonl")):
        shutil.copy(pair, root / "iraq" / "2020" / pair.name)
    shutil.copy(DATA / "articles" / "erbil.html", root / "iraq" / "erbil-page.html")
    shutil.copy(DATA / "articles" / "batch.jsonl", root / "batch.jsonl")
    shutil.copy(SEED, root / "seed.txt")
    (root / "notes.md").write_text("not an article suffix, so not read from a folder")
    (root / ".cache" / "old.txt").write_text("hidden folders are skipped")
    (root / ".seed.txt.tmp").write_text("a temp file")
    return root


def _store(tmp_path: Path, name: str = "s.sqlite") -> IncidentStore:
    return IncidentStore(tmp_path / name)


def _contents(path: Path) -> tuple[list, list]:
    with IncidentStore(path) as store:
        return (
            store.incidents(),
            [(s.incident_id, s.article_id, s.report) for s in store.sources()],
        )


# --- inputs ------------------------------------------------------------------------


def test_folders_are_searched_recursively_for_article_files(corpus: Path) -> None:
    found = list(article_paths([str(corpus)]))
    names = [Path(p).relative_to(corpus).as_posix() for p in found if isinstance(p, str)]
    assert names == sorted(names)
    assert "seed.txt" in names and "iraq/erbil-page.html" in names and "batch.jsonl" in names
    assert "iraq/2020/merge_erbil_drone.jsonl" in names
    assert not any(n.endswith(".md") or "/." in f"/{n}" for n in names)  # no junk, no hidden


def test_globs_missing_paths_and_repeats(corpus: Path) -> None:
    found = list(
        article_paths(
            [
                str(corpus / "iraq" / "**" / "merge_*.jsonl"),
                str(corpus / "seed.txt"),
                str(corpus / "seed.txt"),  # named twice: read once
                str(corpus / "nothing-*.txt"),
                str(corpus / "missing.txt"),
                "-",
            ]
        )
    )
    files = [Path(p).name for p in found if isinstance(p, str)]
    assert files[:-1] == [
        "merge_basra_protest_undated.jsonl",
        "merge_erbil_drone.jsonl",
        "merge_sadr_city_bombing.jsonl",
        "merge_tikrit_checkpoint.jsonl",
        "seed.txt",
    ]
    assert found[-1] == "-"
    skipped = [p for p in found if isinstance(p, Skipped)]
    assert [s.kind for s in skipped] == ["NoArticles", "ArticleNotFound"]
    assert "matches no file" in skipped[0].reason and "does not exist" in skipped[1].reason


def test_an_empty_folder_is_reported(tmp_path: Path) -> None:
    (skipped,) = list(article_paths([str(tmp_path)]))
    assert isinstance(skipped, Skipped) and "holds no" in skipped.reason


def test_bad_lines_and_files_are_skipped_with_reasons(tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_text("   \n")
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01\x02")
    skipped: list[Skipped] = []
    articles = list(
        read_all(
            [str(DATA / "articles" / "bad.jsonl"), str(tmp_path)],
            on_skip=skipped.append,
        )
    )
    assert [a.article_id for a in articles] == ["good-1", "good-2"]
    assert sorted(s.kind for s in skipped) == ["EmptyArticle"] + ["InputFormatError"] * 3
    assert all("\n" not in s.reason for s in skipped)
    assert any("line 2" in s.reason for s in skipped)


def test_an_id_read_twice_with_another_text_is_skipped(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "report.txt").write_text("Rockets hit Baghdad on Monday.")
    (tmp_path / "b" / "report.txt").write_text("A drone struck Erbil on Tuesday.")
    (tmp_path / "copy.jsonl").write_text(
        json.dumps({"id": "report", "text": "Rockets hit Baghdad on Monday."}) + "\n"
    )
    skipped: list[Skipped] = []
    articles = list(read_all([str(tmp_path)], on_skip=skipped.append))
    # a/report.txt first; b/report.txt clashes; copy.jsonl repeats a's text, which is fine
    assert [a.text for a in articles] == ["Rockets hit Baghdad on Monday."] * 2
    (clash,) = skipped
    assert clash.kind == "DuplicateId" and "b/report.txt" in clash.source


def test_date_overrides_the_inputs_dates(tmp_path: Path) -> None:
    articles = list(read_all([str(PAIRS / "merge_erbil_drone.jsonl")], date=dt.date(2021, 5, 5)))
    assert {a.date for a in articles} == {dt.date(2021, 5, 5)}


# --- one process -------------------------------------------------------------------


def test_ingest_stores_every_article_once(corpus: Path, tmp_path: Path) -> None:
    skipped: list[Skipped] = []
    with _store(tmp_path) as store:
        first = ingest([str(corpus)], store, on_skip=skipped.append)
        counts = store.counts()
        again = ingest([str(corpus)], store)
        assert store.counts() == counts
    assert first.read == 18 + 1 + 2 + 1  # pairs, the page, batch.jsonl, the seed
    assert (first.added, first.updated, first.unchanged, first.skipped) == (22, 0, 0, [])
    assert first.new + first.merged == first.reports > 0
    assert first.merged >= 4  # the four merge pairs at least
    assert counts.incidents == first.new and counts.sources == first.reports
    assert (again.added, again.unchanged, again.reports) == (0, 22, 0)
    assert again.lines()[0].startswith("read 22 article(s)")


def test_an_updated_article_counts_as_updated(tmp_path: Path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("Rockets hit Baghdad on Monday.")
    with _store(tmp_path) as store:
        ingest([str(path)], store)
        path.write_text("Rockets hit Basra on Monday.")
        summary = ingest([str(path)], store)
    assert (summary.added, summary.updated) == (0, 1)


def test_extraction_errors_skip_the_article_not_the_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = batch.extract

    def flaky(article: Article):
        if article.article_id == "sadr-bombing-wire":
            raise EmptyArticle("sadr-bombing-wire has nothing left after cleaning")
        return real(article)

    monkeypatch.setattr(batch, "extract", flaky)
    skipped: list[Skipped] = []
    with _store(tmp_path) as store:
        summary = ingest([str(PAIRS)], store, on_skip=skipped.append)
        stored = [a.article_id for a in store.articles()]
    assert summary.read == 18 and summary.added == 17
    (skip,) = skipped
    assert skip.kind == "EmptyArticle"
    assert skip.source.endswith("merge_sadr_city_bombing.jsonl: sadr-bombing-wire")
    assert skip.message == f"{skip.source}: sadr-bombing-wire has nothing left after cleaning"
    assert "sadr-bombing-wire" not in stored and len(stored) == 17
    assert "1 EmptyArticle" in summary.lines()[-1]


def test_a_bug_stops_the_batch_and_keeps_what_was_stored(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = batch.extract

    def buggy(article: Article):
        if article.article_id == "tikrit-checkpoint-1":
            raise KeyError("a bug")
        return real(article)

    monkeypatch.setattr(batch, "extract", buggy)
    with _store(tmp_path) as store, pytest.raises(KeyError):
        ingest([str(PAIRS / "merge_sadr_city_bombing.jsonl"), str(PAIRS)], store, chunk_size=1)
    with _store(tmp_path) as store:  # rerunning resumes: stored articles are unchanged
        assert [a.article_id for a in store.articles()][:2] == [
            "sadr-bombing-wire",
            "sadr-bombing-broadcaster",
        ]
        monkeypatch.setattr(batch, "extract", real)
        summary = ingest([str(PAIRS)], store)
    assert summary.unchanged >= 2 and summary.added + summary.unchanged == 18


def test_extract_all_refuses_bad_settings() -> None:
    with pytest.raises(ValueError, match="engine"):
        extract_all([], engine="spark")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="scheduler"):
        extract_all([], scheduler="tcp://127.0.0.1:8786")
    with pytest.raises(ValueError, match="workers"):
        extract_all([], workers=0)
    with pytest.raises(ValueError, match="chunk_size"):
        extract_all([], chunk_size=0)


# --- engines -----------------------------------------------------------------------


def _articles() -> list[Article]:
    """The test articles: the pairs, the batch file and the seed."""
    return list(read_all([str(PAIRS), str(DATA / "articles" / "batch.jsonl"), str(SEED)]))


@pytest.fixture(scope="module")
def single() -> list[tuple[str, list]]:
    """The single-process results, article by article: what every engine must give."""
    return [(a.article_id, extract(a)) for a in _articles()]


def _results(pairs: Iterator[tuple[Article, object]]) -> list[tuple[str, object]]:
    return [(article.article_id, outcome) for article, outcome in pairs]


def test_single_process_results_are_the_pipeline_s(single: list) -> None:
    assert len(single) == 21 and sum(len(found) for _, found in single) >= 21
    assert _results(extract_all(_articles(), chunk_size=5)) == single


def test_a_process_pool_gives_the_same_results(single: list) -> None:
    assert _results(extract_all(_articles(), workers=2, chunk_size=3)) == single


@pytest.fixture(scope="module")
def cluster() -> Iterator[object]:
    """A Dask LocalCluster of two worker processes, as on a small machine."""
    distributed = pytest.importorskip("distributed")
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            dashboard_address=None,
            scheduler_kwargs={"dashboard_address": ":0"},
            silence_logs=logging.ERROR,
        ) as local,
        distributed.Client(local) as client,
    ):
        yield client


def test_dask_gives_the_same_results_article_by_article(cluster, single: list) -> None:
    address = cluster.scheduler.address
    results = _results(extract_all(_articles(), engine="dask", scheduler=address, chunk_size=2))
    assert [article_id for article_id, _ in results] == [article_id for article_id, _ in single]
    for (article_id, found), (_, expected) in zip(results, single, strict=True):
        assert found == expected, article_id


def test_dask_workers_load_the_gazetteer_once_each(cluster) -> None:
    address = cluster.scheduler.address
    list(extract_all(_articles(), engine="dask", scheduler=address, chunk_size=1))
    before = cluster.run(batch.worker_state)
    list(extract_all(_articles(), engine="dask", scheduler=address, chunk_size=1))
    after = cluster.run(batch.worker_state)
    assert len(before) == 2
    assert before == after  # same processes, same gazetteer object: nothing reloaded
    assert len({pid for pid, _ in before.values()}) == 2  # two processes, one each


def test_every_engine_builds_the_same_store(cluster, corpus: Path, tmp_path: Path) -> None:
    address = cluster.scheduler.address
    runs = {
        "local": {},
        "pool": {"workers": 2},
        "dask": {"engine": "dask", "scheduler": address},
    }
    stores = {}
    for name, options in runs.items():
        with _store(tmp_path, f"{name}.sqlite") as store:
            summary = ingest([str(corpus)], store, chunk_size=4, **options)
        assert (summary.read, summary.added, summary.skipped) == (22, 22, []), name
        stores[name] = _contents(tmp_path / f"{name}.sqlite")
    assert stores["pool"] == stores["local"]
    assert stores["dask"] == stores["local"]


def test_dask_starts_its_own_local_cluster(tmp_path: Path) -> None:
    pytest.importorskip("distributed")
    with _store(tmp_path) as store:
        summary = ingest([str(PAIRS / "merge_erbil_drone.jsonl")], store, engine="dask", workers=2)
        assert (summary.added, summary.merged) == (2, 1)
        assert len(store.incidents()) == 1


def test_an_unreachable_scheduler_is_one_error(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("distributed")
    monkeypatch.setattr(batch, "_CONNECT_TIMEOUT", "1s")
    articles = _articles()[:1]
    with pytest.raises(SchedulerUnavailable, match="cannot reach the Dask scheduler") as err:
        list(extract_all(articles, engine="dask", scheduler="tcp://127.0.0.1:9"))
    assert isinstance(err.value, GeomapError) and isinstance(err.value, ConnectionError)
    assert "\n" not in str(err.value)
    with pytest.raises(SchedulerUnavailable):
        list(extract_all(articles, engine="dask", scheduler="no-port-here"))


# --- the commands ------------------------------------------------------------------


def run(args: list, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_ingest_command_reports_on_stderr_only(corpus: Path, tmp_path: Path, capsys) -> None:
    (corpus / "broken.jsonl").write_text('{"id": "x", "text": \n')
    db = tmp_path / "stores" / "s.sqlite"  # its folder is created
    code, out, err = run(["ingest", corpus, "--store", db], capsys)
    assert code == 0 and out == ""
    lines = err.splitlines()
    assert lines[0].startswith("geomap: skipped ") and "broken.jsonl line 1" in lines[0]
    assert lines[1].startswith("read 22 article(s)") and "1 skipped" in lines[1]
    assert lines[2].startswith("incidents: ") and "merged" in lines[2]
    assert lines[3] == "skipped: 1 InputFormatError"
    assert lines[4].startswith(f"{db} holds ")
    code, _, err = run(["ingest", corpus, "--store", db, "--workers", "2"], capsys)
    assert code == 0 and "0 added, 0 updated, 22 unchanged" in err


def test_ingest_dedup_flags(tmp_path: Path, capsys) -> None:
    pair = PAIRS / "separate_baghdad_rockets_days_apart.jsonl"
    for name, flags, incidents in [
        ("default", [], 2),
        ("days", ["--dedup-days", "3"], 1),
        ("none", ["--dedup-days", "3", "--no-dedup"], 2),
    ]:
        db = tmp_path / f"{name}.sqlite"
        assert run(["ingest", pair, "--store", db, *flags], capsys)[0] == 0
        with IncidentStore(db) as store:
            assert len(store.incidents()) == incidents, name
    sadr = PAIRS / "merge_sadr_city_bombing.jsonl"
    for name, flags, incidents in [
        ("km", ["--dedup-km", "5"], 2),
        ("p", ["--dedup-precision", "1"], 1),
    ]:
        db = tmp_path / f"{name}.sqlite"
        assert run(["ingest", sadr, "--store", db, *flags], capsys)[0] == 0
        with IncidentStore(db) as store:
            assert len(store.incidents()) == incidents, name


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--scheduler", "tcp://127.0.0.1:8786"], "--scheduler needs --engine dask"),
        (["--engine", "dask", "--scheduler", "tcp://h:1", "--workers", "2"], "--workers"),
        (["--workers", "0"], "--workers"),
        (["--engine", "spark"], "--engine"),
        (["--dedup-km", "-1"], "--dedup-km"),
        (["--dedup-precision", "4"], "--dedup-precision"),
        (["--date", "yesterday"], "not a date"),
    ],
)
def test_ingest_usage_errors_exit_2(args: list, message: str, tmp_path: Path, capsys) -> None:
    code, out, err = run(["ingest", PAIRS, "--store", tmp_path / "s.sqlite", *args], capsys)
    assert code == 2 and out == "" and message in err
    assert not (tmp_path / "s.sqlite").exists()


def test_ingest_with_nothing_readable_fails(tmp_path: Path, capsys) -> None:
    code, out, err = run(["ingest", tmp_path / "nothing.txt", "--store", tmp_path / "s"], capsys)
    assert code == 1 and out == ""
    assert err.splitlines()[-1].startswith("geomap: error: no article could be read")


@pytest.fixture
def stored(tmp_path: Path) -> Path:
    db = tmp_path / "export.sqlite"
    with IncidentStore(db) as store:
        ingest([str(PAIRS)], store)
    return db


def _events(features: list[dict]) -> list[dict]:
    return [f for f in features if f["properties"]["kind"] == "event"]


def test_export_geojsonseq_to_stdout_by_default(stored: Path, capsys) -> None:
    code, out, err = run(["export", "--store", stored], capsys)
    assert code == 0 and err.startswith("exported ")
    features = [json.loads(line) for line in out.splitlines()]
    with IncidentStore(stored) as store:
        records = store.query()
    events = _events(features)
    assert [e["properties"]["incident_id"] for e in events] == [
        r.incident.incident_id for r in records
    ]
    sadr = next(e for e in events if "sadr-bombing-wire" in e["properties"]["article_ids"])
    assert sadr["properties"]["source_count"] == 2
    assert sadr["properties"]["article_ids"] == ["sadr-bombing-wire", "sadr-bombing-broadcaster"]
    assert sadr["properties"]["fatalities"] == 30
    lon, lat = sadr["geometry"]["coordinates"]
    assert 44 < lon < 45 and 33 < lat < 34  # GeoJSON order: [lon, lat]


def test_export_reads_back_into_map(stored: Path, tmp_path: Path, capsys) -> None:
    out_path = tmp_path / "all.geojson"
    assert run(["export", "--store", stored, "-o", out_path], capsys)[0] == 0
    collection = json.loads(out_path.read_text())
    assert collection["type"] == "FeatureCollection"
    from geomap.geojson import incidents_from_features

    with IncidentStore(stored) as store:
        assert len(incidents_from_features(collection["features"])) == len(store.incidents())


def test_export_csv_has_acled_columns(stored: Path, tmp_path: Path, capsys) -> None:
    out_path = tmp_path / "incidents.csv"
    code, out, _ = run(["export", "--store", stored, "-o", out_path], capsys)
    assert code == 0 and out == ""
    rows = list(csv.DictReader(io.StringIO(out_path.read_text())))
    assert list(rows[0]) == list(ACLED_COLUMNS)
    sadr = next(r for r in rows if "sadr-bombing-wire" in r["article_ids"])
    assert sadr["event_date"] == "2021-07-19" and sadr["country"] == "Iraq"
    assert sadr["source_count"] == "2" and sadr["fatalities"] == "30"
    assert sadr["source"] == "wire.example.com; broadcaster.example.net"
    assert sadr["event_id_cnty"].startswith("IQ-")
    # to stdout too, as text
    code, out, _ = run(["export", "--store", stored, "--format", "csv"], capsys)
    assert code == 0 and out == out_path.read_text()


def test_export_parquet(stored: Path, tmp_path: Path, capsys) -> None:
    pytest.importorskip("pyarrow")
    out_path = tmp_path / "incidents.parquet"
    assert run(["export", "--store", stored, "-o", out_path], capsys)[0] == 0
    frame = pd.read_parquet(out_path)
    assert list(frame.columns) == list(ACLED_COLUMNS)
    assert str(frame["fatalities"].dtype) == "Int64"
    erbil = frame[frame["article_ids"] == "erbil-drone-wire; erbil-drone-agency"].iloc[0]
    assert erbil["event_date"] == dt.date(2020, 9, 30) and erbil["source_count"] == 2
    assert oct(out_path.stat().st_mode & 0o777) == "0o644"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no temp left


def test_export_filters(stored: Path, capsys) -> None:
    def exported(*args: str) -> list[dict]:
        code, out, _ = run(["export", "--store", stored, *args], capsys)
        assert code == 0
        return _events([json.loads(line) for line in out.splitlines()])

    everything = exported()
    assert {e["properties"]["event_type"] for e in exported("--type", "Protests")} == {"Protests"}
    two_types = exported("--type", "Protests", "--type", "Battles")
    assert {e["properties"]["event_type"] for e in two_types} == {"Protests", "Battles"}
    assert [e["properties"]["actor1"] for e in exported("--actor", "turkey")] == ["Turkey"]
    january = exported("--since", "2020-01-01", "--until", "2020-01-31")
    assert january and all(e["properties"]["date"].startswith("2020-01") for e in january)
    basra = exported("--bbox", "47,30,48.5,31")
    assert basra and all(e["properties"]["location_text"] == "Basra" for e in basra)
    assert len(exported("--bbox", "-180,-90,180,90")) == len(everything)  # all are located
    assert exported("--since", "2030-01-01") == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "parquet"], "give -o FILE"),
        (["--format", "csv", "--rs"], "--rs is for"),
        (["--bbox", "1,2,3"], "'--bbox'"),
        (["--bbox", "a,b,c,d"], "'--bbox'"),
        (["--bbox", "40,35,45,30"], "MINLAT is above MAXLAT"),
        (["--bbox", "40,30,45,95"], "latitude"),
        (["--since", "2020-02-01", "--until", "2020-01-01"], "after --until"),
        (["--format", "xml"], "--format"),
    ],
)
def test_export_usage_errors_exit_2(stored: Path, args: list, message: str, capsys) -> None:
    code, out, err = run(["export", "--store", stored, *args], capsys)
    assert code == 2 and out == "" and message in err


def test_export_never_clobbers(stored: Path, tmp_path: Path, capsys) -> None:
    out_path = tmp_path / "incidents.csv"
    out_path.write_text("keep me")
    code, _, err = run(["export", "--store", stored, "-o", out_path], capsys)
    assert code == 1 and "already exists" in err and "--overwrite" in err
    assert out_path.read_text() == "keep me"
    assert run(["export", "--store", stored, "-o", out_path, "--overwrite"], capsys)[0] == 0
    assert out_path.read_text().startswith("event_id_cnty,")


def test_export_of_a_missing_store_is_one_error(tmp_path: Path, capsys) -> None:
    code, out, err = run(["export", "--store", tmp_path / "none.sqlite"], capsys)
    assert code == 1 and out == ""
    assert err.count("\n") == 1 and "does not exist" in err
    assert not (tmp_path / "none.sqlite").exists()  # exporting never creates a store


def test_export_of_a_version_1_store_upgrades_it(tmp_path: Path, capsys) -> None:
    db = tmp_path / "v1.sqlite"
    with sqlite3.connect(db) as conn:
        conn.executescript((PAIRS / "store_v1.sql").read_text())
    code, out, _ = run(["export", "--store", db], capsys)
    assert code == 0
    events = _events([json.loads(line) for line in out.splitlines()])
    assert [e["properties"]["source_count"] for e in events] == [2, 1, 1, 1]
