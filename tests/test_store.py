"""Tests for geomap.store: round trips, idempotence, updates, concurrency, crashes."""

from __future__ import annotations

import dataclasses
import datetime as dt
import multiprocessing
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geomap import store as store_module
from geomap.errors import GeomapError, StoreError
from geomap.model import Actor, Article, Incident, LatLon, Place, PlaceMention, PlaceType, Span
from geomap.store import SCHEMA_VERSION, IncidentStore, _incident_from_row, _incident_to_row

ERBIL = Place(
    place_id="geonames:95446",
    name="Erbil",
    place_type=PlaceType.CITY,
    point=LatLon(36.19257, 44.01062),
    country_code="IQ",
    admin1="IQ.11",
    population=932800,
)
IRAN = Place("geonames:130758", "Iran", PlaceType.COUNTRY, LatLon(32.0, 53.0), "IR")
TEXT = (
    "Iran retaliates with missile attack\n\n"
    "Iranian missiles struck the air base in Erbil on Wednesday, killing no one."
)


def rich_incident(article_id: str = "a1", suffix: str = "") -> Incident:
    """An incident with every field set, nested values included."""
    erbil = TEXT.index("Erbil")
    return Incident(
        incident_id=f"inc-{article_id}-{suffix}",
        article_id=article_id,
        event_type="Explosions/Remote violence",
        sub_event_type="Shelling/artillery/missile attack",
        rule="missile-strike",
        trigger=Span(TEXT.index("struck"), TEXT.index("struck") + 6),
        evidence=TEXT[37:],
        evidence_span=Span(37, len(TEXT)),
        confidence=0.875,
        actor1=Actor("Iran", "State forces", 1, span=Span(37, 45), origin=IRAN, country_code="IR"),
        actor2=Actor("United States", "External/Other forces", 8),
        location=PlaceMention(article_id, Span(erbil, erbil + 5), "Erbil", ERBIL, 0.93, "name"),
        geo_precision=1,
        location_fallback=True,
        date=dt.date(2020, 1, 8),
        time_precision="day",
        fatalities=0,
        injured=None,
        fatalities_claimed_by="Iran",
        source_title="Iran retaliates with missile attack",
        source_url="https://news.example.org/1",
        notes=("date from 'Wednesday'", "origin from demonym"),
    )


def small_incident(article_id: str, n: int) -> Incident:
    return Incident(
        incident_id=f"inc-{article_id}-{n}",
        article_id=article_id,
        event_type="Battles",
        sub_event_type="Armed clash",
        rule="clash",
        trigger=Span(0, 1),
        evidence="x",
        evidence_span=Span(0, 1),
        confidence=0.5,
    )


def article(article_id: str = "a1", text: str = TEXT) -> Article:
    return Article(
        article_id,
        text,
        title="Iran retaliates with missile attack",
        date=dt.date(2020, 1, 8),
        url="https://news.example.org/1",
        source=f"{article_id}.txt",
    )


def counts(path: Path) -> tuple[int, int, int]:
    with sqlite3.connect(path) as conn:
        return tuple(
            conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
            for table in ("articles", "incidents", "sources")
        )


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "incidents.sqlite"


# --- serialisation -----------------------------------------------------------------


def test_row_round_trip_of_a_rich_incident() -> None:
    incident = rich_incident()
    row = dict(zip(store_module._INCIDENT_COLUMNS, _incident_to_row(incident), strict=True))
    assert _incident_from_row(row) == incident


def _spans() -> st.SearchStrategy[Span]:
    return st.tuples(st.integers(0, 10**6), st.integers(0, 10**6)).map(
        lambda pair: Span(min(pair), max(pair))
    )


