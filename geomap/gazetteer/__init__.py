"""The bundled offline gazetteer.

Constructors only store; :meth:`Gazetteer.load` reads the build made by
``scripts/build_gazetteer.py`` (cached once per process by :func:`default_gazetteer`).
Lookups follow geopy's contract: no match returns an empty list, a damaged or
missing build raises :class:`~geomap.errors.GazetteerError`.

>>> gaz = default_gazetteer()
>>> gaz.lookup("Hewler")[0].name
'Erbil'
"""

from __future__ import annotations

import array
import gzip
import json
import os
import threading
import zlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import marisa_trie

from geomap.errors import GazetteerError
from geomap.gazetteer.format import (
    ENTRIES_FILE,
    HAS_LONGER,
    IS_KEY,
    MAGIC,
    NAMES_FILE,
    PREFIXES_FILE,
    RECORD_FORMAT,
    TYPE_CODES,
    NameKind,
    normalise,
    read_prefix_index,
)
from geomap.model import LatLon, Place, PlaceType

__all__ = [
    "DEFAULT_PATH",
    "HAS_LONGER",
    "IS_KEY",
    "Gazetteer",
    "NameKind",
    "NameMatch",
    "default_gazetteer",
    "normalise",
]

DEFAULT_PATH = Path(__file__).resolve().parent.parent.parent / "data" / "gazetteer"


@dataclass(frozen=True, slots=True)
class NameMatch:
    """One gazetteer record behind a name key: which entry, how it is named."""

    index: int
    kind: NameKind
    zipf: float  # frequency of the key as an ordinary English word (wordfreq zipf scale)


