"""The command line: ``mulu inventory``, ``mulu coverage``, ``mulu quality`` and ``mulu overlap`` on a fresh database."""

from __future__ import annotations

import csv
import io
import json

import pytest
from openpyxl import load_workbook

from catalog.actor import Actor
from catalog.services.resource import ResourceService
from tests.catalog.factories import WORKFLOW_PATHS, advance, resource_input
from tests.clitools import cli_on_fresh_database


@pytest.fixture(scope="module")
def cli(tmp_path_factory):
    with cli_on_fresh_database(tmp_path_factory.mktemp("coverage-cli"), "coverage") as cli:
        container = cli.seed()
        with container.unit_of_work() as session:
            service = ResourceService(container, session, Actor.system("test"))
            for title, state in (("最低生活保障对象信息", "published"), ("婚姻登记信息", "registered")):
                resource = service.create(resource_input("hn-mzj", title=title))
                advance(service, resource.id, WORKFLOW_PATHS[state])
        yield cli


def test_inventory_import_reports_every_bad_row_then_skips_them(cli, tmp_path):
    sheet = tmp_path / "inventory.csv"
    sheet.write_text("部门,资源名称,来源,信息项\n"
                     "hn-mzj,最低生活保障对象,事项,姓名、身份证号码\n"
                     "hn-mzj,婚姻登记,事项,\n"
                     "hn-mzj,残疾人两项补贴发放信息,事项,\n"
                     "no-such,某资源,职责,\n"
                     "hn-rsj,,职责,\n"
                     "hn-rsj,养老保险参保信息,职责,\n", encoding="utf-8")
    result = cli("--lang", "en", "inventory", "import", str(sheet))
    assert result.exit_code == 1
    assert "row 5:" in result.stderr and "row 6:" in result.stderr and "nothing was imported" in result.stderr
    result = cli.ok("--lang", "en", "inventory", "import", str(sheet), "--skip-invalid")
    assert "4 created, 0 updated, 2 skipped, 2 with errors." in result.stdout


def test_match_export_and_coverage(cli, tmp_path):
    matched = cli.ok("inventory", "match")
    assert "最低生活保障对象  →  最低生活保障对象信息" in matched.stdout
    exported = cli.ok("inventory", "export").stdout.lstrip("\ufeff")
    row = next(r for r in csv.DictReader(io.StringIO(exported)) if r["资源名称 (title)"] == "最低生活保障对象")
    assert row["建议关联资源 (suggestion)"].startswith("307015/") and row["信息资源代码 (resource_code)"] == ""

    table = cli.ok("--lang", "en", "coverage", "report")
    assert "City-wide" in table.stdout and "Below target" in table.stdout
    data = json.loads(cli.ok("coverage", "report", "--format", "json", "--by", "department").stdout)
    assert data["city"]["expected"] == 4 and data["city"]["published"] == 0  # suggestions are not links
    assert {d["key"]: d["status"] for d in data["departments"]} == {
        "hn-gov": "no_inventory", "hn-mzj": "below", "hn-rsj": "below"}
    early = json.loads(cli.ok("coverage", "report", "--format", "json", "--as-of", "2001-01-01").stdout)
    assert early["city"]["published"] == 0 and early["as_of"] == "2001-01-01"
    bad = cli("coverage", "report", "--as-of", "yesterday")
    assert bad.exit_code == 2 and "ISO date" in bad.output
    assert cli("coverage", "report", "--format", "xlsx").exit_code == 2  # needs --output
    workbook = tmp_path / "coverage.xlsx"
    cli.ok("coverage", "report", "--format", "xlsx", "-o", str(workbook), "--period", "quarter")
    assert load_workbook(workbook).sheetnames == ["说明", "按区划", "按部门", "缺项", "趋势"]
    csv_text = cli.ok("coverage", "report", "--format", "csv", "--by", "department").stdout
    assert csv_text.lstrip("\ufeff").startswith("名称 (name)")
    snapshot = cli.ok("coverage", "snapshot")
    assert "0 of 4 expected resources published" in snapshot.stdout


def test_a_confirmed_link_counts(cli):
    from sqlalchemy import select

    from catalog.coverage.inventory import InventoryService
    from catalog.models import InventoryItem

    container = cli.container()
    with container.unit_of_work() as session:
        item = session.scalars(select(InventoryItem).where(InventoryItem.title == "最低生活保障对象")).one()
        InventoryService(container, session, Actor.system("test")).link(item.id)  # confirm the suggestion
    data = json.loads(cli.ok("coverage", "report", "--format", "json", "--by", "department").stdout)
    assert data["city"]["published"] == 1 and data["city"]["ratio_published"] == 0.25


def test_quality_and_overlap(cli, tmp_path):
    table = cli.ok("--lang", "en", "quality", "report")
    assert "Metadata quality on" in table.stdout and "hn-mzj" in table.stdout
    data = json.loads(cli.ok("quality", "report", "--format", "json").stdout)
    assert data["weights"]["mandatory"] == 30 and len(data["resources"]) == 2
    cli.ok("quality", "report", "--format", "xlsx", "-o", str(tmp_path / "quality.xlsx"))
    assert "得分 (score)" in cli.ok("quality", "report", "--format", "csv", "--by", "resource").stdout
    overlap = cli.ok("overlap", "report")
    assert "人口基础信息库" in overlap.stdout
    data = json.loads(cli.ok("overlap", "report", "--format", "json").stdout)
    assert {library["key"] for library in data["libraries"]} == {"population", "legal_entity"}


def test_the_groups_list_their_commands(cli):
    expected = {"inventory": {"import", "export", "match"}, "coverage": {"report", "snapshot"},
                "quality": {"report"}, "overlap": {"report"}}
    for group, subcommands in expected.items():
        output = cli.ok(group, "--help").output
        listed = {line.split()[0] for line in output.split("Commands:")[1].splitlines() if line.strip()}
        assert listed == subcommands, group


def test_an_officer_reports_on_their_own_department(cli):
    cli.ok("user", "create", "officer.mzj", "--role", "officer", "--department", "hn-mzj", "--password", "pw-123456")
    denied = cli("--lang", "en", "coverage", "report", "--as", "officer.mzj")
    assert denied.exit_code == 1 and "not allowed" in denied.stderr
    data = json.loads(cli.ok("coverage", "report", "--format", "json", "--department", "hn-mzj",
                             "--as", "officer.mzj").stdout)
    assert [d["key"] for d in data["departments"]] == ["hn-mzj"]