_text = st.text(max_size=30)
_optional_text = st.none() | _text
_points = st.builds(
    LatLon, st.floats(-90, 90, allow_nan=False), st.floats(-180, 180, allow_nan=False)
)
_places = st.builds(
    Place,
    place_id=_text,
    name=_text,
    place_type=st.sampled_from(PlaceType),
    point=_points,
    country_code=_optional_text,
    admin1=_optional_text,
    population=st.integers(0, 10**10),
    source=_text,
)
_actors = st.builds(
    Actor,
    name=_text,
    actor_type=_text,
    inter=st.integers(0, 8),
    span=st.none() | _spans(),
    origin=st.none() | _places,
    country_code=_optional_text,
)
_incidents = st.builds(
    Incident,
    incident_id=_text,
    article_id=_text,
    event_type=_text,
    sub_event_type=_text,
    rule=_text,
    trigger=_spans(),
    evidence=_text,
    evidence_span=_spans(),
    confidence=st.floats(0, 1),
    actor1=st.none() | _actors,
    actor2=st.none() | _actors,
    location=st.none()
    | st.builds(
        PlaceMention,
        article_id=_text,
        span=_spans(),
        text=_text,
        place=st.none() | _places,
        score=st.floats(allow_nan=False, allow_infinity=False),
        via=_text,
    ),
    geo_precision=st.none() | st.integers(1, 3),
    location_fallback=st.booleans(),
    date=st.none() | st.dates(),
    time_precision=_optional_text,
    fatalities=st.none() | st.integers(0, 10**6),
    injured=st.none() | st.integers(0, 10**6),
    fatalities_claimed_by=_optional_text,
    source_title=_optional_text,
    source_url=_optional_text,
    notes=st.lists(_text, max_size=3).map(tuple),
)


@settings(max_examples=200, deadline=None)
@given(_incidents)
def test_row_round_trip_of_any_incident(incident: Incident) -> None:
    row = dict(zip(store_module._INCIDENT_COLUMNS, _incident_to_row(incident), strict=True))
    assert _incident_from_row(row) == incident


def test_json_without_a_newer_field_loads_with_its_default() -> None:
    incident = rich_incident()
    row = dict(zip(store_module._INCIDENT_COLUMNS, _incident_to_row(incident), strict=True))
    row["data"] = row["data"].replace('"notes": ', '"ignored_old_key": ')
    assert _incident_from_row(row).notes == ()


# --- adding and reading ------------------------------------------------------------


def test_store_round_trip_through_sqlite(db: Path) -> None:
    incidents = [rich_incident(suffix="1"), rich_incident(suffix="2")]
    with IncidentStore(db) as store:
        assert store.add_article(article(), incidents) is True
    with IncidentStore(db) as store:  # a fresh connection reads what was committed
        assert store.incidents() == incidents
        (record,) = store.articles()
    assert record.article_id == "a1"
    assert record.title == "Iran retaliates with missile attack"
    assert record.url == "https://news.example.org/1"
    assert record.date == dt.date(2020, 1, 8)
    assert record.source == "a1.txt"
    assert len(record.sha256) == 64
    assert record.added_at.tzinfo is not None


def test_acled_columns_are_filled(db: Path) -> None:
    with IncidentStore(db) as store:
        store.add_article(article(), [rich_incident()])
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        row = conn.execute("SELECT * FROM incidents").fetchone()
        source = conn.execute("SELECT * FROM sources").fetchone()
    assert row["event_date"] == "2020-01-08"
    assert (row["event_type"], row["sub_event_type"]) == (
        "Explosions/Remote violence",
        "Shelling/artillery/missile attack",
    )
    assert (row["actor1"], row["inter1"], row["actor2"], row["inter2"]) == (
        "Iran",
        1,
        "United States",
        8,
    )
    assert (row["location"], row["country_code"], row["admin1_code"]) == ("Erbil", "IQ", "IQ.11")
    assert (row["latitude"], row["longitude"]) == (36.19257, 44.01062)
    assert (row["geo_precision"], row["fatalities"], row["confidence"]) == (1, 0, 0.875)
    assert (source["article_id"], source["evidence_start"], source["evidence_end"]) == (
        "a1",
        37,
        len(TEXT),
    )
    assert source["evidence"] == TEXT[37:]


def test_adding_the_same_article_twice_changes_nothing(db: Path) -> None:
    with IncidentStore(db) as store:
        assert store.add_article(article(), [rich_incident(suffix="1")]) is True
        before = counts(db), store.articles()
        assert store.add_article(article(), [rich_incident(suffix="1")]) is False
        # even with other incidents: same id and same text means already stored
        assert store.add_article(article(), [rich_incident(suffix="9")]) is False
        assert (counts(db), store.articles()) == before
    assert before[0] == (1, 1, 1)


def test_duplicate_incidents_in_one_call_are_stored_once(db: Path) -> None:
    with IncidentStore(db) as store:
        store.add_article(article(), [rich_incident(suffix="1")] * 3)
    assert counts(db) == (1, 1, 1)


