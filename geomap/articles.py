"""Reading ``.txt``, ``.html``, ``.jsonl`` files and stdin into :class:`Article`.

The text of an :class:`Article` is exactly what later offsets point into, so it is
kept as read: newlines are not normalised and nothing is trimmed; only a UTF-8
byte-order mark is dropped. For HTML the text is trafilatura's extraction of the
page's main content, and offsets point into that extraction.

>>> import tempfile
>>> with tempfile.TemporaryDirectory() as tmp:
...     path = Path(tmp) / "erbil.txt"
...     _ = path.write_text("Drone strike hits Erbil airport\\n\\nA drone hit the airport.\\n")
...     article = read_article(path)
>>> article.article_id, article.title, article.text[33:]
('erbil', 'Drone strike hits Erbil airport', 'A drone hit the airport.\\n')
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import json
import re
import sys
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import IO, Any

from geomap.errors import ArticleError, ArticleNotFound, EmptyArticle, InputFormatError
from geomap.model import Article

__all__ = [
    "MAX_ARTICLE_BYTES",
    "articles_from_text",
    "read_article",
    "read_articles",
    "read_text_source",
]

#: Largest article text accepted, in UTF-8 bytes (a .txt file, a JSONL line). Bigger
#: inputs are refused, never truncated; pass ``max_bytes=`` to change it.
MAX_ARTICLE_BYTES = 5 * 1024 * 1024

# Web pages carry markup, scripts and inline JSON around the text, so a page may be
# this many times larger than the text limit before it is refused.
_HTML_MARKUP_FACTOR = 4

_TEXT_SUFFIXES = frozenset({".txt", ".text"})
_HTML_SUFFIXES = frozenset({".html", ".htm", ".xhtml"})
# .json too: read as text, a JSON file would become one article of JSON source.
_JSONL_SUFFIXES = frozenset({".jsonl", ".ndjson", ".json"})

OnSkip = Callable[[ArticleError], None]


def read_articles(
    source: str | Path,
    *,
    date: dt.date | None = None,
    skip_bad: bool = False,
    on_skip: OnSkip | None = None,
    max_bytes: int = MAX_ARTICLE_BYTES,
) -> Iterator[Article]:
    """Yield the articles in a file, or on stdin when ``source`` is ``"-"``.

    ``.txt`` and ``.html``/``.htm`` files hold one article, ``.jsonl`` one per line
    (``id`` and ``text``; optional ``title``, ``date`` as ISO, ``url``; other keys are
    ignored). Stdin is sniffed: ``{`` first means JSONL, ``<`` HTML, anything else text.
    JSONL is read line by line, so large files stream.

    Parameters
    ----------
    source
        A path, or ``"-"`` for stdin.
    date
        Publication date to set on every article, overriding the input's own.
    skip_bad
        In JSONL, skip a bad line (malformed JSON, missing fields, empty text, too
        long) instead of raising; ``on_skip`` is called with the error.
    on_skip
        Called with each skipped line's error when ``skip_bad`` is true.
    max_bytes
        Largest article accepted, in bytes of text (a ``.txt`` file, one JSONL line);
        an HTML page may be 4 times larger, for its markup. Larger input raises
        InputFormatError; nothing is silently truncated.

    Raises
    ------
    ArticleNotFound
        The path does not exist.
    ArticleError
        The path is a directory, or unreadable.
    InputFormatError
        Binary or non-UTF-8 bytes, malformed JSONL, an article over ``max_bytes``.
    EmptyArticle
        An article with no text.

    A missing path, a directory and a bad ``.txt`` or ``.html`` file raise at the
    call; a bad JSONL line raises when iteration reaches it.
    """
    date = _as_date(date)
    if str(source) == "-":
        return _read_stdin(date=date, skip_bad=skip_bad, on_skip=on_skip, max_bytes=max_bytes)
    path = Path(source)
    _check_path(path)
    suffix = path.suffix.lower()
    if suffix in _JSONL_SUFFIXES:
        return _read_jsonl_file(
            path, date=date, skip_bad=skip_bad, on_skip=on_skip, max_bytes=max_bytes
        )
    if suffix in _HTML_SUFFIXES:
        return iter([_read_html_file(path, date=date, max_bytes=max_bytes)])
    return iter([_read_text_file(path, date=date, max_bytes=max_bytes)])


def read_article(
    source: str | Path, *, date: dt.date | None = None, max_bytes: int = MAX_ARTICLE_BYTES
) -> Article:
    """Read exactly one article; see :func:`read_articles` for formats and errors.

    Raises
    ------
    ArticleError
        A JSONL input holds no article or more than one.
    """
    articles = read_articles(source, date=date, max_bytes=max_bytes)
    try:
        first = next(articles, None)
        second = next(articles, None) if first is not None else None
    finally:
        if isinstance(articles, Generator):  # close the JSONL file now, not at GC
            articles.close()
    name = _display_name(source)
    if first is None:
        raise EmptyArticle(f"{name} holds no article; expected one; check the file is not empty")
    if second is not None:
        raise ArticleError(
            f"{name} holds more than one article; expected exactly one; "
            "read it with read_articles() or split it"
        )
    return first


# --- paths and bytes ---------------------------------------------------------------


def _check_path(path: Path) -> None:
    if path.is_dir():
        raise ArticleError(
            f"{path} is a directory; expected a .txt, .html or .jsonl file; "
            f"pass the files, e.g. {path}/*.txt"
        )
    if not path.exists():
        raise ArticleNotFound(f"{path} does not exist; expected an article file; check the path")


def _read_bytes(path: Path, limit: int) -> bytes:
    """Read at most ``limit`` bytes, refusing bigger files rather than truncating."""
    try:
        with path.open("rb") as handle:
            data = handle.read(limit + 1)
    except FileNotFoundError as err:  # removed between the check and the read
        raise ArticleNotFound(f"{path} does not exist; expected an article file") from err
    except OSError as err:
        raise ArticleError(
            f"cannot read {path}: {err.strerror}; expected a readable file; check permissions"
        ) from err
    if len(data) > limit:
        raise _too_big(str(path), limit)
    return data


def _too_big(name: str, limit: int) -> InputFormatError:
    return InputFormatError(
        f"{name} is larger than {limit:,} bytes; expected one article of at most that size; "
        "split it into smaller articles or raise max_bytes"
    )


def _decode(data: bytes, name: str, *, base_offset: int = 0, suffix: str | None = None) -> str:
    """Decode UTF-8 strictly, dropping only a leading BOM.

    ``base_offset`` is where ``data`` starts in its file, so errors name file offsets;
    ``suffix`` is set for a file whose extension geomap does not know.

    >>> _decode(b"\\xef\\xbb\\xbfErbil", "a.txt")
    'Erbil'
    >>> _decode(b"Erbil \\xff", "a.txt")  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    geomap.errors.InputFormatError: a.txt is not valid UTF-8 at byte 6; ...
    """
    problem, fix = None, "re-save it as UTF-8"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        problem = "looks like UTF-16 text"
    elif (nul := data.find(b"\x00")) >= 0:
        problem = f"has a NUL byte at byte {base_offset + nul}, so it looks binary"
        fix = "convert it to text first"
    else:
        try:
            return data.decode("utf-8").removeprefix("\ufeff")
        except UnicodeDecodeError as err:
            problem = f"is not valid UTF-8 at byte {base_offset + err.start}"
    if suffix is not None:
        raise InputFormatError(
            f"{name} {problem}, and {suffix or 'no extension'} is not a known format; "
            "expected a .txt, .html or .jsonl file, or UTF-8 text; convert it to text first"
        )
    raise InputFormatError(f"{name} {problem}; expected UTF-8 text; {fix}")


def _require_text(text: str, name: str) -> str:
    if not text.strip():
        raise EmptyArticle(f"{name} has no text; expected an article's text; check the input")
    if "\x00" in text:  # only reachable through a JSON "\u0000" escape
        raise InputFormatError(f"{name} has a NUL character in its text; expected plain text")
    return text


def _as_date(value: dt.date | None) -> dt.date | None:
    if isinstance(value, dt.datetime):  # a datetime is a date, but Article wants the day
        return value.date()
    return value


def _display_name(source: str | Path) -> str:
    return "<stdin>" if str(source) == "-" else str(source)


# --- plain text --------------------------------------------------------------------


def _read_text_file(path: Path, *, date: dt.date | None, max_bytes: int) -> Article:
    data = _read_bytes(path, max_bytes)
    suffix = path.suffix.lower()
    # Files with other extensions (.md, none) are welcome as long as they are text.
    unknown = None if suffix in _TEXT_SUFFIXES else suffix
    text = _require_text(_decode(data, str(path), suffix=unknown), str(path))
    return _text_article(text, article_id=path.stem, source=str(path), date=date)


def _text_article(text: str, *, article_id: str, source: str, date: dt.date | None) -> Article:
    return Article(
        article_id=article_id,
        text=text,
        title=_headline(text),
        date=date or _dateline_date(text),
        source=source,
    )


_MAX_TITLE_CHARS = 150
_MAX_TITLE_WORDS = 25


def _headline(text: str) -> str | None:
    """The first non-empty line, if it reads like a headline.

    A headline is short, has words, does not end like a sentence or a clause, is not
    just a date, and is followed by more text.

    >>> _headline("Drone strike hits Erbil airport\\n\\nA drone struck...")
    'Drone strike hits Erbil airport'
    >>> _headline("A drone struck the airport. Officials said so.\\nMore.") is None
    True
    """
    stripped = text.lstrip()
    first, _, rest = stripped.partition("\n")
    first = first.strip()
    words = first.split()
    if (
        not rest.strip()
        or len(first) > _MAX_TITLE_CHARS
        or not 2 <= len(words) <= _MAX_TITLE_WORDS
        or first.endswith((".", ",", ";", ":"))
        or not any(ch.isalpha() for ch in first)
        or _is_date_line(first)
    ):
        return None
    return first


# Dateline dates. Only full dates with a year, in two unambiguous spellings, are
# recognised; "01/08/2020" is left alone because day and month order is unknown.
_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}
_MONTH = r"(?P<month>" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_DATE_PATTERNS = [
    re.compile(r"\b(?P<year>\d{4})-(?P<mnum>\d{2})-(?P<day>\d{2})\b"),
    re.compile(r"\b" + _MONTH + r"\s+(?P<day>\d{1,2}),?\s+(?P<year>\d{4})\b", re.IGNORECASE),
    re.compile(r"\b(?P<day>\d{1,2})\s+" + _MONTH + r",?\s+(?P<year>\d{4})\b", re.IGNORECASE),
]
_DATELINE_WINDOW = 300
# Text before a date on a dateline: "BAGHDAD, " or "ERBIL, Iraq, " (place in capitals).
_DATELINE_PREFIX = re.compile(r"^\s*(?:[A-Z][A-Z.'\- ]*[A-Z],\s*(?:[A-Z][\w.'\- ]*,\s*)?)?$")
_MAX_DATE_LINE_CHARS = 60
_MAX_DATE_LINE_OTHER_WORDS = 4  # "Published: January 8, 2020 10:32 GMT"


def _date_matches(line: str) -> Iterator[tuple[re.Match[str], dt.date]]:
    for pattern in _DATE_PATTERNS:
        for match in pattern.finditer(line):
            groups = match.groupdict()
            month = int(groups["mnum"]) if groups.get("mnum") else _MONTHS[groups["month"].lower()]
            try:
                day = dt.date(int(groups["year"]), month, int(groups["day"]))
            except ValueError:  # 2020-02-30 and the like
                continue
            yield match, day


def _is_date_line(line: str) -> bool:
    """True when a line is a date with at most a few words around it."""
    for match, _ in _date_matches(line):
        other = line[: match.start()] + " " + line[match.end() :]
        if (
            len(line.strip()) <= _MAX_DATE_LINE_CHARS
            and len(other.split()) <= _MAX_DATE_LINE_OTHER_WORDS
        ):
            return True
    return False


def _dateline_date(text: str) -> dt.date | None:
    """A publication date from a dateline near the top of the text, if unambiguous.

    Only dates on a line of their own ("Published: 8 January 2020") or right after
    a place in capitals ("BAGHDAD, January 8, 2020 -") count, so that a date in a
    lead sentence ("on January 3, 2020, the US ...") is not taken for the
    publication date. Dates that disagree, or lie in the future, give None.

    >>> _dateline_date("Headline here\\nBAGHDAD, Jan. 8, 2020 - Rockets hit.")
    datetime.date(2020, 1, 8)
    >>> _dateline_date("Iran struck on January 7, 2020, officials said.") is None
    True
    """
    found: set[dt.date] = set()
    today = dt.date.today()
    for line in text[:_DATELINE_WINDOW].splitlines():
        for match, day in _date_matches(line):
            if not dt.date(1900, 1, 1) <= day <= today:
                continue
            if _is_date_line(line) or _DATELINE_PREFIX.match(line[: match.start()]):
                found.add(day)
    return found.pop() if len(found) == 1 else None


# --- HTML --------------------------------------------------------------------------

_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)


def _read_html_file(path: Path, *, date: dt.date | None, max_bytes: int) -> Article:
    data = _read_bytes(path, max_bytes * _HTML_MARKUP_FACTOR)
    html = _decode_html(data, str(path))
    return _html_article(html, name=str(path), article_id=path.stem, source=str(path), date=date)


def _decode_html(data: bytes, name: str) -> str:
    """Decode a page as UTF-8, or in the charset its ``<meta>`` declares."""
    try:
        return _decode(data, name)
    except InputFormatError as utf8_error:
        declared = _CHARSET.search(data[:4096])
        if declared is None or b"\x00" in data:
            raise
        charset = declared.group(1).decode("ascii")
        try:
            return data.decode(charset)
        except LookupError:
            raise InputFormatError(
                f"{name} declares the unknown charset {charset!r}; "
                "expected UTF-8 or a known charset; re-save it as UTF-8"
            ) from utf8_error
        except UnicodeDecodeError as err:
            raise InputFormatError(
                f"{name} is not valid {charset} (its declared charset) at byte {err.start}; "
                "expected text in that charset; re-save it as UTF-8"
            ) from err


def _html_article(
    html: str, *, name: str, article_id: str | None, source: str, date: dt.date | None
) -> Article:
    import trafilatura  # imported here: it takes ~0.3 s and only HTML needs it

    document = trafilatura.bare_extraction(html, with_metadata=True)
    text = getattr(document, "text", None) or ""
    if not text.strip():
        raise EmptyArticle(
            f"no article text could be extracted from {name}; expected a page with a "
            "main text; save the article's text as a .txt file instead"
        )
    _require_text(text, name)
    return Article(
        article_id=article_id or _stdin_id(text),
        text=text,
        title=document.title or None,
        date=date or _iso_date(document.date),
        url=document.url or None,
        source=source,
    )


# --- JSONL -------------------------------------------------------------------------


def _read_jsonl_file(
    path: Path, *, date: dt.date | None, skip_bad: bool, on_skip: OnSkip | None, max_bytes: int
) -> Iterator[Article]:
    try:
        handle = path.open("rb")
    except OSError as err:
        raise ArticleError(
            f"cannot read {path}: {err.strerror}; expected a readable file; check permissions"
        ) from err
    with handle:
        yield from _read_jsonl(
            handle,
            name=str(path),
            source=str(path),
            date=date,
            skip_bad=skip_bad,
            on_skip=on_skip,
            max_bytes=max_bytes,
        )


def _read_jsonl(
    handle: IO[bytes],
    *,
    name: str,
    source: str,
    date: dt.date | None,
    skip_bad: bool,
    on_skip: OnSkip | None,
    max_bytes: int,
) -> Iterator[Article]:
    offset = 0
    line_no = 0
    while True:
        # readline with a limit: one runaway line must not be read whole into memory.
        raw = handle.readline(max_bytes + 1)
        if not raw:
            return
        line_no += 1
        start = offset
        offset += len(raw)
        where = f"{name} line {line_no}"
        try:
            if len(raw) > max_bytes and not raw.endswith(b"\n"):
                offset += _skip_rest_of_line(handle)
                raise _too_big(where, max_bytes)
            if line_no == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw, start = raw[3:], start + 3
            line = _decode(raw, where, base_offset=start)
            if not line.strip():
                continue  # blank lines, e.g. a trailing one, are not records
            yield _jsonl_record(line, where=where, source=source, date=date)
        except ArticleError as err:
            if not skip_bad:
                raise
            if on_skip is not None:
                on_skip(err)


def _skip_rest_of_line(handle: IO[bytes]) -> int:
    skipped = 0
    while chunk := handle.readline(1 << 20):
        skipped += len(chunk)
        if chunk.endswith(b"\n"):
            break
    return skipped


def _jsonl_record(line: str, *, where: str, source: str, date: dt.date | None) -> Article:
    try:
        record = json.loads(line)
    except json.JSONDecodeError as err:
        raise InputFormatError(
            f"{where} is not valid JSON ({err.msg} at column {err.pos + 1}); "
            "expected one JSON object per line; fix or remove that line"
        ) from err
    if not isinstance(record, dict):
        raise InputFormatError(
            f"{where} is a JSON {type(record).__name__}; expected an object with "
            '"id" and "text"; wrap it as {"id": ..., "text": ...}'
        )
    article_id = record.get("id")
    # Integer ids are common in dataset dumps; bool is an int subclass, so exclude it.
    if isinstance(article_id, int) and not isinstance(article_id, bool):
        article_id = str(article_id)
    if not isinstance(article_id, str) or not article_id.strip():
        raise InputFormatError(
            f'{where} has no usable "id" (got {_short(article_id)}); '
            'expected a non-empty string; add "id" to the record'
        )
    text = record.get("text")
    if not isinstance(text, str):
        raise InputFormatError(
            f'{where} has no usable "text" (got {_short(text)}); '
            'expected a string; add "text" to the record'
        )
    _require_text(text, where)
    title = _optional_str(record, "title", where)
    url = _optional_str(record, "url", where)
    raw_date = _optional_str(record, "date", where)
    record_date = _iso_date(raw_date)
    if raw_date and record_date is None:
        raise InputFormatError(
            f'{where} has "date" {raw_date!r}; expected an ISO date like "2020-01-08"; '
            "fix or remove it"
        )
    return Article(
        article_id=article_id,
        text=text,
        title=title or None,
        date=date or record_date,
        url=url or None,
        source=source,
    )


def _optional_str(record: dict[str, Any], key: str, where: str) -> str | None:
    value = record.get(key)
    if value is None or isinstance(value, str):
        return value
    raise InputFormatError(
        f'{where} has "{key}" {_short(value)}; expected a string or null; fix or remove it'
    )


def _short(value: object) -> str:
    text = "nothing" if value is None else json.dumps(value, ensure_ascii=True)
    return text if len(text) <= 40 else text[:37] + "..."


def _iso_date(value: str | None) -> dt.date | None:
    """Parse ``2020-01-08`` or an ISO datetime; None if absent or not ISO.

    >>> _iso_date("2020-01-08T21:30:00Z")
    datetime.date(2020, 1, 8)
    """
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        pass
    try:
        return dt.datetime.fromisoformat(value).date()
    except ValueError:
        return None


# --- stdin -------------------------------------------------------------------------


def _stdin_id(text: str) -> str:
    """A stable id for unnamed input: the same text always gets the same id."""
    return "stdin-" + hashlib.sha1(text.encode("utf-8")).hexdigest()[:12]


def _read_some(stream: IO[bytes], size: int) -> bytes:
    """Read what is available (up to ``size``) without waiting for a full buffer."""
    read1 = getattr(stream, "read1", None)
    return read1(size) if read1 is not None else stream.read(size)


class _Prepended(io.RawIOBase):
    """A binary stream that yields ``head`` and then the rest of ``tail``."""

    def __init__(self, head: bytes, tail: IO[bytes]) -> None:
        self._head = head
        self._tail = tail

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        if self._head:
            count = min(len(view), len(self._head))
            view[:count] = self._head[:count]
            self._head = self._head[count:]
            return count
        data = _read_some(self._tail, len(view))
        view[: len(data)] = data
        return len(data)


def _stdin_stream() -> IO[bytes]:
    stream: IO[bytes] | None = getattr(sys.stdin, "buffer", None)
    if stream is None:
        raise ArticleError("<stdin> is not available; expected input on stdin; pass a file")
    return stream


def read_text_source(source: str | Path, *, max_bytes: int = MAX_ARTICLE_BYTES * 20) -> str:
    """The whole UTF-8 text of a file, or of stdin for ``"-"`` (e.g. GeoJSON to re-read).

    The same checks as for articles apply: missing paths, directories, binary or
    non-UTF-8 bytes and oversized input raise :class:`ArticleError` subclasses.
    """
    name = _display_name(source)
    if str(source) == "-":
        data = _stdin_stream().read(max_bytes + 1)
        if len(data) > max_bytes:
            raise _too_big(name, max_bytes)
    else:
        path = Path(source)
        _check_path(path)
        data = _read_bytes(path, max_bytes)
    return _require_text(_decode(data, name), name)


def articles_from_text(
    text: str, source: str = "-", *, date: dt.date | None = None,
    max_bytes: int = MAX_ARTICLE_BYTES,
) -> Iterator[Article]:
    """Articles from text already read (stdin that was sniffed first), like ``read_articles``."""
    yield from _read_stream(
        io.BytesIO(text.encode("utf-8")), name=_display_name(source), date=date,
        skip_bad=False, on_skip=None, max_bytes=max_bytes,
    )


def _read_stdin(
    *, date: dt.date | None, skip_bad: bool, on_skip: OnSkip | None, max_bytes: int
) -> Iterator[Article]:
    yield from _read_stream(
        _stdin_stream(), name="<stdin>", date=date, skip_bad=skip_bad, on_skip=on_skip,
        max_bytes=max_bytes,
    )


def _read_stream(
    stream: IO[bytes], *, name: str, date: dt.date | None, skip_bad: bool,
    on_skip: OnSkip | None, max_bytes: int,
) -> Iterator[Article]:
    # Sniff the format from the first non-space byte, keeping what was read.
    head = b""
    while not head.strip():
        chunk = _read_some(stream, 1 << 16)
        if not chunk:
            break
        head += chunk
    first = head.lstrip()[:1]
    if first == b"{":
        yield from _read_jsonl(
            io.BufferedReader(_Prepended(head, stream)),
            name=name,
            source="-",
            date=date,
            skip_bad=skip_bad,
            on_skip=on_skip,
            max_bytes=max_bytes,
        )
        return
    limit = max_bytes * _HTML_MARKUP_FACTOR if first == b"<" else max_bytes
    data = head + stream.read(max(limit + 1 - len(head), 0))
    if len(data) > limit:
        raise _too_big(name, limit)
    if first == b"<":
        html = _decode_html(data, name)
        yield _html_article(html, name=name, article_id=None, source="-", date=date)
        return
    text = _require_text(_decode(data, name), name)
    yield _text_article(text, article_id=_stdin_id(text), source="-", date=date)
