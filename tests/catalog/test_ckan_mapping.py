"""The CKAN mapping (catalog/ckan/): names, packages, organizations, groups, and the fq/sort translation."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest

from catalog import ckan
from catalog.errors import ValidationError
from catalog.models import Department, Distribution
from tests.catalog.factories import make_department

ALLOWED = ckan.filter_fields(signed_in=False)
NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


# -- names ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("text", "name"), [
    ("307015/000031", "307015-000031"),
    ("HN-MZJ", "hn-mzj"),
    ("TJJ统计", "tjj"),
    ("  a  b  ", "a-b"),
    ("统计", ""),
    (None, ""),
    ("x" * 300, "x" * 100),
])
def test_ckan_names_are_lowercase_ascii(text, name):
    assert ckan.ckan_name(text) == name


def test_package_names_come_from_the_code_or_the_id():
    assert ckan.name_from(12, "307015/000031") == "307015-000031"
    assert ckan.name_from(12, None) == "resource-12"


@pytest.mark.parametrize(("value", "reference"), [
    ("12", ("id", 12)),
    (" resource-12 ", ("id", 12)),
    ("307015-000031", ("code", "307015/000031")),
    ("307015/000031", ("code", "307015/000031")),
    ("metadata_0123456789abcdef0123456789abcdef", ("code", "metadata_0123456789abcdef0123456789abcdef")),
    ("", None),
    ("   ", None),
])
def test_package_references(value, reference):
    assert ckan.package_reference(value) == reference


def test_organization_names_are_unique_and_fall_back_to_the_id():
    departments = [Department(id=1, key="hn-mzj"), Department(id=2, key="HN-MZJ"), Department(id=3, key="统计"),
                   Department(id=4, key="org-3")]
    assert ckan.organization_names(departments) == {1: "hn-mzj", 2: "org-2", 3: "org-3-2", 4: "org-3"}


# -- values ---------------------------------------------------------------------------------------


def test_timestamps_are_naive_utc_iso():
    aware = datetime(2024, 1, 2, 11, 4, 5, 123456, tzinfo=timezone(timedelta(hours=8)))
    assert ckan.timestamp(aware) == "2024-01-02T03:04:05.123456"
    assert ckan.timestamp(datetime(2024, 1, 2, 3, 4, 5)) == "2024-01-02T03:04:05"
    assert ckan.timestamp(None) is None


@pytest.mark.parametrize(("is_open", "open_type", "license_id", "isopen"), [
    (True, "unconditional", "other-open", True),
    (True, None, "other-open", True),
    (True, "conditional", "mulu-conditionally-open", False),
    (False, None, "other-closed", False),
    (None, None, "notspecified", False),
])
def test_licenses_come_from_the_open_attribute(is_open, open_type, license_id, isopen):
    found = ckan.license_for(is_open, open_type, "en")
    assert (found["license_id"], found["isopen"]) == (license_id, isopen)
    assert found["license_title"]


def test_states():
    assert [ckan.package_state(s) for s in ("published", "withdrawn", "draft", "registered")] == [
        "active", "deleted", "draft", "draft"]


@pytest.mark.parametrize(("kind", "media", "service", "expected"), [
    ("file", "text/csv", None, "CSV"),
    ("file", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", None, "XLSX"),
    ("link", "text/html; charset=utf-8", None, "HTML"),
    ("file", "image/png", None, "PNG"),
    ("file", "application/x-unheard-of", None, "application/x-unheard-of"),
    ("file", "xlsx", None, "XLSX"),
    ("table", "Oracle 表", None, "Oracle 表"),
    ("service", "application/json", "WMS", "WMS"),
    ("service", None, None, "API"),
    ("file", None, None, ""),
])
def test_distribution_formats(kind, media, service, expected):
    assert ckan.distribution_format(kind, media, service) == expected


def test_tag_names():
    assert ckan.tag_names([["人口", "户籍"], None, ["人口", " "], ["Census"]], None) == ["Census", "人口", "户籍"]
    assert ckan.tag_names([["人口", "Census"]], "cen") == ["Census"]


def test_public_open_types_come_from_the_vocabulary(container):
    assert set(ckan.public_open_types(container.vocab)) == {"unconditional", "conditional"}


# -- the package ----------------------------------------------------------------------------------


FULL = dict(
    title="人口基础信息", abstract="全市户籍人口的基本信息。", keywords=["人口", "户籍", "人口"], classification_code="101",
    theme="M", open={"is_open": True, "type": "unconditional"}, share={"type": "有条件共享", "condition": "仅限核查",
                                                                      "method": "1-2"},
    distributions=[
        {"kind": "file", "title": "人口统计表", "url": "https://data.example/pop.csv", "media_type": "text/csv"},
        {"kind": "service", "title": "查询接口", "url": "https://api.example/pop", "service_type": "REST"},
        {"kind": "table", "title": "T_POP", "media_type": "Oracle 表"},
    ],
)


def _package(world, state="published", **overrides):
    resource = world.resource(state, **{**FULL, **overrides})
    organization = ckan.organization_dict(resource.department, "mzj")
    package = ckan.package_dict(resource, profile=world.container.profile, vocab=world.container.vocab,
                                organization=organization, locale="zh_CN", url="https://portal.example/r/1")
    return resource, package


def test_a_published_resource_as_a_package(world):
    resource, package = _package(world)
    assert package["id"] == str(resource.id)
    assert package["name"] == resource.code.replace("/", "-")
    assert (package["title"], package["notes"]) == ("人口基础信息", "全市户籍人口的基本信息。")
    assert (package["state"], package["private"], package["type"]) == ("active", False, "dataset")
    assert (package["license_id"], package["isopen"]) == ("other-open", True)
    assert package["organization"]["name"] == "mzj" and package["owner_org"] == str(resource.department_id)
    assert package["author"] == "淮南市民政局"
    assert [(g["name"], g["title"]) for g in package["groups"]] == [("1", "基础信息资源目录"), ("101", "人口基础信息资源")]
    assert [t["name"] for t in package["tags"]] == ["人口", "户籍"] and package["num_tags"] == 2
    assert [(r["format"], r["resource_type"], r["position"]) for r in package["resources"]] == [
        ("CSV", "file", 0), ("REST", "api", 1), ("Oracle 表", "table", 2)]
    assert package["resources"][0]["mimetype"] == "text/csv"
    assert package["resources"][1]["service_type"] == "REST"
    assert all(r["package_id"] == package["id"] for r in package["resources"])
    assert package["num_resources"] == 3
    assert package["url"] == "https://portal.example/r/1"
    assert package["metadata_modified"] == ckan.timestamp(resource.updated_at)
    json.dumps(package)  # plain JSON values only


def test_extras_carry_the_other_national_fields_as_strings(world):
    resource, package = _package(world)
    extras = {e["key"]: e["value"] for e in package["extras"]}
    assert [e["key"] for e in package["extras"]] == sorted(extras)
    assert all(isinstance(v, str) and v for v in extras.values())
    assert extras["code"] == resource.code and extras["metadata_id"] == resource.metadata_id
    assert extras["share_type"] == "conditional" and extras["share_condition"] == "仅限核查"
    assert extras["open_is_open"] == "true" and extras["theme"] == "M"
    assert extras["source_system"] == "社会救助信息系统" and extras["record_count"] == "12000"  # profile extensions
    assert [item["name"] for item in json.loads(extras["items"])] == ["姓名", "身份证号码", "保障金额"]
    assert not set(extras) & set(package) - {"extras"}


def test_a_draft_is_named_by_its_id_and_not_public(world):
    resource, package = _package(world, "draft", open={"is_open": False})
    assert package["name"] == f"resource-{resource.id}"
    assert (package["state"], package["private"], package["license_id"]) == ("draft", True, "other-closed")


def test_the_package_has_every_key_of_a_real_ckan_package(world, fixtures_dir):
    real = json.loads((fixtures_dir / "ckan-envidat" / "package_show.json").read_text(encoding="utf-8"))["result"]
    search = json.loads((fixtures_dir / "ckan-birmingham" / "package_search.json").read_text(encoding="utf-8"))
    _, package = _package(world)
    assert set(real) & set(search["result"]["results"][0]) - {"revision_id"} <= set(package)
    assert set(real["organization"]) <= set(package["organization"])
    assert set(real["tags"][0]) == set(package["tags"][0])
    assert set(real["resources"][0]) & set(search["result"]["results"][0]["resources"][0]) <= set(
        package["resources"][0])


def test_organizations(session):
    parent = make_department(session, "ck-gov", "某市人民政府", kind="government")
    child = make_department(session, "ck-mzj", "某市民政局", segment="015", parent=parent)
    brief = ckan.organization_dict(child, "ck-mzj")
    assert (brief["id"], brief["name"], brief["title"], brief["is_organization"]) == (
        str(child.id), "ck-mzj", "某市民政局", True)
    assert "package_count" not in brief and "extras" not in brief
    full = ckan.organization_dict(child, "ck-mzj", package_count=3, parent_name="ck-gov", detail=True)
    assert full["package_count"] == 3 and full["groups"] == [{"name": "ck-gov", "capacity": "public"}]
    extras = {e["key"]: e["value"] for e in full["extras"]}
    assert extras["uscc"] == child.uscc and extras["catalog_segment"] == "015" and extras["key"] == "ck-mzj"


def test_groups_are_the_classes_and_items(container):
    concepts = ckan.classification_concepts(container.vocab)
    codes = [c.code for c in concepts]
    assert codes[:2] == ["1", "101"] and "2" in codes and "307" in codes
    assert all(len(code) in (1, 3) for code in codes)
    item = next(c for c in concepts if c.code == "101")
    shown = ckan.group_dict(item, locale="en", package_count=2, detail=True)
    assert (shown["name"], shown["type"], shown["package_count"]) == ("101", "group", 2)
    assert shown["groups"] == [{"name": "1", "capacity": "public"}]
    assert {e["key"] for e in shown["extras"]} == {"level", "uri"}
    assert [g["name"] for g in ckan.classification_groups("307015", container.vocab)] == ["3", "307"]
    assert ckan.classification_groups("", container.vocab) == []


def test_distribution_without_title_or_url():
    data = ckan.resource_dict(Distribution(id=5, kind="table", media_type=None), 0, package_id="1")
    assert (data["id"], data["name"], data["url"], data["format"]) == ("5", "", "", "")


# -- fq, sort and facets --------------------------------------------------------------------------


@pytest.mark.parametrize(("fq", "filters"), [
    ("", {}),
    ("theme:B", {"theme": ("B",)}),
    ("theme:B department:hn-mzj", {"theme": ("B",), "department": ("hn-mzj",)}),
    ('department:"hn mzj"', {"department": ("hn mzj",)}),
    ("+theme:B AND +theme:M", {"theme": ("B", "M")}),
    ('classification:(101 OR "102") ', {"classification": ("101", "102")}),
    ("organization:tjj groups:101", {"department": ("TJJ统计",), "classification": ("101",)}),
    ("organization:other", {"department": ("other",)}),
    ("+dataset_type:dataset capacity:public state:active type:dataset", {}),
    (r"department:hn\-mzj", {"department": ("hn-mzj",)}),
    ('department:"say \\"hi\\""', {"department": ('say "hi"',)}),
])
def test_fq_is_read_as_facet_filters(fq, filters):
    found = ckan.parse_fq(fq, ALLOWED, organizations={"tjj": "TJJ统计"}, now=NOW)
    assert found.filters == filters and found.modified is None


def test_fq_metadata_modified_ranges():
    found = ckan.parse_fq("metadata_modified:[2024-01-01T00:00:00Z TO *] theme:B", ALLOWED, now=NOW)
    assert found.filters == {"theme": ("B",)}
    span = found.modified
    assert span.start == datetime(2024, 1, 1, tzinfo=UTC) and span.end is None and span.include_start
    assert datetime(2024, 1, 1) in span and datetime(2023, 12, 31) not in span
    assert span.before(datetime(2023, 12, 31)) and not span.after(datetime(2030, 1, 1))
    week = ckan.parse_fq("metadata_modified:{NOW-7DAYS TO NOW}", ALLOWED, now=NOW).modified
    assert (week.start, week.end, week.include_start, week.include_end) == (NOW - timedelta(days=7), NOW, False,
                                                                           False)
    assert NOW not in week and NOW - timedelta(days=1) in week and week.after(NOW)
    assert ckan.parse_fq("metadata_modified:[2024-01-01 TO NOW+2HOURS]", ALLOWED, now=NOW).modified.end == (
        NOW + timedelta(hours=2))
    assert None not in ckan.ModifiedRange()


@pytest.mark.parametrize("fq", [
    "unknown:x", "tags:人口", "status:draft", "-theme:B", "theme:B OR theme:M", "NOT theme:B", "theme:B*",
    "theme:?", "人口", "theme:", 'theme:"open', "classification:(101 AND 102)", "classification:()",
    "metadata_modified:2024", "metadata_modified:[yesterday TO *]", "metadata_modified:[* TO *] "
    "metadata_modified:[* TO *]", "theme:[A TO B]", "theme:B " * 51, "x" * 4001,
])
def test_fq_outside_the_subset_is_refused(fq):
    with pytest.raises(ValidationError) as refused:
        ckan.parse_fq(fq, ALLOWED, now=NOW)
    assert "fq" in refused.value.fields


def test_status_is_a_filter_for_signed_in_callers_only():
    assert ckan.parse_fq("status:draft", ckan.filter_fields(signed_in=True)).filters == {"status": ("draft",)}
    assert "status" not in ALLOWED


@pytest.mark.parametrize(("sort", "ours"), [
    (None, "relevance"),
    ("", "relevance"),
    ("score desc, metadata_modified desc", "relevance"),
    ("metadata_modified desc", "updated"),
    ("  Metadata_Modified   DESC ", "updated"),
    ("title_string asc", "title"),
    ("name asc", "title"),
    ("id asc", "title"),
    ("updated", "updated"),
])
def test_sorts(sort, ours):
    assert ckan.search_sort(sort) == ours


@pytest.mark.parametrize("sort", ["title_string desc", "views_recent desc", "metadata_created asc", "score"])
def test_unsupported_sorts_are_refused(sort):
    with pytest.raises(ValidationError) as refused:
        ckan.search_sort(sort)
    assert "sort" in refused.value.fields


def test_facet_fields():
    assert ckan.facet_field("organization", ALLOWED) == "department"
    assert ckan.facet_field("groups", ALLOWED) == "classification"
    assert ckan.facet_field("theme", ALLOWED) == "theme"
    for unknown in ("tags", "res_format", "status"):
        with pytest.raises(ValidationError):
            ckan.facet_field(unknown, ALLOWED)
