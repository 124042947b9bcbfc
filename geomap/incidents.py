"""Incidents: the acts of violence and coercion an article reports, coded like ACLED.

:func:`find_incidents` reads an article sentence by sentence, but only the
sentences where a trigger word occurs ("struck", "drone strike", "were killed",
"protesters"), and turns each reported event into :class:`~geomap.model.Incident`
records, one per place hit. Where each event happened is decided by
:func:`geomap.eventplace.choose_sites`, the learned place choice that the
event-location benchmark in :mod:`geomap.evaluation.events` scores.

Everything else here is rules over precompiled patterns: a trigger lexicon with
families that decide ACLED's event type, and the words around a trigger
(passive, "by X", "on X", determiners, modality). Nothing is tuned to a
particular story.
"""

from __future__ import annotations

import hashlib
import re
from bisect import bisect_left
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Protocol

from geomap._words import hints, may_hold, wordlist, wordset
from geomap.actors import (
    INTER_TYPES,
    ActorMention,
    agent_and_target,
    find_actor_mentions,
    letter_keyed_pattern,
    names_forces,
    to_actor,
)
from geomap.dates import DateMention, find_dates
from geomap.eventplace import (
    EventPlaceModel,
    _container_of,
    _non_event_sense,
    choose_sites,
    default_model,
)
from geomap.model import Actor, Article, Incident, Place, PlaceMention, PlaceType, Span

__all__ = [
    "GazetteerLike",
    "find_incidents",
]


# ---------------------------------------------------------------------------
# What happened?  A lexicon of trigger words, each with a family that decides
# the ACLED type together with the weapon, target and context around it.
# ---------------------------------------------------------------------------


class GazetteerLike(Protocol):
    """What incident coding needs from a gazetteer."""

    def country(self, code: str) -> Place | None:
        """The country entry for an ISO alpha-2 code."""
        ...

    def capital(self, code: str) -> Place | None:
        """The capital city entry of a country."""
        ...

    def lookup(self, name: str) -> list[Place]:
        """Every entry a name may refer to; empty when none."""
        ...


# Families. Weapons decide the sub-event type of any violent event they join.
_SHELL, _AIR, _EXPLOSIVE, _SUICIDE, _GRENADE = "shelling", "air", "explosive", "suicide", "grenade"
_ATTACK, _CLASH, _CASUALTY = "attack", "clash", "casualty"
_ABDUCT, _ARREST, _SEIZE, _LOOT = "abduction", "arrest", "seizure", "looting"
_PROTEST, _RIOT, _SANCTION, _THREAT, _BASE = "protest", "riot", "sanction", "threat", "base"
_WEAPONS = (_SUICIDE, _AIR, _SHELL, _GRENADE, _EXPLOSIVE)
_VIOLENT = frozenset((*_WEAPONS, _ATTACK, _CLASH, _CASUALTY))
_UNLOCATED = frozenset((_SANCTION, _THREAT))

# (family, part of speech, word forms). "weapon" words only type an event that
# another trigger names ("struck ... with missiles"); "weak" verbs ("hit",
# "fired") count only next to a weapon; "casualty" words give the toll and
# attach to the event beside them. Every form starts with two letters, so the
# scanner can dispatch on them (see letter_keyed_pattern).
_LEXICON: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (_SUICIDE, "noun", (
        r"suicide\s+(?:car\s+)?(?:bomb(?:ers?|ings?|s)?|attacks?|attackers?|blasts?)",
    )),
    (_SUICIDE, "verb", (r"blew\s+(?:himself|herself|themselves)\s+up",)),
    (_AIR, "noun", (
        r"air\s*strikes?", r"air\s+raids?", r"air\s+attacks?", r"air\s+campaign",
        r"aerial\s+(?:bombardments?|attacks?|strikes?)", r"drone\s+(?:strikes?|attacks?)",
        r"bombing\s+raids?",
    )),
    (_AIR, "weapon", (
        r"warplanes?", r"fighter\s+jets?", r"jets", r"drones?", r"helicopter\s+gunships?",
        r"gunships?", r"bombers",
    )),
    (_SHELL, "noun", (
        r"ballistic\s+missile\s+(?:attacks?|strikes?)", r"cruise\s+missile\s+(?:attacks?|strikes?)",
        r"missile\s+(?:attacks?|strikes?)", r"rocket\s+(?:attacks?|fire)",
        r"mortar\s+(?:attacks?|fire|rounds?)", r"artillery\s+(?:fire|attacks?)", r"shelling",
        r"bombardments?", r"barrages?",
    )),
    (_SHELL, "verb", (r"shelled", r"bombarded", r"bombarding")),
    (_SHELL, "weapon", (
        r"ballistic\s+missiles?", r"cruise\s+missiles?", r"missiles?", r"rockets?", r"mortars?",
        r"artillery", r"shells",
    )),
    (_GRENADE, "noun", (r"grenade\s+attacks?", r"grenades?")),
    (_EXPLOSIVE, "noun", (
        r"roadside\s+bombs?", r"car\s+bombs?", r"truck\s+bombs?", r"parcel\s+bombs?",
        r"nail\s+bombs?", r"bombs?", r"bombings?", r"explosions?", r"blasts?", r"IEDs?",
        r"improvised\s+explosive\s+devices?", r"explosive\s+devices?", r"land\s*mines?",
    )),
    (_EXPLOSIVE, "verb", (r"bombed", r"exploded", r"detonated", r"blew\s+up")),
    (_CLASH, "noun", (
        r"clash(?:es)?", r"fighting", r"battles?", r"gunfights?", r"firefights?",
        r"skirmish(?:es)?", r"exchanges?\s+of\s+fire", r"shootouts?",
    )),
    (_CLASH, "verb", (
        r"clashed", r"clashing", r"fought", r"battled", r"exchanged\s+fire", r"skirmished",
    )),
    (_ATTACK, "noun", (
        r"attacks?",
        # "assault rifles", "assault boats": kinds of equipment, no attack
        r"assaults?(?!\s+(?:rifles?|weapons?|vehicles?|boats?|craft|helicopters?|ships?|guns?))",
        r"raids?", r"ambush(?:es)?", r"offensive", r"strikes?",
        r"shootings?", r"gunfire", r"gun\s+attacks?", r"knife\s+attacks?", r"stabbings?",
    )),
    (_ATTACK, "verb", (
        r"attacked", r"attacking", r"struck", r"striking", r"targeted", r"targeting", r"raided",
        r"raiding", r"assaulted", r"stormed", r"storming", r"ambushed", r"opened\s+fire",
        r"fired\s+(?:on|at|upon)", r"shot\s+down", r"gunned\s+down", r"stabbed", r"invaded",
        r"overran",
    )),
    (_ATTACK, "weak", (
        r"hits?", r"fired", r"launched", r"landed", r"slammed\s+into", r"rained\s+down\s+on",
        r"shot",
    )),
    (_CASUALTY, "casualty", (
        r"killed", r"killing", r"kills", r"kill", r"killings", r"dead", r"died", r"deaths?",
        r"death\s+toll", r"casualties", r"wounded", r"wounding", r"injured", r"injuring",
        r"injuries", r"lost\s+their\s+lives", r"shot\s+dead",
    )),
    (_CASUALTY, "verb", (
        r"murdered", r"massacred", r"executed", r"beheaded", r"slaughtered", r"assassinated",
        r"lynched",
    )),
    (_CASUALTY, "noun", (
        r"murders?", r"massacres?", r"executions?", r"beheadings?", r"assassinations?",
    )),
    (_ABDUCT, "verb", (
        r"kidnapped", r"abducted", r"taken\s+hostage", r"took\s+(?:\w+\s+){0,3}hostage",
        r"held\s+hostage",
    )),
    (_ABDUCT, "noun", (r"kidnappings?", r"abductions?")),
    (_ARREST, "verb", (r"arrested", r"detained", r"rounded\s+up", r"taken\s+into\s+custody")),
    (_ARREST, "noun", (r"arrests?",)),
    (_SEIZE, "verb", (
        r"seized\s+control\s+of", r"seized", r"seizing", r"captured", r"capturing",
        r"took\s+control\s+of", r"taken\s+control\s+of", r"overrun", r"recaptured", r"retook",
        r"retaken", r"regained\s+control\s+of",
    )),
    (_SEIZE, "noun", (r"seizure", r"capture")),
    (_LOOT, "verb", (
        r"looted", r"plundered", r"ransacked", r"torched", r"set\s+fire\s+to", r"set\s+ablaze",
        r"burned\s+down", r"burnt\s+down", r"vandali[sz]ed", r"demolished", r"razed",
    )),
    (_LOOT, "noun", (r"looting", r"arson")),
    (_PROTEST, "noun", (
        r"protests?", r"demonstrations?", r"rall(?:y|ies)", r"sit-ins?", r"hunger\s+strikes?",
        r"general\s+strikes?", r"marches",
    )),
    (_PROTEST, "verb", (
        r"protested", r"protesting", r"demonstrated", r"demonstrating", r"rallied", r"marched",
        r"took\s+to\s+the\s+streets", r"went\s+on\s+strike",
    )),
    (_RIOT, "noun", (r"riots?", r"rioting", r"mob\s+(?:attacks?|violence)", r"stone-throwing")),
    (_RIOT, "verb", (
        r"rioted", r"rampaged", r"hurled\s+(?:\w+\s+)?stones", r"threw\s+(?:\w+\s+)?stones",
        r"pelted\s+(?:\w+\s+)?stones",
    )),
    (_SANCTION, "noun", (r"sanctions", r"embargo")),
    (_SANCTION, "verb", (r"sanctioned",)),
    (_THREAT, "verb", (
        r"threaten(?:ed|s)\s+to\s+(?:attack|strike|retaliate|hit|bomb|invade|kill)",
    )),
    (_BASE, "verb", tuple(
        rf"{verb}\s+(?:a\s+|an\s+|its\s+|their\s+)?(?:new\s+)?(?:military\s+)?"
        r"(?:base|headquarters|outpost)"
        for verb in (r"established", r"set\s+up", r"opened", r"built")
    )),
)  # fmt: skip


# One scan finds every trigger; group labels point back into the lexicon.
_TRIGGER_FORMS = [(f"t{i}", form) for i, (_, _, forms) in enumerate(_LEXICON) for form in forms]
_TRIGGER_RE = letter_keyed_pattern(_TRIGGER_FORMS)
# The same, case-sensitive, for lower-cased text: twice as fast as IGNORECASE.
# (The forms use only lower-case escapes such as \s, so lower-casing them is safe.)
_TRIGGER_LOWER_RE = letter_keyed_pattern([(label, f.lower()) for label, f in _TRIGGER_FORMS], 0)
# Group name -> (family, part of speech), so a match needs no parsing.
_TRIGGER_KINDS = {
    name: _LEXICON[int(name.split("__")[0][1:])][:2] for name in _TRIGGER_RE.groupindex
}
# Word forms that are only triggers in lower case ("March" is a month).
_CASE_SENSITIVE = frozenset(("marched", "marches"))