def test_updated_article_replaces_its_incidents(db: Path) -> None:
    with IncidentStore(db) as store:
        store.add_article(article(), [rich_incident(suffix="1"), rich_incident(suffix="2")])
        (old,) = store.articles()
        updated = article(text=TEXT + " Officials later said eleven were injured.")
        assert store.add_article(updated, [rich_incident(suffix="3")]) is True
        assert [i.incident_id for i in store.incidents()] == ["inc-a1-3"]
        (new,) = store.articles()
    assert new.sha256 != old.sha256
    assert counts(db) == (1, 1, 1)


def test_incident_reported_by_two_articles_keeps_both_sources(db: Path) -> None:
    shared = rich_incident(suffix="shared")
    other = Article("a2", "Another report of the Erbil strike.")
    with IncidentStore(db) as store:
        store.add_article(article(), [shared])
        store.add_article(other, [dataclasses.replace(shared, article_id="a2")])
        assert counts(db) == (2, 1, 2)
        # a1 is updated and no longer reports it: the incident stays, cited by a2
        store.add_article(article(text=TEXT + " Update."), [])
        assert [i.incident_id for i in store.incidents()] == [shared.incident_id]
    assert counts(db) == (2, 1, 1)


def test_incident_of_another_article_is_refused(db: Path) -> None:
    with IncidentStore(db) as store, pytest.raises(ValueError, match="belongs to article 'a2'"):
        store.add_article(article("a1"), [small_incident("a2", 0)])
    assert counts(db) == (0, 0, 0)


def test_store_must_be_open(db: Path) -> None:
    store = IncidentStore(db)
    assert not db.exists()  # the constructor only stores the path
    with pytest.raises(StoreError, match="not open"):
        store.incidents()
    store.open()
    store.close()
    store.close()  # closing twice is fine
    with pytest.raises(StoreError, match="not open"):
        store.add_article(article(), [])


def test_open_returns_the_store_and_sets_pragmas(db: Path) -> None:
    store = IncidentStore(db)
    with store.open() as opened:
        assert opened is store
        conn = store._conn
        assert conn is not None
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert conn.execute("PRAGMA foreign_keys").fetchone()[0] == 1
        assert conn.execute("PRAGMA busy_timeout").fetchone()[0] == 10_000
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


# --- schema versions ---------------------------------------------------------------


def test_newer_schema_is_refused(db: Path) -> None:
    IncidentStore(db).open().close()
    with sqlite3.connect(db) as conn:
        conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    with pytest.raises(StoreError, match=r"newer than .* upgrade geomap") as err:
        IncidentStore(db).open()
    assert "\n" not in str(err.value)


def test_a_new_migration_upgrades_existing_stores(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    with IncidentStore(db) as store:
        store.add_article(article(), [rich_incident()])

    def migrate_to_2(conn: sqlite3.Connection) -> None:
        conn.execute("ALTER TABLE incidents ADD COLUMN reviewed INTEGER NOT NULL DEFAULT 0")

    monkeypatch.setattr(store_module, "_MIGRATIONS", (*store_module._MIGRATIONS, migrate_to_2))
    monkeypatch.setattr(store_module, "SCHEMA_VERSION", SCHEMA_VERSION + 1)
    with IncidentStore(db) as store:
        assert store.incidents() == [rich_incident()]
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1
        assert conn.execute("SELECT reviewed FROM incidents").fetchone()[0] == 0


# --- bad paths ---------------------------------------------------------------------


def test_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="is a directory") as err:
        IncidentStore(tmp_path).open()
    assert isinstance(err.value, GeomapError)
    assert isinstance(err.value, RuntimeError)


def test_missing_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match=r"does not exist.*mkdir -p"):
        IncidentStore(tmp_path / "no" / "such" / "store.sqlite").open()


def test_non_sqlite_file_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "notes.sqlite"
    path.write_text("these are my notes, not a database\n" * 50)
    before = path.read_bytes()
    with pytest.raises(StoreError, match="not a usable SQLite file") as err:
        IncidentStore(path).open()
    assert "\n" not in str(err.value)
    assert path.read_bytes() == before


def test_another_programs_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "other.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE things (x)")
    with pytest.raises(StoreError, match="not a geomap store"):
        IncidentStore(path).open()
    with sqlite3.connect(path) as conn:  # no geomap tables were added to it
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_schema")}
    assert tables == {"things"}


