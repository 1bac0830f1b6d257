"""The demo city catalog: ``build_demo`` and ``mulu demo``.

``build_demo`` resets the whole database it is given, so it runs on a throwaway database of its own
(tests/clitools.py): a fresh SQLite file, or a PostgreSQL database created for this module when
``MULU_TEST_DATABASE_URL`` is a PostgreSQL URL — never the shared test database.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from catalog.config import Settings
from catalog.container import Container
from catalog.demo.builder import DEMO_USERS, build_demo
from catalog.models import Department, Resource, ResourceChange, User, WorkflowEvent
from catalog.services.user import UserService
from catalog.workflow import STATES
from tests.clitools import cli_on_fresh_database, throwaway_database

PASSWORD = "pw123456"
CODE = re.compile(r"^\d{6,16}/\d{6}$")


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """A demo catalog of 60 resources, built once for the module."""
    directory = tmp_path_factory.mktemp("demo")
    with throwaway_database(directory, "demo") as url:
        container = Container.from_settings(Settings(instance_path=directory / "instance", database_url=url))
        fractions = []
        summary = build_demo(container, resource_count=60, password=PASSWORD, progress=fractions.append)
        container.summary, container.fractions = summary, fractions
        yield container
        container.dispose()


@pytest.fixture
def session(demo):
    with demo.unit_of_work() as session:
        yield session


def test_departments_of_the_city_and_its_counties(session):
    by_key = {d.key: d for d in session.scalars(select(Department))}
    assert by_key["hn-mzj"].name == "淮南市民政局"
    assert by_key["hn-mzj"].catalog_segment and by_key["hn-mzj"].uscc
    assert "凤台县人民政府" in {d.name for d in by_key.values()}
    assert len(by_key) > 100


def test_the_five_accounts_have_their_roles_and_password(demo, session):
    users = {u.username: u for u in session.scalars(select(User))}
    assert {name: (users[name].role, users[name].department.key if users[name].department else None)
            for name in users} == {name: (role, department) for name, role, department, _title in DEMO_USERS}
    assert users["officer"].department.name == "淮南市民政局"
    service = UserService(demo, session, None)
    for name in users:
        assert service.authenticate(name, PASSWORD) is not None, name
        assert service.authenticate(name, "mulu-demo") is None


def test_the_summary_counts_what_was_built(demo, session):
    summary = demo.summary
    assert summary.resources == 60 == sum(summary.by_status.values())
    assert summary.password == PASSWORD and summary.changes == 3
    rendered = summary.render("en")
    assert "60 resources" in rendered
    for username, *_rest in DEMO_USERS:
        assert username in rendered
    assert demo.fractions[-1] == pytest.approx(1.0) and demo.fractions == sorted(demo.fractions)


def test_resources_exist_in_every_workflow_state(demo, session):
    statuses = set(session.scalars(select(Resource.status)))
    wanted = set(STATES) - {"pending_department_review"}  # only with MULU_DEPARTMENT_REVIEW
    assert statuses == wanted
    counts = {status: 0 for status in wanted}
    for status in session.scalars(select(Resource.status)):
        counts[status] += 1
    assert counts == demo.summary.by_status


def test_registered_codes_are_well_formed_and_unique(session):
    resources = session.scalars(select(Resource)).all()
    codes = [r.code for r in resources if r.code]
    assert codes and all(CODE.match(code) for code in codes)
    assert len(codes) == len(set(codes))
    for resource in resources:
        if resource.status in ("draft", "pending_registration") or (resource.status == "returned" and not resource.code):
            assert resource.code is None
        else:
            assert resource.code and resource.code.startswith(resource.classification_code + "/")


def test_base_and_theme_resources_cite_existing_codes(session):
    resources = session.scalars(select(Resource)).all()
    by_code = {r.code: r for r in resources if r.code}
    composite = [r for r in resources if r.classification_code[0] in "12"]
    assert composite, "a demo of 60 resources includes base or theme resources"
    cited = [code for r in composite for code in r.related_codes]
    assert cited
    for code in cited:
        assert CODE.match(code)
        assert by_code[code].status == "published"
        assert by_code[code].classification_code.startswith("3")


def test_changes_to_published_resources_await_review(demo, session):
    changes = session.scalars(select(ResourceChange).where(ResourceChange.status == "pending")).all()
    assert len(changes) == 3
    officer = session.scalars(select(User).where(User.username == "officer")).one()
    for change in changes:
        resource = session.get(Resource, change.resource_id)
        assert resource.status == "published" and resource.department.key == "hn-mzj"
        assert change.created_by_id == officer.id and change.comment
        # The published version stays as it was; the change holds the edit.
        assert change.data["abstract"] != resource.abstract
        assert change.data["abstract"].startswith(resource.abstract)
        event = session.scalars(select(WorkflowEvent).where(WorkflowEvent.resource_id == resource.id,
                                                            WorkflowEvent.action == "propose_change")).one()
        assert event.actor_id == officer.id
    assert any(change.data["update_cycle"] == "2" for change in changes)


def test_the_manager_can_approve_a_demo_change(demo):
    from catalog.services.resource import ResourceService
    from catalog.services.user import actor_for

    with demo.unit_of_work() as session:
        change = session.scalars(select(ResourceChange).where(ResourceChange.status == "pending")
                                 .order_by(ResourceChange.id)).first()
        manager = actor_for(session, session.scalars(select(User).where(User.username == "manager")).one())
        resource = ResourceService(demo, session, manager).decide_change(change.resource_id, approve=True)
        assert resource.abstract == change.data["abstract"]
        session.rollback()  # the other tests look at the demo as built


def test_mulu_demo_builds_and_prints_the_accounts(tmp_path):
    with cli_on_fresh_database(tmp_path, "demo") as cli:
        result = cli.ok("--lang", "en", "demo", "--no-serve", "--resources", "40", "--password", PASSWORD)
        output = result.stdout
        assert "Demo catalog:" in output and "40 resources" in output
        assert f"Accounts (password {PASSWORD}):" in output
        for username, _role, _department, title in DEMO_USERS:
            assert re.search(rf"^  {username}\s+{re.escape(title)}$", output, flags=re.MULTILINE), username
        assert "changes awaiting review: 3" in output
        container = cli.container()
        with container.unit_of_work() as session:
            assert len(session.scalars(select(Resource)).all()) == 40
            assert UserService(container, session, None).authenticate("reviewer", PASSWORD) is not None


def test_mulu_demo_refuses_a_database_not_named_demo(tmp_path):
    from click.testing import CliRunner

    from cli import main

    result = CliRunner().invoke(main, ["demo", "--no-serve"], env={
        "MULU_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/production", "MULU_INSTANCE_PATH": str(tmp_path)})
    assert result.exit_code == 2 and "use SQLite or a database named *demo*" in result.output
