"""``mulu harvest``: sources, runs with a progress bar, dry runs, jobs and their reports, on a database of its own."""

from __future__ import annotations

import json

import pytest

from harvesters.http import HttpPolicy
from tests.clitools import cli_on_fresh_database
from tests.harvest.test_ckan import serve_ckan


@pytest.fixture
def cli(tmp_path):
    with cli_on_fresh_database(tmp_path, "harvest") as cli:
        cli.seed()
        yield cli


def test_source_add_list_show_never_shows_a_secret(cli):
    cli.ok("harvest", "source", "add", "mzj-portal", "--type", "ckan", "--url", "https://data.example.gov.cn",
           "--department", "hn-mzj", "--classification", "307", "--default", "share.type=无条件共享",
           "--config", '{"auth_header": "env:MZJ_TOKEN"}', "--schedule", "daily")
    assert "mzj-portal\tckan\tdaily\t淮南市民政局" in cli.ok("harvest", "source", "list").output
    shown = json.loads(cli.ok("harvest", "source", "show", "mzj-portal").output)
    assert shown["config"] == {"auth_header": "env:MZJ_TOKEN"}
    assert shown["defaults"] == {"classification_code": "307", "share": {"type": "无条件共享"}}
    refused = cli("harvest", "source", "add", "leak", "--type", "ckan", "--url", "https://x.example", "--department",
                  "hn-mzj", "--classification", "307", "--config", '{"auth_header": "Bearer abc"}')
    assert refused.exit_code == 1 and "env:" in refused.output


def test_run_refuses_loopback_by_default_and_reports_why(cli, site):
    serve_ckan(site, [])
    cli.ok("harvest", "source", "add", "local", "--type", "ckan", "--url", site.base, "--department", "hn-mzj",
           "--classification", "307")
    result = cli("harvest", "run", "local")
    assert result.exit_code == 1
    assert "non-public address 127.0.0.1" in result.output or "非公网地址 127.0.0.1" in result.output


def test_run_dry_run_and_jobs(cli, site, fixtures_dir, monkeypatch):
    packages = json.loads((fixtures_dir / "ckan-birmingham/package_search.json").read_text())["result"]["results"]
    serve_ckan(site, packages)
    monkeypatch.setattr("harvesters.runner.HttpPolicy.from_settings",
                        classmethod(lambda cls, settings, **kw: HttpPolicy(allow_private=True)))
    cli.ok("harvest", "source", "add", "bham", "--type", "ckan", "--url", site.base, "--department", "hn-mzj",
           "--classification", "307")
    preview = cli.ok("harvest", "run", "bham", "--dry-run", "--max-items", "3")
    assert "created 3" in preview.output and "nothing was written" in preview.output
    assert cli.ok("harvest", "jobs", "bham").output.strip() == ""
    run = cli.ok("harvest", "run", "bham")
    assert "created 10" in run.output
    again = cli.ok("harvest", "run", "bham")
    assert "unchanged 10" in again.output
    jobs = cli.ok("harvest", "jobs").output
    assert jobs.count("bham: job") == 2
    report = cli.ok("harvest", "jobs", "--job", "1").output
    assert report.count("[created]") == 10
