"""Relative and absolute dates in news text."""

from __future__ import annotations

import calendar
import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from geomap.dates import find_dates

WED = dt.date(2020, 1, 8)  # a Wednesday


def _one(text: str, ref: dt.date | None = WED) -> tuple[str | None, str]:
    found = find_dates(text, ref)
    assert len(found) == 1, found
    return (found[0].date.isoformat() if found[0].date else None), found[0].precision


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("on late Tuesday", ("2020-01-07", "day")),
        ("on Wednesday", ("2020-01-08", "day")),  # the article's own day
        ("last Wednesday", ("2020-01-01", "day")),
        ("early Monday morning", ("2020-01-06", "day")),
        ("yesterday", ("2020-01-07", "day")),
        ("last night", ("2020-01-07", "day")),
        ("overnight", ("2020-01-07", "day")),
        ("three days ago", ("2020-01-05", "day")),
        ("last week", ("2020-01-01", "week")),
        ("earlier this month", ("2020-01-01", "month")),
        ("last month", ("2019-12-01", "month")),
        ("last year", ("2019-01-01", "year")),
        ("in 1979", ("1979-01-01", "year")),
        ("on Jan. 5", ("2020-01-05", "day")),
        ("on December 30", ("2019-12-30", "day")),  # no year: the most recent one
        ("January 5, 2019", ("2019-01-05", "day")),
        ("in March 2019", ("2019-03-01", "month")),
        ("2020-01-03", ("2020-01-03", "day")),
    ],
)
def test_resolves_against_the_article_date(text: str, expected: tuple[str, str]) -> None:
    assert _one(text) == expected


def test_relative_dates_stay_unknown_without_an_article_date() -> None:
    assert _one("on Tuesday", None) == (None, "day")
    assert _one("last week", None) == (None, "week")


def test_absolute_dates_resolve_without_an_article_date() -> None:
    assert _one("in 1979", None) == ("1979-01-01", "year")


def test_bounds_date_a_state_of_affairs_unless_a_when_clause_follows() -> None:
    assert find_dates("troops have stayed since 1979", WED)[0].bound
    assert not find_dates("the first since 1979 when it seized", WED)[0].bound
    assert find_dates("an autonomous sultanate until 1902", WED)[0].bound
    assert find_dates("the war from 1992 to 1995", WED)[0].bound
    assert not find_dates("captured the town in 2012", WED)[0].bound


def test_ordinary_words_are_not_dates() -> None:
    assert find_dates("we may march on", WED) == []
    assert find_dates("5,000 troops and 1979 people", WED) == []


def test_impossible_days_are_skipped() -> None:
    assert find_dates("on February 30, 2020", WED) == []


def test_offsets_point_into_the_text() -> None:
    text = "Gunmen attacked on late Tuesday in 2019."
    for d in find_dates(text, WED):
        assert text[d.span.start : d.span.end] == d.text


@given(
    ref=st.dates(dt.date(1950, 1, 1), dt.date(2050, 12, 31)),
    day=st.sampled_from(list(calendar.day_name)),
)
def test_a_weekday_is_within_the_past_week(ref: dt.date, day: str) -> None:
    (found,) = find_dates(f"on {day}", ref)
    assert found.date is not None
    assert 0 <= (ref - found.date).days <= 6
    assert calendar.day_name[found.date.weekday()] == day


def test_a_house_number_is_not_a_year():
    import datetime as dt

    from geomap.dates import find_dates

    ref = dt.date(2009, 3, 20)
    assert find_dates("Henry, 19, of 1935 Orchard St., Alexandria, was arrested.", ref) == []
    assert [d.precision for d in find_dates("In 1979 Iranian students seized it.", ref)] == ["year"]
