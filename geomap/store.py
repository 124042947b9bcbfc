"""The persistent incident store: one SQLite file that batches of articles add to.

Layout (schema version 2, kept in ``PRAGMA user_version``):

``articles``
    One row per article id: the SHA-256 of its text and its metadata.
``incidents``
    One row per real-world incident, with ACLED-named columns for querying with SQL
    (``event_date``, ``event_type``, ``actor1``, ``inter1``, ``latitude`` ...) and a
    ``data`` column holding the whole merged :class:`~geomap.model.Incident` as JSON,
    which is what :meth:`IncidentStore.incidents` reads back.
``sources``
    One row per article's report of an incident: which article, the incident id
    extraction gave it there (``report_id``), the evidence sentence and its offsets,
    the fields the deduplication rule compares, and that article's own Incident as
    JSON, so every source's evidence survives a merge and a merged incident can be
    rebuilt when one of its articles changes.

Reports of the same incident from different articles are merged by
:mod:`geomap.dedup`'s rule (same event type, same or nearby place, dates within a day,
compatible actors); ``IncidentStore(path, rule=None)`` keeps every report apart.
Version-1 stores (one source row per incident and article, no report columns) are
upgraded in place when opened; their incidents are kept as they were, and
:meth:`IncidentStore.regroup` applies the rule to them.

Every :meth:`IncidentStore.add` is one ``BEGIN IMMEDIATE`` transaction, matching
included: a process killed half-way leaves the article entirely stored or entirely
absent, and concurrent writers queue for up to ``busy_timeout`` instead of failing.

>>> import tempfile, pathlib
>>> from geomap.model import Article
>>> with tempfile.TemporaryDirectory() as tmp:
...     with IncidentStore(pathlib.Path(tmp) / "incidents.sqlite") as store:
...         first = store.add_article(Article("a1", "Rockets hit Baghdad."), [])
...         again = store.add_article(Article("a1", "Rockets hit Baghdad."), [])
...         ids = [a.article_id for a in store.articles()]
>>> first, again, ids
(True, False, ['a1'])
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import hashlib
import json
import sqlite3
import time
import types
import typing
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import Any, Literal

from geomap.dedup import (
    DEFAULT_RULE,
    DedupRule,
    Report,
    actor_key,
    assign,
    cluster,
    merge,
    normalise_actor,
)
from geomap.errors import StoreError
from geomap.model import Article, Incident, LatLon, Span

__all__ = [
    "ACLED_COLUMNS",
    "SCHEMA_VERSION",
    "Added",
    "IncidentRecord",
    "IncidentStore",
    "Source",
    "StoreCounts",
    "StoredArticle",
    "acled_frame",
]

# Marks the file as a geomap store ("geom"), so another program's SQLite file is
# refused instead of having tables added to it.
_APPLICATION_ID = 0x67656F6D
_BUSY_TIMEOUT_MS = 10_000
# Ids per "IN (...)" query: well under SQLite's limit on bound parameters.
_CHUNK = 500


@dataclasses.dataclass(frozen=True, slots=True)
class StoredArticle:
    """An article as recorded in the store (its text is not kept, only its hash).

    ``added_at`` is when this version of the text was stored (UTC).
    """

    article_id: str
    sha256: str
    title: str | None
    url: str | None
    date: dt.date | None
    source: str | None
    added_at: dt.datetime


@dataclasses.dataclass(frozen=True, slots=True)
class Source:
    """One article's report of a stored incident.

    ``report`` is the incident as that article told it (its own id, place, actors,
    counts); ``incident_id`` is the stored incident it was merged into.
    """

    incident_id: str
    article: StoredArticle
    evidence: str
    evidence_span: Span
    report: Incident

    @property
    def article_id(self) -> str:
        return self.article.article_id


@dataclasses.dataclass(frozen=True, slots=True)
class IncidentRecord:
    """A stored incident with every source reporting it, oldest first."""

    incident: Incident
    sources: tuple[Source, ...]


class StoreCounts(typing.NamedTuple):
    articles: int
    incidents: int
    sources: int


@dataclasses.dataclass(frozen=True, slots=True)
class Added:
    """What one :meth:`IncidentStore.add` did.

    ``status`` is ``added`` (a new article id), ``updated`` (a known id with a new
    text: its old reports were replaced) or ``unchanged`` (nothing was written).
    Of the article's ``reports``, ``new`` started incidents and ``merged`` joined
    incidents that other articles had reported.
    """

    article_id: str
    status: Literal["added", "updated", "unchanged"]
    reports: int = 0
    new: int = 0
    merged: int = 0

    @property
    def changed(self) -> bool:
        return self.status != "unchanged"


# --- schema ------------------------------------------------------------------------


def _migrate_to_1(conn: sqlite3.Connection) -> None:
    """The first schema: articles, incidents, and the sources linking them."""
    conn.execute(
        """
        CREATE TABLE articles (
            article_id TEXT PRIMARY KEY,
            sha256     TEXT NOT NULL,  -- of the UTF-8 text; a new hash means an updated article
            title      TEXT,
            url        TEXT,
            date       TEXT,           -- ISO publication date
            source     TEXT,           -- file path, or "-" for stdin
            added_at   TEXT NOT NULL   -- ISO UTC timestamp
        )
        """
    )
    conn.execute(
        """
        CREATE TABLE incidents (
            incident_id    TEXT PRIMARY KEY,
            event_date     TEXT,
            time_precision TEXT,
            event_type     TEXT NOT NULL,
            sub_event_type TEXT NOT NULL,
            actor1         TEXT,
            inter1         INTEGER,
            actor2         TEXT,
            inter2         INTEGER,
            country_code   TEXT,     -- ISO 3166-1 alpha-2 of the location
            admin1_code    TEXT,     -- GeoNames admin-1 key, e.g. IQ.11
            location       TEXT,
            latitude       REAL,
            longitude      REAL,
            geo_precision  INTEGER,
            fatalities     INTEGER,
            injured        INTEGER,
            confidence     REAL NOT NULL,
            evidence       TEXT NOT NULL,
            data           TEXT NOT NULL  -- the whole Incident as JSON; the source of truth
        )
        """
    )
    conn.execute(
        """
        CREATE TABLE sources (
            incident_id    TEXT NOT NULL REFERENCES incidents (incident_id) ON DELETE CASCADE,
            article_id     TEXT NOT NULL REFERENCES articles (article_id) ON DELETE CASCADE,
            evidence       TEXT NOT NULL,
            evidence_start INTEGER NOT NULL,
            evidence_end   INTEGER NOT NULL,
            PRIMARY KEY (incident_id, article_id)
        )
        """
    )
    conn.execute("CREATE INDEX sources_by_article ON sources (article_id)")
    conn.execute("CREATE INDEX incidents_by_date ON incidents (event_date)")


_SOURCES_V2 = """
    CREATE TABLE {name} (
        article_id     TEXT NOT NULL REFERENCES articles (article_id) ON DELETE CASCADE,
        report_id      TEXT NOT NULL,  -- the incident's id as extracted from this article
        incident_id    TEXT NOT NULL REFERENCES incidents (incident_id) ON DELETE CASCADE,
        evidence       TEXT NOT NULL,
        evidence_start INTEGER NOT NULL,
        evidence_end   INTEGER NOT NULL,
        -- what geomap.dedup's rule compares, so matching needs no JSON decoding
        event_type     TEXT NOT NULL,
        event_date     TEXT,
        place_id       TEXT,
        latitude       REAL,
        longitude      REAL,
        geo_precision  INTEGER,
        actor1         TEXT,
        actor2         TEXT,
        data           TEXT NOT NULL,  -- this article's own Incident as JSON
        PRIMARY KEY (article_id, report_id),
        UNIQUE (incident_id, article_id)  -- one report per article and incident
    )
