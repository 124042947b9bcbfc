"""Where an event happened: which of a sentence's place mentions is its site.

Given a sentence, the span of an event's trigger and the sentence's place
mentions, :func:`predict_event_location` picks the mention(s) that locate the
event. :mod:`geomap.incidents` uses it for every incident, and
:mod:`geomap.evaluation.events` scores it on the event-location corpus.
"""

from __future__ import annotations

import math
import re
from bisect import bisect_left
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from itertools import repeat
from operator import itemgetter
from pathlib import Path
from typing import Protocol

from geomap._modelfile import read_model
from geomap._words import hints, may_hold, wordlist, wordset
from geomap.errors import ModelError
from geomap.model import Place, PlaceMention, PlaceType, Span

__all__ = [
    "MODEL_PATH",
    "Calibration",
    "EventPlaceModel",
    "SiteChoice",
    "choose_sites",
    "default_model",
    "predict_event_location",
]

MODEL_PATH = Path(__file__).resolve().parent.parent / "data" / "model" / "eventplace.json"


# ---------------------------------------------------------------------------
# Where did the event happen?  Score each place mention of the sentence as the
# event's location and keep the best one (plus places coordinated with it).
# ---------------------------------------------------------------------------

# Modifiers that may stand between a preposition and the name: "in the restive
# northern province of X", "near the border town of X", "the Georgian capital X".
_ADJ = (
    r"(?:(?:north|south|east|west|central|upper|lower|greater|downtown|old|new|rural"
    r"|restive|strategic|nearby|neighbou?ring|besieged|flashpoint|embattled|tribal"
    r"|northern|southern|eastern|western|north-?eastern|north-?western|south-?eastern"
    r"|south-?western|far|remote|mountainous|border|coastal|key|main|volatile"
    r"|predominantly|mainly|largely|mostly|shiite|shia|sunni|kurdish|muslim|christian"
    r"|arab|disputed|occupied|contested|troubled|capital|provincial|most|large|small"
    r"|(?-i:[A-Z][a-z]+(?:ian|ese|ish|an|i))"
    r"|[a-z]+-(?:controlled|held|dominated|populated|majority|riven|torn|hit|stricken))\s+)"
)
# Nouns that announce the name after them: "the town of X", "much of X".
_AREA = (
    r"(?:city|cities|town|towns|village|villages|district|districts|province|provinces"
    r"|governorate|region|regions|state|county|area|areas|suburb|suburbs|neighbou?rhoods?"
    r"|quarter|camp|settlements?|municipality|locality|countryside|streets|heart|cent(?:er|re)s?"
    r"|parts?|capital|enclave|stronghold|port|islands?|valley|borders?|border\s+town|hamlet"
    r"|sector|axis|frontier|territory|territories|much|most|half|third|percent|swaths?|rest"
    r"|control|coast|shores?|waters|skies|airspace)"
)
# Nouns for a site; after a name they make it the site: "a Mogadishu hotel",
# "the Trujillo prison", "Baghdad's main bridges".
_SITE = (
    r"(?:hotel|headquarters|station|home|house|prison|jail|hospital|airport|air\s*base|base"
    r"|market(?:place)?|mosque|church|temple|shrine|bridges?|towns|streets|suburbs?|province"
    r"|provinces|district|neighbou?rhood|offices?|embassy|consulate|camp|checkpoint|school"
    r"|university|compound|building|square|road|highway|port|harbou?r|stadium|refinery|plant"
    r"|mall|cafe|restaurant|courthouse|barracks|garrison|countryside|outskirts|villages?"
    r"|airfield|facility|field|fields|crossing|border|palace|parliament|residence|city|centre"
    r"|center|area|region)"
)
_RIGHT_SITE = re.compile(
    r"^(?:['\u2019]s?)?\s+(?:[A-Z][\w\u2019'-]*\s+){0,3}(?:" + _ADJ + r")*" + _SITE + r"\b",
    re.IGNORECASE,
)
_LOCATIVE_NEXT = re.compile(
    r"^\s+(?:in|at|near|outside|on\s+the\s+outskirts\s+of)\s+(?:the\s+)?[A-Z]"
)
# "Venezuela's central Guarico state": a possessive that names a part of the place.
_RIGHT_PART = re.compile(
    r"^['\u2019]s\s+(?:" + _ADJ + r")*(?:(?:[A-Z][\w\u2019'-]*\s+){0,3}" + _AREA + r"\b|[A-Z])"
)
# What follows a name and shows it is an actor or a modifier, not a location:
# "Iran struck", "Iraq's president", "Baghdad-based", "Kabul police".
_RIGHT_ACTOR = re.compile(
    r"^(?:['\u2019]s?\b|-based|-led|-backed|-born|\s+(?:government|forces|troops|army|military"
    r"|police|officials?|authorities|ministry|minister|president|prime|leaders?|soldiers"
    r"|navy|air\s+force|regime|authority|parliament|media|state\s+media|news|radio|television"
    r"|tv|has|had|have|is|was|were|are|said|says|will|would|could|denied|claimed|accused"
    r"|blamed|warned|vowed|launched|struck|attacked|sent|fired|captured|seized|retook"
    r"|recaptured|deployed|carried|conducted|bombed|shelled|killed|condemned|responded"
    r"|retaliated|announced|threatened|and\s+its\s+allies)\b)",
    re.IGNORECASE,
)
# A name directly after the verb is its object ("shelled Kabul", "captured Mosul").
_BETWEEN_VERB_OBJECT = re.compile(r"^\s*(?:the\s+)?(?:" + _ADJ + r")*$", re.IGNORECASE)
# Clause breaks between verb and place lower the chance they belong together.
_CLAUSE_BREAK = re.compile(
    r"[;:()\"“”]|,\s*(?:said|says|according|while|but|whereas|which|who|where|as)\b"
    r"|\b(?:said|says|told|according\s+to|reported|added)\b",
    re.IGNORECASE,
)


