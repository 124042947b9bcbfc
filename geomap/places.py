"""Find the places an article names and resolve each to one gazetteer entry.

Two steps, both cheap enough for hundreds of thousands of words a second:

1. *Recognise*: scan capitalised token runs against the gazetteer's name index
   (longest match first) and keep a candidate when a small logistic model over
   its context (capitalisation, the words around it, "in/near X", "X, Y",
   title and organisation cues, how common the word is in ordinary English)
   says it is a place. The model is trained by ``scripts/train_recogniser.py``
   with document-level cross-validation and ships as ``data/model/recogniser.json``.
2. *Resolve*: score the entries behind each kept name with priors (type,
   population, name kind) and the article's context (countries and regions named
   elsewhere, "X, Y" qualifiers, nearby places, one sense per article).
"""

from __future__ import annotations

import array
import math
import re
from bisect import bisect_left
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache, lru_cache
from itertools import accumulate, compress, repeat
from operator import attrgetter, itemgetter, mul, neg, not_
from pathlib import Path

from geomap._modelfile import read_model
from geomap.gazetteer import (
    HAS_LONGER,
    IS_KEY,
    Gazetteer,
    NameKind,
    NameMatch,
    default_gazetteer,
    normalise,
)
from geomap.model import Article, PlaceMention, PlaceType, Span

__all__ = ["Candidate", "Recogniser", "Resolver", "candidates", "find_places", "resolve"]

# enum members bound to module names: reaching them through the class costs a
# descriptor call each time, and the scans below ask millions of times
_K_NAME, _K_ALT, _K_ABBR, _K_DEMONYM, _K_DOTTED = (
    NameKind.NAME,
    NameKind.ALT,
    NameKind.ABBR,
    NameKind.DEMONYM,
    NameKind.DOTTED,
)
_T_COUNTRY, _T_ADMIN1, _T_CITY = PlaceType.COUNTRY, PlaceType.ADMIN1, PlaceType.CITY

MODEL_DIR = Path(__file__).resolve().parent.parent / "data" / "model"
MODEL_PATH = MODEL_DIR / "recogniser.json"
RESOLVER_PATH = MODEL_DIR / "resolver.json"

# dotted abbreviations (U.S., W.Va.) keep their periods; "Iran's" splits before the s.
# Written for the regex engine's speed: each alternative starts with a character class,
# so a wrong one is dropped at the first character, and possessive quantifiers (which
# match the same here: nothing after them can fail) skip the backtracking bookkeeping.
_LETTER = r"[^\W\d_]"
_ABBR_PART = r"[A-Z][a-z]{0,2}\."
_TOKEN = re.compile(rf"{_ABBR_PART}(?:{_ABBR_PART})+|{_LETTER}++(?:['’](?![sS]\b){_LETTER}++)*+")
_SPLIT = re.compile(f"({_TOKEN.pattern})")
MAX_TOKENS = 7
MAX_SENSES = 15
SETTLED_MARGIN = 2.0  # first-pass score lead above which the coherence pass is skipped
# lower-case words that may sit inside a place name ("Bay of Pigs", "Dar es Salaam")
_CONNECTORS = frozenset(
    [
        "of",
        "the",
        "de",
        "del",
        "la",
        "las",
        "los",
        "le",
        "les",
        "al",
        "el",
        "du",
        "des",
        "da",
        "do",
        "di",
        "upon",
        "on",
        "and",
        "y",
        "e",
        "sur",
        "am",
        "an",
        "der",
        "bin",
        "es",
    ]
)
# the letters caps_line counts, as Latin-1 bytes: A-Z and À-Þ, a-z and ß-ÿ
_UPPER_BYTES = bytes([*range(0x41, 0x5B), *range(0xC0, 0xDF)])
_LOWER_BYTES = bytes([*range(0x61, 0x7B), *range(0xDF, 0x100)])
_SENTENCE_END = frozenset('.!?\n"“”:;')


class Tokens:
    """An article's words as parallel lists (one object per article, not per word)."""

    __slots__ = ("caps", "ends", "keys", "starts", "words")

    def __init__(self, starts: list[int], ends: list[int], words: list[str], keys: list[str]):
        self.starts = starts
        self.ends = ends
        self.words = words
        self.keys = keys
        self.caps = list(map(str.isupper, map(itemgetter(0), words)))

    def __len__(self) -> int:
        return len(self.words)


@dataclass(slots=True)
class Candidate:
    """A name in the text that matches the gazetteer, before the keep/drop decision."""

    start: int  # character offsets, end exclusive (see ``span``)
    end: int
    text: str
    key: str
    matches: list[NameMatch]
    context: dict[str, float] = field(default_factory=dict)
    static: dict[str, float] = field(default_factory=dict)  # shared, never mutate
    static_key: tuple = ()
    score: float = 0.0

    @property
    def span(self) -> Span:
        # built on demand: most candidates are dropped, and a frozen Span costs more to
        # make than the rest of the candidate
        return Span(self.start, self.end)

    @property
    def features(self) -> dict[str, float]:
        """All of the mention's features (for training and inspection)."""
        return {**self.static, **self.context}


def tokenize(text: str) -> Tokens:
    """Words with offsets; possessives and periods stay outside the words.

    >>> tokenize("Iran’s strike on U.S. bases in Erbil.").words
    ['Iran', 's', 'strike', 'on', 'U.S.', 'bases', 'in', 'Erbil']
    """
    # split() with the token pattern as a group gives [gap, word, gap, word, ..., gap];
    # offsets then come from running sums of lengths, all in C loops
    parts = _splitter(text).split(text)
    words = parts[1::2]
    bounds = list(accumulate(map(len, parts)))
    return Tokens(bounds[0:-1:2], bounds[1::2], words, _memo_map(_key, words, _KEYS))


# characters to tokenise with _SPLIT before building _bmp_split() pays (about
# 0.015 s to build, 0.05 µs a character faster): most English text never needs either
_BMP_SPLIT_AFTER = 250_000
_slow_split_chars = 0


def _splitter(text: str) -> re.Pattern[str]:
    global _slow_split_chars
    if _has_astral(text):
        return _SPLIT
    if _slow_split_chars < _BMP_SPLIT_AFTER:
        _slow_split_chars += len(text)
        return _SPLIT
    return _bmp_split()


def _memo_map(fn: Callable[[str], str], words: list[str], cache: dict[str, str]) -> list[str]:
    """``list(map(fn, words))`` through ``cache``: only the words new to it cost a call."""
    if len(cache) > 200_000:  # bound the memo on endless streams
        cache.clear()
    for word in set(words).difference(cache):
        cache[word] = fn(word)
    return list(map(cache.__getitem__, words))