"""


def _migrate_to_2(conn: sqlite3.Connection) -> None:
    """Sources become per-article reports, so incidents can merge across articles.

    Each version-1 source row becomes a report: the incident's JSON with that row's
    article, evidence and offsets. Incidents keep their ids and stay as they were.
    """
    conn.execute(_SOURCES_V2.format(name="sources_v2"))
    old = conn.execute(
        "SELECT s.incident_id, s.article_id, s.evidence, s.evidence_start, s.evidence_end, "
        "i.data FROM sources AS s JOIN incidents AS i USING (incident_id) ORDER BY s.rowid"
    ).fetchall()
    rows = []
    for row in old:
        report = dataclasses.replace(
            _incident_from_row(row),
            article_id=row["article_id"],
            evidence=row["evidence"],
            evidence_span=Span(row["evidence_start"], row["evidence_end"]),
        )
        rows.append((row["incident_id"], *_source_values(report)))
    conn.executemany(_INSERT_SOURCE.replace("INTO sources", "INTO sources_v2"), rows)
    conn.execute("DROP TABLE sources")
    conn.execute("ALTER TABLE sources_v2 RENAME TO sources")
    # Candidates for a merge: same type, a date window, a latitude window.
    conn.execute("CREATE INDEX sources_for_dedup ON sources (event_type, event_date, latitude)")
    conn.execute("CREATE INDEX incidents_by_type ON incidents (event_type)")


#: Migration ``i`` takes a store from schema version ``i`` to ``i + 1``. To change the
#: schema, append one function; stores on disk are upgraded when opened.
_MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (_migrate_to_1, _migrate_to_2)

#: The schema version this geomap writes and the newest it can read.
SCHEMA_VERSION = len(_MIGRATIONS)


# --- the store ---------------------------------------------------------------------


class IncidentStore:
    """Incidents and the articles they came from, in one SQLite file.

    The constructor only records the path; :meth:`open` (or ``with``) connects,
    creating or upgrading the schema. One store object is for one thread; open one
    per process or thread, any number may write to the same file at once.

    Parameters
    ----------
    path
        The SQLite file; created if missing (its directory must exist).
    rule
        When reports from different articles are one incident
        (:class:`~geomap.dedup.DedupRule`); None stores every report as its own incident.

    Examples
    --------
    >>> store = IncidentStore("incidents.sqlite")
    >>> store.path.name, store.rule.max_km
    ('incidents.sqlite', 25.0)
    """

    def __init__(self, path: str | Path, *, rule: DedupRule | None = DEFAULT_RULE) -> None:
        self._path = Path(path)
        self._rule = rule
        self._conn: sqlite3.Connection | None = None

    @property
    def path(self) -> Path:
        return self._path

    @property
    def rule(self) -> DedupRule | None:
        return self._rule

    def __repr__(self) -> str:
        state = "open" if self._conn is not None else "closed"
        return f"IncidentStore({str(self._path)!r}, {state})"

    def __enter__(self) -> IncidentStore:
        return self.open()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def open(self) -> IncidentStore:
        """Connect, creating or upgrading the schema; returns the store itself.

        Raises
        ------
        StoreError
            The path is a directory or in a missing directory, the file is not a
            geomap store, or it was written by a newer geomap.
        """
        if self._conn is not None:
            return self
        path = self._path
        if path.is_dir():
            raise StoreError(
                f"store path {path} is a directory; expected a SQLite file; "
                f"pass a file path, e.g. {path / 'incidents.sqlite'}"
            )
        if not path.parent.is_dir():
            raise StoreError(
                f"the directory of store {path} does not exist; expected an existing "
                f"directory; create it first (mkdir -p {path.parent})"
            )
        try:
            conn = sqlite3.connect(path, timeout=_BUSY_TIMEOUT_MS / 1000, isolation_level=None)
        except sqlite3.Error as err:
            raise StoreError(
                f"cannot open store {path} ({err}); expected a writable SQLite file; "
                "check the path and its permissions"
            ) from err
        try:
            self._setup(conn)
        except sqlite3.OperationalError as err:  # locked, read-only, I/O error
            conn.close()
            raise StoreError(
                f"cannot open store {path} ({err}); expected a writable SQLite file; "
                "check its permissions, or that no other program holds it locked"
            ) from err
        except sqlite3.DatabaseError as err:  # "file is not a database", corruption
            conn.close()
            raise StoreError(
                f"{path} is not a usable SQLite file ({err}); expected a geomap store; "
                "pass another path or remove that file"
            ) from err
        except BaseException:
            conn.close()
            raise
        self._conn = conn
        return self

    def close(self) -> None:
        """Close the connection; calling it again does nothing."""
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    # --- writing ---------------------------------------------------------------------

    def add_article(self, article: Article, incidents: Sequence[Incident]) -> bool:
        """Store an article and its incidents; False if it was already stored.

        The same as :meth:`add`, which also says how many incidents merged.
        """
        return self.add(article, incidents).changed

    def add(self, article: Article, incidents: Iterable[Incident]) -> Added:
        """Store an article and the incidents found in it, in one transaction.

        Adding the same article again (same id, same text) changes nothing. The same
        id with a different text is an updated article: its metadata is replaced and
        its old reports are replaced by ``incidents``, in the same transaction; an
        incident that another article also reports stays, rebuilt from the sources it
        has left. Each incident becomes a report that either joins a stored incident
        (one with the same ``incident_id``, or one the store's rule matches; see
        :mod:`geomap.dedup`) or starts a new one.

        Parameters
        ----------
        article
            The article the incidents were found in.
        incidents
            Its incidents; each must have ``article_id == article.article_id``. Of
            several with one ``incident_id``, the first is kept.

        Returns
        -------
        Added
            Whether the article was new, updated or unchanged, and how many of its
            reports started or joined incidents.

        Raises
        ------
        ValueError
            An incident belongs to another article.
        StoreError
            The store is not open, or the write failed (disk full, read-only).
        """
        conn = self._connection()
        reports: dict[str, Incident] = {}
        for incident in incidents:
            if incident.article_id != article.article_id:
                raise ValueError(
                    f"incident {incident.incident_id} belongs to article "
                    f"{incident.article_id!r}, not {article.article_id!r}"
                )
            reports.setdefault(incident.incident_id, incident)
        found = list(reports.values())
        sha256 = hashlib.sha256(article.text.encode("utf-8")).hexdigest()
        # Serialise before taking the write lock, so other writers wait less.
        article_row = (
            sha256,
            article.title,
            article.url,
            _iso(article.date),
            article.source,
            dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            article.article_id,
        )
        source_values = [_source_values(incident) for incident in found]
        keys = [Report.of(incident) for incident in found]
        with self._transaction(conn):
            stored = conn.execute(
                "SELECT sha256 FROM articles WHERE article_id = ?", (article.article_id,)
            ).fetchone()
            if stored is not None and stored["sha256"] == sha256:
                return Added(article.article_id, "unchanged")
            if stored is None:
                conn.execute(
                    "INSERT INTO articles (sha256, title, url, date, source, added_at, "
                    "article_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    article_row,
                )
            else:
                self._forget_reports_of(conn, article.article_id)
                conn.execute(
                    "UPDATE articles SET sha256 = ?, title = ?, url = ?, date = ?, "
                    "source = ?, added_at = ? WHERE article_id = ?",
                    article_row,
                )
            joins = self._choose(conn, found, keys)
            conn.executemany(
                f"INSERT OR IGNORE INTO incidents ({', '.join(_INCIDENT_COLUMNS)}) "
                f"VALUES ({', '.join('?' * len(_INCIDENT_COLUMNS))})",
                [_incident_to_row(inc) for n, inc in enumerate(found) if n not in joins],
            )
            conn.executemany(
                _INSERT_SOURCE,
                [
                    (joins.get(n, incident.incident_id), *values)
                    for n, (incident, values) in enumerate(zip(found, source_values, strict=True))
                ],
            )
            for incident_id in joins.values():
                self._rebuild(conn, incident_id)
        return Added(
            article.article_id,
            "added" if stored is None else "updated",
            reports=len(found),
            new=len(found) - len(joins),
            merged=len(joins),
        )

    def regroup(self) -> int:
        """Apply the store's rule afresh to every stored report; returns the incident count.

        For a store upgraded from schema version 1, or after changing the rule.
        Articles are taken in the order they were first stored, so the result is what
        adding them to an empty store would give; merged incidents take the id of
        their first report.
        """
        conn = self._connection()
        with self._transaction(conn):
            rows = conn.execute(
                f"SELECT {', '.join('s.' + c for c in _SOURCE_COLUMNS)} FROM sources AS s "
                "JOIN articles AS a USING (article_id) ORDER BY a.rowid, s.rowid"
            ).fetchall()
            reports = [self._decode(row) for row in rows]
            groups = (
                cluster(reports, self._rule)
                if self._rule is not None
                else _explicit_groups(reports)
            )
            # A report is named by its article and its own id; its row is kept as stored.
            values = {
                (r.article_id, r.incident_id): tuple(row)[1:]
                for r, row in zip(reports, rows, strict=True)
            }
            conn.execute("DELETE FROM incidents")  # sources go with them (ON DELETE CASCADE)
            for group in groups:
                incident_id = group[0].incident_id
                conn.execute(
                    f"INSERT INTO incidents ({', '.join(_INCIDENT_COLUMNS)}) "
                    f"VALUES ({', '.join('?' * len(_INCIDENT_COLUMNS))})",
                    _incident_to_row(merge(group, incident_id)),
                )
                conn.executemany(
                    _INSERT_SOURCE,
                    [(incident_id, *values[(r.article_id, r.incident_id)]) for r in group],
                )
        return len(groups)

    # --- reading ---------------------------------------------------------------------

    def incidents(self) -> list[Incident]:
        """Every stored incident, merged, in the order they were first stored."""
        conn = self._connection()
        rows = conn.execute("SELECT incident_id, data FROM incidents ORDER BY rowid")
        return [self._decode(row) for row in rows]

    def sources(self, incident_id: str | None = None) -> list[Source]:
        """The reports behind one incident, or behind all, in the order they were stored."""
        conn = self._connection()
        where, params = ("WHERE s.incident_id = ?", (incident_id,)) if incident_id else ("", ())
        rows = conn.execute(f"{_SELECT_SOURCES} {where} ORDER BY s.rowid", params)
        return [self._source(row) for row in rows]

    def query(
        self,
        *,
        since: dt.date | None = None,
        until: dt.date | None = None,
        event_types: Iterable[str] = (),
        actors: Iterable[str] = (),
        bbox: tuple[LatLon, LatLon] | None = None,
    ) -> list[IncidentRecord]:
        """Stored incidents with their sources, filtered; in the order first stored.

        Parameters
        ----------
        since, until
            Keep incidents dated on or after / on or before these days (undated
            incidents are left out when either is given).
        event_types
            Keep these event types (any of them; case-insensitive).
        actors
            Keep incidents whose actor1 or actor2 is one of these (compared as
            :func:`~geomap.dedup.normalise_actor` compares them).
        bbox
            South-west and north-east corners; keeps located incidents inside (a
            west corner east of the east one crosses the antimeridian).
        """
        conn = self._connection()
        clauses: list[str] = []
        params: list[Any] = []
        if since is not None:
            clauses.append("event_date >= ?")
            params.append(since.isoformat())
        if until is not None:
            clauses.append("event_date <= ?")
            params.append(until.isoformat())
        types_wanted = sorted({t.casefold() for t in event_types})
        if types_wanted:
            clauses.append(f"lower(event_type) IN ({', '.join('?' * len(types_wanted))})")
            params.extend(types_wanted)
        if bbox is not None:
            south_west, north_east = bbox
            clauses.append("latitude BETWEEN ? AND ?")
            params.extend((south_west.lat, north_east.lat))
            joiner = "AND" if south_west.lon <= north_east.lon else "OR"
            clauses.append(f"(longitude >= ? {joiner} longitude <= ?)")
            params.extend((south_west.lon, north_east.lon))
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = conn.execute(
            f"SELECT incident_id, data FROM incidents {where} ORDER BY rowid", params
        )
        found = [self._decode(row) for row in rows]
        names = {normalise_actor(a) for a in actors} - {None}
        if names:
            found = [
                incident
                for incident in found
                if {
                    normalise_actor(actor.name)
                    for actor in (incident.actor1, incident.actor2)
                    if actor is not None
                }
                & names
            ]
        sources: dict[str, list[Source]] = {incident.incident_id: [] for incident in found}
        ids = list(sources)
        for lo in range(0, len(ids), _CHUNK):
            chunk = ids[lo : lo + _CHUNK]
            for row in conn.execute(
                f"{_SELECT_SOURCES} WHERE s.incident_id IN ({', '.join('?' * len(chunk))}) "
                "ORDER BY s.rowid",
                chunk,
            ):
                sources[row["incident_id"]].append(self._source(row))
        return [IncidentRecord(i, tuple(sources[i.incident_id])) for i in found]

    def articles(self) -> list[StoredArticle]:
        """Every stored article record, in the order they were first stored."""
        conn = self._connection()
        rows = conn.execute(
            "SELECT article_id, sha256, title, url, date, source, added_at "
            "FROM articles ORDER BY rowid"
        )
        return [_stored_article(row) for row in rows]

    def counts(self) -> StoreCounts:
        """How many articles, incidents and sources (reports) the store holds."""
        conn = self._connection()
        return StoreCounts(
            *(
                conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                for table in ("articles", "incidents", "sources")
            )
        )

    # --- internals -------------------------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            raise StoreError(
                f"store {self._path} is not open; expected an open store; "
                "call open() or use it in a with block"
            )
        return self._conn

    def _decode(self, row: Mapping[str, Any]) -> Incident:
        try:
            return _incident_from_row(row)
        except (KeyError, TypeError, ValueError) as err:
            raise StoreError(
                f"store {self._path} holds a damaged incident {row['incident_id']} ({err}); "
                "expected a valid incident record; re-add its article to repair it"
            ) from err

    def _source(self, row: Mapping[str, Any]) -> Source:
        return Source(
            incident_id=row["incident_id"],
            article=_stored_article(row),
            evidence=row["evidence"],
            evidence_span=Span(row["evidence_start"], row["evidence_end"]),
            report=self._decode(row),
        )

    def _choose(
        self, conn: sqlite3.Connection, found: Sequence[Incident], keys: Sequence[Report]
    ) -> dict[int, str]:
        """Which stored incident each report joins (report index -> incident id).

        Runs under the write lock, so no other writer can add a matching incident
        between the choice and the insert.
        """
        joins: dict[int, str] = {}
        # The same incident id means the same incident, whatever the rule says.
        ids = [incident.incident_id for incident in found]
        for lo in range(0, len(ids), _CHUNK):
            chunk = ids[lo : lo + _CHUNK]
            known = {
                row[0]
                for row in conn.execute(
                    "SELECT incident_id FROM incidents WHERE incident_id IN "
                    f"({', '.join('?' * len(chunk))})",
                    chunk,
                )
            }
            joins.update((lo + n, i) for n, i in enumerate(chunk) if i in known)
        rule = self._rule
        if rule is None:
            return joins
        rest = [n for n in range(len(found)) if n not in joins and rule.mergeable(keys[n])]
        ages: dict[str, int] = {}
        for n in rest:
            ages.update(_nearby(conn, rule, keys[n]))
        taken = set(joins.values())
        candidates = {i: [] for i in sorted(ages, key=ages.__getitem__) if i not in taken}
        if not candidates:
            return joins
        listed = list(candidates)
        for lo in range(0, len(listed), _CHUNK):
            chunk = listed[lo : lo + _CHUNK]
            for row in conn.execute(
                f"SELECT {', '.join(_REPORT_COLUMNS)} FROM sources WHERE incident_id IN "
                f"({', '.join('?' * len(chunk))}) ORDER BY rowid",
                chunk,
            ):
                candidates[row["incident_id"]].append(_report_from_row(row))
        chosen = assign([keys[n] for n in rest], candidates, rule)
        joins.update((rest[k], incident_id) for k, incident_id in chosen.items())
        return joins

    def _rebuild(self, conn: sqlite3.Connection, incident_id: str) -> bool:
        """Merge an incident again from its sources; delete it if it has none left."""
        rows = conn.execute(
            "SELECT incident_id, data FROM sources WHERE incident_id = ? ORDER BY rowid",
            (incident_id,),
        ).fetchall()
        if not rows:
            conn.execute("DELETE FROM incidents WHERE incident_id = ?", (incident_id,))
            return False
        merged = merge([self._decode(row) for row in rows], incident_id)
        row = _incident_to_row(merged)
        conn.execute(
            f"UPDATE incidents SET ({', '.join(_INCIDENT_COLUMNS[1:])}) = "
            f"({', '.join('?' * (len(_INCIDENT_COLUMNS) - 1))}) WHERE incident_id = ?",
            (*row[1:], incident_id),
        )
        return True

    def _forget_reports_of(self, conn: sqlite3.Connection, article_id: str) -> None:
        """Drop an article's reports; rebuild or drop the incidents they belonged to."""
        affected = [
            row[0]
            for row in conn.execute(
                "SELECT incident_id FROM sources WHERE article_id = ? ORDER BY rowid",
                (article_id,),
            )
        ]
        conn.execute("DELETE FROM sources WHERE article_id = ?", (article_id,))
        for incident_id in affected:
            self._rebuild(conn, incident_id)

    @contextmanager
    def _transaction(self, conn: sqlite3.Connection) -> Iterator[None]:
        """One write transaction, rolled back on any exception.

        ``BEGIN IMMEDIATE`` takes the write lock up front: a deferred transaction that
        read first could not wait for the lock and would fail with "database is locked".
        """
        try:
            conn.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as err:
            raise StoreError(
                f"cannot write to store {self._path} ({err}); expected to get the write "
                "lock within 10 s; retry when other writers are done"
            ) from err
        try:
            yield
            conn.execute("COMMIT")
        except sqlite3.Error as err:
            _rollback(conn)
            raise StoreError(
                f"cannot write to store {self._path} ({err}); nothing was changed; "
                "check free disk space and permissions"
            ) from err
        except BaseException:
            _rollback(conn)
            raise

    def _setup(self, conn: sqlite3.Connection) -> None:
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {_BUSY_TIMEOUT_MS}")
        self._check_identity(conn)  # before anything writes to someone else's file
        _enable_wal(conn)
        # In WAL mode NORMAL never corrupts the file; a power cut may lose the last commits.
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA foreign_keys = ON")
        self._migrate(conn)

    def _check_identity(self, conn: sqlite3.Connection) -> None:
        application_id = conn.execute("PRAGMA application_id").fetchone()[0]
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if application_id not in (0, _APPLICATION_ID) or (
            application_id == 0
            and conn.execute("SELECT count(*) FROM sqlite_schema").fetchone()[0] > 0
        ):
            raise StoreError(
                f"{self._path} is a SQLite database but not a geomap store; expected a "
                "store made by geomap; pass another path"
            )
        if version > SCHEMA_VERSION:
            raise StoreError(
                f"store {self._path} has schema version {version}, newer than the "
                f"{SCHEMA_VERSION} this geomap knows; expected version {SCHEMA_VERSION} "
                "or older; upgrade geomap"
            )

    def _migrate(self, conn: sqlite3.Connection) -> None:
        if conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION:
            return
        with self._transaction(conn):
            # Read again under the write lock: another process may have just migrated.
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:  # a newer geomap got there first: never downgrade
                raise StoreError(
                    f"store {self._path} has schema version {version}, newer than the "
                    f"{SCHEMA_VERSION} this geomap knows; upgrade geomap"
                )
            for target, migrate in enumerate(_MIGRATIONS[version:], version + 1):
                try:
                    migrate(conn)
                except (KeyError, TypeError, ValueError) as err:  # a damaged row
                    raise StoreError(
                        f"cannot upgrade store {self._path} to schema version {target} "
                        f"({err}); nothing was changed; expected intact incident records; "
                        "restore a backup, or re-ingest its articles into a new store"
                    ) from err
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            conn.execute(f"PRAGMA application_id = {_APPLICATION_ID}")