# Strings one of which every match of a pattern holds. Most text around a name
# holds none, and testing them costs a tenth of the pattern.
_CLAUSE_BREAK_HINTS = hints((
    ";", ":", "(", ")", '"', "\u201c", "\u201d", ",", "said", "says", "told", "according",
    "reported", "added",
))  # fmt: skip
_ATTRIBUTION_HINTS = hints(
    wordlist(
        "said says told reported announced statement speaking spokesm official agency news"
        " television radio source"
    )
)
_SITE_HINTS = hints(
    wordlist(
        "hotel headquarters station home house prison jail hospital port base market mosque church"
        " temple shrine bridge town street suburb province district neighbo office embassy"
        " consulate camp checkpoint school university compound building square road highway harbo"
        " stadium refinery plant mall cafe restaurant barracks garrison countryside outskirts"
        " village field facility crossing border palace parliament residence city centre center"
        " area region"
    )
)


_ATTRIBUTION_LEFT = re.compile(
    r"\b(?:said|says|told|reported|announced|statement|speaking|spokesm[ae]n|officials?"
    r"|agency|news|television|radio|sources?)\b[^,;]{0,40}$",
    re.IGNORECASE,
)
_COORDINATION = re.compile(
    r"^(?:\s*,\s*|\s*,?\s+(?:and|or|as\s+well\s+as|plus)\s+)(?:the\s+other\s+)?"
    r"(?:(?:in|at|near|on|inside|outside)\s+)?(?:the\s+)?(?:" + _ADJ + r")*"
    r"(?:(?:town|city|village|district|province|neighbou?rhood|camp)s?\s+of\s+)?$",
    re.IGNORECASE,
)
_ONE_IN = re.compile(r"\b(?:one|another|the\s+other|both)\s+(?:in|at|near)\s+$", re.IGNORECASE)

# Larger places contain smaller ones; in "Nablus, West Bank" the first is the site.
_TYPE_RANK = {
    PlaceType.FACILITY: 0,
    PlaceType.CITY: 1,
    PlaceType.ADMIN2: 2,
    PlaceType.ADMIN1: 3,
    PlaceType.REGION: 3,
    PlaceType.WATER: 3,
    PlaceType.COUNTRY: 4,
    PlaceType.CONTINENT: 5,
}
# Calendar words a recogniser may take for places ("Nov." in "on Nov. 7").
_NOT_PLACES = wordset(
    "jan jan. feb feb. mar mar. apr apr. jun jun. jul jul. aug aug. sep sep. sept sept. oct "
    "oct. nov nov. dec dec. january february march april may june july august september "
    "october november december monday tuesday wednesday thursday friday saturday sunday"
)


@dataclass(frozen=True, slots=True)
class _Candidate:
    """A name of the sentence as the event's possible site, with its binary features.

    ``null`` holds the features of the other choice, that the sentence gives the
    event no site; one tuple shared by the candidates of a verb.
    """

    span: Span
    mention: PlaceMention
    frame: str
    features: tuple[str, ...]
    null: tuple[str, ...] = ()


# The frame grammar is read backwards, word by word, with set look-ups: as
# regular expressions anchored at the name it ran ten times slower.
_ADJ_WORDS = wordset(
    "north south east west central upper lower greater downtown old new rural restive strategic"
    " neighbouring neighboring besieged flashpoint embattled tribal northern southern"
    " eastern western north-eastern northeastern north-western northwestern south-eastern"
    " southeastern south-western southwestern far remote mountainous border coastal key main"
    " volatile predominantly mainly largely mostly shiite shia sunni kurdish muslim christian"
    " arab disputed occupied contested troubled capital provincial most large small"
)
_ADJ_HYPHEN = re.compile(
    r"[a-z]+-(?:controlled|held|dominated|populated|majority|riven|torn|hit|stricken)$"
)
_AREA_WORDS = wordset(
    "city cities town towns village villages district districts province provinces governorate"
    " region regions state county area areas suburb suburbs neighbourhood neighborhood"
    " neighbourhoods neighborhoods quarter camp settlement settlements municipality locality"
    " countryside streets heart center centre centers centres part parts capital enclave"
    " stronghold port island islands valley border borders hamlet sector axis frontier territory"
    " territories much most half third percent swath swaths rest control coast shore shores"
    " waters skies airspace"
)
_DET_FRAME_WORDS = wordset("the a an its their his her this that")
_POSSESSIVE_NP_DETS = wordset("the a an his her its their")
_IN_PREPS = wordset(
    "in at inside within across throughout around into through on over along off toward"
    " towards beside among onto upon amid"
)
_NEAR_PREPS = wordset("near outside nearby")
_NEAR_OF = wordset("outskirts vicinity edge environs surroundings periphery")
_PART_WORDS = wordset("one some many several each all part parts much most")
_DIRECTIONS = wordset(
    "north south east west northeast northwest southeast southwest north-east north-west"
    " south-east south-west"
)
_UNITS = wordset("km kilometers kilometres miles mi")
_FRAME_TOKEN = re.compile(r"[\w\u2019'.-]+|[(),]")