def test_empty_file_becomes_a_store(tmp_path: Path) -> None:
    path = tmp_path / "touched.sqlite"
    path.touch()
    with IncidentStore(path) as store:
        assert store.incidents() == []


# --- concurrency and crashes -------------------------------------------------------


def _write_articles(path: str, prefix: str, count: int, start: object) -> None:
    start.wait()  # type: ignore[attr-defined]
    with IncidentStore(path) as store:
        for n in range(count):
            article_id = f"{prefix}-{n}"
            incidents = [small_incident(article_id, k) for k in range(3)]
            store.add_article(Article(article_id, f"text of {article_id}"), incidents)


def test_two_processes_writing_at_once_store_everything(db: Path) -> None:
    count = 150
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    writers = [
        context.Process(target=_write_articles, args=(str(db), prefix, count, start))
        for prefix in ("left", "right")
    ]
    for writer in writers:
        writer.start()
    start.set()  # both create the schema and write at the same moment
    for writer in writers:
        writer.join(timeout=120)
        assert writer.exitcode == 0
    assert counts(db) == (2 * count, 2 * 3 * count, 2 * 3 * count)


_CHILD = """
import sys, time
from pathlib import Path
from geomap.model import Article, Incident, Span
from geomap.store import IncidentStore

db, marker, n, mode = sys.argv[1], Path(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
incidents = [
    Incident(f"big-{i}", "big", "Battles", "Armed clash", "clash", Span(0, 1), "x", Span(0, 1), 0.5)
    for i in range(n)
]
store = IncidentStore(db).open()
inserted = 0

def trace(statement):
    # SQLite reports each statement, and each row's INSERT, as it starts.
    global inserted
    if statement == "BEGIN IMMEDIATE" and mode == "run":
        marker.write_text("transaction started")
    if statement.startswith("INSERT OR IGNORE INTO incidents") and mode == "hang":
        inserted += 1
        if inserted == n // 2:
            marker.write_text("half written")
            time.sleep(600)

store._conn.set_trace_callback(trace)
store.add_article(Article("big", "x" * 100), incidents)
store.close()
marker.write_text("done")
"""


def _run_child(db: Path, marker: Path, n: int, mode: str) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", _CHILD, str(db), str(marker), str(n), mode],
        stderr=subprocess.PIPE,
    )


def _wait_for(marker: Path, child: subprocess.Popen[bytes], timeout: float = 60) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if marker.exists() and (text := marker.read_text()):
            return text
        if child.poll() is not None:
            raise AssertionError(child.stderr.read().decode() if child.stderr else "child died")
        time.sleep(0.01)
    child.kill()
    child.communicate()
    raise AssertionError("child never started writing")


def _assert_consistent(db: Path) -> tuple[int, int, int]:
    with IncidentStore(db) as store:  # opening recovers from the WAL left behind
        conn = store._conn
        assert conn is not None
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
    return counts(db)


def _kill(child: subprocess.Popen[bytes]) -> None:
    os.kill(child.pid, signal.SIGKILL)
    child.communicate(timeout=30)  # also closes its stderr pipe
    assert child.returncode == -signal.SIGKILL


def test_process_killed_inside_the_transaction_leaves_nothing(db: Path, tmp_path: Path) -> None:
    with IncidentStore(db) as store:
        store.add_article(article(), [rich_incident()])
    marker = tmp_path / "marker"
    child = _run_child(db, marker, 2_000, "hang")
    assert _wait_for(marker, child) == "half written"
    _kill(child)
    assert _assert_consistent(db) == (1, 1, 1)  # the earlier article, none of "big"
    with IncidentStore(db) as store:  # and the store still takes writes
        assert store.add_article(Article("big", "x" * 100), [small_incident("big", 0)])
    assert counts(db) == (2, 2, 2)


@pytest.mark.parametrize("delay", [0.0, 0.01, 0.05, 0.2])
def test_process_killed_at_any_moment_stores_all_or_nothing(
    db: Path, tmp_path: Path, delay: float
) -> None:
    n = 30_000
    marker = tmp_path / "marker"
    child = _run_child(db, marker, n, "run")
    assert _wait_for(marker, child) == "transaction started"
    time.sleep(delay)
    if child.poll() is None:
        _kill(child)
    else:
        child.communicate(timeout=30)
    assert _assert_consistent(db) in {(0, 0, 0), (1, n, n)}


