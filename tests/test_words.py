"""Word lexicons and the hint pre-check that spares costly patterns."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from geomap._words import hints, may_hold, wordlist, wordset

_WORDS = ["said", "claim", "no", "in retaliation", ";", "(", "film"]
_PATTERN = re.compile(r"\b(?:said|claim\w*|no|in\s+retaliation|film)\b|;|\(", re.IGNORECASE)


def test_lexicons_read_words_from_prose() -> None:
    assert wordlist("b a  b\n c") == ["b", "a", "b", "c"]
    assert wordset("b a  b\n c") == {"a", "b", "c"}


@given(st.text(alphabet="saidclmno ;(ftrěSAIDCLMNOFRſ", max_size=30))
def test_a_pattern_that_needs_a_hint_matches_only_where_one_is(text: str) -> None:
    pattern = hints(_WORDS)
    if not may_hold(text, pattern):
        assert text.isascii()
        assert not any(w in text.lower() for w in _WORDS)
        assert _PATTERN.search(text) is None


def test_hints_are_bounded_by_start_and_end() -> None:
    pattern = hints(["said"])
    text = "officials SAID on Monday"
    assert may_hold(text, pattern)
    assert not may_hold(text, pattern, 14)
    assert not may_hold(text, pattern, 0, 12)
    assert may_hold("ſaid", pattern)  # not ASCII: IGNORECASE may match it, so no verdict
