"""UserService: Argon2 password hashes, authentication, passwords, roles, departments and actors."""

from __future__ import annotations

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from catalog.actor import Actor
from catalog.errors import ConflictError, NotFoundError, PermissionDeniedError, ValidationError
from catalog.models import AuditEvent, User
from catalog.services.user import UserService, actor_for, hash_password, subtree_ids, verify_password
from tests.catalog.factories import PASSWORD, make_department


@pytest.fixture
def departments(session):
    mzj = make_department(session, "mzj", "淮南市民政局", segment="015")
    unit = make_department(session, "mzj-shjz", "社会救助科", kind="internal_unit", parent=mzj)
    team = make_department(session, "mzj-shjz-dbz", "低保组", kind="internal_unit", parent=unit)
    rsj = make_department(session, "rsj", "淮南市人社局", segment="016")
    return {"mzj": mzj, "unit": unit, "team": team, "rsj": rsj}


@pytest.fixture
def admin(container, session):
    return UserService(container, session, Actor.system())


def test_passwords_are_stored_as_argon2id_hashes(admin, session, departments):
    user = admin.create("officer.mzj", PASSWORD, "officer", department_id=departments["mzj"].id, email="a@example.org")
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash
    stored = session.scalar(select(User.password_hash).where(User.username == "officer.mzj"))
    assert stored == user.password_hash and PASSWORD not in stored
    assert verify_password(stored, PASSWORD)
    assert not verify_password(stored, PASSWORD + "x")
    assert not verify_password("not a hash", PASSWORD)
    assert hash_password(PASSWORD) != hash_password(PASSWORD)  # salted
    assert user.display_name == "officer.mzj" and user.is_active
    audit = session.scalars(select(AuditEvent).where(AuditEvent.action == "user.create")).one()
    assert audit.detail == {"username": "officer.mzj", "role": "officer"}
    assert PASSWORD not in str(audit.detail)


def test_authenticate(admin, session, departments):
    user = admin.create("manager1", PASSWORD, "manager")
    assert user.last_login_at is None
    assert admin.authenticate("manager1", PASSWORD) is user
    assert user.last_login_at is not None
    assert admin.authenticate("manager1", "wrong password") is None
    assert admin.authenticate("manager1", "") is None
    assert admin.authenticate("Manager1", PASSWORD) is None
    assert admin.authenticate("nobody", PASSWORD) is None
    user.is_active = False
    session.flush()
    assert admin.authenticate("manager1", PASSWORD) is None


def test_authenticate_upgrades_weak_hashes(admin, session):
    user = admin.create("old.user", PASSWORD, "auditor")
    weak = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)
    user.password_hash = weak
    session.flush()
    assert admin.authenticate("old.user", PASSWORD) is user
    assert user.password_hash != weak and user.password_hash.startswith("$argon2id$")
    assert verify_password(user.password_hash, PASSWORD)


def test_set_own_password_needs_the_current_one(container, session, admin, departments):
    user = admin.create("officer.mzj", PASSWORD, "officer", department_id=departments["mzj"].id)
    own = UserService(container, session, actor_for(session, user))
    with pytest.raises(ValidationError) as err:
        own.set_password("officer.mzj", "brand new password")
    assert "current_password" in err.value.fields
    with pytest.raises(ValidationError):
        own.set_password("officer.mzj", "brand new password", current_password="wrong password")
    with pytest.raises(ValidationError) as err:
        own.set_password("officer.mzj", "short", current_password=PASSWORD)
    assert "password" in err.value.fields and "8" in err.value.fields["password"][0].render("en")
    own.set_password("officer.mzj", "brand new password", current_password=PASSWORD)
    assert admin.authenticate("officer.mzj", "brand new password") is user
    assert admin.authenticate("officer.mzj", PASSWORD) is None
    assert user.password_hash.startswith("$argon2id$")
    assert session.scalars(select(AuditEvent).where(AuditEvent.action == "user.set_password")).one().object_id == str(user.id)


def test_only_admins_set_other_peoples_passwords(container, session, admin, departments):
    officer = admin.create("officer.mzj", PASSWORD, "officer", department_id=departments["mzj"].id)
    manager = admin.create("manager1", PASSWORD, "manager")
    as_manager = UserService(container, session, actor_for(session, manager))
    with pytest.raises(PermissionDeniedError):
        as_manager.set_password("officer.mzj", "brand new password", current_password=PASSWORD)
    assert admin.authenticate("officer.mzj", PASSWORD) is officer
    admin_user = admin.create("root1", PASSWORD, "admin")
    as_admin = UserService(container, session, actor_for(session, admin_user))
    as_admin.set_password("officer.mzj", "reset by admin")  # no current password needed
    assert admin.authenticate("officer.mzj", "reset by admin") is officer
    with pytest.raises(ValidationError):
        as_admin.set_password("officer.mzj", "short")
    with pytest.raises(NotFoundError):
        as_admin.set_password("nobody", "long enough password")


@pytest.mark.parametrize("role", ["superuser", "", "Officer", "anonymous"])
def test_roles_are_validated(admin, role, departments):
    with pytest.raises(ValidationError) as err:
        admin.create("someone", PASSWORD, role, department_id=departments["mzj"].id)
    assert "role" in err.value.fields
    assert "officer, reviewer, manager, auditor, admin" in err.value.fields["role"][0].render("en")