# --- deduplication across articles (schema version 2) ------------------------------

BAGHDAD = Place(
    "geonames:98182", "Baghdad", PlaceType.CITY, LatLon(33.34058, 44.40088), "IQ", "IQ.07"
)
SADR_CITY = Place("geonames:7802746", "Sadr City", PlaceType.CITY, LatLon(33.3889, 44.4583), "IQ")
BASRA = Place("geonames:89341", "Basra", PlaceType.CITY, LatLon(30.50852, 47.7804), "IQ")


def located(
    article_id: str,
    n: int = 0,
    *,
    place: Place = BAGHDAD,
    day: dt.date = dt.date(2020, 1, 8),
    fatalities: int | None = None,
    actor1: str | None = None,
    event_type: str = "Explosions/Remote violence",
) -> Incident:
    evidence = f"Rockets hit {place.name}, {article_id} reports."
    return Incident(
        incident_id=f"inc-{article_id}-{n}",
        article_id=article_id,
        event_type=event_type,
        sub_event_type="Shelling/artillery/missile attack",
        rule="test",
        trigger=Span(0, 7),
        evidence=evidence,
        evidence_span=Span(0, len(evidence)),
        confidence=0.8,
        actor1=Actor(actor1, "State forces", 1) if actor1 else None,
        location=PlaceMention(article_id, Span(12, 12 + len(place.name)), place.name, place, 0.9),
        geo_precision=1,
        date=day,
        time_precision="day",
        fatalities=fatalities,
    )


def test_two_articles_reporting_one_incident_store_it_once_with_both_sources(db: Path) -> None:
    with IncidentStore(db) as store:
        first = store.add(Article("a", "text a"), [located("a", fatalities=35)])
        second = store.add(Article("b", "text b"), [located("b", place=SADR_CITY, fatalities=30)])
        (incident,) = store.incidents()
        sources = store.sources(incident.incident_id)
    assert (first.status, first.new, first.merged) == ("added", 1, 0)
    assert (second.status, second.reports, second.new, second.merged) == ("added", 1, 0, 1)
    assert incident.incident_id == "inc-a-0"
    assert incident.fatalities == 30
    assert [(s.article_id, s.report.incident_id, s.evidence) for s in sources] == [
        ("a", "inc-a-0", "Rockets hit Baghdad, a reports."),
        ("b", "inc-b-0", "Rockets hit Sadr City, b reports."),
    ]
    assert counts(db) == (2, 1, 2)


def test_incidents_of_one_article_never_merge(db: Path) -> None:
    with IncidentStore(db) as store:
        store.add(Article("a", "text a"), [located("a", 1), located("a", 2)])
        # b matches both; it joins one, the oldest, and each incident keeps one report per article
        added = store.add(Article("b", "text b"), [located("b", 1), located("b", 2)])
        groups = [
            sorted(s.report.incident_id for s in store.sources(i.incident_id))
            for i in store.incidents()
        ]
    assert (added.new, added.merged) == (0, 2)
    assert groups == [["inc-a-1", "inc-b-1"], ["inc-a-2", "inc-b-2"]]


def test_reports_that_do_not_match_stay_apart(db: Path) -> None:
    with IncidentStore(db) as store:
        store.add(Article("a", "a"), [located("a")])
        store.add(Article("b", "b"), [located("b", place=BASRA)])
        store.add(Article("c", "c"), [located("c", day=dt.date(2020, 1, 11))])
        store.add(Article("d", "d"), [located("d", event_type="Battles")])
        store.add(Article("e", "e"), [located("e", actor1="Iran")])
        store.add(Article("f", "f"), [located("f", actor1="Turkey")])  # e is Iran
    assert counts(db) == (6, 5, 6)  # only e joined a (a has no actor)


def test_without_a_rule_every_report_is_its_own_incident(db: Path) -> None:
    with IncidentStore(db, rule=None) as store:
        store.add(Article("a", "a"), [located("a")])
        added = store.add(Article("b", "b"), [located("b")])
    assert (added.new, added.merged) == (1, 0)
    assert counts(db) == (2, 2, 2)