def _is_adj(word: str) -> bool:
    low = word.lower()
    return (
        low in _ADJ_WORDS
        or ("-" in low and _ADJ_HYPHEN.match(low) is not None)
        or (
            word[:1].isupper() and word.isalpha() and low.endswith(("ian", "ese", "ish", "an", "i"))
        )
    )


def _is_det(word: str) -> bool:
    return word.lower() in _DET_FRAME_WORDS or word.endswith(("'s", "\u2019s"))


def _is_area(word: str) -> bool:
    return word.lower().rsplit("-", 1)[-1] in _AREA_WORDS  # "border-city", "one-third"


@lru_cache(maxsize=16384)
def _frame(text: str, start: int) -> str:
    """The kind of phrase that leads up to the name starting at ``start``.

    Read right to left from the name, skipping adjectives and determiners
    ("the restive northern", "Iraq's"):

    - ``near``: near, outside, close to, not far from, N km from, the
      outskirts/vicinity of ...;
    - ``relative``: north/south/... of ("30 km north of X");
    - ``from``: from, to (where someone came from or went);
    - ``area_of``: an area noun and "of" ("the town of X", "much of X");
    - ``in``: in, at, across, into ... also through an area noun ("in the
      Georgian capital X") or a part ("in one of X's provinces");
    - ``of``: any other "of";
    - ``possessive_np``: only a determiner ("the X hotel");
    - ``none``: nothing of the above.

    >>> _frame("Gunmen attacked the town of Kidal", 27)
    'area_of'
    >>> _frame("30 km north of Kabul", 15)
    'relative'
    """
    words = _FRAME_TOKEN.findall(text, max(0, start - 90), start)[-12:]
    i = len(words) - 1

    def skip_np(i: int) -> tuple[int, str | None]:
        # "the UN's restive northern": adjectives and determiners, right to left.
        det = None
        while i >= 0:
            if _is_det(words[i]):
                det = words[i].lower()
            elif not _is_adj(words[i]):
                break
            i -= 1
        return i, det

    def lead(i: int) -> str | None:
        # What stands before a noun phrase: a preposition, "near", "from".
        if i < 0:
            return None
        low = words[i].lower()
        if low in _NEAR_PREPS:
            return "near"
        if low == "to" and i > 0 and words[i - 1].lower() == "close":
            return "near"
        if low == "from":
            before = words[i - 1].lower() if i > 0 else ""
            if before in ("away", "far") or before in _UNITS or before == ")":
                return "near"
            return "from"
        if low == "to":
            return "from"
        if low in _IN_PREPS:
            return "in"
        if low == "of" and i > 0 and words[i - 1].lower() in _PART_WORDS:
            return "in" if lead(i - 2) == "in" else None
        return None

    i, det = skip_np(i)
    fallback = "possessive_np" if det in _POSSESSIVE_NP_DETS else "none"
    if i < 0:
        return fallback
    low = words[i].lower()
    if low == "," and det is None and i > 0 and _is_area(words[i - 1]):
        i -= 1  # "the capital, Kinshasa"
        low = words[i].lower()
    if low == "of":
        prev = words[i - 1].lower() if i > 0 else ""
        if prev in _DIRECTIONS:
            return "relative"
        if prev in _NEAR_OF:
            return "near"
        if _is_area(prev):
            j = i - 1
            while j >= 0 and _is_area(words[j]):
                j -= 1
            j, _ = skip_np(j)
            outer = lead(j)
            return outer if outer in ("near", "from") else "area_of"
        if prev in _PART_WORDS and lead(i - 2) == "in":
            return "in"
        return "of"
    if _is_area(low):
        j = i
        while j >= 0 and _is_area(words[j]):
            j -= 1
        j, _ = skip_np(j)
        outer = lead(j)
        if outer is not None:
            return outer
    outer = lead(i)
    return outer if outer is not None else fallback


@lru_cache(maxsize=16384)
def _right_context(text: str, end: int, is_country: bool) -> tuple[bool, bool, bool]:
    """What follows a name: (a site noun, an actor cue, a part of the place).

    Cached: a sentence's names are scored once per trigger, their context once.
    """
    right = text[end : end + 50]
    first = right[:1]
    if not first or (first not in "'\u2019-" and not first.isspace()):
        return False, False, False  # each pattern starts with a quote, a hyphen or a space
    # "a Mogadishu hotel" is in Mogadishu; "the US embassy in Tehran" is not in the US.
    site = None if is_country or not may_hold(right, _SITE_HINTS) else _RIGHT_SITE.match(right)
    site_ok = site is not None and not _LOCATIVE_NEXT.match(
        text[end + site.end() : end + site.end() + 40]
    )
    return site_ok, bool(_RIGHT_ACTOR.match(right)), bool(_RIGHT_PART.match(right))


@lru_cache(maxsize=16384)
def _attributed(text: str, start: int) -> bool:
    left = text[max(0, start - 50) : start]
    # the cue word comes after the last comma or semicolon: start the search there
    after = max(left.rfind(","), left.rfind(";")) + 1
    return (
        may_hold(left[after:], _ATTRIBUTION_HINTS)
        and _ATTRIBUTION_LEFT.search(left, after) is not None
    )