@dataclass(frozen=True, slots=True)
class _Trigger:
    span: Span
    text: str
    family: str
    pos: str  # verb, noun, weapon, weak, casualty


# Modality: "not to carry out attacks", "would retaliate", "plans to strike".
_MODAL = re.compile(
    r"\b(?:not|never|no\s+longer|would|will|could|might|may|should|must|shall|can|cannot"
    r"|(?:plans?|planned|planning|intends?|intended|wants?|wanted|vow(?:s|ed)?|pledg(?:es|ed)"
    r"|promis(?:es|ed)|refus(?:es|ed)|urg(?:es|ed)|called\s+on\s+[^,;]*?|asked|seeks?|sought"
    r"|tr(?:y|ies|ied)|attempt(?:s|ed)?|prepar(?:es|ed|ing)|ready|able|aim(?:s|ed)?|decided"
    r"|ordered|threaten(?:s|ed)?|warn(?:s|ed)?|order)\s+(?:not\s+)?to|if|unless|whether)"
    r"\s+(?:[\w\u2019'-]+\s+){0,3}$",
    re.IGNORECASE,
)
# A word _MODAL needs among the last few before a trigger.
_MODAL_WORDS = wordset(
    "not never longer would will could might may should must shall can cannot to if unless whether"
)
_NEGATION = re.compile(r"\b(?:not|never|no\s+longer)\s+(?:[\w\u2019'-]+\s+){0,2}$", re.IGNORECASE)
_THREAT_TO = re.compile(r"\bthreat(?:en(?:s|ed|ing)?)?\s+(?:[\w\u2019'-]+\s+){0,2}$", re.IGNORECASE)
_SCOPE_BREAK = re.compile(r"[,;:“”\"]|\b(?:but|and|while|after|before|since)\b", re.IGNORECASE)

# Determiners before a noun trigger tell a new event ("a bomb") from one the
# story already told ("the attack", "Iran's strike").
_DET_WORDS = wordset("the this that these those its their his her such")
_INDEF_WORDS = wordset("a an another one")
_STOP_WORDS = wordset(
    "in on at of by for with to from into after before since during against over near as "
    "and or but was were is are has have had be been said says"
)
_WORD = re.compile(r"[\w\u2019'-]+")

# Between two triggers: an earlier, separate event ("in retaliation for the drone strike").
_BACKGROUND_HINTS = hints(
    wordlist("retaliat response revenge avenge after following since before than")
)
_BACKGROUND = re.compile(
    r"\b(?:in\s+retaliation\s+(?:for|against|over)|in\s+response\s+to|in\s+revenge\s+for|to\s+avenge"
    r"|retaliat\w*\s+(?:for|over)|after|following|since|(?:days?|weeks?|hours?|months?)\s+after"
    r"|before|than)\b(?:\s+[\w\u2019'-]+){0,6}\s*$",
    re.IGNORECASE,
)
_RETALIATION = re.compile(
    r"\b(?:in\s+retaliation|in\s+response|in\s+revenge|to\s+avenge|retaliat\w*)\b", re.IGNORECASE
)
_WHEN = re.compile(r"\b(?:when|as|while|where|after)\b(?:\s+[\w\u2019'-]+){0,6}\s*$", re.IGNORECASE)
_HARD_BREAK_HINTS = hints(wordlist("; while whereas"))
_HARD_BREAK = re.compile(r";|\b(?:while|whereas|meanwhile)\b", re.IGNORECASE)
_AND_NEW_CLAUSE = re.compile(r"(?:,\s*|\s)(?:and|but)\s+", re.IGNORECASE)

# Tolls. Numbers in words up to the tens, digits, "a dozen".
_NUMBER_WORDS = {
    word: n
    for n, word in enumerate(
        wordlist(
            "zero one two three four five six seven eight nine ten eleven twelve thirteen"
            " fourteen fifteen sixteen seventeen eighteen nineteen twenty"
        )
    )
}
_NUMBER_WORDS.update(
    {
        "thirty": 30,
        "forty": 40,
        "fifty": 50,
        "sixty": 60,
        "seventy": 70,
        "eighty": 80,
        "ninety": 90,
        "a dozen": 12,
        "dozen": 12,
        "a hundred": 100,
    }
)
_NUM = (
    r"(?:\d{1,3}(?:,\d{3})+|\d+|a\s+dozen|(?:twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety)(?:-\w+)?|"
    + "|".join(sorted(_NUMBER_WORDS, key=len, reverse=True))
    + r")"
)
_APPROX = (
    r"(?:(?:at\s+least|more\s+than|over|nearly|almost|about|around|some|up\s+to"
    r"|as\s+many\s+as)\s+)?"
)
# a number in digits or words ("a dozen", "twenty-two")
_COUNT_HINTS = hints((*"0123456789", *_NUMBER_WORDS))
_COUNT_BEFORE = re.compile(
    r"\b(?P<n>"
    + _NUM
    # "five civilians, including two children, were killed": an aside may come between
    + r")\s+(?:[\w\u2019'-]+(?:,\s*including\s+[^,;.]{1,40},)?\s+){0,6}"
    r"(?:(?:were|was|have\s+been|had\s+been|are|been)\s+"
    r"(?:[a-z]+ly\s+)?)?(?:(?:shot|killed|wounded|injured)\s+(?:and|or)\s+)?$",
    re.IGNORECASE,
)
_COUNT_AFTER = re.compile(
    r"^\s+" + _APPROX + r"(?P<n>" + _NUM + r")\b(?!\s*(?:km|kilomet|mile|%|percent))", re.IGNORECASE
)
_TOLL = re.compile(
    r"^\s+(?:rose|climbed|reached|stood|stands|rises|is|was|has\s+risen)?\s*(?:to|at|of)?\s*"
    + _APPROX
    + r"(?P<n>"
    + _NUM
    + r")\b",
    re.IGNORECASE,
)
_ONE_VICTIM = re.compile(
    r"^\s+(?:a|an|one)\s+(?!number|few|dozen|hundred)|^\s+(?:(?:[A-Z][\w\u2019'.-]+)\s+){1,5}(?=[a-z,.;]|$)"
)
_VAGUE = re.compile(
    r"^\s+(?:dozens|scores|hundreds|thousands|several|many|numerous)\b", re.IGNORECASE
)
_NONE_HINTS = hints(wordlist("no zero"))
_NONE_BEFORE = re.compile(
    r"\b(?:no|zero)\s+(?:[\w\u2019'-]+\s+){0,1}$|\b(?:no\s+one|nobody|none)\s+(?:[\w\u2019'-]+\s+){0,3}$",
    re.IGNORECASE,
)
_CLAIM_HINTS = hints(wordlist("claim said says announced"))
_CLAIM_BEFORE = re.compile(
    r"\b(?:claim(?:s|ed|ing)?\s+(?:that\s+)?(?:to\s+have\s+|(?:it|they)\s+(?:had\s+|has\s+|have\s+)?)?"
    r"|(?:said|says|announced)\s+(?:that\s+)?(?:it|they)\s+(?:had\s+|has\s+|have\s+)?)$",
    re.IGNORECASE,
)
_FATAL_WORDS = wordset(
    "killed killing kills kill killings dead died death deaths casualties murdered "
    "massacred executed beheaded slaughtered assassinated lynched"
)
_CASUALTY_NOUNS = frozenset(
    ("casualties", "deaths", "death", "death toll", "injuries", "dead", "killings")
)
_INJURY_WORDS = wordset("wounded wounding injured injuring injuries")

# Object nouns that decide what a seizure or an attack was aimed at.
_PROPERTY = re.compile(
    r"^\s+(?:the\s+|a\s+|an\s+|two\s+|several\s+)?(?:[\w\u2019'.-]+\s+){0,3}?(?:embassy|consulate|building|ship|ships"
    r"|tanker|vessel|vessels|cargo|weapons|arms|vehicles?|cars?|trucks?|aid|goods|property|assets|oil"
    r"|shipment|equipment|offices?|headquarters|compound|mosque|church|bank|station)\b",
    re.IGNORECASE,
)
# Goods that forces confiscate: "seized 3 tons of cocaine", "seized weapons".
_CONTRABAND = re.compile(
    r"^\s+(?:the\s+|a\s+|an\s+|some\s+|large\s+)?(?:[\w\u2019'.-]+\s+){0,4}?(?:weapons|arms"
    r"|ammunitions?|explosives|drugs|narcotics|cocaine|heroin|marijuana|cannabis|hashish|opium"
    r"|methamphetamine|cash|money|contraband|tons?\s+of|kilo(?:gram)?s?\s+of)\b",
    re.IGNORECASE,
)
# A chosen place is what a seizure took when it is the verb's object ("captured
# the town of Kidal", not "captured four men in Mosul") or a passive's subject.
_OBJECT_GAP = re.compile(
    r"\s+(?:(?!(?:in|at|near|outside|inside|on|from|by|during|after|before|with|for|while|to"
    r"|and)\b)[\w\u2019'.,-]+\s+){0,4}",
    re.IGNORECASE,
)
# A place name that modifies what follows ("Sweden's crown", "the U.N. employees",
# "U.S.-born"), unless a function word, a date word or an area noun follows.
_MODIFIER_AFTER = re.compile(
    r"['\u2019]s\b|-|\s+(?!(?:and|or|on|in|at|after|before|from|last|this|early|late|during"
    r"|since|yesterday|today|overnight|earlier|province|city|district|town|village|region|area"
    r"|governorate|monday|tuesday|wednesday|thursday|friday|saturday|sunday)\b)[^\W\d_]",
    re.IGNORECASE,
)
_SUBJECT_GAP = re.compile(
    r"(?:\s*,[^.;,]{0,50},)?\s+(?:has\s+|had\s+)?(?:was|were|been)\s+(?:[a-z]+ly\s+)?",
    re.IGNORECASE,
)
# "born in Pakistan was captured": a place inside a phrase is no subject.
_PREP_BEFORE = re.compile(r"\b(?:in|at|from|of|near|to|into|on|by|with)\s+(?:the\s+)?$", re.I)


def _place_taken(text: str, trigger: Span, places: Sequence[PlaceMention]) -> bool:
    for p in places:
        if p.via == "demonym":
            continue
        if p.span.start >= trigger.end:
            if _OBJECT_GAP.fullmatch(text, trigger.end, p.span.start) and not _MODIFIER_AFTER.match(
                text, p.span.end
            ):
                return True
        elif _SUBJECT_GAP.fullmatch(text, p.span.end, trigger.start) and not _PREP_BEFORE.search(
            text, max(0, p.span.start - 12), p.span.start
        ):
            return True
    return False