def _has_astral(text: str) -> bool:
    """Whether ``text`` holds a character beyond the BMP (cheaper than a regex search:
    ASCII is known in O(1), and UTF-16 needs four bytes only for those)."""
    return not text.isascii() and len(text.encode("utf-16-le", "surrogatepass")) != 2 * len(text)


_KEYS: dict[str, str] = {}
_NORMALISED: dict[str, str] = {}


@cache
def _bmp_split() -> re.Pattern[str]:
    """``_SPLIT`` for text within the BMP, with the letter class spelled out as ranges.

    The engine tests a spelled-out class with one bitmap lookup per character instead
    of several Unicode category lookups, which makes tokenising twice as fast. The
    ranges are read off the category class itself, so the two match the same letters.
    """
    bmp = array.array("I", range(0x10000)).tobytes().decode("utf-32-le", "surrogatepass")
    letters = "".join(f"{run[0]}-{run[-1]}" for run in re.findall(f"{_LETTER}+", bmp))
    return re.compile(_SPLIT.pattern.replace(_LETTER, f"[{letters}]"))


def _key(word: str) -> str:
    # plain ASCII words (most of them) need none of normalise()'s Unicode work
    return word.lower() if word.isascii() and word.isalpha() else normalise(word)


# A word as the scans below use it: start, end, the text, its key, capitalised or not.
_Word = tuple[int, int, str, str, bool]


class Words:
    """The words of one article that naming places needs, asked for by position.

    Only capitalised words can start a name; the other words matter only next to a
    name (or inside one, "Gulf of Mexico") and as the set of words the article also
    writes in lower case. :func:`words` picks :class:`_CapWords`, which scans for
    the capitalised words alone, or :class:`_AllWords`, which tokenises everything.
    Both give the words :func:`tokenize` gives.
    """

    __slots__ = ("caps", "text")

    def __init__(self, text: str, caps: list[_Word]) -> None:
        self.text = text
        self.caps = caps  # the capitalised words, in order

    def at(self, start: int) -> _Word:
        """The word starting at ``start`` (which must be where one starts)."""
        raise NotImplementedError

    def after(self, end: int) -> _Word | None:
        """The first word after the one ending at ``end``, or None."""
        raise NotImplementedError

    def before(self, start: int) -> _Word | None:
        """The word before the one starting at ``start``, or None."""
        raise NotImplementedError

    def in_lower_case(self, key: str) -> bool:
        """Whether some word of the text that is not capitalised has this key."""
        raise NotImplementedError

    def joined(self, word: _Word) -> _Word | None:
        """The next word when only a space, a hyphen or an abbreviation's period and a
        space part it from ``word`` (the gaps a name may span), else None."""
        text, end = self.text, word[1]
        gap = text[end : end + 1]
        if gap in (" ", "-", "‐"):
            start = end + 1
        # "St. Louis", "Ft. Worth": the period belongs to the abbreviation
        elif gap == "." and text[end + 1 : end + 2] == " " and len(word[2]) <= 3 and word[4]:
            start = end + 2
        else:
            return None
        # a word starts right after such a gap exactly when a letter does
        return self.at(start) if _is_letter(text[start : start + 1]) else None


def _is_letter(ch: str) -> bool:
    """Whether ``ch`` (one character, or empty) is in the tokeniser's letter class
    ``[^\\W\\d_]``: alphanumeric and not a decimal digit."""
    return ch.isalnum() and not ch.isdecimal()


class _AllWords(Words):
    """Every word, from :func:`tokenize` (for text the capitals scan does not cover)."""

    __slots__ = ("_lower", "_starts", "_words")

    def __init__(self, text: str, tokens: Tokens) -> None:
        self._words = list(
            zip(tokens.starts, tokens.ends, tokens.words, tokens.keys, tokens.caps, strict=True)
        )
        self._starts = tokens.starts
        self._lower = set(compress(tokens.keys, map(not_, tokens.caps)))
        super().__init__(text, list(compress(self._words, tokens.caps)))

    def at(self, start: int) -> _Word:
        return self._words[bisect_left(self._starts, start)]

    def after(self, end: int) -> _Word | None:
        i = bisect_left(self._starts, end)
        return self._words[i] if i < len(self._words) else None

    def before(self, start: int) -> _Word | None:
        i = bisect_left(self._starts, start)
        return self._words[i - 1] if i else None

    def in_lower_case(self, key: str) -> bool:
        return key in self._lower


