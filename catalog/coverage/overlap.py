"""Overlap between departments (one source per data) and completeness of the basic information libraries.

- *Resource overlaps*: resources of different departments with similar titles (bigram Dice ≥ 0.6, place
  names removed) or largely the same information items (≥ 3 shared names and name Dice ≥ 0.6), grouped
  transitively. Items that are join keys rather than content — the basic libraries' fields (姓名,
  统一社会信用代码, 地址 …) and names found in more than 5% of resources (经度, 纬度) — are left out of the
  item comparison, or every register of people or organisations would look like every other. A pair
  where one resource cites the other (关联资源代码) is declared reuse, not overlap.
- *Item overlaps*: information item names collected by several departments (synonyms folded together).
- *Basic libraries*: for each field of the population and legal-entity libraries (``data/basic_libraries.yaml``),
  which departments' resources provide it, exactly or approximately, and which fields nobody provides.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from importlib import resources as package_files
from pathlib import Path
from typing import Any

import yaml

from catalog.coverage.similarity import bigrams, dice, fold, strip_places

TITLE_THRESHOLD = 0.6
ITEMS_THRESHOLD = 0.6
MIN_SHARED_ITEMS = 3
# Above this many resources, bigrams found in more than COMMON_SHARE of titles do not propose candidates
# (信息, 数据 …), which keeps the pairing near-linear; pairs sharing only such bigrams are not found.
EXACT_LIMIT, COMMON_SHARE = 2000, 0.05
COMMON_ITEMS_MIN = 5  # an item name in more resources than this and than COMMON_SHARE of them is a key
PROVIDED, APPROXIMATE, IN_PROGRESS, MISSING = "provided", "approximate", "in_progress", "missing"


@dataclass(frozen=True)
class Entry:
    """A resource as overlap analysis needs it."""

    id: int
    title: str
    department_id: int
    department: str
    status: str
    code: str | None = None
    items: tuple[str, ...] = ()
    related_codes: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "title": self.title, "department_id": self.department_id,
                "department": self.department, "status": self.status, "code": self.code}


@dataclass(frozen=True)
class Field:
    """A field of a basic library with its exact and approximate spellings (folded)."""

    library: str
    name: str
    exact: frozenset[str]
    related: frozenset[str]


@dataclass(frozen=True)
class Library:
    key: str
    title: Mapping[str, str]
    basis: str
    fields: tuple[Field, ...]


def load_libraries(path: str | Path | None = None) -> tuple[Library, ...]:
    """Read the basic libraries' fields and synonyms (the shipped file unless ``path`` is given)."""
    if path is None:
        text = package_files.files("catalog.coverage").joinpath("data", "basic_libraries.yaml").read_text("utf-8")
    else:
        text = Path(path).read_text(encoding="utf-8")
    libraries = []
    for raw in yaml.safe_load(text)["libraries"]:
        fields = tuple(
            Field(raw["key"], f["name"], frozenset(fold(n) for n in [f["name"], *(f.get("synonyms") or [])]),
                  frozenset(fold(n) for n in f.get("related") or []))
            for f in raw["fields"]
        )
        libraries.append(Library(raw["key"], raw.get("title") or {}, raw.get("basis", ""), fields))
    return tuple(libraries)


def synonym_map(libraries: Iterable[Library]) -> dict[str, str]:
    """Folded spelling → the library's field name, for the exact synonyms only."""
    return {spelling: f.name for library in libraries for f in library.fields for spelling in f.exact}


def key_names(libraries: Iterable[Library]) -> frozenset[str]:
    """Every folded spelling of every library field, exact or related: the join keys of the catalog."""
    return frozenset(spelling for library in libraries for f in library.fields for spelling in f.exact | f.related)


@dataclass
class OverlapGroup:
    """Resources of several departments that look like the same data."""

    resources: list[Entry]
    score: float
    shared_items: list[str] = field(default_factory=list)

    @property
    def departments(self) -> list[str]:
        return sorted({entry.department for entry in self.resources})

    def to_dict(self) -> dict[str, Any]:
        return {"departments": self.departments, "score": round(self.score, 3), "shared_items": self.shared_items,
                "resources": [entry.to_dict() for entry in self.resources]}


def _names(entry: Entry, synonyms: Mapping[str, str]) -> frozenset[str]:
    return frozenset(synonyms.get(fold(name), fold(name)) for name in entry.items if fold(name))


def _candidate_pairs(grams: dict[int, frozenset[str]]) -> set[tuple[int, int]]:
    postings: dict[str, list[int]] = defaultdict(list)
    for resource_id, resource_grams in grams.items():
        for gram in resource_grams:
            postings[gram].append(resource_id)
    limit = len(grams) if len(grams) <= EXACT_LIMIT else max(20, int(COMMON_SHARE * len(grams)))
    pairs: set[tuple[int, int]] = set()
    for ids in postings.values():
        if len(ids) > limit:
            continue
        for i, left in enumerate(ids):
            for right in ids[i + 1:]:
                pairs.add((min(left, right), max(left, right)))
    return pairs


