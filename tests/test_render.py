"""render.py: the offline HTML map, checked from its markup.

What the browser does with it is in test_render_browser.py; the incidents built here
are shared with it.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import html as htmllib
import json
import re
import tempfile
from pathlib import Path
from typing import Any

import lxml.html
import pytest
from hypothesis import given
from hypothesis import strategies as st

from geomap.errors import GeomapError, OutputExistsError
from geomap.model import Actor, Incident, LatLon, Place, PlaceMention, PlaceType, Span
from geomap.render import _html, _script_json, render_map

# --- hand-made incidents ----------------------------------------------------------------

IRAN = Place("geonames:130758", "Iran", PlaceType.COUNTRY, LatLon(32.0, 53.0), "IR")
USA = Place("geonames:6252001", "United States", PlaceType.COUNTRY, LatLon(39.76, -98.5), "US")
ERBIL = Place("geonames:95446", "Erbil", PlaceType.CITY, LatLon(36.19, 44.01), "IQ")
BAGHDAD = Place("geonames:98182", "Baghdad", PlaceType.CITY, LatLon(33.34, 44.40), "IQ")
TEHRAN = Place("geonames:112931", "Tehran", PlaceType.CITY, LatLon(35.69, 51.42), "IR")

SENTENCE = (
    "Iran struck two Iraqi bases housing American military forces with ballistic missiles "
    "on late Tuesday."
)
SENTENCE_AT = 70  # where the sentence starts in the (imaginary) article
TITLE = "Iran retaliates over Soleimani's assassination with missile attack"

HOSTILE = '<img src=x onerror="document.body.dataset.pwned=1">'
HOSTILE_SCRIPT = "</script><script>document.body.dataset.pwned=1</script>"
HOSTILE_JINJA = "{{ 7*7 }}"


def mention(place: Place, text: str | None = None, article_id: str = "seed") -> PlaceMention:
    return PlaceMention(
        article_id, Span(0, len(text or place.name)), text or place.name, place, 0.9
    )


def incident(
    incident_id: str,
    place: Place | None,
    *,
    date: dt.date | None = dt.date(2020, 1, 8),
    event_type: str = "Explosions/Remote violence",
    sub_event_type: str = "Shelling/artillery/missile attack",
    evidence: str = SENTENCE,
    trigger: str = "struck",
    actor1: Actor | None = None,
    actor2: Actor | None = None,
    source_title: str | None = TITLE,
    source_url: str | None = "https://www.aa.com.tr/en/middle-east/iran-retaliates",
    article_id: str = "seed",
    fatalities: int | None = 0,
) -> Incident:
    at = evidence.find(trigger)
    if at < 0:
        at = 0
    return Incident(
        incident_id=incident_id,
        article_id=article_id,
        event_type=event_type,
        sub_event_type=sub_event_type,
        rule="strike-verb",
        trigger=Span(SENTENCE_AT + at, SENTENCE_AT + at + len(trigger)),
        evidence=evidence,
        evidence_span=Span(SENTENCE_AT, SENTENCE_AT + len(evidence)),
        confidence=0.82,
        actor1=actor1 or Actor("Iran", "State forces", 1, origin=IRAN, country_code="IR"),
        actor2=actor2
        or Actor("United States", "External/Other forces", 8, origin=USA, country_code="US"),
        location=mention(place) if place is not None else None,
        geo_precision=1 if place is not None else None,
        date=date,
        time_precision="day" if date else None,
        fatalities=fatalities,
        fatalities_claimed_by="Iran",
        source_title=source_title,
        source_url=source_url,
    )


def seed_incidents() -> list[Incident]:
    """The seed article's two strikes, plus one incident with no stated place."""
    return [
        incident("seed-1", ERBIL, date=dt.date(2020, 1, 7)),
        incident("seed-2", BAGHDAD, date=dt.date(2020, 1, 8)),
        incident("seed-3", None, event_type="Strategic developments", trigger="Iran"),
    ]


def seed_places() -> list[PlaceMention]:
    return [mention(ERBIL), mention(BAGHDAD), mention(TEHRAN), mention(TEHRAN, "Tehran")]


