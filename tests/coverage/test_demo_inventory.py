"""The demo city's inventory: its data file, and what ``build_demo`` makes of it."""

from __future__ import annotations

from collections import Counter

import pytest
from sqlalchemy import select

from catalog.config import Settings
from catalog.container import Container
from catalog.coverage.inventory import normalise_source, title_key
from catalog.coverage.service import CoverageService
from catalog.demo.builder import build_demo
from catalog.demo.inventory import LINKER, load_inventory
from catalog.demo.synthetic import flatten_departments, load_departments, load_resources
from catalog.models import InventoryItem, Resource, User
from tests.clitools import throwaway_database


def test_every_in_scope_department_has_an_inventory_and_nothing_else_does():
    departments = {d["key"]: d for d in flatten_departments(load_departments())}
    inventory = load_inventory()
    keys = [entry["department"] for entry in inventory]
    assert len(keys) == len(set(keys))
    assert set(keys) == {key for key, d in departments.items() if d["in_scope"]}
    assert all(entry["items"] for entry in inventory)


def test_items_are_well_formed_and_name_real_resources():
    titles = {(r["department"], r["title"]) for r in load_resources()}
    for entry in load_inventory():
        keys = Counter(title_key(row["title"]) for row in entry["items"])
        assert max(keys.values()) == 1, entry["department"]
        for row in entry["items"]:
            assert normalise_source(row.get("source")) in ("duty", "matter", "system"), row
            if "resource" in row:
                assert (entry["department"], row["resource"]) in titles, row


def test_the_inventory_expects_more_than_was_cataloged():
    items = sum(len(entry["items"]) for entry in load_inventory())
    in_scope = {d["key"] for d in flatten_departments(load_departments()) if d["in_scope"]}
    handwritten = [r for r in load_resources() if r["department"] in in_scope]
    titles = {(r["department"], r["title"]) for r in handwritten}
    # An item names its resource, or has the resource's own title (政协淮南市委员会提案信息).
    linked = sum((entry["department"], row.get("resource") or row["title"]) in titles
                 for entry in load_inventory() for row in entry["items"])
    assert linked == len(handwritten) and items > len(handwritten) + 80


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    directory = tmp_path_factory.mktemp("demo-inventory")
    with throwaway_database(directory, "demo") as url:
        container = Container.from_settings(Settings(instance_path=directory / "instance", database_url=url))
        build_demo(container, resource_count=60, password="pw123456")
        yield container
        container.dispose()


def test_the_demo_links_the_resources_it_built_as_the_manager(demo):
    with demo.unit_of_work() as session:
        items = session.scalars(select(InventoryItem)).all()
        assert len(items) == sum(len(entry["items"]) for entry in load_inventory())
        linked = [item for item in items if item.resource_id is not None]
        manager = session.scalars(select(User).where(User.username == LINKER)).one()
        assert linked and all(item.linked_by_id == manager.id and item.linked_at for item in linked)
        for item in linked:
            resource = session.get(Resource, item.resource_id)
            assert resource.department_id == item.department_id


def test_the_demo_city_is_below_the_target_with_gaps_to_drill_into(demo):
    with demo.unit_of_work() as session:
        auditor = session.scalars(select(User).where(User.username == "auditor")).one()
        from catalog.services.user import actor_for

        report = CoverageService(demo, session, actor_for(session, auditor)).report()
    assert report.city.figures.departments == 84
    assert all(line.figures.expected > 0 for line in report.departments)  # nobody without an inventory
    assert 0 < report.city.figures.ratio_published < report.target
    assert sum(line.status == "below" for line in report.departments) > 40
    assert len(report.divisions) == 8
    assert sum(len(line.missing) for line in report.departments) > 100
