"""Actors: who acted and who was targeted, named and typed the way ACLED does.

Mentions come from four cues, cheapest first: the place mentions the places
stage found (a country, "Iranian", "Tehran" used as its government), a few
metonyms ("the Pentagon"), named armed groups ("the militia Kataib X", "Houthi
rebels"), and generic nouns ("gunmen", "protesters", "police"). Each becomes an
:class:`ActorMention`; :func:`agent_and_target` picks the agent and target of an
event trigger from them, and :func:`to_actor` builds the :class:`Actor` with its
origin place.

State forces are named after their state ("Iranian forces", "Tehran" and "the
Islamic Republic" are all "Iran"), as the pipeline's consumers expect.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING

from geomap._words import wordset
from geomap.model import Actor, Place, PlaceMention, PlaceType, Span

if TYPE_CHECKING:
    from geomap.incidents import GazetteerLike

__all__ = [
    "INTER_TYPES",
    "ActorMention",
    "agent_and_target",
    "find_actor_mentions",
    "letter_keyed_pattern",
    "names_forces",
    "to_actor",
]


#: ACLED's inter codes and the actor-type names that go with them.
INTER_TYPES = {
    1: "State forces",
    2: "Rebel group",
    3: "Political militia",
    4: "Identity militia",
    5: "Rioters",
    6: "Protesters",
    7: "Civilians",
    8: "External/Other forces",
}


@dataclass(frozen=True, slots=True)
class ActorMention:
    """One place in the text that names an actor.

    ``kind`` is ``state`` (a state or its forces), ``group`` (a named armed
    group), ``generic`` ("gunmen", "civilians"), ``owner`` (a demonym that
    only says whose something is: "Iraqi bases") or ``pronoun`` ("it",
    "the group"), which the caller resolves. ``prep`` is the preposition just
    before the mention ("by", "on", "in"), lower-cased, or None.
    """

    span: Span
    name: str
    inter: int
    kind: str
    country_code: str | None = None
    prep: str | None = None
    plural: bool = False
    origin: Place | None = None
    fallback: ActorMention | None = None  # a reference's own sense when nothing precedes it


# -- lexicons ------------------------------------------------------------------

# Nouns for a state's forces; "Iraqi police", "US troops", "Iranian Major General".
_FORCE_NOUN = (
    r"(?:(?:military|security|armed|government|special|elite|ground|naval|air|coalition"
    r"|regime|army|border|riot|pro-government|occupation|arab|national|republican"
    r"|revolutionary|royal|federal|regular|defen[cs]e|presidential|state)\s+)*"
    r"(?:forces?|troops?|soldiers?|army|armies|military|militaries|police(?:men)?|policem[ae]n"
    r"|corps"
    r"|officers?|navy|air\s+force|warplanes?|jets?|fighter\s+jets?|aircraft|drones?|gunships?"
    r"|helicopters?|marines?|commandos?|paratroopers?|guards?|personnel|units?|battalions?"
    r"|brigades?|officials?|authorities|government|regime|president|prime\s+minister|minister"
    r"|(?:supreme\s+)?leader|(?:major\s+|brigadier\s+|lieutenant\s+)?general|gen\.|commanders?"
    r"|diplomats?|spokesm[ae]n|ambassador)"
)
_FORCE_AFTER_LOWER = re.compile(r"\s+" + _FORCE_NOUN + r"\b")  # matched on lower-cased text
_CIVILIAN_NOUN = (
    r"(?:civilians?|people|residents?|villagers?|workers?|farmers?|students?|children|child"
    r"|women|woman|men|man|boys?|girls?|famil(?:y|ies)|passengers?|journalists?|reporters?"
    r"|worshipp?ers?|pilgrims?|shoppers?|refugees?|migrants?|teachers?|doctors?|nurses?"
    r"|patients?|citizens?|nationals?|tourists?|aid\s+workers?|bystanders?|pedestrians?"
    r"|herders?|fishermen|traders?|merchants?|shepherds?|teenagers?|infants?|elderly"
    r"|motorists?|drivers?|shopkeepers?|vendors?|engineers?|businessm[ae]n|lawyers?|priests?"
    r"|monks?|clerics?|imams?|employees?|staff|volunteers?|athletes?|settlers?|hostages?"
    r"|contractors?|mourners?|voters?|truckers?|youths?|schoolgirls?|schoolboys?|informers?"
    r"|members?\s+of\s+parliament|lawmakers?|legislators?|mps|politicians?|correspondents?"
    r"|photographers?|cameram[ae]n|bloggers?|writers?|businesswom[ae]n|nuns?|bishops?|judges?"
    r"|prosecutors?|mayors?|council+ors?|tribesm[ae]n|elders?|captives?|prisoners?)"
)
_POSSESSIVE_MARK = re.compile(r"['\u2019]s?")
_CIVILIAN_AFTER_DEMONYM = re.compile(r"^\s+(?:[a-z]+\s+)?" + _CIVILIAN_NOUN + r"\b")
_PROTEST_NOUN = r"(?:protesters?|protestors?|demonstrators?|marchers?|activists?|strikers?)"
_RIOT_NOUN = r"(?:rioters?|mobs?|looters?|arsonists?)"
_ARMED_NOUN = (
    r"(?:gunm[ae]n|militants?|assailants?|attackers?|armed\s+m[ae]n|insurgents?|jihadists?"
    r"|rebels?|fighters?|guerrill?as?|terrorists?|extremists?|bandits?|kidnappers?"
    r"|abductors?|militiam[ae]n|militias?|suicide\s+bombers?|bombers?|snipers?)"
)
_ARMED_AFTER_DEMONYM = re.compile(r"\s+(?:[a-z]+\s+)?" + _ARMED_NOUN + r"\b")


def letter_keyed_pattern(
    forms: Sequence[tuple[str, str]], flags: int = re.IGNORECASE
) -> re.Pattern[str]:
    """One pattern for many word forms, its branches keyed by their first two letters.

    ``forms`` are (label, regex) pairs, each regex starting with two plain
    letters; a match's ``lastgroup`` is ``label__n``. Python's regex engine
    tries alternatives one by one, so nesting them under their first letters
    makes a failed position cost a few comparisons instead of one per form.
    Each label is an empty group after its form, not a group around it: an
    alternative that starts with a letter, not a group, is skipped by the
    engine on its first character (the lexicon scans run 1.5-2.5 times faster).
    """
    tree: dict[str, dict[str, list[str]]] = {}
    for n, (label, form) in enumerate(forms):
        if not form[:2].isalpha():
            raise ValueError(f"form {form!r} must start with two letters")
        first, second = (form[0].lower(), form[1].lower()) if flags & re.IGNORECASE else form[:2]
        tree.setdefault(first, {}).setdefault(second, []).append(
            rf"(?:{form[2:]})(?P<{label}__{n}>)"
        )
    branches = "|".join(
        first
        + "(?:"
        + "|".join(f"{second}(?:{'|'.join(alts)})" for second, alts in sorted(subs.items()))
        + ")"
        for first, subs in sorted(tree.items())
    )
    return re.compile(rf"\b(?:{branches})\b", flags)


_GENERIC_FORMS: list[tuple[str, str]] = (
    [
        ("protest", f)
        for f in (r"protest[eo]rs?", r"demonstrators?", r"marchers?", r"activists?", r"strikers?")
    ]
    + [("riot", f) for f in (r"rioters?", r"mobs?", r"looters?", r"arsonists?")]
    + [
        ("armed", f)
        for f in (
            r"gunm[ae]n", r"militants?", r"assailants?", r"attackers?", r"armed\s+m[ae]n",
            r"insurgents?", r"jihadists?", r"rebels?", r"fighters?", r"guerrill?as?",
            r"terrorists?", r"extremists?", r"bandits?", r"kidnappers?", r"abductors?",
            r"militiam[ae]n", r"militias?", r"suicide\s+bombers?", r"bombers?", r"snipers?",
        )
    ]
    + [
        ("force", f)
        for f in (
            r"security\s+forces", r"police(?:men)?", r"policem[ae]n", r"troops", r"soldiers",
            r"the\s+army", r"the\s+military", r"government\s+forces", r"pro-government\s+forces",
            r"regime\s+forces", r"warplanes", r"jets", r"drones",
        )
    ]
    + [
        ("civ", f)
        for f in (
            r"civilians", r"villagers", r"residents", r"worshippers", r"passengers",
            r"students", r"farmers", r"motorists", r"shoppers", r"pilgrims", r"mourners",
            r"journalists", r"refugees", r"migrants",
        )
    ]
    + [("counted", f) for f in (r"people", r"men", r"women", r"children")]
)  # fmt: skip
# A count just before a noun: "12 people", "two Americans", "an Iraqi", "dozens of".
_COUNTED = re.compile(
    r"(?:\d|\b(?:an?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty"
    r"|thirty|forty|fifty|hundred|dozen|several|many|(?:dozens|scores|hundreds|thousands)\s+of))"
    r"\s+$",
    re.IGNORECASE,
)
# Named armed groups: "the militia Asaib Ahl al-Haq", "Houthi rebels".
_NAME = (
    r"(?:(?:al-|el-|Al-|El-)?[A-Z][\w\u2019'-]*"
    r"(?:\s+(?:al-\w+|el-\w+|bin|ibn|of|the|al|el|[A-Z][\w\u2019'-]*))*)"
)
_GROUP_BEFORE_NAME = re.compile(
    r"\b(?P<head>militia|militant\s+group|armed\s+group|rebel\s+group|rebels|group|movement"
    r"|faction|organi[sz]ation|insurgents|jihadist\s+group|terrorist\s+group)\s+(?:called\s+"
    r"|known\s+as\s+|of\s+)?(?P<name>" + _NAME + r")"
)
_NAME_BEFORE_GROUP = re.compile(
    r"(?P<name>" + _NAME + r")\s+(?P<head>militia|militias|rebels|militants|fighters|insurgents"
    r"|jihadists|guerrill?as|movement|group|brigades?|front)\b"
)
# Widely reported non-state armed groups, typed as ACLED types them (rebel groups).
_KNOWN_GROUPS = {
    "islamic state": "Islamic State",
    "isis": "Islamic State",
    "isil": "Islamic State",
    "daesh": "Islamic State",
    "taliban": "Taliban",
    "al-qaeda": "al-Qaeda",
    "al-qaida": "al-Qaeda",
    "al qaeda": "al-Qaeda",
    "al-shabaab": "al-Shabaab",
    "al-shabab": "al-Shabaab",
    "boko haram": "Boko Haram",
    "houthis": "Houthis",
    "houthi": "Houthis",
    "hamas": "Hamas",
    "hezbollah": "Hezbollah",
    "pkk": "PKK",
}
# A state named by an institution or epithet; values are ISO alpha-2 codes.
_METONYMS = {
    "pentagon": "US",
    "white house": "US",
    "state department": "US",
    "kremlin": "RU",
    "islamic republic": "IR",
    "downing street": "GB",
    "elysee": "FR",
    "élysée": "FR",
    "zionist regime": "IL",
}
_TITLE_PERSON = re.compile(
    r"\b(?P<title>President|Prime\s+Minister|Premier|Foreign\s+Minister|Defen[cs]e\s+Minister"
    r"|Interior\s+Minister|Minister|Supreme\s+Leader|King|Emir|Crown\s+Prince|General|Gen\."
    r"|Major\s+General|Maj\.\s+Gen\.|Brigadier\s+General|Commander|Chancellor|Secretary"
    r"(?:\s+of\s+State)?|Defen[cs]e\s+Secretary)\s+(?P<name>(?:[A-Z][\w\u2019'-]+\s+){0,3}[A-Z][\w\u2019'-]+)"
)
# Every cue of this module in one scan of the lower-cased sentence: generic
# actors, known groups, pronouns, group heads, titles and metonyms. One pass
# over the text costs a fifth of running each pattern on its own.
_HEAD_WORDS = wordset(
    "militia militias rebel rebels militant militants fighters insurgents jihadist jihadists"
    " guerillas guerrillas movement group brigade brigades front faction organisation organization"
)
_CUES = letter_keyed_pattern(
    [(label, f) for label, f in _GENERIC_FORMS]
    + [("known", re.escape(k)) for k in _KNOWN_GROUPS]
    + [("it", f) for f in ("it", "its")]
    + [("they", f) for f in ("they", "their")]
    + [
        ("head", f)
        for f in ("movement", "group", r"brigades?", "front", "faction", r"organi[sz]ation")
    ]
    + [
        ("title", f)
        for f in (
            "president", "prime", "premier", "foreign", r"defen[cs]e", "interior", "minister",
            "supreme", "king", "emir", "crown", "general", "gen", "major", "maj", "brigadier",
            "commander", "chancellor", "secretary",
        )
    ]
    + [("metonym", re.escape(k).replace(r"\ ", r"\s+")) for k in _METONYMS],
    0,
)  # fmt: skip
# A cue match's group name -> its label ("armed__12" -> "armed").
_CUE_KINDS = {group: group.split("__")[0] for group in _CUES.groupindex}
_VERBISH_AFTER = re.compile(
    r"^(?:['\u2019]s\b|\s+(?:has|had|have|is|was|were|are|said|says|will|would|could|may|might"
    r"|[a-z]+ed|[a-z]+s)\b)"
)
#: Prepositions that put a name in a place or circumstance, not in an actor role.
LOCATIVE_PREPS = wordset(
    "in at near inside into from to of across over toward towards between outside around "
    "through within among upon onto with for"
)


_PREP_WORDS = wordset(
    "in at near inside into from to of on against by with across over for toward towards between"
    " outside around through within among upon onto"
)
_QUANTITY_WORDS = wordset(
    "dozens scores hundreds thousands several many some number members most all one two three"
    " four five six seven eight nine ten group crowd band unit"
)


_BY_BEFORE = re.compile(
    r"(?:\bby(?:\s+(?:a|an|the))?(?:\s+(?:group|band|number|unit|gang|squad)\s+of)?"
    r"|\bhands\s+of)(?:\s+(?!(?:and|or|in|on|at|of|from|with|to)\b)[a-z-]+)?$"
)


def _prep_before(text: str, start: int) -> str | None:
    """The preposition just before ``start`` ("by Iran", "in the city"), lower-cased."""
    words = text[max(0, start - 30) : start].lower().split()
    if words and words[-1] in ("the", "a", "an"):
        words.pop()
    tail = words[-5:]
    if ("by" in tail or "hands" in tail) and _BY_BEFORE.search(" ".join(tail)):
        return "by"  # "by Islamist rebels", "by a group of rebels", "at the hands of"
    if not words or words[-1] not in _PREP_WORDS:
        return None
    if (
        words[-1] == "of"
        and len(words) > 1
        and (words[-2] in _QUANTITY_WORDS or words[-2].isdigit())
    ):
        return None  # "thousands of protesters", "dozens of soldiers": the head noun
    return words[-1]


# A word that goes on with the noun phrase ("an Iraqi soldier"), unless it is a
# function word or verb that ends it ("an Iraqi was", "two Americans and").
_NP_GOES_ON = re.compile(
    r"\s+(?!(?:and|or|who|were|was|are|is|had|have|has|in|on|at|near|from|during|after|as"
    r"|by|to|with|among|including|killed|died|wounded|injured)\b)[^\W\d_]"
)


def _counted_person(text: str, span: Span) -> bool:
    """Whether a demonym is counted as a noun ("an Iraqi", "two Americans"): people."""
    return (
        _COUNTED.search(text, max(0, span.start - 20), span.start) is not None
        and _NP_GOES_ON.match(text, span.end) is None
    )


def _lower_same_length(sentence: str) -> str:
    """``sentence.lower()``, keeping offsets: "İ" lower-cases to two characters."""
    low = sentence.lower()
    if len(low) == len(sentence):
        return low
    return "".join(c if len(c.lower()) != 1 else c.lower() for c in sentence)


def _country_place(mention: PlaceMention) -> Place | None:
    place = mention.place
    if place is None or place.country_code is None:
        return None
    if place.place_type is PlaceType.COUNTRY:
        return place
    return None


def _country_name(gazetteer: GazetteerLike, code: str, fallback: str) -> str:
    country = gazetteer.country(code)
    return country.name if country is not None else fallback


def find_actor_mentions(
    text: str,
    places: Sequence[PlaceMention],
    gazetteer: GazetteerLike,
    start: int = 0,
    end: int | None = None,
    people: dict[str, str] | None = None,
) -> list[ActorMention]:
    """Actor mentions in ``text[start:end]``, in text order, without overlaps.

    ``places`` are the article's place mentions (spans into ``text``), sorted
    by start;
    ``people`` maps a person's names to the state they speak or act for and is
    filled in as titled people are met ("US President Donald Trump" teaches
    that "Trump" acts for the United States).
    """
    end = len(text) if end is None else end
    people = {} if people is None else people
    found: list[ActorMention] = []
    lo = bisect_left(places, start, key=lambda m: m.span.start)
    hi = bisect_left(places, end, lo=lo, key=lambda m: m.span.start)
    window = [m for m in places[lo:hi] if m.span.end <= end]
    # Most patterns below run only when a word they need occurs (substring tests).
    low = _lower_same_length(text[start:end])

    for m in window:
        country = _country_place(m)
        if country is None:
            capital = _capital_as_government(text, m, gazetteer)
            if capital is not None:
                found.append(capital)
            continue
        cc = country.country_code
        name = _country_name(gazetteer, cc, country.name)
        prep = _prep_before(text, m.span.start)
        after = text[m.span.end : m.span.end + 60]
        skip = _POSSESSIVE_MARK.match(after)
        after_poss = after[skip.end() :] if skip else after
        if (f := _FORCE_AFTER_LOWER.match(after_poss.lower())) is not None:
            stop = m.span.end + (len(after) - len(after_poss)) + f.end()
            found.append(ActorMention(Span(m.span.start, stop), name, 1, "state", cc, prep))
        elif m.via == "demonym" and (c := _CIVILIAN_AFTER_DEMONYM.match(after)) is not None:
            found.append(
                ActorMention(
                    Span(m.span.start, m.span.end + c.end()),
                    "Civilians",
                    7,
                    "generic",
                    cc,
                    prep,
                    True,
                )
            )
        elif m.via == "demonym" and (a := _ARMED_AFTER_DEMONYM.match(after)):
            found.append(
                ActorMention(
                    Span(m.span.start, m.span.end + a.end()),
                    "Unidentified armed group",
                    3,
                    "generic",
                    cc,
                    prep,
                    True,
                )
            )
        elif m.via == "demonym" and _counted_person(text, m.span):
            found.append(
                ActorMention(m.span, "Civilians", 7, "generic", cc, prep, True)
            )  # "killing five staff including an Iraqi": a person, not the state
        elif m.via == "demonym":
            found.append(ActorMention(m.span, name, 1, "owner", cc, prep))
        else:
            found.append(ActorMention(m.span, name, 1, "state", cc, prep))

    heads: list[tuple[int, int]] = []
    for mm in _CUES.finditer(low):
        kind = _CUE_KINDS[mm.lastgroup or ""]
        span = Span(start + mm.start(), start + mm.end())
        if kind == "title":
            titled = _TITLE_PERSON.match(text, span.start)
            if titled is not None:
                _titled_person(text, titled, window, gazetteer, people, found)
            continue
        if kind in ("head", "armed") and mm.group().split()[-1] in _HEAD_WORDS:
            heads.append((span.start, span.end))
            # "the group", "the militia": a reference back to a named group
            det = _DEF_BEFORE.search(low, max(0, mm.start() - 24), mm.start())
            if det is not None:
                ref = Span(start + det.start(), span.end)
                # "the rebels" with no group named before are rebels all the same
                own = None
                if kind == "armed":
                    name, inter, plural_kind = _GENERIC_ACTORS[kind]
                    own = ActorMention(span, name, inter, plural_kind, None, None, True)
                found.append(
                    ActorMention(
                        ref,
                        "def",
                        0,
                        "pronoun",
                        None,
                        _prep_before(text, ref.start),
                        False,
                        None,
                        own,
                    )
                )
            if kind == "head":
                continue
        prep = _prep_before(text, span.start)
        if kind == "known":
            found.append(ActorMention(span, _KNOWN_GROUPS[mm.group()], 2, "group", None, prep))
        elif kind == "metonym":
            cc = _METONYMS[" ".join(mm.group().split())]
            found.append(ActorMention(span, _country_name(gazetteer, cc, cc), 1, "state", cc, prep))
        elif kind in ("it", "they"):
            found.append(ActorMention(span, kind, 0, "pronoun", None, prep, kind == "they"))
        elif kind == "counted" and not _COUNTED.search(text, max(0, span.start - 16), span.start):
            continue  # "12 people" counts victims; "people" alone is too vague
        elif kind in _GENERIC_ACTORS:
            name, inter, plural_kind = _GENERIC_ACTORS[kind]
            found.append(ActorMention(span, name, inter, plural_kind, None, prep, True))
    for lo, hi in heads:
        # "the militia X": the name follows the head; "Houthi rebels": it comes before.
        for rx, (wlo, whi) in (
            (_GROUP_BEFORE_NAME, (lo, min(end, hi + 70))),
            (_NAME_BEFORE_GROUP, (max(start, lo - 70), hi)),
        ):
            for mm in rx.finditer(text, wlo, whi):
                group = _named_group(text, mm, window)
                if group is not None:
                    found.append(group)
    sentence = text[start:end]
    if people and any(name in sentence for name in people):
        for mm in _names_pattern(frozenset(people)).finditer(text, start, end):
            cc = people[mm.group()]
            name = _country_name(gazetteer, cc, cc)
            span = Span(mm.start(), mm.end())
            found.append(ActorMention(span, name, 1, "state", cc, _prep_before(text, span.start)))
    return _without_overlaps(found)


_DEF_BEFORE = re.compile(r"\bthe\s+(?:[a-z-]+\s+)?$")
# generic cue -> (name, inter, kind)
_GENERIC_ACTORS = {
    "protest": ("Protesters", 6, "generic"),
    "riot": ("Rioters", 5, "generic"),
    "armed": ("Unidentified armed group", 3, "generic"),
    "force": ("", 1, "state"),
    "civ": ("Civilians", 7, "generic"),
    "counted": ("Civilians", 7, "generic"),
}


def _titled_person(
    text: str,
    mm: re.Match[str],
    window: Sequence[PlaceMention],
    gazetteer: GazetteerLike,
    people: dict[str, str],
    found: list[ActorMention],
) -> None:
    """ "Iranian President Hassan Rouhani": a state actor, and a name to remember."""
    cc = _demonym_country(window, mm.start(), text)
    if cc is None:
        return
    for part in {mm.group("name"), mm.group("name").split()[-1]}:
        people[part] = cc
    span = Span(mm.start(), mm.end())
    name = _country_name(gazetteer, cc, cc)
    found.append(ActorMention(span, name, 1, "state", cc, _prep_before(text, span.start)))


def _named_group(
    text: str, mm: re.Match[str], window: Sequence[PlaceMention]
) -> ActorMention | None:
    name = _strip_common(mm.group("name").strip())
    if len(name) < 3 or (
        " " not in name
        and _sentence_initial(text, mm.start("name"))
        and name.lower() not in _KNOWN_GROUPS
    ):
        return None  # "Suspected militants", "Armed men": a capital, not a name
    name = _KNOWN_GROUPS.get(name.lower(), name)
    inter = 3 if "militia" in mm.group("head").lower() else 2
    if _IDENTITY_BEFORE.search(text, max(0, mm.start() - 30), mm.start()):
        inter = 4
    cc = _demonym_country(window, mm.start(), text)
    return ActorMention(
        Span(mm.start(), mm.end()),
        _clean_group_name(name),
        inter,
        "group",
        cc,
        _prep_before(text, mm.start()),
    )


_IDENTITY_BEFORE = re.compile(r"(?i)\b(?:tribal|ethnic|clan|communal|village)\b")
_MODIFIER_GAP = re.compile(r"(?:['\u2019]s)?(?:\s+[A-Za-z-]+){0,2}\s*")


@lru_cache(maxsize=256)
def _names_pattern(names: frozenset[str]) -> re.Pattern[str]:
    ordered = sorted(names, key=len, reverse=True)  # "Donald Trump" before "Donald"
    if all(n[:2].isalpha() for n in ordered):
        return letter_keyed_pattern([("p", re.escape(n)) for n in ordered], 0)
    return re.compile(r"\b(?:" + "|".join(map(re.escape, ordered)) + r")\b")


def _demonym_country(window: Sequence[PlaceMention], start: int, text: str) -> str | None:
    """The country of a demonym or country just before ``start``: "The Iraqi Shiite militia"."""
    best = None
    for m in window:
        if m.span.end <= start and start - m.span.end <= 25 and _country_place(m) is not None:
            gap = text[m.span.end : start]
            if _MODIFIER_GAP.fullmatch(gap):
                best = m
    return best.place.country_code if best is not None and best.place is not None else None


_COMMON_CAPITALS = wordset(
    "the a an suspected armed unknown unidentified local rival several some other islamist "
    "militant rebel hundreds dozens thousands many two three four five pro anti"
)


def _strip_common(name: str) -> str:
    words = name.split()
    # "The Houthi movement", "Yemen's Houthi movement": neither word is the name
    while words and (
        words[0].lower() in _COMMON_CAPITALS
        or (len(words) > 1 and _POSSESSIVE_END.search(words[0]) is not None)
    ):
        words.pop(0)
    return " ".join(words)


_SENTENCE_START = re.compile(r"(?:^|[.!?]\s+|\n\s*|[“\"]\s*)$")
_POSSESSIVE_END = re.compile(r"['\u2019]s$")


def _sentence_initial(text: str, start: int) -> bool:
    return bool(_SENTENCE_START.search(text[max(0, start - 4) : start]))


def _clean_group_name(name: str) -> str:
    return _POSSESSIVE_END.sub("", name).strip()


def _capital_as_government(
    text: str, m: PlaceMention, gazetteer: GazetteerLike
) -> ActorMention | None:
    """ "Tehran said", "Washington's response": a capital standing for its government."""
    place = m.place
    if place is None or place.country_code is None or place.place_type is not PlaceType.CITY:
        return None
    prep = _prep_before(text, m.span.start)
    if prep is not None and prep in LOCATIVE_PREPS:
        return None
    if not _VERBISH_AFTER.match(text[m.span.end : m.span.end + 20]):
        return None
    capital = gazetteer.capital(place.country_code)
    if capital is None or capital.place_id != place.place_id:
        return None
    name = _country_name(gazetteer, place.country_code, place.country_code)
    return ActorMention(m.span, name, 1, "state", place.country_code, prep, origin=place)


_KIND_RANK = {"group": 0, "state": 1, "generic": 2, "pronoun": 3, "owner": 4}


def _without_overlaps(found: list[ActorMention]) -> list[ActorMention]:
    if len(found) < 2:
        return found  # nothing can overlap
    # Longer and more specific mentions win ("American military forces" over "American").
    found.sort(key=lambda a: (-(a.span.end - a.span.start), _KIND_RANK[a.kind], a.span.start))
    kept: list[ActorMention] = []
    taken: list[tuple[int, int]] = []
    for a in found:
        start, end = a.span.start, a.span.end
        for lo, hi in taken:
            if start < hi and lo < end:
                break
        else:
            kept.append(a)
            taken.append((start, end))
    return sorted(kept, key=lambda a: a.span.start)


# -- roles -----------------------------------------------------------------------

_PASSIVE_BEFORE = re.compile(
    r"\b(?:was|were|been|being|is|are|be|got|get|gets)\s+(?:[a-z]+ly\s+)?(?:[a-z]+ed\s+and\s+)?$",
    re.IGNORECASE,
)
_LIGHT_VERB = re.compile(
    r"\b(?:launched|carried\s+out|conducted|staged|mounted|claimed(?:\s+responsibility\s+for)?"
    r"|unleashed|waged|executed|fired|opened|led|began|started|stepped\s+up|intensified"
    r"|imposed?|imposing|announced|slapped|threatened|ordered)\b",
    re.IGNORECASE,
)
_NP_BREAK = re.compile(
    # "killed at least 30 civilians": "at least" counts, it starts no phrase
    r"\s(?:with|in|at(?!\s+(?:least|most)\b)|near|on|after|before|since|during|following|as|while"
    r"|when|in\s+retaliation"
    r"|killing|wounding|leaving)\s|[,;:]",
    re.IGNORECASE,
)
# Nouns between a modifier and a noun trigger: "the Iranian ballistic missile attack".
_NOUN_MODIFIERS = re.compile(
    r"^(?:['\u2019]s)?(?:\s+(?!(?:in|on|at|of|by|with|to|from|for|and|or|was|were|is|are|said|says"
    r"|after|before|during|against|into|than|that|which|who)\b)(?:[a-z-]+|[A-Z][a-z]+)){0,4}\s+$"
)


def _passive(text: str, trigger: Span) -> bool:
    left = text[max(0, trigger.start - 30) : trigger.start]
    right = text[trigger.end : trigger.end + 4]
    return bool(_PASSIVE_BEFORE.search(left)) or right.startswith(" by ")


def _agent_ok(a: ActorMention) -> bool:
    return a.prep is None or a.prep not in LOCATIVE_PREPS | {"by", "on", "against"}


def agent_and_target(
    text: str,
    trigger: Span,
    is_noun: bool,
    clause: Span,
    mentions: Sequence[ActorMention],
    partner: bool = False,
) -> tuple[ActorMention | None, ActorMention | None]:
    """The agent (actor1) and target (actor2) of a trigger among ``mentions``.

    Active verbs take the nearest actor before them as agent and the object
    after them as target; passives ("were killed by") swap sides; nouns take
    their modifier ("Iran's strike", "a US drone strike") or "by X" as agent
    and "on/against X" as target. Inside an object the forces named win over
    the owner of a thing: "bases housing American forces" targets the US.
    With ``partner`` (clashes, battles) "with X" names the other side.
    """
    target_preps = ("on", "against", "with") if partner else ("on", "against")
    before = [a for a in mentions if clause.start <= a.span.start and a.span.end <= trigger.start]
    after = [a for a in mentions if trigger.end <= a.span.start and a.span.end <= clause.end]
    agent = target = None
    by_after = next((a for a in after if a.prep == "by" and a.span.start - trigger.end < 60), None)
    if is_noun:
        near = [
            a
            for a in before
            if _NOUN_MODIFIERS.match(text[a.span.end : trigger.start] + " ")
            and trigger.start - a.span.end < 40
            # "a strike on Iranian bases" targets Iran; "killed in an Israeli raid" names
            # who raided: a demonym inside the trigger's own phrase
            and a.prep not in ("on", "against", "at")
            and (a.prep != "in" or a.kind == "owner")
        ]
        if near:
            agent = near[-1]
        elif by_after is not None:
            agent = by_after
        else:
            light = None
            for lm in _LIGHT_VERB.finditer(text, clause.start, trigger.start):
                light = lm
            if light is not None and trigger.start - light.end() < 40:
                cands = [a for a in before if a.span.end <= light.start() and _agent_ok(a)]
                agent = cands[-1] if cands else None
        target = next(
            (
                a
                for a in after
                if a.prep in (*target_preps, "at") and a.span.start - trigger.end < 50
            ),
            None,
        )
        return agent, target
    if _passive(text, trigger):
        subj = [a for a in before if _agent_ok(a)]
        target = subj[-1] if subj else None
        return by_after, target
    subj = [a for a in before if _agent_ok(a)]
    agent = subj[-1] if subj else None
    brk = _NP_BREAK.search(text, trigger.end, clause.end)
    obj_end = brk.start() if brk else clause.end
    if partner:
        obj_end = max(obj_end, min(clause.end, trigger.end + 60))
    obj = [
        a for a in after if a.span.start < obj_end and (a.prep is None or a.prep in target_preps)
    ]
    # "two Iraqi bases housing American forces": the forces, not the owner.
    obj.sort(key=lambda a: (a.kind == "owner", a.span.start))
    target = obj[0] if obj else None
    return agent, target


_FORCE_IN = re.compile(r"\b" + _FORCE_NOUN + r"\b", re.IGNORECASE)


def names_forces(text: str, mention: ActorMention) -> bool:
    """Whether ``mention`` names armed men (forces, a group, gunmen), not a people.

    A state's name or demonym alone ("Palestinians", "Angola") names its people
    or its government; with a force noun ("Iraqi police") its forces.
    """
    if mention.kind in ("state", "owner"):
        return _FORCE_IN.search(text, mention.span.start, mention.span.end) is not None
    return mention.inter in (1, 2, 3, 4, 8)


def to_actor(
    mention: ActorMention,
    gazetteer: GazetteerLike,
    fallback_country: str | None = None,
) -> Actor | None:
    """The :class:`Actor` for a resolved mention, with its origin place.

    The origin is the place the text ties the actor to (a capital used as its
    government), else the country's capital, else the country itself.
    ``fallback_country`` names generic actors ("security forces", "gunmen")
    after the country where the event happened.
    """
    if mention.kind == "pronoun":
        return None
    cc = mention.country_code or fallback_country
    name = mention.name
    if not name:  # forces of an unnamed state: the event's country
        name = "State forces" if cc is None else _country_name(gazetteer, cc, cc)
    elif mention.kind == "generic" and cc is not None and mention.inter != 1:
        country = _country_name(gazetteer, cc, cc)
        name = f"{name} ({country})"
    origin = mention.origin
    if origin is None and cc is not None:
        origin = gazetteer.capital(cc) or gazetteer.country(cc)
    return Actor(
        name=name,
        actor_type=INTER_TYPES[mention.inter],
        inter=mention.inter,
        span=mention.span,
        origin=origin,
        country_code=cc,
    )
