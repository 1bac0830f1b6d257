"""Build the demo city catalog through the services: departments, accounts and resources in every state."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
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
# The department of the demo's officer and reviewer: small catalogs take its resources first, and the
# changes awaiting review are proposed on its published resources by its officer.
HOME_DEPARTMENT = "hn-mzj"
# Changes (变更) to published resources awaiting the manager's review: (sentence added to the abstract,
# other edits, the officer's comment).
CHANGES = (
    ("数据源系统完成升级后按日增量同步。", {"update_cycle": "2"}, "数据源系统升级，更新周期调整为每日，并补充摘要。"),
    ("自本年度起增加数据更新时间，便于使用部门增量获取。", {"item": {"name": "数据更新时间", "data_type": "T"}},
     "增加信息项“数据更新时间”。"),
    ("使用部门须签订数据使用承诺书，不得用于约定用途以外的事项。", {}, "补充摘要中的共享使用要求。"),
)


@dataclass
class DemoSummary:
    """What the demo contains, printed at start with the accounts to sign in with."""

    departments: int = 0
    resources: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    changes: int = 0
    password: str = ""

    def render(self, locale: str | None = None) -> str:
        lines = [
            message("Demo catalog: {departments} departments, {resources} resources.",
                    departments=self.departments, resources=self.resources).render(locale),
            "  " + ", ".join([*(f"{status}: {count}" for status, count in sorted(self.by_status.items())),
                              f"changes awaiting review: {self.changes}"]),
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
    yield from handwritten if wanted >= len(handwritten) else _sample(handwritten, wanted)
    yield from generate_resources(max(0, wanted - len(handwritten)), providers)


def _sample(handwritten: list[dict[str, Any]], wanted: int) -> list[dict[str, Any]]:
    """A smaller hand-written catalog that still shows what the demo is for.

    The home department's resources come first (the demo accounts work there), and about one in ten
    entries is a base or theme resource that cites some of the chosen department resources, so that
    关联资源代码 appear even in a small demo.
    """
    composite = [e for e in handwritten if e.get("related")]
    plain = [e for e in handwritten if not e.get("related")]
    plain.sort(key=lambda e: e["department"] != HOME_DEPARTMENT)  # stable: file order otherwise
    room = min(len(composite), wanted // 10)
    chosen = plain[:wanted - room]
    titles = {e["title"] for e in chosen}
    citing = sorted((e for e in composite if titles & set(e["related"])),
                    key=lambda e: -len(titles & set(e["related"])))[:room]
    chosen += citing
    chosen += plain[len(chosen) - len(citing):][:wanted - len(chosen)]
    return chosen


def _plan_states(entries: list[dict[str, Any]], cited: set[str], rng: random.Random) -> list[str]:
    """The workflow state of every entry: cited ones published, the rest by STATE_PLAN.

    Every state of the plan occurs at least once when there are enough uncited entries, and the home
    department keeps a published resource for the changes awaiting review.
    """
    states = ["published" if entry["title"] in cited else _plan_state(rng) for entry in entries]
    free = [i for i, entry in enumerate(entries) if entry["title"] not in cited]
    home = [i for i, entry in enumerate(entries) if entry["department"] == HOME_DEPARTMENT]
    home_free = [i for i in home if i in free]
    if home_free and not any(states[i] == "published" for i in home):
        states[home_free[0]] = "published"
    # Missing states are taken from the last published entries, sparing the home department's.
    spare = sorted((i for i in free if states[i] == "published"),
                   key=lambda i: (entries[i]["department"] == HOME_DEPARTMENT, -i))
    for state, _share in STATE_PLAN:
        if state not in states and spare:
            states[spare.pop(0)] = state
    return states


def _plan_state(rng: random.Random) -> str:
    roll = rng.random()
    for state, share in STATE_PLAN:
        if roll < share:
            return state
        roll -= share
    return "published"


def build_demo(container: Container, *, resource_count: int | None = None, password: str = "mulu-demo",
               progress: Callable[[float], None] | None = None, seed: int = 20070329,
               until: datetime | None = None) -> DemoSummary:
    """Replace the database with the demo city: departments, demo accounts and a realistic catalog.

    Base and theme resources are registered after the department resources they cite, so their
    关联资源代码 point at real codes. Every workflow state occurs (given a dozen resources or so), and
    the 民政局 officer has proposed changes (变更) to a few published resources for the manager to review.
    The work is spread over the 18 months before ``until`` (see :mod:`catalog.demo.timeline`), so the
    coverage trend and its projection have a history; the container's own clock is restored afterwards.

    :param resource_count: number of resources; the hand-written catalog plus synthetic ones by default (300).
    :param password: the password of every demo account.
    :param progress: called with the fraction done (0–1).
    :param seed: the random seed (states and times); the same seed and ``until`` build the same history.
    :param until: when the demo's history ends; the container's clock (now) when omitted.
    :returns: a summary to print.
    """
    from catalog.demo.timeline import history_start, replaying

    until = until or container.now()
    with replaying(container, history_start(until) - timedelta(days=30)) as clock:
        return _build(container, resource_count, password, progress or (lambda _fraction: None), seed, until, clock)


def _build(container: Container, resource_count: int | None, password: str, report: Callable[[float], None],
           seed: int, until: datetime, clock) -> DemoSummary:
    from catalog.demo.synthetic import flatten_departments, load_departments
    from catalog.demo.timeline import plan_times
    from catalog.schema_setup import reset_database

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
    states = _plan_states(entries, cited, rng)
    # A random source of its own: the states above stay what they were before the demo had a history.
    times = plan_times([PATHS[state] for state in states], until, random.Random(seed + 1),
                       late=[bool(entry.get("related")) for entry in entries])
    code_by_title: dict[str, str] = {}
    total = max(1, len(entries))
    done = 0
    while done < len(entries):
        with container.unit_of_work() as session:
            actors = {name: actor_for(session, users_by_name(session, name), client="demo")
                      for name in ("manager", "officer")}
            service = ResourceService(container, session, system)
            for entry, state, moments in zip(entries[done:done + BATCH], states[done:done + BATCH],
                                             times[done:done + BATCH], strict=True):
                clock.moment = moments[0]
                data = resource_input(entry, container.vocab)
                related = [code_by_title[t] for t in entry.get("related") or () if t in code_by_title]
                if related:
                    data["related_codes"] = related
                resource = service.create(data, draft=False)
                for action, moment in zip(PATHS[state], moments[1:], strict=True):
                    clock.moment = moment
                    acting = _actor_for_action(action, resource.department.key, actors, system)
                    ResourceService(container, session, acting).transition(
                        resource.id, action, comment=REASONS.get(action))
                if resource.code:
                    code_by_title.setdefault(resource.title, resource.code)
                summary.by_status[state] = summary.by_status.get(state, 0) + 1
            done = min(len(entries), done + BATCH)
        report(0.05 + 0.95 * done / total)
    summary.resources = len(entries)
    clock.moment = until  # changes awaiting review and the inventory are today's work
    with container.unit_of_work() as session:
        summary.changes = _propose_changes(container, session)
    from catalog.demo.inventory import build_inventory  # the coverage audit's expected inventory (issue #7)

    build_inventory(container)
    return summary


def _propose_changes(container: Container, session) -> int:
    """Let the home department's officer propose changes to some of its published resources (变更)."""
    from sqlalchemy import select

    from catalog.models import Department, Resource

    officer = actor_for(session, users_by_name(session, "officer"), client="demo")
    service = ResourceService(container, session, officer)
    published = session.scalars(
        select(Resource.id).join(Department, Resource.department_id == Department.id)
        .where(Department.key == HOME_DEPARTMENT, Resource.status == "published").order_by(Resource.id)
    ).all()
    for resource_id, (sentence, edits, comment) in zip(published, CHANGES, strict=False):
        data = service.to_json(service.get(resource_id))
        data["abstract"] = f"{data['abstract']}{sentence}"
        if "update_cycle" in edits and data["update_cycle"] != edits["update_cycle"]:
            data["update_cycle"] = edits["update_cycle"]
        item = edits.get("item")
        if item and data["items"] and item["name"] not in {i["name"] for i in data["items"]}:
            data["items"] = [*data["items"], item]
        service.update(resource_id, data, comment=comment)
    return min(len(published), len(CHANGES))


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
