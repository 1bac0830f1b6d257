"""``mulu resource export`` / ``import`` with JSON Lines: the Resource JSON, all-or-nothing imports, round trips.

The commands commit, so every test has a throwaway database (tests/clitools.py): SQLite, or a
PostgreSQL database of its own when ``MULU_TEST_DATABASE_URL`` is a PostgreSQL URL.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from catalog.actor import Actor
from catalog.models import Department, Resource, ResourceChange, Revision
from catalog.services.resource import ResourceService
from catalog.services.user import UserService
from tests.catalog.factories import WORKFLOW_PATHS, advance, resource_input
from tests.clitools import PASSWORD, cli_on_fresh_database, jsonl, write_jsonl

RESOURCE_KEYS = {
    "id", "metadata_id", "code", "status", "title", "abstract", "department", "classification_code", "share",
    "open", "update_cycle", "items", "distributions", "version", "created_at", "updated_at",
}
# What a resource says, as opposed to what the registry says about it (ids, state, versions, times).
REGISTRY_KEYS = {"id", "metadata_id", "code", "status", "version", "created_at", "updated_at", "published_on",
                 "metadata_updated"}


@pytest.fixture
def cli(tmp_path):
    with cli_on_fresh_database(tmp_path) as runner:
        runner.seed()
        yield runner


def _catalog(cli, states=("draft", "returned", "registered", "published", "published")) -> dict[str, int]:
    """Resources of 民政局 in the given states, through the services; returns ``{title: id}``."""
    container = cli.container()
    ids = {}
    with container.unit_of_work() as session:
        service = ResourceService(container, session, Actor.system("test"))
        for number, state in enumerate(states, start=1):
            resource = service.create(resource_input("hn-mzj", title=f"民政资源{number}（{state}）"))
            advance(service, resource.id, WORKFLOW_PATHS[state])
            ids[resource.title] = resource.id
    return ids


def _content(record: dict) -> dict:
    return {key: value for key, value in record.items() if key not in REGISTRY_KEYS}


def _count(cli, model=Resource) -> int:
    container = cli.container()
    with container.unit_of_work() as session:
        return session.scalar(select(func.count()).select_from(model))


def _reported_lines(output: str) -> list[int]:
    return [int(number) for number in re.findall(r"^line (\d+):$", output, flags=re.MULTILINE)]


# -- export -----------------------------------------------------------------------------------------


def test_export_writes_one_resource_json_per_line(cli, tmp_path):
    _catalog(cli)
    records = jsonl(cli.ok("resource", "export", "--format", "jsonl"))
    assert len(records) == 5
    for record in records:
        assert RESOURCE_KEYS <= set(record)
        assert set(record["department"]) == {"id", "name", "uscc"}
        assert set(record["share"]) == {"type", "condition", "basis", "method"}
        assert set(record["open"]) == {"is_open", "type", "condition"}
        assert record["department"]["name"] == "淮南市民政局"
        assert record["share"] == {"type": "conditional", "condition": "仅限民政、人社部门核查使用", "basis": None,
                                   "method": "1-2"}
        assert record["open"] == {"is_open": False, "type": "not_open", "condition": None}
        assert record["update_cycle"] == "4" and record["classification_code"] == "307015"
        assert [item["name"] for item in record["items"]] == ["姓名", "身份证号码", "保障金额"]
        assert record["metadata_id"].startswith("metadata_")
        assert record["source_system"] == "社会救助信息系统"
    by_status = {record["status"]: record for record in records}
    assert by_status["draft"]["code"] is None
    assert re.fullmatch(r"307015/\d{6}", by_status["published"]["code"])

    published = jsonl(cli.ok("resource", "export", "--status", "published"))
    assert [r["status"] for r in published] == ["published", "published"]
    assert jsonl(cli.ok("resource", "export", "--status", "withdrawn")) == []
    assert cli("resource", "export", "--status", "gone").exit_code == 2

    path = tmp_path / "out.jsonl"
    cli.ok("resource", "export", "-o", str(path))
    assert len(path.read_text(encoding="utf-8").splitlines()) == 5


# -- validation: all or nothing ---------------------------------------------------------------------


def _thousand_with_three_bad():
    records = [resource_input("hn-mzj", title=f"最低生活保障对象信息（第{n}批）") for n in range(1, 1001)]
    del records[16]["title"]                                   # line 17: no 信息资源名称
    del records[499]["share"]["condition"]                     # line 500: 有条件共享 without its condition
    records[997]["items"][1] = {"name": "身份证号码", "data_type": "C"}  # line 998: 字符型 item without length
    return records


def test_import_of_1000_with_3_bad_rejects_all_and_names_each_line(cli, tmp_path):
    path = write_jsonl(tmp_path / "catalog.jsonl", _thousand_with_three_bad())
    result = cli("--lang", "en", "resource", "import", str(path))
    assert result.exit_code == 1
    assert _reported_lines(result.stderr) == [17, 500, 998]
    report = result.stderr
    assert "title: Resource title: this field is required." in report
    assert "share.condition: Sharing · Share condition: required when the share type is 有条件共享" in report
    assert "items.1.length: Information items row 2 · Length: required for 字符型 items." in report
    assert "3 rows have errors; nothing was imported." in report
    assert "0 created, 0 updated, 1000 skipped, 3 with errors." in report
    assert _count(cli) == 0

    # The same report in Chinese names the fields by their Chinese labels.
    bad = [record for number, record in enumerate(_thousand_with_three_bad(), 1) if number in (17, 500, 998)]
    chinese = cli("resource", "import", str(write_jsonl(tmp_path / "bad.jsonl", bad))).stderr
    assert re.findall(r"^第 (\d+) 行：$", chinese, flags=re.MULTILINE) == ["1", "2", "3"]
    assert "信息资源名称" in chinese and "共享属性 · 共享条件" in chinese and "信息项 第2行 · 数据长度" in chinese


def test_skip_invalid_writes_the_997_good_ones(cli, tmp_path):
    path = write_jsonl(tmp_path / "catalog.jsonl", _thousand_with_three_bad())
    result = cli("--lang", "en", "resource", "import", "--skip-invalid", str(path))
    assert result.exit_code == 0, result.output
    assert "997 created, 0 updated, 3 skipped, 3 with errors." in result.stdout
    assert _reported_lines(result.stdout) == [17, 500, 998]
    assert _count(cli) == 997
    container = cli.container()
    with container.unit_of_work() as session:
        statuses = set(session.scalars(select(Resource.status)))
        titles = set(session.scalars(select(Resource.title)))
    assert statuses == {"draft"}
    assert "最低生活保障对象信息（第500批）" not in titles and "最低生活保障对象信息（第501批）" in titles


def test_broken_json_is_reported_by_line_number(cli, tmp_path):
    path = write_jsonl(tmp_path / "broken.jsonl", [
        resource_input("hn-mzj"),
        '{"title": "半行',
        "[1, 2]",
        resource_input("hn-mzj", title="另一条"),
    ])
    result = cli("--lang", "en", "resource", "import", str(path))
    assert result.exit_code == 1
    assert _reported_lines(result.stderr) == [2, 3]
    assert "line 2:\n  Not valid JSON: Unterminated string starting at (column 11)" in result.stderr
    assert "line 3:\n  A resource must be a JSON object." in result.stderr
    assert _count(cli) == 0


def test_unknown_fields_and_providers_are_reported(cli, tmp_path):
    path = write_jsonl(tmp_path / "odd.jsonl", [
        {**resource_input("hn-mzj"), "colour": "red"},
        resource_input("hn-nowhere"),
    ])
    report = cli("--lang", "en", "resource", "import", str(path)).stderr
    assert "line 1:\n  colour: colour: unknown field; it is not in the metadata profile." in report
    assert "line 2:\n  department: Provider: no department hn-nowhere." in report


# -- round trips ------------------------------------------------------------------------------------


def test_export_import_round_trip_into_a_fresh_catalog(cli, tmp_path):
    _catalog(cli)
    exported = jsonl(cli.ok("resource", "export"))
    path = write_jsonl(tmp_path / "catalog.jsonl", exported)
    with cli_on_fresh_database(tmp_path / "fresh") as fresh:
        fresh.seed()
        assert "5 created, 0 updated, 0 skipped, 0 with errors." in fresh.ok("--lang", "en", "resource", "import",
                                                                          str(path)).stdout
        imported = jsonl(fresh.ok("resource", "export"))
    # Imported resources are new drafts of the new catalog with the same content.
    assert {r["status"] for r in imported} == {"draft"}
    assert all(r["code"] is None for r in imported)
    key = lambda record: record["title"]  # noqa: E731
    assert [_content(r) | {"department": r["department"]["uscc"]} for r in sorted(imported, key=key)] == \
           [_content(r) | {"department": r["department"]["uscc"]} for r in sorted(exported, key=key)]


def test_importing_an_export_again_changes_nothing(cli, tmp_path):
    _catalog(cli)
    path = write_jsonl(tmp_path / "catalog.jsonl", jsonl(cli.ok("resource", "export")))
    revisions = _count(cli, Revision)
    # Resources under review (registered) cannot be edited, but an unchanged record does not edit them.
    result = cli.ok("--lang", "en", "resource", "import", str(path))
    assert "0 created, 0 updated, 0 skipped, 0 with errors.\n5 unchanged." in result.stdout
    assert _count(cli, Revision) == revisions
    assert _count(cli, ResourceChange) == 0


def test_round_trip_updates_drafts_in_place_and_proposes_changes_to_published_ones(cli, tmp_path):
    ids = _catalog(cli)
    records = {r["title"]: r for r in jsonl(cli.ok("resource", "export"))}
    draft = records["民政资源1（draft）"]
    draft["abstract"] = "修改后的摘要。"
    published = records["民政资源4（published）"]
    published["abstract"] = "已发布资源的新摘要。"
    published["update_cycle"] = "每日"
    path = write_jsonl(tmp_path / "edited.jsonl", records.values())

    result = cli.ok("--lang", "en", "resource", "import", str(path))
    assert "0 created, 2 updated, 0 skipped, 0 with errors." in result.stdout
    assert "3 unchanged." in result.stdout
    assert "1 of the updates are changes to published resources" in result.stdout

    container = cli.container()
    with container.unit_of_work() as session:
        service = ResourceService(container, session, Actor.system("test"))
        assert service.get(ids["民政资源1（draft）"]).abstract == "修改后的摘要。"
        # The published version stays as it is until the change is approved.
        live = service.get(ids["民政资源4（published）"])
        assert (live.status, live.abstract, live.update_cycle) == ("published", "全市城乡最低生活保障对象的基本信息。", "4")
        change = service.pending_change(live.id)
        assert change is not None and change.data["abstract"] == "已发布资源的新摘要。"
        service.decide_change(live.id, approve=True)
        assert (live.abstract, live.update_cycle, live.status) == ("已发布资源的新摘要。", "2", "published")


def test_a_changed_record_of_a_resource_under_review_is_refused(cli, tmp_path):
    _catalog(cli)
    records = jsonl(cli.ok("resource", "export"))
    registered = next(r for r in records if r["status"] == "registered")
    registered["abstract"] = "审核期间的修改"
    path = write_jsonl(tmp_path / "edited.jsonl", records)
    result = cli("--lang", "en", "resource", "import", str(path))
    assert result.exit_code == 1
    line = records.index(registered) + 1
    assert _reported_lines(result.stderr) == [line]
    assert "A resource in the state “Registered” cannot be edited." in result.stderr


def test_an_update_must_pass_every_rule(cli, tmp_path):
    # Editing a draft by hand checks only what a draft needs; an import checks every rule.
    _catalog(cli, states=("draft",))
    record = jsonl(cli.ok("resource", "export"))[0]
    record["share"]["condition"] = None
    result = cli("--lang", "en", "resource", "import", str(write_jsonl(tmp_path / "e.jsonl", [record])))
    assert result.exit_code == 1 and "share.condition: Sharing · Share condition: required" in result.stderr


# -- permissions ------------------------------------------------------------------------------------


def test_import_as_an_officer_applies_their_permissions(cli, tmp_path):
    _catalog(cli, states=("draft", "published"))
    container = cli.container()
    with container.unit_of_work() as session:
        rsj = session.scalars(select(Department).where(Department.key == "hn-rsj")).one()
        UserService(container, session, Actor.system("test")).create("rsj.officer", PASSWORD, "officer",
                                                                      department_id=rsj.id)
    mzj_records = sorted(jsonl(cli.ok("resource", "export")), key=lambda r: r["status"])
    for record in mzj_records:
        record["abstract"] = "人社局编目员的修改"
    records = [
        *mzj_records,                                          # lines 1-2: another department's draft, published
        resource_input("hn-mzj", title="替民政局新建"),           # line 3: a new one for another department
        resource_input("hn-rsj", title="失业登记人员信息"),        # line 4: their own department: fine
    ]
    path = write_jsonl(tmp_path / "officer.jsonl", records)

    result = cli("--lang", "en", "resource", "import", "--as", "rsj.officer", str(path))
    assert result.exit_code == 1
    assert _reported_lines(result.stderr) == [1, 2, 3]
    # The draft of another department is not even visible to them; the published one is, but not theirs.
    assert re.search(r"line 1:\n  Resource \d+ was not found\.\n", result.stderr)
    assert "line 2:\n  You are not allowed to edit this resource." in result.stderr
    assert "line 3:\n  You are not allowed to catalog resources for this department." in result.stderr

    skipped = cli.ok("--lang", "en", "resource", "import", "--as", "rsj.officer", "--skip-invalid", str(path))
    assert "1 created, 0 updated, 3 skipped, 3 with errors." in skipped.stdout
    with container.unit_of_work() as session:
        created = session.scalars(select(Resource).where(Resource.title == "失业登记人员信息")).one()
        assert created.created_by_id == UserService(container, session, Actor.system("test")).get_by_username(
            "rsj.officer").id
        assert session.scalar(select(func.count()).select_from(ResourceChange)) == 0

    unknown = cli("--lang", "en", "resource", "import", "--as", "nobody", str(path))
    assert unknown.exit_code == 1 and "No user is called nobody." in unknown.stderr


def test_wrong_file_type_is_a_usage_error(cli, tmp_path):
    path = tmp_path / "catalog.txt"
    path.write_text("{}", encoding="utf-8")
    result = cli("resource", "import", str(path))
    assert result.exit_code == 2 and "use a .jsonl, .xlsx or .csv file" in result.output