class _CapWords(Words):
    """The capitalised words, found by a scan that skips everything else in C; other
    words are read on demand. Only for text whose letters are all ASCII.

    A word can start only at a letter, and the tokeniser starts afresh after any
    character that no word holds (one not a letter, period or apostrophe): so the word
    after a given one is the next match from its end, and the word before one is the
    last match from the space before it.
    """

    __slots__ = ("_at", "_ends", "_folded", "_lower")

    def __init__(self, text: str) -> None:
        parts = _CAP_SPLIT.split(text)
        words = parts[1::2]
        bounds = list(accumulate(map(len, parts)))
        starts, ends = bounds[0:-1:2], bounds[1::2]
        caps = list(zip(starts, ends, words, _memo_map(_key, words, _KEYS), repeat(True)))
        # the words met so far by where they start; the capitalised ones by where they end
        self._at = dict(zip(starts, caps, strict=True))
        self._ends = dict(zip(ends, caps, strict=True))
        self._lower: dict[str, bool] = {}
        self._folded = ""
        super().__init__(text, caps)

    def _made(self, start: int, word: str) -> _Word:
        """The word ``word`` found at ``start``, kept for the next question about it."""
        key = _KEYS.get(word)
        if key is None:
            key = _KEYS[word] = _key(word)
        found = self._at[start] = (start, start + len(word), word, key, word[0].isupper())
        return found

    def at(self, start: int) -> _Word:
        found = self._at.get(start)
        if found is None:
            # most words run to a space, maybe with punctuation before it; all letters
            # up to there are one word (no period or apostrophe to extend it), else the
            # tokeniser decides
            text = self.text
            space = text.find(" ", start)
            word = text[start : space if space >= 0 else len(text)].rstrip(_TRAILING)
            if not word.isalpha():
                word = _ASCII_TOKEN.match(text, start).group()  # type: ignore[union-attr]
            found = self._made(start, word)
        return found

    def after(self, end: int) -> _Word | None:
        text = self.text
        if text[end : end + 1] == " " and text[end + 1 : end + 2] in _ASCII_LETTERS:
            return self.at(end + 1)
        m = _ASCII_TOKEN.search(text, end)
        if m is None:
            return None
        return self._at.get(m.start()) or self._made(m.start(), m.group())

    def before(self, start: int) -> _Word | None:
        text = self.text
        if text[start - 1 : start] == " ":
            # the usual case: a plain word and a space (the space before it makes a
            # fresh start for the tokeniser, so the letters up to this space are a word)
            begin = text.rfind(" ", 0, start - 1) + 1
            word = text[begin : start - 1]
            if word.isalpha():
                return self._at.get(begin) or self._made(begin, word)
        last = start - 1  # the last letter before the word: the word before holds it
        while last >= 0 and text[last] not in _ASCII_LETTERS:
            last -= 1
        if last < 0:
            return None
        # a capitalised word that holds it ends right after it or after an abbreviation's
        # period; else scan from the space before it to the word that holds it
        found = self._ends.get(last + 1) or (text[last + 1] == "." and self._ends.get(last + 2))
        if not found:
            m = _ASCII_TOKEN.search(text, text.rfind(" ", 0, last) + 1)
            while m.end() <= last:  # type: ignore[union-attr]
                m = _ASCII_TOKEN.search(text, m.end())  # type: ignore[union-attr]
            begin = m.start()  # type: ignore[union-attr]
            found = self._at.get(begin) or self._made(begin, m.group())  # type: ignore[union-attr]
        return found

    def in_lower_case(self, key: str) -> bool:
        found = self._lower.get(key)
        if found is None:
            found = self._lower[key] = self._find_lower(key)
        return found

    def _find_lower(self, key: str) -> bool:
        # an ASCII word's key is the word in lower case (with ’ as '): look for the key
        # in the folded text, then check a word that is not capitalised starts there
        # and ends with it
        if not key or " " in key:
            return False
        if not self._folded:
            text = self.text
            # ASCII lower-casing is a table lookup a character; on other text the
            # characters beyond ASCII (none of them letters here) become "?" first, one
            # for one, so that lower() takes that path too and offsets stay the same
            self._folded = (
                text.lower()
                if text.isascii()
                else text.replace("’", "'").encode("ascii", "replace").lower().decode("ascii")
            )
        folded, text, size = self._folded, self.text, len(key)
        at = folded.find(key)
        while at >= 0:
            # most finds are capitalised or inside a longer word: rule those out first
            if text[at] in _ASCII_LOWER and (at == 0 or text[at - 1] not in _ASCII_LETTERS):
                m = _LOWER_START.match(text, at)
                if m is not None and m.end() == at + size:
                    return True
            at = folded.find(key, at + 1)
        return False


_ASCII_LOWER = frozenset("abcdefghijklmnopqrstuvwxyz")
_ASCII_LETTERS = _ASCII_LOWER | frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZ")
# punctuation that often ends a word before a space; none of it can be inside a word
_TRAILING = ',.;:!?)]"”'
# _TOKEN for text whose letters are all ASCII, led by a character class so that a
# search skips the gaps between words in C; the abbreviation branch applies after a
# capital only, as in _TOKEN
_ASCII_REST = r"[A-Za-z]*+(?:['’](?![sS]\b)[A-Za-z]++)*+"
_ASCII_ABBR_REST = r"[a-z]{0,2}\.(?:[A-Z][a-z]{0,2}\.)+"
_ASCII_TOKEN = re.compile(rf"[A-Za-z](?:(?<=[A-Z]){_ASCII_ABBR_REST}|{_ASCII_REST})")
# a word starts at a letter unless a letter comes right before it, or a letter and an
# apostrophe that joins it on (any but the possessive s); no capital after a period
# needs a test of its own: within an abbreviation the scan has already passed it
_CAP_SPLIT = re.compile(
    r"([A-Z](?<![A-Za-z][A-Z])(?:(?<![A-Za-z]['’][A-Z])|(?<=S)\b)"
    rf"(?:{_ASCII_ABBR_REST}|{_ASCII_REST}))"
)
_LOWER_START = re.compile(
    rf"[a-z](?<![A-Za-z][a-z])(?:(?<![A-Za-z]['’][a-z])|(?<=s)\b){_ASCII_REST}"
)


def words(text: str) -> Words:
    """The article's words for :func:`candidates` and the features."""
    if text.isascii() or not any(map(_is_letter, set(_NON_ASCII.findall(text)))):
        return _CapWords(text)
    return _AllWords(text, tokenize(text))


_NON_ASCII = re.compile(r"[^\x00-\x7f]")


def _shape_ok(kind: NameKind, surface: str) -> bool:
    if kind in (_K_NAME, _K_ALT):
        # "UN", "PA": a short word in capitals is an acronym, not the town Un
        return not (len(surface) <= 3 and surface.isupper())
    if kind is _K_ABBR:
        return surface.replace(".", "").isupper()
    if kind is _K_DOTTED:
        # "Tenn.", "W.Va." but not "L.A." (Los Angeles, not Louisiana's "La.")
        return surface.endswith(".") and any(c.islower() for c in surface)
    return True


def candidates(
    text: str, gazetteer: Gazetteer, tokens: Words | Tokens | None = None
) -> list[Candidate]:
    """Longest gazetteer matches over capitalised token runs, left to right, no overlaps."""
    if tokens is None:
        tokens = words(text)
    elif isinstance(tokens, Tokens):
        tokens = _AllWords(text, tokens)
    memo = gazetteer.status_memo  # a plain dict lookup first: most keys were seen before
    status = gazetteer.status
    shaped = _shaped_matches(gazetteer)
    joined = tokens.joined
    found: list[Candidate] = []
    resume = 0  # where a new name may start
    for first in tokens.caps:  # only capitalised words can start a name
        start = first[0]
        if start < resume:
            continue
        # grow the name word by word while some gazetteer key still starts with it
        key = first[3]
        hits: list[tuple[_Word, str]] = []
        word = first
        size = 1
        while True:
            st = memo(key)
            if st is None:
                st = status(key)
            if st & IS_KEY and word[4]:  # never end a name on a connector
                hits.append((word, key))
            if not st & HAS_LONGER or size >= MAX_TOKENS:
                break
            word = joined(word)
            if word is None or not (word[4] or word[3] in _CONNECTORS):
                break
            size += 1
            key = f"{key} {word[3]}"
        for last, key in reversed(hits):  # longest first
            end = last[1]
            # a dotted abbreviation keeps its period: "Tenn."
            dotted_end = end + (text[end : end + 1] == "." and text[end - 1 : end] != ".")
            matches, with_period = shaped(key, text[start:dotted_end])
            if matches:
                resume = end
                if with_period:
                    end = dotted_end
                found.append(Candidate(start, end, text[start:end], key, matches))
                break
    return found