def _contains(big: PlaceMention, small: PlaceMention) -> bool | None:
    """Whether ``big`` contains ``small``; None when the entries cannot tell."""
    if big.place is None or small.place is None:
        return None
    b, s = big.place, small.place
    if b.place_id == s.place_id or b.country_code != s.country_code:
        return False
    if _TYPE_RANK.get(b.place_type, 9) <= _TYPE_RANK.get(s.place_type, 9):
        return False
    if b.place_type is PlaceType.COUNTRY:
        return True
    return b.admin1 is not None and b.admin1 == s.admin1


# How two nearby names relate when the entries cannot tell: "Compton, California",
# "Sadr City, a Shiite neighborhood of Baghdad" name the site first;
# "Narathiwat's Chanae district", "the West Bank city of Nablus" last.
_OUTER_SECOND = re.compile(
    r"^(?:\s*,\s*|\s+(?:in|of|near)\s+(?:the\s+)?)(?:(?:a|an|the)\s+[^,;()]{0,50}?\b(?:of|in|near)\s+"
    r"(?:the\s+)?)?(?:" + _ADJ + r")*$",
    re.IGNORECASE,
)
_AREA_OF_GAP = re.compile(
    r"^\s+(?:" + _ADJ + r")*" + _AREA + r"\s+of\s+(?:the\s+)?$", re.IGNORECASE
)
_AND_OR = re.compile(r"\b(?:and|or)\b")
_INNER_SECOND = re.compile(r"^['\u2019]s\s+(?:" + _ADJ + r")*$", re.IGNORECASE)


def _chain_roles(text: str, names: Sequence[PlaceMention]) -> set[int]:
    """Indices (in position order) of names that only say where the site lies."""
    outer: set[int] = set()
    for i in range(len(names) - 1):
        a, b = names[i], names[i + 1]
        gap = text[a.span.end : b.span.start]
        if len(gap) > 70 or _AND_OR.search(gap):
            continue
        a_in_b, b_in_a = _contains(b, a), _contains(a, b)
        if a_in_b and len(gap) < 50:
            outer.add(i + 1)
        elif (b_in_a and len(gap) < 50) or _INNER_SECOND.match(gap):
            outer.add(i)
        elif _AREA_OF_GAP.match(gap):
            # "the West Bank city of Nablus" vs "Tora Manda locality of Maywand".
            modifier = re.search(r"\bthe\s+$", text[max(0, a.span.start - 5) : a.span.start], re.I)
            outer.add(i if modifier else i + 1)
        elif _OUTER_SECOND.match(gap):
            outer.add(i + 1)
    return outer


# A capitalised name, with Arabic particles and lower-case joiners: "Deir al-Zor",
# "Bab el-Hawa", "Khan Sheikhoun".
_NAME_RUN = re.compile(
    # A name starts a word with a capital or a particle ("al-"). Opening with a
    # character class lets the engine skip to those letters (a third faster than
    # testing \b everywhere); the look-behind then checks the word start.
    r"[A-Zae](?<=\b.)(?:(?<=a)(?:l|n|d|s|r|t|sh|z)-[A-Z]|(?<=e)l-[A-Z]|(?<=[A-Z]))"
    r"[\w\u2019'.-]*[\w\u2019']"
    r"(?:(?:\s+|-)(?:al|el|ez|es|ed|ad|as|ar|at|ash|az|ul|un)-[\w\u2019']+"
    r"|\s+(?:(?:al|el|de|del|da|do|of|bin|ibn|an|ad|as|ar|at|ash|es|ez)(?:-|\s+))?[A-Z][\w\u2019'-]*[\w\u2019'])*"
)

# Senses of event verbs that report no violent event: "captured the title",
# "shot the film", "demonstrated that". They have no event location.
_CAPTURE_WORDS = re.compile(r"(?i)(?:captur|clinch|won\b|win\b|seiz)")
_NON_EVENT_OBJECT = re.compile(
    r"(?i)\s+(?:(?:his|her|their|its|the|a|an|this|that)\s+)?"
    r"(?:(?!(?:in|at|on|near|from|with|by|after|during|while|to)\b)[\w\u2019'.-]+\s+){0,5}?(?:titles?"
    r"|victory|win|points?|attention|imagination|hearts?|crown|gold|silver|bronze|medals?|pole"
    r"|seats?|votes?|award|championship|trophy|cup|lead|majority|mood|spirit|essence|picture"
    r"|images?|moment|market|share|headlines?|nomination|prize|goals?|wickets?|stage|race|match"
    r"|tie-?breaker|set|game|innings|record|semi-?final|final|delegates?|primar(?:y|ies))\b(?!-)"
    # "captured on camera": recorded, not seized
    r"|\s+(?:[\w-]+\s+){0,3}?on\s+(?:camera|film|video|tape)\b"
)
_SHOOT_WORDS = re.compile(r"(?i)(?:shot|shoot|film)")
_FILMING = re.compile(
    r"(?i)\b(?:film(?:ed|ing|s)?|movies?|episodes?|scenes?|footage|documentar(?:y|ies)"
    r"|commercials?|photographs?|photos?|camera)\b"
)
# "demonstrated that", "demonstrated the strength of", "was demonstrated by": showing
_SHOWED = re.compile(
    r"(?i)\s+(?:that|how|what|why|its|his|her|their|our|my|your|the|a|an|this|these|those"
    r"|such|both|they|it|he|she|we|great|strong|clear|new)\b"
)
_PASSIVE_BEFORE = re.compile(r"(?i)\b(?:was|were|been|is|are|be)\s+(?:[a-z]+ly\s+)?$")


