"""The Elasticsearch backend without a cluster: mapping and request bodies against golden JSON, response parsing,
visibility tokens, and the alias swap and bulk requests against a recording transport.

No Elasticsearch server can run on the machines these tests run on, so the requests are checked as
data: the golden files in ``tests/search/golden`` were reviewed against the Elasticsearch reference
(regenerate them with ``MULU_TEST_UPDATE_GOLDEN=1 pytest tests/search/test_elasticsearch_bodies.py`` and
review the diff). The transport below is a fake that records requests and answers like a tiny
cluster; it is legitimate only because no real one can run here. The behaviour against a real
cluster is the contract suite's job (``MULU_TEST_ELASTICSEARCH_URL``).
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from itertools import product
from pathlib import Path

import pytest

from catalog import permissions as perm
from catalog.actor import Actor
from catalog.search import SearchQuery
from catalog.search import es_mapping as esm
from catalog.search import es_query as esq
from catalog.search import text as tx
from catalog.search.documents import SearchDocument
from catalog.search.facets import DepartmentNode

GOLDEN = Path(__file__).parent / "golden"
UPDATE = os.environ.get("MULU_TEST_UPDATE_GOLDEN") == "1"

ANONYMOUS = Actor.anonymous("test")
OFFICER = Actor(7, "officer", "officer", 3, frozenset({3, 4}))
MANAGER = Actor(2, "manager", "manager")
ACTORS = {"anonymous": ANONYMOUS, "officer": OFFICER, "manager": MANAGER}


def assert_golden(name: str, data) -> None:
    """Compare ``data`` with ``golden/<name>.json`` (or write it when ``MULU_TEST_UPDATE_GOLDEN=1``)."""
    path = GOLDEN / f"{name}.json"
    rendered = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    if UPDATE:
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(rendered, encoding="utf-8")
        return
    assert path.exists(), f"no golden file {path.name}; run with MULU_TEST_UPDATE_GOLDEN=1 and review it"
    assert json.loads(rendered) == json.loads(path.read_text(encoding="utf-8")), \
        f"{path.name} differs; if intended, regenerate with MULU_TEST_UPDATE_GOLDEN=1 and review the diff"


# -- mapping and documents --------------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "options"), [
    ("index_cjk", esm.IndexOptions()),
    ("index_ik_pinyin", esm.IndexOptions("ik", pinyin_plugin=True)),
])
def test_index_settings_and_mapping(name, options):
    assert_golden(name, esm.index_body(options))


def test_unknown_analyzer_is_refused():
    with pytest.raises(ValueError, match="jieba"):
        esm.IndexOptions("jieba")


DEPARTMENTS = {
    1: DepartmentNode(1, "hn-gov", "淮南市人民政府", None, "340400"),
    3: DepartmentNode(3, "hn-mzj", "淮南市民政局", 1, "340400"),
    4: DepartmentNode(4, "hn-mzj-shjz", "社会救助科", 3, "340402"),
}


def _document(**overrides) -> SearchDocument:
    values = dict(
        resource_id=42, title="人口基础信息", code="307/00101", status="published", department_id=4,
        share_type="unconditional", open_type="unconditional", is_open=True, classification_code="30701",
        class_code="3", item_code="307", theme="M", format_class="3", update_cycle="1",
        updated_at=datetime(2024, 5, 6, 7, 8, 9), title_key=tx.key("人口基础信息"), title_sort=tx.sort_key("人口基础信息"),
        keywords=["人口", "户籍"], abstract="全市户籍人口的基本信息。", item_names=["姓名", "身份证号"],
        extra_text=["人口库"],
    )
    values.update(overrides)
    return SearchDocument(**values)


def test_document():
    ancestors = {"340402": ["340400", "340000"], "340400": ["340000"]}
    source = esm.document(_document(), DEPARTMENTS, lambda code: ancestors.get(code, []))
    assert source["department_path"] == ["hn-mzj-shjz", "hn-mzj", "hn-gov"]
    assert source["division_path"] == ["340402", "340400", "340000"]
    assert source["suggest"][0]["input"] == ["人口基础信息", "renkoujichuxinxi", "rkjcxx"]
    assert_golden("document", source)


def test_document_fields_are_all_mapped():
    source = esm.document(_document(), DEPARTMENTS, lambda code: [])
    assert set(source) == set(esm.mappings(esm.IndexOptions())["properties"])  # dynamic: strict would refuse


# -- visibility -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [None, "officer", "reviewer", "manager", "auditor", "admin"])
def test_visibility_tokens_are_can_view_resource(role):
    actor = Actor(1, "someone", role, 3 if role else None, frozenset({3, 4}) if role else frozenset())
    held = set(esm.actor_tokens(actor))
    for department, status, share, is_open in product((3, 4, 9), ("draft", "published", "withdrawn"),
                                                      (None, "unconditional", "conditional", "not_shared"),
                                                      (True, False)):
        tokens = set(esm.visibility_tokens(department, status, share, is_open))
        expected = perm.can_view_resource(actor, department, status, share, is_open)
        assert bool(tokens & held) == expected, (role, department, status, share, is_open)


# -- query bodies -------------------------------------------------------------------------------------------

SEARCHES = {
    "everything_anonymous": ("anonymous", SearchQuery(facets=("department", "theme", "status"))),
    "dibao_officer_filtered": ("officer", SearchQuery(
        text="低保 资金", filters={"department": ["hn-mzj"], "share_type": ["conditional", "not_shared"]},
        facets=("department", "share_type", "theme", "status"))),
    "pinyin_manager": ("manager", SearchQuery(text="renkou", facets=("classification", "division"))),
    "mixed_tree_filters": ("officer", SearchQuery(
        text="GDP统计", filters={"classification": ["3"], "division": ["340402"], "theme": []})),
    "title_sort_page_3": ("manager", SearchQuery(sort="title", page=3, size=5)),
    "updated_with_text_past_the_end": ("anonymous", SearchQuery(text="信息", sort="updated", page=2001, size=5)),
    "counts_only": ("anonymous", SearchQuery(text="食品安全", size=0, facets=("format_class", "open_type",
                                                                            "update_cycle"))),
    "hostile_text": ("anonymous", SearchQuery(text='人口" OR title:* AND {"script": 1} ^3 ~ \\')),
}


@pytest.mark.parametrize("name", sorted(SEARCHES))
def test_search_body(name):
    role, query = SEARCHES[name]
    actor = ACTORS[role]
    facets = [f for f in query.facets if not (f == "status" and actor.is_anonymous)]
    body = esq.search_body(query, tx.parse_query(query.text), facets, esm.actor_tokens(actor))
    assert "query_string" not in json.dumps(body)
    assert_golden(f"search_{name}", body)


def test_search_body_with_ik_and_pinyin_plugin():
    query = SearchQuery(text="人口 rk")
    options = esm.IndexOptions("ik", pinyin_plugin=True)
    assert_golden("search_ik_pinyin", esq.search_body(query, tx.parse_query(query.text), [], ["all"], options))


def test_user_text_reaches_elasticsearch_only_as_words():
    body = esq.search_body(SEARCHES["hostile_text"][1], tx.parse_query(SEARCHES["hostile_text"][1].text), [],
                           ["public"])
    texts = []

    def walk(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "query" and isinstance(value, str):
                    texts.append(value)
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(body)
    assert texts and all(t.replace(" ", "").isalnum() for t in texts), texts


@pytest.mark.parametrize(("name", "prefix", "role"), [
    ("renk_anonymous", "renk", "anonymous"), ("renkou_officer", "人口", "officer"), ("spaced_manager", "Ren Kou", "manager"),
])
def test_suggest_body(name, prefix, role):
    assert_golden(f"suggest_{name}", esq.suggest_body(prefix, esm.actor_tokens(ACTORS[role])))


def test_suggest_body_of_nothing():
    assert esq.suggest_body("!!! 😀", ["public"]) is None
    assert esq.suggest_body("", ["public"]) is None


# -- responses ----------------------------------------------------------------------------------------------

RESPONSE = {  # the shape of a recorded _search response (Elasticsearch 8/9)
    "took": 3, "timed_out": False, "_shards": {"total": 1, "successful": 1, "skipped": 0, "failed": 0},
    "hits": {"total": {"value": 2, "relation": "eq"}, "max_score": 11.2, "hits": [
        {"_index": "mulu-resources-v3", "_id": "42", "_score": 11.2, "matched_queries": ["p0"],
         "_source": {"resource_id": 42, "title": "人口基础信息", "abstract": "全市<户籍>人口。", "code": "307/00101",
                     "status": "published", "department_name": "淮南市民政局", "updated_at": "2024-05-06T07:08:09"}},
        {"_index": "mulu-resources-v3", "_id": "7", "_score": 0.4,
         "_source": {"resource_id": 7, "title": "renkou 调查", "abstract": None, "code": None,
                     "status": "draft", "department_name": "社会救助科", "updated_at": None}},
    ]},
    "aggregations": {
        "department_id": {"doc_count_error_upper_bound": 0, "sum_other_doc_count": 0,
                          "buckets": [{"key": 3, "doc_count": 1}, {"key": 4, "doc_count": 1}]},
        "theme": {"doc_count_error_upper_bound": 0, "sum_other_doc_count": 0, "buckets": [{"key": "M", "doc_count": 2}]},
    },
}


def test_parse_search():
    parsed = tx.parse_query("renkou")
    page = esq.parse_search(RESPONSE, parsed, ["department", "division", "theme"], highlight=True)
    assert page.total == 2
    first, second = page.hits
    assert (first.id, first.title, first.code, first.department, first.score) == (42, "人口基础信息", "307/00101",
                                                                                  "淮南市民政局", 11.2)
    assert first.updated_at == datetime(2024, 5, 6, 7, 8, 9)
    assert first.highlights == {"title": "<mark>人口</mark>基础信息", "abstract": "全市&lt;户籍&gt;<mark>人口</mark>。"}
    # The second hit matched the word itself, not its pinyin reading: only the word is marked.
    assert second.highlights["title"] == "<mark>renkou</mark> 调查" and second.updated_at is None
    assert page.counts == {"department": {3: 1, 4: 1}, "division": {3: 1, 4: 1}, "theme": {"M": 2}}
    plain = esq.parse_search(RESPONSE, tx.parse_query(""), [], highlight=False)
    assert plain.hits[0].highlights == {} and plain.hits[0].score is None and plain.counts == {}


def test_parse_suggest():
    response = {"suggest": {"complete": [{"text": "rk", "offset": 0, "length": 2, "options": [
        {"text": "rkjcxx", "_id": "42", "_score": 2.0, "_source": {"title": "人口基础信息", "keywords": ["人口", "户籍"]}},
        {"text": "rk", "_id": "43", "_score": 1.0, "_source": {"title": "户籍人口名册", "keywords": ["人口"]}},
    ]}]}}
    suggestions = esq.parse_suggest(response, "rk", 10)
    assert [(s.text, s.kind, s.count) for s in suggestions] == [("人口", "keyword", 2), ("人口基础信息", "title", 1)]
    assert esq.parse_suggest(response, "rk", 1)[0].text == "人口"


# -- the recording transport ----------------------------------------------------------------------------------


class Cluster:
    """Indices and aliases of a pretend cluster, the requests it received, and canned search answers."""

    def __init__(self):
        self.indices: dict[str, set[str]] = {}
        self.calls: list[tuple[str, str, object]] = []
        self.documents: dict[str, dict[str, dict]] = {}
        self.search_response: dict = {"hits": {"total": {"value": 0, "relation": "eq"}, "hits": []}}

    def answer(self, method: str, path: str, body):
        parts = [p for p in path.split("/") if p]
        if parts[-1:] == ["_bulk"]:
            return 200, self._bulk(body)
        if method == "GET" and parts[-1] == "_alias":
            prefix = parts[0].rstrip("*")
            return 200, {n: {"aliases": {a: {} for a in al}} for n, al in self.indices.items() if n.startswith(prefix)}
        if method == "PUT" and len(parts) == 1:
            self.indices[parts[0]] = set((body or {}).get("aliases", {}))
            return 200, {"acknowledged": True, "index": parts[0]}
        if method == "POST" and parts == ["_aliases"]:
            for action in body["actions"]:
                (kind, spec), = action.items()
                (self.indices[spec["index"]].add if kind == "add" else self.indices[spec["index"]].discard)(spec["alias"])
            return 200, {"acknowledged": True}
        if method == "DELETE":
            for name in parts[0].split(","):
                self.indices.pop(name, None)
            return 200, {"acknowledged": True}
        if parts[-1:] == ["_search"]:
            return 200, self.search_response
        return 200, {"acknowledged": True}  # _settings, _refresh

    def _bulk(self, lines):
        items = []
        for action, source in lines:
            (kind, meta), = action.items()
            documents = self.documents.setdefault(meta["_index"], {})
            if kind == "delete":
                found = documents.pop(meta["_id"], None) is not None
                items.append({"delete": {"_id": meta["_id"], "status": 200 if found else 404,
                                         "result": "deleted" if found else "not_found"}})
            else:
                documents[meta["_id"]] = source
                items.append({kind: {"_id": meta["_id"], "status": 201, "result": "created"}})
        return {"took": 1, "errors": False, "items": items}


@pytest.fixture
def cluster():
    return Cluster()


@pytest.fixture
def client(cluster):
    elasticsearch = pytest.importorskip("elasticsearch")
    from elastic_transport import ApiResponseMeta, BaseNode, HttpHeaders
    from elastic_transport._node import NodeApiResponse

    class RecordingNode(BaseNode):
        def perform_request(self, method, target, body=None, headers=None, request_timeout=None):
            path = target.partition("?")[0]
            text = body.decode() if body else ""
            if path.endswith("/_bulk"):
                lines = [json.loads(line) for line in text.splitlines() if line]
                payload, i = [], 0
                while i < len(lines):
                    has_source = "delete" not in lines[i]
                    payload.append((lines[i], lines[i + 1] if has_source else None))
                    i += 2 if has_source else 1
            else:
                payload = json.loads(text) if text else None
            cluster.calls.append((method, target, payload))
            status, answer = cluster.answer(method, path, payload)
            meta = ApiResponseMeta(status=status, http_version="1.1", duration=0.0, node=self.config,
                                   headers=HttpHeaders({"x-elastic-product": "Elasticsearch",
                                                        "content-type": "application/json"}))
            return NodeApiResponse(meta, json.dumps(answer).encode())

    return elasticsearch.Elasticsearch("http://pretend:9200", node_class=RecordingNode)


@pytest.fixture
def es_backend(client, container):
    from catalog.search.elasticsearch import ElasticsearchBackend

    backend = ElasticsearchBackend(client, lambda: container.vocab, engine=container.engine, alias="mulu-resources")
    yield backend
    backend.close()


@pytest.fixture
def world(container, session, monkeypatch):
    from argon2 import PasswordHasher

    from tests.catalog.factories import build_world

    monkeypatch.setattr("catalog.services.user._hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    return build_world(container, session)


def _requests(cluster, method=None, suffix=None):
    return [(m, t.partition("?")[0]) for m, t, _ in cluster.calls
            if (method is None or m == method) and (suffix is None or t.partition("?")[0].endswith(suffix))]


def test_full_reindex_builds_a_new_version_and_swaps_the_alias(es_backend, cluster, world, session):
    first = world.resource("published", title="人口基础信息")
    second = world.resource("draft", title="低保资金发放明细")
    cluster.indices = {"mulu-resources-v3": {"mulu-resources"}, "mulu-resources-v2": set()}  # v2: a failed build
    cluster.calls.clear()

    count = es_backend.reindex(session)

    assert count == 2
    # Create v4 without refreshes, fill it, restore refreshing, swap in one request, delete the old versions.
    creates = [(t, b) for m, t, b in cluster.calls if m == "PUT" and t.startswith("/mulu-resources-v4")
               and not t.endswith("_settings")]
    assert len(creates) == 1 and creates[0][1]["settings"]["index"]["refresh_interval"] == "-1"
    swaps = [b for m, t, b in cluster.calls if t.startswith("/_aliases")]
    assert swaps == [{"actions": [{"remove": {"index": "mulu-resources-v3", "alias": "mulu-resources"}},
                                  {"add": {"index": "mulu-resources-v4", "alias": "mulu-resources"}}]}]
    order = [(m, t) for m, t in _requests(cluster) if m != "GET" and "_bulk" not in t]
    assert order == [("PUT", "/mulu-resources-v4"), ("PUT", "/mulu-resources-v4/_settings"),
                     ("POST", "/mulu-resources-v4/_refresh"), ("POST", "/_aliases"),
                     ("DELETE", "/mulu-resources-v2,mulu-resources-v3")]
    assert cluster.indices == {"mulu-resources-v4": {"mulu-resources"}}
    indexed = cluster.documents["mulu-resources-v4"]
    assert set(indexed) == {str(first.id), str(second.id)}
    assert indexed[str(first.id)]["department_path"] == ["mzj"]
    assert indexed[str(second.id)]["visibility"] == ["all", f"dept:{world.mzj.id}"]


def test_reindex_since_and_index_write_through_the_alias(es_backend, cluster, world, session):
    resource = world.resource("published", title="人口基础信息")
    cluster.indices = {}
    cluster.calls.clear()
    assert es_backend.reindex(session, since=resource.updated_at) == 1
    # The alias did not exist: v1 is created with it, then the bulk request writes through the alias.
    assert ("PUT", "/mulu-resources-v1") in _requests(cluster)
    assert cluster.indices == {"mulu-resources-v1": {"mulu-resources"}}
    bulk = [b for m, t, b in cluster.calls if t.partition("?")[0] == "/_bulk"]
    assert [action for action, _ in bulk[-1]] == [{"index": {"_index": "mulu-resources", "_id": str(resource.id)}}]
    assert "refresh=true" in [t for m, t, b in cluster.calls if t.startswith("/_bulk")][-1]

    es_backend.index(session, [resource.id, 999_999])  # an id the database does not have is deleted
    actions = [action for action, _ in [b for m, t, b in cluster.calls if t.startswith("/_bulk")][-1]]
    assert actions == [{"index": {"_index": "mulu-resources", "_id": str(resource.id)}},
                       {"delete": {"_index": "mulu-resources", "_id": "999999"}}]


def test_writes_are_sent_when_the_transaction_ends(es_backend, cluster, world, session):
    cluster.indices = {"mulu-resources-v1": {"mulu-resources"}}
    resource = world.resource("draft", title="城市燃气管网信息")
    session.commit()  # in the test session a commit releases a savepoint: the session's transaction ends
    sent = {meta["_id"] for m, t, b in cluster.calls if t.startswith("/_bulk") for action, _ in b
            for meta in action.values()}
    assert str(resource.id) in sent
    assert cluster.documents["mulu-resources"][str(resource.id)]["title"] == "城市燃气管网信息"


def test_search_reads_its_own_writes_and_maps_the_response(es_backend, cluster, world, session, container):
    cluster.indices = {"mulu-resources-v1": {"mulu-resources"}}
    resource = world.resource("published", title="人口基础信息")
    cluster.search_response = {
        "hits": {"total": {"value": 1, "relation": "eq"}, "hits": [
            {"_id": str(resource.id), "_score": 3.0, "_source": {
                "resource_id": resource.id, "title": "人口基础信息", "abstract": "", "code": None,
                "status": "published", "department_name": "淮南市民政局", "updated_at": "2024-05-06T07:08:09"}}]},
        "aggregations": {"department_id": {"buckets": [{"key": world.mzj_unit.id, "doc_count": 1}]}},
    }
    cluster.calls.clear()
    result = es_backend.search(session, SearchQuery(text="人口", facets=("department", "status")),
                               world.actor("anonymous"))
    sent_to = [(m, t) for m, t, b in cluster.calls if m != "GET"]  # (GET: the alias is looked up once)
    assert sent_to == [("PUT", "/_bulk?refresh=true"), ("POST", "/mulu-resources/_search")]  # own writes first
    sent = cluster.calls[-1][2]
    assert sent == esq.search_body(SearchQuery(text="人口", facets=("department", "status")),
                                   tx.parse_query("人口"), ["department"], ["public"])
    assert result.total == 1 and result.hits[0].highlights["title"] == "<mark>人口</mark>基础信息"
    assert set(result.facets) == {"department"}  # status is for signed-in users only
    department = {v.value: v for v in result.facets["department"]}
    assert department["mzj-shjz"].parent == "mzj" and department["mzj"].count == 1


def test_symbols_only_and_unknown_names_send_nothing(es_backend, cluster, world, session):
    from catalog.search import SearchError

    cluster.calls.clear()
    assert es_backend.search(session, SearchQuery(text="😀 !!!"), world.actor("admin")).total == 0
    assert es_backend.suggest(session, "!!!", world.actor("admin")) == []
    with pytest.raises(SearchError):
        es_backend.search(session, SearchQuery(sort="popularity"), world.actor("admin"))
    assert not [c for c in cluster.calls if "_search" in c[1]]