_TERRITORY_HEADS = (
    r"(?:towns?|city|cities|villages?|district|areas?|region|territory|hills?|bases?|airport"
    r"|airbase|outpost|positions?|checkpoints?|border\s+crossing|neighbou?rhood|province|capital"
    r"|stronghold|cent(?:re|er)|headquarters|camps?|barracks|garrison|port|harbou?r|island"
    r"|oil\s*fields?|valley|suburbs?|county|governorate|roads?|highways?|bridges?|dams?|complex"
    r"|hilltops?|mountains?|pass|front|lines|trenches|sectors?)"
)
_TERRITORY_NOUNS = rf"(?:{_TERRITORY_HEADS}|parts?\s+of|much\s+of|most\s+of)"
_TERRITORY = re.compile(
    r"^\s+(?:the\s+|a\s+|an\s+|two\s+|several\s+)?"
    r"(?:(?!(?:in|at|near|on|from|by|during|after|while|when|with|for|to)\b)[\w\u2019'.-]+\s+){0,4}?"
    + _TERRITORY_NOUNS
    + r"\b",
    re.IGNORECASE,
)
# "the base, ..., was captured": the place taken is the passive's subject.
_TERRITORY_SUBJECT = re.compile(
    r"\b(?:the|this|that|its|their|his|her|an?|\w+['\u2019]s)\s+"
    r"(?:(?!(?:in|of|from|at|on|by|with|for|and)\b)[\w\u2019'-]+\s+){0,4}?"
    + _TERRITORY_HEADS
    + r"(?:\s*,[^.;,]{0,50},)?\s+(?:has\s+|had\s+)?(?:was|were|been)"
    r"\s+(?:[a-z]+ly\s+)?$",
    re.IGNORECASE,
)


def _head_letters(forms: Sequence[str]) -> tuple[str, ...]:
    """The letters each lexicon form must start with: "worship" for r"worshipp?ers"."""
    heads = []
    for form in forms:
        head = re.match(r"[a-z]*", form).group()  # type: ignore[union-attr]
        if form[len(head) : len(head) + 1] in ("?", "*", "{"):
            head = head[:-1]  # the last letter is optional
        heads.append(head)
    return tuple(heads)


# Target nouns, scanned over whole sentences: keyed by letters (see letter_keyed_pattern).
_CIVILIAN_FORMS = (
    r"civilians?", r"villagers?", r"residents?", r"market", r"mosque", r"church",
    r"homes?", r"houses?", r"school", r"hospital", r"bus", r"wedding", r"worshipp?ers",
    r"passengers", r"shoppers", r"children", r"women", r"refugee\s+camp", r"camp\s+for",
    r"hotels?", r"restaurants?", r"cafes?", r"shops?", r"mall", r"students",
    r"motorists?", r"journalists?", r"mourners", r"pilgrims", r"farmers",
)  # fmt: skip
_CIVILIAN_TARGET = letter_keyed_pattern([("civ", form) for form in _CIVILIAN_FORMS])
_CIVILIAN_HINTS = hints(_head_letters(_CIVILIAN_FORMS))
_MILITARY_FORMS = (
    r"bases?", r"checkpoints?", r"convoy", r"patrol", r"positions?", r"outposts?",
    r"barracks", r"troops", r"soldiers", r"forces", r"army", r"police", r"militants",
    r"fighters", r"rebels", r"airbase", r"military",
)  # fmt: skip
_MILITARY_TARGET = letter_keyed_pattern([("mil", form) for form in _MILITARY_FORMS])
_MILITARY_HINTS = hints(_head_letters(_MILITARY_FORMS))
_INTERVENTION = re.compile(
    r"\b(?:tear\s*gas|dispersed|water\s+cannons?|rubber\s+bullets|batons?|stun\s+grenades)\b",
    re.IGNORECASE,
)
# A boundary starts at the end mark (so the scan can skip ahead to the next
# [.!?] or newline); the sentence ends after the mark, or after its closing
# quote when the next sentence does not start with a capital.
_SENTENCE_END = re.compile(
    r"[.!?](?:(?P<cap>[\"\u201d\u2019)\]]*\s+(?=[\"\u201c\u2018(\[]?[A-Z0-9]))"
    r"|(?P<quote>[\"\u201d\u2019])\s+)|\n\s*"
)
_ABBREVIATIONS = wordset(
    "mr mrs ms dr gen lt col sgt capt maj brig adm gov sen rep st jan feb mar apr jun jul "
    "aug sep sept oct nov dec no vs u.s u.n u.k e.g i.e jr sr prof rev mt ft inc corp co "
    "ltd"
)


_LAST_WORD = re.compile(r"([\w.]+)\.[\"\u201d\u2019)\]]*\s*$")


def _sentences(text: str) -> list[Span]:
    """Sentence spans; a line without end punctuation (a headline) is its own span."""
    bounds = []
    start = 0
    for m in _SENTENCE_END.finditer(text):
        if m.group("cap") is not None:
            stop = m.start() + 1
        elif m.group("quote") is not None:
            stop = m.start() + 2
        else:
            stop = m.start()
        word = _LAST_WORD.search(text, max(start, stop - 12), stop + 1)
        if (
            word
            and "\n" not in m.group()
            and (word.group(1).lower() in _ABBREVIATIONS or len(word.group(1)) == 1)
        ):
            continue  # "Gen. Soleimani", "U.S. forces", "Lt. Col."
        if stop > start:
            bounds.append((start, stop))
        start = m.end()
    if start < len(text):
        bounds.append((start, len(text)))
    spans = []
    for lo, hi in bounds:
        piece = text[lo:hi]
        body = piece.strip()
        if body:
            lo += len(piece) - len(piece.lstrip())
            spans.append(Span(lo, lo + len(body)))
    return spans


# What may close a sentence after its end mark: quotes and brackets.
_CLOSERS = '"\u201d\u2019)]'


def _is_heading(text: str, span: Span) -> bool:
    """Headlines and captions: no end punctuation, short. They repeat the story."""
    body = text[span.start : span.end].rstrip()
    return body.rstrip(_CLOSERS)[-1:] not in (".", "!", "?") and len(body.split()) <= 25


def _triggers(text: str, span: Span, lowered: str | None = None) -> list[_Trigger]:
    """Trigger words in ``text[span]``; ``lowered`` is ``text.lower()`` when offsets agree."""
    out = []
    matches = (
        _TRIGGER_LOWER_RE.finditer(lowered, span.start, span.end)
        if lowered is not None
        else _TRIGGER_RE.finditer(text, span.start, span.end)
    )
    for m in matches:
        word = text[m.start() : m.end()]
        if word.lower() in _CASE_SENSITIVE and not word.islower():
            continue
        family, pos = _TRIGGER_KINDS[m.lastgroup or ""]
        out.append(_Trigger(Span(m.start(), m.end()), word, family, pos))
    return out


# "shot" alone is weak ("shot a film", "prices shot up"); these say a person was shot.
_SHOT_BEFORE = re.compile(
    r"(?:\b(?:fatally|mortally|accidentally|critically|seriously|reportedly|allegedly)\s+"
    r"|\b(?:was|were|been|being|got|gets|is|are)\s+(?:[a-z]+ly\s+)?)$",
    re.IGNORECASE,
)
_SHOT_AFTER = re.compile(
    r"^\s+(?:(?:\w+\s+){0,3}?in\s+the\s+(?:head|chest|neck|back|face|leg|legs|arm|arms|stomach"
    r"|abdomen|shoulder|temple|thigh|foot|hand|eye|groin)\b|dead\b|and\s+(?:killed|wounded|injured)"
    r"|(?:\w+\s+){0,3}?(?:several|multiple|two|three|four|five|six|seven|many)\s+times"
    r"|(?:\w+\s+){0,3}?(?:at\s+close\s+range|point-blank)"
    r"|by\s+(?:a\s+|an\s+|the\s+)?(?:[\w-]+\s+){0,2}?(?:gunm[ae]n|police|soldiers?|troops|snipers?"
    r"|assailants?|attackers?|militants?|guards?|officers?|security\s+forces)"
    # "shot at U.N. forces", "shot toward two Palestinians", "shot four laborers"
    r"|(?:at|toward|towards)\s+(?!(?:the\s+)?(?:goal|basket|camera|title|record)\b)"
    r"|(?:\d+|two|three|four|five|six|seven|eight|nine|ten|dozens\s+of)\s+(?:[\w-]+\s+){0,2}?"
    r"(?:people|persons|men|women|children|civilians|protesters|demonstrators|workers|laborers"
    r"|labourers|students|villagers|soldiers|policemen|officers|guards|worshippers|passengers))",
    re.IGNORECASE,
)
# "a shot at", "his first shot": the noun, not the verb
_SHOT_NOUN = re.compile(
    r"\b(?:a|an|his|her|their|its|another)\s+(?:(?:really|very|good|great|real|fair|decent|long"
    r"|best|better|first|second|last|final|big|little|fighting)\s+){0,3}$",
    re.IGNORECASE,
)
_SHOT_NOT = re.compile(
    r"^\s+(?:up|down|through|to\s+(?:fame|stardom|prominence|the\s+top)|into\s+the\s+(?:lead|top))\b",
    re.IGNORECASE,
)
_FILMING_HINTS = hints(
    wordlist(
        "film movie scene footage video episode documentar series camera photo picture shoot goal"
        " basket golf par birdie location"
    )
)
_FILMING = re.compile(
    r"\b(?:films?|movies?|scenes?|footage|videos?|episodes?|documentar(?:y|ies)|series|cameras?"
    r"|photos?|photographs?|pictures?|shoots?|goals?|baskets?|rounds?\s+of\s+golf|par|birdie"
    r"|on\s+location)\b",
    re.IGNORECASE,
)


def _promoted(text: str, trig: _Trigger, sent: Span) -> _Trigger:
    """A weak "shot" that hit a person ("was fatally shot", "shot him in the head")
    becomes an attack verb; other triggers pass through."""
    if trig.pos != "weak" or trig.text.lower() != "shot":
        return trig
    left = text[max(sent.start, trig.span.start - 30) : trig.span.start]
    right = text[trig.span.end : min(sent.end, trig.span.end + 70)]
    if (
        _SHOT_NOT.match(right)
        or _SHOT_NOUN.search(left)
        or (
            may_hold(text, _FILMING_HINTS, sent.start, sent.end)
            and _FILMING.search(text, sent.start, sent.end)
        )
    ):
        return trig
    if _SHOT_BEFORE.search(left) or _SHOT_AFTER.match(right):
        return replace(trig, pos="verb")
    return trig


_NO_ONE_BEFORE = re.compile(r"(?i)\bno\s+(?:one|[\w-]+\s*)$")


def _modal_family(text: str, trig: _Trigger, sent: Span) -> str | None:
    """The trigger's family after modality: None for hypotheticals, threat for "threatened to"."""
    if trig.family in (_SEIZE, _ATTACK, _PROTEST) and _non_event_sense(
        text, trig.span, sent.start, sent.end
    ):
        return None
    left = text[max(sent.start, trig.span.start - 60) : trig.span.start]
    scope = _SCOPE_BREAK.split(left)[-1] if trig.family in (_SANCTION, _THREAT) else left
    if trig.family in (_SANCTION, _THREAT):
        return None if _NEGATION.search(scope) else trig.family
    if _MODAL_WORDS.isdisjoint(left.lower().split()[-8:]):
        return trig.family  # the common case, decided without the pattern
    m = _MODAL.search(left)
    if m is None:
        return trig.family
    if _THREAT_TO.search(left[: m.start() + 12]) and trig.family in _VIOLENT:
        return _THREAT
    if trig.pos == "casualty" and _NO_ONE_BEFORE.search(left):
        return trig.family  # "no one was killed" is a toll of zero
    return None


