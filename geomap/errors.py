"""One error root for geomap.

Every error a user can cause derives from :class:`GeomapError` and also from the
built-in exception it resembles, so callers may catch either. Messages say what
was wrong, what was expected, and one way to fix it.
"""

from __future__ import annotations

__all__ = [
    "ArticleError",
    "ArticleNotFound",
    "EmptyArticle",
    "GazetteerError",
    "GeomapError",
    "InputFormatError",
    "ModelError",
    "OutputExistsError",
    "StoreError",
]


class GeomapError(Exception):
    """Root of every error geomap raises on purpose."""


class ArticleError(GeomapError, ValueError):
    """An article could not be read or has unusable content."""


class ArticleNotFound(ArticleError, FileNotFoundError):
    """An article path does not exist or is not a file."""


class EmptyArticle(ArticleError):
    """An article has no text after extraction."""


class InputFormatError(ArticleError):
    """Input bytes are not what the format promises (binary, bad UTF-8, bad JSON)."""


class GazetteerError(GeomapError, OSError):
    """The bundled gazetteer is missing or damaged."""


class OutputExistsError(GeomapError, FileExistsError):
    """An output file exists and --overwrite was not given."""


class StoreError(GeomapError, RuntimeError):
    """The incident store cannot be opened, migrated or written."""


class ModelError(GeomapError, OSError):
    """A bundled model file is missing or damaged."""