def _non_event_sense(text: str, verb: Span, start: int = 0, end: int | None = None) -> bool:
    """Whether the verb is used in a sense that reports no violent event.

    ``start`` and ``end`` bound the sentence that holds the verb.

    >>> _non_event_sense("Nadal captured his third title in Paris.", Span(6, 14))
    True
    >>> _non_event_sense("Rebels captured the town of Kidal.", Span(7, 15))
    False
    """
    word = text[verb.start : verb.end]
    if _CAPTURE_WORDS.match(word):
        return bool(_NON_EVENT_OBJECT.match(text, verb.end))
    if _SHOOT_WORDS.match(word):
        return bool(_FILMING.search(text, start, len(text) if end is None else end))
    if word.lower().startswith("demonstrat"):
        return bool(_SHOWED.match(text, verb.end)) or (
            word.lower() == "demonstrated"
            and _PASSIVE_BEFORE.search(text, max(0, verb.start - 20), verb.start) is not None
        )
    return False


# Leading words that a sentence-initial capital glues to a name: "In Joh Ai Rong".
_LEADING_FUNCTION_WORDS = wordset(
    "in at on near from the a an after before during since while when as by for of to into"
    " outside inside across meanwhile elsewhere also"
)
_TOKEN = re.compile(r"[^\W\d_][\w\u2019'.-]*[\w\u2019']|[^\W\d_]|\d+|[^\w\s]")
# The same on ASCII text, where ASCII classes test a fifth faster; Unicode's \s
# also holds the separators \x1c-\x1f.
_ASCII_TOKEN = re.compile(r"[a-z][\w'.-]*[\w']|[a-z]|\d+|[^\w\s\x1c-\x1f]", re.ASCII)
_PASSIVE_AUX = wordset("was were is are be been being")
_OPENERS = " \t\n\"'\u201c\u2018(["
_PERFECT = wordset("have has had")
_MODAL_OR_NEGATION = wordset(
    "would could might may will shall should must can not never n't no threatened vowed"
)


@lru_cache(maxsize=4096)
def _name_runs(text: str) -> tuple[PlaceMention, ...]:
    out = []
    # any word is capitalised at the start of a sentence: names start after its first
    opening = len(text) - len(text.lstrip(_OPENERS))
    for m in _NAME_RUN.finditer(text):
        start, name = m.start(), m.group()
        first, _, rest = name.partition(" ")
        if rest and first.lower() in _LEADING_FUNCTION_WORDS:
            start, name = start + len(first) + 1, rest.lstrip()
        if start > opening and name.lower() not in _NOT_PLACES:
            out.append(PlaceMention("", Span(start, m.end()), name, None, 0.0, "frame"))
    return tuple(out)


def _runs(text: str, taken: Sequence[PlaceMention], verb: Span) -> list[PlaceMention]:
    """Capitalised names the recogniser left, as candidates without an entry.

    Most sites the gazetteer lacks (villages, districts, bases, streets) are
    such names; the model weighs them with the frame and the words around.
    """
    busy = [(verb.start, verb.end), *((t.span.start, t.span.end) for t in taken)]
    out = []
    for run in _name_runs(text):
        start, end = run.span.start, run.span.end
        for lo, hi in busy:
            if start < hi and lo < end:
                break
        else:
            out.append(run)
    return out


_MATCH_START = re.Match.start
_MATCH_TEXT = re.Match.group


@lru_cache(maxsize=4096)
def _tokens(text: str) -> tuple[list[int], list[str]]:
    """Token starts and lower-cased tokens."""
    if text.isascii():  # lower-casing keeps every token where it is: one pass
        found = list(_ASCII_TOKEN.finditer(text.lower()))
        return list(map(_MATCH_START, found)), list(map(_MATCH_TEXT, found))
    starts = [m.start() for m in _TOKEN.finditer(text)]
    words = _TOKEN.findall(text.lower())
    if len(words) != len(starts):  # lowering changed a token ("İ" is two letters lowered)
        words = [m.group().lower() for m in _TOKEN.finditer(text)]
    return starts, words


# A place type's value without the enum's property lookup, for the hot loop.
_KIND_NAMES = {t: t.value for t in PlaceType}


def _distance_bucket(words: int) -> str:
    if words <= 2:
        return str(words)
    return "3-4" if words <= 4 else "5-8" if words <= 8 else "9-15" if words <= 15 else "16+"


class _Known(Protocol):
    def lookup(self, name: str) -> list[Place]: ...


@lru_cache(maxsize=4096)
def _known_type(gazetteer: _Known | None, name: str) -> str:
    """The kind of the most populous entry for a name the recogniser dropped."""
    if gazetteer is None:
        return "unchecked"
    places = gazetteer.lookup(name)
    if not places:
        return "unknown"
    return max(places, key=lambda p: p.population).place_type.value