def _determiner(text: str, start: int) -> str:
    """``definite``, ``indefinite`` or ``bare`` for a noun trigger starting at ``start``."""
    words = _WORD.findall(text[max(0, start - 60) : start])
    for w in reversed(words[-5:]):
        lw = w.lower()
        if lw in _DET_WORDS or lw.endswith(("'s", "\u2019s")):
            return "definite"
        if lw in _INDEF_WORDS:
            return "indefinite"
        if lw in _STOP_WORDS or lw in ("no",):
            return "bare"
    return "bare"


# ---------------------------------------------------------------------------
# Drafts: one event as the article tells it, before one record per place.
# ---------------------------------------------------------------------------


@dataclass
class _Draft:
    """Mutable while the article is read; frozen into Incidents at the end."""

    sentence: Span
    triggers: list[_Trigger]
    background: bool = False
    anaphoric: bool = False
    families: set[str] = field(default_factory=set)
    agent: ActorMention | None = None
    target: ActorMention | None = None
    places: list[tuple[PlaceMention, str]] = field(default_factory=list)  # (mention, frame)
    date: DateMention | None = None
    fatalities: int | None = None
    injured: int | None = None
    claimed_by: str | None = None
    notes: list[str] = field(default_factory=list)
    inferred_agent: bool = False
    split_at: int | None = None  # where this draft's clause starts in a shared sentence
    located: list[tuple[PlaceMention, str]] | None = None  # places, once computed
    site_probability: float = 0.0  # the place model's best candidate, for the confidence
    dated: bool = False  # date looked up
    definite_agent: bool = False  # "the bomber", "the gunmen": an actor met before
    told_at: int | None = None  # start of the last sentence that told of it, if not the first

    @property
    def head(self) -> _Trigger:
        """The trigger that names the event: the first verb or noun, else the rest."""
        for kinds in (("verb", "noun"), ("weak",), ("casualty",), ("weapon",)):
            for t in self.triggers:
                if t.pos in kinds:
                    return t
        return self.triggers[0]

    @property
    def casualty_only(self) -> bool:
        return all(t.family == _CASUALTY and t.pos == "casualty" for t in self.triggers)


def _weapon(families: set[str]) -> str | None:
    for w in _WEAPONS:
        if w in families:
            return w
    return None


def _compatible(a: set[str], b: set[str]) -> bool:
    wa, wb = _weapon(a), _weapon(b)
    # a suicide bombing is also an explosion ("the bomber detonated her explosives")
    if wa and wb and wa != wb and {wa, wb} != {_SUICIDE, _EXPLOSIVE}:
        return False
    if a & _VIOLENT and b & _VIOLENT:
        return True
    return bool(a & b) or (bool(a & {_PROTEST, _RIOT}) and bool(b & {_PROTEST, _RIOT}))


_WHEN_WORD = re.compile(r"(?i)\bwhen\b")
_SINCE_WHEN = re.compile(r"(?i)\bsince\b[^,;]*\bwhen\b")


def _group(
    text: str, sent: Span, trigs: list[_Trigger], actors: Sequence[ActorMention]
) -> list[_Draft]:
    drafts: list[_Draft] = []
    for t in trigs:
        cur = drafts[-1] if drafts else None
        if cur is None:
            drafts.append(_Draft(sent, [t]))
            continue
        lo = cur.triggers[-1].span.end
        gap = text[lo : t.span.start]
        # Connectors stand within a few words of the trigger they introduce.
        near_lo = max(lo, t.span.start - 70)
        near = text[near_lo : t.span.start]
        split: int | None = None
        background = False
        if may_hold(gap, _HARD_BREAK_HINTS) and (m := _HARD_BREAK.search(gap)) is not None:
            split = lo + m.end()
        elif (
            t.pos in ("noun", "verb", "weapon")
            and not cur.casualty_only
            and may_hold(near, _BACKGROUND_HINTS)
            and (m := _BACKGROUND.search(near))
        ):
            split = near_lo + m.start()
            background = bool(_RETALIATION.search(gap)) or not _WHEN_WORD.search(gap)
            if _SINCE_WHEN.search(gap):
                background = False  # "since 1979 when it seized ...": its own dated event
        elif t.pos in ("noun", "verb") and not cur.casualty_only and (m := _WHEN.search(near)):
            split = near_lo + m.start()
        elif t.pos == "verb" and (m := _AND_NEW_CLAUSE.search(gap)) is not None:
            start = lo + m.end()
            if any(start <= a.span.start < t.span.start for a in actors):
                split = lo + m.start()
        new = split is not None
        if new:
            drafts.append(_Draft(sent, [t], background=background, split_at=split))
        else:
            cur.triggers.append(t)
    for d in drafts:
        d.families = {t.family for t in d.triggers}
        # "hit", "fired" and bare weapons make an event only together.
        if not any(t.pos in ("verb", "noun", "casualty") for t in d.triggers) and not (
            _weapon(d.families) and any(t.pos == "weak" for t in d.triggers)
        ):
            d.triggers = []
    return [d for d in drafts if d.triggers]


# Verbs whose victims follow them unless passive: "killed 12", "12 were killed".
_ACTIVE_TOLL_WORDS = wordset(
    "killed killing kills kill murdered massacred executed beheaded slaughtered assassinated"
    " lynched wounded wounding injured injuring"
)
_PASSIVE_TOLL = re.compile(
    r"(?i)\b(?:was|were|been|being|is|are)\s+(?:[a-z]+ly\s+)?(?:\w+\s+and\s+)?$"
)
_ONE_WAS = re.compile(
    r"(?i)\b(?:a|an|one)\s+(?:[\w\u2019'-]+\s+){0,3}(?:was|has\s+been)\s+(?:[a-z]+ly\s+)?"
    r"(?:shot\s+)?$"  # "a man was shot dead": the toll word is "dead"
)


def _count(text: str, trig: _Trigger, sent: Span) -> int | None:
    """The toll a casualty word reports, 0 for "no casualties", None if vague or absent."""
    left = text[max(sent.start, trig.span.start - 70) : trig.span.start]
    right = text[trig.span.end : min(sent.end, trig.span.end + 60)]
    word = trig.text.lower()
    if may_hold(left, _NONE_HINTS) and _NONE_BEFORE.search(left):
        return 0
    if word == "death toll" and (m := _TOLL.match(right)):
        return _number(m.group("n"))
    # "shot dead a cleric": "dead" counts who follows, as "killed" does
    shot_dead = word == "dead" and left.endswith(("shot ", "gunned "))
    if word in _ACTIVE_TOLL_WORDS or shot_dead:
        verb_left = left[: left.rstrip().rfind(" ") + 1] if shot_dead else left
        if not _PASSIVE_TOLL.search(verb_left):
            if _VAGUE.match(right):
                return None
            if (m := _COUNT_AFTER.match(right)) is not None:
                return _number(m.group("n"))
            if _ONE_VICTIM.match(right):
                return 1
            return None
    if may_hold(left, _COUNT_HINTS) and (m := _COUNT_BEFORE.search(left)) is not None:
        if _YEAR.fullmatch(m.group("n")) and _YEAR_BEFORE.search(left, 0, m.start()):
            return None  # "from 1987 until her death": a year, not a toll
        return _number(m.group("n"))
    if _ONE_WAS.search(left):
        return 1
    return None


_SPACES = re.compile(r"\s+")
_YEAR = re.compile(r"(?:18|19|20)\d\d")
_YEAR_BEFORE = re.compile(r"\b(?:in|since|from|until|of|by|to|year|early|late|mid-?)\s+$", re.I)


def _number(raw: str) -> int | None:
    raw = _SPACES.sub(" ", raw.lower())
    if raw.replace(",", "").isdigit():
        return int(raw.replace(",", ""))
    if "-" in raw:
        tens, _, unit = raw.partition("-")
        if tens in _NUMBER_WORDS and unit in _NUMBER_WORDS:
            return _NUMBER_WORDS[tens] + _NUMBER_WORDS[unit]
    return _NUMBER_WORDS.get(raw)


def _apply_tolls(
    text: str,
    draft: _Draft,
    source: _Draft,
    actors: Sequence[ActorMention],
    resolve: Callable[[ActorMention | None], ActorMention | None],
) -> None:
    """Copy the tolls that ``source``'s casualty words report onto ``draft``."""
    for t in source.triggers:
        if t.pos != "casualty" and t.family != _CASUALTY:
            continue
        n = _count(text, t, source.sentence)
        word = t.text.lower().split()[0]
        left = text[max(source.sentence.start, t.span.start - 40) : t.span.start]
        claim = _CLAIM_BEFORE.search(left) if may_hold(left, _CLAIM_HINTS) else None
        if claim is not None:
            who = [
                a
                for a in actors
                if a.span.end <= t.span.start - len(left) + claim.start()
                and a.span.start >= source.sentence.start
                and a.kind != "owner"
            ]
            claimer = resolve(who[-1]) if who else None
            if claimer is not None and claimer.name:
                draft.claimed_by = claimer.name
            phrase = text[t.span.start : min(source.sentence.end, t.span.end + 30)].split(",")[0]
            draft.notes.append(f"claimed: {phrase.strip()}")
            if n is not None and draft.fatalities is None and word in _FATAL_WORDS:
                draft.fatalities = n
            continue
        if n is None:
            continue
        fatal = word in _FATAL_WORDS or t.text.lower() in ("death toll", "lost their lives")
        if word in _INJURY_WORDS:
            draft.injured = n if draft.injured is None else draft.injured
        elif fatal and (draft.fatalities is None or (draft.fatalities == 0 and n > 0)):
            draft.fatalities = n


_MOB = re.compile(r"(?i)\bmob\b")
# a protest in the sentence: a killed "activist" alone is no protester at a protest
_AT_PROTEST = re.compile(r"(?i)\b(?:protest|demonstrat|rall(?:y|ies)|march|sit-in)")
_BETWEEN = re.compile(r"(?i)(?:\s+[\w-]+){0,3}?\s+between\s+")
_AND_BETWEEN = re.compile(r"(?i)[^,;.]{0,40}?\band\s+(?:the\s+)?")
_COMBAT_WORDS = wordset(
    "offensive counteroffensive counter-offensive stormed storming ambush ambushed ambushes"
    " overran assault assaults assaulted"
)
_IN_BATTLE = re.compile(
    r"(?i)\b(?:fighting|fought|clash(?:es|ed)?|battles?|gunfights?|firefights?|skirmish(?:es)?)\b"
)
_RETAKEN = re.compile(r"(?i)re(?:captured|took|taken|gained)")


