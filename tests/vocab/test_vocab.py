"""Tests of the vocabulary layer: shipped SKOS data, lookups, serialisations and loading errors."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from rdflib import Literal, URIRef
from rdflib.namespace import SKOS

from vocab import (
    MULU,
    Concept,
    ConceptScheme,
    VocabularyError,
    VocabularyRegistry,
    concept_uri,
    default_registry,
    load_registry,
    normalize_label,
    scheme_name_from_uri,
)
from vocab.registry import shipped_files

EXPECTED_COUNTS = {
    "data_scope": 2,
    "division": 8,
    "format": 51,
    "item_data_type": 11,
    "open_type": 3,
    "resource_classification": 28,
    "secrecy": 2,
    "share_method": 6,
    "share_type": 3,
    "theme": 20,
    "update_cycle": 9,
}

PREFIXES = """\
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix dct: <http://purl.org/dc/terms/> .
@prefix mulu: <https://mulu.example.org/ns#> .
@prefix t: <https://mulu.example.org/vocab/test_list/> .
"""

VALID = (
    PREFIXES
    + """
t: a skos:ConceptScheme ; skos:prefLabel "测试"@zh, "Test"@en ; dct:description "A test list."@en .
t:1 a skos:Concept ; skos:inScheme t: ; skos:topConceptOf t: ; skos:notation "1" ;
    skos:prefLabel "甲"@zh, "A"@en ; skos:altLabel "甲类"@zh ; mulu:key "a" .
t:1-1 a skos:Concept ; skos:inScheme t: ; skos:broader t:1 ; skos:notation "1-1" ;
    skos:prefLabel "甲一"@zh, "A one"@en .