def _shaped_matches(gazetteer: Gazetteer) -> Callable[[str, str], tuple[list[NameMatch], bool]]:
    """``shaped(key, dotted)``: the records behind ``key`` that the written form ``dotted``
    (the name with a period after it, if any) can stand for, and whether the name keeps
    that period (memoised: the same names come back article after article)."""
    memo: dict[tuple[str, str], tuple[list[NameMatch], bool]] = gazetteer.memo.setdefault(
        "shaped", {}
    )

    def shaped(key: str, dotted: str) -> tuple[list[NameMatch], bool]:
        found = memo.get((key, dotted))
        if found is None:
            matches = gazetteer.matches(key)
            # the shape test depends on the kind alone: ask once per kind, not per record
            ok = {k: _shape_ok(k, dotted) for k in set(map(_KIND, matches))}
            if not all(ok.values()):
                matches = [m for m in matches if ok[m.kind]]
            with_period = ok.get(_K_DOTTED, False)
            if with_period:
                # "Kan." is Kansas's abbreviation, not an alias of some town Kan
                matches = [m for m in matches if m.kind is _K_DOTTED]
            if len(memo) > 100_000:
                memo.clear()
            found = memo[key, dotted] = (matches, with_period)
        return found

    return shaped


# -- features -------------------------------------------------------------------

_TITLES = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "miss",
        "dr",
        "sir",
        "president",
        "gen",
        "general",
        "sen",
        "senator",
        "rep",
        "gov",
        "governor",
        "mayor",
        "minister",
        "prime",
        "premier",
        "king",
        "queen",
        "prince",
        "princess",
        "pope",
        "rev",
        "lt",
        "col",
        "maj",
        "capt",
        "sgt",
        "ayatollah",
        "sheikh",
        "judge",
        "justice",
        "chief",
        "secretary",
        "commander",
        "coach",
        "officer",
        "detective",
        "professor",
        "prof",
    ]
)
_ORG_WORDS = frozenset(
    [
        "force",
        "forces",
        "army",
        "navy",
        "guard",
        "guards",
        "corps",
        "university",
        "college",
        "school",
        "academy",
        "council",
        "party",
        "government",
        "ministry",
        "department",
        "agency",
        "authority",
        "police",
        "bank",
        "company",
        "corp",
        "inc",
        "ltd",
        "group",
        "times",
        "post",
        "news",
        "journal",
        "herald",
        "tribune",
        "gazette",
        "daily",
        "press",
        "club",
        "fc",
        "united",
        "city",
        "airport",
        "airlines",
        "airways",
        "hospital",
        "church",
        "mosque",
        "committee",
        "commission",
        "court",
        "parliament",
        "assembly",
        "senate",
        "house",
        "office",
        "regional",
        "national",
        "international",
        "association",
        "union",
        "foundation",
        "institute",
        "center",
        "centre",
        "league",
        "team",
        "station",
        "channel",
        "radio",
        "tv",
        "network",
        "international's",
        "brigade",
        "brigades",
        "battalion",
        "militia",
        "front",
        "movement",
        "organization",
        "organisation",
        "charter",
        "street",
        "avenue",
        "road",
        "county",
    ]
)
_LOCATIVE = frozenset(
    [
        "in",
        "at",
        "near",
        "from",
        "to",
        "into",
        "across",
        "outside",
        "inside",
        "throughout",
        "toward",
        "towards",
        "via",
        "around",
        "between",
        "within",
        "through",
        "off",
        "northern",
        "southern",
        "eastern",
        "western",
        "central",
        "north",
        "south",
        "east",
        "west",
        "northeast",
        "northwest",
        "southeast",
        "southwest",
    ]
)


_TYPE_ORDER = (
    PlaceType.COUNTRY,
    PlaceType.CONTINENT,
    PlaceType.REGION,
    PlaceType.ADMIN1,
    PlaceType.WATER,
    PlaceType.CITY,
    PlaceType.ADMIN2,
    PlaceType.FACILITY,
)
_COMPASS = frozenset(
    [
        "north",
        "south",
        "east",
        "west",
        "northern",
        "southern",
        "eastern",
        "western",
        "central",
        "northeast",
        "northwest",
        "southeast",
        "southwest",
        "midwest",
        "upper",
        "lower",
        "greater",
    ]
)


_INDEX = attrgetter("index")
_KIND = attrgetter("kind")
# names and values of enum members, looked up once: each .name or .value is a descriptor call
_KIND_NAME = {k: k.name for k in NameKind}
_TYPE_FEATURE = {t: f"type={t.value}" for t in PlaceType}


def _pop_bin(population: int) -> str:
    if population <= 0:
        return "0"
    return str(min(8, int(math.log10(population))))


def _static_features(cand: Candidate, gazetteer: Gazetteer) -> tuple[tuple, dict[str, float]]:
    """Features that depend only on the name and its gazetteer senses (memoised)."""
    matches = cand.matches
    memo_key = (cand.key, len(matches), matches[0].kind)
    memo = gazetteer.memo.setdefault("recognise", {})
    found = memo.get(memo_key)
    if found is not None:
        return memo_key, found
    indexes = list(map(_INDEX, matches))
    kind = _KIND_NAME[min(map(_KIND, matches))]
    f: dict[str, float] = {"bias": 1.0, f"kind={kind}": 1.0}
    types = set(gazetteer.place_types(indexes))
    for t in types:
        f[_TYPE_FEATURE[t]] = 1.0
    pop = _pop_bin(max(gazetteer.populations(indexes)))
    f[f"pop={pop}"] = 1.0
    zbin = min(7, int(matches[0].zipf))
    f[f"zipf={zbin}"] = 1.0
    # crossed cues a linear model cannot form itself
    f[f"kind={kind}|zipf={zbin}"] = 1.0
    top_type = min(types, key=_TYPE_ORDER.index)
    f[f"{_TYPE_FEATURE[top_type]}|pop={pop}"] = 1.0
    if cand.key in _COMPASS:
        f["compass"] = 1.0
    f["ntok"] = min(4, cand.key.count(" ") + 1) / 4
    if len(memo) > 100_000:
        memo.clear()
    memo[memo_key] = f
    return memo_key, f