def _classify(
    text: str, d: _Draft, mentions: Callable[[], Sequence[PlaceMention]] = tuple
) -> tuple[str, str, str]:
    """ACLED event type, sub-event type and the rule that decided them; ``mentions()``
    gives the sentence's place mentions (asked only for seizures)."""
    fam = d.families
    clause = text[d.sentence.start : d.sentence.end]
    target = d.target
    if _PROTEST in fam or _RIOT in fam:
        violent = (
            _RIOT in fam
            or (_CLASH in fam)
            or (d.agent is not None and d.agent.inter in (5, 6) and fam & {_ATTACK, _LOOT})
        )
        if _RIOT in fam and _MOB.search(clause):
            return "Riots", "Mob violence", "riot:mob"
        if violent:
            return "Riots", "Violent demonstration", "protest:violent"
        if _CASUALTY in fam and (target is None or target.inter == 6):
            return "Protests", "Excessive force against protesters", "protest:killed"
        if _INTERVENTION.search(clause):
            return "Protests", "Protest with intervention", "protest:intervention"
        return "Protests", "Peaceful protest", "protest"
    weapon = _weapon(fam)
    if weapon == _AIR and d.head.text.lower() == "shot down":
        weapon = None  # "shot down a helicopter gunship": the aircraft was the target
    if weapon is not None:
        sub = {
            _SUICIDE: "Suicide bomb",
            _AIR: "Air/drone strike",
            _SHELL: "Shelling/artillery/missile attack",
            _GRENADE: "Grenade",
            _EXPLOSIVE: "Remote explosive/landmine/IED",
        }[weapon]
        return "Explosions/Remote violence", sub, f"weapon:{weapon}"
    if _ABDUCT in fam:
        return "Violence against civilians", "Abduction/forced disappearance", "abduction"
    if _ARREST in fam:
        return "Strategic developments", "Arrests", "arrest"
    if _SEIZE in fam:
        t = next(t for t in d.triggers if t.family == _SEIZE)
        right = text[t.span.end : d.sentence.end]
        if _CONTRABAND.match(right):
            if d.agent is not None and d.agent.inter == 1:
                return "Strategic developments", "Other", "seizure:contraband"
            return "Strategic developments", "Looting/property destruction", "seizure:property"
        if _PROPERTY.match(right):
            return "Strategic developments", "Looting/property destruction", "seizure:property"
        left = text[max(d.sentence.start, t.span.start - 90) : t.span.start]
        if (
            _TERRITORY.match(right)
            or _TERRITORY_SUBJECT.search(left)
            or _place_taken(text, t.span, mentions())
        ):
            state = d.agent is not None and d.agent.inter == 1
            if state or _RETAKEN.search(t.text):
                return "Battles", "Government regains territory", "seizure:territory"
            return "Battles", "Non-state actor overtakes territory", "seizure:territory"
        if _CLASH in fam or _IN_BATTLE.search(clause):
            # "captured while fighting", "captured ... after a battle": taken in combat
            return "Battles", "Armed clash", "seizure:in-battle"
        if d.agent is not None and d.agent.inter == 1:
            return "Strategic developments", "Arrests", "seizure:people"
        return "Violence against civilians", "Abduction/forced disappearance", "seizure:people"
    if _LOOT in fam and not fam & {_ATTACK, _CLASH}:
        if d.agent is not None and d.agent.inter == 5:
            return "Riots", "Violent demonstration", "looting:rioters"
        return "Strategic developments", "Looting/property destruction", "looting"
    if fam & {_SANCTION, _THREAT}:
        return "Strategic developments", "Other", f"{'sanction' if _SANCTION in fam else 'threat'}"
    if _BASE in fam:
        return "Strategic developments", "Headquarters or base established", "base"
    if _CLASH in fam:
        return "Battles", "Armed clash", "clash"
    # each target scan runs only when the target actor has not decided already
    armed_target = target is not None and target.inter in (1, 2, 3, 4, 8)
    if (
        target is not None
        and target.inter == 6
        and (d.agent is None or d.agent.inter == 1)
        and _AT_PROTEST.search(clause)
    ):
        # "police shot dead two demonstrators": lethal force used on protesters
        return "Protests", "Excessive force against protesters", "attack:protesters"
    if not armed_target and (
        (target is not None and target.inter == 7)
        or (may_hold(clause, _CIVILIAN_HINTS) and _CIVILIAN_TARGET.search(clause))
    ):
        return "Violence against civilians", "Attack", "attack:civilian-target"
    right = text[d.head.span.end : d.sentence.end]
    armed = armed_target or (
        may_hold(right, _MILITARY_HINTS) and _MILITARY_TARGET.search(right) is not None
    )
    if armed:
        return "Battles", "Armed clash", "attack:armed-target"
    if d.head.text.lower() in _COMBAT_WORDS and (d.agent is None or d.agent.inter != 7):
        # an offensive, storming or ambush with no civilian target is fought
        return "Battles", "Armed clash", "attack:combat"
    return "Violence against civilians", "Attack", "attack:default"


def _precision(mention: PlaceMention, frame: str) -> int:
    if frame in ("relative", "near"):
        return 2
    if frame.startswith("container:"):
        # The site is a place the gazetteer lacks, inside this one (ACLED's 2 or 3).
        small = mention.place is not None and mention.place.place_type in (
            PlaceType.CITY,
            PlaceType.FACILITY,
            PlaceType.ADMIN2,
        )
        return 2 if small else 3
    place = mention.place
    if place is None:
        return 3
    return {PlaceType.CITY: 1, PlaceType.FACILITY: 1, PlaceType.ADMIN2: 2}.get(place.place_type, 3)


# What makes a name the province, not its city: "Kherson province", "the province of
# Kherson", "northern Hama" (a part of a province), "the Aleppo countryside".
_PROVINCE_AFTER = re.compile(
    r"['\u2019]?s?\s*(?:,\s*(?:a|the)\s+)?(?:province|governorate|state|region|oblast|county"
    r"|district|prefecture"
    r"|department|countryside)\b",
    re.IGNORECASE,
)
_PROVINCE_BEFORE = re.compile(
    r"(?:\b(?:province|governorate|state|region|oblast|department)\s+of\s+(?:the\s+)?"
    r"|\b(?:northern|southern|eastern|western|central|north-?eastern|north-?western"
    r"|south-?eastern|south-?western|rural|across|throughout)\s+)$",
    re.IGNORECASE,
)


def _city_for_province(text: str, mention: PlaceMention, gazetteer: GazetteerLike) -> Place | None:
    """The city a province-level match stands for ("clashes in Basra", "a protest in
    Paris"): ACLED places an event named by a town at the town unless the text says
    it is the province. None when there is no such city or the text says province."""
    place = mention.place
    if place is None or place.place_type is not PlaceType.ADMIN1:
        return None
    if _PROVINCE_AFTER.match(text, mention.span.end) or _PROVINCE_BEFORE.search(
        text[max(0, mention.span.start - 30) : mention.span.start]
    ):
        return None
    cities = [
        p
        for p in gazetteer.lookup(mention.text)
        if p.place_type is PlaceType.CITY
        and p.country_code == place.country_code
        # in the province, or a city big enough to be what the name means (not the
        # hamlet California, Maryland, for the state)
        and (p.admin1 == place.admin1 or p.population >= 50_000)
    ]
    # the province's own seat first (admin-1 codes of the two sources may differ)
    return max(cities, key=lambda p: (p.admin1 == place.admin1, p.population), default=None)


def _shift(m: PlaceMention, offset: int) -> PlaceMention:
    if not offset:  # an article's first sentence, most often its only one
        return m
    span = Span(m.span.start - offset, m.span.end - offset)
    return PlaceMention(m.article_id, span, m.text, m.place, m.score, m.via)


_PLACE_FRAMES = frozenset(("in", "near", "area_of", "relative"))
# The Arabic article, written apart, glued or left out: "Qamishli" is GeoNames'
# "Al Qamishli", "Deir Ezzor" its "Deir ez-Zor".
_ARTICLE_APART = re.compile(r"^(?:al|el|as|ash|ad|ar|an|az|at)[-\s](?=\w{3})", re.IGNORECASE)
_ARTICLE_GLUED = re.compile(r"\b(al|el|ez|es|ed|as|ad|ar|an|az|at)(?=\w{3,}\b)", re.IGNORECASE)


def _spellings(name: str) -> list[str]:
    """The name as written, then with its Arabic article dropped, added or split off."""
    out = [name]
    bare = _ARTICLE_APART.sub("", name)
    out.append(bare if bare != name else f"Al {name}")
    split = _ARTICLE_GLUED.sub(r"\1 ", name)
    if split != name:
        out.append(split)
    return out


def _site_by_name(
    name: str,
    local: Sequence[PlaceMention],
    article: Sequence[PlaceMention],
    gazetteer: GazetteerLike,
) -> Place | None:
    """The entry for a site the places stage passed over ("fighting in Tikrit" where
    the recogniser doubted "Tikrit"), in a country the sentence, else the article,
    names; None when no entry lies there, rather than a town of that name abroad."""
    entries = next(filter(None, map(gazetteer.lookup, _spellings(name))), None)
    if not entries:
        return None
    for scope in (local, article):
        countries = {m.place.country_code for m in scope if m.place is not None}
        inside = [e for e in entries if e.country_code in countries]
        if inside:
            return inside[0]
    return None


def _event_places(
    text: str,
    sent: Span,
    region: Span,
    triggers: Sequence[_Trigger],
    mentions: Sequence[PlaceMention],
    gazetteer: GazetteerLike,
    model: EventPlaceModel,
    article: Sequence[PlaceMention],
) -> tuple[list[tuple[PlaceMention, str]], float, list[str]]:
    """Where a draft's event happened: (mention, frame) pairs with gazetteer entries,
    the place model's probability for its best candidate, and the chosen sites that
    could not be placed at all.

    The choice is made on the sentence alone, as in the benchmark. A site the
    places stage passed over is looked up by name in the countries the article
    names (``article``: all its place mentions). When the site is a name the
    gazetteer lacks ("the village of X in Y province"), the known place around
    it stands in, with frame ``container:X``.
    """
    local = [m for m in mentions if region.start <= m.span.start and m.span.end <= region.end]
    sub = text[sent.start : sent.end]
    lo, hi = region.start - sent.start, region.end - sent.start
    heads = [t for t in triggers if t.pos in ("verb", "noun", "weak")][:2] or list(triggers)[:1]
    moved = [_shift(m, sent.start) for m in local]
    verbs = [Span(t.span.start - sent.start, t.span.end - sent.start) for t in heads]
    shifted = {m.span: orig for m, orig in zip(moved, local, strict=True)}
    choice = choose_sites(sub, verbs, moved, gazetteer, Span(lo, hi), model)
    out: list[tuple[PlaceMention, str]] = []
    unplaced: list[str] = []
    for c in choice.sites:
        if c.mention.via != "frame":
            found = shifted[c.span]
            if found.place is not None:
                out.append((found, c.frame))
            else:
                unplaced.append(c.mention.text)
            continue
        # only a name in a place frame ("in X", "the town of X"): a bare object of
        # the verb ("stabbed Welch") is as often a person as a place
        place = (
            _site_by_name(c.mention.text, local, article, gazetteer)
            if c.frame in _PLACE_FRAMES
            else None
        )
        if place is not None:
            span = Span(c.span.start + sent.start, c.span.end + sent.start)
            aid = article[0].article_id if article else ""
            score = round(choice.probability, 4)
            out.append((PlaceMention(aid, span, c.mention.text, place, score, "site"), c.frame))
            continue
        container = _container_of(sub, c, choice.candidates)
        if container is None:
            unplaced.append(c.mention.text)
            continue
        found = shifted[container.span]
        if all(found is not m for m, _ in out):
            out.append((found, f"container:{c.mention.text}"))
    return out, choice.probability, unplaced


