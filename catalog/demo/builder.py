"""Build the demo city catalog through the services: departments, accounts and resources in every state."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from catalog.actor import Actor
from catalog.container import Container
from catalog.i18n import message
from catalog.services.department import DepartmentService
from catalog.services.resource import ResourceService
from catalog.services.user import UserService, actor_for

DEMO_USERS = (
    ("admin", "admin", None, "系统管理员"),
    ("manager", "manager", "hn-sjj", "目录管理员（市数据资源管理局）"),
    ("auditor", "auditor", "hn-sjj", "规划审计员"),
    ("officer", "officer", "hn-mzj", "编目员（市民政局）"),
    ("reviewer", "reviewer", "hn-mzj", "部门审核员（市民政局）"),
)
# Where the demo's resources end up, as shares of the catalog (the rest stays published).
STATE_PLAN = (
    ("draft", 0.07),
    ("pending_registration", 0.06),
    ("returned", 0.05),
    ("registered", 0.05),
    ("pending_publication", 0.05),
    ("withdrawn", 0.03),
)
PATHS = {
    "draft": (),
    "pending_registration": ("submit",),
    "returned": ("submit", "return"),
    "registered": ("submit", "register"),
    "pending_publication": ("submit", "register", "request_publication"),
    "published": ("submit", "register", "request_publication", "publish"),
    "withdrawn": ("submit", "register", "request_publication", "publish", "withdraw"),
}
REASONS = {
    "return": "摘要过于简略，请补充数据范围和主要信息项；共享条件请写明使用部门。",
    "withdraw": "数据源系统升级改造，暂停共享，待新系统上线后重新发布。",
}
BATCH = 500


@dataclass
class DemoSummary:
    """What the demo contains, printed at start with the accounts to sign in with."""

    departments: int = 0
    resources: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    password: str = ""

    def render(self, locale: str | None = None) -> str:
        lines = [
            message("Demo catalog: {departments} departments, {resources} resources.",
                    departments=self.departments, resources=self.resources).render(locale),
            "  " + ", ".join(f"{status}: {count}" for status, count in sorted(self.by_status.items())),
            message("Accounts (password {password}):", password=self.password).render(locale),
        ]
        lines += [f"  {username:<9} {title}" for username, _role, _dept, title in DEMO_USERS]
        return "\n".join(lines)


def resource_input(entry: dict[str, Any], vocab) -> dict[str, Any]:
    """Turn a demo entry (``catalog/demo/data/resources.yaml`` shape) into resource input."""
    fmt = dict(entry.get("format") or {})
    type_label = fmt.pop("type_label", None)
    if type_label:
        concept = vocab.get("format").find(str(type_label))
        if concept is not None and concept.broader == fmt.get("class"):
            fmt["type"] = concept.code
        else:
            fmt.setdefault("description", str(type_label))
    distributions = []
    for row in entry.get("distributions") or ():
        row = dict(row)
        if "format" in row:
            row["media_type"] = row.pop("format")
        distributions.append(row)
    data = {
        "title": entry["title"],
        "abstract": entry.get("abstract"),
        "department": {"key": entry["department"]},
        "classification_code": str(entry.get("item") or entry.get("classification")),
        "theme": entry.get("theme"),
        "format": fmt,
        "keywords": entry.get("keywords") or [],
        "update_cycle": entry.get("update_cycle"),
        "share": entry.get("share"),
        "open": entry.get("open"),
        "items": entry.get("items") or [],
        "distributions": distributions,
    }
    for name in ("source_system", "record_count", "data_scope", "provider_unit"):
        if entry.get(name) is not None:
            data[name] = entry[name]
    return data


def _entries(resource_count: int | None, departments: list[dict]) -> Iterator[dict[str, Any]]:
    from catalog.demo.synthetic import generate_resources, load_resources

    handwritten = load_resources()
    # Synthetic resources go only to departments that have hand-written ones (and their units), so the
    # departments the demo leaves without resources stay visible as gaps in the coverage audit.
    cataloged = {entry["department"] for entry in handwritten}
    providers = [d for d in departments if d["key"] in cataloged or d.get("parent_key") in cataloged]
    wanted = 300 if resource_count is None else resource_count
    yield from handwritten[:wanted]
    yield from generate_resources(max(0, wanted - len(handwritten)), providers)


def _plan_state(rng: random.Random) -> str:
    roll = rng.random()
    for state, share in STATE_PLAN:
        if roll < share:
            return state
        roll -= share
    return "published"


def build_demo(container: Container, *, resource_count: int | None = None, password: str = "mulu-demo",
               progress: Callable[[float], None] | None = None, seed: int = 20070329) -> DemoSummary:
    """Replace the database with the demo city: departments, demo accounts and a realistic catalog.

    Base and theme resources are registered after the department resources they cite, so their
    关联资源代码 point at real codes.

    :param resource_count: number of resources; the hand-written catalog plus synthetic ones by default (300).
    :param password: the password of every demo account.
    :param progress: called with the fraction done (0–1).
    :returns: a summary to print.
    """
    from catalog.demo.synthetic import flatten_departments, load_departments
    from catalog.schema_setup import reset_database

    report = progress or (lambda _fraction: None)
    reset_database(container.engine)
    system = Actor.system("demo")
    summary = DemoSummary(password=password)
    tree = load_departments()
    flat = list(flatten_departments(tree))
    with container.unit_of_work() as session:
        departments = DepartmentService(container, session, system)
        for node in flat:
            fields = {k: node.get(k) for k in ("key", "name", "short_name", "uscc", "division", "catalog_segment",
                                               "kind", "in_scope")}
            departments.create({**fields, "parent": node.get("parent_key")})
        summary.departments = len(flat)
        users = UserService(container, session, system)
        for username, role, department_key, title in DEMO_USERS:
            department_id = departments.get_by_key(department_key).id if department_key else None
            users.create(username, password, role, department_id=department_id, display_name=title)
    report(0.05)

    rng = random.Random(seed)
    entries = list(_entries(resource_count, flat))
    cited = {title for entry in entries for title in entry.get("related") or ()}
    # Department resources first, so base and theme resources can cite their codes.
    entries.sort(key=lambda e: 0 if not e.get("related") else 1)
    code_by_title: dict[str, str] = {}
    total = max(1, len(entries))
    done = 0
    while done < len(entries):
        with container.unit_of_work() as session:
            actors = {name: actor_for(session, users_by_name(session, name), client="demo")
                      for name in ("manager", "officer")}
            service = ResourceService(container, session, system)
            for entry in entries[done:done + BATCH]:
                data = resource_input(entry, container.vocab)
                related = [code_by_title[t] for t in entry.get("related") or () if t in code_by_title]
                if related:
                    data["related_codes"] = related
                resource = service.create(data, draft=False)
                # Resources that base and theme resources are built from are published, so the links hold.
                state = "published" if entry["title"] in cited else _plan_state(rng)
                for action in PATHS[state]:
                    acting = _actor_for_action(action, resource.department.key, actors, system)
                    ResourceService(container, session, acting).transition(
                        resource.id, action, comment=REASONS.get(action))
                if resource.code:
                    code_by_title.setdefault(resource.title, resource.code)
                summary.by_status[state] = summary.by_status.get(state, 0) + 1
            done = min(len(entries), done + BATCH)
        report(0.05 + 0.95 * done / total)
    summary.resources = len(entries)
    return summary


def users_by_name(session, username: str):
    from sqlalchemy import select

    from catalog.models import User

    return session.scalars(select(User).where(User.username == username)).one()


def _actor_for_action(action: str, department_key: str, actors: dict[str, Actor], system: Actor) -> Actor:
    """Demo history reads like real work: the 民政局 officer submits its own, the manager reviews."""
    if action in ("submit",) and department_key == "hn-mzj":
        return actors["officer"]
    if action in ("register", "publish", "return", "withdraw", "request_publication"):
        return actors["manager"]
    return system