def _features(
    cand: Candidate, tokens: Words, text: str, gazetteer: Gazetteer, doc: _DocContext
) -> dict[str, float]:
    """Features of the mention in its context (the name's own are in ``cand.static``)."""
    f: dict[str, float] = {}
    if tokens.in_lower_case(cand.key):
        f["lower_elsewhere"] = 1.0
    surface = cand.text
    if surface.isupper() and len(surface) > 1:
        f["allcaps"] = 1.0
        if doc.caps_line(cand.start):
            f["caps_line"] = 1.0
    prev = tokens.before(cand.start)
    nxt = tokens.after(cand.end)
    gap_before = text[prev[1] : cand.start] if prev is not None else "\n"
    if prev is None:
        sentence_start = True
    elif "." in gap_before:
        # "Mr. Jordan" and "J. Smith" go on; "… in Erbil. Jordan …" starts anew
        sentence_start = prev[3] not in _TITLES and len(prev[2]) > 1
    else:
        sentence_start = not _SENTENCE_END.isdisjoint(gap_before)
    if sentence_start:
        f["sent_start"] = 1.0
    else:
        pk = prev[3]  # type: ignore[index]
        if pk in _LOCATIVE:
            f["prev_loc"] = 1.0
        if pk in _TITLES:
            f["prev_title"] = 1.0
        if prev[4] and gap_before in (" ", "-"):  # type: ignore[index]
            f["prev_cap"] = 1.0
            if pk in doc.person_words:
                f["prev_person"] = 1.0
        f[f"prev={pk}"] = 1.0
        if "," in gap_before:
            f["comma_before"] = 1.0
    if nxt is not None:
        gap_after = text[cand.end : nxt[0]]
        nk = nxt[3]
        if gap_after in (" ", "-") and nxt[4]:
            f["next_cap"] = 1.0
            if nk in _ORG_WORDS:
                f["next_org"] = 1.0
            if nk in doc.person_words:
                f["next_person"] = 1.0
        elif gap_after == " ":
            f[f"next={nk}"] = 1.0
        if gap_after.startswith(","):
            f["comma_after"] = 1.0
            if nxt[4]:
                f["comma_cap_after"] = 1.0
    if cand.key in doc.person_keys:
        f["person_elsewhere"] = 1.0
    count = doc.key_counts[cand.key]
    if count > 1:
        f["repeated"] = 1.0
    if f.get("prev_cap") and f.get("next_cap"):
        f["inside_run"] = 1.0
    if cand.matches[0].kind is _K_DEMONYM and nxt is not None and nxt[4]:
        f["demonym_before_cap"] = 1.0
    if cand.key in doc.in_title:
        f["in_title"] = 1.0
    return f


class _DocContext:
    """Article-wide cues: person names seen in the text, repeated keys, all-caps lines."""

    def __init__(self, text: str, tokens: Words, cands: list[Candidate]) -> None:
        self.text = text
        self._caps: dict[int, bool] = {}
        self.key_counts = Counter(c.key for c in cands)
        self.person_words: set[str] = set()
        self.person_keys = self.person_words  # the same words, asked about as name keys
        caps = tokens.caps
        for title in compress(caps, map(_TITLES.__contains__, map(itemgetter(3), caps))):
            # "President Donald Trump", "Mr. Jordan": the capitalised words after a title
            word = title
            for _ in range(3):
                word = tokens.after(word[1])
                if word is None or not word[4]:
                    break
                self.person_words.add(word[3])
        first_line = text.split("\n", 1)[0]
        self.in_title = (
            set(_memo_map(normalise, first_line.split(), _NORMALISED))
            if len(first_line) < 200
            else set()
        )

    def caps_line(self, offset: int) -> bool:
        """Whether the line holding ``offset`` is mostly capitals (a shouted headline)."""
        start = self.text.rfind("\n", 0, offset) + 1
        known = self._caps.get(start)
        if known is None:
            end = self.text.find("\n", offset)
            line = self.text[start : end if end >= 0 else len(self.text)]
            # count in C: characters beyond Latin-1 become "?", which is neither
            latin1 = line.encode("latin-1", "replace")
            upper = len(latin1) - len(latin1.translate(None, _UPPER_BYTES))
            lower = len(latin1) - len(latin1.translate(None, _LOWER_BYTES))
            known = self._caps[start] = upper > 4 * lower
        return known


class Recogniser:
    """The keep/drop model for candidates: logistic weights over sparse features."""

    def __init__(self, weights: dict[str, float], threshold: float = 0.5) -> None:
        self.weights = weights
        self.threshold = threshold
        self._partial: dict[tuple, tuple[dict[str, float], float]] = {}

    @classmethod
    def load(cls, path: str | Path = MODEL_PATH) -> Recogniser:
        data = read_model(path)
        return cls(data["weights"], data.get("threshold", 0.5))

    def probability(self, features: dict[str, float]) -> float:
        z = _dot(self.weights, features)
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def candidate_probability(self, cand: Candidate) -> float:
        """As :meth:`probability` of ``cand.features``, reusing the name's partial sum."""
        cached = self._partial.get(cand.static_key)
        # the identity check keeps a sum from ever outliving the features it summed
        if cached is None or cached[0] is not cand.static:
            if len(self._partial) > 100_000:
                self._partial.clear()
            cached = self._partial[cand.static_key] = (
                cand.static,
                _dot(self.weights, cand.static),
            )
        z = cached[1] + _dot(self.weights, cand.context)
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


def _dot(weights: dict[str, float], features: dict[str, float]) -> float:
    """``sum(weights.get(k, 0.0) * v for k, v in features.items())``, term by term
    in the same order (so to the same bits), in C loops."""
    return sum(map(mul, map(weights.get, features, repeat(0.0)), features.values()))


@lru_cache(maxsize=1)
def default_recogniser() -> Recogniser:
    return Recogniser.load()


# -- resolution -----------------------------------------------------------------

# a rough prior that picks each name's default sense before context is known
_TYPE_PRIOR = {
    PlaceType.COUNTRY: 3.0,
    PlaceType.CONTINENT: 2.5,
    PlaceType.ADMIN1: 1.6,
    PlaceType.REGION: 1.5,
    PlaceType.WATER: 1.2,
    PlaceType.CITY: 0.0,
    PlaceType.ADMIN2: 0.4,
    PlaceType.FACILITY: -0.5,
}


def _priors(gazetteer: Gazetteer, matches: Sequence[NameMatch]) -> list[float]:
    """Each match's prior (its entry's part memoised)."""
    memo = gazetteer.memo.setdefault("prior", {})
    indexes = list(map(_INDEX, matches))
    bases = list(map(memo.get, indexes))
    if None in bases:
        for i in indexes:
            if i not in memo:
                memo[i] = _TYPE_PRIOR[gazetteer.place_type(i)] + 0.45 * math.log10(
                    1 + gazetteer.population(i)
                )
        bases = list(map(memo.__getitem__, indexes))
    return [
        base + 0.6 if m.kind is _K_NAME else base for base, m in zip(bases, matches, strict=True)
    ]


_NONE: frozenset[str] = frozenset()
_LOCAL_TYPES = frozenset({PlaceType.CITY, PlaceType.ADMIN2, PlaceType.FACILITY})


