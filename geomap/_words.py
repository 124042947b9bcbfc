"""Word lexicons written as prose, so long lists stay readable."""

from __future__ import annotations


def wordlist(words: str) -> list[str]:
    """The whitespace-separated words of ``words``, in order."""
    return words.split()


def wordset(words: str) -> frozenset[str]:
    """The set of whitespace-separated words in ``words``."""
    return frozenset(words.split())
