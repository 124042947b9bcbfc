"""Dates in news text: "late Tuesday", "last week", "in 1979", "Jan. 5".

Relative expressions resolve against the article's date with the news
convention that a bare weekday means the most recent such day on or before the
article date ("Tuesday" in an article of Wednesday 2020-01-08 is 2020-01-07).
Without an article date, relative expressions keep ``date=None``; absolute ones
("in 1979", "January 5, 2020") resolve anyway.

>>> import datetime as dt
>>> [(d.text, d.date.isoformat(), d.precision)
...  for d in find_dates("Iran struck on late Tuesday.", dt.date(2020, 1, 8))]
[('on late Tuesday', '2020-01-07', 'day')]
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import dataclass

from geomap.model import Span

__all__ = ["DateMention", "find_dates"]

_WEEKDAYS = {name.lower(): i for i, name in enumerate(calendar.day_name)}
_MONTHS = {name.lower(): i for i, name in enumerate(calendar.month_name) if name}
_MONTHS.update({name.lower(): i for i, name in enumerate(calendar.month_abbr) if name})
_MONTHS["sept"] = 9
_NUMBER_WORDS = {
    "a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
    "seven": 7, "eight": 8, "nine": 9, "ten": 10, "a couple of": 2, "several": 3, "a few": 3,
}  # fmt: skip

_MONTH_RE = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November"
    r"|December|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.?"
)
_WEEKDAY_RE = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_PART_OF_DAY = r"(?:\s+(?:morning|afternoon|evening|night|overnight))?"
_COUNT_RE = (
    r"(?:\d{1,2}|a|an|one|two|three|four|five|six|seven|eight|nine|ten|a\s+couple\s+of"
    r"|a\s+few|several)"
)

# Named alternatives; the first that matches at a position wins, so longer
# forms come first. Month and weekday names are matched case-sensitively
# ("may" and "march" are also ordinary words). Every alternative starts a word;
# the leading \b(?=\w) says so once, so a position inside a word fails in one
# step instead of once per alternative: the scan takes a third of the time.
_DATE_RE = re.compile(
    r"\b(?=\w)(?:"
    + "|".join(
        (
            r"(?P<iso>\b(?P<iy>1[5-9]\d\d|20\d\d)-(?P<im>0[1-9]|1[0-2])-(?P<id>0[1-9]|[12]\d|3[01])\b)",
            rf"(?P<mdy>\b(?P<m1>{_MONTH_RE})\s+(?P<d1>[0-3]?\d)(?:st|nd|rd|th)?(?:,?\s+(?P<y1>1[5-9]\d\d|20\d\d))?\b)",
            rf"(?P<dmy>\b(?P<d2>[0-3]?\d)(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<m2>{_MONTH_RE})(?:,?\s+(?P<y2>1[5-9]\d\d|20\d\d))?\b)",
            rf"(?P<my>\b(?:(?i:in|during|since|early|late|mid-?|last|this|next)\s+)?(?P<m3>{_MONTH_RE})(?:\s+(?P<y3>1[5-9]\d\d|20\d\d))?\b(?!\s+[0-3]?\d))",
            rf"(?P<wd>\b(?:(?i:last|early|late|on|this|past|previous)\s+)*(?P<w>{_WEEKDAY_RE}){_PART_OF_DAY}\b)",
            r"(?P<yest>\b(?i:yesterday|last\s+night|overnight|the\s+previous\s+day|the\s+day\s+before)\b)",
            r"(?P<today>\b(?i:today|tonight|this\s+(?:morning|afternoon|evening)|earlier\s+today)\b)",
            rf"(?P<ago>\b(?P<n>{_COUNT_RE})\s+(?P<unit>day|days|week|weeks|month|months|year|years)\s+(?i:ago|earlier)\b)",
            r"(?P<rel>\b(?P<which>(?i:last|past|previous|this|earlier\s+this|late\s+last|early\s+last))\s+(?P<runit>week|weekend|month|year)\b)",
            r"(?P<year>\b(?P<yp>(?i:in|since|during|of|by|until|from|early|late|mid-?|the|spring|summer|autumn|fall|winter)\s+(?:(?i:early|late|mid-?)\s*)?)(?P<y4>1[5-9]\d\d|20\d\d)\b(?!\s*(?:km|kilometers|miles|people|troops|soldiers))(?!\s+(?:[A-Z][\w.'-]*\s+){1,3}(?:St|Street|Ave|Avenue|Road|Rd|Blvd|Boulevard|Lane|Ln|Drive|Dr|Way|Court|Ct|Place|Pl|Highway|Hwy)\b))",
        )
    )
    + ")"
)
_WHEN_AFTER = re.compile(r"^\s*,?\s*(?:when|as|after|where)\b", re.IGNORECASE)
# Bounds of a span of time date a state of affairs, not an event.
_BOUND = re.compile(r"(?:since|until|till|from)\b", re.IGNORECASE)


@dataclass(frozen=True, slots=True)
class DateMention:
    """A date expression and what it resolves to.

    ``precision`` is ``day``, ``week``, ``month`` or ``year``; ``date`` is the
    first day of the period it names for months and years, and None when the
    expression is relative and no article date is known. ``bound`` marks a
    bound of a span of time ("since 1979", "until 1902", "from 1992"), which
    dates a state of affairs, not an event, unless a "when" clause follows
    ("since 1979 when ...").
    """

    span: Span
    text: str
    date: dt.date | None
    precision: str
    relative: bool
    bound: bool = False


def _month_before(month: int, day: int, ref: dt.date | None) -> dt.date | None:
    """The most recent (month, day) on or a week after ``ref`` (stories report the past)."""
    if ref is None:
        return None
    for year in (ref.year, ref.year - 1):
        try:
            cand = dt.date(year, month, min(day, calendar.monthrange(year, month)[1]))
        except ValueError:
            return None
        if cand <= ref + dt.timedelta(days=7):
            return cand
    return None


def _shift_months(ref: dt.date, months: int) -> dt.date:
    index = ref.year * 12 + ref.month - 1 - months
    return dt.date(index // 12, index % 12 + 1, 1)


_LAST = re.compile(r"(?i)(?:last|past|previous)\b")
_SPACES = re.compile(r"\s+")


def _resolve(m: re.Match[str], ref: dt.date | None) -> tuple[dt.date | None, str, bool]:
    g = m.groupdict()
    if g["iso"]:
        return dt.date(int(g["iy"]), int(g["im"]), int(g["id"])), "day", False
    if g["mdy"] or g["dmy"]:
        month = _MONTHS[(g["m1"] or g["m2"]).rstrip(".").lower()]
        day, year = int(g["d1"] or g["d2"]), g["y1"] or g["y2"]
        if not 1 <= day <= 31:
            raise ValueError(f"day {day} out of range")
        if year:
            return dt.date(int(year), month, day), "day", False
        return _month_before(month, day, ref), "day", True
    if g["my"]:
        month = _MONTHS[g["m3"].rstrip(".").lower()]
        if g["y3"]:
            return dt.date(int(g["y3"]), month, 1), "month", False
        found = _month_before(month, 1, ref)
        return found, "month", True
    if g["wd"]:
        if ref is None:
            return None, "day", True
        back = (ref.weekday() - _WEEKDAYS[g["w"].lower()]) % 7
        if back == 0 and _LAST.match(g["wd"]):
            back = 7
        return ref - dt.timedelta(days=back), "day", True
    if g["yest"]:
        return (ref - dt.timedelta(days=1) if ref else None), "day", True
    if g["today"]:
        return ref, "day", True
    if g["ago"]:
        n = _NUMBER_WORDS.get(_SPACES.sub(" ", g["n"].lower()))
        n = int(g["n"]) if n is None else n
        unit = g["unit"].rstrip("s")
        if ref is None:
            return None, unit if unit != "day" else "day", True
        if unit == "day":
            return ref - dt.timedelta(days=n), "day", True
        if unit == "week":
            return ref - dt.timedelta(weeks=n), "week", True
        if unit == "month":
            return _shift_months(ref, n), "month", True
        return dt.date(ref.year - n, 1, 1), "year", True
    if g["rel"]:
        which = _SPACES.sub(" ", g["which"].lower())
        unit = g["runit"].lower()
        back = 0 if which in ("this", "earlier this") else 1
        if ref is None:
            return None, "week" if unit == "weekend" else unit, True
        if unit in ("week", "weekend"):
            # "last week" is the same weekday a week back: mid-period, week precision.
            if unit == "weekend":
                sat = ref - dt.timedelta(
                    days=(ref.weekday() - 5) % 7 + 7 * (back and ref.weekday() >= 5)
                )
                return sat, "week", True
            return ref - dt.timedelta(weeks=back), "week", True
        if unit == "month":
            return _shift_months(ref, back), "month", True
        return dt.date(ref.year - back, 1, 1), "year", True
    year = int(g["y4"])
    return dt.date(year, 1, 1), "year", False


# Every date expression holds one of these; the full pattern only runs near them.
# A run of digits is one hint: its window is the one its digits' windows merge into.
_HINT = re.compile(
    r"\d+|\b(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec|Mon|Tue|Wed|Thu|Fri|Sat|Sun"
    r"|[Yy]esterday|[Tt]oday|[Tt]onight|[Oo]vernight|night|ago|earlier|week|month|year|day|morning"
    r"|afternoon|evening)"
)
# Characters a date expression may extend before and after its hint:
# "on early last Monday", "January 5, 2019".
_REACH_BEFORE, _REACH_AFTER = 22, 18
# What every alternative of _DATE_RE needs, lower-cased: a time word ("Tuesday",
# "last night", "weeks ago"), a month's abbreviation or four digits. A window
# around a bare number ("22 soldiers") holds none, and the costly pattern is not
# run there. The words avoid the letters i and s: IGNORECASE also matches them
# to "İ", "ı" and "ſ", which do not lower-case to them.
_DATE_NEED = re.compile(
    r"day|ght|week|month|year|morn|aftern|even|jan|feb|ma[ry]|apr|ju[nl]|aug|sep|oct|nov|dec"
    r"|\d\d\d\d"
)


def _may_hold_date(text: str, lo: int, hi: int) -> bool:
    """False when ``text[lo:hi]`` cannot hold a match of _DATE_RE."""
    return _DATE_NEED.search(text[lo:hi].lower()) is not None


def _matches(text: str, start: int, end: int) -> list[re.Match[str]]:
    windows: list[list[int]] = []
    for h in _HINT.finditer(text, start, end):
        lo, hi = max(start, h.start() - _REACH_BEFORE), min(end, h.end() + _REACH_AFTER)
        if windows and lo <= windows[-1][1]:
            windows[-1][1] = hi
        else:
            windows.append([lo, hi])
    found: list[re.Match[str]] = []
    for lo, hi in windows:
        if not _may_hold_date(text, lo, hi):
            continue
        for m in _DATE_RE.finditer(text, lo, hi):
            if not found or m.start() >= found[-1].end():
                found.append(m)
    return found


def find_dates(
    text: str, reference: dt.date | None, start: int = 0, end: int | None = None
) -> list[DateMention]:
    """Date expressions in ``text[start:end]``, resolved against ``reference``.

    >>> import datetime as dt
    >>> ref = dt.date(2020, 1, 8)  # a Wednesday
    >>> found = find_dates("On Monday, a week after the raid last week, and in 1979.", ref)
    >>> [(d.text, str(d.date), d.precision) for d in found]  # doctest: +NORMALIZE_WHITESPACE
    [('On Monday', '2020-01-06', 'day'), ('last week', '2020-01-01', 'week'),
     ('in 1979', '1979-01-01', 'year')]
    >>> find_dates("on Tuesday", None)[0].date is None
    True
    """
    end = len(text) if end is None else end
    out = []
    for m in _matches(text, start, end):
        try:
            date, precision, relative = _resolve(m, reference)
        except ValueError:
            continue  # "February 30": not a date
        bound = bool(_BOUND.match(m.group())) and not _WHEN_AFTER.match(
            text[m.end() : m.end() + 12]
        )
        out.append(
            DateMention(Span(m.start(), m.end()), m.group(), date, precision, relative, bound)
        )
    return out
