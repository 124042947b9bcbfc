"""The public API: flat, lazy, and cheap to import."""

import subprocess
import sys

import geomap


def test_all_names_resolve():
    for name in geomap.__all__:
        assert getattr(geomap, name) is not None


def test_import_does_no_work():
    code = (
        "import sys, geomap; "
        "heavy = ('folium', 'pandas', 'marisa_trie', 'geomap.render'); "
        "heavy = [m for m in heavy if m in sys.modules]; "
        "print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_errors_share_one_root_and_a_builtin():
    from geomap import errors

    for name in errors.__all__:
        cls = getattr(errors, name)
        assert issubclass(cls, geomap.GeomapError)
        if cls is not errors.GeomapError:
            assert any(
                b.__module__ == "builtins"
                for b in cls.__mro__
                if b is not Exception and b is not BaseException and b is not object
            )
