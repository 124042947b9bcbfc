"""Many articles into the store: folders and corpora in, extraction on one or many
processes (or a Dask cluster), one writer.

:func:`ingest` reads every article under the inputs (folders are searched for
``.txt``, ``.html`` and ``.jsonl`` files; globs are expanded), sends them in chunks
to an extraction engine, and stores each article's incidents, in input order, from
the calling process: SQLite sees a single writer however many processes extract.

Engines (:func:`extract_all`):

``local``
    In this process (``workers=1``, the default), or in a pool of ``workers``
    processes (:mod:`concurrent.futures`).
``dask``
    On a Dask cluster (:mod:`distributed`): a ``LocalCluster`` of ``workers``
    processes (default: this machine's cores), or the existing cluster whose
    scheduler is at ``scheduler``. Workers need geomap installed.

Every worker process loads the gazetteer once (:func:`~geomap.gazetteer.default_gazetteer`
caches it per process) and keeps it for every chunk it is given. Results come back
as plain lists of :class:`~geomap.model.Incident`, so every engine gives the same
incidents, article by article, and the same store.

A bad input never stops a batch: unreadable files, bad JSONL lines, an id seen twice
with different texts and extraction errors (:class:`~geomap.errors.GeomapError`) are
reported through ``on_skip`` and counted in the :class:`Summary`. Anything else is a
bug and stops the batch; every article stored until then stays stored, and running
the batch again skips them (adding an unchanged article changes nothing).

>>> import tempfile, pathlib
>>> from geomap.store import IncidentStore
>>> with tempfile.TemporaryDirectory() as tmp:
...     folder = pathlib.Path(tmp)
...     _ = (folder / "a.txt").write_text("A drone struck Erbil airport on Monday.")
...     with IncidentStore(folder / "store.sqlite") as store:
...         summary = ingest([str(folder)], store)
>>> summary.read, summary.added, summary.skipped
(1, 1, [])
"""

from __future__ import annotations

import collections
import concurrent.futures
import dataclasses
import datetime as dt
import functools
import glob
import hashlib
import logging
import multiprocessing
import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from geomap.errors import ArticleError, ArticleNotFound, GeomapError
from geomap.model import Article, Incident
from geomap.store import Added, IncidentStore

__all__ = [
    "ENGINES",
    "SchedulerUnavailable",
    "Skipped",
    "Summary",
    "article_paths",
    "extract",
    "extract_all",
    "ingest",
    "read_all",
]

Engine = Literal["local", "dask"]
ENGINES: tuple[Engine, ...] = ("local", "dask")

#: Suffixes taken from folders (a file named on the command line may have any).
SUFFIXES = frozenset({".txt", ".html", ".htm", ".jsonl", ".ndjson"})
# Articles per task, (first, largest): chunks start small, so that a short batch still
# keeps every worker busy, and double up to the largest, so that on a long one task
# overhead is small next to extraction (a few ms per article). A Dask task costs more
# (scheduler round trips, on the same machine with a LocalCluster), so it grows more.
_CHUNK = {"local": (8, 64), "dask": (16, 256)}
# Chunks in flight per worker: keeps workers fed while bounding memory on huge inputs.
_IN_FLIGHT_PER_WORKER = 3
_CONNECT_TIMEOUT = "10s"  # to an existing Dask scheduler


class SchedulerUnavailable(GeomapError, ConnectionError):
    """The Dask scheduler given cannot be reached."""


@dataclass(frozen=True, slots=True)
class Skipped:
    """An input or article left out of a batch, and why.

    ``kind`` is the error's class name (``InputFormatError``, ``EmptyArticle`` ...).
    """

    source: str
    reason: str
    kind: str

    @classmethod
    def of(cls, source: str, err: BaseException) -> Skipped:
        return cls(source, str(err), type(err).__name__)

    @property
    def message(self) -> str:
        """One line naming the input once (most reasons already name it)."""
        return self.reason if self.source in self.reason else f"{self.source}: {self.reason}"