@lru_cache(maxsize=16384)
def _name_features(
    text: str,
    start: int,
    end: int,
    name: str,
    src: str,
    kind: str,
    score: int,
    gazetteer: _Known | None,
) -> tuple[str, str, tuple[str, ...]]:
    """What the name at ``text[start:end]`` and its surroundings say, whatever
    the verb: its kind, the frame before it and its features. Cached, as each
    trigger of a sentence scores the same names."""
    if src == "run":
        kind = "known:" + _known_type(gazetteer, name)
    starts, words = _tokens(text)
    ti = bisect_left(starts, start)
    tj = bisect_left(starts, end)
    p1 = words[ti - 1] if ti >= 1 else "<s>"
    p2 = words[ti - 2] if ti >= 2 else "<s>"
    n1 = words[tj] if tj < len(words) else "</s>"
    n2 = words[tj + 1] if tj + 1 < len(words) else "</s>"
    name_words = name.lower().split()
    feats = [
        f"src:{src}",
        f"type:{kind}",
        f"p1:{p1}",
        f"p2:{p2} {p1}",
        f"n1:{n1}",
        f"n2:{n1} {n2}",
        f"first:{name_words[0]}",
        f"last:{name_words[-1]}",
        f"suffix:{name_words[-1][-3:]}",
        f"len:{min(len(name_words), 4)}",
    ]
    if ti == 0:
        feats.append("sentence_start")
    if name.isupper() and len(name) > 1:
        feats.append("all_caps")
    if src == "gaz":
        feats.append(f"recognised:{score}")
    if _attributed(text, start):
        feats.append("attribution")
    site, actor, part = _right_context(text, end, kind == "country")
    if site:
        feats.append("site_after")
    if actor:
        feats.append("actor_after")
    if part:
        feats.append("part_after")
    return kind, _frame(text, start), tuple(feats)


def _verb_context(text: str, verb: Span) -> tuple[str, bool, tuple[str, ...]]:
    """The verb's word, whether it is passive, and what the sentence says of the
    event itself: "have been killed since 2011", "would attack", "was not
    captured" rarely come with a site."""
    starts, words = _tokens(text)
    verb_word = text[verb.start : verb.end].lower()
    vi = bisect_left(starts, verb.start)
    v1 = words[vi - 1] if vi >= 1 else "<s>"
    v2 = words[vi - 2] if vi >= 2 else "<s>"
    after_verb = words[vi + 1] if vi + 1 < len(words) else "</s>"
    context = [
        f"v-1:{v1}",
        f"v-2:{v2} {v1}",
        f"v+1:{after_verb}",
        f"v+1:{verb_word} {after_verb}",
    ]
    near_verb = set(words[max(0, vi - 4) : vi])
    if near_verb & _PERFECT:
        context.append("perfect")
    if near_verb & _MODAL_OR_NEGATION:
        context.append("modal_or_negated")
    if "since" in words:
        context.append("since")
    return verb_word, vi > 0 and words[vi - 1] in _PASSIVE_AUX, tuple(context)


def _candidates(
    text: str,
    verb: Span,
    mentions: Sequence[PlaceMention],
    gazetteer: _Known | None = None,
    within: Span | None = None,
) -> list[_Candidate]:
    """Every name of the sentence as a candidate site, in text order, with features.

    ``mentions`` are the recogniser's place mentions; the other capitalised
    names, except a sentence's first word, join without a gazetteer entry
    (``via="frame"``). With ``gazetteer``, those names are
    looked up so the model can tell a dropped place name from a person's.
    Only names inside ``within`` (default: all of ``text``) are scored.
    """
    if _non_event_sense(text, verb):
        return []
    # Demonyms name sides ("Iraqi forces"), almost never the site.
    pool = [
        m
        for m in mentions
        if m.via != "demonym" and not m.span.overlaps(verb) and m.text.lower() not in _NOT_PLACES
    ]
    pool += _runs(text, mentions, verb)
    if not pool:
        return []
    pool.sort(key=lambda m: m.span.start)
    outer = _chain_roles(text, pool)
    pool_starts = [m.span.start for m in pool]
    verb_word, passive, context = _verb_context(text, verb)
    tail = (f"ncands:{min(len(pool), 6)}", *context)
    null = ("null:bias", f"null:verb:{verb_word}", f"null:passive:{passive}")
    null += tuple(f"null:{c}" for c in context)
    starts, words = _tokens(text)
    counts: dict[str, int] = {}
    for m in pool:
        counts[m.text] = counts.get(m.text, 0) + 1
    lo_bound, hi_bound = (0, len(text)) if within is None else (within.start, within.end)
    out = []
    for i, m in enumerate(pool):
        span = m.span
        if not lo_bound <= span.start < span.end <= hi_bound:
            continue
        place = m.place
        if m.via == "demonym":
            src = "demonym"
        elif place is not None:
            src = "gaz"
        else:
            src = "run"
        kind = _KIND_NAMES[place.place_type] if place is not None else "none"
        kind, frame, own = _name_features(
            text, span.start, span.end, m.text, src, kind, min(int(m.score * 5), 4), gazetteer
        )
        after = span.start >= verb.end
        side = "A" if after else "B"
        lo, hi = (verb.end, span.start) if after else (span.end, verb.start)
        between = text[lo:hi]
        if frame in ("none", "possessive_np"):
            if after and _BETWEEN_VERB_OBJECT.match(between):
                frame = "object"  # "shelled Kabul"
            elif not after and passive and len(between.split()) <= 6 and "," not in between:
                frame = "patient"  # "Damascus is being shelled"
        gap = _distance_bucket(len(between.split()))
        crossed = bisect_left(pool_starts, hi) - bisect_left(pool_starts, lo)
        feats = [
            "bias",
            *own,
            f"type:{kind}|{side}",
            f"frame:{frame}",
            f"frame:{frame}|{side}",
            f"frame:{frame}|{src}",
            f"dist:{gap}|{side}",
            f"dist:{gap}|{side}|{frame}",
            f"crossed:{min(crossed, 3)}|{side}",
            f"commas:{min(between.count(','), 3)}",
            f"verb:{verb_word}|{side}",
            f"verb:{verb_word}|{frame}",
            f"passive:{passive}|{side}|{frame}",
            *tail,
        ]
        if may_hold(between, _CLAUSE_BREAK_HINTS) and _CLAUSE_BREAK.search(between):
            feats.append("clause_break")
        if i in outer:
            feats.append("container")
        if counts[m.text] > 1:
            feats.append("repeated")
        feats += _between_words(starts, words, lo, hi, side)
        out.append(_Candidate(span, m, frame, tuple(feats), null))
    return out


