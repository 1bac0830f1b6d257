"""The ``mulu`` command line as a user runs it: help, init, migrations, users, departments, schema, vocabularies.

Every test gets a throwaway database (tests/clitools.py): a fresh SQLite file, or with a PostgreSQL
``MULU_TEST_DATABASE_URL`` a PostgreSQL database of its own on that server — the commands commit, so
they cannot share the rolled-back ``session`` of the other tests.
"""

from __future__ import annotations

import csv
import io
import json

import click
import pytest
from openpyxl import load_workbook
from rdflib import Graph
from sqlalchemy import inspect, select

from catalog.actor import Actor
from catalog.models import Department, User
from catalog.schema_setup import head
from catalog.services.user import UserService
from cli import main
from tests.clitools import DEPARTMENTS, cli_on_fresh_database

COMMANDS = ("audit", "coverage", "db", "demo", "department", "harvest", "init", "inventory", "links", "overlap", "quality", "resource", "schema", "search", "serve", "token", "uploads", "user", "vocab")


@pytest.fixture
def cli(tmp_path):
    """The command line on an empty database."""
    with cli_on_fresh_database(tmp_path) as runner:
        yield runner


@pytest.fixture
def seeded(cli):
    """The command line on a migrated database with departments and an administrator."""
    cli.seed()
    return cli


def _commands(group: click.Group, path: tuple[str, ...] = ()):
    for name, command in group.commands.items():
        yield (*path, name), command
        if isinstance(command, click.Group):
            yield from _commands(command, (*path, name))


# -- help -------------------------------------------------------------------------------------------


def test_help_lists_every_command(cli):
    result = cli.ok("--help")
    listed = {line.split()[0] for line in result.output.split("Commands:")[1].splitlines() if line.strip()}
    assert listed == set(COMMANDS)


@pytest.mark.parametrize("path", [path for path, _command in _commands(main)], ids=" ".join)
def test_every_command_has_help(cli, path):
    command = dict(_commands(main))[path]
    assert (command.help or "").strip(), f"mulu {' '.join(path)} has no help text"
    result = cli.ok(*path, "--help")
    assert result.output.startswith("Usage: ") and f" {' '.join(path)} " in result.output.splitlines()[0]
    assert command.help.strip().splitlines()[0][:30] in result.output


def test_help_of_the_groups_lists_their_subcommands(cli):
    expected = {
        "db": {"current", "upgrade", "downgrade"},
        "user": {"create", "list", "set-role", "set-password"},
        "department": {"list", "import", "export"},
        "resource": {"import", "export", "template", "show", "history", "diff"},
        "schema": {"show"},
        "vocab": {"list", "show", "import"},
        "token": {"create", "list", "revoke"},
        "links": {"check", "show"},
    }
    for group, subcommands in expected.items():
        output = cli.ok(group, "--help").output
        listed = {line.split()[0] for line in output.split("Commands:")[1].splitlines() if line.strip()}
        assert listed == subcommands, group


# -- init and migrations ----------------------------------------------------------------------------


def test_init_creates_the_admin_once(cli):
    first = cli.ok("init", "--admin-password", "secret123")
    assert "administrator admin created" in first.output
    assert "profile: national + huainan" in first.output
    second = cli.ok("init", "--admin-password", "other-password")
    assert "an administrator exists already" in second.output

    container = cli.container()
    with container.unit_of_work() as session:
        users = UserService(container, session, Actor.system("test"))
        assert [(u.username, u.role) for u in users.list()] == [("admin", "admin")]
        assert users.authenticate("admin", "secret123") is not None
        assert users.authenticate("admin", "other-password") is None


def test_init_prompts_for_the_password_and_takes_another_username(cli):
    result = cli.ok("init", "--admin-username", "root-admin", input="long-password\nlong-password\n")
    assert "administrator root-admin created" in result.output
    assert "root-admin" in cli.ok("user", "list").output


