"""Metadata quality: one 0–100 score per resource from weighted components, rolled up per department.

Like the EU's metadata quality assessment, but measured against the national profile. A component is
*measured* (0–1), *not applicable* (an unstructured resource needs no items) or *not measured* (no link
of the resource has been checked yet). The score is the weighted mean of the measured components only,
so an unmeasured component never counts as perfect, and the report lists what was not measured.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from catalog.coverage.history import as_utc
from catalog.profile import OBLIGATIONS, Profile
from catalog.rules import check_rules

#: Weights of the components (they sum to 100); see docs/coverage.md.
WEIGHTS = {
    "mandatory": 30,    # M elements of the profile filled in
    "recommended": 10,  # R elements filled in
    "vocabulary": 10,   # coded values found in their code lists
    "items": 10,        # structured formats (spreadsheet, database) list information items
    "rules": 15,        # the guide's share and open rules hold
    "timeliness": 15,   # last update within the update cycle's maxDays
    "links": 10,        # online links answer (fed by `mulu links check`)
}
MEASURED, NOT_APPLICABLE, NOT_MEASURED = "measured", "not_applicable", "not_measured"
_RULE_PREFIXES = ("share.", "open.")


@dataclass(frozen=True)
class Component:
    """One component's value (0–1, ``None`` unless measured), its state and what it found wrong."""

    value: float | None
    state: str = MEASURED
    problems: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"value": None if self.value is None else round(self.value, 4), "state": self.state,
                "problems": list(self.problems)}


@dataclass
class ResourceQuality:
    """The score of one resource and its components."""

    id: int
    title: str
    department_id: int
    status: str
    components: dict[str, Component]

    @property
    def score(self) -> float:
        """Weighted mean of the measured components, 0–100 (0 when nothing could be measured)."""
        measured = {name: c for name, c in self.components.items() if c.state == MEASURED}
        weight = sum(WEIGHTS[name] for name in measured)
        return 100 * sum(WEIGHTS[name] * c.value for name, c in measured.items()) / weight if weight else 0.0

    @property
    def not_measured(self) -> list[str]:
        return [name for name, c in self.components.items() if c.state == NOT_MEASURED]

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "department_id": self.department_id, "status": self.status,
                "score": round(self.score, 1), "not_measured": self.not_measured,
                "components": {name: c.to_dict() for name, c in self.components.items()}}


@dataclass
class Rollup:
    """Mean scores of a group of resources (a department, the city) and mean components where measured."""

    resources: int = 0
    score: float | None = None
    components: dict[str, float | None] = field(default_factory=dict)
    measured: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"resources": self.resources, "score": None if self.score is None else round(self.score, 1),
                "components": {k: None if v is None else round(v, 4) for k, v in self.components.items()},
                "measured": dict(self.measured)}


def rollup(scores: Iterable[ResourceQuality]) -> Rollup:
    """Average scores and components over resources; ``score`` is ``None`` for a group without resources."""
    scores = list(scores)
    result = Rollup(resources=len(scores))
    if not scores:
        return result
    result.score = sum(s.score for s in scores) / len(scores)
    for name in WEIGHTS:
        values = [s.components[name].value for s in scores if s.components[name].state == MEASURED]
        result.measured[name] = len(values)
        result.components[name] = sum(values) / len(values) if values else None
    return result


def _weaker(first: str, second: str) -> str:
    return OBLIGATIONS[min(OBLIGATIONS.index(first), OBLIGATIONS.index(second))]


def obligation_fields(profile: Profile) -> dict[str, list[str]]:
    """The paths of the M and R elements a cataloguer fills in (system and list elements are left out).

    A child of an object element counts with the weaker of its own and its parent's obligation.
    """
    fields: dict[str, list[str]] = {"M": [], "R": []}
    for element in profile.elements:
        if element.system or element.is_list:
            continue
        if element.type == "object":
            for child in element.children:
                obligation = _weaker(element.obligation, child.obligation)
                if obligation in fields and not child.system:
                    fields[obligation].append(f"{element.name}.{child.name}")
        elif element.obligation in fields:
            fields[element.obligation].append(element.name)
    return fields


def _value(data: Mapping[str, Any], path: str) -> Any:
    value: Any = data
    for part in path.split("."):
        value = value.get(part) if isinstance(value, Mapping) else None
    return value