_BETWEEN_MAX = 12  # words; a longer gap is one feature, its words say little


def _between_words(starts: list[int], words: list[str], lo: int, hi: int, side: str) -> list[str]:
    """The words between the verb and the name, once each: "killed three people in
    X" reads differently from "killed ..., said a statement from X"."""
    gap = words[bisect_left(starts, lo) : bisect_left(starts, hi)]
    if len(gap) > _BETWEEN_MAX:
        return [f"btw:long|{side}"]
    return [f"btw:{w}|{side}" for w in dict.fromkeys(gap)]


Knots = tuple[tuple[float, float], ...]


def _interpolate(knots: Knots, x: float) -> float:
    """Piecewise linear through ``knots`` (sorted by x), flat beyond the ends."""
    i = bisect_left(knots, x, key=itemgetter(0))  # no list of xs built per call
    if i == 0:
        return knots[0][1]
    if i == len(knots):
        return knots[-1][1]
    (x0, y0), (x1, y1) = knots[i - 1], knots[i]
    return y0 if x1 == x0 else y0 + (y1 - y0) * (x - x0) / (x1 - x0)


@dataclass(frozen=True)
class Calibration:
    """How often an incident record is right about its place, read off the place
    model's best probability.

    Fitted out of fold by ``scripts/train_eventplace.py`` (isotonic regression)
    on incident records the whole pipeline read from the event-location corpus:
    ``site`` maps the probability to the share of records with a place whose
    place is the event's site; ``none`` to the share of records without a place
    whose sentence indeed gives none.
    """

    site: Knots
    none: Knots

    @classmethod
    def uncalibrated(cls) -> Calibration:
        """The raw probability as it stands (for hand-made models in tests)."""
        return cls(site=((0.0, 0.0), (1.0, 1.0)), none=((0.0, 1.0), (1.0, 0.0)))

    @classmethod
    def from_dict(cls, data: dict) -> Calibration:
        return cls(
            site=tuple((float(x), float(y)) for x, y in data["site"]),
            none=tuple((float(x), float(y)) for x, y in data["none"]),
        )

    def confidence(self, probability: float, located: bool) -> float:
        """The chance that a record is right about its place: that the chosen site
        is where the event happened (``located``), or that the text gives none."""
        return _interpolate(self.site if located else self.none, probability)


@dataclass(frozen=True)
class EventPlaceModel:
    """Weights over candidate features, and the threshold that decides.

    The weights score each candidate and the choice of no site (its ``null``
    features); they were fitted as one choice among all of them (a softmax over
    the sentence), so a name is weighed against the others, not alone. A
    candidate's probability is that of it against no site. ``threshold`` is the
    lowest probability for a candidate to count as the event's site, the best
    one or one joined to it by "and". A model without null weights is a plain
    logistic model over candidates.
    """

    weights: dict[str, float]
    threshold: float
    cross_validated: dict[str, float] = field(default_factory=dict)  # as recorded at training
    calibration: Calibration = field(default_factory=Calibration.uncalibrated)
    recorded_calibration: dict = field(default_factory=dict)  # its out-of-fold reliability

    @classmethod
    def load(cls, path: str | Path = MODEL_PATH) -> EventPlaceModel:
        """Read a model written by ``scripts/train_eventplace.py``."""
        data = read_model(path)
        try:
            calibration = Calibration.from_dict(data["calibration"])
            threshold = float(data["threshold"])
        except (KeyError, TypeError, ValueError) as err:
            raise ModelError(
                f"{path} has no calibration or threshold ({err!r}); expected a model written "
                "by the current scripts/train_eventplace.py; retrain it or restore data/model"
            ) from err
        return cls(
            data["weights"],
            threshold,
            data.get("cross_validated", {}),
            calibration,
            data["calibration"].get("cross_fitted", {}),
        )

    def score(self, features: Sequence[str]) -> float:
        return sum(map(self.weights.get, features, repeat(0.0)))

    def probability(self, cand: _Candidate) -> float:
        """The chance that the candidate, rather than no site, is the event's site."""
        return _sigmoid(self.score(cand.features) - self.score(cand.null))


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


@lru_cache(maxsize=1)
def default_model() -> EventPlaceModel:
    """The shipped model, read on first use."""
    return EventPlaceModel.load()


def _coordinated(
    text: str, best: _Candidate, by_pos: Sequence[_Candidate], keep: Callable[[_Candidate], bool]
) -> list[_Candidate]:
    """The best place and places joined to it by "and" or "one in X and the other in Y"."""
    chosen = [best]
    i = by_pos.index(best)
    for step in (1, -1):
        j, cur = i + step, best
        while 0 <= j < len(by_pos):
            nxt = by_pos[j]
            left, right = (cur, nxt) if step == 1 else (nxt, cur)
            gap = text[left.span.end : right.span.start]
            if not (_COORDINATION.match(gap) or (_ONE_IN.search(gap) and "and" in gap)):
                break
            if _contains(nxt.mention, cur.mention) or _contains(cur.mention, nxt.mention):
                break
            if not _AND_OR.search(gap) and not _and_follows(text, by_pos, j, step):
                break
            if keep(nxt):
                chosen.append(nxt)
            cur, j = nxt, j + step
    return sorted(chosen, key=lambda c: c.span.start)