def test_db_current_upgrade_downgrade_upgrade(cli):
    newest = head()
    assert cli.ok("db", "current").output.strip() == f"(empty) (head: {newest})"
    assert cli.ok("db", "upgrade").output.strip() == f"at revision {newest}"
    assert cli.ok("db", "current").output.strip() == f"{newest} (head: {newest})"
    engine = cli.container().engine
    assert "resources" in inspect(engine).get_table_names()

    assert cli.ok("db", "downgrade", "base").output.strip() == "at revision (empty)"
    assert cli.ok("db", "current").output.strip() == f"(empty) (head: {newest})"
    assert not {"resources", "users", "departments"} & set(inspect(engine).get_table_names())

    assert cli.ok("db", "upgrade", "0001").output.strip() == "at revision 0001"
    assert cli.ok("db", "upgrade").output.strip() == f"at revision {newest}"
    assert {"resources", "users", "departments"} <= set(inspect(engine).get_table_names())


# -- users ------------------------------------------------------------------------------------------


def _users(cli) -> dict[str, tuple[str, str | None]]:
    container = cli.container()
    with container.unit_of_work() as session:
        return {u.username: (u.role, u.department.key if u.department else None)
                for u in session.scalars(select(User))}


def test_user_create_list_set_role_set_password(seeded):
    cli = seeded
    assert "user li.officer created (officer)" in cli.ok(
        "user", "create", "li.officer", "--role", "officer", "--department", "hn-mzj", "--password", "secret123",
        "--name", "李编目").output
    # The department may be given by key, unified social credit code or exact name.
    cli.ok("user", "create", "wang", "--role", "reviewer", "--department", "淮南市人力资源和社会保障局",
           "--password", "secret123")
    cli.ok("user", "create", "zhao", "--role", "manager", "--password", "secret123")
    assert _users(cli) == {"admin": ("admin", None), "li.officer": ("officer", "hn-mzj"),
                           "wang": ("reviewer", "hn-rsj"), "zhao": ("manager", None)}

    listing = cli.ok("user", "list").output.splitlines()
    assert [line.split()[0] for line in listing] == ["admin", "li.officer", "wang", "zhao"]
    assert "编目员" in listing[1] and "淮南市民政局" in listing[1]
    assert "Department officer" in cli.ok("--lang", "en", "user", "list").output

    assert "zhao is now officer" in cli.ok("user", "set-role", "zhao", "officer", "--department", "hn-rsj").output
    assert _users(cli)["zhao"] == ("officer", "hn-rsj")

    assert "password of li.officer changed" in cli.ok("user", "set-password", "li.officer",
                                                      "--password", "new-secret-1").output
    container = cli.container()
    with container.unit_of_work() as session:
        users = UserService(container, session, Actor.system("test"))
        assert users.authenticate("li.officer", "new-secret-1") is not None
        assert users.authenticate("li.officer", "secret123") is None


def test_token_create_list_revoke(seeded):
    from catalog.services.token import TokenError, TokenService

    cli = seeded
    created = cli.ok("token", "create", "--user", "admin", "--name", "nightly harvest", "--expires-in", "30")
    plaintext = created.stdout.strip()
    assert plaintext.startswith("mulu_") and len(plaintext.splitlines()) == 1, "only the token goes to stdout"
    assert "shown only this once" in created.output and "expires" in created.output
    from datetime import date

    year = date.today().year + 1
    dated = cli.ok("token", "create", "--user", "admin", "--name", "until new year", "--expires", f"{year}-12-31")
    assert f"expires {year + 1}-01-01 00:00" in dated.output
    assert "never expires" in cli.ok("token", "create", "--user", "admin", "--name", "forever").output

    listing = cli.ok("token", "list", "--user", "admin").output.splitlines()
    assert [line.split()[-1] for line in listing] == ["forever", "year", "harvest"]
    assert all(" active " in line for line in listing) and plaintext not in "\n".join(listing)
    token_id = listing[-1].split()[0]
    assert f"token {token_id} (" in cli.ok("token", "revoke", token_id).output
    assert " revoked " in cli.ok("token", "list", "--user", "admin").output.splitlines()[-1]

    container = cli.container()
    with container.unit_of_work() as session:
        with pytest.raises(TokenError):
            TokenService(container, session, Actor.anonymous()).authenticate(plaintext)

    assert cli("token", "create", "--user", "admin", "--name", "x", "--expires-in", "3", "--expires",
               "2099-01-01").exit_code == 2
    unknown = cli("token", "create", "--user", "nobody", "--name", "x")
    assert unknown.exit_code == 1 and "nobody" in unknown.output
    assert cli("token", "revoke", "999").exit_code == 1
    assert cli("token", "create", "--user", "admin", "--name", " ").exit_code == 1