def test_an_updated_article_rebuilds_the_incidents_it_was_merged_into(db: Path) -> None:
    with IncidentStore(db) as store:
        store.add(Article("a", "text a"), [located("a", fatalities=35)])
        store.add(Article("b", "text b"), [located("b", place=SADR_CITY, fatalities=30)])
        assert store.incidents()[0].notes == ("reported by 2 articles",)
        # b no longer reports it: the incident is a's report again, under its id
        assert store.add(Article("b", "text b, corrected"), []).status == "updated"
        (incident,) = store.incidents()
        assert incident == located("a", fatalities=35)
        # a changes its story: a's old report goes, the new one is a new incident
        store.add(Article("a", "text a, corrected"), [located("a", 7, place=BASRA)])
        assert [i.incident_id for i in store.incidents()] == ["inc-a-7"]
    assert counts(db) == (2, 1, 1)


def test_an_updated_article_keeps_the_incident_id_others_cite(db: Path) -> None:
    with IncidentStore(db) as store:
        store.add(Article("a", "text a"), [located("a")])
        store.add(Article("b", "text b"), [located("b")])
        store.add(Article("a", "text a v2"), [])
        (incident,) = store.incidents()
    # still named after a's report, now told by b alone
    assert incident.incident_id == "inc-a-0" and incident.article_id == "b"


def test_regroup_merges_what_the_rule_now_matches(db: Path) -> None:
    with IncidentStore(db, rule=None) as store:
        store.add(Article("a", "a"), [located("a")])
        store.add(Article("b", "b"), [located("b", place=SADR_CITY)])
        store.add(Article("c", "c"), [located("c", place=BASRA)])
    with IncidentStore(db) as store:
        assert store.regroup() == 2
        assert [len(store.sources(i.incident_id)) for i in store.incidents()] == [2, 1]
        assert store.regroup() == 2  # nothing left to merge
    with IncidentStore(db, rule=None) as store:
        assert store.regroup() == 3  # and apart again
    assert counts(db) == (3, 3, 3)


def _load_v1(db: Path) -> None:
    script = (Path(__file__).parent / "data" / "dedup" / "store_v1.sql").read_text()
    with sqlite3.connect(db) as conn:
        conn.executescript(script)
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 1


def _v1_incidents(db: Path) -> list[Incident]:
    with sqlite3.connect(db) as conn:
        conn.row_factory = sqlite3.Row
        rows = conn.execute("SELECT incident_id, data FROM incidents ORDER BY rowid").fetchall()
    return [_incident_from_row(row) for row in rows]


def test_a_version_1_store_is_upgraded_in_place(db: Path) -> None:
    _load_v1(db)
    before = _v1_incidents(db)
    with IncidentStore(db) as store:
        assert store.incidents() == before  # incidents are kept as they were
        erbil = store.sources("v1-erbil-1-1")
        assert [a.article_id for a in store.articles()] == [
            "erbil-1",
            "erbil-2",
            "baghdad-1",
            "baghdad-2",
            "nowhere-1",
        ]
        conn = store._conn
        assert conn is not None
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION == 2
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        indexes = {r[0] for r in conn.execute("SELECT name FROM sqlite_schema WHERE type='index'")}
    assert {"sources_for_dedup", "incidents_by_date", "incidents_by_type"} <= indexes
    assert counts(db) == (5, 4, 5)
    # each version-1 source became that article's report, with its own evidence
    assert [(s.article_id, s.evidence, s.evidence_span) for s in erbil] == [
        ("erbil-1", "Iranian missiles struck a base in Erbil.", Span(0, 40)),
        ("erbil-2", "Missiles from Iran hit Erbil.", Span(0, 29)),
    ]
    assert erbil[1].report.article_id == "erbil-2"
    assert erbil[1].report.evidence == "Missiles from Iran hit Erbil."
    assert erbil[1].report.location == before[0].location
    assert erbil[1].article.url == "https://example.org/e2"


def test_an_upgraded_store_merges_new_reports_and_can_regroup(db: Path) -> None:
    _load_v1(db)
    with IncidentStore(db) as store:
        added = store.add(Article("baghdad-3", "more rockets"), [located("baghdad-3")])
        assert added.merged == 1  # into the oldest matching version-1 incident
        assert len(store.sources("v1-baghdad-1-1")) == 2
        # version 1 kept the two Baghdad reports apart; the rule merges them
        assert store.regroup() == 3
        groups = {
            i.incident_id: sorted(s.article_id for s in store.sources(i.incident_id))
            for i in store.incidents()
        }
    assert groups == {
        "v1-erbil-1-1": ["erbil-1", "erbil-2"],
        "v1-baghdad-1-1": ["baghdad-1", "baghdad-2", "baghdad-3"],
        "v1-nowhere-1-1": ["nowhere-1"],
    }


