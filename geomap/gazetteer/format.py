"""The on-disk layout of the built gazetteer, shared by the build script and the loader.

A build is two gzip files in ``data/gazetteer/``:

``names.marisa.gz``
    a marisa-trie ``RecordTrie`` from a normalised name key to records
    ``(entry index, NameKind, English zipf frequency x 10)``;
``entries.bin.gz``
    ``MAGIC``, a 4-byte little-endian header length, a JSON header, then the
    column blobs the header describes (strings joined by newlines, numbers as
    ``array`` bytes), so loading is a few bulk reads, not a parse per row.
"""

from __future__ import annotations

import re
import unicodedata
from enum import IntEnum

from geomap.model import PlaceType

MAGIC = b"GEOMAPGZ1"
RECORD_FORMAT = "<IBB"
NAMES_FILE = "names.marisa.gz"
ENTRIES_FILE = "entries.bin.gz"

# entry type codes stored as one byte per entry
TYPE_CODES: tuple[PlaceType, ...] = (
    PlaceType.CONTINENT,
    PlaceType.COUNTRY,
    PlaceType.REGION,
    PlaceType.ADMIN1,
    PlaceType.ADMIN2,
    PlaceType.CITY,
    PlaceType.FACILITY,
    PlaceType.WATER,
)


class NameKind(IntEnum):
    """How a name key refers to its entry; the recogniser treats each differently."""

    NAME = 0  # the entry's own name
    ALT = 1  # an alternate name or spelling
    ABBR = 2  # an abbreviation that counts only in capitals: US, U.S., UAE
    DEMONYM = 3  # an adjective or demonym: Iranian -> Iran
    DOTTED = 4  # an abbreviation that counts only with its period: Tenn., Calif.


_FOLD = str.maketrans({"’": "'", "‘": "'", "`": "'", "-": " ", "‐": " ", "–": " ", "—": " "})
_DROP = re.compile(r"[.\u0300-\u036f]")
_SPACES = re.compile(r"\s+")


def normalise(name: str) -> str:
    """Return the lookup key of a name: case-folded, accents and periods dropped.

    >>> normalise("Hewlêr")
    'hewler'
    >>> normalise("U.S.")
    'us'
    >>> normalise("Abdul-Mahdi’s")
    "abdul mahdi's"
    """
    folded = unicodedata.normalize("NFKD", name.translate(_FOLD))
    return _SPACES.sub(" ", _DROP.sub("", folded)).strip().casefold()