@dataclass(frozen=True, slots=True)
class _NameSummary:
    """What one name (with its senses) says about geography, whatever the article."""

    default: int  # the prior-best sense
    single_country: str | None  # the country, when every sense lies in it
    countries: frozenset[str]  # countries among the senses that are countries
    admin1s: frozenset[str]  # admin-1 regions among the senses that are regions
    sense_admin1s: frozenset[str]  # admin-1 of the first MAX_SENSES senses
    anchor: tuple[float, float, str] | None  # a lone town or site: its point and admin-1


def _summary(cand: Candidate, gazetteer: Gazetteer) -> _NameSummary:
    memo = gazetteer.memo.setdefault("summary", {})
    found = memo.get(cand.static_key)
    if found is not None:
        return found
    matches = cand.matches
    indexes = list(map(_INDEX, matches))
    ccs = gazetteer.country_codes(indexes)
    types = gazetteer.place_types(indexes)
    admin1s = gazetteer.admin1s(indexes)
    distinct_ccs = set(ccs)
    anchor = None
    if len(set(indexes)) == 1 and types[0] in _LOCAL_TYPES:
        anchor = (*gazetteer.latlon(indexes[0]), admin1s[0])
    priors = _priors(gazetteer, matches)
    found = _NameSummary(
        # the first of the best, as max() over the matches picks it
        default=indexes[max(range(len(priors)), key=priors.__getitem__)],
        single_country=(
            next(iter(distinct_ccs)) if len(distinct_ccs) == 1 and "" not in distinct_ccs else None
        ),
        countries=frozenset(cc for cc, t in zip(ccs, types, strict=True) if t is _T_COUNTRY),
        admin1s=frozenset(a1 for a1, t in zip(admin1s, types, strict=True) if t is _T_ADMIN1),
        sense_admin1s=frozenset(filter(None, admin1s[:MAX_SENSES])),
        anchor=anchor,
    )
    if len(memo) > 100_000:
        memo.clear()
    memo[cand.static_key] = found
    return found


class _ResolveContext:
    """What the rest of the article says about where it is."""

    def __init__(self, kept: Sequence[Candidate], gazetteer: Gazetteer) -> None:
        self.countries: Counter[str] = Counter()  # keys whose every sense lies in one country
        # countries and admin-1 regions named as such, with the keys that name them
        self.named_countries: dict[str, set[str]] = defaultdict(set)
        self.named_admin1: dict[str, set[str]] = defaultdict(set)
        # for each admin-1 region, the names that have some sense inside it: several
        # different names agreeing on one region is strong evidence (Alexandria, Pineville)
        self.admin1_keys: dict[str, set[str]] = defaultdict(set)
        # places whose sense is clear pin the article's geography down
        self.anchors: list[tuple[str, tuple[float, float]]] = []
        self.anchor_admin1: Counter[str] = Counter()
        self.default: dict[str, int] = {}  # key -> its prior-best entry
        for cand in kept:
            key = cand.key
            if key in self.default:
                continue
            summary = _summary(cand, gazetteer)
            self.default[key] = summary.default
            if summary.single_country:
                self.countries[summary.single_country] += 1
            for cc in summary.countries:
                self.named_countries[cc].add(key)
            for a1 in summary.admin1s:
                self.named_admin1[a1].add(key)
            for a1 in summary.sense_admin1s:
                self.admin1_keys[a1].add(key)
            if summary.anchor is not None:
                lat, lon, a1 = summary.anchor
                self.anchors.append((key, (lat, lon)))
                self.anchor_admin1[a1] += 1
        self.focus = self.countries.most_common(1)[0][0] if self.countries else None


# feature names built once: f-strings over enum values cost a descriptor call each
_R_TYPE = {t: f"r_type={t.value}" for t in PlaceType}
_R_TYPE_FOCUS = {t: f"r_type={t.value}|focus" for t in PlaceType}
_R_TYPE_OTHER = {t: f"r_type={t.value}|other" for t in PlaceType}
_R_KIND = {k: f"r_kind={k.name}" for k in NameKind}


@dataclass(frozen=True, slots=True)
class _Sense:
    """One entry behind a name, with the features that do not depend on the article."""

    match: NameMatch
    place_type: PlaceType
    country_code: str
    admin1: str
    base: dict[str, float]  # the first features, in the order the model sums them; shared
    point: tuple[float, float, float] | None  # lat, lon, cos(lat) of a town or site


def _entry_features(
    key: str,
    sense: _Sense,
    ctx: _ResolveContext,
    qualifier: tuple[str, str | None] | None,
    single_country: bool,
    anchors: list[tuple[float, float]],
) -> dict[str, float]:
    """The sense's features in this article: its ``base``, then what the context adds."""
    t, cc, a1 = sense.place_type, sense.country_code, sense.admin1
    f = dict(sense.base)
    if cc:
        own = ctx.countries[cc] - (1 if single_country else 0)
        if own > 0:
            f["r_country_evidence"] = min(1.0, own / 3)
        # evidence must come from another name: "Washington" does not vouch for itself
        if t is not _T_COUNTRY and _other_than(ctx.named_countries.get(cc), key):
            f["r_country_named"] = 1.0
        if cc == ctx.focus:
            f["r_focus"] = 1.0
        if cc == "US":
            f["r_us"] = 1.0
    if a1 and t is not _T_ADMIN1 and _other_than(ctx.named_admin1.get(a1), key):
        f["r_admin1_named"] = 1.0
    if a1 and ctx.anchor_admin1[a1]:
        f["r_admin1_shared"] = 1.0
    if a1:
        named = ctx.admin1_keys.get(a1, _NONE)
        votes = len(named) - (key in named)
        if votes:
            f["r_admin1_votes"] = min(1.0, votes / 3)
    f[_R_TYPE_FOCUS[t] if cc and cc == ctx.focus else _R_TYPE_OTHER[t]] = 1.0
    if qualifier is not None:
        q_cc, q_a1 = qualifier
        if cc == q_cc:
            f["r_qualifier_country"] = 1.0
        if q_a1 and a1 == q_a1:
            f["r_qualifier_admin1"] = 1.0
    if sense.point is not None and anchors:
        lat, lon, coslat = sense.point
        # equirectangular distance: ample for 50/200/1000 km bins, and cheap
        nearest = min(
            111.2 * math.hypot(p[0] - lat, ((p[1] - lon + 180) % 360 - 180) * coslat)
            for p in anchors
        )
        if nearest < 50:
            f["r_near50"] = 1.0
        elif nearest < 200:
            f["r_near200"] = 1.0
        elif nearest < 1000:
            f["r_near1000"] = 1.0
    return f


def _other_than(keys: set[str] | None, key: str) -> bool:
    """Whether ``keys`` holds a key besides ``key`` (``keys - {key}``, without the set)."""
    return bool(keys) and (len(keys) > 1 or key not in keys)