# ---------------------------------------------------------------------------
# The stage.
# ---------------------------------------------------------------------------


@dataclass
class _Reader:
    """State carried through one article: drafts, who acted, named groups."""

    article: Article
    mentions: Sequence[PlaceMention]
    gazetteer: GazetteerLike
    model: EventPlaceModel  # chooses each event's place and calibrates the confidence
    drafts: list[_Draft] = field(default_factory=list)
    agents: list[ActorMention] = field(default_factory=list)
    groups: list[ActorMention] = field(default_factory=list)
    people: dict[str, str] = field(default_factory=dict)
    sentence_index: dict[int, int] = field(default_factory=dict)  # sentence start -> index
    starts: list[int] = field(default_factory=list)  # of mentions, for bisection

    def mentions_in(self, span: Span) -> list[PlaceMention]:
        lo = bisect_left(self.starts, span.start)
        hi = bisect_left(self.starts, span.end, lo=lo)
        return [m for m in self.mentions[lo:hi] if m.span.end <= span.end]

    def resolve(
        self, a: ActorMention | None, actors: Sequence[ActorMention]
    ) -> ActorMention | None:
        """Resolve "it", "they", "the group" to an earlier actor; others pass through."""
        if a is None or a.kind != "pronoun":
            return a
        if a.name == "def":
            named = [g for g in self.groups if g.span.end <= a.span.start]
            return named[-1] if named else a.fallback
        # The sentence's own subject first ("Trump ... saying they will ..."),
        # then whoever acted last ("... attack by Iran ... when it seized").
        same = [
            x
            for x in actors
            if x.span.end <= a.span.start
            and x.kind in ("state", "group")
            and x.name
            and (x.prep is None or x.prep == "by")
        ]
        if same:
            return same[0]
        return self.agents[-1] if self.agents else None

    def antecedent(
        self, d: _Draft, agent: ActorMention | None, window: int | None
    ) -> _Draft | None:
        here = self.sentence_index[d.sentence.start]
        for main_only in (True, False):
            for prev in reversed(self.drafts):
                if prev is d or (main_only and prev.background):
                    continue
                told = prev.told_at if prev.told_at is not None else prev.sentence.start
                if window is not None and here - self.sentence_index[told] > window:
                    continue
                if not _compatible(prev.families, d.families):
                    continue
                if agent is not None and prev.agent is not None and agent.name != prev.agent.name:
                    continue
                return prev
        return None


def _regions(sent: Span, drafts: Sequence[_Draft]) -> list[Span]:
    """Split a sentence between drafts at the connectors that separated them."""
    if not drafts:
        return []
    starts = [sent.start] + [
        d.split_at if d.split_at is not None else d.triggers[0].span.start for d in drafts[1:]
    ]
    ends = [*starts[1:], sent.end]
    return [Span(lo, max(lo, hi)) for lo, hi in zip(starts, ends, strict=True)]


def _retells_complete_event(r: _Reader, text: str, trigs: Sequence[_Trigger]) -> bool:
    """Whether a sentence only names, again, an event already known in full.

    "Zarif framed the attack as self-defence": only definite nouns, and the
    event they refer to has its actor, place and date. Such a sentence cannot
    add to any record, so it is not analysed further (a third of the trigger
    sentences of a typical conflict story).
    """
    if not all(t.pos == "noun" for t in trigs):
        return False
    if not all(_determiner(text, t.span.start) == "definite" for t in trigs):
        return False
    families = {t.family for t in trigs}
    for prev in reversed(r.drafts):
        if not prev.background and _compatible(prev.families, families):
            return bool(prev.places and prev.date is not None and prev.agent is not None)
    return False


@dataclass
class _Sentence:
    """One sentence being read; dates and places are computed only when asked for."""

    reader: _Reader
    span: Span
    actors: Sequence[ActorMention]
    _dates: list[DateMention] | None = None

    def dates(self) -> list[DateMention]:
        if self._dates is None:
            art = self.reader.article
            found = find_dates(art.text, art.date, self.span.start, self.span.end)
            self._dates = [x for x in found if not x.bound]
        return self._dates

    def date(self, d: _Draft, region: Span) -> DateMention | None:
        """The date expression of a draft: the one nearest its head, in its clause."""
        if not d.dated:
            d.dated = True
            near = [x for x in self.dates() if region.start <= x.span.start < region.end]
            if near:
                d.date = min(near, key=lambda x: abs(x.span.start - d.head.span.start))
        return d.date

    def locate(self, d: _Draft, region: Span) -> list[tuple[PlaceMention, str]]:
        """Where a draft happened; the costliest step, so drafts that merge into
        an earlier telling which already has a place never pay for it."""
        if d.located is None:
            text = self.reader.article.text
            in_region = self.reader.mentions_in(region)
            located, d.site_probability, unplaced = _event_places(
                text,
                self.span,
                region,
                d.triggers,
                in_region,
                self.reader.gazetteer,
                self.reader.model,
                self.reader.mentions,
            )
            # threats and sanctions have no site of their own; the probability still
            # says how likely the text names one, for the confidence
            d.located = [] if d.families & _UNLOCATED else located
            if unplaced and not located and not d.families & _UNLOCATED:
                names = ", ".join(repr(n) for n in unplaced)
                d.notes.append(f"site {names} could not be placed; no location given")
            d.places = d.located
        return d.located

    def resolve(self, a: ActorMention | None) -> ActorMention | None:
        return self.reader.resolve(a, self.actors)


def _roles(text: str, d: _Draft, region: Span, s: _Sentence) -> None:
    """Agent and target of a draft, pronouns resolved."""
    head, actors = d.head, s.actors
    partner = head.family == _CLASH
    # "killed", "wounded" are verbs ("were killed by"); "deaths", "casualties" nouns
    as_noun = head.pos not in ("verb", "weak") and not (
        head.pos == "casualty" and head.text.lower() not in _CASUALTY_NOUNS
    )
    agent, target = agent_and_target(text, head.span, as_noun, region, actors, partner)
    if partner and (between := _BETWEEN.match(text, head.span.end, region.end)) is not None:
        # "clashes between rebels and local militias": the two sides, in order
        sides = [a for a in actors if between.end() <= a.span.start < region.end][:2]
        if len(sides) == 2 and _AND_BETWEEN.match(text, sides[0].span.end, sides[1].span.start):
            agent, target = sides
    if head.text.lower() in _CASUALTY_NOUNS:
        agent, target = None, agent  # "Iraqi casualties": the modifier names the victims
    if agent is None and head.pos == "noun":
        # "X killed 30 militants in air strikes": the verb's subject acted.
        for t in d.triggers:
            if t.pos in ("verb", "casualty", "weak") and t.span.end <= head.span.start:
                agent, _ = agent_and_target(text, t.span, False, region, actors)
                if agent is not None:
                    break
    if target is None:
        for t in d.triggers:
            if t.family == _CASUALTY and t is not head:
                _, target = agent_and_target(text, t.span, t.pos == "noun", region, actors)
                if target is not None:
                    break
    if agent is not None and agent.inter == 7 and not d.families & {_PROTEST, _RIOT}:
        # "four people were killed … from battles": counted civilians are victims, and
        # civilians who attack are coded as an armed group or rioters, never as civilians
        agent = None
    # "the bomber detonated …": a known attacker told again, so maybe a retelling
    d.definite_agent = agent is not None and (
        (agent.kind == "pronoun" and agent.name == "def")
        or (
            agent.kind == "generic"
            and text[max(0, agent.span.start - 4) : agent.span.start].lower() == "the "
        )
    )
    d.agent, d.target = _owned(s.resolve(agent), s), _owned(s.resolve(target), s)


def _owned(a: ActorMention | None, s: _Sentence) -> ActorMention | None:
    """ "Its troops", "their forces": the forces of whoever "its" refers to."""
    if a is None or a.kind != "state" or a.name:
        return a
    owner = next(
        (
            x
            for x in s.actors
            if x.kind == "pronoun"
            and x.name in ("it", "they")
            and 0 <= a.span.start - x.span.end <= 1
        ),
        None,
    )
    who = None if owner is None else s.resolve(owner)
    if who is None or who.country_code is None or who.inter != 1:
        return a
    return replace(a, name=who.name, country_code=who.country_code, origin=who.origin)


# What makes a march a protest: "marched ... to demand", "chanting", "thousands of".
_CROWD_CUE = re.compile(
    r"\b(?:protest\w*|demonstrat\w*|rall(?:y|ies|ied)|chant\w*|slogans?|banners?|placards?"
    r"|supporters|activists|marchers|opposition|strikers|crowds?|masses|throngs?"
    r"|(?:shout|denounc|condemn|demand|wav)\w*|\d{1,3}(?:,\d{3})+"
    r"|in\s+support\s+of|in\s+solidarity"
    r"|against|to\s+(?:demand|denounce|condemn|call\s+for|press|mark|commemorate|oppose|show)"
    r"|urging|participants|(?:thousands|hundreds|dozens|scores)\s+of"
    r"|\d[\d,]*\s+(?:[\w-]+\s+){0,3}?(?:people|protesters|demonstrators|supporters|students"
    r"|workers|women|residents|lawyers|members|activists|marchers|followers|fans))\b",
    re.IGNORECASE,
)


# "riot police", "riot gear": equipment for riots, not one.
_RIOT_KIT = re.compile(
    r"\s+(?:police|policem[ae]n|gear|squads?|control|shields?|units?|troops|officers|act)\b",
    re.IGNORECASE,
)