def _enable_wal(conn: sqlite3.Connection) -> None:
    """Switch the file to WAL (a persistent setting), waiting out other openers.

    Changing the journal mode needs the file to itself, and SQLite may answer
    "database is locked" at once instead of waiting out its busy timeout when
    another process is opening the same new store; so retry until that timeout.
    """
    deadline = time.monotonic() + _BUSY_TIMEOUT_MS / 1000
    while True:
        try:
            if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                conn.execute("PRAGMA journal_mode = WAL")
            return
        except sqlite3.OperationalError as err:
            if "locked" not in str(err) and "busy" not in str(err):
                raise
            if time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def _rollback(conn: sqlite3.Connection) -> None:
    # SQLite has already rolled back after some errors (disk full); don't fail twice.
    if conn.in_transaction:
        conn.execute("ROLLBACK")


def _nearby(conn: sqlite3.Connection, rule: DedupRule, key: Report) -> Iterator[tuple[str, int]]:
    """Stored incidents (id, age) with a report that may match ``key``: an index pre-filter.

    Complete linkage needs every report of an incident to match, so one report in the
    type, date and latitude windows is a necessary condition. Reports of one
    ``place_id`` share the gazetteer's point, so the latitude window finds them too.
    """
    assert key.point is not None  # callers check rule.mergeable(key)
    low, high = rule.latitude_window(key.point)
    sql = (
        "SELECT DISTINCT s.incident_id, i.rowid FROM sources AS s "
        "JOIN incidents AS i USING (incident_id) "
        "WHERE s.event_type = ? AND s.latitude BETWEEN ? AND ? AND "
    )
    params: list[Any] = [key.event_type, low, high]
    if key.date is None:
        sql += "s.event_date IS NULL"
    else:
        sql += "s.event_date BETWEEN ? AND ?"
        params += [_shifted(key.date, -rule.max_days), _shifted(key.date, rule.max_days)]
    yield from conn.execute(sql, params)


