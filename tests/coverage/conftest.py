"""A small hand-made city for the coverage tests: four in-scope departments, dated workflow histories, an inventory.

Resources are created and moved through ``ResourceService`` (every rule applies); then each workflow
event's ``created_at`` is set to the date the story below gives it, as if the work had happened in 2010.
Times are local (Asia/Shanghai, the catalog's time zone), at 10:00 unless a boundary is being tested.

======  ======================  ==========================================================================
key     department              history
======  ======================  ==========================================================================
R1      mzj 民政局 (340400)      submit 01-10, register 01-20, request 02-01, publish 02-10, withdraw 09-01
R2      mzj                     submit 03-05, register 04-15, request 05-01, publish 07-01 **00:30**
R3      mzj                     submit 04-01 (still pending registration)
R4      mzj                     submit 02-01, return 02-05 (returned before registration)
R10     mzj's internal unit     submit/register/request/publish 08-10 (not in the inventory)
R5      rsj 人社局 (340400)      submit 01-05, register 01-06, request 01-07, publish 01-08
R6      rsj                     submit 05-01, register 05-02, request 05-03, return 05-04, submit 05-10,
                                publish 05-20 (returned after registration)
R7      ft 凤台县民政局 (340421)  submit/register/request/publish 03-01 (the department has no inventory)
R8      sx 寿县民政局 (340422)    a draft, never submitted
R9      dag 档案馆 (out of scope) submit/register/request/publish 01-15
======  ======================  ==========================================================================

Inventory: mzj A→R1, B→R2, C→R3, D (unlinked), E→R4; rsj F→R5, G→R6; ft none; sx H (unlinked);
dag I→R9 (out of scope: never counted).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from catalog.actor import Actor
from catalog.coverage.inventory import InventoryService
from catalog.models import Department, InventoryItem, Resource, WorkflowEvent
from tests.catalog.factories import World, build_world, make_department, resource_input

LOCAL = ZoneInfo("Asia/Shanghai")
PUBLISH = ("submit", "register", "request_publication", "publish")


def local(text: str) -> datetime:
    """``"2010-07-01 00:30"`` or ``"2010-07-01"`` (10:00) as an aware local time."""
    if len(text) == 10:
        text += " 10:00"
    return datetime.fromisoformat(text).replace(tzinfo=LOCAL)


# key → (department attribute, title, [(action, local time)])
STORY: dict[str, tuple[str, str, list[tuple[str, str]]]] = {
    "R1": ("mzj", "城乡最低生活保障对象信息", [("submit", "2010-01-10"), ("register", "2010-01-20"),
                                      ("request_publication", "2010-02-01"), ("publish", "2010-02-10"),
                                      ("withdraw", "2010-09-01")]),
    "R2": ("mzj", "特困人员救助供养信息", [("submit", "2010-03-05"), ("register", "2010-04-15"),
                                  ("request_publication", "2010-05-01"), ("publish", "2010-07-01 00:30")]),
    "R3": ("mzj", "婚姻登记信息", [("submit", "2010-04-01")]),
    "R4": ("mzj", "收养登记信息", [("submit", "2010-02-01"), ("return", "2010-02-05")]),
    "R10": ("mzj_unit", "社会救助科工作台账", [(a, "2010-08-10") for a in PUBLISH]),
    "R5": ("rsj", "企业职工基本养老保险参保信息", [("submit", "2010-01-05"), ("register", "2010-01-06"),
                                       ("request_publication", "2010-01-07"), ("publish", "2010-01-08")]),
    "R6": ("rsj", "失业登记人员信息", [("submit", "2010-05-01"), ("register", "2010-05-02"),
                               ("request_publication", "2010-05-03"), ("return", "2010-05-04"),
                               ("submit", "2010-05-10"), ("publish", "2010-05-20")]),
    "R7": ("ft", "凤台县城乡低保对象信息", [(a, "2010-03-01") for a in PUBLISH]),
    "R8": ("sx", "寿县特困供养机构信息", []),
    "R9": ("dag", "馆藏档案开放目录", [(a, "2010-01-15") for a in PUBLISH]),
}
INVENTORY: dict[str, tuple[str, str, str | None]] = {
    "A": ("mzj", "最低生活保障对象", "R1"),
    "B": ("mzj", "特困人员供养信息", "R2"),
    "C": ("mzj", "婚姻登记", "R3"),
    "D": ("mzj", "残疾人两项补贴发放信息", None),
    "E": ("mzj", "收养登记", "R4"),
    "F": ("rsj", "养老保险参保信息", "R5"),
    "G": ("rsj", "失业登记信息", "R6"),
    "H": ("sx", "城乡低保对象信息", None),
    "I": ("dag", "开放档案目录", "R9"),
}


@dataclass
class City:
    """The hand-made city: the world of tests/catalog plus two counties and an out-of-scope department."""

    world: World
    ft: Department
    sx: Department
    dag: Department
    resources: dict[str, Resource] = field(default_factory=dict)
    items: dict[str, InventoryItem] = field(default_factory=dict)

    @property
    def container(self):
        return self.world.container

    @property
    def session(self):
        return self.world.session

    def department(self, name: str) -> Department:
        return getattr(self, name) if name in ("ft", "sx", "dag") else getattr(self.world, name)

    def inventory(self, actor: Actor | str = "admin") -> InventoryService:
        return InventoryService(self.container, self.session, self.world.actor(actor) if isinstance(actor, str) else actor)


def backdate(session, resource_id: int, times: list[datetime]) -> None:
    """Give the resource's workflow events (oldest first) the times of the story."""
    events = session.scalars(select(WorkflowEvent).where(WorkflowEvent.resource_id == resource_id)
                             .order_by(WorkflowEvent.id)).all()
    assert len(events) == len(times)
    for event, moment in zip(events, times, strict=True):
        event.created_at = moment
    session.flush()


@pytest.fixture
def world(container, session, monkeypatch) -> World:
    monkeypatch.setattr("catalog.services.user._hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))
    return build_world(container, session)


@pytest.fixture
def city(world) -> City:
    session = world.session
    city = City(world, make_department(session, "ft-mzj", "凤台县民政局", segment="150", division="340421"),
                make_department(session, "sx-mzj", "寿县民政局", segment="160", division="340422"),
                make_department(session, "hn-dag", "淮南市档案馆", segment="040"))
    city.dag.in_scope = False
    session.flush()
    service = world.service("admin")
    for key, (department, title, steps) in STORY.items():
        resource = service.create(resource_input(city.department(department), title=title))
        for action, _when in steps:
            service.transition(resource.id, action, comment=f"测试：{action}")
        backdate(session, resource.id, [local(when) for _action, when in steps])
        city.resources[key] = resource
    inventory = city.inventory()
    for key, (department, title, linked) in INVENTORY.items():
        item = inventory.create({"department": city.department(department).key, "title": title})
        if linked:
            inventory.link(item.id, city.resources[linked].id)
        city.items[key] = item
    return city
