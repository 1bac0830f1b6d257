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


def test_a_portal_mapping_file_and_a_config_file_are_read(cli, site, monkeypatch, tmp_path):
    mapping = tmp_path / "portal_mapping.json"
    mapping.write_text('{"标题": "title", "摘要信息": "description", "所属领域": "category", "详情页网址": "url", '
                       '"提供单位": "department"}', encoding="utf-8")
    settings = tmp_path / "settings.json"
    settings.write_text('{"only_departments": ["淮南市民政局"]}', encoding="utf-8")
    rows = [{"标题": "养老机构名录", "摘要信息": "全市养老机构。", "所属领域": "民政、社区", "提供单位": "淮南市民政局",
             "详情页网址": "https://portal.example.gov.cn/d/1"}]
    site.add("/export.json", rows)
    monkeypatch.setattr("harvesters.runner.HttpPolicy.from_settings",
                        classmethod(lambda cls, settings, **kw: HttpPolicy(allow_private=True)))
    cli.ok("harvest", "source", "add", "portal", "--type", "spreadsheet", "--url", site.base + "/export.json",
           "--department", "hn-mzj", "--classification", "307", "--config", f"@{settings}", "--columns", str(mapping))
    shown = json.loads(cli.ok("harvest", "source", "show", "portal").output)
    assert shown["config"]["columns"]["所属领域"] == "category"
    assert shown["config"]["only_departments"] == ["淮南市民政局"]
    assert "created 1" in cli.ok("harvest", "run", "portal").output

    broken = tmp_path / "broken.json"
    broken.write_text("{标题: title}", encoding="utf-8")
    refused = cli("harvest", "source", "add", "broken", "--type", "spreadsheet", "--url", site.base + "/export.json",
                  "--department", "hn-mzj", "--classification", "307", "--columns", str(broken))
    assert refused.exit_code == 2 and "--columns" in refused.output and "not JSON" in refused.output
