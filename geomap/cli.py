"""The ``geomap`` command line.

stdout carries data only (GeoJSON text sequences by default); logs and progress
go to stderr. Domain errors become one line and exit code 1; usage errors exit 2.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import os
import sys
import time
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING

import click

from geomap._atomic import atomic_text, refuse_existing
from geomap.errors import GeomapError

if TYPE_CHECKING:
    from geomap.model import Article, Incident, PlaceMention

__all__ = ["main"]


def _date(ctx: click.Context, param: click.Parameter, value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(
            f"{value!r} is not a date; expected YYYY-MM-DD, e.g. 2020-01-08"
        ) from None


articles_arg = click.argument("articles", nargs=-1, required=True, metavar="ARTICLE...")
date_opt = click.option(
    "--date",
    callback=_date,
    metavar="YYYY-MM-DD",
    help="Publication date, to resolve 'late Tuesday' and the like (overrides the input's).",
)
collection_opt = click.option(
    "--collection", is_flag=True, help="Write one FeatureCollection instead of a text sequence."
)
rs_opt = click.option("--rs", is_flag=True, help="Prefix each feature with RS (RFC 8142).")
output_opt = click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to this file instead of stdout (atomically).",
)
overwrite_opt = click.option("--overwrite", is_flag=True, help="Replace an existing output file.")


def _log(message: str) -> None:
    click.echo(message, err=True)


def _iter_articles(sources: Iterable[str], date: dt.date | None) -> Iterator[Article]:
    from geomap.articles import read_articles

    for source in sources:
        yield from read_articles(source, date=date)


def _progress(items: Iterable, label: str) -> Iterable:
    """A progress bar on stderr, only when stderr is a terminal."""
    if not sys.stderr.isatty():
        return items
    from tqdm import tqdm

    return tqdm(items, desc=label, unit=" articles", file=sys.stderr, leave=False)


@contextlib.contextmanager
def atomic_output(path: Path | None, overwrite: bool) -> Iterator[IO[str]]:
    """stdout, or a temp file renamed over ``path`` only once fully written."""
    if path is None:
        yield sys.stdout
        return
    with atomic_text(path, overwrite=overwrite) as fh:
        yield fh


def _extract(articles: Iterable[Article], with_incidents: bool):
    from geomap.gazetteer import default_gazetteer
    from geomap.places import find_places

    gazetteer = default_gazetteer()
    # the gazetteer lives as long as the process: keep the garbage collector from
    # re-scanning its hundreds of thousands of objects on every collection
    gc.freeze()
    for article in articles:
        mentions = find_places(article, gazetteer)
        incidents: list[Incident] = []
        if with_incidents:
            from geomap.incidents import find_incidents

            incidents = find_incidents(article, mentions, gazetteer)
        yield article, mentions, incidents


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="geomap")
def cli() -> None:
    """Geolocate places and incidents in conflict news, offline.

    \b
    $ geomap places seeds/000_445be07204acb7d5.txt
    $ geomap events article.txt --date 2020-01-08 --collection > events.geojson
    $ geomap map article.txt -o maps/article.html --open
    """


@cli.command()
@articles_arg
@date_opt
@collection_opt
@rs_opt
@output_opt
@overwrite_opt
def places(articles, date, collection, rs, output, overwrite) -> None:
    """Write every place the articles name as GeoJSON features (kind: place).

    ARTICLE is a .txt, .html or .jsonl file, or - for stdin.

    \b
    $ geomap places seeds/000_445be07204acb7d5.txt | head -n 3
    """
    from geomap.geojson import encode_place_feature, write_encoded

    def features():
        for _article, mentions, _ in _extract(
            _progress(_iter_articles(articles, date), "places"), False
        ):
            yield from map(encode_place_feature, mentions)

    with atomic_output(output, overwrite) as fh:
        write_encoded(features(), fh, collection=collection, rs=rs)


@cli.command()
@articles_arg
@date_opt
@collection_opt
@rs_opt
@output_opt
@overwrite_opt
@click.option("--with-places", is_flag=True, help="Also write the place features.")
def events(articles, date, collection, rs, output, overwrite, with_places) -> None:
    """Write incidents as GeoJSON: event, origin and link features.

    \b
    $ geomap events seeds/000_445be07204acb7d5.txt --date 2020-01-08
    """
    from geomap.geojson import place_feature, to_features, write_features

    def features():
        for _article, mentions, incidents in _extract(
            _progress(_iter_articles(articles, date), "events"), True
        ):
            if with_places:
                yield from (place_feature(m) for m in mentions)
            yield from to_features(incidents=incidents)

    with atomic_output(output, overwrite) as fh:
        write_features(features(), fh, collection=collection, rs=rs)


def _is_geojson_source(source: str) -> bool:
    return Path(source).suffix.lower() in (".geojson", ".geojsons", ".json")


def _read_geojson_incidents(source: str) -> list[Incident]:
    from geomap.articles import read_text_source
    from geomap.geojson import incidents_from_features, read_features

    text = read_text_source(source)
    return incidents_from_features(read_features(text, source))


@cli.command("map")
@click.argument("articles", nargs=-1, metavar="[ARTICLE...]")
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("maps/incidents.html"),
    show_default=True,
    help="HTML map to write.",
)
@click.option(
    "--geojson",
    "geojson_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the features as a GeoJSON FeatureCollection.",
)
@click.option(
    "--article",
    "new_articles",
    multiple=True,
    metavar="NEW",
    help="Add NEW's incidents to the store, then map every stored incident.",
)
@click.option(
    "--store",
    type=click.Path(dir_okay=False, path_type=Path),
    help="SQLite incident store (default with --article: maps/incidents.sqlite).",
)
@click.option("--title", help="Map title (default: the article's title).")
@click.option("--no-tiles", is_flag=True, help="Leave out the optional online tile layer.")
@click.option(
    "--png",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write a screenshot of the map (needs Chromium).",
)
@click.option("--open", "open_browser", is_flag=True, help="Open the map in the default browser.")
@date_opt
@overwrite_opt
def map_(
    articles,
    output,
    geojson_path,
    new_articles,
    store,
    title,
    no_tiles,
    png,
    open_browser,
    date,
    overwrite,
) -> None:
    """Render an offline HTML map of strike locations and actor origins.

    ARTICLE may also be GeoJSON that `geomap events` wrote (a .geojson file or
    stdin), so features can be filtered or edited in between.

    \b
    $ geomap map seeds/000_445be07204acb7d5.txt --date 2020-01-08 -o maps/seed.html
    $ geomap events a.txt | geomap map - -o maps/a.html
    $ geomap map --article new.txt --store maps/incidents.sqlite -o maps/all.html --overwrite
    """
    from geomap.geojson import feature_collection, to_features
    from geomap.render import render_map

    if not articles and not new_articles:
        raise click.UsageError("give at least one ARTICLE or --article NEW")
    if not overwrite:
        # refuse before any work, so a refused run changes nothing (not even the store)
        for out in (output, geojson_path, png):
            if out is not None:
                refuse_existing(out)
    started = time.perf_counter()
    incidents: list[Incident] = []
    mentions: list[PlaceMention] = []
    titles: list[str] = []
    stdin_text = None
    plain: list[str] = []
    for source in articles:
        if _is_geojson_source(source):
            incidents.extend(_read_geojson_incidents(source))
        elif source == "-":
            from geomap.articles import read_text_source

            stdin_text = read_text_source("-")
            if stdin_text.lstrip("\x1e \t\r\n").startswith('{"type"'):
                from geomap.geojson import incidents_from_features, read_features

                incidents.extend(incidents_from_features(read_features(stdin_text, "<stdin>")))
            else:
                plain.append(source)
        else:
            plain.append(source)

    def fresh_articles():
        for source in plain:
            if source == "-" and stdin_text is not None:
                from geomap.articles import articles_from_text

                yield from articles_from_text(stdin_text, "-", date=date)
            else:
                yield from _iter_articles([source], date)

    for article, found_places, found in _extract(_progress(fresh_articles(), "map"), True):
        mentions.extend(found_places)
        incidents.extend(found)
        if article.title:
            titles.append(article.title)

    if new_articles or store is not None:
        from geomap.store import IncidentStore

        store_path = store or Path("maps/incidents.sqlite")
        store_path.parent.mkdir(parents=True, exist_ok=True)
        with IncidentStore(store_path).open() as db:
            added = 0
            for article, _found_places, found in _extract(_iter_articles(new_articles, date), True):
                if db.add_article(article, found):
                    added += 1
                    _log(f"stored {len(found)} incident(s) from {article.article_id}")
                else:
                    _log(f"{article.article_id} is already in {store_path}; nothing stored")
            # the map shows every stored incident plus any ARTICLE given directly
            known = {i.incident_id for i in incidents}
            incidents.extend(i for i in db.incidents() if i.incident_id not in known)
        titles = titles or ["geomap incidents"]

    map_title = title or (
        titles[0] if len(titles) == 1 else f"{len(titles)} articles" if titles else None
    )
    path = render_map(
        incidents,
        output,
        places=mentions,
        title=map_title,
        online_tiles=not no_tiles,
        overwrite=overwrite,
    )
    if geojson_path is not None:
        import json

        with atomic_output(geojson_path, overwrite) as fh:
            json.dump(feature_collection(to_features(mentions, incidents)), fh, ensure_ascii=False)
            fh.write("\n")
    located = sum(1 for i in incidents if i.point is not None)
    _log(
        f"wrote {path} ({located} located incident(s), {len(incidents) - located} without a "
        f"stated place, {len(mentions)} place mention(s)) in {time.perf_counter() - started:.2f} s"
    )
    if png is not None:
        from geomap.render import screenshot

        screenshot(path, png, overwrite=overwrite)
        _log(f"wrote {png}")
    if open_browser:
        import webbrowser

        webbrowser.open(path.resolve().as_uri())


@cli.command()
@click.argument("paths", nargs=-1, required=True, metavar="PATH...")
@click.option(
    "--store",
    "store_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="SQLite incident store to add to (created if missing).",
)
@date_opt
@click.option(
    "--engine",
    type=click.Choice(["local", "dask"]),
    default="local",
    show_default=True,
    help="Run extraction in local processes, or on Dask.",
)
@click.option(
    "--workers",
    type=click.IntRange(min=1),
    help="Extraction processes (default: 1 for local, this machine's cores for dask).",
)
@click.option(
    "--scheduler",
    metavar="ADDRESS",
    help="Use the Dask cluster at this scheduler address, e.g. tcp://10.0.0.5:8786.",
)
@click.option(
    "--dedup-km",
    type=click.FloatRange(min=0),
    default=25.0,
    show_default=True,
    help="Reports at most this far apart may be one incident.",
)
@click.option(
    "--dedup-days",
    type=click.IntRange(min=0),
    default=1,
    show_default=True,
    help="Reports dated at most this many days apart may be one incident.",
)
@click.option(
    "--dedup-precision",
    type=click.IntRange(1, 3),
    default=3,
    show_default=True,
    help="Coarsest geo_precision that may merge (1 town, 2 near a town, 3 region/country).",
)
@click.option("--no-dedup", is_flag=True, help="Keep every article's incidents apart.")
def ingest(
    paths,
    store_path,
    date,
    engine,
    workers,
    scheduler,
    dedup_km,
    dedup_days,
    dedup_precision,
    no_dedup,
) -> None:
    """Add many articles' incidents to a store, merging reports of one incident.

    PATH is a .txt, .html or .jsonl file, a folder (searched for those files), a
    glob, or - for stdin. Bad articles are reported and skipped; a summary goes to
    stderr. Reports from different articles become one incident when they have the
    same event type, the same place or places within --dedup-km, dates within
    --dedup-days (undated only with undated) and compatible actors.

    \b
    $ geomap ingest news/ archive/*.jsonl --store maps/incidents.sqlite
    $ geomap ingest corpus.jsonl --store maps/incidents.sqlite --engine dask --workers 4
    $ geomap ingest corpus.jsonl --store s.sqlite --engine dask --scheduler tcp://10.0.0.5:8786
    """
    from geomap.batch import ingest as ingest_all
    from geomap.dedup import DedupRule
    from geomap.store import IncidentStore

    if scheduler is not None and engine != "dask":
        raise click.UsageError("--scheduler needs --engine dask")
    if scheduler is not None and workers is not None:
        raise click.UsageError(
            "--workers sizes a local cluster; a --scheduler's cluster has its own"
        )
    rule = (
        None
        if no_dedup
        else DedupRule(max_km=dedup_km, max_days=dedup_days, max_geo_precision=dedup_precision)
    )
    store_path.parent.mkdir(parents=True, exist_ok=True)
    with IncidentStore(store_path, rule=rule) as store:
        summary = ingest_all(
            paths,
            store,
            date=date,
            engine=engine,
            workers=workers,
            scheduler=scheduler,
            progress=lambda items: _progress(items, "ingest"),
            on_skip=lambda skipped: _log(f"geomap: skipped {skipped.message}"),
        )
        counts = store.counts()
    for line in summary.lines():
        _log(line)
    _log(f"{store_path} holds {counts.incidents} incident(s) from {counts.articles} article(s)")
    if summary.read == 0 and summary.skipped:
        raise GeomapError(
            f"no article could be read from {' '.join(paths)}; expected .txt, .html or "
            "a .jsonl file; see the reasons above"
        )


@cli.command()
@click.option(
    "--store",
    "store_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="SQLite incident store to read.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["geojson", "geojsonseq", "csv", "parquet"]),
    help="Output format (default: from -o's suffix, else geojsonseq).",
)
@output_opt
@overwrite_opt
@rs_opt
@click.option("--since", callback=_date, metavar="YYYY-MM-DD", help="Only incidents from then on.")
@click.option("--until", callback=_date, metavar="YYYY-MM-DD", help="Only incidents up to then.")
@click.option(
    "--type",
    "event_types",
    multiple=True,
    metavar="EVENT_TYPE",
    help="Only this event type, e.g. Battles (repeatable).",
)
@click.option(
    "--actor",
    "actors",
    multiple=True,
    metavar="NAME",
    help="Only incidents with this actor1 or actor2 (repeatable).",
)
@click.option(
    "--bbox",
    metavar="MINLON,MINLAT,MAXLON,MAXLAT",
    help="Only located incidents inside this box (degrees).",
)
def export(store_path, fmt, output, overwrite, rs, since, until, event_types, actors, bbox) -> None:
    """Write stored incidents as GeoJSON, CSV with ACLED's column names, or Parquet.

    Each incident is written once, with all its sources (source_count, article_ids).
    --since/--until leave out undated incidents; --bbox leaves out unlocated ones.

    \b
    $ geomap export --store maps/incidents.sqlite -o incidents.csv
    $ geomap export --store maps/incidents.sqlite --format parquet -o incidents.parquet
    $ geomap export --store s.sqlite --type Battles --bbox 38.8,29,48.6,37.4 > iraq.geojsons
    """
    from geomap._atomic import atomic_path, refuse_existing
    from geomap.errors import StoreError
    from geomap.model import LatLon
    from geomap.store import IncidentStore

    suffixes = {".geojson": "geojson", ".json": "geojson", ".csv": "csv", ".parquet": "parquet"}
    if fmt is None:
        fmt = suffixes.get(output.suffix.lower(), "geojsonseq") if output else "geojsonseq"
    if fmt == "parquet" and output is None:
        raise click.UsageError("parquet is binary and is not written to stdout; give -o FILE")
    if rs and fmt != "geojsonseq":
        raise click.UsageError("--rs is for --format geojsonseq")
    if since and until and since > until:
        raise click.BadParameter(f"{since} is after --until {until}", param_hint="'--since'")
    corners = None
    if bbox is not None:
        try:
            west, south, east, north = (float(part) for part in bbox.split(","))
            if south > north:
                raise ValueError("MINLAT is above MAXLAT")
            corners = (LatLon(south, west), LatLon(north, east))
        except ValueError as err:
            raise click.BadParameter(
                f"{bbox!r} is not a box ({err}); expected MINLON,MINLAT,MAXLON,MAXLAT in "
                "degrees, e.g. 38.8,29,48.6,37.4",
                param_hint="'--bbox'",
            ) from None
    if not store_path.is_file():
        raise StoreError(
            f"store {store_path} does not exist; expected a store that `geomap ingest` "
            "wrote; check the path"
        )
    if output is not None and not overwrite:
        refuse_existing(output)  # before the work, not only at the end
    with IncidentStore(store_path) as store:
        records = store.query(
            since=since, until=until, event_types=event_types, actors=actors, bbox=corners
        )
    if fmt in ("geojson", "geojsonseq"):
        from geomap.geojson import incident_features, write_features

        def features():
            for record in records:
                event, *others = incident_features(record.incident)
                event["properties"].update(
                    source_count=len(record.sources),
                    article_ids=[s.article_id for s in record.sources],
                    source_urls=[s.article.url for s in record.sources if s.article.url],
                )
                yield event
                yield from others

        with atomic_output(output, overwrite) as fh:
            write_features(features(), fh, collection=fmt == "geojson", rs=rs)
    else:
        from geomap.gazetteer import default_gazetteer
        from geomap.store import acled_frame

        gazetteer = default_gazetteer()
        codes = {
            r.incident.location.place.country_code
            for r in records
            if r.incident.location and r.incident.location.place
        }
        names = {code: place.name for code in codes if code and (place := gazetteer.country(code))}
        frame = acled_frame(records, names)
        if fmt == "csv":
            with atomic_output(output, overwrite) as fh:
                frame.to_csv(fh, index=False, lineterminator="\n")
        else:
            with atomic_path(output, overwrite=overwrite, suffix=".parquet") as tmp:
                try:
                    frame.to_parquet(tmp, index=False)
                except ImportError as err:
                    raise GeomapError(
                        f"cannot write {output} ({err}); expected pyarrow for parquet; "
                        "pip install pyarrow, or use --format csv"
                    ) from err
    _log(
        f"exported {len(records)} incident(s) from {store_path}"
        + (f" to {output}" if output else "")
    )


@cli.group("eval")
def eval_() -> None:
    """Score geomap on annotated corpora (shared/eval formats)."""


@eval_.command("places")
@click.argument("gold", nargs=-1, required=True, type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--errors",
    "errors_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write misses and false places with context (JSON Lines).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the scores as JSON.")
@overwrite_opt
def eval_places(gold, errors_path, as_json, overwrite) -> None:
    """Recognition P/R/F1, e2e161, cond161, error km and words/s per corpus.

    \b
    $ geomap eval places ../shared/eval/lgl.jsonl ../shared/eval/geowebnews.jsonl
    """
    import json

    from geomap.evaluation.places import evaluate_corpus

    rows = []
    with contextlib.ExitStack() as stack:
        errors_fh = (
            stack.enter_context(atomic_output(errors_path, overwrite)) if errors_path else None
        )
        for path in gold:
            result = evaluate_corpus(Path(path), errors=errors_fh)
            rows.append(result)
    if as_json:
        click.echo(json.dumps([r.as_dict() for r in rows], indent=1))
        return
    header = (
        f"{'corpus':<18}{'P':>7}{'R':>7}{'F1':>7}{'e2e161':>8}{'cond161':>8}"
        f"{'mean km':>9}{'med km':>8}{'words/s':>10}"
    )
    click.echo(header)
    for r in rows:
        s = r.score
        click.echo(
            f"{r.name:<18}{s.precision:>7.3f}{s.recall:>7.3f}{s.f1:>7.3f}{s.e2e161:>8.3f}"
            f"{s.cond161:>8.3f}{(s.mean_km or 0):>9.0f}{(s.median_km or 0):>8.1f}"
            f"{r.words_per_second:>10,.0f}"
        )
    _log(f"gazetteer load {rows[0].load_seconds:.3f} s (start-up, not counted in words/s)")


@eval_.command("events")
@click.argument("gold", type=click.Path(exists=True, dir_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the scores as JSON.")
def eval_events(gold, as_json) -> None:
    """Event-location accuracy: overall, with and without a gold place.

    The shipped model was trained on the development corpus, so its score there
    is in-sample; the cross-validated figures recorded at training are printed
    beside it (to stderr, or under "cross_validated" with --json).

    \b
    $ geomap eval events ../shared/eval/event_location_dev.jsonl
    """
    import json

    from geomap.evaluation.events import evaluate_file
    from geomap.eventplace import default_model

    score = evaluate_file(Path(gold))
    model = default_model()
    recorded = model.cross_validated
    calibration = model.recorded_calibration
    if as_json:
        click.echo(
            json.dumps(
                {**score.as_dict(), "cross_validated": recorded, "confidence": calibration},
                indent=1,
            )
        )
        return
    for key, value in score.as_dict().items():
        click.echo(f"{key:<28}{value}")
    if recorded:
        figures = ", ".join(
            f"{k} {recorded[k]}" for k in ("overall", "with_gold_place", "without_gold_place")
        )
        _log(f"cross-validated at training ({recorded.get('folds')} folds by document): {figures}")
    if calibration:
        _log(
            f"confidence, out of fold: expected calibration error {calibration['ece']}, "
            f"Brier {calibration['brier']} over {calibration['n']} incident records"
        )


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the CLI, turning geomap errors into one line and exit 1."""
    # a batch tool allocating millions of short-lived objects: collect less often
    gc.set_threshold(50_000, 50, 50)
    try:
        cli.main(args=argv, prog_name="geomap", standalone_mode=False)
    except click.exceptions.Abort:
        _log("geomap: aborted")
        return 130
    except click.ClickException as err:
        err.show(file=sys.stderr)
        return err.exit_code
    except GeomapError as err:
        _log(f"geomap: error: {err}")
        return 1
    except BrokenPipeError:
        # the reader went away (geomap places … | head); not an error of ours
        with contextlib.suppress(OSError):
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115
        return 0
    except KeyboardInterrupt:
        _log("geomap: interrupted")
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