def test_a_damaged_version_1_store_is_not_upgraded(db: Path) -> None:
    _load_v1(db)
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE incidents SET data = '{\"incident_id\": 1}' WHERE rowid = 2")
    with pytest.raises(StoreError, match=r"cannot upgrade .* to schema version 2") as err:
        IncidentStore(db).open()
    assert "\n" not in str(err.value)
    with sqlite3.connect(db) as conn:  # rolled back: still a version-1 store
        assert conn.execute("PRAGMA user_version").fetchone()[0] == 1
        names = {r[0] for r in conn.execute("SELECT name FROM sqlite_schema WHERE type='table'")}
    assert names == {"articles", "incidents", "sources"}


def _report_same_incidents(path: str, prefix: str, count: int, start: object) -> None:
    start.wait()  # type: ignore[attr-defined]
    with IncidentStore(path) as store:
        for n in range(count):
            # article n of each writer reports incident n: days 3 apart never merge
            day = dt.date(2020, 1, 1) + dt.timedelta(days=3 * n)
            store.add(
                Article(f"{prefix}-{n}", f"{prefix} {n}"), [located(f"{prefix}-{n}", day=day)]
            )


def test_two_processes_reporting_the_same_incidents_merge_them(db: Path) -> None:
    count = 60
    context = multiprocessing.get_context("spawn")
    start = context.Event()
    writers = [
        context.Process(target=_report_same_incidents, args=(str(db), prefix, count, start))
        for prefix in ("left", "right")
    ]
    for writer in writers:
        writer.start()
    start.set()
    for writer in writers:
        writer.join(timeout=120)
        assert writer.exitcode == 0
    assert counts(db) == (2 * count, count, 2 * count)
    with IncidentStore(db) as store:
        for incident in store.incidents():
            assert sorted(
                s.article_id.split("-")[0] for s in store.sources(incident.incident_id)
            ) == [
                "left",
                "right",
            ]


_MERGING_CHILD = """
import sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[3])
from test_store import located
import datetime as dt
from geomap.model import Article
from geomap.store import IncidentStore

db, marker, n = sys.argv[1], Path(sys.argv[2]), int(sys.argv[4])
days = [dt.date(2000, 1, 1) + dt.timedelta(days=3 * k) for k in range(n)]
store = IncidentStore(db).open()
rebuilt = 0

def trace(statement):
    global rebuilt
    if statement.startswith("UPDATE incidents"):
        rebuilt += 1
        if rebuilt == n // 2:
            marker.write_text("half merged")
            time.sleep(600)

store._conn.set_trace_callback(trace)
store.add(Article("late", "late"), [located("late", k, day=d) for k, d in enumerate(days)])
marker.write_text("done")
"""


def test_process_killed_while_merging_leaves_the_incidents_as_they_were(
    db: Path, tmp_path: Path
) -> None:
    n = 200
    days = [dt.date(2000, 1, 1) + dt.timedelta(days=3 * k) for k in range(n)]
    with IncidentStore(db) as store:
        store.add(
            Article("early", "early"), [located("early", k, day=d) for k, d in enumerate(days)]
        )
        before = store.incidents()
    marker = tmp_path / "marker"
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            _MERGING_CHILD,
            str(db),
            str(marker),
            str(Path(__file__).parent),
            str(n),
        ],
        stderr=subprocess.PIPE,
    )
    assert _wait_for(marker, child) == "half merged"
    _kill(child)
    assert _assert_consistent(db) == (1, n, n)
    with IncidentStore(db) as store:
        assert store.incidents() == before
        assert (
            store.add(
                Article("late", "late"), [located("late", k, day=d) for k, d in enumerate(days)]
            ).merged
            == n
        )
    assert counts(db) == (2, n, 2 * n)


# --- queries and tables ------------------------------------------------------------


