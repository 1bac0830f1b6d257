"""The CKAN Action API through the real ``ckanapi`` client against a running Mulu server (werkzeug, own thread).

The catalog is small and built through the services: three published resources open to the public,
and resources that must never reach anonymous callers (not open, 不予共享, draft, registered,
withdrawn), each with a keyword and a title word of its own so a leak shows in every listing.
"""

from __future__ import annotations

import json
import re
import threading
from dataclasses import dataclass, field
from datetime import datetime

import ckanapi
import pytest
import requests
from argon2 import PasswordHasher
from sqlalchemy import select
from werkzeug.serving import make_server

from catalog.actor import Actor
from catalog.config import Settings
from catalog.container import Container
from catalog.models import User
from catalog.schema_setup import reset_database
from catalog.services.resource import ResourceService
from catalog.services.token import TokenService
from tests.catalog.factories import WORKFLOW_PATHS, advance, make_department, make_user, resource_input
from tests.clitools import throwaway_database
from web import create_app

PASSWORD = "correct horse battery"
OPEN = {"is_open": True, "type": "unconditional"}
CONDITIONALLY_OPEN = {"is_open": True, "type": "conditional", "condition": "注册后开放"}
CLOSED = {"is_open": False}
UNCONDITIONAL = {"type": "unconditional", "method": "1-3"}
NOT_SHARED = {"type": "not_shared", "basis": "《中华人民共和国保守国家秘密法》", "method": "3"}
DISTRIBUTIONS = [
    {"kind": "file", "title": "人口统计表", "url": "https://data.example/pop.csv", "media_type": "text/csv"},
    {"kind": "service", "title": "人口查询接口", "url": "https://api.example/pop", "service_type": "REST",
     "media_type": "application/json"},
]
# name → (department, state, overrides); the first three are public, the rest must stay hidden.
SPECS = {
    "population": ("mzj", "published", dict(
        title="人口基础信息", abstract="全市户籍人口和常住人口的基本信息。", keywords=["人口", "户籍"],
        classification_code="101", theme="M", share=UNCONDITIONAL, open=OPEN, distributions=DISTRIBUTIONS)),
    "migrants": ("rsj", "published", dict(
        title="流动人口就业信息", abstract="流动人口的就业登记。", keywords=["人口", "就业"], theme="B",
        share=UNCONDITIONAL, open=CONDITIONALLY_OPEN)),
    "yearbook": ("tjj", "published", dict(
        title="统计年鉴数据", abstract="历年统计年鉴。", keywords=["统计", "年鉴"], theme="B", share=UNCONDITIONAL,
        open=OPEN, update_cycle="每年")),
    "private": ("mzj", "published", dict(
        title="低保人口核查信息", keywords=["隐秘甲"], open=CLOSED)),
    "secret": ("mzj", "published", dict(
        title="涉密人口审批记录", keywords=["隐秘乙"], share=NOT_SHARED, open=CLOSED)),
    "draft": ("mzj", "draft", dict(title="人口普查草稿", keywords=["隐秘丙"], open=OPEN)),
    "registered": ("rsj", "registered", dict(title="已注册人口名册", keywords=["隐秘丁"], open=OPEN)),
    "withdrawn": ("rsj", "withdrawn", dict(title="已撤销人口名册", keywords=["隐秘戊"], open=OPEN)),
}
PUBLIC = ("population", "migrants", "yearbook")
HIDDEN = tuple(name for name in SPECS if name not in PUBLIC)
_TOKEN = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


@dataclass
class Site:
    """The running server and what was put in it."""

    url: str
    container: Container
    ids: dict[str, int] = field(default_factory=dict)
    codes: dict[str, str | None] = field(default_factory=dict)

    def ckan(self, **kwargs) -> ckanapi.RemoteCKAN:
        return ckanapi.RemoteCKAN(self.url, **kwargs)

    def name(self, key: str) -> str:
        code = self.codes[key]
        return code.replace("/", "-") if code else f"resource-{self.ids[key]}"

    def signed_in(self, username: str) -> ckanapi.RemoteCKAN:
        """A client whose requests carry the session cookie of a user signed in through the login form."""
        http = requests.Session()
        token = _TOKEN.search(http.get(f"{self.url}/login").text).group(1)
        response = http.post(f"{self.url}/login", data={"username": username, "password": PASSWORD,
                                                        "csrf_token": token}, allow_redirects=False)
        assert response.status_code == 302, response.text[:500]
        return ckanapi.RemoteCKAN(self.url, session=http)


