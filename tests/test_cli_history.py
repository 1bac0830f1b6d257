"""``mulu resource show|history|diff`` and ``mulu audit``: reading a resource's history from the shell."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from catalog.actor import Actor
from catalog.models import Department
from catalog.services.resource import ResourceService
from tests.catalog.factories import advance, resource_input
from tests.clitools import cli_on_fresh_database


@pytest.fixture
def cli(tmp_path):
    with cli_on_fresh_database(tmp_path) as runner:
        container = runner.seed()
        with container.unit_of_work() as session:
            department = session.scalars(select(Department).where(Department.key == "hn-mzj")).one()
            service = ResourceService(container, session, Actor.system("test"))
            resource = service.create(resource_input(department, title="淮南市婚姻登记信息"))
            service.update(resource.id, {**service.to_json(resource), "title": "淮南市婚姻登记信息（全量）"})
            advance(service, resource.id, ["submit", "return"])
            runner.resource_id = resource.id
        yield runner


def test_show_prints_the_resource_json_by_id_or_metadata_id(cli):
    by_id = json.loads(cli.ok("resource", "show", str(cli.resource_id)).output)
    assert by_id["title"] == "淮南市婚姻登记信息（全量）" and by_id["status"] == "returned"
    by_metadata_id = json.loads(cli.ok("resource", "show", by_id["metadata_id"]).output)
    assert by_metadata_id["id"] == cli.resource_id


def test_show_of_an_unknown_resource_fails_with_a_message(cli):
    result = cli("--lang", "en", "resource", "show", "307015/999999")
    assert result.exit_code == 1
    assert "307015/999999" in result.output


def test_history_lists_revisions_and_workflow_events_with_reasons(cli):
    output = cli.ok("resource", "history", str(cli.resource_id)).output
    assert [line.split()[0] for line in output.splitlines() if line.strip().startswith("r")] == ["r1", "r2", "r3", "r4"]
    assert "草稿 → 待注册审核" in output
    assert "待注册审核 → 退回修改  — 测试：return" in output


def test_diff_between_two_revisions_names_fields_by_label(cli):
    output = cli.ok("--lang", "en", "resource", "diff", str(cli.resource_id), "1", "2").output
    assert 'Resource title: "淮南市婚姻登记信息" → "淮南市婚姻登记信息（全量）"  (changed)' in output
    assert cli.ok("resource", "diff", str(cli.resource_id), "1", "1").output.strip() == "(no differences)"
    missing = cli("--lang", "en", "resource", "diff", str(cli.resource_id), "1", "99")
    assert missing.exit_code == 1 and "Revision 99" in missing.output


def test_audit_lists_every_write_newest_first_and_filters(cli):
    output = cli.ok("audit", "--object", f"resource:{cli.resource_id}").output.splitlines()
    actions = [line.split()[4] for line in output]
    assert actions == ["resource.return", "resource.submit", "resource.update", "resource.create"]
    assert all(" test " in f" {line} " for line in output), "the client of every write is recorded"
    only_creates = cli.ok("audit", "--action", "resource.create").output.splitlines()
    assert len(only_creates) == 1
    users = cli.ok("audit", "--object", "user").output
    assert "user.create" in users
