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

import json
import math
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from geomap.gazetteer import Gazetteer, NameKind, NameMatch, default_gazetteer, normalise
from geomap.model import Article, PlaceMention, PlaceType, Span

__all__ = ["Candidate", "Recogniser", "Resolver", "candidates", "find_places", "resolve"]

MODEL_DIR = Path(__file__).resolve().parent.parent / "data" / "model"
MODEL_PATH = MODEL_DIR / "recogniser.json"
RESOLVER_PATH = MODEL_DIR / "resolver.json"

_TOKEN = re.compile(r"(?:[A-Z][a-z]{0,2}\.){2,}|[^\W\d_]+(?:['’][^\W\d_]+)*\.?")
_POSSESSIVE = ("'s", "’s", "'", "’")
MAX_TOKENS = 7
# lower-case words that may sit inside a place name ("Bay of Pigs", "Dar es Salaam")
_CONNECTORS = frozenset(
    "of the de del la las los le les al el du des da do di upon on and y e sur am an der bin"
    " es".split()
)
_SENTENCE_END = frozenset(".!?\n\"“”:;")
# dotted abbreviations a sentence may end on without ending the name before them
_ABBREV_DOT = re.compile(r"^(?:[A-Z][a-z]{0,3}|[A-Z])\.$")


@dataclass(frozen=True, slots=True)
class Token:
    start: int
    end: int
    text: str
    key: str

    @property
    def capitalised(self) -> bool:
        return self.text[:1].isupper()


@dataclass(slots=True)
class Candidate:
    """A name in the text that matches the gazetteer, before the keep/drop decision."""

    first: int  # token indexes, inclusive
    last: int
    span: Span
    text: str
    key: str
    matches: list[NameMatch]
    features: dict[str, float] = field(default_factory=dict)
    score: float = 0.0


def tokenize(text: str) -> list[Token]:
    """Word tokens with offsets; possessives and sentence periods are cut off.

    >>> [t.text for t in tokenize("Iran’s strike on U.S. bases in Erbil.")]
    ['Iran', 'strike', 'on', 'U.S.', 'bases', 'in', 'Erbil']
    """
    tokens = []
    for m in _TOKEN.finditer(text):
        word, start, end = m.group(), m.start(), m.end()
        if word.endswith(".") and not _ABBREV_DOT.match(word) and "." not in word[:-1]:
            word, end = word[:-1], end - 1
        for suffix in _POSSESSIVE:
            if word.endswith(suffix) and len(word) > len(suffix) + 1:
                word, end = word[: -len(suffix)], end - len(suffix)
                break
        tokens.append(Token(start, end, word, normalise(word)))
    return tokens


def _joinable(text: str, left: Token, right: Token) -> bool:
    gap = text[left.end : right.start]
    if gap in (" ", "-", "‐"):
        return True
    # "St. Louis", "Ft. Worth": the period belongs to the abbreviation
    return gap == ". " and len(left.text) <= 3 and left.capitalised


def _shape_ok(kind: NameKind, surface: str) -> bool:
    if kind is NameKind.ABBR:
        return surface.replace(".", "").isupper()
    if kind is NameKind.DOTTED:
        # "Tenn.", "W.Va." but not "L.A." (Los Angeles, not Louisiana's "La.")
        return surface.endswith(".") and any(c.islower() for c in surface)
    return True


