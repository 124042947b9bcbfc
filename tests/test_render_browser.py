"""render.py in a real browser: headless Chromium with the network cut off.

Skipped only when Chromium is missing on a developer machine; in CI (CI=true) a missing
browser is a failure. Install: ``apt-get install -y chromium`` (not ``playwright install``).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from test_render import (  # the same hand-made incidents as the markup tests
    BAGHDAD,
    ERBIL,
    HOSTILE,
    HOSTILE_JINJA,
    HOSTILE_SCRIPT,
    SENTENCE,
    hostile_incidents,
    incident,
    mention,
    seed_incidents,
    seed_places,
)

from geomap.errors import OutputExistsError
from geomap.model import LatLon, Place, PlaceType
from geomap.render import launch_chromium, render_map, screenshot

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
LOCAL = ("file:", "data:", "about:", "blob:")
READY = "window.geomap && window.geomap.ready === true"


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"{CHROMIUM} is missing in CI; install it: apt-get install -y chromium")
        pytest.skip(f"{CHROMIUM} not installed (apt-get install -y chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = launch_chromium(pw, CHROMIUM)  # the launch the product uses
        yield chromium
        chromium.close()


@dataclass
class Visit:
    page: object
    errors: list[str] = field(default_factory=list)
    leaked: list[str] = field(default_factory=list)


@pytest.fixture
def visit(browser: object) -> Iterator[object]:
    """Open a map file with every non-local request aborted and recorded."""
    contexts = []

    def open_map(path: Path) -> Visit:
        context = browser.new_context(viewport={"width": 1280, "height": 800})  # type: ignore[attr-defined]
        contexts.append(context)
        page = context.new_page()
        seen = Visit(page)
        page.on("console", lambda m: seen.errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: seen.errors.append(str(e)))

        def route(r: object) -> None:
            url = r.request.url  # type: ignore[attr-defined]
            if url.startswith(LOCAL):
                r.continue_()  # type: ignore[attr-defined]
            else:
                seen.leaked.append(url)
                r.abort()  # type: ignore[attr-defined]

        page.route("**/*", route)
        page.goto(path.resolve().as_uri())
        page.wait_for_function(READY, timeout=30_000)
        return seen

    yield open_map
    for context in contexts:
        context.close()


@pytest.fixture
def seed_page(tmp_path: Path, visit: object) -> Visit:
    path = render_map(seed_incidents(), tmp_path / "seed.html", places=seed_places())
    return visit(path)  # type: ignore[operator]


def count(page: object, selector: str) -> int:
    return page.locator(selector).count()  # type: ignore[attr-defined]


def test_map_loads_offline_with_no_errors_and_no_requests(seed_page: Visit) -> None:
    assert seed_page.errors == []
    assert seed_page.leaked == []


def test_markers_arrows_and_legend_are_drawn(seed_page: Visit) -> None:
    page = seed_page.page
    assert count(page, ".geomap-incident") == 2
    assert count(page, ".geomap-origin-marker") == 2
    assert count(page, "path.geomap-arrow") == 2
    assert count(page, "path.geomap-arrowhead") == 2
    assert count(page, "path.geomap-place") == 3
    assert page.locator("#geomap-legend").is_visible()  # type: ignore[attr-defined]
    attribution = page.locator(".leaflet-control-attribution").inner_text()  # type: ignore[attr-defined]
    assert "GeoNames" in attribution and "Natural Earth" in attribution


def test_basemap_is_painted(seed_page: Visit) -> None:
    # Land is drawn on a canvas in its own pane: some pixels must be the land colour.
    painted = seed_page.page.evaluate(  # type: ignore[attr-defined]
        """() => {
            const c = document.querySelector('.leaflet-geomap-basemap-pane canvas');
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            let land = 0;
            for (let i = 0; i < d.length; i += 4) {
                if (d[i] === 243 && d[i + 1] === 240 && d[i + 2] === 232) land++;
            }
            return land;
        }"""
    )
    assert painted > 1000


def test_clicking_an_event_opens_its_popup_with_the_evidence(seed_page: Visit) -> None:
    page = seed_page.page
    page.locator('.geomap-incident[data-incident="0"]').click()  # type: ignore[attr-defined]
    popup = page.locator(".leaflet-popup-content .geomap-popup")  # type: ignore[attr-defined]
    popup.wait_for()
    text = popup.inner_text()
    assert SENTENCE in text.replace("\n", " ")
    assert popup.locator("mark").inner_text() == "struck"
    for words in (
        "Explosions/Remote violence",
        "Iran (from Iran)",
        "2020-01-07",
        "0.82",
        "Fatalities",
        "Erbil",
    ):
        assert words in text
    link = popup.locator("a")
    assert link.get_attribute("href").startswith("https://www.aa.com.tr/")
    assert seed_page.errors == []


def test_hovering_an_event_shows_a_tooltip(seed_page: Visit) -> None:
    page = seed_page.page
    page.locator('.geomap-incident[data-incident="1"]').hover()  # type: ignore[attr-defined]
    tooltip = page.locator(".leaflet-tooltip")  # type: ignore[attr-defined]
    tooltip.wait_for()
    assert "Baghdad" in tooltip.inner_text()


def test_layer_control_hides_and_shows_incidents(seed_page: Visit) -> None:
    page = seed_page.page
    page.locator(".leaflet-control-layers").hover()  # type: ignore[attr-defined]
    toggle = page.locator(".leaflet-control-layers-overlays label", has_text="Incidents")  # type: ignore[attr-defined]
    toggle.click()
    assert count(page, ".geomap-incident") == 0
    toggle.click()
    assert count(page, ".geomap-incident") == 2


def test_event_type_and_time_filters(tmp_path: Path, visit: object) -> None:
    incidents = [
        incident("a", ERBIL, date=dt.date(2020, 1, 7)),
        incident("b", BAGHDAD, date=dt.date(2020, 1, 9), event_type="Battles"),
        incident("c", Place("g:9", "Mosul", PlaceType.CITY, LatLon(36.34, 43.13)), date=None),
    ]
    seen = visit(render_map(incidents, tmp_path / "f.html"))  # type: ignore[operator]
    page = seen.page
    assert count(page, ".geomap-incident") == 3
    assert count(page, "path.geomap-arrow") == 3
    page.locator('.geomap-type-toggle[data-type="0"]').uncheck()  # type: ignore[attr-defined]
    assert count(page, ".geomap-incident") == 2  # Battles hidden
    assert count(page, "path.geomap-arrow") == 2  # and its arrow
    page.locator('.geomap-type-toggle[data-type="0"]').check()  # type: ignore[attr-defined]
    # Move "to" back to the first day: the 9 January battle drops out.
    page.evaluate(  # type: ignore[attr-defined]
        """() => { const to = document.getElementById('geomap-to');
                   to.value = to.min; to.dispatchEvent(new Event('input'));
                   to.dispatchEvent(new Event('change')); }"""
    )
    assert count(page, ".geomap-incident") == 2
    assert page.locator("#geomap-to-label").inner_text() == "2020-01-07"  # type: ignore[attr-defined]
    page.locator("#geomap-undated").uncheck()  # type: ignore[attr-defined]
    assert count(page, ".geomap-incident") == 1
    page.locator("#geomap-actor").select_option("United States")  # type: ignore[attr-defined]
    assert count(page, ".geomap-incident") == 1  # actor 2 counts as well
    assert page.locator("#geomap-shown").inner_text() == "Showing 1 of 3"  # type: ignore[attr-defined]
    assert seen.errors == []


def test_heat_layer_draws_when_switched_on(seed_page: Visit) -> None:
    page = seed_page.page
    page.locator(".leaflet-control-layers").hover()  # type: ignore[attr-defined]
    page.locator(".leaflet-control-layers-overlays label", has_text="Heat map").click()  # type: ignore[attr-defined]
    alpha = page.evaluate(  # type: ignore[attr-defined]
        """() => {
            const c = document.querySelector('canvas.geomap-heat');
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            let sum = 0;
            for (let i = 3; i < d.length; i += 4) sum += d[i];
            return sum;
        }"""
    )
    assert alpha > 0
    assert seed_page.errors == []


def test_hostile_article_runs_nothing(tmp_path: Path, visit: object) -> None:
    nasty = f"{HOSTILE} {HOSTILE_SCRIPT} {HOSTILE_JINJA}"
    evil_place = Place("geonames:3", nasty, PlaceType.CITY, LatLon(35.0, 45.0))
    path = render_map(
        hostile_incidents(),
        tmp_path / "evil.html",
        places=[mention(evil_place, nasty)],
        title=nasty,
    )
    seen = visit(path)  # type: ignore[operator]
    page = seen.page
    assert page.title() == nasty  # type: ignore[attr-defined]
    marker = page.locator(".geomap-incident").first  # type: ignore[attr-defined]
    marker.hover()
    page.locator(".leaflet-tooltip").first.wait_for()  # type: ignore[attr-defined]
    marker.click()
    popup = page.locator(".leaflet-popup-content .geomap-popup")  # type: ignore[attr-defined]
    popup.wait_for()
    assert HOSTILE in popup.inner_text()  # shown as text
    assert popup.locator("img").count() == 0
    assert popup.locator("a").count() == 0  # the javascript: URL is no link
    page.locator(".geomap-origin-marker").first.hover()  # type: ignore[attr-defined]
    page.locator("path.geomap-place").first.hover(force=True)  # type: ignore[attr-defined]
    page.wait_for_timeout(300)  # type: ignore[attr-defined]
    pwned = page.evaluate("() => [document.body.dataset.pwned, document.images.length]")  # type: ignore[attr-defined]
    assert pwned == [None, 0]
    assert seen.errors == []
    assert seen.leaked == []  # the <img src=x> never became a request


def test_many_incidents_are_clustered(tmp_path: Path, visit: object) -> None:
    incidents = [
        incident(
            f"n{i}",
            Place(
                f"g:{i}", f"P{i}", PlaceType.CITY, LatLon(30 + (i % 20) * 0.3, 40 + (i // 20) * 0.4)
            ),
            date=dt.date(2020, 1, 1) + dt.timedelta(days=i % 30),
        )
        for i in range(300)
    ]
    seen = visit(render_map(incidents, tmp_path / "many.html"))  # type: ignore[operator]
    page = seen.page
    assert count(page, ".marker-cluster") > 0
    assert count(page, ".geomap-incident") < 300
    assert seen.errors == [] and seen.leaked == []


def test_thousands_of_arrows_are_opt_in_and_drawn_on_canvas(tmp_path: Path, visit: object) -> None:
    incidents = [
        incident(
            f"f{i}",
            Place(
                f"g:{i}", f"P{i}", PlaceType.CITY, LatLon(20 + (i % 40) * 0.5, 30 + (i // 40) * 0.5)
            ),
        )
        for i in range(1600)
    ]
    seen = visit(render_map(incidents, tmp_path / "flows.html"))  # type: ignore[operator]
    page = seen.page
    assert count(page, "canvas.geomap-flows") == 0  # off by default at this count
    page.locator(".leaflet-control-layers").hover()  # type: ignore[attr-defined]
    page.locator(".leaflet-control-layers-overlays label", has_text="arrows").click()  # type: ignore[attr-defined]
    inked = page.evaluate(  # type: ignore[attr-defined]
        """() => {
            const c = document.querySelector('canvas.geomap-flows');
            const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
            let n = 0;
            for (let i = 3; i < d.length; i += 4) if (d[i]) n++;
            return n;
        }"""
    )
    assert inked > 1000
    assert count(page, "path.geomap-arrow") == 0
    assert seen.errors == [] and seen.leaked == []


def test_screenshot_writes_a_png_and_never_clobbers(tmp_path: Path, browser: object) -> None:
    html = render_map(seed_incidents(), tmp_path / "seed.html")
    png = screenshot(html, tmp_path / "seed.png", width=800, height=600, browser=browser)  # type: ignore[arg-type]
    data = png.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert (int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")) == (800, 600)
    with pytest.raises(OutputExistsError):
        screenshot(html, png, browser=browser)  # type: ignore[arg-type]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["seed.html", "seed.png"]
