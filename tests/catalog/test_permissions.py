"""The full permission matrix (every ``can_*`` × role × own/other department) and its use by the services."""

from __future__ import annotations

import pytest

from catalog import permissions as perm
from catalog.actor import Actor
from catalog.errors import NotFoundError, PermissionDeniedError, ValidationError
from catalog.models import AuditEvent, Resource, Revision, WorkflowEvent
from catalog.services.user import UserService
from tests.catalog.factories import ROLES, advance, draft_input, resource_input

OWN, OTHER, UNIT = 10, 20, 11


def actor(role: str) -> Actor:
    """An actor of ``role`` whose department is OWN (with its internal unit UNIT); staff have none."""
    if role == "anonymous":
        return Actor.anonymous()
    if role in ("officer", "reviewer"):
        return Actor(1, role, role, OWN, frozenset({OWN, UNIT}))
    return Actor(1, role, role)


# Expected answers, written out by hand from the module docstrings: (own department, other department).
F, T = False, True
MATRIX: dict[str, dict[str, tuple[bool, bool]]] = {
    "can_create_resource": {
        "anonymous": (F, F), "officer": (T, F), "reviewer": (F, F), "manager": (F, F), "auditor": (F, F), "admin": (T, T),
    },
    "can_edit_resource": {
        "anonymous": (F, F), "officer": (T, F), "reviewer": (F, F), "manager": (F, F), "auditor": (F, F), "admin": (T, T),
    },
    "can_delete_draft": {
        "anonymous": (F, F), "officer": (T, F), "reviewer": (F, F), "manager": (F, F), "auditor": (F, F), "admin": (T, T),
    },
    "can_submit": {
        "anonymous": (F, F), "officer": (T, F), "reviewer": (F, F), "manager": (F, F), "auditor": (F, F), "admin": (T, T),
    },
    "can_import_resources": {
        "anonymous": (F, F), "officer": (T, F), "reviewer": (F, F), "manager": (F, F), "auditor": (F, F), "admin": (T, T),
    },
    "can_department_review": {
        "anonymous": (F, F), "officer": (F, F), "reviewer": (T, F), "manager": (F, F), "auditor": (F, F), "admin": (T, T),
    },
    "can_register": {
        "anonymous": (F, F), "officer": (F, F), "reviewer": (F, F), "manager": (T, T), "auditor": (F, F), "admin": (T, T),
    },
    "can_publish": {
        "anonymous": (F, F), "officer": (F, F), "reviewer": (F, F), "manager": (T, T), "auditor": (F, F), "admin": (T, T),
    },
    "can_withdraw": {
        "anonymous": (F, F), "officer": (F, F), "reviewer": (F, F), "manager": (T, T), "auditor": (F, F), "admin": (T, T),
    },
    "can_review_change": {
        "anonymous": (F, F), "officer": (F, F), "reviewer": (F, F), "manager": (T, T), "auditor": (F, F), "admin": (T, T),
    },
    "can_view_history": {
        "anonymous": (F, F), "officer": (T, F), "reviewer": (T, F), "manager": (T, T), "auditor": (T, T), "admin": (T, T),
    },
    "can_manage_harvest_source": {
        "anonymous": (F, F), "officer": (T, F), "reviewer": (F, F), "manager": (T, T), "auditor": (F, F), "admin": (T, T),
    },
    "can_view_harvest_source": {
        "anonymous": (F, F), "officer": (T, F), "reviewer": (T, F), "manager": (T, T), "auditor": (T, T), "admin": (T, T),
    },
    # Not about a department: the same answer for both columns.
    "can_manage_departments": {
        "anonymous": (F, F), "officer": (F, F), "reviewer": (F, F), "manager": (T, T), "auditor": (F, F), "admin": (T, T),
    },
    "can_manage_users": {
        "anonymous": (F, F), "officer": (F, F), "reviewer": (F, F), "manager": (F, F), "auditor": (F, F), "admin": (T, T),
    },
    "can_read_audit_log": {
        "anonymous": (F, F), "officer": (F, F), "reviewer": (F, F), "manager": (F, F), "auditor": (T, T), "admin": (T, T),
    },
}
NO_DEPARTMENT = {"can_manage_departments", "can_manage_users", "can_read_audit_log"}