@dataclass(slots=True)
class Summary:
    """Counts for one :func:`ingest` run.

    ``read`` articles were read; each was ``added`` (new), ``updated`` (new text for
    a known id) or ``unchanged``, or skipped. Their incidents (``reports``) started
    ``new`` incidents or were ``merged`` into incidents already stored.
    """

    read: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    reports: int = 0
    new: int = 0
    merged: int = 0
    skipped: list[Skipped] = dataclasses.field(default_factory=list)
    seconds: float = 0.0

    def count(self, added: Added) -> None:
        if added.status == "added":
            self.added += 1
        elif added.status == "updated":
            self.updated += 1
        else:
            self.unchanged += 1
        self.reports += added.reports
        self.new += added.new
        self.merged += added.merged

    def lines(self) -> list[str]:
        """A human summary, a few lines long."""
        rate = f", {self.read / self.seconds:,.1f} articles/s" if self.seconds > 0 else ""
        lines = [
            f"read {self.read} article(s) in {self.seconds:.1f} s{rate}: {self.added} added, "
            f"{self.updated} updated, {self.unchanged} unchanged, "
            f"{len(self.skipped)} skipped",
            f"incidents: {self.reports} found, {self.new} stored as new, "
            f"{self.merged} merged into incidents other articles report",
        ]
        if self.skipped:
            kinds = collections.Counter(s.kind for s in self.skipped)
            lines.append("skipped: " + ", ".join(f"{n} {kind}" for kind, n in kinds.most_common()))
        return lines


OnSkip = Callable[[Skipped], None]


# --- reading -----------------------------------------------------------------------


def article_paths(inputs: Iterable[str]) -> Iterator[str | Skipped]:
    """Files to read, in order: folders searched, globs expanded, each file once.

    Folders are searched recursively for :data:`SUFFIXES`, skipping hidden files and
    folders (editors' and atomic writers' temporary files start with a dot); ``-`` is
    stdin. An input that names nothing comes back as a :class:`Skipped`.
    """
    seen: set[Path] = set()

    def once(path: Path) -> bool:
        key = path.resolve()
        if key in seen:
            return False
        seen.add(key)
        return True

    for item in inputs:
        if item == "-":
            yield item
            continue
        path = Path(item)
        if path.is_dir():
            found = sorted(_folder_files(path))
            if not found:
                yield Skipped(item, f"{item} holds no .txt, .html or .jsonl file", "NoArticles")
            yield from (str(p) for p in found if once(p))
        elif path.exists():
            if once(path):
                yield item
        elif glob.has_magic(item):
            matches = sorted(glob.glob(item, recursive=True))
            if not matches:
                yield Skipped(item, f"{item} matches no file", "NoArticles")
            for match in matches:
                match_path = Path(match)
                if match_path.is_dir():
                    yield from (str(p) for p in sorted(_folder_files(match_path)) if once(p))
                elif once(match_path):
                    yield match
        else:
            err = ArticleNotFound(f"{item} does not exist; expected a file, folder or glob")
            yield Skipped.of(item, err)


def _folder_files(folder: Path) -> Iterator[Path]:
    for path in folder.rglob("*"):
        relative = path.relative_to(folder).parts
        if (
            path.suffix.lower() in SUFFIXES
            and not any(part.startswith(".") for part in relative)
            and path.is_file()
        ):
            yield path


def read_all(
    inputs: Iterable[str], *, date: dt.date | None = None, on_skip: OnSkip | None = None
) -> Iterator[Article]:
    """Every article under ``inputs``; bad files and lines go to ``on_skip``.

    An article id met again with a different text is skipped (two files named
    ``x.txt`` in different folders would otherwise replace each other's incidents).
    """
    from geomap.articles import read_articles

    def skip(item: Skipped) -> None:
        if on_skip is not None:
            on_skip(item)

    texts: dict[str, bytes] = {}  # article id -> digest of its text, for the duplicate check
    for entry in article_paths(inputs):
        if isinstance(entry, Skipped):
            skip(entry)
            continue
        try:
            for article in read_articles(
                entry,
                date=date,
                skip_bad=True,
                on_skip=lambda err, entry=entry: skip(Skipped.of(entry, err)),
            ):
                digest = hashlib.blake2b(article.text.encode("utf-8"), digest_size=16).digest()
                first = texts.setdefault(article.article_id, digest)
                if first != digest:
                    skip(
                        Skipped(
                            f"{entry}: {article.article_id}",
                            f"article id {article.article_id!r} was already read with another "
                            "text in this batch; expected unique ids; rename one of them",
                            "DuplicateId",
                        )
                    )
                    continue
                yield article
        except ArticleError as err:  # the file as a whole: missing, binary, too big
            skip(Skipped.of(entry, err))


# --- extraction --------------------------------------------------------------------


def extract(article: Article) -> list[Incident]:
    """The article's incidents, with this process's gazetteer (loaded once per process)."""
    from geomap.gazetteer import default_gazetteer
    from geomap.incidents import find_incidents
    from geomap.places import find_places

    gazetteer = default_gazetteer()
    return find_incidents(article, find_places(article, gazetteer), gazetteer)