def hostile_incidents() -> list[Incident]:
    """Every text field an article can fill carries markup, a script break or Jinja."""
    nasty = f"{HOSTILE} {HOSTILE_SCRIPT} {HOSTILE_JINJA}"
    evil_place = Place("geonames:1", nasty, PlaceType.CITY, LatLon(36.19, 44.01), "IQ")
    evil_origin = Place("geonames:2", nasty, PlaceType.COUNTRY, LatLon(32.0, 53.0), "IR")
    evil_actor = Actor(nasty, nasty, 3, origin=evil_origin)
    return [
        incident(
            "evil-1",
            evil_place,
            event_type=nasty,
            sub_event_type=nasty,
            evidence=f"Militants struck {nasty} at dawn.",
            trigger="struck",
            actor1=evil_actor,
            actor2=evil_actor,
            source_title=nasty,
            source_url="javascript:document.body.dataset.pwned=1",
            article_id=nasty,
        )
    ]


# --- reading the output -----------------------------------------------------------------


def payload(html: str) -> dict[str, Any]:
    """The incident data the page hands to its runtime."""
    (block,) = lxml.html.fromstring(html).xpath('//script[@id="geomap-data"]')
    assert block.get("type") == "application/json"
    return json.loads(block.text)


def rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [dict(zip(data["fields"], row, strict=True)) for row in data["incidents"]]


def text_of(data: dict[str, Any], index: int | None) -> str | None:
    return None if index is None else data["strings"][index]


@pytest.fixture
def seed_map(tmp_path: Path) -> tuple[Path, str]:
    path = render_map(seed_incidents(), tmp_path / "seed.html", places=seed_places())
    return path, path.read_text(encoding="utf-8")


# --- what is drawn ----------------------------------------------------------------------


def test_one_marker_per_located_incident_in_lat_lon_order(seed_map: tuple[Path, str]) -> None:
    _, html = seed_map
    data = payload(html)
    located = rows(data)
    assert [text_of(data, r["id"]) for r in located] == ["seed-1", "seed-2"]
    # Leaflet wants [lat, lon]: Erbil is at 36.19 N, 44.01 E, not the other way round.
    assert (located[0]["lat"], located[0]["lon"]) == (36.19, 44.01)
    assert (located[1]["lat"], located[1]["lon"]) == (33.34, 44.40)


def test_each_actor_origin_is_one_marker(seed_map: tuple[Path, str]) -> None:
    data = payload(seed_map[1])
    origins = {text_of(data, o[2]): (o[0], o[1]) for o in data["origins"]}
    assert origins == {"Iran": (32.0, 53.0), "United States": (39.76, -98.5)}


def test_arrows_run_from_acting_actors_origin_to_each_incident(
    seed_map: tuple[Path, str],
) -> None:
    data = payload(seed_map[1])
    names = [text_of(data, o[2]) for o in data["origins"]]
    arrows = {(names[a[0]], a[1], a[2]) for a in data["arrows"]}
    # Actor 2 (the United States, the target) gets a marker but no arrow.
    assert arrows == {("Iran", 36.19, 44.01), ("Iran", 33.34, 44.40)}


def test_no_arrow_when_origin_is_the_incident_place(tmp_path: Path) -> None:
    local = Actor("Erbil police", "State forces", 1, origin=ERBIL)
    path = render_map([incident("x", ERBIL, actor1=local)], tmp_path / "m.html")
    assert payload(path.read_text(encoding="utf-8"))["arrows"] == []


def test_evidence_trigger_offsets_point_at_the_trigger(seed_map: tuple[Path, str]) -> None:
    data = payload(seed_map[1])
    for row in rows(data):
        evidence = text_of(data, row["ev"])
        assert evidence is not None
        assert evidence[row["hs"] : row["he"]] == "struck"


def test_trigger_outside_the_evidence_is_not_highlighted(tmp_path: Path) -> None:
    bad = dataclasses.replace(incident("x", ERBIL), trigger=Span(0, 3))
    path = render_map([bad], tmp_path / "m.html")
    (row,) = rows(payload(path.read_text(encoding="utf-8")))
    assert (row["hs"], row["he"]) == (-1, -1)


def test_incidents_without_a_place_are_counted_not_drawn(seed_map: tuple[Path, str]) -> None:
    html = seed_map[1]
    assert len(payload(html)["incidents"]) == 2
    panel = lxml.html.fromstring(html).get_element_by_id("geomap-panel")
    assert "1 incident without a stated place" in panel.text_content()


def test_place_mentions_are_one_circle_per_place(seed_map: tuple[Path, str]) -> None:
    data = payload(seed_map[1])
    counts = {text_of(data, p[2]): p[3] for p in data["places"]}
    assert counts == {"Erbil": 1, "Baghdad": 1, "Tehran": 2}