# can_view_resource: (status, share type, open to the public) → role → (own, other).
VIEW_CASES = {
    ("draft", "unconditional", True): {
        "anonymous": (F, F), "officer": (T, F), "reviewer": (T, F), "manager": (T, T), "auditor": (T, T), "admin": (T, T),
    },
    ("pending_registration", "conditional", False): {
        "anonymous": (F, F), "officer": (T, F), "reviewer": (T, F), "manager": (T, T), "auditor": (T, T), "admin": (T, T),
    },
    ("registered", "unconditional", True): {
        "anonymous": (F, F), "officer": (T, F), "reviewer": (T, F), "manager": (T, T), "auditor": (T, T), "admin": (T, T),
    },
    ("returned", "unconditional", True): {
        "anonymous": (F, F), "officer": (T, F), "reviewer": (T, F), "manager": (T, T), "auditor": (T, T), "admin": (T, T),
    },
    ("published", "unconditional", True): {
        "anonymous": (T, T), "officer": (T, T), "reviewer": (T, T), "manager": (T, T), "auditor": (T, T), "admin": (T, T),
    },
    ("published", "conditional", False): {
        "anonymous": (F, F), "officer": (T, T), "reviewer": (T, T), "manager": (T, T), "auditor": (T, T), "admin": (T, T),
    },
    ("published", None, False): {
        "anonymous": (F, F), "officer": (T, T), "reviewer": (T, T), "manager": (T, T), "auditor": (T, T), "admin": (T, T),
    },
    ("published", "not_shared", False): {
        "anonymous": (F, F), "officer": (T, F), "reviewer": (T, F), "manager": (T, T), "auditor": (T, T), "admin": (T, T),
    },
    # What the public may read, a signed-in user of any department may read too.
    ("published", "not_shared", True): {
        "anonymous": (T, T), "officer": (T, T), "reviewer": (T, T), "manager": (T, T), "auditor": (T, T), "admin": (T, T),
    },
    ("withdrawn", "unconditional", True): {
        "anonymous": (F, F), "officer": (T, F), "reviewer": (T, F), "manager": (T, T), "auditor": (T, T), "admin": (T, T),
    },
}


def test_matrix_covers_every_can_function():
    functions = {name for name in dir(perm) if name.startswith("can_")}
    assert functions == set(MATRIX) | {"can_view_resource"}
    for table in [*MATRIX.values(), *VIEW_CASES.values()]:
        assert set(table) == set(ROLES)


@pytest.mark.parametrize(
    ("function", "role", "where", "expected"),
    [
        (function, role, where, answers[index])
        for function, table in MATRIX.items()
        for role, answers in table.items()
        for index, where in enumerate(("own", "other"))
    ],
)
def test_permission_matrix(function, role, where, expected):
    check = getattr(perm, function)
    if function in NO_DEPARTMENT:
        assert check(actor(role)) is expected
    else:
        assert check(actor(role), OWN if where == "own" else OTHER) is expected


@pytest.mark.parametrize(
    ("case", "role", "where", "expected"),
    [
        (case, role, where, answers[index])
        for case, table in VIEW_CASES.items()
        for role, answers in table.items()
        for index, where in enumerate(("own", "other"))
    ],
)
def test_view_matrix(case, role, where, expected):
    status, share_type, is_open = case
    department = OWN if where == "own" else OTHER
    assert perm.can_view_resource(actor(role), department, status, share_type, is_open) is expected


def test_internal_units_count_as_own_department():
    officer = actor("officer")
    assert perm.can_edit_resource(officer, UNIT)
    assert perm.can_view_resource(officer, UNIT, "draft", None, False)
    assert perm.can_department_review(actor("reviewer"), UNIT)


def test_require_names_the_action():
    perm.require(True, perm.message("register this resource"))
    with pytest.raises(PermissionDeniedError) as err:
        perm.require(False, perm.message("register this resource"))
    assert err.value.code == "permission_denied"
    assert "register this resource" in err.value.render("en")


# -- through the services ------------------------------------------------------------------------