def _shifted(day: dt.date, days: int) -> str:
    try:
        return (day + dt.timedelta(days=days)).isoformat()
    except OverflowError:  # beyond year 1 or 9999: the window is open on that side
        return (dt.date.min if days < 0 else dt.date.max).isoformat()


def _explicit_groups(reports: Sequence[Incident]) -> list[list[Incident]]:
    """Groups without a rule: only reports with one incident id are one incident."""
    groups: dict[str, list[Incident]] = {}
    for report in reports:
        groups.setdefault(report.incident_id, []).append(report)
    return list(groups.values())


def _stored_article(row: Mapping[str, Any]) -> StoredArticle:
    return StoredArticle(
        article_id=row["article_id"],
        sha256=row["sha256"],
        title=row["title"],
        url=row["url"],
        date=dt.date.fromisoformat(row["date"]) if row["date"] else None,
        source=row["source"],
        added_at=dt.datetime.fromisoformat(row["added_at"]),
    )


# --- tables ------------------------------------------------------------------------

#: ``acled_frame`` columns: ACLED's names where ACLED has the field, then geomap's own.
ACLED_COLUMNS = (
    "event_id_cnty",
    "event_date",
    "year",
    "time_precision",
    "event_type",
    "sub_event_type",
    "actor1",
    "inter1",
    "actor2",
    "inter2",
    "interaction",
    "country",
    "location",
    "latitude",
    "longitude",
    "geo_precision",
    "source",
    "notes",
    "fatalities",
    "timestamp",
    # not in ACLED's exports
    "country_code",
    "admin1_code",
    "injured",
    "confidence",
    "source_count",
    "article_ids",
    "source_urls",
    "evidence",
    "incident_id",
)
# ACLED's time_precision: 1 the day is known, 2 the week, 3 only the month (or less).
_ACLED_TIME_PRECISION = {"day": 1, "week": 2, "month": 3, "year": 3}