def _and_follows(text: str, by_pos: Sequence[_Candidate], j: int, step: int) -> bool:
    # A bare comma joins a list only when an "and" closes it: "X, Y and Z".
    k = j + step
    if not 0 <= k < len(by_pos):
        return False
    a, b = (by_pos[j], by_pos[k]) if step == 1 else (by_pos[k], by_pos[j])
    return bool(_AND_OR.search(text, a.span.end, b.span.start))


def _choose(
    text: str, by_pos: Sequence[_Candidate], model: EventPlaceModel | None = None
) -> list[_Candidate]:
    """The most probable candidate over the threshold, and those coordinated with it."""
    model = default_model() if model is None else model
    return _pick(text, by_pos, {c.span: model.probability(c) for c in by_pos}, model.threshold)


def _pick(
    text: str, by_pos: Sequence[_Candidate], probs: dict[Span, float], threshold: float
) -> list[_Candidate]:
    if not by_pos:
        return []
    best = max(by_pos, key=lambda c: (probs[c.span], -c.span.start))
    if probs[best.span] < threshold:
        return []
    return _coordinated(text, best, by_pos, lambda c: probs[c.span] >= threshold)


@dataclass(frozen=True)
class SiteChoice:
    """The sites chosen for one event, every candidate weighed, and the best
    candidate's probability (0.0 when there was none)."""

    sites: list[_Candidate]
    candidates: list[_Candidate]
    probability: float


def choose_sites(
    text: str,
    verbs: Sequence[Span],
    mentions: Sequence[PlaceMention],
    gazetteer: _Known | None = None,
    within: Span | None = None,
    model: EventPlaceModel | None = None,
) -> SiteChoice:
    """The sites of one event told by several trigger words, and every candidate.

    "The attack ..., targeting two bases, one in X and the other in Y": each
    name keeps its best probability over the event's triggers. Only names
    inside ``within`` (default: all of ``text``) are candidates.
    """
    model = default_model() if model is None else model
    probs: dict[Span, float] = {}
    pool: dict[Span, _Candidate] = {}
    for verb in verbs:
        cands = _candidates(text, verb, mentions, gazetteer, within)
        if not cands:
            continue
        z_null = model.score(cands[0].null)  # one per verb
        for c in cands:
            if len(verbs) > 1 and any(c.span.overlaps(v) for v in verbs):
                continue
            p = _sigmoid(model.score(c.features) - z_null)
            if p > probs.get(c.span, -1.0):
                probs[c.span], pool[c.span] = p, c
    by_pos = sorted(pool.values(), key=lambda c: c.span.start)
    sites = _pick(text, by_pos, probs, model.threshold)
    return SiteChoice(sites, by_pos, max(probs.values(), default=0.0))


def predict_event_location(
    sentence_text: str,
    event_verb_span: Span,
    place_mentions: Sequence[PlaceMention],
    gazetteer: _Known | None = None,
    model: EventPlaceModel | None = None,
) -> list[Span]:
    """Spans of the names where the event named by the verb happened.

    Every place mention and every other capitalised name of the sentence is a
    candidate, scored against the others and against no site at all
    (``data/model/eventplace.json``, trained by ``scripts/train_eventplace.py``)
    on the frame before it ("in", "the town of", directly after the verb), the
    words around it and between it and the verb, what follows it ("Iran
    struck", "a Mogadishu hotel"), its kind of place, and its distance and
    clause separation from the verb. The most probable one
    counts when it reaches the model's threshold; places coordinated with it
    ("one in X and the other in Y") come with it. Spans point into
    ``sentence_text``; a chosen name may lack a gazetteer entry.

    >>> from geomap.model import PlaceMention, Span
    >>> text = "Gunmen killed three people in Kirkuk on Sunday."
    >>> kirkuk = PlaceMention("a", Span(30, 36), "Kirkuk", None, 1.0)
    >>> predict_event_location(text, Span(7, 13), [kirkuk])
    [Span(start=30, end=36)]
    """
    cands = _candidates(sentence_text, event_verb_span, place_mentions, gazetteer)
    return [c.span for c in _choose(sentence_text, cands, model)]


_CHAIN_GAP = re.compile(r"^[^;:.()]{0,80}$")
_CHAIN_STOP = re.compile(r"\b(?:and|or|said|says|while|but)\b")


def _container_of(text: str, site: _Candidate, pool: Sequence[_Candidate]) -> _Candidate | None:
    """The known place that says where an unknown site lies: "X in Y province", "Y's X"."""
    known = [c for c in pool if c.mention.via != "frame" and c.mention.place is not None]
    after = [c for c in known if c.span.start >= site.span.end]
    for c in after:
        gap = text[site.span.end : c.span.start]
        if _CHAIN_GAP.match(gap) and not _CHAIN_STOP.search(gap):
            return c
        break
    before = [c for c in known if c.span.end <= site.span.start]
    if before:
        c = before[-1]
        gap = text[c.span.end : site.span.start]
        if _AREA_OF_GAP.match(gap) or _INNER_SECOND.match(gap):
            return c
    return None