def candidates(text: str, gazetteer: Gazetteer, tokens: list[Token] | None = None) -> list[Candidate]:
    """Longest gazetteer matches over capitalised token runs, left to right, no overlaps."""
    tokens = tokenize(text) if tokens is None else tokens
    found: list[Candidate] = []
    n = len(tokens)
    i = 0
    while i < n:
        tok = tokens[i]
        if not tok.capitalised:
            i += 1
            continue
        # the run of tokens a name starting here may span
        keys = [tok.key]
        ends = [i]
        j = i
        while j + 1 < n and len(keys) < MAX_TOKENS and _joinable(text, tokens[j], tokens[j + 1]):
            nxt = tokens[j + 1]
            if not (nxt.capitalised or nxt.key in _CONNECTORS):
                break
            keys.append(nxt.key)
            ends.append(j + 1)
            j += 1
        joined = " ".join(keys)
        best: Candidate | None = None
        for key in sorted(gazetteer.prefixes(joined), key=len, reverse=True):
            if len(key) < len(joined) and joined[len(key)] != " ":
                continue  # a prefix that stops inside a word
            last = ends[key.count(" ")]
            if not tokens[last].capitalised:
                continue  # never end a name on a connector
            surface = text[tok.start : tokens[last].end]
            # a dotted abbreviation keeps its period: "Tenn."
            if text[tokens[last].end : tokens[last].end + 1] == "." and not surface.endswith("."):
                dotted = surface + "."
            else:
                dotted = surface
            matches = [
                m for m in gazetteer.matches(key) if _shape_ok(m.kind, dotted)
            ]
            if matches:
                end = tokens[last].end + (len(dotted) - len(surface))
                best = Candidate(i, last, Span(tok.start, end), text[tok.start : end], key, matches)
                break
        if best is not None:
            found.append(best)
            i = best.last + 1
        else:
            i += 1
    return found


# -- features -------------------------------------------------------------------

_TITLES = frozenset(
    "mr mrs ms miss dr sir president gen general sen senator rep gov governor mayor minister"
    " prime premier king queen prince princess pope rev lt col maj capt sgt ayatollah sheikh"
    " judge justice chief secretary commander coach officer detective professor prof st"
    .split()
)
_ORG_WORDS = frozenset(
    "force forces army navy guard guards corps university college school academy council"
    " party government ministry department agency authority police bank company corp inc ltd"
    " group times post news journal herald tribune gazette daily press club fc united city"
    " airport airlines airways hospital church mosque committee commission court parliament"
    " assembly senate house office regional national international association union"
    " foundation institute center centre league team station channel radio tv network"
    " international's brigade brigades battalion militia front movement organization"
    " organisation charter street avenue road county".split()
)
_LOCATIVE = frozenset(
    "in at near from to into across outside inside throughout toward towards via around"
    " between within through off northern southern eastern western central north south east"
    " west northeast northwest southeast southwest".split()
)


def _pop_bin(population: int) -> str:
    if population <= 0:
        return "0"
    return str(min(8, int(math.log10(population))))