def acled_frame(
    records: Sequence[IncidentRecord], country_names: Mapping[str, str] | None = None
) -> Any:
    """A pandas DataFrame with one ACLED-style row per incident (:data:`ACLED_COLUMNS`).

    ``event_id_cnty`` is the country code and the incident id; ``source`` the sources'
    web hosts (or article ids), ``notes`` the merged incident's evidence sentence and
    ``evidence`` every source's, joined by `` | ``; ``timestamp`` is when its newest
    source was stored (Unix seconds). ``country_names`` maps ISO codes to names.
    """
    import pandas as pd

    names = country_names or {}
    rows = []
    for record in records:
        incident = record.incident
        place = incident.location.place if incident.location is not None else None
        point = incident.point
        code = place.country_code if place is not None else None
        inter1 = incident.actor1.inter if incident.actor1 else None
        inter2 = incident.actor2.inter if incident.actor2 else None
        articles = [source.article for source in record.sources]
        rows.append(
            {
                "event_id_cnty": f"{code or 'XX'}-{incident.incident_id}",
                "event_date": incident.date,
                "year": incident.date.year if incident.date else None,
                "time_precision": _ACLED_TIME_PRECISION.get(incident.time_precision or ""),
                "event_type": incident.event_type,
                "sub_event_type": incident.sub_event_type,
                "actor1": incident.actor1.name if incident.actor1 else None,
                "inter1": inter1,
                "actor2": incident.actor2.name if incident.actor2 else None,
                "inter2": inter2,
                "interaction": _interaction(inter1, inter2),
                "country": names.get(code) if code else None,
                "location": place.name if place else None,
                "latitude": point.lat if point else None,
                "longitude": point.lon if point else None,
                "geo_precision": incident.geo_precision,
                "source": "; ".join(dict.fromkeys(_outlet(a) for a in articles)),
                "notes": incident.evidence,
                "fatalities": incident.fatalities,
                "timestamp": max((int(a.added_at.timestamp()) for a in articles), default=None),
                "country_code": code,
                "admin1_code": place.admin1 if place else None,
                "injured": incident.injured,
                "confidence": incident.confidence,
                "source_count": len(record.sources),
                "article_ids": "; ".join(a.article_id for a in articles),
                "source_urls": "; ".join(a.url for a in articles if a.url),
                "evidence": " | ".join(s.evidence for s in record.sources),
                "incident_id": incident.incident_id,
            }
        )
    frame = pd.DataFrame(rows, columns=list(ACLED_COLUMNS))
    # Counts stay integers with gaps (pandas would make them floats).
    for column in (
        "year",
        "time_precision",
        "inter1",
        "inter2",
        "interaction",
        "geo_precision",
        "fatalities",
        "timestamp",
        "injured",
        "source_count",
    ):
        frame[column] = frame[column].astype("Int64")
    return frame