# Crime reporting names the charge, not an event: "charged with assault".
_CHARGE_BEFORE = re.compile(
    r"\b(?:charged\s+with|charges?\s+of|counts?\s+of|convicted\s+of|accused\s+of|guilty\s+of"
    r"|suspicion\s+of|indicted\s+(?:for|on)|sentenced\s+for|trial\s+for)"
    r"(?:\s+[\w\u2019'-]+){0,3}\s+$",
    re.IGNORECASE,
)
_CHARGE_HINTS = hints(
    wordlist("charge count convicted accused guilty suspicion indicted sentenced trial")
)
# "struck a nerve", "struck a deal", "struck by a car": no attack.
_NOT_STRUCK = re.compile(
    r"\s+(?:(?:a|an|the)\s+)?(?:deal|agreement|chord|nerve|balance|tone|note|pose|compromise"
    r"|bargain|(?:gold|oil)(?!\s+(?:depots?|fields?|refiner(?:y|ies)|facilit(?:y|ies)|terminals?"
    r"|tankers?|installations?|pipelines?|wells?|platforms?|storage|plants?|convoys?|trucks?"
    r"|mines?)))\b|\s+by\s+(?:a\s+|an\s+|the\s+)?(?:[\w-]+\s+)?(?:car|vehicle|truck|train|bus"
    r"|lightning|motorcycle|van|suv)\b|-and-run",
    re.IGNORECASE,
)


# "shot down eight of the missiles": an interception, part of the attack it stopped.
_INTERCEPTED = re.compile(
    r"\s+(?:[\w-]+\s+){0,3}?(?:of\s+(?:the|its|their)\s+)?(?:[\w-]+\s+)?(?:missiles?|rockets?"
    r"|drones?|projectiles?|shells|munitions)\b",
    re.IGNORECASE,
)


def _no_event(text: str, t: _Trigger, sent: Span) -> bool:
    """Whether a trigger word names no event here: a march with no sign of a
    protest ("we marched on through the woods"), "riot police", "struck a deal",
    "struck by a car", or the charge in crime reporting ("charged with assault").
    ("Demonstrated" that shows something is :func:`_non_event_sense`'s, which
    :func:`_modal_family` asks first.)"""
    word = t.text.lower()
    if t.family == _RIOT and word == "riot":
        return _RIOT_KIT.match(text, t.span.end) is not None
    if t.family == _PROTEST:
        if word.startswith("march"):
            return _CROWD_CUE.search(text, sent.start, sent.end) is None
        return False
    if word in ("struck", "hit", "hits") and _NOT_STRUCK.match(text, t.span.end):
        return True
    if word == "shot down" and _INTERCEPTED.match(text, t.span.end):
        return True  # missiles or drones shot down: the attack is the event, told apart
    left = text[max(sent.start, t.span.start - 60) : t.span.start]
    return may_hold(left, _CHARGE_HINTS) and _CHARGE_BEFORE.search(left) is not None


def _read_sentence(r: _Reader, sent: Span, found: Sequence[_Trigger]) -> None:
    text = r.article.text
    trigs = []
    for t in found:
        family = _modal_family(text, t, sent)
        if family is not None and not _no_event(text, t, sent):
            t = _promoted(text, t, sent)
            trigs.append(t if family == t.family else replace(t, family=family))
    if not trigs or _retells_complete_event(r, text, trigs):
        return
    actors = find_actor_mentions(text, r.mentions, r.gazetteer, sent.start, sent.end, r.people)
    r.groups.extend(a for a in actors if a.kind == "group")
    drafts = _group(text, sent, trigs, actors)
    s = _Sentence(r, sent, actors)
    previous_main: _Draft | None = None
    for d, region in zip(drafts, _regions(sent, drafts), strict=True):
        _roles(text, d, region, s)
        if _merge_into_earlier(text, d, region, s, previous_main):
            continue
        s.date(d, region)
        first = d.triggers[0]
        if d.background and d.agent is None and previous_main is not None:
            gap = text[previous_main.triggers[-1].span.end : first.span.start]
            if _RETALIATION.search(gap) and previous_main.target is not None:
                # "X struck Y in retaliation for the strike": Y struck first.
                d.agent, d.inferred_agent = previous_main.target, True
                d.notes.append("actor1 inferred: the party the retaliation targeted")
        if d.agent is not None:
            r.agents.append(d.agent)
        r.drafts.append(d)
        if not d.background and not d.casualty_only:
            previous_main = d


def _place_or_date_given(s: _Sentence, d: _Draft, region: Span) -> bool:
    """Whether a clause says where or when, which a mere retelling rarely does again."""
    return bool(s.reader.mentions_in(region)) or s.date(d, region) is not None


def _merge_into_earlier(
    text: str, d: _Draft, region: Span, s: _Sentence, previous_main: _Draft | None
) -> bool:
    """True when ``d`` is not a new event: a retelling, a toll or talk.

    A retelling ("the Iranian attack") or a toll ("five soldiers were killed")
    completes the event it refers to; a reference with nothing to anchor it
    ("the attacks", "carried out attacks") is dropped. Otherwise ``d``'s own
    tolls and place are filled in and False is returned.
    """
    r = s.reader
    first, head = d.triggers[0], d.head
    lead = head if head.pos in ("verb", "noun") else first
    definite = (
        lead.pos in ("noun", "casualty") and _determiner(text, lead.span.start) == "definite"
    ) or (lead.pos == "verb" and d.definite_agent and not _place_or_date_given(s, d, region))
    if d.casualty_only:
        if _TALLY.search(text, region.start, region.end) and _perfect(text, d, region):
            return True  # "Boko Haram has killed more than 20,000 people since 2009"
        ante = r.antecedent(d, d.agent, window=2) if previous_main is None else previous_main
        if ante is not None:
            _retell(text, ante, d, region, s)
            return True
        _apply_tolls(text, d, d, s.actors, s.resolve)
        if d.fatalities == 0 or d.injured == 0:
            return True  # "no casualties were reported", with nothing to attach to
        if may_hold(
            text, _NOT_VIOLENCE_HINTS, d.sentence.start, d.sentence.end
        ) and _NOT_VIOLENCE.search(text, d.sentence.start, d.sentence.end):
            return True  # "killed in a traffic accident", "died of cancer"
        if not (d.fatalities or d.injured) and (
            not _violent_death(text, d.head)
            or _TALLY.search(text, region.start, region.end)
            or (_summing_up(text, d, region) and not s.locate(d, region))
        ):
            # "hundreds have been killed since 2015": a tally, not an event; "she
            # died in Ohio", "until her death": no violence without a toll
            return True
    elif definite:
        ante = r.antecedent(d, d.agent, window=None)
        if ante is not None:
            # "The Iranian attack ... targeting bases in Baghdad and Erbil": a
            # retelling that may add what the first telling left out.
            d.anaphoric = True
            _retell(text, ante, d, region, s)
            if d.agent is not None:
                r.agents.append(d.agent)
            return True
        casualties = any(t.family == _CASUALTY for t in d.triggers)
        if not (d.agent or casualties or s.date(d, region) or s.locate(d, region)):
            return True  # "the attacks" with nothing to anchor them: talk, not a report
    elif (
        first.pos == "noun"
        and not any(t.pos in ("verb", "casualty") for t in d.triggers)
        and not (d.agent or d.target or s.date(d, region) or s.locate(d, region))
    ):
        return True  # "carried out attacks": generic
    s.locate(d, region)
    _apply_tolls(text, d, d, s.actors, s.resolve)
    return False


# Tallies and habits, not one event: "have been killed since", "are killing", "repeatedly".
_TALLY = re.compile(
    r"\b(?:since|so\s+far|to\s+date|over\s+the\s+(?:past|last)|in\s+recent\s+(?:weeks|months|years)"
    r"|this\s+year|each\s+(?:day|week|month|year)|every\s+(?:day|week|month|year)"
    r"|a\s+(?:day|week|month|year)|per\s+(?:day|week|month|year)|annually"
    r"|repeatedly|routinely|regularly|often|frequently|continue[sd]?\s+to)\b",
    re.IGNORECASE,
)
_PERFECT_OR_ONGOING = re.compile(
    r"\b(?:ha(?:ve|s|d)|are|is|'ve|’ve)\s+(?:[a-z]+ly\s+)?(?:been\s+(?:[a-z]+ly\s+)?)?$",
    re.IGNORECASE,
)


# Deaths and injuries that are no act of violence.
_NOT_VIOLENCE_HINTS = hints(
    wordlist(
        "accident crash collision collided wreck drown overdose cancer illness disease natural"
        " heart stroke earthquake flood storm hurricane tornado avalanche landslide stampede crush"
        " fire blaze suicide age passed"
    )
)
_NOT_VIOLENCE = re.compile(
    r"\b(?:accidents?|accidental(?:ly)?|crash(?:es|ed)?|collisions?|collided|wreck(?:s|ed|age)?"
    r"|drown(?:ed|ing)|at\s+(?:the\s+)?age\s+(?:of\s+)?\d+|passed\s+away"
    r"|overdoses?|cancer|illness|disease|natural\s+causes|heart\s+attack|stroke|earthquakes?"
    r"|floods?|storms?|hurricanes?|tornado(?:es)?|avalanches?|landslides?|stampedes?|crush"
    r"|(?:house|apartment|building)\s+fire|blaze|suicide(?!\s+(?:car\s+)?(?:bomb|attack|blast)))\b",
    re.IGNORECASE,
)
# Casualty words that alone tell of an act of violence, with no toll or place.
_VIOLENT_DEATHS = frozenset(("killed", "killing", "shot dead", "wounded", "wounding"))
# ... and the manner that makes a death violent: "hacked to death", "shot dead".
_VIOLENT_MANNER = re.compile(
    r"\b(?:shot|gunned|hacked|beaten|stabbed|burned|burnt|stoned|tortured|bludgeoned|lynched"
    r"|clubbed|strangled|executed)\s+(?:to\s+)?$",
    re.IGNORECASE,
)


def _violent_death(text: str, head: _Trigger) -> bool:
    if head.text.lower() in _VIOLENT_DEATHS:
        return True
    return _VIOLENT_MANNER.search(text, max(0, head.span.start - 20), head.span.start) is not None


def _perfect(text: str, d: _Draft, region: Span) -> bool:
    head = d.head.span.start
    return bool(_PERFECT_OR_ONGOING.search(text[max(region.start, head - 30) : head]))


def _summing_up(text: str, d: _Draft, region: Span) -> bool:
    """Whether a casualty clause tallies or describes a habit instead of one event."""
    if _TALLY.search(text, region.start, region.end):
        return True
    if d.head.text.lower() in ("kill", "kills"):
        return True  # "will kill", "kills civilians": no one event in the past
    return _perfect(text, d, region)


def _retell(text: str, ante: _Draft, d: _Draft, region: Span, s: _Sentence) -> None:
    """Complete the earlier telling ``ante`` with what ``d`` adds."""
    ante.told_at = d.sentence.start  # the story goes on here: later tolls attach to it
    _apply_tolls(text, ante, d, s.actors, s.resolve)
    if not ante.places:
        s.locate(d, region)
    if ante.date is None:
        s.date(d, region)
    _fill(ante, d)