def _features(
    cand: Candidate, tokens: list[Token], text: str, gazetteer: Gazetteer, doc: _DocContext
) -> dict[str, float]:
    f: dict[str, float] = {"bias": 1.0}
    first, last = tokens[cand.first], tokens[cand.last]
    kinds = {m.kind for m in cand.matches}
    best_kind = min(kinds)
    f[f"kind={best_kind.name}"] = 1.0
    types = {gazetteer.place_type(m.index) for m in cand.matches}
    for t in types:
        f[f"type={t.value}"] = 1.0
    top_pop = max(gazetteer.population(m.index) for m in cand.matches)
    f[f"pop={_pop_bin(top_pop)}"] = 1.0
    zipf = cand.matches[0].zipf
    f[f"zipf={min(7, int(zipf))}"] = 1.0
    f["ntok"] = min(4, cand.last - cand.first + 1) / 4
    surface = cand.text
    if surface.isupper() and len(surface) > 1:
        f["allcaps"] = 1.0
        if doc.caps_line(first.start):
            f["caps_line"] = 1.0
    prev = tokens[cand.first - 1] if cand.first > 0 else None
    nxt = tokens[cand.last + 1] if cand.last + 1 < len(tokens) else None
    gap_before = text[prev.end : first.start] if prev else "\n"
    sentence_start = (
        prev is None
        or any(c in _SENTENCE_END for c in gap_before)
        or (prev.text.endswith(".") and prev.key not in _TITLES)
    )
    if sentence_start:
        f["sent_start"] = 1.0
    elif prev is not None:
        pk = prev.key
        if pk in _LOCATIVE:
            f["prev_loc"] = 1.0
        if pk in _TITLES:
            f["prev_title"] = 1.0
        if prev.capitalised and gap_before in (" ", "-"):
            f["prev_cap"] = 1.0
            if prev.key in doc.person_words:
                f["prev_person"] = 1.0
        f[f"prev={pk}"] = 1.0
        if "," in gap_before:
            f["comma_before"] = 1.0
    gap_after = text[cand.span.end : nxt.start] if nxt else "\n"
    if nxt is not None:
        nk = nxt.key
        if gap_after in (" ", "-") and nxt.capitalised:
            f["next_cap"] = 1.0
            if nk in _ORG_WORDS:
                f["next_org"] = 1.0
            if nk in doc.person_words:
                f["next_person"] = 1.0
        elif gap_after == " ":
            f[f"next={nk}"] = 1.0
        if gap_after.startswith(","):
            f["comma_after"] = 1.0
            if nxt.capitalised:
                f["comma_cap_after"] = 1.0
    if cand.key in doc.person_keys:
        f["person_elsewhere"] = 1.0
    count = doc.key_counts[cand.key]
    if count > 1:
        f["repeated"] = 1.0
    if best_kind is NameKind.DEMONYM and nxt is not None and nxt.capitalised:
        f["demonym_before_cap"] = 1.0
    if cand.key in doc.in_title:
        f["in_title"] = 1.0
    return f


class _DocContext:
    """Article-wide cues: person names seen in the text, repeated keys, all-caps lines."""

    def __init__(self, text: str, tokens: list[Token], cands: list[Candidate]) -> None:
        self.text = text
        self.key_counts = Counter(c.key for c in cands)
        self.person_words: set[str] = set()
        self.person_keys: set[str] = set()
        for i, tok in enumerate(tokens[:-1]):
            # "President Donald Trump", "Mr. Jordan": the capitalised words after a title
            if tok.key in _TITLES and tok.capitalised:
                j = i + 1
                while j < len(tokens) and tokens[j].capitalised and j - i <= 3:
                    self.person_words.add(tokens[j].key)
                    self.person_keys.add(tokens[j].key)
                    j += 1
        first_line = text.split("\n", 1)[0]
        self.in_title = {normalise(w) for w in first_line.split()} if len(first_line) < 200 else set()

    def caps_line(self, offset: int) -> bool:
        start = self.text.rfind("\n", 0, offset) + 1
        end = self.text.find("\n", offset)
        line = self.text[start : end if end >= 0 else len(self.text)]
        letters = [c for c in line if c.isalpha()]
        return bool(letters) and sum(c.isupper() for c in letters) / len(letters) > 0.8


class Recogniser:
    """The keep/drop model for candidates: logistic weights over sparse features."""

    def __init__(self, weights: dict[str, float], threshold: float = 0.5) -> None:
        self.weights = weights
        self.threshold = threshold

    @classmethod
    def load(cls, path: str | Path = MODEL_PATH) -> Recogniser:
        data = json.loads(Path(path).read_text())
        return cls(data["weights"], data.get("threshold", 0.5))

    def probability(self, features: dict[str, float]) -> float:
        w = self.weights
        z = sum(w.get(k, 0.0) * v for k, v in features.items())
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))


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


def _haversine_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    lat1, lon1 = map(math.radians, a)
    lat2, lon2 = map(math.radians, b)
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * 6371.0088 * math.asin(min(1.0, math.sqrt(h)))


def _prior(gazetteer: Gazetteer, m: NameMatch) -> float:
    score = _TYPE_PRIOR[gazetteer.place_type(m.index)]
    score += 0.45 * math.log10(1 + gazetteer.population(m.index))
    if m.kind is NameKind.NAME:
        score += 0.6
    return score