class Resolver:
    """Scores each entry behind a name in context; the best score wins.

    Two passes: ``weights`` rank senses from the article's cues; ``coherence``
    weights (optional) re-rank them once every other name has a first choice,
    adding how well each sense fits those choices (same region, nearby).
    """

    def __init__(self, weights: dict[str, float], coherence: dict[str, float] | None = None):
        self.weights = weights
        self.coherence = coherence or {}

    @classmethod
    def load(cls, path: str | Path = RESOLVER_PATH) -> Resolver:
        data = read_model(path)
        return cls(data["weights"], data.get("coherence"))

    def score(self, features: dict[str, float]) -> float:
        return _dot(self.weights, features)

    def score2(self, features: dict[str, float]) -> float:
        return _dot(self.coherence, features)


def coherence_features(
    options: dict[str, list[tuple[NameMatch, dict[str, float]]]],
    first: dict[str, int | None],
    gazetteer: Gazetteer,
) -> dict[str, list[tuple[NameMatch, dict[str, float]]]]:
    """Add to each sense how it fits the other names' first-pass choices."""
    admin1s: Counter[str] = Counter()
    countries: Counter[str] = Counter()
    local: list[tuple[str, float, float]] = []  # other names' chosen towns and sites
    for key, index in first.items():
        if index is None:
            continue
        admin1s[gazetteer.admin1(index)] += 1
        countries[gazetteer.country_code(index)] += 1
        if gazetteer.place_type(index) in _LOCAL_TYPES:
            lat, lon = gazetteer.latlon(index)
            local.append((key, lat, lon))
    chosen = sum(countries.values())
    out = {}
    for key, senses in options.items():
        if len(senses) < 2:
            out[key] = senses
            continue
        own = first.get(key)
        own_a1 = gazetteer.admin1(own) if own is not None else None
        own_cc = gazetteer.country_code(own) if own is not None else None
        n = max(1, chosen - (own is not None))
        points = [(lat, lon) for k, lat, lon in local if k != key]
        rows = []
        for m, f in senses:
            g = dict(f)
            a1 = gazetteer.admin1(m.index)
            cc = gazetteer.country_code(m.index)
            # the others' choices: this name's own first choice does not vouch for itself
            same_a1 = admin1s[a1] - (own_a1 == a1) if a1 else 0
            same_cc = countries[cc] - (own_cc == cc) if cc else 0
            if m.index == own:
                g["c_first_choice"] = 1.0  # lets the second pass keep what the first knew
            if same_a1:
                g["c_same_admin1"] = min(1.0, same_a1 / 3)
            if same_cc * 2 > n:
                g["c_country_majority"] = 1.0
            if points:
                lat, lon = gazetteer.latlon(m.index)
                coslat = math.cos(math.radians(lat))
                nearest = min(
                    111.2 * math.hypot(olat - lat, ((olon - lon + 180) % 360 - 180) * coslat)
                    for olat, olon in points
                )
                if nearest < 50:
                    g["c_near50"] = 1.0
                elif nearest < 200:
                    g["c_near200"] = 1.0
            rows.append((m, g))
        out[key] = rows
    return out


@lru_cache(maxsize=1)
def default_resolver() -> Resolver:
    return Resolver.load()


def entry_features(
    kept: Sequence[Candidate], text: str, gazetteer: Gazetteer
) -> dict[str, list[tuple[NameMatch, dict[str, float]]]]:
    """For each distinct name key, every entry behind it with its context features.

    One sense per article: all mentions of a key share one decision, and any of
    them may carry the "X, Y" qualifier that settles it.
    """
    ctx = _ResolveContext(kept, gazetteer)
    qualifiers: dict[str, tuple[str, str | None] | None] = {}
    first: dict[str, Candidate] = {}
    for pos, cand in enumerate(kept):
        first.setdefault(cand.key, cand)
        if qualifiers.get(cand.key) is None:
            qualifiers[cand.key] = _qualifier(pos, kept, text, gazetteer)
    out = {}
    for key, cand in first.items():
        matches = cand.matches
        if len(matches) == 1:
            out[key] = [(matches[0], {})]  # nothing to choose between
            continue
        single, senses = _senses(cand, gazetteer)
        # places whose sense is clear, other than this name itself
        anchors = [p for k, p in ctx.anchors if k != key]
        out[key] = [
            (s.match, _entry_features(key, s, ctx, qualifiers[key], single, anchors))
            for s in senses
        ]
    return out


def _senses(cand: Candidate, gazetteer: Gazetteer) -> tuple[bool, list[_Sense]]:
    """Whether all the name's senses lie in one country, and the senses worth weighing
    with their article-independent features (memoised)."""
    memo = gazetteer.memo.setdefault("senses", {})
    found = memo.get(cand.static_key)
    if found is None:
        matches = cand.matches
        if len(matches) > MAX_SENSES:
            # hundreds of hamlets share some names; the prior keeps every plausible sense
            # (a stable sort on the negated prior, as sorting the matches themselves was)
            ranks = list(map(neg, _priors(gazetteer, matches)))
            order = sorted(range(len(matches)), key=ranks.__getitem__)
            matches = [matches[i] for i in order[:MAX_SENSES]]
        indexes = list(map(_INDEX, matches))
        types = gazetteer.place_types(indexes)
        admin1s = gazetteer.admin1s(indexes)
        pops = gazetteer.populations(indexes)
        ccs = gazetteer.country_codes(indexes)
        capitals = gazetteer.capital_indexes
        max_pop = max(pops)
        has_name = any(m.kind is _K_NAME for m in matches)
        # admin-1 codes of the region senses: a city inside one is its namesake seat
        seats = frozenset(a1 for a1, t in zip(admin1s, types, strict=True) if t is _T_ADMIN1)
        ambiguity = min(1.0, math.log10(len(cand.matches)) / 2)
        senses = []
        for m, i, t, a1, pop, cc in zip(matches, indexes, types, admin1s, pops, ccs, strict=True):
            base = {
                _R_TYPE[t]: 1.0,
                _R_KIND[m.kind]: 1.0,
                "r_logpop": math.log10(1 + pop) / 7,
                "r_ambiguity": ambiguity,
            }
            if pop == max_pop and pop > 0:
                base["r_most_populous"] = 1.0
            if i in capitals:
                base["r_capital"] = 1.0
            if t is _T_CITY and a1 and a1 in seats:
                base["r_seat"] = 1.0  # New York the city beside New York the state
            if m.kind is not _K_NAME and has_name:
                # Rogers Park is also "Rogersville"; Rogersville is not
                base["r_alias_beside_name"] = 1.0
            point = None
            if t in _LOCAL_TYPES:
                lat, lon = gazetteer.latlon(i)
                point = (lat, lon, math.cos(math.radians(lat)))
            senses.append(_Sense(m, t, cc, a1, base, point))
        found = (len({s.country_code for s in senses}) == 1, senses)
        if len(memo) > 100_000:
            memo.clear()
        memo[cand.static_key] = found
    return found


