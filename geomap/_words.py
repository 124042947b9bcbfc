"""Word lexicons written as prose, so long lists stay readable, and word hints
that spare a costly pattern the scan of text that cannot match it."""

from __future__ import annotations

import re
from collections.abc import Iterable


def wordlist(words: str) -> list[str]:
    """The whitespace-separated words of ``words``, in order."""
    return words.split()


def wordset(words: str) -> frozenset[str]:
    """The set of whitespace-separated words in ``words``."""
    return frozenset(words.split())


def hints(words: Iterable[str]) -> re.Pattern[str]:
    """A search for any of ``words`` (lower-case) as plain substrings, for :func:`may_hold`."""
    return re.compile("|".join(map(re.escape, words)))


def may_hold(text: str, hint: re.Pattern[str], start: int = 0, end: int | None = None) -> bool:
    """False when ``text[start:end]`` holds none of the hint words, so a case-insensitive
    pattern that needs one of them cannot match there; one search costs a fraction of
    the pattern's scan. Only plain ASCII is tested: on other text IGNORECASE folds
    more than lower-casing does ("ſ" matches "s")."""
    piece = text[start:end]
    return not piece.isascii() or hint.search(piece.lower()) is not None
