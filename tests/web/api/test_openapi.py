"""The OpenAPI document: valid, complete, generated from the schemas, and true to what the API answers (schemathesis).

The schemathesis run uses a catalog of its own: it creates, changes and deletes what it likes.
"""

from __future__ import annotations

import re
import time

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.configuration import set_hypothesis_home_dir
from hypothesis.errors import Unsatisfiable
from openapi_spec_validator import validate
from schemathesis import GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from catalog.actor import Actor
from catalog.config import Settings
from catalog.container import Container
from catalog.demo.builder import build_demo
from catalog.services.token import TokenService
from catalog.services.user import UserService
from tests.clitools import throwaway_database
from tests.web.api.conftest import UNLIMITED
from tests.web.conftest import PASSWORD
from web import create_app


def test_the_document_is_valid_openapi(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    validate(spec)
    assert spec["openapi"] == "3.0.3" and spec["servers"] == [{"url": "/api/v1"}]


def test_every_api_route_is_documented(app, client):
    spec = client.get("/api/v1/openapi.json").get_json()
    documented = {(method.upper(), path) for path, item in spec["paths"].items() for method in item
                  if method in ("get", "post", "put", "patch", "delete")}
    routes = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint.startswith("api."):
            path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)[len("/api/v1"):] or "/"
            routes |= {(method, path) for method in rule.methods - {"HEAD", "OPTIONS"}}
    assert routes == documented


def test_schemas_come_from_the_profile(client, container):
    schemas = client.get("/api/v1/openapi.json").get_json()["components"]["schemas"]
    resource_input = schemas["ResourceInput"]
    assert set(resource_input["required"]) == {"title", "department", "classification_code"}
    assert resource_input["additionalProperties"] is False
    assert resource_input["properties"]["title"]["maxLength"] == container.profile.get("title").max_length
    assert "unconditional" in schemas["ResourceInputShare"]["properties"]["type"]["enum"]
    for element in container.profile.extension_elements:
        assert element.name in resource_input["properties"] and element.name in schemas["Resource"]["properties"]


def test_summaries_follow_the_language(client):
    zh = client.get("/api/v1/openapi.json").get_json()
    en = client.get("/api/v1/openapi.json", headers={"Accept-Language": "en"}).get_json()
    assert en["paths"]["/resources"]["get"]["summary"] == "Search resources"
    assert zh["paths"]["/resources"]["get"]["summary"] == "检索信息资源"


# -- the documentation page ----------------------------------------------------------------------


def test_the_docs_page_renders_the_document_without_outside_assets(client):
    response = client.get("/api/docs")
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and response.mimetype == "text/html"
    for tag in re.findall(r"<(?:script|link|img)\b[^>]*>", html):
        for url in re.findall(r'(?:src|href)="([^"]+)"', tag):
            assert url.startswith("/") and not url.startswith("//"), tag
    spec = client.get("/api/v1/openapi.json").get_json()
    for item in spec["paths"].values():
        for method in item:
            if method in ("get", "post", "put", "patch", "delete"):
                assert f'id="op-{item[method]["operationId"]}"' in html
    for name in spec["components"]["schemas"]:
        assert f'id="schema-{name}"' in html
    assert "curl -X POST http://localhost/api/v1/resources" in html and "Authorization: Bearer $TOKEN" in html
    assert "/account/tokens" in html  # where to get a token
    assert "城乡低保对象信息" in html  # the documented example body


def test_the_docs_page_is_in_english_too(client):
    html = client.get("/api/docs?lang=en").get_data(as_text=True)
    assert "Getting started: register a resource with curl" in html and "Search resources" in html


# -- schemathesis -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory):
    """An app on a small catalog of its own, and the token maker for its administrator."""
    directory = tmp_path_factory.mktemp("fuzz")
    with throwaway_database(directory, "fuzz") as url:
        container = Container.from_settings(Settings(instance_path=directory / "instance", database_url=url,
                                                     **UNLIMITED))
        build_demo(container, resource_count=12, password=PASSWORD)
        yield create_app(container=container), container
        container.dispose()


@pytest.fixture(scope="module")
def api_schema(fuzzed, tmp_path_factory):
    app, _container = fuzzed
    # Hypothesis caches into .hypothesis/ of the working directory; keep the checkout clean.
    set_hypothesis_home_dir(str(tmp_path_factory.mktemp("hypothesis")))
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance,
          response_headers_conformance]
EXAMPLES = 5  # per operation and generation mode: the whole run stays well under a minute


def test_no_server_error_and_every_answer_matches_the_document(fuzzed, api_schema):
    _app, container = fuzzed
    token: list[str] = []

    def headers() -> dict[str, str]:
        if not token:
            with container.unit_of_work() as session:
                admin = UserService(container, session, Actor.system("test")).get_by_username("admin")
                token.append(TokenService(container, session, Actor.system("test")).create(
                    "fuzz", user_id=admin.id)[1])
        return {"Authorization": f"Bearer {token[0]}"}

    failures: list[str] = []
    started = time.monotonic()
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) > 20
    for operation in operations:
        strategies = [(GenerationMode.POSITIVE, s) for s in operation.get_strategies_from_examples()]
        strategies += [(mode, operation.as_strategy(generation_mode=mode)) for mode in GenerationMode]
        for mode, strategy in strategies:

            @given(case=strategy)
            @settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck),
                      derandomize=True, database=None, phases=[Phase.explicit, Phase.generate])
            def run(case):
                case.call_and_validate(headers=headers(), checks=CHECKS)
                if case.method == "DELETE" and case.path == "/tokens/{token_id}":
                    token.clear()  # it may have revoked the token in use

            try:
                run()
            except Unsatisfiable:
                assert mode == GenerationMode.NEGATIVE  # nothing invalid to send (no parameters, any string)
            except Exception as error:  # noqa: BLE001 (collect every operation's failure, then report)
                failures.append(f"{operation.label} ({mode.value}): {error}")
    assert not failures, "\n\n".join(failures)
    assert time.monotonic() - started < 60
