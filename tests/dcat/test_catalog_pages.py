"""What the DCAT endpoints build on: catalog pages (visibility, paging, modified_since), Hydra, serialisations."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from rdflib import RDF, BNode, Graph, Literal, URIRef
from rdflib.namespace import DCAT, DCTERMS, XSD

from catalog.dcat import FORMATS, CatalogInfo, DcatWriter, catalog_graph, catalog_page, dataset_uri, serialize
from catalog.dcat.listing import MAX_PAGE_SIZE, catalog_publisher
from catalog.dcat.terms import EU_ACCESS_RIGHT, HYDRA
from tests.catalog.factories import make_department
from tests.dcat.conftest import INFO

SHANGHAI = ZoneInfo("Asia/Shanghai")


def _ids(page) -> set[int]:
    return {r.id for r in page.resources}


def test_only_published_resources_the_actor_may_read_are_in_the_catalog(world):
    before = {role: _ids(catalog_page(world.service(role), size=MAX_PAGE_SIZE))
              for role in ("anonymous", "officer", "manager")}
    resources = {
        "public": world.resource("published", open={"is_open": "是", "type": "无条件开放"}),
        "public_rsj": world.resource("published", department="rsj", open={"is_open": "是", "type": "无条件开放"}),
        "shared_not_open": world.resource("published", open={"is_open": "否"}),
        "not_shared_rsj": world.resource("published", department="rsj", open={"is_open": "否"},
                                         share={"type": "不予共享", "basis": "《个人信息保护法》第十三条"}),
        "registered": world.resource("registered", open={"is_open": "是", "type": "无条件开放"}),
        "draft": world.resource("draft", open={"is_open": "是", "type": "无条件开放"}),
        "withdrawn": world.resource("withdrawn", open={"is_open": "是", "type": "无条件开放"}),
    }
    ids = {name: r.id for name, r in resources.items()}

    def seen(role: str) -> set[str]:
        found = _ids(catalog_page(world.service(role), size=MAX_PAGE_SIZE)) - before[role]
        return {name for name, rid in ids.items() if rid in found}

    assert seen("anonymous") == {"public", "public_rsj"}
    # A 民政局 officer: the shared catalog; its own drafts and registered resources are not "published".
    assert seen("officer") == {"public", "public_rsj", "shared_not_open"}
    assert seen("manager") == {"public", "public_rsj", "shared_not_open", "not_shared_rsj"}


def test_pages_are_stable_and_complete(world):
    service = world.service("manager")
    before = catalog_page(service, size=MAX_PAGE_SIZE).total
    made = [world.resource("published").id for _ in range(5)]
    total = before + 5
    size = 2
    first = catalog_page(service, size=size)
    assert first.total == total and first.last == -(-total // size)
    assert first.previous is None and first.next == (2 if total > size else None)
    seen: list[int] = []
    for number in range(1, first.last + 1):
        page = catalog_page(service, page=number, size=size)
        assert len(page.resources) == (size if number < page.last else total - size * (page.last - 1))
        seen.extend(r.id for r in page.resources)
    assert seen == sorted(seen) and len(set(seen)) == total and set(made) <= set(seen)
    assert catalog_page(service, page=first.last + 1, size=size).resources == []
    assert catalog_page(service, size=10_000).size == MAX_PAGE_SIZE
    for bad in ({"page": 0}, {"size": 0}):
        with pytest.raises(ValueError):
            catalog_page(service, **bad)


def test_modified_since_keeps_resources_changed_at_or_after_the_moment(world):
    service = world.service("manager")
    old, new = world.resource("published"), world.resource("published")
    old.updated_at = datetime(2020, 1, 1, tzinfo=UTC)
    new.updated_at = datetime(2024, 6, 1, 12, tzinfo=UTC)
    world.session.flush()

    def ids(moment):
        return _ids(catalog_page(service, size=MAX_PAGE_SIZE, modified_since=moment)) & {old.id, new.id}

    assert ids(None) == {old.id, new.id}
    assert ids(datetime(2024, 1, 1, tzinfo=UTC)) == {new.id}
    assert ids(datetime(2024, 6, 1, 20, tzinfo=SHANGHAI)) == {new.id}  # the same moment, +08:00
    assert ids(datetime(2024, 6, 1, 12, 0, 1, tzinfo=UTC)) == set()
    assert ids(datetime(2024, 6, 1, 12)) == {new.id}  # naive: UTC
    assert catalog_page(service, modified_since=datetime(2999, 1, 1, tzinfo=UTC)).total == 0


def test_the_catalog_publisher_is_the_top_level_government(world):
    assert catalog_publisher(world.session) is None  # 民政局 and 人社局 at the top, no government
    government = make_department(world.session, "dcat-gov", "淮南市人民政府", kind="government")
    assert catalog_publisher(world.session) == government


def test_hydra_view_describes_the_page(container):
    writer = DcatWriter(INFO, container.vocab)
    catalog = writer.add_catalog()
    view = writer.add_page("https://x.example/catalog?page=2&size=10", total=35,
                           first="https://x.example/catalog?page=1&size=10",
                           last="https://x.example/catalog?page=4&size=10",
                           previous="https://x.example/catalog?page=1&size=10",
                           next="https://x.example/catalog?page=3&size=10")
    g = writer.graph
    assert (catalog, RDF.type, HYDRA.Collection) in g and (catalog, RDF.type, DCAT.Catalog) in g
    assert g.value(catalog, HYDRA.totalItems) == Literal(35, datatype=XSD.integer)
    assert g.value(catalog, HYDRA.view) == view
    assert (view, RDF.type, HYDRA.PartialCollectionView) in g
    assert str(g.value(view, HYDRA.next)) == "https://x.example/catalog?page=3&size=10"
    first_page = DcatWriter(INFO, container.vocab)
    first_page.add_catalog()
    view = first_page.add_page("https://x.example/catalog?page=1", total=1, first="https://x.example/catalog?page=1",
                               last="https://x.example/catalog?page=1")
    assert first_page.graph.value(view, HYDRA.previous) is None and first_page.graph.value(view, HYDRA.next) is None


def test_every_serialisation_is_deterministic_and_parses_back(resources, info, container):
    graph = catalog_graph(resources, info, container.vocab, container.profile)
    # No blank nodes: the same catalog gives the same bytes (ETags, harvesters' content hashes).
    assert not any(isinstance(term, BNode) for triple in graph for term in triple)
    for rdf_format in FORMATS:
        body = serialize(graph, rdf_format)
        again = serialize(catalog_graph(resources, info, container.vocab, container.profile), rdf_format)
        assert body == again, rdf_format.name
        parsed = Graph().parse(data=body.decode("utf-8"), format=rdf_format.name)
        assert len(parsed) == len(graph), rdf_format.name
    assert b'"@context"' in serialize(graph, FORMATS[2]) and "低保".encode() in serialize(graph, FORMATS[2])


def test_modified_is_written_in_the_catalog_time_zone(resources, container):
    full = resources[0]
    info = CatalogInfo(**{**INFO.__dict__, "timezone": container.timezone})
    graph = catalog_graph([full], info, container.vocab, container.profile)
    modified = graph.value(dataset_uri(info, full), DCTERMS.modified)
    assert modified.datatype == XSD.dateTime
    moment = modified.toPython()
    assert moment.utcoffset() == timedelta(hours=8)
    assert str(modified)[:10] == full["metadata_updated"]  # 元数据更新日期 is the local date
    assert moment == datetime.fromisoformat(full["updated_at"]).replace(
        tzinfo=datetime.fromisoformat(full["updated_at"]).tzinfo or UTC)


def test_access_rights_fall_back_on_the_share_type_when_the_open_question_is_unanswered(container):
    writer = DcatWriter(INFO, container.vocab)
    assert writer.access_rights({}, {"type": "not_shared"}) == EU_ACCESS_RIGHT.NON_PUBLIC
    assert writer.access_rights({"is_open": None}, {"type": "不予共享"}) == EU_ACCESS_RIGHT.NON_PUBLIC
    assert writer.access_rights({}, {"type": "conditional"}) is None
    assert writer.access_rights({"is_open": True, "type": "unconditional"}, {"type": "not_shared"}) == \
        EU_ACCESS_RIGHT.PUBLIC
    assert writer.access_rights({"is_open": False}, {"type": "unconditional"}) == EU_ACCESS_RIGHT.NON_PUBLIC


def test_a_known_catalog_publisher_is_its_department(container):
    info = CatalogInfo(**{**INFO.__dict__, "publisher_uscc": "11340400004996052H"})
    writer = DcatWriter(info, container.vocab)
    catalog = writer.add_catalog()
    publisher = writer.graph.value(catalog, DCTERMS.publisher)
    assert publisher == URIRef("https://data.huainan.example/departments/11340400004996052H")
    assert str(writer.graph.value(publisher, DCTERMS.identifier)) == "11340400004996052H"