def _present(value: Any) -> bool:
    return value not in (None, "", [], {})


def _completeness(data: Mapping[str, Any], paths: list[str]) -> Component:
    if not paths:
        return Component(None, NOT_APPLICABLE)
    missing = tuple(path for path in paths if not _present(_value(data, path)))
    return Component(1 - len(missing) / len(paths), problems=missing)


def _coded_values(profile: Profile, data: Mapping[str, Any]) -> Iterable[tuple[str, Any, Any]]:
    """``(path, value, element)`` of every coded value present, items included."""
    for path, element in profile.walk():
        if not element.vocabulary:
            continue
        if path.startswith("items."):
            child = path.split(".", 1)[1]
            for index, item in enumerate(data.get("items") or []):
                if _present(item.get(child)):
                    yield f"items.{index}.{child}", item.get(child), element
        elif _present(_value(data, path)):
            yield path, _value(data, path), element


def _vocabulary(profile: Profile, vocab, data: Mapping[str, Any]) -> Component:
    checked, wrong = 0, []
    for path, value, element in _coded_values(profile, data):
        checked += 1
        scheme = vocab.get(element.vocabulary)
        known = scheme.by_property(element.key_property, value) if element.key_property else scheme.get(str(value))
        if not known:
            wrong.append(f"{path}={value}")
    if not checked:
        return Component(None, NOT_APPLICABLE)
    return Component(1 - len(wrong) / checked, problems=tuple(wrong))


def _items(vocab, data: Mapping[str, Any]) -> Component:
    format_class = (data.get("format") or {}).get("class")
    concept = vocab.get("format").get(format_class) if format_class else None
    if concept is None or not concept.properties.get("structured"):
        return Component(None, NOT_APPLICABLE)
    return Component(1.0) if data.get("items") else Component(0.0, problems=("items",))


def _rules(vocab, data: Mapping[str, Any]) -> Component:
    broken = tuple(sorted(path for path in check_rules(data, vocab)
                          if path.startswith(_RULE_PREFIXES) or path.endswith(".share_condition")))
    return Component(0.0 if broken else 1.0, problems=broken)


def _timeliness(vocab, data: Mapping[str, Any], updated_at: datetime | None, today: date, timezone) -> Component:
    concept = vocab.get("update_cycle").get(data.get("update_cycle") or "")
    max_days = concept.properties.get("maxDays") if concept is not None else None
    if not max_days or updated_at is None:
        return Component(None, NOT_APPLICABLE)
    age = (today - as_utc(updated_at).astimezone(timezone).date()).days
    return Component(1.0) if age <= int(max_days) else Component(0.0, problems=(f"{age} > {max_days} days",))


def _links(data: Mapping[str, Any], checks: Mapping[str, Any]) -> Component:
    urls = [d.get("url") for d in data.get("distributions") or [] if d.get("url")]
    if not urls:
        return Component(None, NOT_APPLICABLE)
    checked = [url for url in urls if url in checks]
    if not checked:
        return Component(None, NOT_MEASURED)
    broken = tuple(url for url in checked if checks[url].broken)
    return Component(1 - len(broken) / len(checked), problems=broken)


def assess(data: Mapping[str, Any], *, profile: Profile, vocab, checks: Mapping[str, Any], today: date, timezone,
           updated_at: datetime | None = None) -> dict[str, Component]:
    """Measure every component of one resource.

    :param data: the Resource JSON (:func:`catalog.serialize.resource_to_json`).
    :param profile: the loaded profile (its M and R elements).
    :param vocab: the vocabulary registry.
    :param checks: link check rows by URL (anything with a ``broken`` attribute).
    :param today: the date timeliness is judged on.
    :param timezone: the catalog's time zone.
    :param updated_at: the resource's last update (its ``updated_at``).
    """
    fields = obligation_fields(profile)
    return {
        "mandatory": _completeness(data, fields["M"]),
        "recommended": _completeness(data, fields["R"]),
        "vocabulary": _vocabulary(profile, vocab, data),
        "items": _items(vocab, data),
        "rules": _rules(vocab, data),
        "timeliness": _timeliness(vocab, data, updated_at, today, timezone),
        "links": _links(data, checks),
    }