def _extract_chunk(articles: Sequence[Article]) -> list[list[Incident] | Skipped]:
    """A worker's task: each article's incidents, or why it was skipped."""
    out: list[list[Incident] | Skipped] = []
    for article in articles:
        try:
            out.append(extract(article))
        except GeomapError as err:
            out.append(Skipped.of(_label(article), err))
    return out


def _label(article: Article) -> str:
    if article.source and article.source != "-":
        return f"{article.source}: {article.article_id}"
    return article.article_id


def worker_state() -> tuple[int, int]:
    """``(pid, id of the gazetteer)`` of the calling process, for tests of reuse."""
    from geomap.gazetteer import default_gazetteer

    return os.getpid(), id(default_gazetteer())


def extract_all(
    articles: Iterable[Article],
    *,
    engine: Engine = "local",
    workers: int | None = None,
    scheduler: str | None = None,
    chunk_size: int | None = None,
) -> Iterator[tuple[Article, list[Incident] | Skipped]]:
    """Each article with its incidents (or why it was skipped), in input order.

    Parameters
    ----------
    articles
        Read lazily: only a few chunks per worker are in flight at once.
    engine
        ``local`` or ``dask`` (see the module docstring).
    workers
        Processes: default 1 for ``local``, the machine's cores for a local Dask
        cluster; unused with ``scheduler``.
    scheduler
        Address of an existing Dask scheduler (``tcp://host:8786``).
    chunk_size
        Articles per task; by default chunks grow from 8 to 64 (``local``) or from
        16 to 256 (``dask``) articles.

    Raises
    ------
    SchedulerUnavailable
        ``scheduler`` cannot be reached.
    """
    if engine not in ENGINES:
        raise ValueError(f"engine {engine!r} is not one of {', '.join(ENGINES)}")
    if engine == "local" and scheduler is not None:
        raise ValueError("a scheduler address needs engine='dask'")
    if workers is not None and workers < 1:
        raise ValueError(f"workers must be at least 1, not {workers}")
    if chunk_size is not None and chunk_size < 1:
        raise ValueError(f"chunk_size must be at least 1, not {chunk_size}")
    sizes = _CHUNK[engine] if chunk_size is None else (chunk_size, chunk_size)
    return _extract_all(articles, engine, workers, scheduler, sizes)


def _extract_all(
    articles: Iterable[Article],
    engine: Engine,
    workers: int | None,
    scheduler: str | None,
    sizes: tuple[int, int],
) -> Iterator[tuple[Article, list[Incident] | Skipped]]:
    if engine == "local" and (workers or 1) == 1:
        for chunk in _chunks(articles, sizes):
            yield from zip(chunk, _extract_chunk(chunk), strict=True)
        return
    if engine == "local":
        assert workers is not None
        # spawn, not fork: the parent may hold threads (tqdm) and an open SQLite file.
        context = multiprocessing.get_context("spawn")
        with concurrent.futures.ProcessPoolExecutor(workers, mp_context=context) as pool:
            try:
                yield from _ordered(
                    functools.partial(pool.submit, _extract_chunk), articles, sizes, workers
                )
            finally:
                pool.shutdown(wait=True, cancel_futures=True)
        return
    with _DaskClient(workers, scheduler) as client:
        n_workers = max(1, len(client.scheduler_info().get("workers", {})))

        def submit(chunk: Sequence[Article]) -> Any:
            # pure=False: two equal chunks are still two tasks (no result sharing).
            return client.submit(_extract_chunk, chunk, pure=False)

        yield from _ordered(submit, articles, sizes, n_workers)


def _chunks(articles: Iterable[Article], sizes: tuple[int, int]) -> Iterator[list[Article]]:
    """Lists of articles, ``sizes[0]`` long at first, doubling up to ``sizes[1]``.

    >>> [len(c) for c in _chunks([Article(str(n), "x") for n in range(30)], (2, 8))]
    [2, 4, 8, 8, 8]
    """
    size, largest = sizes
    chunk: list[Article] = []
    for article in articles:
        chunk.append(article)
        if len(chunk) == size:
            yield chunk
            chunk = []
            size = min(2 * size, largest)
    if chunk:
        yield chunk


