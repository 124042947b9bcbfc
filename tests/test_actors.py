"""Actor mentions, roles and normalised names."""

from __future__ import annotations

import re

from geomap.actors import agent_and_target, find_actor_mentions, to_actor
from geomap.model import LatLon, Place, PlaceMention, PlaceType, Span

_NAMES = {
    "IQ": ("Iraq", "Baghdad"),
    "IR": ("Iran", "Tehran"),
    "US": ("United States", "Washington"),
}


def _p(name: str, kind: str, cc: str) -> Place:
    return Place(f"t:{cc}:{name}", name, PlaceType(kind), LatLon(0.0, 0.0), cc)


class Gaz:
    def country(self, code: str) -> Place | None:
        return _p(_NAMES[code][0], "country", code) if code in _NAMES else None

    def capital(self, code: str) -> Place | None:
        return _p(_NAMES[code][1], "city", code) if code in _NAMES else None


GAZ = Gaz()


def _mentions(text: str, specs: list[tuple[str, str, str, str]]) -> list[PlaceMention]:
    out = []
    for name, kind, cc, via in specs:
        place = (
            GAZ.country(cc)
            if kind == "country"
            else GAZ.capital(cc)
            if kind == "capital"
            else _p(name, kind, cc)
        )
        for m in re.finditer(rf"\b{name}\b", text):
            out.append(PlaceMention("a", Span(m.start(), m.end()), name, place, 0.9, via))
    return out


def _find(text: str, specs: list[tuple[str, str, str, str]]) -> list[tuple[str, str, str]]:
    found = find_actor_mentions(text, _mentions(text, specs), GAZ)
    return [(text[a.span.start : a.span.end], a.name, a.kind) for a in found]


def test_demonym_with_forces_is_the_state() -> None:
    text = "American military forces left."
    assert _find(text, [("American", "country", "US", "demonym")])[0] == (
        "American military forces",
        "United States",
        "state",
    )


def test_demonym_before_a_thing_only_names_its_owner() -> None:
    assert _find("two Iraqi bases", [("Iraqi", "country", "IQ", "demonym")])[0][2] == "owner"


def test_capital_stands_for_its_government_only_as_a_subject() -> None:
    spec = [("Tehran", "capital", "IR", "name")]
    assert _find("Tehran said it would respond.", spec)[0][1:] == ("Iran", "state")
    assert _find("Crowds gathered in Tehran said nothing.", spec) == []


def test_metonyms_and_named_groups() -> None:
    found = _find("The Pentagon said the militia Kataib Sayyid al-Shuhada fired.", [])
    names = {name for _, name, _ in found}
    assert "United States" in names
    assert "Kataib Sayyid al-Shuhada" in names


def test_known_group_names_are_normalised() -> None:
    assert ("Houthi rebels", "Houthis", "group") in _find("Houthi rebels fired.", [])


def test_sentence_initial_capital_is_not_a_group_name() -> None:
    assert _find("Suspected militants attacked.", [])[0][1] == "Unidentified armed group"


def test_titled_person_acts_for_the_state_and_is_remembered() -> None:
    people: dict[str, str] = {}
    text = "Iranian President Hassan Rouhani said. Later Rouhani left."
    m = _mentions(text, [("Iranian", "country", "IR", "demonym")])
    found = find_actor_mentions(text, m, GAZ, people=people)
    assert people["Rouhani"] == "IR"
    assert [a.name for a in found if a.kind == "state"][-1] == "Iran"


def _roles(text: str, trigger: str, specs: list[tuple[str, str, str, str]], noun: bool = False):
    mentions = find_actor_mentions(text, _mentions(text, specs), GAZ)
    start = text.index(trigger)
    agent, target = agent_and_target(
        text, Span(start, start + len(trigger)), noun, Span(0, len(text)), mentions
    )
    return (agent.name if agent else None), (target.name if target else None)


def test_active_verb_subject_and_object_forces_over_owner() -> None:
    text = "Iran struck two Iraqi bases housing American military forces with missiles."
    specs = [
        ("Iran", "country", "IR", "name"),
        ("Iraqi", "country", "IQ", "demonym"),
        ("American", "country", "US", "demonym"),
    ]
    assert _roles(text, "struck", specs) == ("Iran", "United States")


def test_passive_swaps_sides() -> None:
    text = "Three civilians were killed by gunmen."
    assert _roles(text, "killed", []) == ("Unidentified armed group", "Civilians")


def test_noun_trigger_takes_its_modifier_and_target() -> None:
    text = "the Iranian attack on American forces"
    specs = [("Iranian", "country", "IR", "demonym"), ("American", "country", "US", "demonym")]
    assert _roles(text, "attack", specs, noun=True) == ("Iran", "United States")


def test_origin_falls_back_to_the_capital() -> None:
    (mention,) = [
        a
        for a in find_actor_mentions(
            "Iran fired.", _mentions("Iran fired.", [("Iran", "country", "IR", "name")]), GAZ
        )
    ]
    actor = to_actor(mention, GAZ)
    assert actor is not None
    assert (actor.name, actor.inter, actor.actor_type) == ("Iran", 1, "State forces")
    assert actor.origin is not None and actor.origin.name == "Tehran"


def test_generic_actor_takes_the_event_country() -> None:
    (mention,) = find_actor_mentions("Gunmen fired.", [], GAZ)
    actor = to_actor(mention, GAZ, fallback_country="IQ")
    assert (
        actor is not None and actor.name == "Unidentified armed group (Iraq)" and actor.inter == 3
    )


def test_a_remembered_surname_names_the_state_later() -> None:
    people: dict[str, str] = {}
    text = "Iranian President Hassan Rouhani spoke. Rouhani warned Washington."
    m = _mentions(text, [("Iranian", "country", "IR", "demonym")])
    found = find_actor_mentions(text, m, GAZ, people=people)
    later = [a for a in found if text[a.span.start : a.span.end] == "Rouhani"]
    assert [a.name for a in later] == ["Iran"]
