"""Test factories: departments, users, actors and resource input, built through the services.

Departments have no service yet, so they are inserted directly (with a well-formed USCC from
:func:`catalog.uscc.build`); users go through :class:`UserService` so that passwords are hashed and
roles checked; resources go through :class:`ResourceService` so that every rule applies.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from catalog.actor import Actor
from catalog.container import Container
from catalog.models import Department, Resource, User
from catalog.services.resource import ResourceService
from catalog.services.user import UserService, actor_for
from catalog.uscc import build

PASSWORD = "correct horse battery"
ROLES = ("anonymous", "officer", "reviewer", "manager", "auditor", "admin")
# Serial numbers for USCCs; unique across the test run so committed rows never collide either.
_serials = itertools.count(1000)


def make_department(session: Session, key: str, name: str, *, segment: str | None = None, division: str = "340400",
                    kind: str = "department", parent: Department | None = None) -> Department:
    """Insert a department (or an internal unit, with ``parent``) with a valid unified social credit code."""
    department = Department(
        key=key,
        name=name,
        uscc=build(division, next(_serials)),
        division=division,
        catalog_segment=segment,
        kind=kind,
        parent=parent,
    )
    session.add(department)
    session.flush()
    return department


def make_user(container: Container, session: Session, username: str, role: str, *,
              department: Department | None = None, password: str = PASSWORD) -> User:
    """Create a user through :class:`UserService` as the system actor."""
    service = UserService(container, session, Actor.system())
    return service.create(username, password, role, department_id=department.id if department else None)


def make_actor(session: Session, user: User | None, client: str = "test") -> Actor:
    """The actor of a user (``None`` gives the anonymous actor)."""
    if user is None:
        return Actor.anonymous(client)
    return actor_for(session, user, client)


BASE_RESOURCE: dict[str, Any] = {
    "title": "最低生活保障对象信息",
    "abstract": "全市城乡最低生活保障对象的基本信息。",
    "classification_code": "307",
    "format": {"class": "数据库", "type": "oracle"},
    "items": [
        {"name": "姓名", "data_type": "C", "length": 50},
        {"name": "身份证号码", "data_type": "C", "length": 18},
        {"name": "保障金额", "data_type": "N", "length": 10, "description": "元/月"},
    ],
    "share": {"type": "有条件共享", "condition": "仅限民政、人社部门核查使用", "method": "1-2"},
    "open": {"is_open": "否"},
    "update_cycle": "每月",
    "theme": "R",
    "keywords": ["低保", "社会救助"],
    "source_system": "社会救助信息系统",
    "record_count": 12000,
}


def _ref(department: Department | Any) -> Any:
    return department.key if isinstance(department, Department) else department


def resource_input(department: Department | Any, /, **overrides: Any) -> dict[str, Any]:
    """A complete, valid resource input for a department (object, or any reference); ``overrides`` replace keys.

    A value of ``None`` in ``overrides`` removes the key.
    """
    data = copy.deepcopy(BASE_RESOURCE)
    data["department"] = _ref(department)
    for key, value in overrides.items():
        if value is None:
            data.pop(key, None)
        else:
            data[key] = value
    return data


def draft_input(department: Department | Any, /, **overrides: Any) -> dict[str, Any]:
    """The least a draft needs: title, provider and classification."""
    data = {"title": "草稿资源", "classification_code": "307", "department": _ref(department)}
    data.update(overrides)
    return data


WORKFLOW_PATHS: dict[str, tuple[str, ...]] = {
    # The actions that take a fresh draft to each state (department review off).
    "draft": (),
    "pending_registration": ("submit",),
    "registered": ("submit", "register"),
    "pending_publication": ("submit", "register", "request_publication"),
    "published": ("submit", "register", "request_publication", "publish"),
    "withdrawn": ("submit", "register", "request_publication", "publish", "withdraw"),
    "returned": ("submit", "return"),
    "returned_with_code": ("submit", "register", "request_publication", "return"),
}


def advance(service: ResourceService, resource_id: int, actions: Iterable[str]) -> Resource:
    """Take workflow actions in order, giving a reason to each (return and withdraw need one)."""
    resource = service.get(resource_id)
    for action in actions:
        resource = service.transition(resource_id, action, comment=f"测试：{action}")
    return resource


@dataclass
class World:
    """Two departments (民政局 with an internal unit, 人社局), a user and actor per role and department."""

    container: Container
    session: Session
    mzj: Department
    mzj_unit: Department
    rsj: Department
    users: dict[str, User] = field(default_factory=dict)
    actors: dict[str, Actor] = field(default_factory=dict)

    def actor(self, role: str, department: str = "mzj") -> Actor:
        """The actor of ``role``; officers and reviewers exist for ``mzj`` and ``rsj``."""
        if role == "anonymous":
            return Actor.anonymous("test")
        if role in ("officer", "reviewer"):
            return self.actors[f"{role}_{department}"]
        return self.actors[role]

    def service(self, actor: Actor | str = "admin", container: Container | None = None) -> ResourceService:
        if isinstance(actor, str):
            actor = self.actor(actor)
        return ResourceService(container or self.container, self.session, actor)

    def resource(self, state: str = "draft", department: str = "mzj", container: Container | None = None,
                 **overrides: Any) -> Resource:
        """A resource of ``department`` brought to ``state`` (a key of :data:`WORKFLOW_PATHS`) by the admin."""
        service = self.service("admin", container)
        resource = service.create(resource_input(getattr(self, department), **overrides))
        return advance(service, resource.id, WORKFLOW_PATHS[state])


def build_world(container: Container, session: Session) -> World:
    """Create the departments, one user per role (officers and reviewers in both departments) and actors."""
    mzj = make_department(session, "mzj", "淮南市民政局", segment="015")
    unit = make_department(session, "mzj-shjz", "社会救助科", kind="internal_unit", parent=mzj)
    rsj = make_department(session, "rsj", "淮南市人力资源和社会保障局", segment="016")
    world = World(container, session, mzj, unit, rsj)
    specs = {
        "officer_mzj": ("officer", mzj),
        "officer_rsj": ("officer", rsj),
        "reviewer_mzj": ("reviewer", mzj),
        "reviewer_rsj": ("reviewer", rsj),
        "manager": ("manager", None),
        "auditor": ("auditor", None),
        "admin": ("admin", None),
    }
    for name, (role, department) in specs.items():
        user = make_user(container, session, name.replace("_", "."), role, department=department)
        world.users[name] = user
        world.actors[name] = make_actor(session, user)
    return world


def purge(engine, *, departments: Iterable[int] = (), users: Iterable[int] = (), resources: Iterable[int] = (),
          classification_codes: Iterable[str] = ()) -> None:
    """Delete committed rows a test created (tests that must commit cannot use the rolled-back session)."""
    from sqlalchemy import delete, or_

    from catalog.models import (
        AuditEvent,
        CodeSequence,
        Distribution,
        ResourceChange,
        ResourceItem,
        Revision,
        WorkflowEvent,
    )

    departments, users, resources = list(departments), list(users), list(resources)
    with engine.begin() as connection:
        for model in (Revision, WorkflowEvent, ResourceItem, Distribution, ResourceChange):
            connection.execute(delete(model).where(model.resource_id.in_(resources)))
        connection.execute(delete(AuditEvent).where(or_(
            (AuditEvent.object_type == "resource") & AuditEvent.object_id.in_([str(i) for i in resources]),
            (AuditEvent.object_type == "user") & AuditEvent.object_id.in_([str(i) for i in users]),
            AuditEvent.actor_id.in_(users),
        )))
        connection.execute(delete(Resource).where(Resource.id.in_(resources)))
        connection.execute(delete(User).where(User.id.in_(users)))
        connection.execute(delete(Department).where(Department.parent_id.in_(departments)))
        connection.execute(delete(Department).where(Department.id.in_(departments)))
        connection.execute(delete(CodeSequence).where(CodeSequence.classification_code.in_(list(classification_codes))))
