"""The capitals-only word scan gives what full tokenising gives, query by query."""

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from geomap import places
from geomap.gazetteer import default_gazetteer
from geomap.places import _AllWords, _CapWords, _is_letter, analyse, tokenize, words

# characters the scan treats specially, and some it must treat as plain gaps
_ALPHABET = "aAsSbZxyU. .-‐,'’\n\t1_—\xa0“”\U0001f600"
_PIECES = [
    "U.S.",
    "St.",
    "Louis",
    "Gulf",
    "of",
    "Mexico",
    "Iran's",
    "Iran’s",
    "IRAN'S",
    "O'Brien",
    "rock'n'roll",
    "Mr.",
    "A.B",
    "xU.S.A.",
    "Ab.Cd.",
    "S.",
    "'S",
    "’s",
    "s'",
    "us",
    "US",
    "new",
    "New",
    "York",
    "erbil",
    "Erbil",
    "de",
    "La.",
    "Tenn.",
    "W.Va.",
    "a",
]
_SEPARATORS = [" ", "", ", ", ". ", "-", "‐", "\n", "'", "’", ".", "  ", " (", ") ", "1"]


def _texts():
    chars = st.text(alphabet=_ALPHABET, max_size=60)
    pieces = st.lists(
        st.tuples(st.sampled_from(_PIECES), st.sampled_from(_SEPARATORS)), max_size=25
    ).map(lambda ps: "".join(w + sep for w, sep in ps))
    return st.one_of(chars, pieces)


def _joined(text, recs, i):
    """The word a name may go on to, as the scan over every token decided it."""
    if i + 1 >= len(recs):
        return None
    (_, end, word, _, cap), nxt = recs[i], recs[i + 1]
    gap = text[end : nxt[0]]
    ok = gap in (" ", "-", "‐") or (gap == ". " and len(word) <= 3 and cap)
    return nxt if ok else None


def _assert_same(text):
    tokens = tokenize(text)
    full, scan = _AllWords(text, tokens), _CapWords(text)
    assert scan.caps == full.caps
    recs = list(
        zip(tokens.starts, tokens.ends, tokens.words, tokens.keys, tokens.caps, strict=True)
    )
    for i, rec in enumerate(recs):
        start, end = rec[0], rec[1]
        assert scan.at(start) == full.at(start) == rec
        assert scan.before(start) == full.before(start)
        assert scan.after(end) == full.after(end)
        if text[end : end + 1] == ".":  # a name that keeps its period ends after it
            assert scan.after(end + 1) == full.after(end + 1)
        assert scan.joined(rec) == full.joined(rec) == _joined(text, recs, i)
    pairs = zip(tokens.keys, tokens.keys[1:], strict=False)
    keys = set(tokens.keys) | {f"{a} {b}" for a, b in pairs}
    for key in [*sorted(keys), "s", "'", "us", "a b", ""]:
        assert scan.in_lower_case(key) == full.in_lower_case(key), key


@settings(max_examples=600, deadline=None)
@given(_texts())
def test_the_capitals_scan_answers_as_full_tokenising(text):
    _assert_same(text)


@pytest.mark.parametrize(
    "text",
    [
        "Iran’s strike on U.S. bases in Erbil.",
        "xU.S.A. and U.S.Army, S.A. St. Louis",
        "the 'Sun and O'Sullivan's; rock'n'Roll met IRAN'S'S",
        "us, US and U.S. told us",
        "O'Brien met o’brien, O’Neil met o'neil",  # keys with an apostrophe
        "Iphone and iPhone, Ebay and eBay",  # a lower-case word holding a capital
        "",
        "a",
        "A",
    ],
)
def test_the_capitals_scan_on_known_cases(text):
    _assert_same(text)


def test_text_with_letters_beyond_ascii_is_tokenised_in_full():
    assert isinstance(words("Talks in Erbil — “today” ’s\xa0"), _CapWords)
    assert isinstance(words("Talks in Hewlêr"), _AllWords)
    assert isinstance(words("Twice² more"), _AllWords)  # "²" is a letter to the tokeniser
    assert isinstance(words("Talks in \U0001d400rbil"), _AllWords)


@given(st.characters())
def test_the_letter_test_is_the_tokenisers_class(ch):
    assert _is_letter(ch) == bool(places._bmp_split().fullmatch(ch) or places._SPLIT.fullmatch(ch))


@settings(max_examples=200, deadline=None)
@given(_texts())
def test_candidates_and_features_do_not_depend_on_the_scan(text):
    gaz = default_gazetteer()
    _, scanned = analyse(text, gaz)
    original = places.words
    try:
        places.words = lambda t: _AllWords(t, tokenize(t))
        _, full = analyse(text, gaz)
    finally:
        places.words = original
    assert [(c.start, c.end, c.key, c.features, c.score) for c in scanned] == [
        (c.start, c.end, c.key, c.features, c.score) for c in full
    ]
