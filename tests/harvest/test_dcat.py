"""The DCAT harvester on real catalogs (ckanext-dcat, udata, W3C, SEMIC) in every serialisation, served locally."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from catalog.models import Resource
from harvesters.base import HarvestContext, RemoteRecord
from harvesters.dcat import DcatHarvester

# File → (content type, datasets it holds), one per serialisation and origin.
CATALOGS = {
    "ckanext-dcat/dcat/catalog.rdf": ("application/rdf+xml", 2),
    "ckanext-dcat/dcat/dataset_gov_de.rdf": ("application/rdf+xml", 1),
    "ckanext-dcat/dcat/dataset_sweden.rdf": ("application/rdf+xml", 1),
    "ckanext-dcat/dcat/dataset_gob_es.ttl": ("text/turtle", 1),
    "ckanext-dcat/dcat/dataset_multilingual.ttl": ("text/turtle", 1),
    "ckanext-dcat/dcat/catalog_pod.jsonld": ("application/ld+json", 1),
    "ckanext-dcat/dcat/catalog_with_at_graph.jsonld": ("application/ld+json", 1),
    "udata/dcat/bnodes.jsonld": ("application/ld+json", 3),
    "udata/dcat/bnodes.xml": ("application/rdf+xml", 3),
    "udata/dcat/catalog.xml": ("application/rdf+xml", 4),
    "udata/dcat/udata.xml": ("application/rdf+xml", 2),
    "udata/dcat/series.xml": ("application/rdf+xml", 1),
    # 9 dcat:Dataset nodes, 3 of them blank nodes without any identifying value (qualified relations).
    "w3c-dcat/dcat3-examples/csiro-dap-examples.ttl": ("text/turtle", 6),
    "w3c-dcat/dcat3-examples/ga-courts.rdf": ("application/rdf+xml", 1),
    "w3c-dcat/dcat3-examples/series-versions.jsonld": ("application/ld+json", 6),
}


def _nt(fixtures_dir) -> bytes:
    from rdflib import Graph

    graph = Graph().parse(fixtures_dir / "w3c-dcat/dcat3-examples/basic-example.ttl", format="turtle")
    return graph.serialize(format="nt").encode("utf-8")


@pytest.mark.parametrize("name", sorted(CATALOGS))
def test_harvests_real_catalogs_in_every_serialisation(name, fixtures_dir, site, sources, harvest, session, world):
    content_type, expected = CATALOGS[name]
    # No suffix in the served path: the format comes from the Content-Type, as from a live endpoint.
    url = site.add("/catalog", (fixtures_dir / name).read_bytes(), content_type=content_type)
    result = harvest(sources("dcat", "dcat", url))
    created = result.job.counts.get("created", 0)
    assert created + result.job.counts.get("error", 0) == expected, (result.job.counts, result.job.errors)
    assert result.job.status in ("done", "done_with_errors")
    for outcome in result.outcomes:
        if outcome.status == "created":
            resource = session.get(Resource, outcome.resource_id)
            assert resource.title and resource.department_id == world.mzj.id and resource.status == "draft"


def test_n_triples_by_sniffing(fixtures_dir, site, sources, harvest):
    url = site.add("/dump", _nt(fixtures_dir), content_type="application/octet-stream")
    result = harvest(sources("nt", "dcat", url, config={"format": "nt"}))
    assert result.job.counts == {"created": 1}, result.job.errors


def test_hydra_paged_collection_reads_every_page_once(fixtures_dir, site, sources, harvest):
    # The pages link to http://data.test.org/catalog.jsonld?page=N: served here with the host rewritten.
    site.rewrite = {b"http://data.test.org": site.base.encode()}
    for page in (1, 2):
        site.add(f"/catalog.jsonld?page={page}", (fixtures_dir / f"udata/dcat/paged-collection-{page}.jsonld").read_bytes(),
                 content_type="application/ld+json")
    result = harvest(sources("hydra", "dcat", site.url("/catalog.jsonld?page=1")))
    assert result.job.status == "done", result.job.errors
    assert result.job.counts == {"created": 4}
    assert [r for r in site.requests if r.startswith("/catalog")] == ["/catalog.jsonld?page=1", "/catalog.jsonld?page=2"]


def test_hydra_partial_collection_view(fixtures_dir, site, sources, harvest):
    site.rewrite = {b"http://data.test.org": site.base.encode()}
    for page in (1, 2):
        site.add(f"/catalog.jsonld?page={page}", (fixtures_dir / f"udata/dcat/partial-collection-{page}.jsonld").read_bytes(),
                 content_type="application/ld+json")
    result = harvest(sources("partial", "dcat", site.url("/catalog.jsonld?page=1")))
    assert result.job.counts == {"created": 4}, result.job.errors


def test_a_paging_loop_stops_and_nothing_is_withdrawn(fixtures_dir, site, sources, harvest, session):
    # Page 2 says its next page is page 1 again (ckanext-dcat#260 looped like this until out of memory).
    page2 = (fixtures_dir / "udata/dcat/paged-collection-2.jsonld").read_bytes().replace(
        b'"http://www.w3.org/ns/hydra/core#lastPage"', b'"http://www.w3.org/ns/hydra/core#nextPage": '
        b'[{"@value": "http://data.test.org/catalog.jsonld?page=1"}], "http://www.w3.org/ns/hydra/core#lastPage"')
    site.rewrite = {b"http://data.test.org": site.base.encode()}
    site.add("/catalog.jsonld?page=1", (fixtures_dir / "udata/dcat/paged-collection-1.jsonld").read_bytes(),
             content_type="application/ld+json")
    site.add("/catalog.jsonld?page=2", page2, content_type="application/ld+json")
    source = sources("loop", "dcat", site.url("/catalog.jsonld?page=1"), withdraw_after_days=0)
    first = harvest(source)
    assert first.job.counts == {"created": 4}
    assert first.job.status == "done_with_errors"
    assert "links back" in first.job.errors[0]["message"]["en"]
    assert len([r for r in site.requests if r.startswith("/catalog")]) == 2
    second = harvest(source)
    assert second.job.counts == {"unchanged": 4}  # an incomplete listing withdraws nothing


def test_broken_turtle_fails_the_job_with_the_position(fixtures_dir, site, sources, harvest, session):
    # Known upstream defect (fixtures/README.md): ckanext-dcat's dataset.ttl does not parse.
    url = site.add("/dataset.ttl", (fixtures_dir / "ckanext-dcat/dcat/dataset.ttl").read_bytes(), content_type="text/turtle")
    result = harvest(sources("broken", "dcat", url))
    assert result.job.status == "failed"
    error = result.job.errors[0]
    assert "is not valid Turtle" in error["message"]["en"] and "line" in error["message"]["en"]
    assert error["url"] == url and error["hint"]["en"]
    assert session.scalars(select(Resource)).all() == []


def test_semic_json_ld_with_a_remote_context_is_fetched_through_the_client(fixtures_dir, site, sources, harvest):
    remote = b"https://semiceu.github.io/uri.semic.eu-generated/DCAT-AP/releases/3.0.0/html/examples/context.jsonld"
    site.rewrite = {remote: site.url("/context.jsonld").encode()}
    site.add("/context.jsonld", (fixtures_dir / "semiceu-dcat-ap/3.0.1/examples/context.jsonld").read_bytes())
    url = site.add("/bees.jsonld", (fixtures_dir / "semiceu-dcat-ap/3.0.1/examples/example-bee-population-dataset-series.jsonld")
                   .read_bytes(), content_type="application/ld+json")
    result = harvest(sources("semic", "dcat", url))
    # The series has a title; its two member datasets have none: each one an error with the reason.
    assert result.job.counts == {"created": 1, "error": 2}, result.job.errors
    assert "/context.jsonld" in site.requests


def test_a_remote_context_on_a_refused_host_is_not_fetched(fixtures_dir, site, sources, harvest, http):
    # Without the rewrite the context lives on the internet; the test client's resolver refuses it.
    http.resolver = lambda host, port, **kw: [(2, 1, 6, "", ("10.9.9.9", port))] if host != "127.0.0.1" else \
        [(2, 1, 6, "", ("127.0.0.1", port))]
    http.policy = type(http.policy)(allow_hosts=("127.0.0.1",), read_timeout=2, total_timeout=5)
    url = site.add("/bees.jsonld", (fixtures_dir / "semiceu-dcat-ap/3.0.1/examples/example-bee-population.jsonld")
                   .read_bytes(), content_type="application/ld+json")
    result = harvest(sources("semic-offline", "dcat", url))
    assert result.job.status == "failed"
    assert "non-public address" in result.job.errors[0]["message"]["en"]


def test_map_normalises_frequencies_access_rights_and_languages(container, fixtures_dir, site, http):
    site.add("/gob.ttl", (fixtures_dir / "ckanext-dcat/dcat/dataset_multilingual.ttl").read_bytes(), content_type="text/turtle")
    harvester = _harvester(container, site.url("/gob.ttl"), http)
    (record,) = list(harvester.gather())
    data = harvester.map(record)
    assert data["title"] == "Test DCAT dataset"  # ca, en, es: English wins without Chinese
    assert data["keywords"] == ["Oaks", "Pines"]
    payload = dict(record.payload, title=[["测试数据集", "zh"], ["Test", "en"]],
                   frequency=["http://publications.europa.eu/resource/authority/frequency/DAILY"],
                   access_rights=["http://publications.europa.eu/resource/authority/access-right/NON_PUBLIC"])
    data = harvester.map(RemoteRecord(record.remote_id, payload))
    assert data["title"] == "测试数据集"
    assert data["update_cycle"] == "2"
    assert data["open"] == {"is_open": False, "type": "not_open"}


@pytest.mark.parametrize(("frequency", "code"), [
    ("http://purl.org/cld/freq/daily", "2"),
    ("http://purl.org/cld/freq/continuous", "1"),
    ("http://purl.org/linked-data/sdmx/2009/code#freq-W", "3"),
    ("R/P1Y", "7"),
    ("http://publications.europa.eu/resource/authority/frequency/QUARTERLY", "5"),
    ("http://publications.europa.eu/resource/authority/frequency/BIENNIAL", "9"),
    ("每天", "2"),
])
def test_frequencies_seen_in_the_wild(container, frequency, code):
    from harvesters.normalize import update_cycle

    assert update_cycle(container.vocab, frequency) == code


def _harvester(container, url, http):
    return DcatHarvester(HarvestContext(url=url, config=DcatHarvester.load_config({}), http=http, vocab=container.vocab,
                                        profile=container.profile))


# Small catalogs written for the patterns met in held-out national catalogs (DCAT-AP_IT, DCAT-AP.de, -DK, GeoDCAT-AP).
_ITALIAN = """\
@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
@prefix dcatapit: <http://dati.gov.it/onto/dcatapit#> .
<https://dati.example.it/vocab/province> a dcatapit:Dataset ;
    dct:title "Province italiane"@it, "Italian provinces"@en ; dct:identifier "ex:D.7" ;
    dcat:distribution <https://dati.example.it/vocab/province/csv> .