def resolve(
    kept: Sequence[Candidate], text: str, gazetteer: Gazetteer, resolver: Resolver | None = None
) -> list[int | None]:
    """Choose one entry index for each kept candidate, using the article as context."""
    res = resolver if resolver is not None else default_resolver()
    options = entry_features(kept, text, gazetteer)
    by_key: dict[str, int | None] = {}
    unsettled = {}
    for key, senses in options.items():
        if len(senses) == 1:
            by_key[key] = senses[0][0].index
            continue
        scored = sorted(((res.score(f), n) for n, (_, f) in enumerate(senses)), reverse=True)
        by_key[key] = senses[scored[0][1]][0].index
        # a clear first choice stands; only close calls are worth the second pass
        if scored[0][0] - scored[1][0] < SETTLED_MARGIN:
            unsettled[key] = senses
    if res.coherence and unsettled:
        by_key.update(_best(coherence_features(unsettled, by_key, gazetteer), res.score2))
    for key, index in by_key.items():
        if index is not None and gazetteer.place_type(index) is _T_ADMIN1:
            cand = next(c for c in kept if c.key == key)
            by_key[key] = _seat_city(cand, index, text, gazetteer)
    return [by_key[c.key] for c in kept]


def _best(
    options: dict[str, list[tuple[NameMatch, dict[str, float]]]],
    score: Callable[[dict[str, float]], float],
) -> dict[str, int | None]:
    out: dict[str, int | None] = {}
    for key, senses in options.items():
        if len(senses) == 1:
            out[key] = senses[0][0].index
        else:
            best = max(senses, key=lambda o: score(o[1]), default=None)
            out[key] = best[0].index if best else None
    return out


_ADMIN_WORDS = re.compile(
    r"\s*(?:,\s*(?:a|the)\s+)?(?:province|governorate|state|region|county|oblast|district|prefecture)",
    re.IGNORECASE,
)


def _seat_city(cand: Candidate, admin1: int, text: str, gazetteer: Gazetteer) -> int:
    """Erbil, Baghdad, Tehran: a province named after its dominant seat means the city,
    unless the text says it is the province ("Erbil, a province …", "Tehran province")."""
    if _ADMIN_WORDS.match(text, cand.end):
        return admin1
    code = gazetteer.admin1(admin1)
    cities = [
        m.index
        for m in cand.matches
        if gazetteer.place_type(m.index) is _T_CITY and gazetteer.admin1(m.index) == code
    ]
    city = max(cities, key=gazetteer.population, default=admin1)
    # only a seat that holds much of its province's people stands for it
    if 5 * gazetteer.population(city) >= 2 * gazetteer.population(admin1):
        return city
    return admin1


def _qualifier(
    pos: int, kept: Sequence[Candidate], text: str, gazetteer: Gazetteer
) -> tuple[str, str | None] | None:
    """For "X, Y" (Alexandria, La.; Erbil, Iraq) the country and admin-1 that Y names."""
    if pos + 1 >= len(kept):
        return None
    cand, nxt = kept[pos], kept[pos + 1]
    if text[cand.end : nxt.start] not in (", ", ","):
        return None
    for m in nxt.matches:
        t = gazetteer.place_type(m.index)
        if t is _T_ADMIN1:
            return gazetteer.country_code(m.index), gazetteer.admin1(m.index)
        if t is _T_COUNTRY:
            return gazetteer.country_code(m.index), None
    return None


# -- the stage --------------------------------------------------------------------


def analyse(
    text: str, gazetteer: Gazetteer, recogniser: Recogniser | None = None
) -> tuple[Words, list[Candidate]]:
    """Words and scored candidates (``features`` and ``score`` filled in)."""
    tokens = words(text)
    cands = candidates(text, gazetteer, tokens)
    doc = _DocContext(text, tokens, cands)
    rec = recogniser if recogniser is not None else default_recogniser()
    for cand in cands:
        cand.static_key, cand.static = _static_features(cand, gazetteer)
        cand.context = _features(cand, tokens, text, gazetteer, doc)
    scores = adjust_scores(cands, [rec.candidate_probability(c) for c in cands])
    for cand, score in zip(cands, scores, strict=True):
        cand.score = score
    return tokens, cands


def adjust_scores(cands: Sequence[Candidate], probabilities: Sequence[float]) -> list[float]:
    """Article-level corrections to the model's per-mention probabilities."""
    scores = []
    for cand, p in zip(cands, probabilities, strict=True):
        if "prev_title" in cand.context and "next_cap" in cand.context:
            p *= 0.3  # "Gen. Jordan Hill", "President Obama Smith": a title starts a name
        scores.append(p)
    # one reading per article: a name that is clearly a place in one sentence lends
    # weight to its other mentions ("Decatur city officials", "north of Decatur")
    best: dict[str, float] = {}
    for cand, p in zip(cands, scores, strict=True):
        best[cand.key] = max(best.get(cand.key, 0.0), p)
    return [max(p, (p + best[c.key]) / 2) for c, p in zip(cands, scores, strict=True)]


_VIA = {NameKind.DEMONYM: "demonym", NameKind.ABBR: "abbreviation", NameKind.DOTTED: "abbreviation"}


def find_places(
    article: Article,
    gazetteer: Gazetteer | None = None,
    recogniser: Recogniser | None = None,
    resolver: Resolver | None = None,
) -> list[PlaceMention]:
    """Every place the article names, resolved, in text order.

    >>> from geomap.model import Article
    >>> text = "Iranian missiles hit a base in Erbil, Iraq."
    >>> [m.place.name for m in find_places(Article("a", text))]
    ['Iran', 'Erbil', 'Iraq']
    """
    gaz = gazetteer if gazetteer is not None else default_gazetteer()
    rec = recogniser if recogniser is not None else default_recogniser()
    _, cands = analyse(article.text, gaz, rec)
    kept = [c for c in cands if c.score >= rec.threshold]
    chosen = resolve(kept, article.text, gaz, resolver)
    out = []
    for cand, index in zip(kept, chosen, strict=True):
        kind = next((m.kind for m in cand.matches if m.index == index), _K_NAME)
        via = _VIA.get(kind, "name")
        out.append(
            PlaceMention(
                article_id=article.article_id,
                span=cand.span,
                text=cand.text,
                place=None if index is None else gaz.place(index),
                score=round(cand.score, 4),
                via=via,
            )
        )
    return out
