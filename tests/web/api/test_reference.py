"""Reference data through the API: the index, departments, vocabularies in three formats, the metadata profile."""

from __future__ import annotations

import json

import pytest
from rdflib import Graph
from rdflib.namespace import SKOS

from tests.web.api.conftest import error_of


def test_the_index_links_every_part(client):
    body = client.get("/api/v1/").get_json()
    assert body["name"] == "Mulu API"
    for name in ("resources", "departments", "vocabularies", "profile", "tokens", "me", "openapi", "docs"):
        assert body["links"][name].startswith("http://localhost/")
    assert client.get(body["links"]["docs"]).status_code == 200


def test_the_department_tree(client, container):
    tree = client.get("/api/v1/departments").get_json()["items"]
    assert tree[0]["key"] == "hn-gov" and all(node["parent"] is None for node in tree)

    def walk(nodes):
        for node in nodes:
            yield node
            yield from walk(node["children"])

    keys = {node["key"] for node in walk(tree)}
    assert {"hn-mzj", "hn-sjj"} <= keys
    mzj = next(node for node in walk(tree) if node["key"] == "hn-mzj")
    assert mzj["parent"] == "hn-gov" and mzj["catalog_segment"] == "008" and mzj["children"]
    one = client.get("/api/v1/departments/hn-mzj").get_json()
    assert one["name"] == "淮南市民政局" and "children" not in one
    missing = client.get("/api/v1/departments/nowhere")
    assert missing.status_code == 404 and error_of(missing)["code"] == "not_found"


def test_the_vocabulary_list(client, container):
    items = client.get("/api/v1/vocabularies").get_json()["items"]
    assert {item["name"] for item in items} == set(container.vocab.names())
    open_type = next(item for item in items if item["name"] == "open_type")
    assert open_type["concepts"] == 3 and open_type["labels"]["zh"] and open_type["url"].endswith("/open_type")


def test_a_vocabulary_as_json_by_default(client):
    response = client.get("/api/v1/vocabularies/share_type")
    body = response.get_json()
    assert response.mimetype == "application/json" and "Accept" in response.headers["Vary"]
    assert body["name"] == "share_type" and [c["code"] for c in body["concepts"]] == ["1", "2", "3"]
    assert body["concepts"][0]["properties"]["key"] == "unconditional"


@pytest.mark.parametrize(("how", "media_type"), [
    ({"headers": {"Accept": "text/turtle"}}, "text/turtle"),
    ({"query_string": {"format": "ttl"}}, "text/turtle"),
    ({"query_string": {"format": "turtle"}}, "text/turtle"),
    ({"headers": {"Accept": "application/ld+json"}}, "application/ld+json"),
    ({"query_string": {"format": "jsonld"}}, "application/ld+json"),
    ({"headers": {"Accept": "text/turtle;q=0.5, application/ld+json;q=0.9"}}, "application/ld+json"),
])
def test_a_vocabulary_as_skos_rdf(client, how, media_type):
    response = client.get("/api/v1/vocabularies/open_type", **how)
    assert response.status_code == 200 and response.mimetype == media_type
    graph = Graph().parse(data=response.get_data(as_text=True), format="turtle" if "turtle" in media_type else "json-ld")
    assert len(set(graph.subjects(SKOS.inScheme, None))) == 3
    if media_type == "application/ld+json":
        json.loads(response.get_data(as_text=True))


def test_vocabulary_errors(client):
    assert error_of(client.get("/api/v1/vocabularies/colours"))["code"] == "not_found"
    refused = client.get("/api/v1/vocabularies/theme", headers={"Accept": "application/pdf"})
    assert refused.status_code == 406 and error_of(refused)["code"] == "not_acceptable"
    bad_format = client.get("/api/v1/vocabularies/theme?format=pdf")
    assert bad_format.status_code == 422 and "format" in error_of(bad_format)["fields"]


def test_the_metadata_profile(client, container):
    body = client.get("/api/v1/profile").get_json()
    assert body["profiles"] == list(container.profile.names)
    names = [element["name"] for element in body["elements"]]
    assert {"title", "share", "items", "source_system"} <= set(names)
    title = next(e for e in body["elements"] if e["name"] == "title")
    assert title["label"] == {"zh": "信息资源名称", "en": "Resource title"} and title["obligation"] == "M"