def _populate(container: Container) -> tuple[dict[str, int], dict[str, str | None]]:
    with container.unit_of_work() as session:
        gov = make_department(session, "ck-gov", "某市人民政府", segment="001", kind="government")
        departments = {
            "mzj": make_department(session, "ck-mzj", "某市民政局", segment="015", parent=gov),
            "rsj": make_department(session, "ck-rsj", "某市人力资源和社会保障局", segment="016", parent=gov),
            # A key that is not a CKAN name: its organization is named "tjj".
            "tjj": make_department(session, "TJJ统计", "某市统计局", segment="020", parent=gov),
        }
        make_department(session, "ck-mzj-jz", "社会救助科", kind="internal_unit", parent=departments["mzj"])
        make_user(container, session, "officer.mzj", "officer", department=departments["mzj"])
        make_user(container, session, "officer.rsj", "officer", department=departments["rsj"])
        service = ResourceService(container, session, Actor.system("test"))
        ids, codes = {}, {}
        for name, (department, state, overrides) in SPECS.items():
            resource = service.create(resource_input(departments[department], **overrides))
            resource = advance(service, resource.id, WORKFLOW_PATHS[state])
            ids[name], codes[name] = resource.id, resource.code
    return ids, codes


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    directory = tmp_path_factory.mktemp("ckan")
    with pytest.MonkeyPatch.context() as patch, throwaway_database(directory, "ckan") as url:
        patch.setattr("catalog.services.user._hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
        # The API's rate limits (web/api/limits.py) cover this blueprint; these tests call it a few hundred times.
        settings = Settings(instance_path=directory / "instance", database_url=url,
                            api_rate_limit="100000 per minute", api_write_rate_limit="100000 per minute")
        container = Container.from_settings(settings)
        reset_database(container.engine)
        ids, codes = _populate(container)
        server = make_server("127.0.0.1", 0, create_app(container=container), threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield Site(f"http://127.0.0.1:{server.server_port}", container, ids, codes)
        finally:
            server.shutdown()
            thread.join(timeout=10)
            container.dispose()


@pytest.fixture(scope="module")
def ck(site) -> ckanapi.RemoteCKAN:
    return site.ckan()


def names(packages) -> set[str]:
    return {p["name"] for p in packages}


def public_names(site) -> set[str]:
    return {site.name(key) for key in PUBLIC}


# -- the site and listings ------------------------------------------------------------------------


def test_status_show_and_the_api_root(site, ck):
    status = ck.action.status_show()
    assert status["ckan_version"].startswith("2.")
    assert status["site_url"] == site.url
    assert status["site_title"]
    assert requests.get(f"{site.url}/api/3").json() == {"version": 3}


def test_package_list_names_the_public_packages_from_their_codes(site, ck):
    listed = ck.action.package_list()
    assert set(listed) == public_names(site)
    assert listed == sorted(listed)
    assert all(re.fullmatch(r"[a-z0-9_-]{2,100}", name) for name in listed)
    assert ck.action.package_list(limit=1, offset=1) == listed[1:2]


def test_both_addresses_answer_get_and_post(site):
    post = site.ckan()  # ckanapi's default: POST a JSON body to /api/action/…
    get = site.ckan(get_only=True)
    get.base_url = "api/3/action/"
    assert post.action.package_list() == get.action.package_list()
    response = requests.get(f"{site.url}/api/3/action/package_list")
    assert response.headers["Content-Type"].startswith("application/json")
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    body = response.json()
    assert body["success"] is True
    assert body["help"].endswith("/api/3/action/help_show?name=package_list")


def test_current_package_list_with_resources_is_newest_first_and_paged(site, ck):
    first = ck.action.current_package_list_with_resources(limit=2)
    rest = ck.action.current_package_list_with_resources(limit=2, offset=2)
    everything = first + rest
    assert names(everything) == public_names(site) and len(everything) == 3
    modified = [p["metadata_modified"] for p in everything]
    assert modified == sorted(modified, reverse=True)
    assert all("resources" in p for p in everything)


# -- package_search -------------------------------------------------------------------------------


def test_search_by_text(site, ck):
    found = ck.action.package_search(q="人口")
    assert found["count"] == 2
    assert names(found["results"]) == {site.name("population"), site.name("migrants")}
    assert set(found) == {"count", "facets", "results", "sort", "search_facets"}
    assert ck.action.package_search(q="*:*")["count"] == 3


@pytest.mark.parametrize(("fq", "expected"), [
    ("theme:B", {"migrants", "yearbook"}),
    ("theme:B organization:ck-rsj", {"migrants"}),
    ('organization:"ck-mzj"', {"population"}),
    ("+organization:tjj", {"yearbook"}),  # the organization's name, not the department's key
    ("organization:ck-gov", set(PUBLIC)),  # a department counts the bodies below it
    ("groups:101", {"population"}),
    ("classification:(101 OR 307)", set(PUBLIC)),
    ("+dataset_type:dataset AND theme:M", {"population"}),
    ("open_type:conditional", {"migrants"}),
    ("theme:B theme:M", set(PUBLIC)),  # values of one field are alternatives
    ("department:nothing-here", set()),
])
def test_search_filters(site, ck, fq, expected):
    found = ck.action.package_search(fq=fq, rows=100)
    assert names(found["results"]) == {site.name(key) for key in expected}
    assert found["count"] == len(expected)


def test_paging_with_rows_start_and_sort(site, ck):
    pages = [ck.action.package_search(rows=1, start=start, sort="title_string asc") for start in range(4)]
    assert [page["count"] for page in pages] == [3, 3, 3, 3]
    seen = [p["name"] for page in pages for p in page["results"]]
    assert len(seen) == 3 and set(seen) == public_names(site)
    newest = ck.action.package_search(sort="metadata_modified desc", rows=3)["results"]
    modified = [p["metadata_modified"] for p in newest]
    assert modified == sorted(modified, reverse=True)
    assert ck.action.package_search(sort="name asc", rows=3)["count"] == 3
    assert ck.action.package_search(rows=0)["results"] == []
    huge = ck.action.package_search(rows=10**12)  # capped, not refused
    assert len(huge["results"]) == 3
    assert ck.action.package_search(start=10**12)["results"] == []


def test_facets_like_ckan(site, ck):
    found = ck.action.package_search(facet_field=["organization", "theme", "groups"], rows=0)
    assert set(found["search_facets"]) == {"organization", "theme", "groups"}
    organizations = {item["name"]: item for item in found["search_facets"]["organization"]["items"]}
    assert organizations["ck-gov"]["count"] == 3
    assert organizations["ck-mzj"]["count"] == 1
    assert organizations["tjj"]["display_name"] == "某市统计局"
    assert found["facets"]["theme"] == {"B": 2, "M": 1}
    assert found["search_facets"]["theme"]["title"] == "theme"
    assert {"name", "display_name", "count"} == set(found["search_facets"]["groups"]["items"][0])
    assert found["facets"]["groups"]["1"] == 1 and found["facets"]["groups"]["101"] == 1
    # GET with facet.field as a JSON string, as CKAN's own front end sends it.
    response = requests.get(f"{site.url}/api/3/action/package_search",
                            params={"facet.field": json.dumps(["theme"]), "facet.limit": 1})
    assert response.json()["result"]["facets"] == {"theme": {"B": 2}}
    # And repeated parameters, as ckanapi's GET mode sends a list.
    get = site.ckan(get_only=True)
    assert get.action.package_search(facet_field=["theme", "department"])["facets"]["department"]["ck-gov"] == 3


def test_metadata_modified_ranges(site, ck):
    packages = ck.action.package_search(sort="metadata_modified desc", rows=3)["results"]
    newest, middle, oldest = (p["metadata_modified"] + "Z" for p in packages)
    since = ck.action.package_search(fq=f"metadata_modified:[{middle} TO *]", fl="id,name,metadata_modified")
    assert since["count"] == 2
    assert [p["metadata_modified"] + "Z" for p in since["results"]] == [newest, middle]
    assert set(since["results"][0]) == {"id", "name", "metadata_modified"}
    assert ck.action.package_search(fq=f"metadata_modified:{{{middle} TO *]")["count"] == 1
    assert ck.action.package_search(fq=f"metadata_modified:[* TO {middle}]")["count"] == 2
    assert ck.action.package_search(fq=f"metadata_modified:[* TO {oldest}}} theme:B")["count"] == 0
    assert ck.action.package_search(fq="metadata_modified:[NOW-1DAY TO NOW+1DAY]")["count"] == 3
    # The query the CKAN harvester sends on its incremental runs.
    harvest = ck.action.package_search(q="*:*", fq=f"metadata_modified:[{oldest} TO *]", rows=1000, sort="id asc",
                                       start=1)
    assert harvest["count"] == 3 and len(harvest["results"]) == 2


# -- package_show and the mapping ------------------------------------------------------------------


def test_package_show_by_id_name_and_code(site, ck):
    by_id = ck.action.package_show(id=str(site.ids["population"]))
    assert ck.action.package_show(id=site.name("population")) == by_id
    assert ck.action.package_show(id=site.codes["population"]) == by_id
    assert by_id["id"] == str(site.ids["population"])
    assert by_id["title"] == "人口基础信息"
    assert by_id["notes"] == "全市户籍人口和常住人口的基本信息。"
    assert by_id["organization"]["name"] == "ck-mzj" and by_id["organization"]["title"] == "某市民政局"
    assert by_id["owner_org"] == by_id["organization"]["id"]
    assert [g["name"] for g in by_id["groups"]] == ["1", "101"]
    assert [t["name"] for t in by_id["tags"]] == ["人口", "户籍"]
    assert [(r["format"], r["url"]) for r in by_id["resources"]] == [
        ("CSV", "https://data.example/pop.csv"), ("REST", "https://api.example/pop")]
    assert (by_id["license_id"], by_id["isopen"], by_id["private"], by_id["state"]) == ("other-open", True, False,
                                                                                        "active")
    extras = {e["key"]: e["value"] for e in by_id["extras"]}
    assert extras["code"] == site.codes["population"] and extras["theme"] == "M"
    assert extras["share_type"] == "unconditional"
    assert all(isinstance(e["value"], str) for e in by_id["extras"])
    assert by_id["url"] == f"{site.url}/resources/{site.ids['population']}"
    datetime.fromisoformat(by_id["metadata_created"])
    migrants = ck.action.package_show(id=site.name("migrants"))
    assert (migrants["license_id"], migrants["isopen"]) == ("mulu-conditionally-open", False)


def test_resource_show(site, ck):
    package = ck.action.package_show(id=site.name("population"))
    first = package["resources"][0]
    assert ck.action.resource_show(id=first["id"]) == first
    with pytest.raises(ckanapi.NotFound):
        ck.action.resource_show(id="999999")


def test_shapes_match_real_ckan_answers(site, ck, fixtures_dir):
    """Every key a real CKAN package, search result and organization carries, ours carry too."""
    envidat = json.loads((fixtures_dir / "ckan-envidat" / "package_show.json").read_text(encoding="utf-8"))
    birmingham = json.loads((fixtures_dir / "ckan-birmingham" / "package_search.json").read_text(encoding="utf-8"))
    organizations = json.loads((fixtures_dir / "ckan-envidat" / "organization_list.json").read_text(encoding="utf-8"))
    ours = ck.action.package_show(id=site.name("population"))
    core = set(envidat["result"]) & set(birmingham["result"]["results"][0])
    assert core - {"revision_id"} <= set(ours)
    assert set(birmingham["result"]) == set(ck.action.package_search())
    assert set(birmingham) == set(requests.get(f"{site.url}/api/3/action/package_search").json())
    their_resource = set(birmingham["result"]["results"][0]["resources"][0]) - {"revision_id"}
    assert their_resource <= set(ours["resources"][0])
    assert set(envidat["result"]["tags"][0]) == set(ours["tags"][0])
    assert set(envidat["result"]["organization"]) <= set(ours["organization"])
    listed = ck.action.organization_list(all_fields=True)
    assert set(organizations["result"][0]) <= set(listed[0])


# -- organizations, groups, tags ------------------------------------------------------------------


def test_organizations(site, ck):
    listed = ck.action.organization_list()
    assert {"ck-gov", "ck-mzj", "ck-rsj", "tjj", "ck-mzj-jz"} <= set(listed)
    full = {o["name"]: o for o in ck.action.organization_list(all_fields=True)}
    assert full["ck-gov"]["package_count"] == 3 and full["tjj"]["package_count"] == 1
    assert full["ck-mzj-jz"]["package_count"] == 0
    by_count = ck.action.organization_list(sort="package_count desc", limit=2)
    assert by_count[0] == "ck-gov"
    assert ck.action.organization_list(sort="name asc", limit=2, offset=1) == sorted(listed)[1:3]
    assert ck.action.organization_list(organizations=["tjj", "ck-rsj"], sort="name asc") == ["ck-rsj", "tjj"]
    assert ck.action.organization_list(q="统计") == ["tjj"]
    shown = ck.action.organization_show(id="ck-mzj", include_datasets=True)
    assert shown["package_count"] == 1 and names(shown["packages"]) == {site.name("population")}
    assert shown["groups"] == [{"name": "ck-gov", "capacity": "public"}]
    assert {e["key"] for e in shown["extras"]} >= {"key", "uscc", "division", "kind"}
    assert ck.action.organization_show(id="TJJ统计")["name"] == "tjj"
    assert ck.action.organization_show(id=shown["id"])["name"] == "ck-mzj"
    assert "packages" not in ck.action.organization_show(id="tjj")
    with pytest.raises(ckanapi.NotFound):
        ck.action.organization_show(id="no-such-department")


def test_groups_are_the_classification(site, ck):
    listed = ck.action.group_list(sort="name asc")
    assert listed[:2] == ["1", "101"] and "307" in listed
    full = {g["name"]: g for g in ck.action.group_list(all_fields=True, groups=["1", "101", "2"])}
    assert (full["1"]["package_count"], full["101"]["package_count"], full["2"]["package_count"]) == (1, 1, 0)
    assert full["101"]["title"] == "人口基础信息资源"
    shown = ck.action.group_show(id="101", include_datasets=True)
    assert names(shown["packages"]) == {site.name("population")}
    assert shown["groups"] == [{"name": "1", "capacity": "public"}]
    with pytest.raises(ckanapi.NotFound):
        ck.action.group_show(id="999")


def test_tags_are_the_keywords_of_listed_packages(ck):
    assert ck.action.tag_list() == sorted(["人口", "户籍", "就业", "统计", "年鉴"])
    assert ck.action.tag_list(query="人") == ["人口"]
    assert ck.action.tag_list(query="人", all_fields=True)[0]["name"] == "人口"


def test_help_show(ck):
    assert "fq" in ck.action.help_show(name="package_search")
    with pytest.raises(ckanapi.NotFound):
        ck.action.help_show(name="package_create")


# -- visibility -----------------------------------------------------------------------------------


def test_unpublished_and_private_resources_never_reach_anonymous_callers(site, ck):
    hidden_ids = {str(site.ids[key]) for key in HIDDEN}
    hidden_words = {SPECS[key][2]["keywords"][0] for key in HIDDEN}
    answers = [
        ck.action.package_list(),
        ck.action.package_search(q="人口", rows=1000, include_private=True, include_drafts=True,
                                 include_deleted=True),
        ck.action.current_package_list_with_resources(limit=1000),
        ck.action.tag_list(),
        ck.action.group_list(all_fields=True),
        ck.action.organization_list(all_fields=True),
        *(ck.action.organization_show(id=o, include_datasets=True) for o in ck.action.organization_list()),
        *(ck.action.group_show(id=g, include_datasets=True) for g in ("1", "101", "3", "307")),
    ]
    text = json.dumps(answers, ensure_ascii=False)
    for key in HIDDEN:
        assert SPECS[key][2]["title"] not in text, key
    assert not any(word in text for word in hidden_words)
    found = ck.action.package_search(q="人口", include_private=True, include_drafts=True, include_deleted=True)
    assert not {p["id"] for p in found["results"]} & hidden_ids
    for key in HIDDEN:
        for ident in (str(site.ids[key]), site.name(key)):
            with pytest.raises(ckanapi.NotFound):
                ck.action.package_show(id=ident)
    with pytest.raises(ckanapi.ValidationError):  # the status field is for signed-in users only
        ck.action.package_search(fq="status:draft")


def _token_for(site, username: str) -> str:
    with site.container.unit_of_work() as session:
        user = session.scalars(select(User).where(User.username == username)).one()
        return TokenService(site.container, session, Actor.system("test")).create("ckan", user_id=user.id)[1]


@pytest.mark.parametrize("header", ["apikey", "X-CKAN-API-Key", "Bearer"])
def test_an_api_token_sent_as_ckan_clients_do_acts_as_its_user(site, header):
    token = _token_for(site, "officer.mzj")
    if header == "apikey":  # ckanapi's own way: Authorization: <token>
        keyed = site.ckan(apikey=token)
    else:
        http = requests.Session()
        http.headers[header if header != "Bearer" else "Authorization"] = token if header != "Bearer" \
            else f"Bearer {token}"
        keyed = ckanapi.RemoteCKAN(site.url, session=http)
    private = keyed.action.package_search(q="人口", include_private=True, rows=100)
    assert site.name("private") in names(private["results"])
    assert keyed.action.package_show(id=str(site.ids["private"]))["private"] is True


def test_a_bad_token_is_refused_not_ignored(site):
    keyed = site.ckan(apikey="not-a-real-token")
    with pytest.raises(ckanapi.NotAuthorized):
        keyed.action.package_list()


def test_reads_sent_by_post_count_against_the_read_limit_only(tmp_path, monkeypatch):
    """ckanapi sends every action as a POST: the API's write limit must not throttle CKAN readers."""
    monkeypatch.setattr("catalog.services.user._hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    with throwaway_database(tmp_path, "ckanlimit") as url:
        container = Container.from_settings(Settings(instance_path=tmp_path / "instance", database_url=url,
                                                     api_rate_limit="20 per minute",
                                                     api_write_rate_limit="2 per minute"))
        reset_database(container.engine)
        client = create_app(container=container).test_client()
        answers = [client.post("/api/3/action/package_list", json={}).status_code for _ in range(5)]
        assert answers == [200] * 5
        container.dispose()


def test_signed_in_users_see_more_when_they_ask(site):
    mzj, rsj = site.signed_in("officer.mzj"), site.signed_in("officer.rsj")
    assert names(mzj.action.package_search(q="人口")["results"]) == {site.name("population"), site.name("migrants")}
    private = mzj.action.package_search(q="人口", include_private=True, rows=100)
    assert {site.name("private"), site.name("secret")} <= names(private["results"])
    assert site.name("draft") not in names(private["results"])
    drafts = mzj.action.package_search(q="人口", include_private=True, include_drafts=True, rows=100)
    assert site.name("draft") in names(drafts["results"])
    assert site.name("withdrawn") not in names(drafts["results"])  # another department's withdrawn resource
    shown = mzj.action.package_show(id=str(site.ids["private"]))
    assert shown["private"] is True and shown["license_id"] == "other-closed"
    assert mzj.action.package_show(id=str(site.ids["draft"]))["state"] == "draft"
    # 不予共享 stays with its own department.
    assert site.name("secret") not in names(rsj.action.package_search(q="人口", include_private=True)["results"])
    with pytest.raises(ckanapi.NotFound):
        rsj.action.package_show(id=str(site.ids["secret"]))
    assert rsj.action.package_show(id=str(site.ids["withdrawn"]))["state"] == "deleted"
    assert rsj.action.package_search(fq="status:withdrawn", include_private=True)["count"] == 1


# -- bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize("params", [
    {"rows": "abc"},
    {"rows": -1},
    {"start": "1.5"},
    {"rows": True},
    {"fq": "unknown_field:x"},
    {"fq": "tags:人口"},
    {"fq": "-theme:B"},
    {"fq": "theme:B OR theme:M"},
    {"fq": "theme:B*"},
    {"fq": "人口"},
    {"fq": 'theme:"unclosed'},
    {"fq": "metadata_modified:yesterday"},
    {"fq": "metadata_modified:[last week TO *]"},
    {"fq": "theme:[A TO B]"},
    {"fq": "theme:B " * 60},
    {"fq": "x" * 5000},
    {"sort": "views_recent desc"},
    {"facet_field": ["tags"]},
    {"facet.field": '["theme"'},
    {"facet_field": [{"nested": 1}]},
    {"include_private": "maybe"},
    {"q": {"not": "a string"}},
    {"fq": "metadata_modified:[* TO *]", "facet_field": ["theme"]},
])
def test_bad_parameters_are_validation_errors(ck, params):
    with pytest.raises(ckanapi.ValidationError):
        ck.action.package_search(**params)


@pytest.mark.parametrize("q", [
    '"人口',
    '人口" OR title:*',
    "AND OR NOT ( ) [ ] { } : ^ ~ * ? \\ / + - ! && ||",
    "😀🚀 人口 😀",
    "' OR 1=1 --",
    "人" * 5000,
    "\u200b\ufeff",
    "q\x00nul",
    "<script>alert(1)</script>",
])
def test_garbage_text_finds_something_or_nothing_but_never_fails(site, ck, q):
    found = ck.action.package_search(q=q, facet_field=["theme"])
    assert found["count"] >= 0
    response = requests.get(f"{site.url}/api/3/action/package_search", params={"q": q[:500]})
    assert response.status_code == 200, response.text[:300]


def test_bad_requests_get_ckans_answers(site, ck):
    url = f"{site.url}/api/3/action/package_search"
    bad_json = requests.post(url, data=b'{"q": ', headers={"Content-Type": "application/json"})
    assert bad_json.status_code == 400 and bad_json.json().startswith("Bad request - JSON Error")
    not_a_dict = requests.post(url, json=["q", "人口"])
    assert not_a_dict.status_code == 400 and "dictionary" in not_a_dict.json()
    deep = requests.post(url, data=b"[" * 100_000 + b"]" * 100_000, headers={"Content-Type": "application/json"})
    assert deep.status_code == 400
    too_big = requests.post(url, data=b'{"q": "' + b"a" * (1 << 20) + b'"}', headers={"Content-Type": "application/json"})
    assert too_big.status_code == 400
    nul = requests.get(url, params={"q": "\x00", "fq": "theme:B\x00"})  # NUL bytes are dropped
    assert nul.status_code == 200 and nul.json()["result"]["count"] == 2
    assert requests.get(f"{site.url}/api/3/action/package_show", params={"id": "nothing\x00here"}).status_code == 404
    conflict = requests.get(url, params={"rows": "many"})
    assert conflict.status_code == 409
    assert conflict.json()["error"]["__type"] == "Validation Error" and "rows" in conflict.json()["error"]
    missing = requests.get(f"{site.url}/api/3/action/package_show", params={"id": "no-such-package"})
    assert missing.status_code == 404
    assert missing.json()["error"]["__type"] == "Not Found Error" and missing.json()["success"] is False
    with pytest.raises(ckanapi.CKANAPIError) as unknown:
        ck.action.no_such_action()
    assert "Action name not known" in str(unknown.value)
    assert requests.get(f"{site.url}/api/3/action/no_such_action").status_code == 400
    with pytest.raises(ckanapi.NotAuthorized):
        ck.action.package_create(name="x", title="x")
    assert requests.post(f"{site.url}/api/3/action/package_delete", json={"id": "1"}).status_code == 403
    with pytest.raises(ckanapi.ValidationError):
        ck.action.package_show()
    with pytest.raises(ckanapi.NotFound):
        ck.action.package_show(id="99999999999999999999")
    with pytest.raises(ckanapi.ValidationError):
        ck.action.organization_list(sort="founded desc")
    with pytest.raises(ckanapi.ValidationError):
        ck.action.package_list(limit="ten")
    form = requests.post(url, data={"q": "人口", "rows": "1"})  # a plain form post, as CKAN reads it too
    assert form.status_code == 200 and len(form.json()["result"]["results"]) == 1


def test_rate_limits_answer_in_ckans_shape(site):
    settings = site.container.settings.replace(api_rate_limit="2 per minute")
    app = create_app(container=Container(settings=settings, engine=site.container.engine,
                                         session_factory=site.container.session_factory))
    if "mulu_limiter" not in app.extensions:
        pytest.skip("no rate limiter installed (web/api/limits.py)")
    client = app.test_client()
    answers = [client.get("/api/3/action/status_show") for _ in range(3)]
    assert [a.status_code for a in answers] == [200, 200, 429]
    body = answers[-1].get_json()
    assert body["success"] is False and body["error"]["__type"] == "Too Many Requests"
    assert answers[-1].headers.get("Retry-After")
