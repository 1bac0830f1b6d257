"""``mulu search reindex`` and ``mulu search query`` on a database of their own (the commands commit)."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import text

from catalog.actor import Actor
from catalog.services.resource import ResourceService
from tests.catalog.factories import WORKFLOW_PATHS, advance, resource_input
from tests.clitools import cli_on_fresh_database

OPEN = {"is_open": True, "type": "unconditional"}
SHARED = {"type": "unconditional", "method": "1-3"}


@pytest.fixture(scope="module")
def cli(tmp_path_factory):
    """A migrated database with three resources of 民政局: two published and open, one draft."""
    with cli_on_fresh_database(tmp_path_factory.mktemp("search-cli")) as runner:
        container = runner.seed()
        with container.unit_of_work() as session:
            service = ResourceService(container, session, Actor.system("test"))
            for title, state in (("人口基础信息", "published"), ("低保资金发放明细", "published"),
                                 ("人口变动草稿", "draft")):
                resource = service.create(resource_input("hn-mzj", title=title, share=SHARED, open=OPEN))
                advance(service, resource.id, WORKFLOW_PATHS[state])
        yield runner


def test_reindex_prints_the_count_and_since_limits_it(cli):
    assert cli.ok("search", "reindex").stdout.strip().endswith("3 resources indexed")
    assert "0 resources indexed" in cli.ok("search", "reindex", "--since", "2999-01-01").stdout
    assert "3 resources indexed" in cli.ok("search", "reindex", "--since", "2000-01-01T08:00").stdout
    bad = cli("search", "reindex", "--since", "yesterday")
    assert bad.exit_code == 2 and "ISO 8601" in bad.output


def test_reindex_repairs_an_index_emptied_behind_the_catalogs_back(cli):
    with cli.container().engine.begin() as connection:
        connection.execute(text("DELETE FROM search_index"))
    assert json.loads(cli.ok("search", "query", "--json").stdout)["total"] == 0
    cli.ok("search", "reindex")
    assert json.loads(cli.ok("search", "query", "--json").stdout)["total"] == 3


def test_query_as_json_with_facets_and_filters(cli):
    out = json.loads(cli.ok("search", "query", "人口", "--facets", "--json").stdout)
    assert out["total"] == 2 and {h["title"] for h in out["hits"]} == {"人口基础信息", "人口变动草稿"}
    assert all("<mark>人口</mark>" in h["highlights"]["title"] for h in out["hits"])
    assert {v["value"]: v["count"] for v in out["facets"]["status"]} == {"published": 1, "draft": 1}
    assert {v["value"] for v in out["facets"]["department"]} >= {"hn-mzj", "hn-gov"}
    filtered = json.loads(cli.ok("search", "query", "人口", "--filter", "status=draft", "--json").stdout)
    assert [h["title"] for h in filtered["hits"]] == ["人口变动草稿"] and filtered["facets"] == {}
    paged = json.loads(cli.ok("search", "query", "--sort", "title", "--size", "1", "--page", "2", "--json").stdout)
    assert paged["total"] == 3 and paged["pages"] == 3 and len(paged["hits"]) == 1


def test_query_as_a_user_sees_what_they_may_see(cli):
    out = json.loads(cli.ok("search", "query", "人口", "--as", "admin", "--json").stdout)
    assert out["total"] == 2
    missing = cli("search", "query", "人口", "--as", "nobody")
    assert missing.exit_code == 1 and "nobody" in missing.output


def test_query_text_output(cli):
    out = cli.ok("search", "query", "rk", "--facets").stdout
    assert out.splitlines()[0].startswith("2 ") and "人口基础信息" in out
    assert "(status):" in out and "published" in out


@pytest.mark.parametrize(("args", "named", "known"), [
    (("--sort", "popularity"), "popularity", "relevance"),
    (("--filter", "colour=red"), "colour", "department"),
])
def test_unknown_sort_or_filter_field_is_a_clear_error(cli, args, named, known):
    result = cli("search", "query", "人口", *args)
    assert result.exit_code == 1 and named in result.output and known in result.output


def test_a_malformed_filter_is_a_usage_error(cli):
    result = cli("search", "query", "人口", "--filter", "department")
    assert result.exit_code == 2 and "field=value" in result.output