def _interaction(inter1: int | None, inter2: int | None) -> int | None:
    """ACLED's interaction code: the two inter codes, smaller first (10 for one actor)."""
    if inter1 is None and inter2 is None:
        return None
    if inter1 is None or inter2 is None:
        return 10 * (inter1 if inter1 is not None else inter2 or 0)
    low, high = sorted((inter1, inter2))
    return 10 * low + high


def _outlet(article: StoredArticle) -> str:
    """Who published an article: its URL's host, or else its id."""
    if article.url:
        from urllib.parse import urlsplit

        host = urlsplit(article.url).hostname
        if host:
            return host.removeprefix("www.")
    return article.article_id


# --- sources -----------------------------------------------------------------------

_SOURCE_COLUMNS = (
    "incident_id",
    "article_id",
    "report_id",
    "evidence",
    "evidence_start",
    "evidence_end",
    "event_type",
    "event_date",
    "place_id",
    "latitude",
    "longitude",
    "geo_precision",
    "actor1",
    "actor2",
    "data",
)
_INSERT_SOURCE = (
    f"INSERT INTO sources ({', '.join(_SOURCE_COLUMNS)}) "
    f"VALUES ({', '.join('?' * len(_SOURCE_COLUMNS))})"
)
# What the rule compares (geomap.dedup.Report), read without decoding JSON.
_REPORT_COLUMNS = (
    "incident_id",
    "article_id",
    "event_type",
    "event_date",
    "place_id",
    "latitude",
    "longitude",
    "geo_precision",
    "actor1",
    "actor2",
)
_SELECT_SOURCES = (
    "SELECT s.incident_id, s.evidence, s.evidence_start, s.evidence_end, s.data, "
    "a.article_id, a.sha256, a.title, a.url, a.date, a.source, a.added_at "
    "FROM sources AS s JOIN articles AS a USING (article_id)"
)