def test_user_create_prompts_for_the_password(seeded):
    seeded.ok("user", "create", "qian", "--role", "auditor", input="secret123\nsecret123\n")
    assert _users(seeded)["qian"] == ("auditor", None)


def test_user_errors_name_the_field(seeded):
    cli = seeded
    bad_role = cli("user", "create", "bob", "--role", "boss", "--password", "secret123")
    assert bad_role.exit_code == 2
    assert "--role" in bad_role.output and "'boss' is not one of" in bad_role.output

    no_department = cli("--lang", "en", "user", "create", "bob", "--role", "officer", "--password", "secret123")
    assert no_department.exit_code == 1
    assert "department: Department: required for department officers and reviewers." in no_department.output

    unknown_department = cli("user", "create", "bob", "--role", "officer", "--department", "nowhere",
                             "--password", "secret123")
    assert unknown_department.exit_code == 2
    assert "--department" in unknown_department.output and "nowhere" in unknown_department.output

    short = cli("--lang", "en", "user", "create", "bob", "--role", "manager", "--password", "short")
    assert short.exit_code == 1 and "password: Password: at least 8 characters." in short.output

    cli.ok("user", "create", "bob", "--role", "manager", "--password", "secret123")
    taken = cli("--lang", "en", "user", "create", "bob", "--role", "manager", "--password", "secret123")
    assert taken.exit_code == 1 and "The username bob is taken." in taken.output

    officer_without_department = cli("--lang", "en", "user", "set-role", "bob", "officer")
    assert officer_without_department.exit_code == 1
    assert "department: Department: required" in officer_without_department.output
    assert cli("user", "set-role", "bob", "boss").exit_code == 2

    assert cli("--lang", "en", "user", "set-password", "bob", "--password", "short").exit_code == 1
    missing = cli("--lang", "en", "user", "set-password", "nobody", "--password", "secret123")
    assert missing.exit_code == 1 and "No user is called nobody." in missing.output
    # Nothing of the failed commands was written.
    assert _users(cli) == {"admin": ("admin", None), "bob": ("manager", None)}


# -- departments ------------------------------------------------------------------------------------


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))


def test_department_import_export_round_trip_csv_and_xlsx(tmp_path):
    with cli_on_fresh_database(tmp_path / "a") as first, cli_on_fresh_database(tmp_path / "b") as second:
        first.seed()
        exported = first.ok("department", "export").stdout
        rows = _csv(exported)
        assert [row["标识 (key)"] for row in rows] == ["hn-gov", "hn-mzj", "hn-mzj-jz", "hn-rsj"]
        assert {row["上级部门 (parent)"] for row in rows if row["标识 (key)"] != "hn-gov"} == {"hn-gov", "hn-mzj"}

        # CSV into a fresh catalog: the same departments, the same export.
        csv_path = tmp_path / "departments.csv"
        csv_path.write_text(exported, encoding="utf-8")
        second.ok("db", "upgrade")
        assert "新建 4 个" in second.ok("department", "import", str(csv_path)).output
        assert second.ok("department", "export").stdout == exported
        assert "未变 4 个" in second.ok("department", "import", str(csv_path)).output

        # XLSX: export, edit a name in Excel, import: one update, the rest unchanged.
        xlsx_path = tmp_path / "departments.xlsx"
        assert "4 departments written" in first.ok("department", "export", "--format", "xlsx", "-o", str(xlsx_path)).output
        book = load_workbook(xlsx_path)
        sheet = book.active
        headers = [cell.value for cell in sheet[1]]
        assert headers[:2] == ["标识 (key)", "名称 (name)"]
        for row in sheet.iter_rows(min_row=2):
            if row[0].value == "hn-rsj":
                row[1].value = "淮南市人力资源和社会保障局（改）"
        book.save(xlsx_path)
        result = second.ok("department", "import", str(xlsx_path))
        assert "更新 1 个" in result.output and "未变 3 个" in result.output
        names = {row["标识 (key)"]: row["名称 (name)"] for row in _csv(second.ok("department", "export").stdout)}
        assert names["hn-rsj"] == "淮南市人力资源和社会保障局（改）"