@pytest.fixture
def filled(db: Path) -> Path:
    with IncidentStore(db) as store:
        store.add(
            Article("a", "a", url="https://www.wire.example.com/a"),
            [
                located("a", 1, actor1="Iran", fatalities=2),
                located("a", 2, place=BASRA, event_type="Battles"),
            ],
        )
        store.add(Article("b", "b"), [located("b", 1, place=SADR_CITY, fatalities=1)])
        store.add(Article("c", "c"), [located("c", 1, day=dt.date(2020, 2, 1), actor1="Turkey")])
        store.add(Article("d", "d"), [dataclasses.replace(small_incident("d", 1))])
    return db


def _ids(records: list) -> list[str]:
    return [r.incident.incident_id for r in records]


def test_query_without_filters_returns_everything_with_sources(filled: Path) -> None:
    with IncidentStore(filled) as store:
        records = store.query()
    assert _ids(records) == ["inc-a-1", "inc-a-2", "inc-c-1", "inc-d-1"]
    assert [s.article_id for s in records[0].sources] == ["a", "b"]
    assert records[0].sources[0].article.url == "https://www.wire.example.com/a"


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"since": dt.date(2020, 1, 9)}, ["inc-c-1"]),
        ({"until": dt.date(2020, 1, 8)}, ["inc-a-1", "inc-a-2"]),
        ({"since": dt.date(2020, 1, 8), "until": dt.date(2020, 1, 8)}, ["inc-a-1", "inc-a-2"]),
        ({"event_types": ["battles"]}, ["inc-a-2", "inc-d-1"]),
        ({"event_types": ["Explosions/Remote violence"]}, ["inc-a-1", "inc-c-1"]),
        (
            {"event_types": ["Battles", "Explosions/Remote violence"]},
            ["inc-a-1", "inc-a-2", "inc-c-1", "inc-d-1"],
        ),
        ({"actors": ["iran"]}, ["inc-a-1"]),
        ({"actors": ["The Iran", "Turkey"]}, ["inc-a-1", "inc-c-1"]),
        ({"actors": ["Nobody"]}, []),
        ({"bbox": (LatLon(33, 44), LatLon(34, 45))}, ["inc-a-1", "inc-c-1"]),
        ({"bbox": (LatLon(29, 47), LatLon(31, 48))}, ["inc-a-2"]),
        # west of east: the box crosses the antimeridian (lon >= 47 or <= 44)
        ({"bbox": (LatLon(29, 47), LatLon(34, 44))}, ["inc-a-2"]),
        ({"bbox": (LatLon(29, 47.9), LatLon(34, 44))}, []),
        ({"bbox": (LatLon(29, 170), LatLon(34, 45))}, ["inc-a-1", "inc-c-1"]),
        ({"bbox": (LatLon(-90, -180), LatLon(90, 180)), "event_types": ["Battles"]}, ["inc-a-2"]),
    ],
)
def test_query_filters(filled: Path, filters: dict, expected: list[str]) -> None:
    with IncidentStore(filled) as store:
        assert _ids(store.query(**filters)) == expected


def test_acled_frame_has_acled_columns_and_one_row_per_incident(filled: Path) -> None:
    with IncidentStore(filled) as store:
        frame = store_module.acled_frame(store.query(), {"IQ": "Iraq"})
    assert list(frame.columns) == list(store_module.ACLED_COLUMNS)
    assert list(frame["event_id_cnty"]) == ["IQ-inc-a-1", "IQ-inc-a-2", "IQ-inc-c-1", "XX-inc-d-1"]
    first = frame.iloc[0]
    assert first["event_date"] == dt.date(2020, 1, 8) and first["year"] == 2020
    assert first["time_precision"] == 1
    assert (first["actor1"], first["inter1"], first["interaction"]) == ("Iran", 1, 10)
    assert (first["country"], first["location"], first["country_code"]) == ("Iraq", "Baghdad", "IQ")
    assert (first["latitude"], first["longitude"], first["geo_precision"]) == (
        33.34058,
        44.40088,
        1,
    )
    assert first["fatalities"] == 1  # a said 2, b said 1: the conservative figure
    assert (first["source_count"], first["article_ids"]) == (2, "a; b")
    assert first["source"] == "wire.example.com; b"
    assert (
        first["evidence"] == "Rockets hit Baghdad, a reports. | Rockets hit Sadr City, b reports."
    )
    last = frame.iloc[3]
    assert last["latitude"] is None or last["latitude"] != last["latitude"]  # missing
    assert str(frame["fatalities"].dtype) == "Int64"