def test_panel_shows_title_dates_and_counts(seed_map: tuple[Path, str]) -> None:
    doc = lxml.html.fromstring(seed_map[1])
    assert doc.findtext(".//title") == TITLE
    panel = doc.get_element_by_id("geomap-panel").text_content()
    assert TITLE in panel
    assert "2020-01-07 to 2020-01-08" in panel
    assert "2 incidents on the map" in panel
    assert "1 source" in panel


def test_legend_explains_every_drawn_symbol(seed_map: tuple[Path, str]) -> None:
    legend = lxml.html.fromstring(seed_map[1]).get_element_by_id("geomap-legend")
    text = legend.text_content()
    for words in (
        "Explosions/Remote violence (2)",
        "Actor origin",
        "origin to the incident",
        "Place named in the article",
        "Heat map",
        "Province/state boundary",
    ):
        assert words in text
    assert "Battles" not in text  # nothing of that type is drawn
    assert legend.xpath('.//span[@class="geomap-event"]/svg')
    assert legend.xpath('.//span[@class="geomap-origin"]/svg')
    toggles = legend.xpath('.//input[@class="geomap-type-toggle"]')
    assert [t.get("data-type") for t in toggles] == ["1"]  # ACLED order: Explosions is 1


def test_attribution_credits_geonames_and_natural_earth(seed_map: tuple[Path, str]) -> None:
    html = seed_map[1]
    panel = lxml.html.fromstring(html).get_element_by_id("geomap-panel").text_content()
    assert "GeoNames (CC BY 4.0)" in panel
    assert "Natural Earth" in panel
    assert "GeoNames" in payload(html)["attribution"]  # the map's attribution line


def test_layers_are_offered_in_the_layer_control(seed_map: tuple[Path, str]) -> None:
    html = seed_map[1]
    control = html[html.index("base_layers") : html.index("L.control.layers")]
    for name in (
        "Natural Earth (offline)",
        "OpenStreetMap (online)",
        "Incidents",
        "Actor origins",
        "Heat map",
        "Place mentions",
        "Admin-1 boundaries",
    ):
        assert json.dumps(name) in control


def test_online_tiles_can_be_left_out(tmp_path: Path) -> None:
    html = render_map(seed_incidents(), tmp_path / "m.html", online_tiles=False).read_text(
        encoding="utf-8"
    )
    assert "openstreetmap" not in html.lower()
    assert "L.tileLayer" not in html


def test_empty_input_still_makes_a_map(tmp_path: Path) -> None:
    html = render_map([], tmp_path / "m.html").read_text(encoding="utf-8")
    assert payload(html)["incidents"] == []
    panel = lxml.html.fromstring(html).get_element_by_id("geomap-panel")
    assert "0 incidents on the map" in panel.text_content()


# --- offline: nothing fetched -----------------------------------------------------------

_REMOTE = re.compile(r"^\s*(?:https?:)?//", re.IGNORECASE)


def test_no_resource_is_loaded_from_the_network(seed_map: tuple[Path, str]) -> None:
    html = seed_map[1]
    doc = lxml.html.fromstring(html)
    assert doc.xpath("//script[@src]") == []  # every script is inline
    for link in doc.xpath("//link[@href]"):
        assert not _REMOTE.match(link.get("href")), link.get("href")
    for img in doc.xpath("//img[@src] | //iframe[@src] | //source[@src]"):
        assert not _REMOTE.match(img.get("src"))
    css = " ".join(s.text_content() for s in doc.xpath("//style"))
    css += " ".join(e.get("style") for e in doc.xpath("//*[@style]"))
    urls = re.findall(r"url\(\s*['\"]?([^'\")]+)", css)
    assert urls, "leaflet.css has url()s: they should be inlined, not gone"
    remote = [u for u in urls if _REMOTE.match(u)]
    assert remote == []
    assert "@import" not in css
    assert "sourceMappingURL" not in html


def test_leaflet_images_are_inlined_as_data_uris(seed_map: tuple[Path, str]) -> None:
    html = seed_map[1]
    assert "url(images/" not in html
    assert "url(data:image/png;base64," in html


# --- hostile text -----------------------------------------------------------------------


