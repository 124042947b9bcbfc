"""Tests for geomap.articles: every input format, the stdin sniffing, and the errors."""

from __future__ import annotations

import datetime as dt
import io
import json
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geomap.articles import read_article, read_articles
from geomap.errors import (
    ArticleError,
    ArticleNotFound,
    EmptyArticle,
    GeomapError,
    InputFormatError,
)

DATA = Path(__file__).parent / "data" / "articles"


def write(tmp_path: Path, name: str, content: bytes | str) -> Path:
    path = tmp_path / name
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    return path


def feed_stdin(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data), encoding="utf-8"))


def assert_one_line(err: pytest.ExceptionInfo[BaseException]) -> None:
    message = str(err.value)
    assert "\n" not in message
    assert "expected" in message


# --- plain text --------------------------------------------------------------------


def test_txt_id_is_stem_and_text_is_kept_byte_for_byte() -> None:
    path = DATA / "erbil.txt"
    article = read_article(path)
    assert article.article_id == "erbil"
    assert article.source == str(path)
    # The \r\n in the file survives: offsets must point into the text as read.
    assert article.text == path.read_bytes().decode("utf-8")
    assert "\r\n" in article.text


def test_txt_headline_becomes_title_without_changing_text() -> None:
    article = read_article(DATA / "erbil.txt")
    assert article.title == "Drone strike hits Erbil airport"
    assert article.text.startswith("Drone strike hits Erbil airport\n")


def test_txt_seed_article_title_is_stripped(tmp_path: Path) -> None:
    path = write(tmp_path, "seed.txt", "Iran retaliates with missile attack \n\nIran struck.")
    assert read_article(path).title == "Iran retaliates with missile attack"


@pytest.mark.parametrize(
    "text",
    [
        "Iran struck two bases on Tuesday, officials said.\nMore text.",  # a sentence
        "Iran struck two bases",  # nothing after it
        "Officials said:\nIran struck two bases.",
        "January 8, 2020\nIran struck two bases.",  # a date, not a headline
        "X" * 200 + "\nIran struck two bases.",
    ],
)
def test_txt_first_line_that_is_no_headline_gives_no_title(tmp_path: Path, text: str) -> None:
    assert read_article(write(tmp_path, "a.txt", text)).title is None


def test_txt_utf8_bom_is_dropped(tmp_path: Path) -> None:
    path = write(tmp_path, "bom.txt", b"\xef\xbb\xbfRockets hit Baghdad.")
    assert read_article(path).text == "Rockets hit Baghdad."


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Headline here\nBAGHDAD, Jan. 8, 2020 - Rockets hit.", dt.date(2020, 1, 8)),
        ("Headline here\nERBIL, Iraq, January 8, 2020 — A drone hit.", dt.date(2020, 1, 8)),
        ("Published: 8 January 2020 10:32 GMT\nRockets hit Baghdad.", dt.date(2020, 1, 8)),
        ("2020-01-08\nRockets hit Baghdad.", dt.date(2020, 1, 8)),
        # a date in a lead sentence is an event date, not the publication date
        ("Iran struck on January 7, 2020, officials said.", None),
        # two different datelines: ambiguous
        ("Posted: 2020-01-08\nUpdated: 2020-01-09\nRockets.", None),
        ("2999-01-08\nRockets hit Baghdad.", None),  # in the future
        ("2020-02-30\nRockets hit Baghdad.", None),  # not a date
        ("Rockets hit Baghdad.\n" + "x " * 200 + "\n2020-01-08", None),  # too far down
    ],
)
def test_txt_dateline_date(tmp_path: Path, text: str, expected: dt.date | None) -> None:
    assert read_article(write(tmp_path, "a.txt", text)).date == expected


def test_date_argument_overrides_dateline() -> None:
    article = read_article(DATA / "erbil.txt", date=dt.date(2021, 5, 1))
    assert article.date == dt.date(2021, 5, 1)


def test_date_argument_accepts_datetime() -> None:
    article = read_article(DATA / "erbil.txt", date=dt.datetime(2021, 5, 1, 12, 0))
    assert article.date == dt.date(2021, 5, 1)


def test_unknown_extension_is_read_as_text_when_utf8(tmp_path: Path) -> None:
    article = read_article(write(tmp_path, "report.md", "Rockets hit Baghdad."))
    assert (article.article_id, article.text) == ("report", "Rockets hit Baghdad.")


