"""Where an event happened: which of a sentence's place mentions is its site.

Given a sentence, the span of an event's trigger and the sentence's place
mentions, :func:`predict_event_location` picks the mention(s) that locate the
event. :mod:`geomap.incidents` uses it for every incident, and
:mod:`geomap.evaluation.events` scores it on the event-location corpus.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from geomap.model import PlaceMention, PlaceType, Span

__all__ = [
    "EVENT_PLACE_THRESHOLD",
    "EVENT_PLACE_WEIGHTS",
    "HAND_SET_WEIGHTS",
    "predict_event_location",
]


def _wordset(words: str) -> frozenset[str]:
    """Words written as prose, so long lexicons stay readable."""
    return frozenset(words.split())

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
# Determiners, including a place's possessive: "in Venezuela's central Guarico state".
_DET = (
    r"(?:(?:the|a|an|its|their|his|her|this|that"
    r"|(?-i:[A-Z][\w-]*(?:\s+[A-Z][\w-]*)?)['\u2019]s)\s+)"
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
_PASSIVE_VERB = re.compile(r"\b(?:was|were|is|are|been|being)\s+(?:[a-z]+ly\s+)?$", re.IGNORECASE)
# Clause breaks between verb and place lower the chance they belong together.
_CLAUSE_BREAK = re.compile(
    r"[;:()\"“”]|,\s*(?:said|says|according|while|but|whereas|which|who|where|as)\b"
    r"|\b(?:said|says|told|according\s+to|reported|added)\b",
    re.IGNORECASE,
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

# The weights as set by hand, before tuning: the starting point of
# cross-validation, so that held-out figures never see their own fold.
HAND_SET_WEIGHTS: dict[str, float] = {
    "frame:area_of": 3.0,
    "frame:in": 2.6,
    "frame:near": 2.4,
    "frame:object": 2.2,
    "frame:patient": 2.0,
    "frame:relative": 0.9,
    "frame:of": 0.6,
    "frame:possessive_np": -0.2,
    "frame:from": -0.8,
    "frame:none": -0.6,
    "site_after": 1.5,
    "actor_after": -2.0,
    "type:facility": 0.5,
    "type:city": 0.5,
    "type:admin2": 0.4,
    "type:admin1": 0.1,
    "type:region": 0.1,
    "type:country": -0.3,
    "type:water": -0.2,
    "type:continent": -1.5,
    "after_verb": 0.3,
    "per_word": -0.04,
    "clause_break": -0.8,
    "attribution": -0.7,
    "container": -1.0,
    "proposal": -0.6,
    "threshold": 1.2,
}
#: Weights of the place-choice score. Set by hand from reading sentences, then
#: tuned on the event-location dev corpus by coordinate ascent
#: (:func:`geomap.evaluation.events.cross_validate_file`); with five folds by
#: document the held-out accuracy was 0.724 overall, 0.698 with a gold place and
#: 0.757 without one (in-sample 0.727 / 0.680 / 0.790).
EVENT_PLACE_WEIGHTS: dict[str, float] = {
    "frame:area_of": 2.7,
    "frame:in": 2.6,
    "frame:near": 2.4,
    "frame:object": 2.9,
    "frame:patient": 0.5,
    "frame:relative": 0.7,
    "frame:of": -0.1,
    "frame:possessive_np": -0.4,
    "frame:from": -0.8,
    "frame:none": -0.6,
    "site_after": 1.5,
    "actor_after": -2.5,
    "type:facility": -0.5,
    "type:city": 0.7,
    "type:admin2": -0.6,
    "type:admin1": 0.3,
    "type:region": -1.1,
    "type:country": -1.3,
    "type:water": -0.9,
    "type:continent": -2.5,
    "after_verb": 0.1,
    "per_word": -0.04,
    "clause_break": -1.9,
    "attribution": -0.7,
    "container": -0.8,
    "proposal": 0.9,
    "threshold": 1.2,
}
#: Lowest score a place needs to count as the event's location.
EVENT_PLACE_THRESHOLD = EVENT_PLACE_WEIGHTS["threshold"]

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
_NOT_PLACES = _wordset(
    "jan jan. feb feb. mar mar. apr apr. jun jun. jul jul. aug aug. sep sep. sept sept. oct "
    "oct. nov nov. dec dec. january february march april may june july august september "
    "october november december monday tuesday wednesday thursday friday saturday sunday"
)


@dataclass(frozen=True, slots=True)
class _Candidate:
    span: Span
    mention: PlaceMention
    frame: str
    features: tuple[tuple[str, float], ...]

    def score(self, weights: dict[str, float]) -> float:
        return sum(weights.get(name, 0.0) * value for name, value in self.features)


# The frame grammar is read backwards, word by word, with set look-ups: as
# regular expressions anchored at the name it ran ten times slower.
_ADJ_WORDS = _wordset(
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
_AREA_WORDS = _wordset(
    "city cities town towns village villages district districts province provinces governorate"
    " region regions state county area areas suburb suburbs neighbourhood neighborhood"
    " neighbourhoods neighborhoods quarter camp settlement settlements municipality locality"
    " countryside streets heart center centre centers centres part parts capital enclave"
    " stronghold port island islands valley border borders hamlet sector axis frontier territory"
    " territories much most half third percent swath swaths rest control coast shore shores"
    " waters skies airspace"
)
_DET_FRAME_WORDS = _wordset("the a an its their his her this that")
_POSSESSIVE_NP_DETS = _wordset("the a an his her its their")
_IN_PREPS = _wordset(
    "in at inside within across throughout around into through on over along off toward"
    " towards beside among onto upon amid"
)
_NEAR_PREPS = _wordset("near outside nearby")
_NEAR_OF = _wordset("outskirts vicinity edge environs surroundings periphery")
_PART_WORDS = _wordset("one some many several each all part parts much most")
_DIRECTIONS = _wordset(
    "north south east west northeast northwest southeast southwest north-east north-west"
    " south-east south-west"
)
_UNITS = _wordset("km kilometers kilometres miles mi")
_FRAME_TOKEN = re.compile(r"[\w\u2019'.-]+|[(),]")


def _is_adj(word: str) -> bool:
    low = word.lower()
    return (
        low in _ADJ_WORDS
        or bool(_ADJ_HYPHEN.match(low))
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
        while i >= 0 and (_is_adj(words[i]) or _is_det(words[i])):
            if _is_det(words[i]):
                det = words[i].lower()
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
    site = _RIGHT_SITE.match(right)
    # "a Mogadishu hotel" is in Mogadishu; "the US embassy in Tehran" is not in the US.
    site_ok = (
        site is not None
        and not is_country
        and not _LOCATIVE_NEXT.match(text[end + site.end() : end + site.end() + 40])
    )
    return site_ok, bool(_RIGHT_ACTOR.match(right)), bool(_RIGHT_PART.match(right))


@lru_cache(maxsize=16384)
def _attributed(text: str, start: int) -> bool:
    return bool(_ATTRIBUTION_LEFT.search(text[max(0, start - 50) : start]))


def _features(text: str, verb: Span, mention: PlaceMention) -> _Candidate | None:
    span = mention.span
    if mention.via == "demonym" or span.overlaps(verb) or mention.text.lower() in _NOT_PLACES:
        return None  # "Iraqi forces" names a side, never the site
    frame = _frame(text, span.start)
    if frame in ("none", "possessive_np"):
        if span.start >= verb.end and _BETWEEN_VERB_OBJECT.match(text[verb.end : span.start]):
            frame = "object"  # "shelled Kabul"
        elif (
            span.end <= verb.start
            and _PASSIVE_VERB.search(text[max(0, verb.start - 30) : verb.start])
            and len(text[span.end : verb.start].split()) <= 6
            and "," not in text[span.end : verb.start]
        ):
            frame = "patient"  # "Damascus is being shelled"
    feats: list[tuple[str, float]] = [(f"frame:{frame}", 1.0)]
    if mention.via == "frame":
        feats.append(("proposal", 1.0))
    place = mention.place
    site, actor, part = _right_context(
        text, span.end, place is not None and place.place_type is PlaceType.COUNTRY
    )
    if site and frame in ("none", "possessive_np", "of", "object", "patient"):
        feats.append(("site_after", 1.0))
    elif actor and frame not in ("in", "area_of", "near") and not part:
        feats.append(("actor_after", 1.0))
    if place is not None:
        feats.append((f"type:{place.place_type.value}", 1.0))
    if span.start >= verb.end:
        between = text[verb.end : span.start]
        feats.append(("after_verb", 1.0))
    else:
        between = text[span.end : verb.start]
    feats.append(("per_word", float(min(len(between.split()), 40))))
    if _CLAUSE_BREAK.search(between):
        feats.append(("clause_break", 1.0))
    if _attributed(text, span.start):
        feats.append(("attribution", 1.0))
    return _Candidate(span, mention, frame, tuple(feats))


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


def _chain_roles(text: str, cands: Sequence[_Candidate]) -> set[int]:
    """Indices (in position order) of names that only say where the site lies."""
    outer: set[int] = set()
    for i in range(len(cands) - 1):
        a, b = cands[i], cands[i + 1]
        gap = text[a.span.end : b.span.start]
        if len(gap) > 70 or _AND_OR.search(gap):
            continue
        a_in_b, b_in_a = _contains(b.mention, a.mention), _contains(a.mention, b.mention)
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


# A capitalised name the recogniser did not know, in a frame that only places
# fill: "the village of Garubula", "in Reshimbagh". It can be the site (then the
# event is placed at a known container, less precisely), never a point itself.
_NAME_RUN = re.compile(
    r"(?:(?:al|el|an|ad|as|ar|at|ash|az)-)?[A-Z][\w\u2019'.-]*[\w\u2019']"
    r"(?:(?:\s+|-)(?:al|el|ez|es|ed|ad|as|ar|at|ash|az|ul|un)-[\w\u2019']+"
    r"|\s+(?:(?:al|el|de|del|da|do|of|bin|ibn|an|ad|as|ar|at|ash|es|ez)(?:-|\s+))?[A-Z][\w\u2019'-]*[\w\u2019'])*"
)
# Names of groups, faiths and bodies, not of places.
_ORG_WORDS = re.compile(
    r"(?i)\b(?:agency|force|forces|council|commission|mission|school|party|front|army|brigades?"
    r"|movement|organi[sz]ation|news|security|ministry|committee|union|league|cup|state)\b"
    r"|-(?:led|backed|held|based|linked|affiliated)$"
)
_FAITH_WORDS = _wordset(
    "muslim muslims islamist islamists islamic sunni sunnis shiite shiites shi'ite shi'ites "
    "shia arab arabs jewish christian christians kurd kurds druze alawite taliban hezbollah "
    "hamas isis isil daesh"
)
_PROPOSAL_FRAMES = frozenset(("in", "area_of", "near"))
_ACRONYM_NEXT = re.compile(r"\s*\([A-Z]{2,}\)")
_NOT_NAMES = _wordset(
    "the a an this that these those his her its their our president prime minister general "
    "parliament congress senate islam christianity english arabic french spanish russian "
    "chinese hindi urdu persian kurdish turkish german hebrew god allah christmas ramadan "
    "easter eid internet twitter facebook youtube court council assembly government army "
    "police ministry university office hospital camp state city town village district "
    "province region area capital january february march april may june july august "
    "september october november december monday tuesday wednesday thursday friday saturday "
    "sunday"
)


_FRAME_END_WORDS = _IN_PREPS | _NEAR_PREPS | _DET_FRAME_WORDS | _ADJ_WORDS | _AREA_WORDS | {"of"}


def _may_follow_frame(text: str, start: int) -> bool:
    """Cheap test: can the word before ``start`` end a place frame ("in", "the", "of")?"""
    words = text[max(0, start - 30) : start].split()
    if not words:
        return False
    word = words[-1].rstrip(",")
    return word.lower() in _FRAME_END_WORDS or _is_adj(word) or _is_det(word) or _is_area(word)


@lru_cache(maxsize=4096)
def _proposal_spans(text: str) -> tuple[tuple[Span, str], ...]:
    out = []
    for m in _NAME_RUN.finditer(text):
        span = Span(m.start(), m.end())
        name = m.group()
        first = name.split()[0].lower().rstrip(".")
        if (
            first in _NOT_NAMES
            or first in _FAITH_WORDS
            or name.isupper()
            or not _may_follow_frame(text, span.start)
            or _ORG_WORDS.search(name)
            or _ACRONYM_NEXT.match(text, span.end)
            or _frame(text, span.start) not in _PROPOSAL_FRAMES
            or _RIGHT_ACTOR.match(text[span.end : span.end + 30])
        ):
            continue
        out.append((span, name))
    return tuple(out)


def _proposals(text: str, taken: Sequence[PlaceMention]) -> list[PlaceMention]:
    return [
        PlaceMention("", span, name, None, 0.0, "frame")
        for span, name in _proposal_spans(text)
        if not any(span.overlaps(t.span) for t in taken)
    ]


# Senses of event verbs that report no violent event: "captured the title",
# "shot the film", "demonstrated that". They have no event location.
_CAPTURE_WORDS = re.compile(r"(?i)(?:captur|clinch|won\b|win\b|seiz)")
_NON_EVENT_OBJECT = re.compile(
    r"(?i)\s+(?:(?:his|her|their|its|the|a|an|this|that)\s+)?(?:[\w-]+\s+){0,3}?(?:titles?|victory"
    r"|win|points?|attention|imagination|hearts?|crown|gold|silver|bronze|medals?|pole|seats?"
    r"|votes?|award|championship|trophy|cup|lead|majority|mood|spirit|essence|picture|images?"
    r"|moment|market|share|headlines?|nomination)\b"
)
_SHOOT_WORDS = re.compile(r"(?i)(?:shot|shoot|film)")
_FILMING = re.compile(
    r"(?i)\b(?:film(?:ed|ing|s)?|movies?|episodes?|scenes?|footage|documentar(?:y|ies)"
    r"|commercials?|photographs?|photos?|camera)\b"
)
_SHOWED = re.compile(
    r"(?i)\s+(?:that|how|its|their|his|her|the\s+(?:ability|power|need|importance))\b"
)


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
        return bool(_SHOWED.match(text, verb.end))
    return False


def _candidates(
    text: str, verb: Span, mentions: Sequence[PlaceMention], propose: bool = True
) -> list[_Candidate]:
    """Scored candidates in text order, containers marked.

    With ``propose``, unknown names in place-only frames join as candidates
    without a gazetteer entry (``via="frame"``).
    """
    if _non_event_sense(text, verb):
        return []
    pool = list(mentions)
    if propose:
        pool += _proposals(text, mentions)
    cands = sorted(
        (c for m in pool if (c := _features(text, verb, m)) is not None),
        key=lambda c: c.span.start,
    )
    outer = _chain_roles(text, cands)
    return [
        _Candidate(c.span, c.mention, c.frame, (*c.features, ("container", 1.0)))
        if i in outer
        else c
        for i, c in enumerate(cands)
    ]


def _coordinated(
    text: str, best: _Candidate, by_pos: Sequence[_Candidate], weights: dict[str, float]
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
            if nxt.score(weights) > weights["threshold"] - 1.5:
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


def _event_candidates(
    text: str,
    verb: Span,
    mentions: Sequence[PlaceMention],
    weights: dict[str, float] | None = None,
) -> list[_Candidate]:
    weights = EVENT_PLACE_WEIGHTS if weights is None else weights
    return _choose(text, _candidates(text, verb, mentions), weights)


def _choose(text: str, by_pos: Sequence[_Candidate], weights: dict[str, float]) -> list[_Candidate]:
    """The best candidate over the threshold and those coordinated with it."""
    if not by_pos:
        return []
    best = max(by_pos, key=lambda c: (c.score(weights), -c.span.start))
    if best.score(weights) < weights["threshold"]:
        return []
    return _coordinated(text, best, by_pos, weights)


def predict_event_location(
    sentence_text: str,
    event_verb_span: Span,
    place_mentions: Sequence[PlaceMention],
    weights: dict[str, float] | None = None,
) -> list[Span]:
    """Spans of the place mentions where the event named by the verb happened.

    Each mention is scored by the frame before it ("in", "the town of",
    directly after the verb, "near"), what follows it ("Iran struck", "a
    Mogadishu hotel"), its kind of place, and its distance and clause
    separation from the verb. The best mention counts when its score reaches
    the threshold in ``weights`` (default :data:`EVENT_PLACE_WEIGHTS`); places
    coordinated with it ("one in X and the other in Y") come with it.
    Demonyms are never locations. Spans point into ``sentence_text``.

    >>> from geomap.model import PlaceMention, Span
    >>> text = "Gunmen killed three people in Kirkuk on Sunday."
    >>> kirkuk = PlaceMention("a", Span(30, 36), "Kirkuk", None, 1.0)
    >>> predict_event_location(text, Span(7, 13), [kirkuk])
    [Span(start=30, end=36)]
    """
    return [
        c.span for c in _event_candidates(sentence_text, event_verb_span, place_mentions, weights)
    ]


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