def _source_values(report: Incident) -> tuple[Any, ...]:
    """A ``sources`` row for one article's report, without the leading ``incident_id``."""
    place = report.location.place if report.location is not None else None
    point = report.point
    return (
        report.article_id,
        report.incident_id,
        report.evidence,
        report.evidence_span.start,
        report.evidence_span.end,
        report.event_type,
        _iso(report.date),
        place.place_id if place is not None else None,
        point.lat if point else None,
        point.lon if point else None,
        report.geo_precision,
        report.actor1.name if report.actor1 else None,
        report.actor2.name if report.actor2 else None,
        _JSON.encode(_codec(Incident).encode(report)),
    )


def _report_from_row(row: Mapping[str, Any]) -> Report:
    lat, lon = row["latitude"], row["longitude"]
    return Report(
        article_id=row["article_id"],
        event_type=row["event_type"],
        date=dt.date.fromisoformat(row["event_date"]) if row["event_date"] else None,
        place_id=row["place_id"],
        point=LatLon(lat, lon) if lat is not None and lon is not None else None,
        geo_precision=row["geo_precision"],
        actor1=actor_key(row["actor1"]),
        actor2=actor_key(row["actor2"]),
    )


# --- serialisation -----------------------------------------------------------------

_INCIDENT_COLUMNS = (
    "incident_id",
    "event_date",
    "time_precision",
    "event_type",
    "sub_event_type",
    "actor1",
    "inter1",
    "actor2",
    "inter2",
    "country_code",
    "admin1_code",
    "location",
    "latitude",
    "longitude",
    "geo_precision",
    "fatalities",
    "injured",
    "confidence",
    "evidence",
    "data",
)