"""
)


@pytest.fixture(scope="module")
def registry() -> VocabularyRegistry:
    return default_registry()


def write(tmp_path: Path, text: str, name: str = "test_list.ttl") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# ---------------------------------------------------------------- shipped data


def test_every_shipped_file_is_one_scheme_named_after_the_file(registry):
    assert registry.names() == sorted(EXPECTED_COUNTS)
    assert shipped_files() == [f"{name}.ttl" for name in sorted(EXPECTED_COUNTS)]
    for name in registry.names():
        assert registry.get(name).uri == f"https://mulu.example.org/vocab/{name}/"


@pytest.mark.parametrize(("name", "count"), sorted(EXPECTED_COUNTS.items()))
def test_shipped_scheme_sizes(registry, name, count):
    assert len(registry.get(name).concepts) == count


def test_every_concept_has_zh_and_en_labels_and_a_conventional_uri(registry):
    for scheme in registry:
        assert scheme.labels.get("zh") and scheme.labels.get("en"), scheme.name
        assert scheme.description.get("zh") and scheme.description.get("en"), scheme.name
        for concept in scheme:
            assert concept.labels.get("zh") and concept.labels.get("en"), (scheme.name, concept.code)
            assert concept.uri == concept_uri(scheme.uri, concept.code)
            assert concept.scheme == scheme.name


def test_no_two_concepts_of_a_scheme_share_a_lookup_text(registry):
    for scheme in registry:
        owner: dict[str, str] = {}
        for concept in scheme:
            for text in {
                normalize_label(t) for t in (concept.code, *concept.labels.values(), *concept.alt_labels)
            }:
                assert owner.setdefault(text, concept.code) == concept.code, (scheme.name, text)


def test_resource_classification_tree(registry):
    scheme = registry.get("resource_classification")
    assert [c.code for c in scheme.top_concepts()] == ["1", "2", "3"]
    assert [c.code for c in scheme.children("1")] == ["101", "102", "103", "104", "105"]
    assert [c.code for c in scheme.children("2")] == [str(n) for n in range(201, 213)]
    assert [c.code for c in scheme.children("3")] == [str(n) for n in range(301, 309)]
    assert scheme.get("307").label() == "省（自治区、直辖市）及其下各级政务部门"
    assert scheme.get("1").narrower == ("101", "102", "103", "104", "105")
    assert [c.code for c in scheme.ancestors("307")] == ["3"]
    assert scheme.ancestors("3") == ()
    assert scheme.children("101") == ()
    assert scheme.find("应急保障").code == "212"
    assert scheme.by_property("key", "department")[0].code == "3"


def test_ancestors_are_nearest_first(registry):
    scheme = registry.get("format")
    assert [c.code for c in scheme.ancestors("2-03")] == ["2"]
    grand = ConceptScheme(
        name="deep",
        uri="https://mulu.example.org/vocab/deep/",
        labels={"zh": "深"},
        concepts=(
            Concept("deep", "a", "u:a", {"zh": "甲"}),
            Concept("deep", "ab", "u:ab", {"zh": "乙"}, broader="a"),
            Concept("deep", "abc", "u:abc", {"zh": "丙"}, broader="ab"),
        ),
    )
    assert [c.code for c in grand.ancestors("abc")] == ["ab", "a"]


def test_theme_codes_follow_the_guide_order(registry):
    scheme = registry.get("theme")
    assert [c.code for c in scheme] == [chr(ord("A") + i) for i in range(20)]
    assert scheme.get("C").label("zh") == "国土资源、能源"
    assert scheme.get("T").label("zh") == "综合党团"
    assert scheme.find("工业、交通、邮政").code == "D"


def test_concepts_are_in_natural_notation_order(registry):
    codes = [c.code for c in registry.get("format")]
    assert codes[:3] == ["1", "1-01", "1-02"]
    assert codes.index("1-09") < codes.index("1-10") < codes.index("2")
    assert codes[-1] == "9"


def test_update_cycles_have_eu_matches_and_max_days(registry):
    scheme = registry.get("update_cycle")
    assert [c.label("zh") for c in scheme] == [
        "实时",
        "每日",
        "每周",
        "每月",
        "每季度",
        "每半年",
        "每年",
        "不定期",
        "其他",
    ]
    assert scheme.get("2").exact_match == (
        "http://publications.europa.eu/resource/authority/frequency/DAILY",
    )
    assert scheme.get("6").exact_match == (
        "http://publications.europa.eu/resource/authority/frequency/ANNUAL_2",
    )
    assert {c.code: c.properties.get("maxDays") for c in scheme} == {
        "1": None, "2": 1, "3": 7, "4": 31, "5": 92, "6": 183, "7": 366, "8": None, "9": None,
    }  # fmt: skip
    assert scheme.get("4").properties["maxDays"] == 31 and isinstance(
        scheme.get("4").properties["maxDays"], int
    )


def test_division_tree_and_note(registry):
    scheme = registry.get("division")
    assert [c.code for c in scheme.top_concepts()] == ["340400"]
    assert [c.code for c in scheme.children("340400")] == [
        "340402", "340403", "340404", "340405", "340406", "340421", "340422",
    ]  # fmt: skip
    shou = scheme.find("寿县")
    assert shou.code == "340422"
    assert shou.properties == {"level": "county", "formerCode": "341521"}
    assert "2015" in shou.notes["zh"][0] and "2015" in shou.notes["en"][0]
    assert [c.code for c in scheme.by_property("level", "district")] == [
        "340402",
        "340403",
        "340404",
        "340405",
        "340406",
    ]


# ---------------------------------------------------------------- lookups


@pytest.mark.parametrize(
    ("scheme", "text", "code"),
    [
        ("open_type", "无条件开发", "1"),
        ("open_type", "普遍开放", "1"),
        ("open_type", "依申请开放", "2"),
        ("open_type", "有条件开发", "2"),
        ("open_type", "不向公众开放", "3"),
        ("update_cycle", "每天", "2"),
        ("update_cycle", " 每日 ", "2"),
        ("update_cycle", "实时更新", "1"),
        ("update_cycle", "年度", "7"),
        ("update_cycle", "Quarterly", "5"),
        ("update_cycle", "自定义", "9"),
        ("format", "ＸＬＳＸ", "2-03"),
        ("format", "xls", "2-02"),
        ("format", "SQL Server", "3-08"),
        ("format", "sqlserver", "3-08"),
        ("format", "sysbase", "3-06"),
        ("format", "api", "7"),
        ("format", "达梦", "3-01"),
        ("share_method", "拷盘", "3"),
        ("share_method", "介质交换(纸质报表)", "3"),
        ("share_method", "共享平台方式/文件", "1-3"),
        ("share_type", "有条件共享", "2"),
        ("share_type", "2", "2"),
        ("item_data_type", "c", "C"),
        ("item_data_type", "日期时间型", "T"),
        ("resource_classification", "省(自治区、直辖市)及其下各级政务部门", "307"),
        ("resource_classification", "Base information resource catalogue", "1"),
        ("division", "３４０４０２", "340402"),
        ("data_scope", "县（区）级", "2"),
        ("secrecy", "非涉密", "1"),
    ],
)
def test_find_by_code_label_and_alt_label(registry, scheme, text, code):
    found = registry.get(scheme).find(text)
    assert found is not None, text
    assert found.code == code


def test_find_misses_return_none(registry):
    scheme = registry.get("update_cycle")
    assert scheme.find("每两年") is None
    assert scheme.find("") is None
    assert scheme.find("   ") is None
    assert scheme.find(None) is None


def test_get_and_contains_are_exact(registry):
    scheme = registry.get("share_type")
    assert scheme.get("1").label("zh") == "无条件共享"
    assert scheme.get("无条件共享") is None
    assert "1" in scheme and "4" not in scheme
    with pytest.raises(VocabularyError, match="share_type.*'4'"):
        scheme.children("4")
    with pytest.raises(VocabularyError, match="'4'"):
        scheme.ancestors("4")


def test_label_falls_back_to_zh_then_en():
    concept = Concept("s", "1", "u:1", {"zh": "甲", "en": "A"})
    assert concept.label() == "甲"
    assert concept.label("en") == "A"
    assert concept.label("fr") == "甲"
    assert Concept("s", "1", "u:1", {"en": "A"}).label("fr") == "A"


def test_normalize_label():
    assert normalize_label("  ＳＱＬ　Server ") == "sqlserver"
    assert normalize_label("介质交换（电子文档）") == "介质交换(电子文档)"


# ---------------------------------------------------------------- properties


def test_share_and_open_keys(registry):
    share = registry.get("share_type")
    assert {c.code: c.properties["key"] for c in share} == {
        "1": "unconditional",
        "2": "conditional",
        "3": "not_shared",
    }
    assert share.by_property("key", "not_shared")[0].label("zh") == "不予共享"
    assert share.get("2").properties["conditionRequired"] is True
    assert share.get("3").properties["basisRequired"] is True
    assert share.get("1").definition["zh"].startswith("可提供给所有政务部门")
    opening = registry.get("open_type")
    assert {c.code: c.properties["key"] for c in opening} == {
        "1": "unconditional",
        "2": "conditional",
        "3": "not_open",
    }
    assert [c.code for c in opening.by_property("open", True)] == ["1", "2"]
    assert opening.get("3").exact_match == (
        "http://publications.europa.eu/resource/authority/access-right/NON_PUBLIC",
    )


def test_structured_formats_and_length_required(registry):
    formats = registry.get("format")
    assert [c.code for c in formats.by_property("structured", True)] == ["2", "3"]
    assert [c.code for c in formats.by_property("descriptionRequired", True)] == ["6", "9"]
    assert [c.code for c in formats.children("2")] == ["2-01", "2-02", "2-03", "2-04"]
    assert formats.get("3-06").labels["en"] == "Sybase"
    types = registry.get("item_data_type")
    assert [c.code for c in types.by_property("lengthRequired", True)] == ["C", "N"]
    assert types.by_property("lengthRequired", 1) == ()


# ---------------------------------------------------------------- serialisation


def test_to_json_shape_survives_json(registry):
    scheme = registry.get("share_method")
    data = scheme.to_json()
    assert json.loads(json.dumps(data, ensure_ascii=False)) == data
    assert set(data) == {"name", "uri", "labels", "description", "concepts"}
    assert data["name"] == "share_method" and data["labels"]["zh"] == "共享方式"
    first = data["concepts"][0]
    assert {"code", "uri", "labels", "alt_labels", "broader", "narrower", "properties"} <= set(first)
    assert first["code"] == "1" and first["narrower"] == ["1-1", "1-2", "1-3"] and first["broader"] is None
    assert [c["code"] for c in data["concepts"]] == [c.code for c in scheme]
    child = data["concepts"][1]
    assert child["code"] == "1-1" and child["broader"] == "1"


def test_to_json_in_one_language(registry):
    data = registry.get("share_type").to_json(lang="en")
    assert data["label"] == "Share type"
    first = data["concepts"][0]
    assert first["label"] == "Unconditional sharing"
    assert first["alt_labels"] == ["unconditional"]
    assert first["properties"] == {"key": "unconditional"}
    assert first["definition"].startswith("May be provided")


def test_to_graph_holds_the_skos_triples_and_loads_back_equal(registry, tmp_path):
    scheme = registry.get("update_cycle")
    graph = scheme.to_graph()
    daily = URIRef("https://mulu.example.org/vocab/update_cycle/2")
    assert (daily, SKOS.notation, Literal("2")) in graph
    assert (daily, SKOS.prefLabel, Literal("每日", lang="zh")) in graph
    assert (daily, SKOS.altLabel, Literal("每天", lang="zh")) in graph
    assert (daily, MULU.maxDays, Literal(1)) in graph
    assert (daily, SKOS.topConceptOf, URIRef(scheme.uri)) in graph
    assert len(set(graph.objects(None, SKOS.notation))) == len(scheme)
    path = write(tmp_path, graph.serialize(format="turtle"), "update_cycle.ttl")
    assert VocabularyRegistry().load_file(path) == scheme


def test_every_shipped_scheme_round_trips_through_its_graph(registry, tmp_path):
    for scheme in registry:
        path = write(tmp_path, scheme.to_graph().serialize(format="turtle"), f"{scheme.name}.ttl")
        assert VocabularyRegistry().load_file(path) == scheme, scheme.name


# ---------------------------------------------------------------- registry and loading


def test_unknown_scheme_names_the_scheme(registry):
    with pytest.raises(VocabularyError, match="'colour'"):
        registry.get("colour")


def test_load_valid_file(tmp_path):
    scheme = VocabularyRegistry().load_file(write(tmp_path, VALID))
    assert scheme.name == "test_list"
    assert scheme.description == {"en": "A test list."}
    assert [c.code for c in scheme] == ["1", "1-1"]
    assert scheme.get("1").narrower == ("1-1",)
    assert scheme.get("1").alt_labels == ("甲类",)
    assert scheme.find("甲类").properties == {"key": "a"}


def test_narrower_alone_defines_the_hierarchy(tmp_path):
    text = (
        PREFIXES
        + """