@pytest.fixture
def hostile_map(tmp_path: Path) -> str:
    nasty = f"{HOSTILE} {HOSTILE_SCRIPT} {HOSTILE_JINJA}"
    path = render_map(
        hostile_incidents(),
        tmp_path / "evil.html",
        places=[mention(Place("geonames:3", nasty, PlaceType.CITY, LatLon(35.0, 45.0)), nasty)],
        title=nasty,
    )
    return path.read_text(encoding="utf-8")


def test_hostile_text_never_appears_unescaped(hostile_map: str) -> None:
    assert HOSTILE not in hostile_map
    assert HOSTILE_SCRIPT not in hostile_map
    doc = lxml.html.fromstring(hostile_map)
    assert doc.xpath("//img") == []
    assert [e.tag for e in doc.iter() if any(a.lower().startswith("on") for a in e.attrib)] == []
    benign = render_map_text(seed_incidents())
    assert len(doc.xpath("//script")) == len(lxml.html.fromstring(benign).xpath("//script"))


def test_hostile_text_reads_back_as_the_same_text(hostile_map: str) -> None:
    nasty = f"{HOSTILE} {HOSTILE_SCRIPT} {HOSTILE_JINJA}"
    doc = lxml.html.fromstring(hostile_map)
    assert doc.findtext(".//title") == nasty
    assert nasty in doc.get_element_by_id("geomap-panel").text_content()
    assert nasty in doc.get_element_by_id("geomap-legend").text_content()
    data = payload(hostile_map)
    # folium renders popup text as a template a second time; ours must stay literal.
    assert nasty in data["strings"]
    assert "49" not in " ".join(data["strings"])


def test_javascript_urls_are_not_links(hostile_map: str) -> None:
    assert "javascript:" not in hostile_map.lower()
    (row,) = rows(payload(hostile_map))
    assert row["url"] is None


def render_map_text(incidents: list[Incident]) -> str:
    with tempfile.TemporaryDirectory() as folder:
        return render_map(incidents, Path(folder) / "m.html").read_text(encoding="utf-8")


@given(st.text())
def test_script_json_cannot_close_a_script(text: str) -> None:
    out = _script_json({"t": text})
    assert "<" not in out and ">" not in out
    assert json.loads(out) == {"t": text}


@given(st.text())
def test_html_escape_leaves_no_markup(text: str) -> None:
    out = _html(text)
    assert "<" not in out and ">" not in out and '"' not in out
    assert htmllib.unescape(out) == text


# --- writing ----------------------------------------------------------------------------


def test_refuses_to_overwrite_without_permission(tmp_path: Path) -> None:
    target = tmp_path / "map.html"
    target.write_text("precious", encoding="utf-8")
    with pytest.raises(OutputExistsError, match="--overwrite") as caught:
        render_map(seed_incidents(), target)
    assert str(target) in str(caught.value)
    assert isinstance(caught.value, FileExistsError)
    assert target.read_text(encoding="utf-8") == "precious"


def test_overwrite_replaces_and_leaves_no_temp_files(tmp_path: Path) -> None:
    target = tmp_path / "map.html"
    target.write_text("old", encoding="utf-8")
    assert render_map(seed_incidents(), target, overwrite=True) == target
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["map.html"]


def test_creates_missing_output_folder(tmp_path: Path) -> None:
    target = tmp_path / "maps" / "new" / "m.html"
    assert render_map(seed_incidents(), target).exists()


def test_rejects_things_that_are_not_incidents(tmp_path: Path) -> None:
    with pytest.raises(TypeError, match="Incident"):
        render_map([{"event_type": "Battles"}], tmp_path / "m.html")  # type: ignore[list-item]
    assert not (tmp_path / "m.html").exists()


def test_output_is_deterministic(tmp_path: Path) -> None:
    a = render_map(seed_incidents(), tmp_path / "a.html").read_bytes()
    b = render_map(seed_incidents(), tmp_path / "b.html").read_bytes()
    assert a == b


def test_seed_map_is_small(seed_map: tuple[Path, str]) -> None:
    assert seed_map[0].stat().st_size < 5_000_000


def test_missing_basemap_is_a_geomap_error(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import geomap.render as render

    monkeypatch.setattr(render, "_BASEMAP_DIR", tmp_path / "nowhere")
    render._basemap.cache_clear()
    try:
        with pytest.raises(GeomapError, match="build_basemap"):
            render_map(seed_incidents(), tmp_path / "m.html")
    finally:
        render._basemap.cache_clear()