def resource_overlaps(entries: Iterable[Entry], places: tuple[str, ...], synonyms: Mapping[str, str] | None = None,
                      key_names: Iterable[str] = ()) -> list[OverlapGroup]:
    """Group resources of different departments that look alike, largest groups first.

    :param places: folded place names removed from titles.
    :param synonyms: folded spelling → canonical item name.
    :param key_names: folded item names that identify rather than describe (left out of item similarity).
    """
    entries = {entry.id: entry for entry in entries}
    synonyms = synonyms or {}
    grams = {i: bigrams(strip_places(fold(e.title), places)) for i, e in entries.items()}
    names = {i: _names(e, synonyms) for i, e in entries.items()}
    content = _content_names(names, {synonyms.get(n, n) for n in key_names})
    pairs = _candidate_pairs(grams) | _candidate_pairs(content)
    codes = {e.code: i for i, e in entries.items() if e.code}
    parent = {i: i for i in entries}

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    best: dict[int, float] = defaultdict(float)
    for left, right in sorted(pairs):
        a, b = entries[left], entries[right]
        if a.department_id == b.department_id or _cites(a, b, codes) or _cites(b, a, codes):
            continue
        title = dice(grams[left], grams[right])
        shared = content[left] & content[right]
        items = dice(content[left], content[right]) if len(shared) >= MIN_SHARED_ITEMS else 0.0
        if title >= TITLE_THRESHOLD or items >= ITEMS_THRESHOLD:
            root_a, root_b = find(left), find(right)
            parent[root_a] = root_b
            best[root_b] = max(best[root_b], best[root_a], title, items)
    groups: dict[int, list[Entry]] = defaultdict(list)
    for i in entries:
        groups[find(i)].append(entries[i])
    result = []
    for root, members in groups.items():
        if len(members) < 2:
            continue
        counts: dict[str, int] = defaultdict(int)
        for member in members:
            for name in names[member.id]:
                counts[name] += 1
        shared = sorted(name for name, count in counts.items() if count > 1)
        result.append(OverlapGroup(sorted(members, key=lambda e: (e.department, e.id)), best[root], shared))
    result.sort(key=lambda g: (-len(g.departments), -g.score, g.resources[0].id))
    return result


def _content_names(names: dict[int, frozenset[str]], keys: set[str]) -> dict[int, frozenset[str]]:
    counts: dict[str, int] = defaultdict(int)
    for resource_names in names.values():
        for name in resource_names:
            counts[name] += 1
    limit = max(COMMON_ITEMS_MIN, COMMON_SHARE * len(names))
    common = {name for name, count in counts.items() if count > limit} | keys
    return {i: resource_names - common for i, resource_names in names.items()}


def _cites(entry: Entry, other: Entry, codes: Mapping[str, int]) -> bool:
    return any(codes.get(code) == other.id for code in entry.related_codes)


def item_overlaps(entries: Iterable[Entry], synonyms: Mapping[str, str] | None = None,
                  min_departments: int = 2) -> list[dict[str, Any]]:
    """Information items collected by ``min_departments`` or more departments, most widely collected first."""
    synonyms = synonyms or {}
    by_name: dict[str, dict[str, Any]] = {}
    for entry in entries:
        for name in entry.items:
            folded = fold(name)
            if not folded:
                continue
            key = synonyms.get(folded, folded)
            slot = by_name.setdefault(key, {"name": synonyms.get(folded, name), "spellings": set(), "departments": set(),
                                            "resources": 0})
            slot["spellings"].add(name)
            slot["departments"].add(entry.department)
            slot["resources"] += 1
    found = [
        {"name": slot["name"], "spellings": sorted(slot["spellings"]), "departments": sorted(slot["departments"]),
         "resources": slot["resources"]}
        for slot in by_name.values() if len(slot["departments"]) >= min_departments
    ]
    found.sort(key=lambda row: (-len(row["departments"]), -row["resources"], row["name"]))
    return found


def library_completeness(entries: Iterable[Entry], libraries: Iterable[Library]) -> list[dict[str, Any]]:
    """For each library field: its status and the resources that provide it (exactly or approximately)."""
    entries = list(entries)
    result = []
    for library in libraries:
        fields = []
        for lib_field in library.fields:
            providers = []
            for entry in entries:
                for name in entry.items:
                    folded = fold(name)
                    match = "exact" if folded in lib_field.exact else "related" if folded in lib_field.related else None
                    if match:
                        providers.append({**entry.to_dict(), "item": name, "match": match})
                        break
            fields.append({"name": lib_field.name, "status": _field_status(providers),
                           "departments": sorted({p["department"] for p in providers}), "providers": providers})
        result.append({"key": library.key, "title": dict(library.title), "basis": library.basis, "fields": fields,
                       "provided": sum(f["status"] == PROVIDED for f in fields),
                       "missing": [f["name"] for f in fields if f["status"] == MISSING]})
    return result


def _field_status(providers: list[dict[str, Any]]) -> str:
    published = [p for p in providers if p["status"] == "published"]
    if any(p["match"] == "exact" for p in published):
        return PROVIDED
    if published:
        return APPROXIMATE
    return IN_PROGRESS if providers else MISSING