# One encoder for all rows: json.dumps with options builds a new one per call.
_JSON = json.JSONEncoder(ensure_ascii=False, allow_nan=False)


def _incident_to_row(incident: Incident) -> tuple[Any, ...]:
    """The ``incidents`` row for an incident, in ``_INCIDENT_COLUMNS`` order."""
    mention = incident.location
    place = mention.place if mention is not None else None
    point = incident.point
    row = (
        incident.incident_id,
        _iso(incident.date),
        incident.time_precision,
        incident.event_type,
        incident.sub_event_type,
        incident.actor1.name if incident.actor1 else None,
        incident.actor1.inter if incident.actor1 else None,
        incident.actor2.name if incident.actor2 else None,
        incident.actor2.inter if incident.actor2 else None,
        place.country_code if place else None,
        place.admin1 if place else None,
        place.name if place else (mention.text if mention else None),
        point.lat if point else None,
        point.lon if point else None,
        incident.geo_precision,
        incident.fatalities,
        incident.injured,
        incident.confidence,
        incident.evidence,
        _JSON.encode(_codec(Incident).encode(incident)),
    )
    return row


def _incident_from_row(row: Mapping[str, Any]) -> Incident:
    """Rebuild the Incident from a row's ``data`` JSON.

    >>> from geomap.model import Span
    >>> incident = Incident("i1", "a1", "Explosions/Remote violence", "Air/drone strike",
    ...                     "test", Span(0, 5), "Drone", Span(0, 5), 0.9)
    >>> row = dict(zip(_INCIDENT_COLUMNS, _incident_to_row(incident)))
    >>> _incident_from_row(row) == incident
    True
    """
    return _codec(Incident).decode(json.loads(row["data"]))


def _iso(value: dt.date | None) -> str | None:
    return value.isoformat() if value is not None else None


class _Codec(typing.NamedTuple):
    """Converts values of one type to JSON-ready data and back."""

    encode: Callable[[Any], Any]
    decode: Callable[[Any], Any]


def _same(value: Any) -> Any:
    return value


@functools.cache
def _codec(hint: Any) -> _Codec:
    """The codec for a type hint, built once from the model's annotations.

    Dataclasses become dicts of their fields, dates ISO strings, enums their values,
    tuples lists. Built per type rather than walking each value, because the store
    encodes and decodes every incident. A field missing from stored JSON takes its
    default, so incidents stored before a field was added to the model still load.
    """
    origin = typing.get_origin(hint)
    if origin in (types.UnionType, typing.Union):
        options = [arg for arg in typing.get_args(hint) if arg is not type(None)]
        if len(options) != 1:
            raise TypeError(f"cannot store a value of type {hint}")
        inner = _codec(options[0])
        return _Codec(
            lambda value: None if value is None else inner.encode(value),
            lambda data: None if data is None else inner.decode(data),
        )
    if origin is tuple:
        item = _codec(typing.get_args(hint)[0])  # tuple[X, ...]
        return _Codec(
            lambda value: [item.encode(v) for v in value],
            lambda data: tuple(item.decode(d) for d in data),
        )
    if dataclasses.is_dataclass(hint):
        # model.py postpones annotations, so the hints are strings until resolved here.
        hints = typing.get_type_hints(hint)
        fields = [(f.name, _codec(hints[f.name])) for f in dataclasses.fields(hint)]

        def encode(value: Any) -> dict[str, Any]:
            return {name: codec.encode(getattr(value, name)) for name, codec in fields}

        def decode(data: dict[str, Any]) -> Any:
            return hint(
                **{name: codec.decode(data[name]) for name, codec in fields if name in data}
            )

        return _Codec(encode, decode)
    if isinstance(hint, type) and issubclass(hint, Enum):
        members = {member.value: member for member in hint}  # faster than calling hint()
        return _Codec(lambda value: value.value, lambda data: members.get(data) or hint(data))
    if hint is dt.datetime:
        return _Codec(dt.datetime.isoformat, dt.datetime.fromisoformat)
    if hint is dt.date:
        return _Codec(dt.date.isoformat, dt.date.fromisoformat)
    if hint is float:
        return _Codec(_same, float)  # JSON may hand back 1 for 1.0
    if hint in (str, int, bool):
        return _Codec(_same, _same)
    raise TypeError(f"cannot store a value of type {hint}")