@settings(max_examples=60, deadline=None)
@given(
    st.text(
        st.characters(exclude_categories=("Cs",), exclude_characters="\x00\ufeff"), min_size=1
    ).filter(str.strip)
)
def test_txt_text_round_trips_exactly(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "a.txt"
        path.write_bytes(text.encode("utf-8"))
        assert read_article(path).text == text


# --- HTML --------------------------------------------------------------------------


def test_html_main_text_and_metadata() -> None:
    article = read_article(DATA / "erbil.html")
    assert article.article_id == "erbil"
    assert article.title == "Drone strike hits Erbil airport"
    assert article.date == dt.date(2020, 1, 8)
    assert article.url == "https://news.example.org/2020/01/08/erbil-airport"
    assert "A drone attack struck the airport in Erbil" in article.text
    # navigation and footer are not article text
    assert "Home" not in article.text
    assert "Example News" not in article.text


def test_html_date_argument_overrides_metadata() -> None:
    assert read_article(DATA / "erbil.html", date=dt.date(2020, 1, 9)).date == dt.date(2020, 1, 9)


def test_html_without_text_is_empty(tmp_path: Path) -> None:
    path = write(tmp_path, "empty.html", "<html><body><nav></nav></body></html>")
    with pytest.raises(EmptyArticle) as err:
        read_article(path)
    assert_one_line(err)


def test_html_in_declared_charset_is_decoded(tmp_path: Path) -> None:
    html = (
        '<html><head><meta charset="iso-8859-1"></head><body><article>'
        "<p>Les roquettes ont frappé la zone verte à Bagdad, selon les autorités.</p>"
        "</article></body></html>"
    )
    article = read_article(write(tmp_path, "fr.html", html.encode("iso-8859-1")))
    assert "frappé la zone verte à Bagdad" in article.text


def test_html_not_utf8_without_charset_is_refused(tmp_path: Path) -> None:
    html = "<html><body><p>frappé à Bagdad</p></body></html>".encode("iso-8859-1")
    with pytest.raises(InputFormatError, match="not valid UTF-8 at byte"):
        read_article(write(tmp_path, "fr.html", html))


# --- JSONL -------------------------------------------------------------------------


def test_jsonl_records_and_fields() -> None:
    first, second = read_articles(DATA / "batch.jsonl")
    assert first.article_id == "batch-1"
    assert first.text == "Rockets hit the Green Zone in Baghdad.\nNo one was hurt."
    assert first.title == "Rockets hit Baghdad"
    assert first.date == dt.date(2020, 1, 8)
    assert first.url == "https://news.example.org/1"
    assert first.source == str(DATA / "batch.jsonl")
    # extra keys are ignored, the trailing blank line is no record
    assert (second.article_id, second.title, second.date, second.url) == (
        "batch-2",
        None,
        None,
        None,
    )


def test_jsonl_date_argument_overrides_records() -> None:
    dates = {a.date for a in read_articles(DATA / "batch.jsonl", date=dt.date(2021, 1, 1))}
    assert dates == {dt.date(2021, 1, 1)}


def test_jsonl_integer_id_and_iso_datetime(tmp_path: Path) -> None:
    line = json.dumps({"id": 42, "text": "Rockets.", "date": "2020-01-08T21:30:00Z"})
    (article,) = read_articles(write(tmp_path, "a.jsonl", line + "\n"))
    assert (article.article_id, article.date) == ("42", dt.date(2020, 1, 8))


def test_jsonl_with_crlf_line_ends(tmp_path: Path) -> None:
    lines = [json.dumps({"id": f"a{n}", "text": "Rockets.\r\nMore."}) for n in range(2)]
    path = write(tmp_path, "a.jsonl", "\r\n".join(lines) + "\r\n")
    assert [(a.article_id, a.text) for a in read_articles(path)] == [
        ("a0", "Rockets.\r\nMore."),
        ("a1", "Rockets.\r\nMore."),
    ]


def test_json_extension_is_read_as_jsonl(tmp_path: Path) -> None:
    path = write(tmp_path, "one.json", '{"id": "a", "text": "Rockets."}')
    assert read_article(path).article_id == "a"
    pretty = write(tmp_path, "pretty.json", '[\n  {"id": "a", "text": "Rockets."}\n]\n')
    with pytest.raises(InputFormatError, match="line 1 is not valid JSON"):
        read_article(pretty)


@settings(max_examples=60, deadline=None)
@given(
    st.text(
        st.characters(exclude_categories=("Cs",), exclude_characters="\x00"), min_size=1
    ).filter(str.strip),
    st.booleans(),
)
def test_jsonl_text_round_trips_exactly(text: str, ascii_only: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "a.jsonl"
        line = json.dumps({"id": "a", "text": text}, ensure_ascii=ascii_only)
        path.write_text(line + "\n", encoding="utf-8")
        (article,) = read_articles(path)
        assert article.text == text


@pytest.mark.parametrize(
    ("line", "match"),
    [
        ('{"id": "a", "text": "unclosed"', "line 2 is not valid JSON"),
        ('["a", "text"]', "line 2 is a JSON list"),
        ('{"text": "no id"}', 'line 2 has no usable "id"'),
        ('{"id": "", "text": "empty id"}', 'line 2 has no usable "id"'),
        ('{"id": true, "text": "bool id"}', 'line 2 has no usable "id"'),
        ('{"id": "a"}', 'line 2 has no usable "text"'),
        ('{"id": "a", "text": 5}', 'line 2 has no usable "text"'),
        ('{"id": "a", "text": "x", "title": 5}', 'line 2 has "title" 5'),
        ('{"id": "a", "text": "x", "date": "8 Jan"}', 'line 2 has "date"'),
        ('{"id": "a", "text": "x\\u0000y"}', "NUL character"),
    ],
)
def test_jsonl_bad_line_names_file_and_line(tmp_path: Path, line: str, match: str) -> None:
    path = write(tmp_path, "bad.jsonl", '{"id": "ok", "text": "Rockets."}\n' + line + "\n")
    articles = read_articles(path)
    assert next(articles).article_id == "ok"  # streaming: the good line comes first
    with pytest.raises(InputFormatError, match=match) as err:
        next(articles)
    assert str(path) in str(err.value)
    assert_one_line(err)


def test_jsonl_empty_text_is_empty_article(tmp_path: Path) -> None:
    path = write(tmp_path, "a.jsonl", '{"id": "a", "text": "  \\n "}\n')
    with pytest.raises(EmptyArticle, match="line 1"):
        list(read_articles(path))


def test_jsonl_bad_utf8_names_file_byte_offset(tmp_path: Path) -> None:
    good = b'{"id": "a", "text": "ok"}\n'
    path = write(tmp_path, "a.jsonl", good + b'{"id": "b", "text": "\xff"}\n')
    offset = len(good) + len(b'{"id": "b", "text": "')
    with pytest.raises(InputFormatError, match=f"line 2 is not valid UTF-8 at byte {offset};"):
        list(read_articles(path))


def test_jsonl_skip_bad_reports_and_continues() -> None:
    skipped: list[ArticleError] = []
    articles = list(read_articles(DATA / "bad.jsonl", skip_bad=True, on_skip=skipped.append))
    assert [a.article_id for a in articles] == ["good-1", "good-2"]
    assert [type(e) for e in skipped] == [InputFormatError, InputFormatError]
    assert "line 2" in str(skipped[0]) and "line 3" in str(skipped[1])


def test_jsonl_bad_line_raises_by_default() -> None:
    with pytest.raises(InputFormatError, match=r"bad\.jsonl line 2"):
        list(read_articles(DATA / "bad.jsonl"))


def test_jsonl_line_over_limit_is_refused_then_skippable(tmp_path: Path) -> None:
    big = json.dumps({"id": "big", "text": "x" * 5000})
    path = write(tmp_path, "a.jsonl", big + "\n" + '{"id": "small", "text": "Rockets."}\n')
    with pytest.raises(InputFormatError, match="line 1 is larger than 1,000 bytes"):
        list(read_articles(path, max_bytes=1000))
    skipped: list[ArticleError] = []
    kept = list(read_articles(path, max_bytes=1000, skip_bad=True, on_skip=skipped.append))
    assert [a.article_id for a in kept] == ["small"]
    assert len(skipped) == 1


def test_read_article_refuses_several_records() -> None:
    with pytest.raises(ArticleError, match="more than one article") as err:
        read_article(DATA / "batch.jsonl")
    assert_one_line(err)


def test_read_article_refuses_no_record(tmp_path: Path) -> None:
    with pytest.raises(EmptyArticle, match="holds no article"):
        read_article(write(tmp_path, "a.jsonl", "\n\n"))


# --- stdin -------------------------------------------------------------------------


def test_stdin_text(monkeypatch: pytest.MonkeyPatch) -> None:
    feed_stdin(monkeypatch, b"Drone strike hits Erbil\n\nA drone struck the airport.\n")
    (article,) = read_articles("-")
    assert article.article_id.startswith("stdin-")
    assert len(article.article_id) == len("stdin-") + 12
    assert article.source == "-"
    assert article.title == "Drone strike hits Erbil"
    assert article.text == "Drone strike hits Erbil\n\nA drone struck the airport.\n"


def test_stdin_id_is_stable(monkeypatch: pytest.MonkeyPatch) -> None:
    feed_stdin(monkeypatch, b"Rockets hit Baghdad.")
    first = read_article("-").article_id
    feed_stdin(monkeypatch, b"Rockets hit Baghdad.")
    assert read_article("-").article_id == first


def test_stdin_jsonl_is_sniffed(monkeypatch: pytest.MonkeyPatch) -> None:
    feed_stdin(monkeypatch, b"\n  " + (DATA / "batch.jsonl").read_bytes())
    articles = list(read_articles("-"))
    assert [a.article_id for a in articles] == ["batch-1", "batch-2"]
    assert {a.source for a in articles} == {"-"}


def test_stdin_jsonl_errors_name_stdin_and_line(monkeypatch: pytest.MonkeyPatch) -> None:
    feed_stdin(monkeypatch, (DATA / "bad.jsonl").read_bytes())
    with pytest.raises(InputFormatError, match="<stdin> line 2"):
        list(read_articles("-"))


def test_stdin_html_is_sniffed(monkeypatch: pytest.MonkeyPatch) -> None:
    feed_stdin(monkeypatch, (DATA / "erbil.html").read_bytes())
    article = read_article("-")
    assert article.title == "Drone strike hits Erbil airport"
    assert article.article_id.startswith("stdin-")
    assert "A drone attack struck the airport in Erbil" in article.text


@pytest.mark.parametrize("data", [b"", b"  \n\t "])
def test_stdin_empty(monkeypatch: pytest.MonkeyPatch, data: bytes) -> None:
    feed_stdin(monkeypatch, data)
    with pytest.raises(EmptyArticle, match="<stdin>"):
        read_article("-")


def test_stdin_over_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    feed_stdin(monkeypatch, b"x" * 2000)
    with pytest.raises(InputFormatError, match="<stdin> is larger than 1,000 bytes"):
        read_article("-", max_bytes=1000)


# --- errors ------------------------------------------------------------------------


def test_missing_path_raises_at_once(tmp_path: Path) -> None:
    with pytest.raises(ArticleNotFound) as err:
        read_articles(tmp_path / "nope.txt")  # no iteration needed
    assert isinstance(err.value, FileNotFoundError)
    assert isinstance(err.value, GeomapError)
    assert_one_line(err)


def test_directory_is_refused_with_a_glob_hint(tmp_path: Path) -> None:
    with pytest.raises(ArticleError, match=r"is a directory; .* e\.g\. .*/\*\.txt") as err:
        read_article(tmp_path)
    assert not isinstance(err.value, ArticleNotFound)
    assert_one_line(err)


@pytest.mark.parametrize("content", ["", "   \n\t\r\n"])
def test_empty_text_file(tmp_path: Path, content: str) -> None:
    with pytest.raises(EmptyArticle) as err:
        read_article(write(tmp_path, "a.txt", content))
    assert_one_line(err)


def test_nul_byte_is_binary_with_offset(tmp_path: Path) -> None:
    with pytest.raises(InputFormatError, match="NUL byte at byte 7") as err:
        read_article(write(tmp_path, "a.txt", b"Rockets\x00hit"))
    assert_one_line(err)


def test_bad_utf8_names_byte_offset(tmp_path: Path) -> None:
    with pytest.raises(InputFormatError, match="not valid UTF-8 at byte 7") as err:
        read_article(write(tmp_path, "a.txt", "Bagdad à ".encode("latin-1") + b"ok"))
    assert_one_line(err)


def test_utf16_is_named(tmp_path: Path) -> None:
    with pytest.raises(InputFormatError, match="UTF-16"):
        read_article(write(tmp_path, "a.txt", "Rockets hit Baghdad.".encode("utf-16")))


def test_binary_file_with_unknown_extension(tmp_path: Path) -> None:
    with pytest.raises(InputFormatError, match=r"\.pdf is not a known format") as err:
        read_article(write(tmp_path, "a.pdf", b"%PDF-1.4\x00\x01\x02"))
    assert_one_line(err)


def test_file_over_limit_is_refused_not_truncated(tmp_path: Path) -> None:
    path = write(tmp_path, "a.txt", "Rockets hit Baghdad. " * 100)
    with pytest.raises(InputFormatError, match=r"larger than 1,000 bytes.*max_bytes") as err:
        read_article(path, max_bytes=1000)
    assert_one_line(err)
    assert read_article(path, max_bytes=5000).text == "Rockets hit Baghdad. " * 100


def test_errors_are_value_errors_for_callers_catching_builtins(tmp_path: Path) -> None:
    with pytest.raises(ValueError):
        read_article(write(tmp_path, "a.txt", b"\x00"))
