"""Checks of the demo city's departments, hand-written resources and synthetic generator."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from catalog.demo.synthetic import flatten_departments, generate_resources, load_departments, load_resources
from catalog.uscc import is_valid

DIVISIONS = {"340400", "340402", "340403", "340404", "340405", "340406", "340421", "340422"}
KINDS = {"government", "department", "internal_unit", "organ"}
THEMES = set("ABCDEFGHIJKLMNOPQRST")
ITEMS = {"1": {str(n) for n in range(101, 106)}, "2": {str(n) for n in range(201, 213)}, "3": {"307"}}
FORMAT_CLASSES = {"1", "2", "3", "4", "5", "6", "7", "9"}
CYCLES = {str(n) for n in range(1, 10)}
SHARE_TYPES = {"unconditional", "conditional", "not_shared"}
SHARE_METHODS = {"1-1", "1-2", "1-3", "2", "3"}
DATA_TYPES = set("CNYDTLMGBIF")
REQUIRED = {"department", "title", "abstract", "classification", "item", "theme", "format", "keywords",
            "update_cycle", "share", "open", "data_scope"}
OPTIONAL = {"provider_unit", "source_system", "record_count", "items", "distributions", "related"}


@pytest.fixture(scope="module")
def tree() -> list[dict]:
    return load_departments()


@pytest.fixture(scope="module")
def flat(tree) -> list[dict]:
    return flatten_departments(tree)


@pytest.fixture(scope="module")
def by_key(flat) -> dict[str, dict]:
    return {node["key"]: node for node in flat}


@pytest.fixture(scope="module")
def handwritten() -> list[dict]:
    return load_resources()


@pytest.fixture(scope="module")
def synthetic(flat) -> list[dict]:
    return list(generate_resources(2000, flat))


def entry_problems(entry: dict, by_key: dict[str, dict]) -> list[str]:
    """Return what is wrong with one resource entry (empty when it follows every rule)."""
    problems = []
    keys = set(entry)
    if REQUIRED - keys:
        problems.append(f"missing {sorted(REQUIRED - keys)}")
    if keys - REQUIRED - OPTIONAL:
        problems.append(f"unknown keys {sorted(keys - REQUIRED - OPTIONAL)}")
    department = by_key.get(entry.get("department"))
    if department is None or department["kind"] == "internal_unit":
        problems.append(f"department {entry.get('department')!r} is not a department")
    elif "provider_unit" in entry:
        units = {n["name"] for n in by_key.values() if n["parent_key"] == department["key"]}
        if entry["provider_unit"] not in units:
            problems.append(f"provider_unit {entry['provider_unit']!r} is not a unit of {department['key']}")
    for name in ("title", "abstract"):
        if not isinstance(entry.get(name), str) or not entry[name].strip():
            problems.append(f"empty {name}")
    classification = entry.get("classification")
    if entry.get("item") not in ITEMS.get(classification, ()):
        problems.append(f"item {entry.get('item')!r} does not fit class {classification!r}")
    if entry.get("theme") not in THEMES:
        problems.append(f"theme {entry.get('theme')!r}")
    fmt = entry.get("format") or {}
    if fmt.get("class") not in FORMAT_CLASSES:
        problems.append(f"format class {fmt.get('class')!r}")
    if fmt.get("class") == "9" and not fmt.get("description"):
        problems.append("format 9 without description")
    if set(fmt) - {"class", "type_label", "description"}:
        problems.append(f"format keys {sorted(fmt)}")
    keywords = entry.get("keywords")
    if not keywords or not all(isinstance(k, str) and k for k in keywords) or len(set(keywords)) != len(keywords):
        problems.append(f"keywords {keywords!r}")
    if entry.get("update_cycle") not in CYCLES:
        problems.append(f"update_cycle {entry.get('update_cycle')!r}")

    share = entry.get("share") or {}
    if share.get("type") not in SHARE_TYPES:
        problems.append(f"share type {share.get('type')!r}")
    if share.get("method") not in SHARE_METHODS:
        problems.append(f"share method {share.get('method')!r}")
    if share.get("type") == "conditional" and not share.get("condition"):
        problems.append("conditional share without condition")
    if share.get("type") == "not_shared" and not share.get("basis"):
        problems.append("not_shared without basis")
    if share.get("type") != "not_shared" and "basis" in share:
        problems.append("basis on a shared resource")
    opening = entry.get("open") or {}
    if not isinstance(opening.get("is_open"), bool):
        problems.append("open.is_open is not a boolean")
    elif opening["is_open"]:
        if opening.get("type") not in ("unconditional", "conditional"):
            problems.append(f"open type {opening.get('type')!r}")
        if opening.get("type") == "conditional" and not opening.get("condition"):
            problems.append("conditional open without condition")
        if share.get("type") == "not_shared":
            problems.append("open to the public but not shared with departments")
    if department is not None:
        expected_scope = "1" if department["division"] == "340400" else "2"
        if entry.get("data_scope") != expected_scope:
            problems.append(f"data_scope {entry.get('data_scope')!r} for division {department['division']}")

    items = entry.get("items") or []
    if fmt.get("class") in ("2", "3") and not 3 <= len(items) <= 12:
        problems.append(f"structured format with {len(items)} items")
    if len(items) > 12:
        problems.append("more than 12 items")
    for row in items:
        if row.get("data_type") not in DATA_TYPES:
            problems.append(f"item {row.get('name')!r} data type {row.get('data_type')!r}")
        if row.get("data_type") in ("C", "N") and not (isinstance(row.get("length"), int) and row["length"] > 0):
            problems.append(f"item {row.get('name')!r} needs a length")
    if len({row.get("name") for row in items}) != len(items):
        problems.append("duplicate item names")
    distributions = entry.get("distributions") or []
    if len(distributions) > 2:
        problems.append("more than 2 distributions")
    for row in distributions:
        if row.get("kind") not in ("service", "file") or not str(row.get("url", "")).startswith("https://"):
            problems.append(f"distribution {row!r}")
        if row.get("kind") == "service" and not row.get("service_type"):
            problems.append("service distribution without service_type")
    if "record_count" in entry and not (isinstance(entry["record_count"], int) and entry["record_count"] > 0):
        problems.append(f"record_count {entry['record_count']!r}")
    if classification in ("1", "2") and not entry.get("related"):
        problems.append("base/theme resource without related")
    if classification == "3" and entry.get("related"):
        problems.append("department resource with related")
    return problems


def share_mix(entries: list[dict]) -> dict[str, float]:
    counts = Counter(e["share"]["type"] for e in entries)
    mix = {kind: counts[kind] / len(entries) for kind in SHARE_TYPES}
    mix["open"] = sum(e["open"]["is_open"] for e in entries) / len(entries)
    return mix


# ---------------------------------------------------------------------------------------------------------------------
# Departments
# ---------------------------------------------------------------------------------------------------------------------


def test_department_keys_are_unique_ascii(flat):
    keys = [node["key"] for node in flat]
    assert len(keys) == len(set(keys))
    assert all(re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", key) for key in keys)


def test_required_departments_exist(by_key):
    assert by_key["hn-mzj"]["name"] == "淮南市民政局"
    assert by_key["hn-sjj"]["name"] == "淮南市数据资源管理局"
    assert by_key["hn-gov"]["kind"] == "government"
    assert {by_key[k]["kind"] for k in ("hn-mzj", "hn-sjj")} == {"department"}


def test_department_fields(flat, by_key):
    for node in flat:
        assert node["kind"] in KINDS, node["key"]
        assert node["division"] in DIVISIONS, node["key"]
        assert node["name"] and node["short_name"], node["key"]
        assert isinstance(node["in_scope"], bool), node["key"]
        if node["kind"] == "internal_unit":
            assert node["uscc"] is None and node["catalog_segment"] is None, node["key"]
            assert node["in_scope"] is False, node["key"]
            assert node["division"] == by_key[node["parent_key"]]["division"], node["key"]


def test_uscc_codes_are_valid_unique_and_match_the_division(flat):
    codes = [node["uscc"] for node in flat if node["kind"] != "internal_unit"]
    assert all(isinstance(code, str) and len(code) == 18 and is_valid(code) for code in codes)
    assert len(codes) == len(set(codes))
    for node in flat:
        if node["uscc"]:
            assert node["uscc"][2:8] == node["division"], node["key"]


def test_catalog_segments_are_unique_three_digits(flat):
    segments = [node["catalog_segment"] for node in flat if node["kind"] != "internal_unit"]
    assert all(isinstance(s, str) and re.fullmatch(r"\d{3}", s) for s in segments)
    assert len(segments) == len(set(segments))


def test_department_tree_shape(tree, flat, by_key):
    bodies = [node for node in flat if node["kind"] != "internal_unit"]
    assert 80 <= len(bodies) <= 110
    assert {node["name"] for node in flat if node["kind"] == "organ"} == {
        "淮南市人民代表大会常务委员会", "政协淮南市委员会", "淮南市中级人民法院", "淮南市人民检察院"}
    city_departments = [n for n in flat if n["parent_key"] == "hn-gov" and n["kind"] == "department"]
    assert len(city_departments) >= 35
    for department in city_departments:
        units = [n for n in flat if n["parent_key"] == department["key"]]
        assert 1 <= len(units) <= 3 and all(u["kind"] == "internal_unit" for u in units), department["key"]
    counties = [n for n in flat if n["kind"] == "government" and n["division"] != "340400"]
    assert {n["division"] for n in counties} == DIVISIONS - {"340400"}
    for county in counties:
        departments = [n for n in flat if n["parent_key"] == county["key"]]
        assert 4 <= len(departments) <= 6, county["key"]
        assert all(d["division"] == county["division"] for d in departments), county["key"]
    out_of_scope = [n for n in bodies if not n["in_scope"]]
    assert 1 <= len(out_of_scope) <= 5


def test_flatten_lists_parents_before_children(tree, flat):
    seen = set()
    for node in flat:
        assert "children" not in node
        assert node["parent_key"] is None or node["parent_key"] in seen
        seen.add(node["key"])
    assert [n["key"] for n in flat if n["parent_key"] is None] == [root["key"] for root in tree]
    assert "children" in tree[0]  # flattening copies; it does not strip the tree


# ---------------------------------------------------------------------------------------------------------------------
# Hand-written resources
# ---------------------------------------------------------------------------------------------------------------------


def test_handwritten_entries_follow_the_rules(handwritten, by_key):
    assert 140 <= len(handwritten) <= 180
    problems = {e.get("title"): entry_problems(e, by_key) for e in handwritten}
    assert {title: p for title, p in problems.items() if p} == {}


def test_handwritten_titles_are_unique_and_related_titles_resolve(handwritten):
    titles = Counter(e["title"] for e in handwritten)
    assert [t for t, n in titles.items() if n > 1] == []
    by_title = {e["title"]: e for e in handwritten}
    related = [(e["title"], t) for e in handwritten for t in e.get("related") or ()]
    assert len(related) >= 20
    for owner, title in related:
        assert title in by_title, f"{owner}: related title {title!r} does not exist"
        assert by_title[title]["classification"] == "3", f"{owner}: {title!r} is not a department resource"
    assert len({e["item"] for e in handwritten if e["classification"] == "1"}) >= 3
    assert len({e["item"] for e in handwritten if e["classification"] == "2"}) >= 5


def test_handwritten_share_and_open_mix(handwritten):
    mix = share_mix(handwritten)
    assert 0.40 <= mix["unconditional"] <= 0.60
    assert 0.25 <= mix["conditional"] <= 0.45
    assert 0.08 <= mix["not_shared"] <= 0.22
    assert 0.25 <= mix["open"] <= 0.42


def test_handwritten_coverage_leaves_a_few_gaps(handwritten, flat):
    covered = {e["department"] for e in handwritten}
    in_scope = [n for n in flat if n["in_scope"]]
    city = [n for n in in_scope if n["division"] == "340400"]
    assert [n["key"] for n in city if n["key"] not in covered] == []
    gaps = [n["key"] for n in in_scope if n["key"] not in covered]
    assert 4 <= len(gaps) <= 8
    assert sum(1 for e in handwritten if e["data_scope"] == "2") >= 20


def test_handwritten_formats_are_varied_and_known(handwritten):
    classes = Counter(e["format"]["class"] for e in handwritten)
    assert len(classes) >= 6
    vocab = pytest.importorskip("vocab").default_registry().get("format")
    for entry in handwritten:
        fmt = entry["format"]
        if fmt["class"] in ("1", "2", "3", "4", "5"):
            concept = vocab.find(fmt.get("type_label"))
            assert concept is not None and concept.broader == fmt["class"], (entry["title"], fmt)


# ---------------------------------------------------------------------------------------------------------------------
# Synthetic resources
# ---------------------------------------------------------------------------------------------------------------------


def test_synthetic_entries_follow_the_rules(synthetic, by_key):
    assert len(synthetic) == 2000
    problems = [(e["title"], entry_problems(e, by_key)) for e in synthetic]
    assert [p for p in problems if p[1]] == []


def test_synthetic_share_and_open_mix(synthetic):
    mix = share_mix(synthetic)
    assert 0.44 <= mix["unconditional"] <= 0.56
    assert 0.29 <= mix["conditional"] <= 0.41
    assert 0.10 <= mix["not_shared"] <= 0.20
    assert 0.26 <= mix["open"] <= 0.40


def test_synthetic_titles_are_varied(synthetic, flat):
    titles = Counter(e["title"] for e in synthetic)
    assert sum(n - 1 for n in titles.values()) <= len(synthetic) // 100
    for doubled in ("信息信息", "清单清单", "名录名录", "数据数据"):
        assert not any(doubled in t for t in titles), doubled
    larger = Counter(e["title"] for e in generate_resources(20000, flat, seed=5))
    assert sum(n - 1 for n in larger.values()) <= 20000 // 100


def test_synthetic_related_titles_point_backwards(synthetic):
    seen: set[str] = set()
    cited = 0
    for entry in synthetic:
        for title in entry.get("related") or ():
            assert title in seen
            cited += 1
        seen.add(entry["title"])
    assert cited > 0


def test_synthetic_generation_is_deterministic(flat, tree):
    first = list(generate_resources(300, flat, seed=42))
    assert first == list(generate_resources(300, flat, seed=42))
    assert first == list(generate_resources(300, tree, seed=42))  # the tree works as well as its flat form
    assert first != list(generate_resources(300, flat, seed=43))
    assert list(generate_resources(10, flat)) == list(generate_resources(10, flat, seed=20070329))


def test_synthetic_edge_cases(flat):
    assert list(generate_resources(0, flat)) == []
    with pytest.raises(ValueError):
        list(generate_resources(1, []))
    only = [node for node in flat if node["key"] in ("hn-mzj", "hn-mzj-shjz")]
    entries = list(generate_resources(50, only))
    assert {e["department"] for e in entries} == {"hn-mzj"}
    assert {e.get("provider_unit") for e in entries} <= {None, "社会救助科"}