t: a skos:ConceptScheme ; skos:prefLabel "测试"@zh .
t:1 a skos:Concept ; skos:notation "1" ; skos:prefLabel "甲"@zh ; skos:narrower t:2 .
t:2 a skos:Concept ; skos:notation "2" ; skos:prefLabel "乙"@zh .
"""
    )
    scheme = VocabularyRegistry().load_file(write(tmp_path, text))
    assert scheme.get("2").broader == "1"
    assert [c.code for c in scheme.top_concepts()] == ["1"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (PREFIXES + 't: a skos:ConceptScheme ; skos:prefLabel "x"@zh', "not valid turtle"),
        (
            PREFIXES + 't:1 a skos:Concept ; skos:notation "1" ; skos:prefLabel "甲"@zh .',
            "no skos:ConceptScheme",
        ),
        (
            PREFIXES
            + 't: a skos:ConceptScheme ; skos:prefLabel "测试"@zh .\n'
            + '<https://mulu.example.org/vocab/other/> a skos:ConceptScheme ; skos:prefLabel "别"@zh .',
            "one skos:ConceptScheme per file",
        ),
        (
            PREFIXES
            + 't: a skos:ConceptScheme ; skos:prefLabel "测试"@zh .\nt:1 a skos:Concept ; skos:prefLabel "甲"@zh .',
            "has no skos:notation",
        ),
        (
            PREFIXES
            + 't: a skos:ConceptScheme ; skos:prefLabel "测试"@zh .\n'
            + 't:a a skos:Concept ; skos:notation "1" ; skos:prefLabel "甲"@zh .\n'
            + 't:b a skos:Concept ; skos:notation "1" ; skos:prefLabel "乙"@zh .',
            "duplicate notation '1' in scheme 'test_list'",
        ),
        (
            PREFIXES
            + 't: a skos:ConceptScheme ; skos:prefLabel "测试"@zh .\n'
            + 't:1 a skos:Concept ; skos:notation "1" ; skos:prefLabel "A"@en .',
            "concept '1' has no skos:prefLabel in @zh",
        ),
        (
            PREFIXES
            + 't: a skos:ConceptScheme ; skos:prefLabel "测试"@zh .\n'
            + 't:1 a skos:Concept ; skos:notation "1" ; skos:prefLabel "甲"@zh ; skos:broader t:9 .',
            "concept '1' has broader <https://mulu.example.org/vocab/test_list/9>, which is not a concept",
        ),
        (
            PREFIXES
            + 't: a skos:ConceptScheme ; skos:prefLabel "测试"@zh .\n'
            + 't:1 a skos:Concept ; skos:notation "1" ; skos:prefLabel "甲"@zh ; skos:broader t:2 .\n'
            + 't:2 a skos:Concept ; skos:notation "2" ; skos:prefLabel "乙"@zh ; skos:broader t:1 .',
            "broader cycle",
        ),
        (
            PREFIXES
            + 't: a skos:ConceptScheme ; skos:prefLabel "测试"@zh .\n'
            + 't:1 a skos:Concept ; skos:notation "1" ; skos:prefLabel "甲"@zh, "乙"@zh .',
            "two prefLabel values in language 'zh'",
        ),
        (
            PREFIXES
            + 't: a skos:ConceptScheme ; skos:prefLabel "测试"@zh .\n'
            + 't:1 a skos:Concept ; skos:notation "1" ; skos:prefLabel "甲"@zh ; mulu:key "a", "b" .',
            "several values for mulu:key",
        ),
        (
            PREFIXES
            + 't: a skos:ConceptScheme ; skos:prefLabel "测试"@zh .\n'
            + 't:1 a skos:Concept ; skos:notation "1" ; skos:prefLabel "甲"@zh ;\n'
            + "    skos:inScheme <https://mulu.example.org/vocab/other/> .",
            "is in scheme <https://mulu.example.org/vocab/other/>",
        ),
        (
            PREFIXES
            + 't: a skos:ConceptScheme ; skos:prefLabel "测试"@zh .\n'
            + 't:1 a skos:Concept ; skos:notation "1" ; skos:prefLabel "甲"@zh .\n'
            + 't:2 a skos:Concept ; skos:notation "2" ; skos:prefLabel "乙"@zh .\n'
            + 't:3 a skos:Concept ; skos:notation "3" ; skos:prefLabel "丙"@zh ; skos:broader t:1, t:2 .',
            "concept '3' has several broader concepts",
        ),
        (
            PREFIXES.replace("test_list/", "Bad-Name/")
            + 't: a skos:ConceptScheme ; skos:prefLabel "测试"@zh .',
            "cannot derive a scheme name",
        ),
        (
            PREFIXES + 't: a skos:ConceptScheme ; skos:prefLabel "Test"@en .',
            "scheme <.*> has no skos:prefLabel in @zh",
        ),
    ],
)
def test_load_errors_name_the_file_and_the_problem(tmp_path, text, message):
    path = write(tmp_path, text)
    registry = VocabularyRegistry()
    with pytest.raises(VocabularyError, match=message) as info:
        registry.load_file(path)
    assert str(info.value).startswith(str(path))
    assert registry.names() == []


def test_missing_file_is_a_vocabulary_error(tmp_path):
    with pytest.raises(VocabularyError, match="cannot read"):
        VocabularyRegistry().load_file(tmp_path / "absent.ttl")


def test_a_failed_load_keeps_the_previous_scheme(tmp_path):
    registry = load_registry()
    before = registry.get("share_type")
    bad = PREFIXES.replace("test_list", "share_type") + 't: a skos:ConceptScheme ; skos:prefLabel "x"@en .'
    with pytest.raises(VocabularyError):
        registry.load_file(write(tmp_path, bad, "share_type.ttl"))
    assert registry.get("share_type") is before


def test_reimport_replaces_a_shipped_scheme(tmp_path):
    override = (
        PREFIXES.replace("test_list", "update_cycle")
        + """