def _fill(into: _Draft, src: _Draft) -> None:
    """Complete ``into`` with what a later telling ``src`` adds; the first telling wins."""
    if not into.places and src.places:
        into.places = src.places
        into.site_probability = src.site_probability
        into.notes.append(f"location stated at {src.sentence.start}-{src.sentence.end}")
    into.agent = into.agent or src.agent
    into.target = into.target or src.target
    if into.date is None and src.date is not None:
        into.date = src.date
    if into.fatalities is None:
        into.fatalities = src.fatalities
    if into.injured is None:
        into.injured = src.injured
    into.claimed_by = into.claimed_by or src.claimed_by
    into.families |= {f for f in src.families if f in _WEAPONS and _weapon(into.families) is None}


def _confidence(d: _Draft, located: bool, model: EventPlaceModel) -> float:
    """The chance the record is right about where the event happened: that its
    place is the site, or, with no place, that the text gives none. It is the
    place model's probability mapped through the calibration fitted out of fold
    on the event-location corpus (scripts/train_eventplace.py)."""
    return round(model.calibration.confidence(d.site_probability, located), 4)


def _incident_id(article_id: str, trigger: Span, place_id: str) -> str:
    key = f"{article_id}|{trigger.start}|{trigger.end}|{place_id}"
    return hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]


# ACLED's excessive force is lethal or maiming; tear gas and batons are an intervention.
_LETHAL = frozenset((_CASUALTY, *_WEAPONS))
_LIVE_FIRE = re.compile(r"(?i)(?:opened\s+fire|fired\s+(?:on|at|upon)|shot|shootings?|gunfire)")
# A crowd's own words: "Iraqis marched", "students protested" (not "troops marched").
_CROWD_INTER = {"Protests": 6, "Riots": 5}


def _crowd_sides(
    text: str, d: _Draft, etype: str, sub: str, rule: str
) -> tuple[str, str, str, ActorMention | None, ActorMention | None] | None:
    """ACLED's sides of a protest or riot; None when the "protest" is no event.

    The crowd is named after its country ("Protesters (Iraq)"), whether the text
    calls it by its nationality ("Palestinians demonstrated", "Angola's workers"),
    as civilians ("students protested"), or not at all (a protest has
    protesters). Armed forces that "marched" moved troops; armed forces at a
    protest either used lethal force on the protesters or intervened in it.
    """
    agent, target, head = d.agent, d.target, d.head
    inter = _CROWD_INTER[etype]
    # an implied crowd carries the trigger's span, dropped in _actor
    implied = ActorMention(head.span, INTER_TYPES[inter], inter, "generic", None, None, True)
    if agent is None:
        if sub == "Excessive force against protesters":
            return etype, sub, rule, None, target or replace(implied, name=INTER_TYPES[6], inter=6)
        return etype, sub, rule, implied, target
    if agent.inter in (5, 6):
        if agent.inter != inter:  # protesters who riot are rioters
            agent = replace(agent, name=INTER_TYPES[inter], inter=inter)
        return etype, sub, rule, agent, target
    crowd_verb = head.family in (_PROTEST, _RIOT) and head.pos == "verb"
    if (
        agent.inter == 7
        or not names_forces(text, agent)
        or (crowd_verb and not head.text.lower().startswith("march"))
    ):
        # who "demonstrated" is the crowd, whatever the noun ("party militants")
        crowd = replace(agent, name=INTER_TYPES[inter], inter=inter, kind="generic")
        return etype, sub, rule, crowd, target
    if crowd_verb and head.span.start - agent.span.end < 40:
        return None  # "troops marched into the city": a movement, not a protest
    if crowd_verb:  # forces named far before the march are not who marched
        crowd = replace(implied, country_code=agent.country_code)
        if sub == "Excessive force against protesters":
            return etype, sub, rule, agent, crowd
        return etype, sub, rule, crowd, agent if sub == "Protest with intervention" else target
    implied = replace(implied, country_code=agent.country_code)
    if etype == "Riots":
        return etype, sub, rule, implied, agent  # forces facing a riot: rioters act first
    if d.families & _LETHAL or any(
        t.pos in ("verb", "noun") and _LIVE_FIRE.match(t.text) for t in d.triggers
    ):
        victims = target if target is not None and target.inter in (6, 7) else implied
        return (
            "Protests",
            "Excessive force against protesters",
            "protest:armed-violence",
            agent,
            replace(victims, name=INTER_TYPES[6], inter=6, kind="generic"),
        )
    return "Protests", "Protest with intervention", "protest:armed-present", implied, agent


def _actor(
    mention: ActorMention | None, head: _Trigger, gazetteer: GazetteerLike, cc: str | None
) -> Actor | None:
    actor = None if mention is None else to_actor(mention, gazetteer, cc)
    if actor is not None and mention is not None and mention.span == head.span:
        actor = replace(actor, span=None)  # a side the text implies but does not name
    return actor


def _to_incidents(r: _Reader, d: _Draft) -> list[Incident]:
    art, text = r.article, r.article.text
    etype, sub, rule = _classify(text, d, lambda: r.mentions_in(d.sentence))
    head = d.head
    agent, target = d.agent, d.target
    if etype in _CROWD_INTER:
        sides = _crowd_sides(text, d, etype, sub, rule)
        if sides is None:
            return []
        etype, sub, rule, agent, target = sides
    loc_cc = next((m.place.country_code for m, _ in d.places if m.place is not None), None)
    actor1 = _actor(agent, head, r.gazetteer, loc_cc)
    actor2 = _actor(target, head, r.gazetteer, loc_cc)
    if (
        actor1 is not None
        and actor2 is not None
        and actor1.name == actor2.name
        and actor1.inter == actor2.inter
    ):
        actor2 = None  # one side seen twice ("Iran ... Iranian")
    if d.date is not None:
        date, precision = d.date.date, d.date.precision
    elif d.background or art.date is None:
        date, precision = None, None
    else:
        date, precision = art.date, "week"  # no date in the text: the article's, loosely
    notes = list(d.notes)
    if d.date is None and date is not None:
        notes.append("date: the article's date (none stated)")
    common = dict(
        article_id=art.article_id,
        event_type=etype,
        sub_event_type=sub,
        rule=rule,
        trigger=head.span,
        evidence=text[d.sentence.start : d.sentence.end],
        evidence_span=d.sentence,
        actor1=actor1,
        actor2=actor2,
        date=date,
        time_precision=precision if date is not None else None,
        fatalities=d.fatalities,
        injured=d.injured,
        fatalities_claimed_by=d.claimed_by,
        source_title=art.title,
        source_url=art.url,
        notes=tuple(notes),
    )
    if not d.places:
        return [
            Incident(
                incident_id=_incident_id(art.article_id, head.span, "-"),
                confidence=_confidence(d, False, r.model),
                **common,
            )  # type: ignore[arg-type]
        ]
    out = []
    for mention, frame in d.places:
        where = notes
        if frame in ("in", "near", "area_of", "relative", "none", "possessive_np", "object"):
            city = _city_for_province(text, mention, r.gazetteer)
            if city is not None:
                mention = replace(mention, place=city)
                where = [*notes, f"{mention.text!r} read as the city, not the province"]
        place_id = mention.place.place_id if mention.place is not None else "-"
        if frame.startswith("container:"):
            site = frame.split(":", 1)[1]
            where = [*notes, f"site {site!r} is not in the gazetteer; placed at {mention.text!r}"]
        out.append(
            Incident(
                incident_id=_incident_id(art.article_id, head.span, place_id),
                confidence=_confidence(d, True, r.model),
                location=mention,
                geo_precision=_precision(mention, frame),
                **{**common, "notes": tuple(where)},  # type: ignore[arg-type]
            )
        )
    return out


def _merge_key(i: Incident) -> tuple[object, ...]:
    place = (
        i.location.place.place_id
        if i.location is not None and i.location.place is not None
        else None
    )
    return (
        i.event_type,
        i.sub_event_type,
        i.actor1.name if i.actor1 else None,
        i.actor2.name if i.actor2 else None,
        place,
    )


def _dedupe(incidents: list[Incident]) -> list[Incident]:
    """One record per (type, actors, place): the first telling, completed by later ones."""
    kept: dict[tuple[object, ...], Incident] = {}
    for inc in incidents:
        key = _merge_key(inc)
        first = kept.get(key)
        if first is None:
            kept[key] = inc
            continue
        kept[key] = replace(
            first,
            date=first.date or inc.date,
            time_precision=first.time_precision or inc.time_precision,
            fatalities=first.fatalities if first.fatalities is not None else inc.fatalities,
            injured=first.injured if first.injured is not None else inc.injured,
            fatalities_claimed_by=first.fatalities_claimed_by or inc.fatalities_claimed_by,
            confidence=max(first.confidence, inc.confidence),
            notes=(*first.notes, f"also told at {inc.evidence_span.start}-{inc.evidence_span.end}"),
        )
    return list(kept.values())


def find_incidents(
    article: Article,
    places: Sequence[PlaceMention],
    gazetteer: GazetteerLike,
    place_model: EventPlaceModel | None = None,
) -> list[Incident]:
    """The incidents an article reports, one per location, in order of first telling.

    Trigger words ("struck", "the drone strike", "were killed") are found with
    one precompiled pattern; only sentences holding one are analysed further.
    Hypotheticals ("called on militias not to carry out attacks") are dropped,
    retellings ("the Iranian attack", "Iran's strike") complete the event they
    refer to instead of adding one, and casualty reports attach to the event
    they count. Places are chosen by :func:`predict_event_location`; an event
    whose place the text does not give has ``location=None``.

    Parameters
    ----------
    article
        The article; ``article.date`` anchors relative dates ("late Tuesday").
    places
        Place mentions found in ``article`` by the places stage.
    gazetteer
        Anything with ``country(code)`` and ``capital(code)``, for actors' origins.
    place_model
        The event-place model and its confidence calibration; the shipped one
        (``data/model/eventplace.json``) by default.

    Returns
    -------
    list[Incident]
        One record per event and place; ``confidence`` is the calibrated chance
        that the record is right about where the event happened.
    """
    model = default_model() if place_model is None else place_model
    r = _Reader(article, sorted(places, key=lambda m: m.span.start), gazetteer, model)
    text = article.text
    every = _sentences(text)
    # headlines repeat the story; a text that is only a headline is the story
    sentences = [s for s in every if not _is_heading(text, s)] or every
    r.sentence_index = {s.start: i for i, s in enumerate(sentences)}
    r.starts = [m.span.start for m in r.mentions]
    lowered = text.lower()
    if len(lowered) != len(text):
        lowered = None  # a few characters change length when lower-cased ("İ")
    # One scan over the article; sentences without a trigger cost nothing more.
    found = _triggers(text, Span(0, len(text)), lowered)
    starts = [t.span.start for t in found]
    for sent in sentences:
        lo, hi = bisect_left(starts, sent.start), bisect_left(starts, sent.end)
        if lo < hi:
            _read_sentence(r, sent, [t for t in found[lo:hi] if t.span.end <= sent.end])
    incidents = [inc for d in r.drafts for inc in _to_incidents(r, d)]
    return _dedupe(incidents)