<https://dati.example.it/vocab/province/csv> a dcatapit:Distribution ;
    dct:format <http://publications.europa.eu/resource/authority/file-type/CSV> ;
    dcat:downloadURL <https://dati.example.it/vocab/province.csv> .
"""


def test_a_dataset_typed_only_as_dcatapit_dataset_is_harvested(site, sources, harvest, session):
    url = site.add("/it.ttl", _ITALIAN, content_type="text/turtle")
    result = harvest(sources("it", "dcat", url))
    assert result.job.counts == {"created": 1}, result.job.errors
    resource = session.get(Resource, result.outcomes[0].resource_id)
    assert resource.title == "Italian provinces"


def test_format_and_media_type_given_as_iris_or_as_a_list(container, site, http):
    site.add("/dk.ttl", """\
@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
<https://data.example.dk/ds/1> a dcat:Dataset ; dct:title "Trafiktællinger"@da ;
    dcat:distribution [ a dcat:Distribution ; dcat:downloadURL <https://data.example.dk/1.csv> ;
        dcat:mediaType <https://www.iana.org/assignments/media-types/text/csv> ;
        dct:format <http://publications.europa.eu/resource/authority/file-type/CSV> ] .
<https://data.example.dk/ds/2> a dcat:Dataset ; dct:title "Målinger"@da ;
    dcat:distribution [ a dcat:Distribution ; dcat:accessURL <https://data.example.dk/api> ; dct:format "XLSX JSON" ] .
""", content_type="text/turtle")
    harvester = _harvester(container, site.url("/dk.ttl"), http)
    first, second = (harvester.map(record) for record in harvester.gather())
    assert first["format"] == {"class": "2", "type": "2-04"}  # CSV, from the EU file-type IRI
    assert first["distributions"][0]["media_type"] == "text/csv"  # not the IANA registry's URL
    assert second["format"] == {"class": "2", "type": "2-03"}  # XLSX, the first of the list


def test_a_document_without_any_dataset_withdraws_nothing(site, sources, harvest, session):
    url = site.add("/catalog.ttl", _ITALIAN, content_type="text/turtle")
    source = sources("emptied", "dcat", url, withdraw_after_days=0)
    assert harvest(source).job.counts == {"created": 1}
    # The same address now answers a GeoDCAT-AP service record: no dataset, which is not "all datasets deleted".
    site.add("/catalog.ttl", """\
@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
<https://geo.example.org/atom> a dcat:DataService ; dct:title "ATOM download service"@en ;
    dcat:endpointURL <https://geo.example.org/atom.xml> .
""", content_type="text/turtle")
    second = harvest(source)
    assert second.job.status == "done_with_errors" and second.job.counts == {}
    error = second.job.errors[0]
    assert error["message"]["en"] == f"{url} holds no list of records." and "没有记录列表" in error["message"]["zh_CN"]
    assert error["hint"]["en"] == "Records not listed are kept; the next run tries again."
    assert [r.status for r in session.scalars(select(Resource))] == ["draft"]


def test_datasets_sharing_an_identifier_or_without_one_are_reported_not_dropped(site, sources, harvest, session):
    url = site.add("/shared-ids.ttl", """\
@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
<https://cat.example.org/c> a dcat:Catalog ; dcat:dataset [ a dcat:Dataset ; dct:identifier "stations" ;
    dct:title "Stations 2023"@en ], [ a dcat:Dataset ; dct:identifier "stations" ; dct:title "Stations 2024"@en ],
    [ a dcat:Dataset ; dct:description "Neither IRI, identifier, landing page nor title"@en ] .
""", content_type="text/turtle")
    source = sources("shared-ids", "dcat", url)
    first = harvest(source)
    assert first.job.status == "done_with_errors" and first.job.counts == {"created": 1}
    messages = [error["message"]["en"] for error in first.job.errors]
    assert messages == [f"1 datasets on {url} have the same identifier as another dataset of the page and were left "
                        "out: stations",
                        f"1 datasets on {url} have no IRI, identifier, landing page or title and were left out."]
    assert "标识符相同" in first.job.errors[0]["message"]["zh_CN"]
    # The page is not remembered as settled: the next run, with nothing changed, says it again.
    second = harvest(source)
    assert second.job.counts == {"unchanged": 1} and len(second.job.errors) == 2


def test_koops_misspelled_access_url_still_gives_the_distribution_its_link(site, sources, harvest, session):
    url = site.add("/hub.ttl", """\
@prefix dcat: <http://www.w3.org/ns/dcat#> . @prefix dct: <http://purl.org/dc/terms/> .
<https://hub.example.gov/datasets/parks> a dcat:Dataset ; dct:title "Parks"@en ;
    dcat:distribution [ a dcat:Distribution ; dct:title "ArcGIS Hub Dataset"@en ;
        dcat:accessUrl <https://hub.example.gov/datasets/parks/about> ; dct:format "Web page"@en ] .
""", content_type="text/turtle")
    result = harvest(sources("hub", "dcat", url))
    assert result.job.counts == {"created": 1}, result.job.errors
    resource = session.get(Resource, result.outcomes[0].resource_id)
    assert [d.url for d in resource.distributions] == ["https://hub.example.gov/datasets/parks/about"]