t: a skos:ConceptScheme ; skos:prefLabel "更新周期（本地）"@zh, "Local update cycle"@en .
t:1 a skos:Concept ; skos:notation "1" ; skos:prefLabel "每两年"@zh, "Biennial"@en ; mulu:maxDays 731 .
"""
    )
    path = write(tmp_path, override, "my_cycles.ttl")
    registry = load_registry([path])
    scheme = registry.get("update_cycle")
    assert scheme.label("en") == "Local update cycle"
    assert [c.code for c in scheme] == ["1"]
    assert scheme.find("每两年").properties["maxDays"] == 731
    assert registry.names() == sorted(EXPECTED_COUNTS)
    assert default_registry().get("update_cycle").find("每日").code == "2"
    assert len(default_registry().get("update_cycle")) == 9


def test_extra_files_add_new_schemes_and_later_files_win(tmp_path):
    first = write(tmp_path, VALID, "a.ttl")
    second = write(tmp_path, VALID.replace('"甲"@zh', '"甲（新）"@zh'), "b.ttl")
    registry = load_registry([first, str(second)])
    assert "test_list" in registry
    assert registry.get("test_list").get("1").label() == "甲（新）"
    assert "test_list" not in default_registry()


def test_default_registry_is_cached():
    assert default_registry() is default_registry()


def test_shipped_files_parse_quickly():
    started = time.perf_counter()
    default_registry.__wrapped__()
    assert time.perf_counter() - started < 2.0


def test_scheme_name_from_uri():
    assert scheme_name_from_uri("https://mulu.example.org/vocab/theme/") == "theme"
    assert scheme_name_from_uri("https://example.org/lists/update_cycle") == "update_cycle"
    with pytest.raises(VocabularyError):
        scheme_name_from_uri("https://example.org/")


def test_scheme_construction_rejects_inconsistent_concepts():
    with pytest.raises(VocabularyError, match="duplicate codes"):
        ConceptScheme("s", "u:", {"zh": "s"}, concepts=(Concept("s", "1", "u:1", {"zh": "甲"}),) * 2)
    with pytest.raises(VocabularyError, match="unknown broader"):
        ConceptScheme("s", "u:", {"zh": "s"}, concepts=(Concept("s", "1", "u:1", {"zh": "甲"}, broader="0"),))


def test_concept_uri_encodes_slashes():
    assert concept_uri("https://mulu.example.org/vocab/x/", "1/2") == "https://mulu.example.org/vocab/x/1%2F2"
    assert concept_uri("https://mulu.example.org/vocab/x/", "1-02") == "https://mulu.example.org/vocab/x/1-02"