def test_officer_of_other_department_is_denied(world):
    published = world.resource("published")
    other = world.service(world.actor("officer", "rsj"))
    with pytest.raises(PermissionDeniedError):
        other.create(resource_input(world.mzj))
    with pytest.raises(PermissionDeniedError):
        other.update(published.id, resource_input(world.mzj, title="改名"))
    with pytest.raises(PermissionDeniedError):
        other.transition(published.id, "withdraw", comment="不需要了")
    with pytest.raises(PermissionDeniedError):
        other.revisions(published.id)
    # A draft of another department is not even visible: it reads as not found.
    draft = world.resource("draft")
    with pytest.raises(NotFoundError):
        other.transition(draft.id, "submit")
    with pytest.raises(NotFoundError):
        other.update(draft.id, resource_input(world.mzj))
    # The own department's officer may do all of it.
    own = world.service(world.actor("officer", "mzj"))
    assert own.update(draft.id, resource_input(world.mzj, title="改名")).title == "改名"
    assert own.transition(draft.id, "submit").status == "pending_registration"


def test_officer_may_catalog_for_an_internal_unit_of_own_department(world):
    service = world.service(world.actor("officer", "mzj"))
    resource = service.create(resource_input("mzj-shjz"))
    assert resource.department_id == world.mzj.id
    assert resource.provider_unit == "社会救助科"


def test_reviewer_reviews_only_own_department(world, review_container):
    own = world.resource("draft")
    advance(world.service("admin", review_container), own.id, ["submit"])
    other = world.resource("draft", department="rsj")
    advance(world.service("admin", review_container), other.id, ["submit"])
    reviewer = world.service(world.actor("reviewer", "mzj"), review_container)
    # Another department's resource under review is not even visible to the reviewer.
    with pytest.raises(NotFoundError):
        reviewer.transition(other.id, "approve_department")
    with pytest.raises(PermissionDeniedError):
        world.service("manager", review_container).transition(own.id, "approve_department")
    with pytest.raises(PermissionDeniedError):
        reviewer.create(resource_input(world.mzj))
    assert reviewer.transition(own.id, "approve_department").status == "pending_registration"
    with pytest.raises(PermissionDeniedError):
        reviewer.transition(own.id, "register")


def test_auditor_reads_everything_and_writes_nothing(world):
    draft = world.resource("draft", department="rsj")
    published = world.resource("published")
    world.service(world.actor("officer", "mzj")).update(published.id, resource_input(world.mzj, title="变更"))
    auditor = world.service("auditor")
    assert auditor.get(draft.id).status == "draft"
    assert [r.action for r in auditor.revisions(published.id)][0] == "create"
    assert {r.id for r in auditor.list()} >= {draft.id, published.id}
    before = {model: world.session.query(model).count() for model in (Resource, Revision, WorkflowEvent, AuditEvent)}
    version = published.version

    attempts = [
        lambda: auditor.create(resource_input(world.mzj)),
        lambda: auditor.update(draft.id, resource_input(world.rsj)),
        lambda: auditor.update(published.id, resource_input(world.mzj)),
        lambda: auditor.delete_draft(draft.id),
        lambda: auditor.transition(draft.id, "submit"),
        lambda: auditor.transition(published.id, "withdraw", comment="审计"),
        lambda: auditor.decide_change(published.id, approve=True),
        lambda: auditor.decide_change(published.id, approve=False, comment="审计"),
        lambda: UserService(world.container, world.session, world.actor("auditor")).create("x.y", "long enough", "admin"),
        lambda: UserService(world.container, world.session, world.actor("auditor")).set_role("officer.mzj", "admin"),
        lambda: UserService(world.container, world.session, world.actor("auditor")).set_password("admin", "new password"),
    ]
    for attempt in attempts:
        with pytest.raises(PermissionDeniedError):
            attempt()
    after = {model: world.session.query(model).count() for model in (Resource, Revision, WorkflowEvent, AuditEvent)}
    assert after == before
    assert world.service("auditor").get(published.id).version == version
    # …in every state: the auditor may take no workflow action at all.
    for state in ("pending_registration", "registered", "pending_publication", "withdrawn"):
        resource = world.resource(state)
        for action in ("submit", "return", "register", "request_publication", "publish", "withdraw", "republish"):
            try:
                auditor.transition(resource.id, action, comment="审计")
            except PermissionDeniedError:
                continue
            except Exception as exc:  # only "not possible from this state" may come instead
                assert exc.code == "workflow_error", (state, action, exc)
                continue
            pytest.fail(f"auditor could {action} from {state}")