@pytest.mark.parametrize("role", ["officer", "reviewer"])
def test_department_roles_need_a_department(admin, session, role, departments):
    with pytest.raises(ValidationError) as err:
        admin.create("someone", PASSWORD, role)
    assert "department" in err.value.fields
    with pytest.raises(ValidationError) as err:
        admin.create("someone", PASSWORD, role, department_id=999999)
    assert "department" in err.value.fields
    user = admin.create("someone", PASSWORD, role, department_id=departments["rsj"].id)
    assert user.department_id == departments["rsj"].id
    assert session.scalar(select(User).where(User.username == "someone")) is user


@pytest.mark.parametrize("role", ["manager", "auditor", "admin"])
def test_catalog_wide_roles_need_no_department(admin, role):
    assert admin.create(f"{role}.1", PASSWORD, role).department_id is None


def test_set_role(admin, departments):
    user = admin.create("staff", PASSWORD, "manager")
    with pytest.raises(ValidationError) as err:
        admin.set_role("staff", "officer")
    assert "department" in err.value.fields
    with pytest.raises(ValidationError):
        admin.set_role("staff", "root")
    assert user.role == "manager"
    admin.set_role("staff", "officer", department_id=departments["mzj"].id)
    assert (user.role, user.department_id) == ("officer", departments["mzj"].id)
    admin.set_role("staff", "reviewer")  # keeps the department
    assert (user.role, user.department_id) == ("reviewer", departments["mzj"].id)
    with pytest.raises(NotFoundError):
        admin.set_role("nobody", "admin")


@pytest.mark.parametrize("username", ["a", "-abc", ".abc", "有中文", "alice\n", "al ice", "a" * 65, "alice/bob", ""])
def test_usernames_are_validated(admin, username):
    with pytest.raises(ValidationError) as err:
        admin.create(username, PASSWORD, "auditor")
    assert "username" in err.value.fields


@pytest.mark.parametrize("username", ["ab", "officer.mzj", "zhang_san", "a@huainan.gov.cn", "a" * 64, "007"])
def test_good_usernames(admin, username):
    assert admin.create(username, PASSWORD, "auditor").username == username


def test_every_problem_at_once_and_duplicates(admin):
    with pytest.raises(ValidationError) as err:
        admin.create("-", "short", "boss")
    assert set(err.value.fields) == {"username", "password", "role"}
    admin.create("dup", PASSWORD, "auditor")
    with pytest.raises(ConflictError):
        admin.create("dup", PASSWORD, "admin")


@pytest.mark.parametrize("role", ["officer", "reviewer", "manager", "auditor"])
def test_only_admins_manage_users(container, session, admin, departments, role):
    user = admin.create(f"{role}.x", PASSWORD, role, department_id=departments["mzj"].id)
    service = UserService(container, session, actor_for(session, user))
    with pytest.raises(PermissionDeniedError):
        service.create("new.user", PASSWORD, "admin")
    with pytest.raises(PermissionDeniedError):
        service.set_role(f"{role}.x", "admin")
    assert user.role == role
    if role == "auditor":
        assert [u.username for u in service.list()] == [f"{role}.x"]
    else:
        with pytest.raises(PermissionDeniedError):
            service.list()
    with pytest.raises(PermissionDeniedError):
        UserService(container, session, Actor.anonymous()).create("x.y", PASSWORD, "admin")


def test_get_and_list(admin):
    first = admin.create("b.user", PASSWORD, "auditor")
    admin.create("a.user", PASSWORD, "manager")
    assert admin.get(first.id) is first
    assert admin.get_by_username("b.user") is first
    assert [u.username for u in admin.list()] == ["a.user", "b.user"]
    with pytest.raises(NotFoundError):
        admin.get(999999)
    with pytest.raises(NotFoundError):
        admin.get_by_username("nobody")


def test_actor_for_includes_internal_units(admin, session, departments):
    mzj, unit, team, rsj = (departments[k] for k in ("mzj", "unit", "team", "rsj"))
    officer = admin.create("officer.mzj", PASSWORD, "officer", department_id=mzj.id)
    actor = actor_for(session, officer, client="web")
    assert (actor.user_id, actor.name, actor.role, actor.department_id, actor.client) == (
        officer.id, "officer.mzj", "officer", mzj.id, "web")
    assert actor.department_ids == frozenset({mzj.id, unit.id, team.id})
    assert actor.owns(team.id) and not actor.owns(rsj.id) and not actor.owns(None)
    unit_officer = admin.create("officer.unit", PASSWORD, "officer", department_id=unit.id)
    assert actor_for(session, unit_officer).department_ids == frozenset({unit.id, team.id})
    manager = admin.create("manager1", PASSWORD, "manager")
    assert actor_for(session, manager).department_ids == frozenset()
    assert subtree_ids(session, None) == frozenset()
    assert subtree_ids(session, rsj.id) == frozenset({rsj.id})
    assert not actor.is_anonymous and Actor.anonymous().is_anonymous
    assert actor.with_client("api").client == "api" and actor.with_client("api").department_ids == actor.department_ids