class _ResolveContext:
    """What the rest of the article says about where it is."""

    def __init__(self, kept: Sequence[Candidate], gazetteer: Gazetteer) -> None:
        self.countries: Counter[str] = Counter()  # keys whose every sense lies in one country
        self.named_countries: set[str] = set()  # countries named as such
        self.named_admin1: set[str] = set()
        self.default: dict[str, int] = {}  # key -> its prior-best entry
        for cand in kept:
            if cand.key in self.default:
                continue
            best = max(cand.matches, key=lambda m: _prior(gazetteer, m))
            self.default[cand.key] = best.index
            ccs = {gazetteer.country_code(m.index) for m in cand.matches}
            if len(ccs) == 1 and "" not in ccs:
                self.countries[next(iter(ccs))] += 1
            for m in cand.matches:
                t = gazetteer.place_type(m.index)
                if t is PlaceType.COUNTRY:
                    self.named_countries.add(gazetteer.country_code(m.index))
                elif t is PlaceType.ADMIN1:
                    self.named_admin1.add(gazetteer.admin1(m.index))
        self.focus = self.countries.most_common(1)[0][0] if self.countries else None
        self.anchors = [(key, gazetteer.latlon(i)) for key, i in self.default.items()]


def _entry_features(
    cand: Candidate,
    m: NameMatch,
    gazetteer: Gazetteer,
    ctx: _ResolveContext,
    qualifier: tuple[str, str | None] | None,
    max_pop: int,
) -> dict[str, float]:
    i = m.index
    t = gazetteer.place_type(i)
    cc = gazetteer.country_code(i)
    a1 = gazetteer.admin1(i)
    pop = gazetteer.population(i)
    f = {
        f"r_type={t.value}": 1.0,
        f"r_kind={m.kind.name}": 1.0,
        "r_logpop": math.log10(1 + pop) / 7,
        "r_ambiguity": min(1.0, math.log10(len(cand.matches)) / 2),
    }
    if pop == max_pop and pop > 0:
        f["r_most_populous"] = 1.0
    if cc:
        own = ctx.countries[cc] - (1 if len({gazetteer.country_code(x.index) for x in cand.matches}) == 1 else 0)
        if own > 0:
            f["r_country_evidence"] = min(1.0, own / 3)
        if cc in ctx.named_countries and t is not PlaceType.COUNTRY:
            f["r_country_named"] = 1.0
        if cc == ctx.focus:
            f["r_focus"] = 1.0
        if cc == "US":
            f["r_us"] = 1.0
    if a1 and a1 in ctx.named_admin1 and t is not PlaceType.ADMIN1:
        f["r_admin1_named"] = 1.0
    if qualifier is not None:
        q_cc, q_a1 = qualifier
        if cc == q_cc:
            f["r_qualifier_country"] = 1.0
        if q_a1 and a1 == q_a1:
            f["r_qualifier_admin1"] = 1.0
    if t in (PlaceType.CITY, PlaceType.ADMIN2, PlaceType.FACILITY):
        here = gazetteer.latlon(i)
        nearest = min(
            (_haversine_km(here, p) for key, p in ctx.anchors if key != cand.key),
            default=math.inf,
        )
        if nearest < 50:
            f["r_near50"] = 1.0
        elif nearest < 200:
            f["r_near200"] = 1.0
        elif nearest < 1000:
            f["r_near1000"] = 1.0
    return f


class Resolver:
    """Scores each entry behind a name in context; the best score wins."""

    def __init__(self, weights: dict[str, float]) -> None:
        self.weights = weights

    @classmethod
    def load(cls, path: str | Path = RESOLVER_PATH) -> Resolver:
        return cls(json.loads(Path(path).read_text())["weights"])

    def score(self, features: dict[str, float]) -> float:
        w = self.weights
        return sum(w.get(k, 0.0) * v for k, v in features.items())


