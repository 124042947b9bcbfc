"""Recognition and resolution of place names."""

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geomap.model import Article, PlaceType
from geomap.places import _SPLIT, _bmp_split, _has_astral, find_places, tokenize

SEED = Path(__file__).resolve().parent.parent / "seeds" / "000_445be07204acb7d5.txt"


def places_in(text):
    return find_places(Article("t", text))


@pytest.fixture(scope="module")
def seed():
    text = SEED.read_text(encoding="utf-8")
    return text, find_places(Article("seed", text))


def test_seed_finds_the_places_it_names(seed):
    _, mentions = seed
    names = {m.place.name for m in mentions}
    assert {
        "Iran",
        "Iraq",
        "United States",
        "Baghdad",
        "Erbil",
        "Tehran",
        "Kurdistan Region",
    } <= names


@pytest.mark.parametrize(
    "person",
    ["Soleimani", "Trump", "Khamenei", "Zarif", "Sadr", "Milley", "Erdogan", "Abdul-Mahdi"],
)
def test_no_place_inside_a_person_name(seed, person):
    text, mentions = seed
    start = 0
    while (start := text.find(person, start)) >= 0:
        end = start + len(person)
        assert not any(m.span.start < end and start < m.span.end for m in mentions), person
        start = end


def test_seed_demonyms_resolve_to_their_country(seed):
    _, mentions = seed
    by_text = {m.text: m for m in mentions}
    assert by_text["Iranian"].place.name == "Iran" and by_text["Iranian"].via == "demonym"
    assert by_text["Iraqi"].place.name == "Iraq"
    assert by_text["American"].place.country_code == "US"
    assert by_text["Kurdish"].place.name == "Kurdistan Region"
    assert by_text["U.S."].via == "abbreviation"


def test_seat_city_is_the_city_but_province_when_the_text_says_so():
    (m,) = places_in("Rockets struck a base in Erbil on Monday.")
    assert m.place.place_type is PlaceType.CITY
    first, *_ = places_in("Erbil province saw heavy rain.")
    assert first.place.place_type is PlaceType.ADMIN1


@pytest.mark.parametrize(
    ("text", "name", "country", "admin1"),
    [
        ("A tornado hit Paris, Texas, on Sunday.", "Paris", "US", "US.TX"),
        ("The fire in Alexandria, La., destroyed a barn.", "Alexandria", "US", "US.LA"),
        ("Talks opened in Paris, France.", "Paris", "FR", None),
    ],
)
def test_qualifier_decides_between_namesakes(text, name, country, admin1):
    m = next(m for m in places_in(text) if m.text == name)
    assert m.place.country_code == country
    if admin1:
        assert m.place.admin1 == admin1


def test_article_context_decides_between_namesakes():
    text = (
        "Deputies in Rapides Parish said the fire started near Alexandria. "
        "Pineville and Alexandria firefighters responded."
    )
    m = next(m for m in places_in(text) if m.text == "Alexandria")
    assert (m.place.country_code, m.place.admin1) == ("US", "US.LA")


def test_titles_and_organisations_are_not_places():
    mentions = places_in(
        "Gen. Jordan Hill met officials of the Kurdistan Regional Government in Erbil."
    )
    assert [m.text for m in mentions][-1] == "Erbil"
    assert not any(m.text == "Jordan" for m in mentions)


def test_abbreviations_count_only_as_written():
    assert [m.place.name for m in places_in("The U.S. and the UK agreed.")] == [
        "United States",
        "United Kingdom",
    ]
    # the pronoun "us" is not the United States
    assert places_in("They told us nothing.") == []


def test_tokenize_keeps_offsets():
    text = "Iran’s strike on U.S. bases in Erbil."
    t = tokenize(text)
    assert [text[s:e] for s, e in zip(t.starts, t.ends, strict=True)] == t.words


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.sampled_from(
            [
                "Iran",
                "struck",
                "Baghdad",
                ",",
                "Erbil",
                "the",
                "U.S.",
                "\n",
                "Mr.",
                "Paris",
                "Texas",
                "Iranian",
                "é",
                "’s",
                "-",
                "IRAQ",
                "in",
                "of",
                "New",
                "York",
                "  ",
            ]
        ),
        max_size=40,
    )
)
def test_mentions_are_ordered_non_overlapping_spans_of_the_text(words):
    text = " ".join(words)
    mentions = places_in(text)
    last_end = 0
    for m in mentions:
        assert text[m.span.start : m.span.end] == m.text
        assert m.span.start >= last_end
        last_end = m.span.end
        assert 0.0 <= m.score <= 1.0
        assert -90 <= m.place.point.lat <= 90 and -180 <= m.place.point.lon <= 180


@settings(max_examples=40, deadline=None)
@given(st.text(max_size=300))
def test_any_text_is_safe(text):
    for m in places_in(text):
        assert text[m.span.start : m.span.end] == m.text


# the tokeniser as first written; _SPLIT and _bmp_split() are faster spellings of it
_PLAIN_SPLIT = re.compile(r"((?:[A-Z][a-z]{0,2}\.){2,}|[^\W\d_]+(?:['’](?![sS]\b)[^\W\d_]+)*)")


def test_the_fast_tokeniser_splits_every_bmp_character_as_the_plain_one():
    chars = "".join(map(chr, range(0xD800))) + "".join(map(chr, range(0xE000, 0x10000)))
    for sep in (" ", "'", "’s ", "A.", "'x"):
        text = sep.join(chars)
        assert _bmp_split().split(text) == _PLAIN_SPLIT.split(text) == _SPLIT.split(text)


@given(st.text(alphabet="aAsSbZé²_1 .-'’\u00aa\U0001d400", max_size=40))
@settings(max_examples=300, deadline=None)
def test_the_fast_tokeniser_splits_as_the_plain_one(text):
    assert _SPLIT.split(text) == _PLAIN_SPLIT.split(text)
    if not re.search("[\U00010000-\U0010ffff]", text):
        assert _bmp_split().split(text) == _PLAIN_SPLIT.split(text)


@given(st.text(alphabet="aé²’\ud800\U0001d400", max_size=12))
@settings(max_examples=200, deadline=None)
def test_astral_text_is_told_apart_as_by_a_regex(text):
    assert _has_astral(text) == bool(re.search("[\U00010000-\U0010ffff]", text))
