"""The persistent incident store: one SQLite file that batches of articles add to.

Layout (schema version 1, kept in ``PRAGMA user_version``):

``articles``
    One row per article id: the SHA-256 of its text and its metadata.
``incidents``
    One row per ``incident_id``, with ACLED-named columns for querying with SQL
    (``event_date``, ``event_type``, ``actor1``, ``inter1``, ``latitude`` ...) and a
    ``data`` column holding the whole :class:`~geomap.model.Incident` as JSON,
    which is what :meth:`IncidentStore.incidents` reads back.
``sources``
    Which articles report which incident, with the evidence sentence and its
    offsets. An incident may have several sources, so that deduplicating incidents
    across articles can later add sources to an existing incident instead of
    storing it twice.

Every :meth:`IncidentStore.add_article` is one ``BEGIN IMMEDIATE`` transaction:
a process killed half-way leaves the article entirely stored or entirely absent,
and concurrent writers queue for up to ``busy_timeout`` instead of failing.

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
import types
import typing
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import Any

from geomap.errors import StoreError
from geomap.model import Article, Incident

__all__ = ["SCHEMA_VERSION", "IncidentStore", "StoredArticle"]

# Marks the file as a geomap store ("geom"), so another program's SQLite file is
# refused instead of having tables added to it.
_APPLICATION_ID = 0x67656F6D
_BUSY_TIMEOUT_MS = 10_000


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


#: Migration ``i`` takes a store from schema version ``i`` to ``i + 1``. To change the
#: schema, append one function; stores on disk are upgraded when opened.
_MIGRATIONS: tuple[Callable[[sqlite3.Connection], None], ...] = (_migrate_to_1,)

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

    Examples
    --------
    >>> store = IncidentStore("incidents.sqlite")
    >>> store.path.name
    'incidents.sqlite'
    """

    def __init__(self, path: str | Path) -> None:
        self._path = Path(path)
        self._conn: sqlite3.Connection | None = None

    @property
    def path(self) -> Path:
        return self._path

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

    def add_article(self, article: Article, incidents: Sequence[Incident]) -> bool:
        """Store an article and the incidents found in it, in one transaction.

        Adding the same article again (same id, same text) changes nothing. The same
        id with a different text is an updated article: its metadata is replaced and
        the incidents it reported are replaced by ``incidents``, all in the same
        transaction; an incident that another article also reports keeps that source.
        An ``incident_id`` that is already stored (reported by another article) is not
        overwritten; this article is added as one more of its sources.

        Parameters
        ----------
        article
            The article the incidents were found in.
        incidents
            Its incidents; each must have ``article_id == article.article_id``.

        Returns
        -------
        bool
            False if this exact article was already stored, True otherwise.

        Raises
        ------
        ValueError
            An incident belongs to another article.
        StoreError
            The store is not open, or the write failed (disk full, read-only).
        """
        conn = self._connection()
        incidents = tuple(incidents)  # iterated several times below
        for incident in incidents:
            if incident.article_id != article.article_id:
                raise ValueError(
                    f"incident {incident.incident_id} belongs to article "
                    f"{incident.article_id!r}, not {article.article_id!r}"
                )
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
        incident_rows = [_incident_to_row(incident) for incident in incidents]
        source_rows = [
            (
                incident.incident_id,
                article.article_id,
                incident.evidence,
                incident.evidence_span.start,
                incident.evidence_span.end,
            )
            for incident in incidents
        ]
        with self._transaction(conn):
            stored = conn.execute(
                "SELECT sha256 FROM articles WHERE article_id = ?", (article.article_id,)
            ).fetchone()
            if stored is not None and stored["sha256"] == sha256:
                return False
            if stored is None:
                conn.execute(
                    "INSERT INTO articles (sha256, title, url, date, source, added_at, "
                    "article_id) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    article_row,
                )
            else:
                _forget_incidents_of(conn, article.article_id)
                conn.execute(
                    "UPDATE articles SET sha256 = ?, title = ?, url = ?, date = ?, "
                    "source = ?, added_at = ? WHERE article_id = ?",
                    article_row,
                )
            conn.executemany(
                f"INSERT OR IGNORE INTO incidents ({', '.join(_INCIDENT_COLUMNS)}) "
                f"VALUES ({', '.join('?' * len(_INCIDENT_COLUMNS))})",
                incident_rows,
            )
            conn.executemany(
                "INSERT OR IGNORE INTO sources (incident_id, article_id, evidence, "
                "evidence_start, evidence_end) VALUES (?, ?, ?, ?, ?)",
                source_rows,
            )
        return True

    def incidents(self) -> list[Incident]:
        """Every stored incident, in the order they were first stored."""
        conn = self._connection()
        rows = conn.execute("SELECT incident_id, data FROM incidents ORDER BY rowid")
        return [self._decode(row) for row in rows]

    def articles(self) -> list[StoredArticle]:
        """Every stored article record, in the order they were first stored."""
        conn = self._connection()
        rows = conn.execute(
            "SELECT article_id, sha256, title, url, date, source, added_at "
            "FROM articles ORDER BY rowid"
        )
        return [
            StoredArticle(
                article_id=row["article_id"],
                sha256=row["sha256"],
                title=row["title"],
                url=row["url"],
                date=dt.date.fromisoformat(row["date"]) if row["date"] else None,
                source=row["source"],
                added_at=dt.datetime.fromisoformat(row["added_at"]),
            )
            for row in rows
        ]

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
        conn.execute("PRAGMA journal_mode = WAL")
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
            for migrate in _MIGRATIONS[version:]:
                migrate(conn)
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
            conn.execute(f"PRAGMA application_id = {_APPLICATION_ID}")


def _rollback(conn: sqlite3.Connection) -> None:
    # SQLite has already rolled back after some errors (disk full); don't fail twice.
    if conn.in_transaction:
        conn.execute("ROLLBACK")


def _forget_incidents_of(conn: sqlite3.Connection, article_id: str) -> None:
    """Drop an article's sources, and the incidents no other article reports."""
    reported = conn.execute(
        "SELECT incident_id FROM sources WHERE article_id = ?", (article_id,)
    ).fetchall()
    conn.execute("DELETE FROM sources WHERE article_id = ?", (article_id,))
    conn.executemany(
        "DELETE FROM incidents WHERE incident_id = ? AND NOT EXISTS "
        "(SELECT 1 FROM sources WHERE sources.incident_id = incidents.incident_id)",
        [(row["incident_id"],) for row in reported],
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