@lru_cache(maxsize=1)
def default_resolver() -> Resolver:
    return Resolver.load()


def entry_features(
    kept: Sequence[Candidate], text: str, gazetteer: Gazetteer
) -> list[list[tuple[NameMatch, dict[str, float]]]]:
    """For each candidate, every entry behind it with its context features."""
    ctx = _ResolveContext(kept, gazetteer)
    out = []
    for pos, cand in enumerate(kept):
        qualifier = _qualifier(pos, kept, text, gazetteer)
        max_pop = max(gazetteer.population(m.index) for m in cand.matches)
        out.append([
            (m, _entry_features(cand, m, gazetteer, ctx, qualifier, max_pop)) for m in cand.matches
        ])
    return out


def resolve(
    kept: Sequence[Candidate], text: str, gazetteer: Gazetteer, resolver: Resolver | None = None
) -> list[int | None]:
    """Choose one entry index for each kept candidate, using the article as context."""
    res = resolver if resolver is not None else default_resolver()
    choice: list[int | None] = []
    by_key: dict[str, int | None] = {}
    for cand, options in zip(kept, entry_features(kept, text, gazetteer), strict=True):
        if cand.key not in by_key:  # one sense per article
            best = max(options, key=lambda o: res.score(o[1]), default=None)
            by_key[cand.key] = best[0].index if best else None
        choice.append(by_key[cand.key])
    return choice


def _qualifier(
    pos: int, kept: Sequence[Candidate], text: str, gazetteer: Gazetteer
) -> tuple[str, str | None] | None:
    """For "X, Y" (Alexandria, La.; Erbil, Iraq) the country and admin-1 that Y names."""
    if pos + 1 >= len(kept):
        return None
    cand, nxt = kept[pos], kept[pos + 1]
    if text[cand.span.end : nxt.span.start] not in (", ", ","):
        return None
    for m in nxt.matches:
        t = gazetteer.place_type(m.index)
        if t is PlaceType.ADMIN1:
            return gazetteer.country_code(m.index), gazetteer.admin1(m.index)
        if t is PlaceType.COUNTRY:
            return gazetteer.country_code(m.index), None
    return None


# -- the stage --------------------------------------------------------------------


def analyse(
    text: str, gazetteer: Gazetteer, recogniser: Recogniser | None = None
) -> tuple[list[Token], list[Candidate]]:
    """Tokens and scored candidates (``features`` and ``score`` filled in)."""
    tokens = tokenize(text)
    cands = candidates(text, gazetteer, tokens)
    doc = _DocContext(text, tokens, cands)
    rec = recogniser if recogniser is not None else default_recogniser()
    for cand in cands:
        cand.features = _features(cand, tokens, text, gazetteer, doc)
        cand.score = rec.probability(cand.features)
    return tokens, cands


def find_places(
    article: Article,
    gazetteer: Gazetteer | None = None,
    recogniser: Recogniser | None = None,
    resolver: Resolver | None = None,
) -> list[PlaceMention]:
    """Every place the article names, resolved, in text order.

    >>> from geomap.model import Article
    >>> [m.place.name for m in find_places(Article("a", "Iranian missiles hit a base in Erbil, Iraq."))]
    ['Iran', 'Erbil', 'Iraq']
    """
    gaz = gazetteer if gazetteer is not None else default_gazetteer()
    rec = recogniser if recogniser is not None else default_recogniser()
    tokens, cands = analyse(article.text, gaz, rec)
    kept = [c for c in cands if c.score >= rec.threshold]
    chosen = resolve(kept, article.text, gaz, resolver)
    out = []
    for cand, index in zip(kept, chosen, strict=True):
        via = {NameKind.DEMONYM: "demonym", NameKind.ABBR: "abbreviation",
               NameKind.DOTTED: "abbreviation"}.get(min(m.kind for m in cand.matches), "name")
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
