"""The bundled gazetteer: lookups, names, countries, and the geopy contract."""

import gzip
import shutil

import pytest

from geomap.errors import GazetteerError, GeomapError
from geomap.gazetteer import (
    HAS_LONGER,
    IS_KEY,
    Gazetteer,
    NameKind,
    default_gazetteer,
    normalise,
)
from geomap.gazetteer.format import PREFIXES_FILE, prefix_index
from geomap.gazetteer.geocoder import OfflineGazetteer
from geomap.model import PlaceType


@pytest.fixture(scope="module")
def gaz():
    return default_gazetteer()


@pytest.mark.parametrize("spelling", ["Erbil", "Arbil", "Irbil", "Hewler", "ERBIL"])
def test_alternate_spellings_find_erbil(gaz, spelling):
    cities = [p for p in gaz.lookup(spelling) if p.place_type is PlaceType.CITY]
    assert cities[0].name == "Erbil" and cities[0].country_code == "IQ"


def test_teheran_is_tehran(gaz):
    assert any(p.place_id == "geonames:112931" for p in gaz.lookup("Teheran"))


def test_no_match_is_empty_not_an_error(gaz):
    assert gaz.lookup("Qwxzzyplace") == []
    assert gaz.demonym("Qwxzzyish") == []


@pytest.mark.parametrize(
    ("word", "country"),
    [
        ("Iranian", "IR"),
        ("Iraqi", "IQ"),
        ("American", "US"),
        ("Americans", "US"),
        ("British", "GB"),
    ],
)
def test_demonyms(gaz, word, country):
    assert gaz.demonym(word)[0].country_code == country
    assert gaz.demonym(word)[0].place_type is PlaceType.COUNTRY


def test_kurdish_is_the_kurdistan_region(gaz):
    (region,) = gaz.demonym("Kurdish")
    assert region.name == "Kurdistan Region" and region.country_code == "IQ"


def test_abbreviations_are_marked_as_such(gaz):
    kinds = {m.kind for m in gaz.matches(normalise("U.S.")) if gaz.country_code(m.index) == "US"}
    assert kinds == {NameKind.ABBR}


def test_place_types_cover_the_issue(gaz):
    assert gaz.lookup("Al Asad Air Base")[0].place_type is PlaceType.FACILITY
    assert gaz.lookup("Persian Gulf")[0].place_type is PlaceType.WATER
    assert gaz.lookup("Texas")[0].place_type is PlaceType.ADMIN1
    assert gaz.lookup("Iraq")[0].place_type is PlaceType.COUNTRY


def test_country_and_capital(gaz):
    assert gaz.country("iq").name == "Iraq"
    assert gaz.capital("IR").name == "Tehran"
    assert gaz.country("ZZ") is None


def test_country_points_are_close_to_geonames(gaz):
    # GeoNames puts the US at 39.76, -98.5; the build's consensus point must be near it
    us = gaz.country("US").point
    assert abs(us.lat - 39.76) < 1.5 and abs(us.lon + 98.5) < 1.5


def test_entries_keep_the_fields_the_issue_names(gaz):
    erbil = gaz.get("geonames:95446")
    assert erbil.admin1 == "IQ.11" and erbil.population > 500_000
    assert erbil.point.lat == pytest.approx(36.19117)


def test_constructor_only_stores(tmp_path):
    g = Gazetteer(tmp_path / "nowhere")
    assert not g.loaded  # nothing read until load()
    with pytest.raises(GazetteerError) as err:
        g.load()
    assert isinstance(err.value, GeomapError) and isinstance(err.value, OSError)
    assert "build_gazetteer.py" in str(err.value)


def test_damaged_build_raises(tmp_path):
    src = Gazetteer().path
    for f in src.iterdir():
        shutil.copy(f, tmp_path / f.name)
    (tmp_path / "entries.bin.gz").write_bytes(gzip.compress(b"not a gazetteer"))
    with pytest.raises(GazetteerError, match="not a geomap gazetteer"):
        Gazetteer(tmp_path).load()
    (tmp_path / "entries.bin.gz").write_bytes(b"garbage")
    with pytest.raises(GazetteerError, match="damaged"):
        Gazetteer(tmp_path).load()


def test_geopy_geocoder_contract():
    geocoder = OfflineGazetteer()
    location = geocoder.geocode("Baghdad")
    assert location.raw["country_code"] == "IQ"
    assert (round(location.latitude), round(location.longitude)) == (33, 44)
    assert geocoder.geocode("Qwxzzyplace") is None
    assert geocoder.geocode("Qwxzzyplace", exactly_one=False) == []
    assert len(geocoder.geocode("Paris", exactly_one=False, limit=3)) == 3


def test_bulk_accessors_agree_with_the_single_ones(gaz):
    indexes = [m.index for m in gaz.matches("springfield")] + [gaz.country_index("IQ")]
    assert gaz.place_types(indexes) == [gaz.place_type(i) for i in indexes]
    assert gaz.populations(indexes) == [gaz.population(i) for i in indexes]
    assert gaz.country_codes(indexes) == [gaz.country_code(i) for i in indexes]
    assert gaz.admin1s(indexes) == [gaz.admin1(i) for i in indexes]
    assert gaz.capital_indexes == {i for i in range(len(gaz)) if gaz.is_capital(i)}


def test_status_agrees_with_the_record_trie(gaz):
    trie = gaz._trie
    keys = trie.keys()[::97]
    words = {k[:i] for k in keys for i in range(len(k)) if k[i] == " "}
    asked = [*keys, *words, "erbil", "new", "new york", "qwxzz", "", " ", "new york c"]
    for key in asked:
        expected = (IS_KEY if key in trie else 0) | (
            HAS_LONGER if next(trie.iterkeys(key + " "), None) is not None else 0
        )
        assert gaz.status(key) == expected, key
    assert gaz.status("new") & HAS_LONGER and gaz.status("erbil") & IS_KEY


def test_prefix_index_is_rebuilt_from_the_names_alone(gaz):
    built = prefix_index(reversed(gaz._trie.keys()))  # any order of the keys
    assert gzip.decompress((gaz.path / PREFIXES_FILE).read_bytes()) == built


def test_damaged_or_missing_prefix_index_raises(tmp_path):
    for f in Gazetteer().path.iterdir():
        shutil.copy(f, tmp_path / f.name)
    (tmp_path / PREFIXES_FILE).write_bytes(gzip.compress(b"not an index"))
    with pytest.raises(GazetteerError, match="damaged"):
        Gazetteer(tmp_path).load()
    (tmp_path / PREFIXES_FILE).unlink()
    with pytest.raises(GazetteerError, match=r"prefixes\.bin\.gz"):
        Gazetteer(tmp_path).load()