def _ordered(
    submit: Callable[[Sequence[Article]], Any],
    articles: Iterable[Article],
    sizes: tuple[int, int],
    workers: int,
) -> Iterator[tuple[Article, list[Incident] | Skipped]]:
    """Submit chunks ahead, a bounded number at a time; yield results in input order."""
    pending: collections.deque[tuple[list[Article], Any]] = collections.deque()
    window = workers * _IN_FLIGHT_PER_WORKER
    try:
        for chunk in _chunks(articles, sizes):
            pending.append((chunk, submit(chunk)))
            while len(pending) >= window:
                done, future = pending.popleft()
                yield from zip(done, future.result(), strict=True)
        while pending:
            done, future = pending.popleft()
            yield from zip(done, future.result(), strict=True)
    finally:
        for _chunk, future in pending:  # stopped early (error, Ctrl-C): drop the rest
            future.cancel()


class _DaskClient:
    """A Dask client on a new LocalCluster, or on the scheduler at ``scheduler``."""

    def __init__(self, workers: int | None, scheduler: str | None) -> None:
        self._workers = workers
        self._scheduler = scheduler
        self._cluster: Any = None
        self._client: Any = None

    def __enter__(self) -> Any:
        try:
            import dask
            from distributed import Client, LocalCluster
        except ImportError as err:
            raise GeomapError(
                "the dask engine needs dask's distributed package; expected it installed; "
                "pip install 'dask[distributed]'"
            ) from err
        if self._scheduler is not None:
            try:
                self._client = Client(self._scheduler, timeout=_CONNECT_TIMEOUT)
            except (OSError, TimeoutError, ValueError) as err:
                raise SchedulerUnavailable(
                    f"cannot reach the Dask scheduler at {self._scheduler} ({err}); expected "
                    "a running scheduler, e.g. tcp://10.0.0.5:8786; start one with "
                    "`dask scheduler`, or leave out --scheduler for a local cluster"
                ) from err
            return self._client
        # The workers' sampling profiler takes the GIL every 10 ms: a fifth slower
        # extraction, for a dashboard nobody looks at during a batch.
        with dask.config.set({"distributed.worker.profile.enabled": False}):
            self._cluster = LocalCluster(
                n_workers=self._workers or os.cpu_count() or 1,
                threads_per_worker=1,  # extraction is pure Python: threads share the GIL
                processes=True,
                dashboard_address=None,  # no dashboard for a batch job
                # and its small HTTP server on any free port, not 8787 (may be taken)
                scheduler_kwargs={"dashboard_address": ":0"},
                silence_logs=logging.ERROR,
            )
        self._client = Client(self._cluster)
        return self._client

    def __exit__(self, *exc_info: object) -> None:
        if self._client is not None:
            self._client.close()
        if self._cluster is not None:
            self._cluster.close()


# --- the batch ---------------------------------------------------------------------


def ingest(
    inputs: Iterable[str],
    store: IncidentStore,
    *,
    date: dt.date | None = None,
    engine: Engine = "local",
    workers: int | None = None,
    scheduler: str | None = None,
    chunk_size: int | None = None,
    progress: Callable[[Iterable[Any]], Iterable[Any]] | None = None,
    on_skip: OnSkip | None = None,
) -> Summary:
    """Read, extract and store every article under ``inputs``; see the module docstring.

    Parameters
    ----------
    inputs
        Files (``.txt``, ``.html``, ``.jsonl``), folders, globs, or ``-`` for stdin.
    store
        An open store; only this process writes to it.
    date
        Publication date for every article (overrides the inputs' own).
    engine, workers, scheduler, chunk_size
        Where extraction runs; see :func:`extract_all`.
    progress
        Wraps the stream of stored articles (e.g. a tqdm bar).
    on_skip
        Called with each input or article left out, as it happens.
    """
    summary = Summary()
    started = time.perf_counter()

    def skip(item: Skipped) -> None:
        summary.skipped.append(item)
        if on_skip is not None:
            on_skip(item)

    def counted(articles: Iterable[Article]) -> Iterator[Article]:
        for article in articles:
            summary.read += 1
            yield article

    results: Iterable[tuple[Article, list[Incident] | Skipped]] = extract_all(
        counted(read_all(inputs, date=date, on_skip=skip)),
        engine=engine,
        workers=workers,
        scheduler=scheduler,
        chunk_size=chunk_size,
    )
    if progress is not None:
        results = progress(results)
    try:
        for article, outcome in results:
            if isinstance(outcome, Skipped):
                skip(outcome)
            else:
                summary.count(store.add(article, outcome))
    finally:
        summary.seconds = time.perf_counter() - started
    return summary