class Gazetteer:
    """GeoNames-based place index.

    Parameters
    ----------
    path
        Folder holding ``names.marisa.gz``, ``entries.bin.gz`` and ``prefixes.bin.gz``;
        defaults to the bundled ``data/gazetteer`` (or ``$GEOMAP_GAZETTEER``).
    """

    def __init__(self, path: str | Path | None = None) -> None:
        self.path = Path(path or os.environ.get("GEOMAP_GAZETTEER") or DEFAULT_PATH)
        self._trie: marisa_trie.RecordTrie | None = None
        self._prefixes: marisa_trie.Trie | None = None
        self._prefix_status = b""
        self._places: dict[int, Place] = {}
        self._status: dict[str, int] = {}
        self._matches: dict[str, list[NameMatch]] = {}
        self.memo: dict[str, dict] = {}  # per-entry values other stages derive and reuse

    # -- loading --------------------------------------------------------------

    def load(self) -> Gazetteer:
        """Read the build into memory; returns self so calls can chain."""
        try:
            names = gzip.decompress((self.path / NAMES_FILE).read_bytes())
            raw = gzip.decompress((self.path / ENTRIES_FILE).read_bytes())
            prefixes = gzip.decompress((self.path / PREFIXES_FILE).read_bytes())
        except FileNotFoundError as err:
            raise GazetteerError(
                f"gazetteer build not found in {self.path}; expected {NAMES_FILE}, "
                f"{ENTRIES_FILE} and {PREFIXES_FILE}; run `python scripts/build_gazetteer.py` "
                "or check out data/"
            ) from err
        except (OSError, EOFError, zlib.error) as err:
            raise GazetteerError(
                f"gazetteer build in {self.path} is damaged ({err}); expected gzip files; "
                "restore data/gazetteer from git or rebuild it"
            ) from err
        if not raw.startswith(MAGIC):
            raise GazetteerError(
                f"{self.path / ENTRIES_FILE} is not a geomap gazetteer build; "
                "rebuild it with scripts/build_gazetteer.py"
            )
        size = int.from_bytes(raw[len(MAGIC) : len(MAGIC) + 4], "little")
        start = len(MAGIC) + 4
        header = json.loads(raw[start : start + size])
        body = memoryview(raw)[start + size :]

        def column(name: str) -> memoryview:
            offset, length = header["columns"][name]
            return body[offset : offset + length]

        def strings(name: str) -> list[str]:
            return bytes(column(name)).decode("utf-8").split("\n")

        self._count = header["count"]
        self._place_ids = strings("place_id")
        self._names = strings("name")
        self._country_codes = strings("country_code")
        self._admin1 = strings("admin1")
        self._types = bytes(column("type"))
        self._lat = _numbers("d", column("lat"))
        self._lon = _numbers("d", column("lon"))
        self._population = _numbers("q", column("population"))
        self._countries = header["countries"]
        self.sources: dict[str, str] = header["sources"]
        try:
            self._prefixes, self._prefix_status = read_prefix_index(prefixes)
        except (ValueError, RuntimeError) as err:
            raise GazetteerError(
                f"{self.path / PREFIXES_FILE} is damaged ({err}); restore data/gazetteer "
                "from git or rebuild it with scripts/build_gazetteer.py"
            ) from err
        self._trie = marisa_trie.RecordTrie(RECORD_FORMAT).frombytes(names)
        return self

    @property
    def loaded(self) -> bool:
        return self._trie is not None

    def _require(self) -> marisa_trie.RecordTrie:
        if self._trie is None:
            raise GazetteerError("gazetteer is not loaded; call Gazetteer(path).load() first")
        return self._trie

    # -- entries --------------------------------------------------------------

    def __len__(self) -> int:
        self._require()
        return self._count

    def place(self, index: int) -> Place:
        """The entry at ``index`` as a :class:`Place` (built once, then cached)."""
        found = self._places.get(index)
        if found is None:
            found = Place(
                place_id=self._place_ids[index],
                name=self._names[index],
                place_type=TYPE_CODES[self._types[index]],
                point=LatLon(self._lat[index], self._lon[index]),
                country_code=self._country_codes[index] or None,
                admin1=self._admin1[index] or None,
                population=self._population[index],
                source=self._place_ids[index].split(":", 1)[0],
            )
            self._places[index] = found
        return found

    def place_type(self, index: int) -> PlaceType:
        return TYPE_CODES[self._types[index]]

    def population(self, index: int) -> int:
        return self._population[index]

    def country_code(self, index: int) -> str:
        return self._country_codes[index]

    def admin1(self, index: int) -> str:
        return self._admin1[index]

    def latlon(self, index: int) -> tuple[float, float]:
        """Raw degrees for hot loops that must not build objects."""
        return self._lat[index], self._lon[index]

    # bulk forms of the accessors above, one C loop per call instead of a Python call
    # per entry: the per-name work in places.py reads a few fields of every sense

    def place_types(self, indexes: Iterable[int]) -> list[PlaceType]:
        return list(map(TYPE_CODES.__getitem__, map(self._types.__getitem__, indexes)))

    def populations(self, indexes: Iterable[int]) -> list[int]:
        return list(map(self._population.__getitem__, indexes))

    def country_codes(self, indexes: Iterable[int]) -> list[str]:
        return list(map(self._country_codes.__getitem__, indexes))

    def admin1s(self, indexes: Iterable[int]) -> list[str]:
        return list(map(self._admin1.__getitem__, indexes))

    @cached_property
    def _index_by_id(self) -> dict[str, int]:
        return {pid: i for i, pid in enumerate(self._place_ids)}

    def get(self, place_id: str) -> Place | None:
        """The entry with this id (``geonames:95446``), or None."""
        self._require()
        index = self._index_by_id.get(place_id)
        return None if index is None else self.place(index)

    # -- names ----------------------------------------------------------------

    def matches(self, key: str) -> list[NameMatch]:
        """Records behind an already normalised key; empty when none (memoised)."""
        found = self._matches.get(key)
        if found is None:
            if len(self._matches) > 100_000:
                self._matches.clear()
            kinds = _KINDS
            found = self._matches[key] = [
                NameMatch(i, kinds[k], z / 10) for i, k, z in self._require().get(key, ())
            ]
        return found

    @property
    def status_memo(self) -> Callable[[str], int | None]:
        """``dict.get`` over keys already asked about: their :meth:`status`, or None."""
        return self._status.get

    def status(self, key: str) -> int:
        """Bit flags for a normalised key: ``IS_KEY`` if it names something,
        ``HAS_LONGER`` if a longer key starts with it and a space (memoised)."""
        known = self._status.get(key)
        if known is None:
            if len(self._status) > 500_000:
                self._status.clear()
            self._require()
            i = self._prefixes.get(key)  # type: ignore[union-attr]  # one lookup, built ahead
            known = self._status[key] = (
                0 if i is None else self._prefix_status[i >> 2] >> 2 * (i & 3) & 3
            )
        return known

    def lookup(self, name: str) -> list[Place]:
        """Places called ``name``: own names before aliases, then countries and regions
        before towns, then the most populous; empty if none."""
        ranked = []
        for match in self.matches(normalise(name)):
            if match.kind is not NameKind.DEMONYM:
                place = self.place(match.index)
                ranked.append(
                    (
                        match.kind is not NameKind.NAME,
                        -_TYPE_RANK[place.place_type],
                        -place.population,
                        match.index,
                        place,
                    )
                )
        return [r[-1] for r in sorted(ranked)]

    def demonym(self, word: str) -> list[Place]:
        """Places a demonym or adjective refers to (Iranian -> Iran); empty if none."""
        return [
            self.place(m.index) for m in self.matches(normalise(word)) if m.kind is NameKind.DEMONYM
        ]

    # -- countries ------------------------------------------------------------

    def country_index(self, code: str) -> int | None:
        info = self._countries.get(code.upper()) if self._require() else None
        return None if info is None else info["entry"]

    def country(self, code: str) -> Place | None:
        """The country entry for an ISO 3166-1 alpha-2 code, or None."""
        index = self.country_index(code)
        return None if index is None else self.place(index)

    def capital(self, code: str) -> Place | None:
        """The capital city of a country, or None when unknown."""
        info = self._countries.get(code.upper()) if self._require() else None
        if info is None or info["capital"] is None:
            return None
        return self.place(info["capital"])

    def is_capital(self, index: int) -> bool:
        """Whether the entry is a national capital."""
        return index in self._capital_indexes

    @property
    def capital_indexes(self) -> frozenset[int]:
        """The entries that are national capitals (for hot loops: a set test, no call)."""
        return self._capital_indexes

    @cached_property
    def _capital_indexes(self) -> frozenset[int]:
        return frozenset(
            info["capital"] for info in self._countries.values() if info["capital"] is not None
        )


def _numbers(typecode: str, blob: memoryview) -> array.array:
    values = array.array(typecode)
    values.frombytes(blob)
    return values


_KINDS = tuple(NameKind)

# more specific types rank first among equal names in lookup()
_TYPE_RANK = {
    PlaceType.COUNTRY: 7,
    PlaceType.CONTINENT: 6,
    PlaceType.REGION: 5,
    PlaceType.ADMIN1: 4,
    PlaceType.WATER: 3,
    PlaceType.CITY: 2,
    PlaceType.ADMIN2: 1,
    PlaceType.FACILITY: 0,
}

_default: Gazetteer | None = None
_lock = threading.Lock()


def default_gazetteer() -> Gazetteer:
    """The bundled gazetteer, loaded on first use and shared by the process."""
    global _default
    with _lock:
        if _default is None:
            _default = Gazetteer().load()
        return _default
