"""The demo city's expected inventory: created through InventoryService, linked where the demo resource exists."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml
from sqlalchemy import select

from catalog.container import Container
from catalog.coverage.inventory import InventoryService
from catalog.models import Resource, User
from catalog.services.user import actor_for

#: The demo account that confirms links, as a catalog manager would after checking each one.
LINKER = "manager"


@dataclass
class InventorySummary:
    """What the demo inventory holds: items, confirmed links and pending suggestions."""

    items: int = 0
    linked: int = 0
    suggested: int = 0


def load_inventory() -> list[dict[str, Any]]:
    """The entries of ``data/inventory.yaml``: ``{department, items: [{title, source, basis, items, resource}]}``."""
    text = resources.files("catalog.demo").joinpath("data", "inventory.yaml").read_text(encoding="utf-8")
    return yaml.safe_load(text)


def build_inventory(container: Container) -> InventorySummary:
    """Create the inventory of every in-scope demo department, confirm the links to the demo resources it
    names, and store suggestions for the other items (the demo's synthetic resources may match some).

    A small demo (``--resources 40``) lacks most resources: their items stay unlinked, as real gaps would.

    :param container: the demo's container, after ``build_demo`` created departments, users and resources.
    :returns: counts of items, links and suggestions.
    """
    summary = InventorySummary()
    with container.unit_of_work() as session:
        user = session.scalars(select(User).where(User.username == LINKER)).one()
        service = InventoryService(container, session, actor_for(session, user, client="demo"))
        titles = {(department_id, title): resource_id for resource_id, department_id, title in
                  session.execute(select(Resource.id, Resource.department_id, Resource.title).order_by(Resource.id))}
        for entry in load_inventory():
            for row in entry["items"]:
                item = service.create({"department": entry["department"], "title": row["title"],
                                       "source": row.get("source"), "basis": row.get("basis"),
                                       "item_names": row.get("items") or []})
                summary.items += 1
                resource_id = titles.get((item.department_id, row.get("resource") or row["title"]))
                if resource_id is not None:
                    service.link(item.id, resource_id)
                    summary.linked += 1
        summary.suggested = len(service.suggest())
    return summary