def test_department_import_reports_bad_rows_and_writes_nothing(seeded, tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text(
        "标识 (key),名称 (name),统一社会信用代码 (uscc),行政区划 (division),目录编码段 (目) (catalog_segment),上级部门 (parent)\n"
        "hn-jyj,淮南市教育局,,340400,017,hn-gov\n"
        "hn-wjw,淮南市卫生健康委员会,,340400,,hn-gov\n",
        encoding="utf-8",
    )
    result = seeded("department", "import", str(path))
    assert result.exit_code == 1
    assert "第 2 行" in result.output and "第 3 行" in result.output and "统一社会信用代码" in result.output
    container = seeded.container()
    with container.unit_of_work() as session:
        assert set(session.scalars(select(Department.key))) == {row["key"] for row in DEPARTMENTS}


# -- the metadata profile ---------------------------------------------------------------------------


def test_schema_show_markdown(cli):
    output = cli.ok("schema", "show").output
    assert output.startswith("# ")
    for text in ("信息资源名称", "共享条件", "不予共享依据", "所属系统", "`share.condition`", "`source_system`"):
        assert text in output
    # 所属系统 is the city extension's element and says so.
    assert "[huainan]" in next(line for line in output.splitlines() if "所属系统" in line)


def test_schema_show_json(cli):
    profile = json.loads(cli.ok("schema", "show", "--format", "json").output)
    assert profile["profiles"] == ["national", "huainan"]
    elements = {element["name"]: element for element in profile["elements"]}
    assert {"title", "share", "open", "items", "update_cycle", "source_system"} <= set(elements)
    assert elements["title"]["label"] == {"zh": "信息资源名称", "en": "Resource title"}
    assert elements["title"]["obligation"] == "M"
    assert [child["name"] for child in elements["share"]["children"]] == ["type", "condition", "basis", "method"]
    assert elements["source_system"]["extension"] == "huainan"


def test_schema_show_in_english(cli):
    output = cli.ok("--lang", "en", "schema", "show").output
    assert "| Field | Label | Type | Obligation | Code list | Help |" in output
    for text in ("Resource title", "Share condition", "Source information system", "mandatory"):
        assert text in output
    assert "信息资源名称" not in output


# -- vocabularies -----------------------------------------------------------------------------------


def test_vocab_list_and_show(cli):
    listing = cli.ok("vocab", "list").output
    rows = {line.split()[0]: line.split()[1] for line in listing.splitlines()}
    assert rows["share_type"] == "3" and rows["update_cycle"] == "9"
    assert "Share type" in cli.ok("--lang", "en", "vocab", "list").output

    table = cli.ok("vocab", "show", "share_type").output
    assert "2        有条件共享 / Conditional sharing" in table

    scheme = json.loads(cli.ok("vocab", "show", "share_type", "--format", "json").output)
    assert scheme["name"] == "share_type"
    assert [(c["code"], c["labels"]["zh"]) for c in scheme["concepts"]] == [
        ("1", "无条件共享"), ("2", "有条件共享"), ("3", "不予共享")]

    graph = Graph().parse(data=cli.ok("vocab", "show", "share_type", "--format", "turtle").output, format="turtle")
    assert len(graph) > 20

    unknown = cli("vocab", "show", "nope")
    assert unknown.exit_code == 2 and "unknown vocabulary 'nope'" in unknown.output


SHARE_TYPE_TTL = """
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix mulu: <https://mulu.example.org/ns#> .
@prefix share_type: <https://mulu.example.org/vocab/share_type/> .

share_type: a skos:ConceptScheme ;
    skos:prefLabel "共享类型"@zh, "Share type"@en ;
    skos:hasTopConcept share_type:1, share_type:2, share_type:3 .
share_type:1 a skos:Concept ; skos:inScheme share_type: ; skos:topConceptOf share_type: ; skos:notation "1" ;
    skos:prefLabel "无条件共享"@zh, "Unconditional sharing"@en ; mulu:key "unconditional" .
share_type:2 a skos:Concept ; skos:inScheme share_type: ; skos:topConceptOf share_type: ; skos:notation "2" ;
    skos:prefLabel "有条件共享"@zh, "Conditional sharing"@en ; skos:altLabel "受限共享"@zh ;
    mulu:key "conditional" .
share_type:3 a skos:Concept ; skos:inScheme share_type: ; skos:topConceptOf share_type: ; skos:notation "3" ;
    skos:prefLabel "不予共享（须注明依据）"@zh, "Not shared"@en ; KEY3 .
"""


def test_vocab_import_replaces_a_shipped_scheme(cli, tmp_path):
    path = tmp_path / "share_type.ttl"
    path.write_text(SHARE_TYPE_TTL.replace("KEY3", 'mulu:key "not_shared"'), encoding="utf-8")
    assert "vocabulary share_type imported (3 concepts)" in cli.ok("vocab", "import", str(path)).output
    assert (cli.instance / "vocab" / "share_type.ttl").exists()

    table = cli.ok("vocab", "show", "share_type").output
    assert "不予共享（须注明依据） / Not shared" in table
    assert "(受限共享)" in table
    concepts = json.loads(cli.ok("vocab", "show", "share_type", "--format", "json").output)["concepts"]
    assert concepts[2]["labels"]["zh"] == "不予共享（须注明依据）"
    # Resource input now takes the new spelling.
    from catalog.services.resource import resource_schema

    loaded = resource_schema(cli.container()).load({"title": "x", "department": "hn-mzj", "classification_code": "307",
                                                    "share": {"type": "受限共享"}}, draft=True)
    assert loaded["share"]["type"] == "conditional"


def test_vocab_import_of_rdf_xml_is_kept_as_turtle(cli, tmp_path):
    graph = Graph().parse(data=SHARE_TYPE_TTL.replace("KEY3", 'mulu:key "not_shared"'), format="turtle")
    path = tmp_path / "share_type.rdf"
    graph.serialize(path, format="xml")
    cli.ok("vocab", "import", str(path))
    assert "不予共享（须注明依据）" in cli.ok("vocab", "show", "share_type").output


def test_vocab_import_refuses_broken_files(cli, tmp_path):
    broken = tmp_path / "broken.ttl"
    broken.write_text("@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\nthis is { not turtle\n", encoding="utf-8")
    result = cli("vocab", "import", str(broken))
    assert result.exit_code == 1
    assert "Error: " in result.output and "broken.ttl" in result.output and "not valid turtle" in result.output

    empty = tmp_path / "empty.ttl"
    empty.write_text("@prefix skos: <http://www.w3.org/2004/02/skos/core#> .\n", encoding="utf-8")
    result = cli("vocab", "import", str(empty))
    assert result.exit_code == 1 and "no skos:ConceptScheme found" in result.output

    # Well-formed, but the stored key not_shared (and the rules that need it) would be gone.
    keyless = tmp_path / "share_type.ttl"
    keyless.write_text(SHARE_TYPE_TTL.replace("KEY3", 'skos:altLabel "不共享"@zh'), encoding="utf-8")
    result = cli("vocab", "import", str(keyless))
    assert result.exit_code == 1
    assert "share.type: concepts 3 have no key" in result.output
    assert "the key values not_shared are gone" in result.output
    assert not (cli.instance / "vocab").exists() or not list((cli.instance / "vocab").iterdir())
    assert "不予共享 / Not shared" in cli.ok("vocab", "show", "share_type").output


def test_vocab_import_keeps_the_codes_the_profile_fixes(cli, tmp_path):
    # The city profile fixes 涉密属性 to code 1 (非涉密): a secrecy list without it cannot serve.
    path = tmp_path / "secrecy.ttl"
    path.write_text("""
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix secrecy: <https://mulu.example.org/vocab/secrecy/> .
secrecy: a skos:ConceptScheme ; skos:prefLabel "涉密属性"@zh ; skos:hasTopConcept secrecy:2 .
secrecy:2 a skos:Concept ; skos:inScheme secrecy: ; skos:topConceptOf secrecy: ; skos:notation "2" ;
    skos:prefLabel "涉密"@zh .
""", encoding="utf-8")
    result = cli("vocab", "import", str(path))
    assert result.exit_code == 1 and "secrecy: the profile needs the code 1" in result.output
