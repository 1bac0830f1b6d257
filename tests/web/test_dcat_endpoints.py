"""The DCAT endpoints: /catalog with content negotiation and Hydra paging, RDF per resource, shapes, round trip."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po
from rdflib import RDF, Graph, URIRef
from rdflib.namespace import DCAT, DCTERMS
from sqlalchemy import select, update

from catalog import permissions as perm
from catalog.actor import Actor
from catalog.dcat import MAX_PAGE_SIZE, graph_to_inputs
from catalog.dcat.terms import HYDRA, MULU
from catalog.models import Resource, User
from catalog.schemas.resource import ResourceSchema
from catalog.services.resource import ResourceService
from catalog.services.user import actor_for
from tests.dcat.shacl import dcat_ap_3_0_0, dcat_ap_3_0_1, violations
from tests.web.conftest import resources

ROOT = Path(__file__).resolve().parents[2]
BASE = "http://localhost/"
CATALOG = URIRef(BASE + "catalog")
FORMATS = {  # media type -> (extension, rdflib parser)
    "text/turtle": ("ttl", "turtle"),
    "application/rdf+xml": ("rdf", "xml"),
    "application/ld+json": ("jsonld", "json-ld"),
    "application/n-triples": ("nt", "nt"),
}
OLD, RECENT = datetime(2020, 1, 1, tzinfo=UTC), datetime(2024, 6, 1, 12, tzinfo=UTC)


@pytest.fixture(scope="module", autouse=True)
def dated(container):
    """Every resource last changed on 2020-01-01 except three public ones, changed on 2024-06-01 12:00 UTC."""
    public = _public(container)
    with container.unit_of_work() as session:
        session.execute(update(Resource).values(updated_at=OLD))
        session.execute(update(Resource).where(Resource.id.in_([r.id for r in public[:3]])).values(updated_at=RECENT))
    return {r.id for r in public[:3]}


def _public(container) -> list[Resource]:
    return [r for r in resources(container, status="published") if r.open_is_open]


def _parse(response, rdf_format: str = "turtle") -> Graph:
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return Graph().parse(data=response.get_data(as_text=True), format=rdf_format)


def _datasets(graph: Graph) -> set[int]:
    return {int(str(d).rsplit("/", 1)[1]) for d in graph.objects(CATALOG, DCAT.dataset)}


def _view(graph: Graph) -> dict[str, str | None]:
    view = graph.value(CATALOG, HYDRA.view)
    assert (view, RDF.type, HYDRA.PartialCollectionView) in graph
    links = {name: graph.value(view, getattr(HYDRA, name)) for name in ("first", "previous", "next", "last")}
    return {"self": str(view), **{k: str(v) if v is not None else None for k, v in links.items()}}


# -- content negotiation ---------------------------------------------------------------------------


@pytest.mark.parametrize("media_type", list(FORMATS))
def test_the_catalog_negotiates_every_serialisation(client, container, media_type):
    response = client.get("/catalog", headers={"Accept": media_type})
    assert response.mimetype == media_type and response.mimetype_params == {"charset": "utf-8"}
    assert "Accept" in response.headers["Vary"]
    graph = _parse(response, FORMATS[media_type][1])
    assert (CATALOG, RDF.type, DCAT.Catalog) in graph
    assert _datasets(graph) == {r.id for r in _public(container)}


@pytest.mark.parametrize("media_type", list(FORMATS))
def test_the_catalog_has_an_explicit_url_per_serialisation(client, container, media_type):
    extension, parser = FORMATS[media_type]
    response = client.get(f"/catalog.{extension}", headers={"Accept": "application/json"})  # the extension wins
    assert response.mimetype == media_type
    assert _datasets(_parse(response, parser)) == {r.id for r in _public(container)}


@pytest.mark.parametrize("accept", [None, "*/*", "text/*",
                                    "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
                                    "application/ld+json;q=0.5, text/turtle"])
def test_turtle_is_the_default(client, accept):
    response = client.get("/catalog", headers={"Accept": accept} if accept else {})
    assert response.mimetype == "text/turtle"
    _parse(response)


def test_quality_values_choose_the_serialisation(client):
    response = client.get("/catalog", headers={"Accept": "text/turtle;q=0.2, application/rdf+xml;q=0.9"})
    assert response.mimetype == "application/rdf+xml"


@pytest.mark.parametrize("accept", ["application/json", "text/html", "image/png, text/csv", "text/turtle;q=0"])
def test_an_unsupported_media_type_is_406(client, accept):
    response = client.get("/catalog", headers={"Accept": accept})
    assert response.status_code == 406
    error = response.get_json()["error"]
    assert error["code"] == "not_acceptable" and "text/turtle" in error["message"]
    assert "Accept" in response.headers["Vary"]


def test_an_unknown_extension_is_not_found(client):
    assert client.get("/catalog.json").status_code == 404
    assert client.get("/catalog.xml").status_code == 404


# -- paging ----------------------------------------------------------------------------------------


def test_pages_link_first_previous_next_and_last_and_count_everything(client, container):
    public = sorted(r.id for r in _public(container))
    size = 3
    last = -(-len(public) // size)
    assert last >= 3, "the demo should have enough public resources for three pages"
    seen: list[int] = []
    url = f"/catalog.ttl?size={size}"
    number = 0
    while url:
        number += 1
        graph = _parse(client.get(url))
        assert int(graph.value(CATALOG, HYDRA.totalItems)) == len(public)
        links = _view(graph)
        assert links["self"] == f"{BASE}catalog.ttl?page={number}&size={size}"
        assert links["first"] == f"{BASE}catalog.ttl?page=1&size={size}"
        assert links["last"] == f"{BASE}catalog.ttl?page={last}&size={size}"
        assert links["previous"] == (f"{BASE}catalog.ttl?page={number - 1}&size={size}" if number > 1 else None)
        page = _datasets(graph)
        assert len(page) == (size if number < last else len(public) - size * (last - 1))
        seen.extend(sorted(page))
        url = links["next"]
    assert number == last and seen == public


def test_negotiated_pages_link_to_the_negotiated_url(client):
    graph = _parse(client.get("/catalog?size=2&page=2", headers={"Accept": "application/ld+json"}), "json-ld")
    assert _view(graph)["next"] == f"{BASE}catalog?page=3&size=2"


def test_the_page_size_is_capped(client, container):
    graph = _parse(client.get("/catalog?size=100000"))
    assert _view(graph)["self"] == f"{BASE}catalog?page=1&size={MAX_PAGE_SIZE}"
    assert _datasets(graph) == {r.id for r in _public(container)}


@pytest.mark.parametrize("page", ["999", "99999999999999999999999"])
def test_a_page_past_the_last_is_404(client, page):
    response = client.get(f"/catalog?page={page}&size=10")
    assert response.status_code == 404
    assert response.get_json()["error"]["fields"]["page"]


@pytest.mark.parametrize(("query", "name"), [
    ("page=0", "page"), ("page=-1", "page"), ("page=two", "page"), ("page=1.5", "page"), ("page=%C2%B2", "page"),
    ("size=0", "size"), ("size=abc", "size"), ("size=%EF%BC%95", "size"),
    ("modified_since=yesterday", "modified_since"), ("modified_since=2024-13-01", "modified_since"),
    ("modified_since=2024-06-01T25:00", "modified_since"), ("modified_since=1717243200", "modified_since"),
    ("modified_since=9999-12-31T23:00:00-14:00", "modified_since"), ("modified_since=0001-01-01", "modified_since"),
])
def test_bad_parameters_are_400_naming_the_parameter(client, query, name):
    response = client.get(f"/catalog?{query}")
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["code"] == "bad_parameter" and list(error["fields"]) == [name]
    assert name in error["message"] and "参数" in error["message"]  # Chinese by default
    english = client.get(f"/catalog.ttl?{query}", headers={"Accept-Language": "en"}).get_json()["error"]
    assert english["message"].startswith(f"The parameter {name} must be")


# -- modified_since --------------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "expected"), [
    ("2024-01-01", "recent"),
    ("2024-06-01", "recent"),  # midnight in the catalog's time zone (Asia/Shanghai)
    ("2024-06-01T12:00:00Z", "recent"),  # at the moment: included
    ("2024-06-01T20:00:00%2B08:00", "recent"),  # the same moment with an offset
    ("2024-06-01T20:00:00+08:00", "recent"),  # "+" sent unencoded arrives as a space
    ("2024-06-01T12:00:01Z", "none"),
    ("2024-06-01T20:00:01", "none"),  # no offset: the catalog's time zone
    ("2019-12-31", "all"),
])
def test_modified_since_filters_on_the_last_change(client, container, dated, value, expected):
    graph = _parse(client.get(f"/catalog?modified_since={value}"))
    public = {r.id for r in _public(container)}
    assert _datasets(graph) == {"recent": dated, "none": set(), "all": public}[expected]
    assert int(graph.value(CATALOG, HYDRA.totalItems)) == len(_datasets(graph))


def test_modified_since_is_kept_in_the_page_links(client, dated):
    graph = _parse(client.get("/catalog?modified_since=2024-01-01&size=1"))
    links = _view(graph)
    query = parse_qs(urlsplit(links["next"]).query)
    assert query == {"page": ["2"], "size": ["1"], "modified_since": ["2024-01-01T00:00:00+08:00"]}
    assert _datasets(_parse(client.get(links["next"].removeprefix(BASE[:-1])))) <= dated
    assert int(graph.value(CATALOG, HYDRA.totalItems)) == len(dated)


def test_dct_modified_is_what_modified_since_compares(client, dated):
    graph = _parse(client.get("/catalog?modified_since=2024-01-01"))
    for dataset in graph.objects(CATALOG, DCAT.dataset):
        assert graph.value(dataset, DCTERMS.modified).toPython() == datetime(2024, 6, 1, 12, tzinfo=UTC)


# -- visibility ------------------------------------------------------------------------------------


def test_anonymous_visitors_get_published_resources_open_to_the_public_only(client, container):
    graph = _parse(client.get(f"/catalog?size={MAX_PAGE_SIZE}"))
    listed = _datasets(graph)
    everything = resources(container)
    hidden = {r.id for r in everything if r.status != "published" or not r.open_is_open}
    assert hidden and not listed & hidden
    assert {str(s) for s in graph.objects(None, MULU.status)} == {"published"}
    assert {graph.value(d, MULU.isOpen).toPython() for d in graph.objects(CATALOG, DCAT.dataset)} == {True}


def test_signed_in_users_get_the_published_catalog_they_may_read(signed_in, container):
    everything = resources(container)
    published = {r.id for r in everything if r.status == "published"}
    with container.unit_of_work() as session:
        officer_actor = actor_for(session, session.scalar(select(User).where(User.username == "officer")))
    shared = {r.id for r in everything if r.status == "published"
              and perm.can_view_resource(officer_actor, r.department_id, r.status, r.share_type, r.open_is_open)}
    assert shared != published, "the demo should have published resources an officer may not read"
    manager = signed_in("manager").get(f"/catalog?size={MAX_PAGE_SIZE}")
    assert _datasets(_parse(manager)) == published
    assert "private" in manager.headers["Cache-Control"]
    # The officer of 民政局: the shared catalog, never its own unpublished drafts.
    officer = _datasets(_parse(signed_in("officer").get(f"/catalog?size={MAX_PAGE_SIZE}")))
    assert officer == shared and officer <= published


def test_the_public_catalog_may_be_cached_and_revalidated(client):
    response = client.get("/catalog")
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "public" in response.headers["Cache-Control"] and "max-age" in response.headers["Cache-Control"]
    etag = response.headers["ETag"]
    assert client.get("/catalog", headers={"If-None-Match": etag}).status_code == 304
    assert client.get("/catalog.rdf", headers={"If-None-Match": etag}).status_code == 200


# -- one resource ----------------------------------------------------------------------------------


@pytest.mark.parametrize("media_type", list(FORMATS))
def test_a_resource_page_serves_rdf_to_who_asks(client, container, media_type):
    resource = _public(container)[0]
    response = client.get(f"/resources/{resource.id}", headers={"Accept": media_type})
    assert response.mimetype == media_type and "Accept" in response.headers["Vary"]
    graph = _parse(response, FORMATS[media_type][1])
    dataset = URIRef(f"{BASE}resources/{resource.id}")
    assert (dataset, RDF.type, DCAT.Dataset) in graph
    assert str(graph.value(dataset, DCTERMS.identifier)) == resource.code
    assert set(graph.subjects(RDF.type, DCAT.Dataset)) == {dataset}
    extension, parser = FORMATS[media_type]
    explicit = client.get(f"/resources/{resource.id}.{extension}")
    assert explicit.mimetype == media_type and explicit.data == response.data


@pytest.mark.parametrize("accept", [None, "*/*", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
                                    "application/json", "text/html;q=0.9, text/turtle;q=0.5"])
def test_the_resource_page_stays_html_for_browsers(client, container, accept):
    resource = _public(container)[0]
    response = client.get(f"/resources/{resource.id}", headers={"Accept": accept} if accept else {})
    assert response.status_code == 200 and response.mimetype == "text/html"
    assert "Accept" in response.headers["Vary"]


def test_the_resource_page_links_its_rdf(client, container):
    resource = _public(container)[0]
    html = client.get(f"/resources/{resource.id}").get_data(as_text=True)
    head = html.split("</head>")[0]
    for media_type, (extension, _parser) in FORMATS.items():
        assert f'<link rel="alternate" type="{media_type}" href="/resources/{resource.id}.{extension}"' in head
    assert f'<a href="/resources/{resource.id}.ttl" type="text/turtle" download>Turtle</a>' in html
    assert "DCAT 元数据（RDF）：" in html
    assert "DCAT (RDF):" in client.get(f"/resources/{resource.id}?lang=en").get_data(as_text=True)


def test_resources_the_visitor_may_not_read_have_no_rdf(client, signed_in, container):
    hidden = [r for r in resources(container) if r.status != "published" or not r.open_is_open]
    draft = next(r for r in hidden if r.status == "draft")
    not_open = next(r for r in hidden if r.status == "published")
    for resource in (draft, not_open):
        for response in (client.get(f"/resources/{resource.id}.ttl"),
                         client.get(f"/resources/{resource.id}", headers={"Accept": "text/turtle"})):
            assert response.status_code == 404
            assert response.get_json()["error"]["code"] == "not_found"
    assert signed_in("manager").get(f"/resources/{draft.id}.ttl").status_code == 200
    assert client.get("/resources/999999.jsonld").status_code == 404


def test_the_resource_download_is_named_after_its_code(client, container):
    resource = _public(container)[0]
    response = client.get(f"/resources/{resource.id}.rdf")
    assert response.headers["Content-Disposition"] == f'inline; filename="{resource.code.replace("/", "-")}.rdf"'


# -- DCAT-AP 3 shapes and the round trip -----------------------------------------------------------


@pytest.fixture(scope="module")
def manager_catalog(app) -> bytes:
    """The whole published catalog as the catalog manager reads it (every published resource), in Turtle."""
    from tests.web.conftest import sign_in

    client = app.test_client()
    sign_in(client, "manager")
    response = client.get(f"/catalog.ttl?size={MAX_PAGE_SIZE}")
    assert response.status_code == 200
    return response.data


def test_the_catalog_has_no_violation_of_the_dcat_ap_3_shapes(client, manager_catalog, fixtures_dir):
    for body in (manager_catalog, client.get("/catalog.ttl?size=5&page=2").data):
        graph = Graph().parse(data=body.decode("utf-8"), format="turtle")
        assert violations(graph, dcat_ap_3_0_0(fixtures_dir)) == []
        assert violations(graph, dcat_ap_3_0_1(fixtures_dir)) == []


def test_a_resource_has_no_violation_of_the_dcat_ap_3_shapes(client, container, fixtures_dir):
    resource = next(r for r in _public(container) if r.items)
    graph = _parse(client.get(f"/resources/{resource.id}.ttl"))
    assert violations(graph, dcat_ap_3_0_0(fixtures_dir)) == []


def _stored(container) -> dict[str, dict]:
    """The Resource JSON of every published resource, by metadata id."""
    with container.unit_of_work() as session:
        service = ResourceService(container, session, Actor.system("test"))
        return {r.metadata_id: service.to_json(service.get(r.id)) for r in resources(container, status="published")}


@pytest.mark.parametrize("media_type", list(FORMATS))
def test_round_trip_exporting_the_catalog_and_reading_it_back_gives_the_same_resources(
        app, container, media_type):
    from tests.web.conftest import sign_in

    client = app.test_client()
    sign_in(client, "manager")
    response = client.get(f"/catalog?size={MAX_PAGE_SIZE}", headers={"Accept": media_type})
    read = graph_to_inputs(_parse(response, FORMATS[media_type][1]), container.vocab, container.profile)
    stored = _stored(container)
    assert sorted(d["metadata_id"] for d in read) == sorted(stored)
    schema = ResourceSchema(container.profile, container.vocab)
    names = [element.name for element in container.profile.elements]
    differences = []
    for data in read:
        original = stored[data["metadata_id"]]
        # Read-only fields, as the catalog shows them.
        for key in ("code", "status", "published_on", "metadata_updated"):
            if data.get(key) != original[key]:
                differences.append(f"{original['code']} {key}: {data.get(key)!r} != {original[key]!r}")
        if data["department"]["uscc"] != original["department"]["uscc"]:
            differences.append(f"{original['code']} department: {data['department']} != {original['department']}")
        # Every national (and extension) element, normalised the way a write would store it. DCAT
        # keywords are a set: their order is not kept.
        loaded = schema.load({**data, "keywords": sorted(data["keywords"])})
        expected = schema.load({**original, "keywords": sorted(original["keywords"])})
        for name in names:
            if loaded.get(name) != expected.get(name):
                differences.append(f"{original['code']} {name}: {loaded.get(name)!r} != {expected.get(name)!r}")
    assert differences == []
    assert any(d["items"] for d in read) and any(d["distributions"] for d in read)


# -- translations ----------------------------------------------------------------------------------


def test_every_message_of_the_dcat_endpoints_has_a_zh_cn_translation():
    known = {}
    for path in sorted((ROOT / "web/translations/zh_CN/LC_MESSAGES").glob("*.po")):
        with path.open("rb") as handle:
            known.update({m.id: m.string for m in read_po(handle, locale="zh_CN") if m.id and m.string})
    msgids = {msgid for _line, msgid, _comments, _context in
              extract_from_file("python", str(ROOT / "web/dcat_views.py"), keywords={"_": None, "gettext": None})}
    msgids.add("DCAT (RDF):")  # web/templates/resource.html
    assert len(msgids) > 5
    assert sorted(m for m in msgids if m not in known) == []