def test_anonymous_list_sees_only_published_and_open(world):
    visible = world.resource("published", open={"is_open": "是", "type": "无条件开放"})
    world.resource("published")  # conditional sharing, not open
    world.resource("draft", open={"is_open": True})
    world.resource("withdrawn", open={"is_open": True})
    anonymous = world.service("anonymous")
    assert [r.id for r in anonymous.list()] == [visible.id]
    assert anonymous.count_by_status() == {"published": 1}
    with pytest.raises(NotFoundError):
        anonymous.get(visible.id + 1)
    assert anonymous.get_by_code(visible.code).id == visible.id


def test_department_user_sees_shared_catalog_and_own_department(world):
    other_shared = world.resource("published", department="rsj")
    other_unconditional = world.resource("published", department="rsj",
                                         share={"type": "无条件共享", "method": "1-2"})
    other_not_shared = world.resource("published", department="rsj",
                                      share={"type": "不予共享", "basis": "《社会保险法》"})
    other_draft = world.resource("draft", department="rsj")
    other_registered = world.resource("registered", department="rsj")
    own_draft = world.resource("draft")
    own_not_shared = world.resource("published", share={"type": "不予共享", "basis": "《社会救助暂行办法》"})
    for role in ("officer", "reviewer"):
        service = world.service(world.actor(role, "mzj"))
        seen = {r.id for r in service.list()}
        assert seen == {other_shared.id, other_unconditional.id, own_draft.id, own_not_shared.id}
        for hidden in (other_not_shared, other_draft, other_registered):
            with pytest.raises(NotFoundError):
                service.get(hidden.id)
        assert service.count_by_status() == {"published": 3, "draft": 1}
    assert len(world.service("manager").list()) == 7


def test_open_resource_not_shared_is_visible_to_everyone_who_can_see_the_public_catalog(world):
    public = world.resource("published", department="rsj", share={"type": "不予共享", "basis": "依据"},
                            open={"is_open": True})
    assert world.service("anonymous").get(public.id).id == public.id
    assert world.service(world.actor("officer", "mzj")).get(public.id).id == public.id
    assert public.id in {r.id for r in world.service(world.actor("officer", "mzj")).list()}


def test_list_filters_and_visibility_agree_with_can_view(world):
    resources = [world.resource(state, department=dep) for state in ("draft", "published", "withdrawn")
                 for dep in ("mzj", "rsj")]
    for role in ROLES:
        for department in ("mzj", "rsj"):
            who = world.actor(role, department)
            listed = {r.id for r in world.service(who).list()}
            expected = {
                r.id for r in resources
                if perm.can_view_resource(who, r.department_id, r.status, r.share_type, r.open_is_open)
            }
            assert listed == expected, (role, department)
    filtered = world.service("manager").list(status="published", department_id=world.rsj.id)
    assert [r.department_id for r in filtered] == [world.rsj.id]


def test_anonymous_cannot_write(world):
    anonymous = world.service("anonymous")
    with pytest.raises(PermissionDeniedError):
        anonymous.create(draft_input(world.mzj))
    published = world.resource("published", open={"is_open": True})
    with pytest.raises(PermissionDeniedError):
        anonymous.update(published.id, resource_input(world.mzj))
    with pytest.raises(PermissionDeniedError):
        anonymous.revisions(published.id)


def test_manager_cannot_catalog_but_can_register_publish_and_withdraw(world):
    manager = world.service("manager")
    with pytest.raises(PermissionDeniedError):
        manager.create(resource_input(world.mzj))
    resource = world.resource("pending_registration", department="rsj")
    for action in ("register", "request_publication", "publish"):
        resource = manager.transition(resource.id, action)
    with pytest.raises(ValidationError):
        manager.transition(resource.id, "withdraw")
    assert manager.transition(resource.id, "withdraw", comment="数据停止更新").status == "withdrawn"
