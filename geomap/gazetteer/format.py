"""The on-disk layout of the built gazetteer, shared by the build script and the loader.

A build is two gzip files in ``data/gazetteer/``:

``names.marisa.gz``
    a marisa-trie ``RecordTrie`` from a normalised name key to records
    ``(entry index, NameKind, English zipf frequency x 10)``;
``entries.bin.gz``
    ``MAGIC``, a 4-byte little-endian header length, a JSON header, then the
    column blobs the header describes (strings joined by newlines, numbers as
    ``array`` bytes), so loading is a few bulk reads, not a parse per row;
``prefixes.bin.gz``
    ``PREFIX_MAGIC``, an 8-byte little-endian length, a marisa-trie ``Trie`` of
    every key and every multi-word key's leading words ("new", "new york" for "new
    york city"), then the :data:`IS_KEY` and :data:`HAS_LONGER` bits of each trie
    id, four ids a byte: what the name scan asks of each word run, in one lookup,
    where the record trie needs two searches (:func:`prefix_index`). Gzipped like
    the others, although a trie barely compresses (2.2 MB to 1.9 MB): inflating it
    costs about as many instructions at start-up as its one-lookup status saves on
    a corpus the size of LGL.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from enum import IntEnum

import marisa_trie

from geomap.model import PlaceType

MAGIC = b"GEOMAPGZ1"
PREFIX_MAGIC = b"GEOMAPPX1"
RECORD_FORMAT = "<IBB"
NAMES_FILE = "names.marisa.gz"
ENTRIES_FILE = "entries.bin.gz"
PREFIXES_FILE = "prefixes.bin.gz"

# a key's status bits: it names something; a longer key starts with it and a space
IS_KEY = 1
HAS_LONGER = 2

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


def prefix_index(keys: Iterable[str]) -> bytes:
    """The ``prefixes.bin.gz`` content (before gzip) for a build's name keys."""
    status: dict[str, int] = {}
    for key in keys:
        status[key] = status.get(key, 0) | IS_KEY
        space = key.find(" ")
        while space >= 0:
            status[key[:space]] = status.get(key[:space], 0) | HAS_LONGER
            space = key.find(" ", space + 1)
    trie = marisa_trie.Trie(status)
    bits = bytearray((len(trie) + 3) // 4)
    for key, i in trie.iteritems():
        bits[i >> 2] |= status[key] << 2 * (i & 3)
    blob = trie.tobytes()
    return PREFIX_MAGIC + len(blob).to_bytes(8, "little") + blob + bytes(bits)


def read_prefix_index(data: bytes) -> tuple[marisa_trie.Trie, bytes]:
    """The trie and packed status bits of a :func:`prefix_index` file; ValueError if
    damaged. The status of id ``i`` is ``bits[i >> 2] >> 2 * (i & 3) & 3``."""
    if not data.startswith(PREFIX_MAGIC):
        raise ValueError("not a geomap prefix index")
    start = len(PREFIX_MAGIC) + 8
    size = int.from_bytes(data[len(PREFIX_MAGIC) : start], "little")
    trie = marisa_trie.Trie().frombytes(data[start : start + size])
    bits = data[start + size :]
    if len(bits) != (len(trie) + 3) // 4:
        raise ValueError("prefix index status bytes do not match its trie")
    return trie, bits
