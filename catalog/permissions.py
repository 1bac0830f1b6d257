"""Who may do what: one function per action, each answering for a role and own/other department.

Roles: ``officer`` 编目员, ``reviewer`` 部门审核员, ``manager`` 目录管理员, ``auditor`` 规划审计员,
``admin`` 系统管理员. The matrix is tested in full in ``tests/catalog/test_permissions.py``.
"""

from __future__ import annotations

from catalog.actor import Actor
from catalog.errors import PermissionDeniedError
from catalog.i18n import Message, message

STAFF_READERS = frozenset({"manager", "auditor", "admin"})
PUBLISHED = "published"


def _is(actor: Actor, *roles: str) -> bool:
    return actor.role in roles


def can_view_resource(actor: Actor, department_id: int, status: str, share_type: str | None, is_open: bool) -> bool:
    """Read a resource's metadata.

    Anonymous visitors see published resources open to the public; signed-in department users see
    the shared catalog (published, with 不予共享 ones only for their own department), everything
    open to the public, and everything of their own department; managers, auditors and admins see
    everything.
    """
    if _is(actor, *STAFF_READERS):
        return True
    if actor.is_anonymous:
        return status == PUBLISHED and is_open
    if actor.owns(department_id):
        return True
    # Signing in never hides what the public sees: a published 不予共享 resource that is open to the
    # public is readable by every department too.
    return status == PUBLISHED and (share_type != "not_shared" or bool(is_open))


def can_create_resource(actor: Actor, department_id: int) -> bool:
    """Catalog a new resource for a department (编目)."""
    return _is(actor, "admin") or (_is(actor, "officer") and actor.owns(department_id))


def can_edit_resource(actor: Actor, department_id: int) -> bool:
    """Edit a draft or returned resource, or propose a change (变更) to a published one."""
    return can_create_resource(actor, department_id)


def can_delete_draft(actor: Actor, department_id: int) -> bool:
    """Delete a draft that was never submitted."""
    return can_create_resource(actor, department_id)


def can_submit(actor: Actor, department_id: int) -> bool:
    """Submit a resource for review (提交审核), or request publication of a registered one."""
    return can_create_resource(actor, department_id)


def can_department_review(actor: Actor, department_id: int) -> bool:
    """Approve or return a resource in the optional internal department review (部门审核)."""
    return _is(actor, "admin") or (_is(actor, "reviewer") and actor.owns(department_id))


def can_register(actor: Actor, department_id: int) -> bool:
    """Register a resource (注册), assigning its code, or return it from registration review."""
    return _is(actor, "manager", "admin")


def can_publish(actor: Actor, department_id: int) -> bool:
    """Publish a registered resource (发布) or return it from publication review; re-publish a withdrawn one."""
    return _is(actor, "manager", "admin")


def can_withdraw(actor: Actor, department_id: int) -> bool:
    """Withdraw a published resource (撤销 / 下线)."""
    return _is(actor, "manager", "admin")


def can_review_change(actor: Actor, department_id: int) -> bool:
    """Approve or return a change (变更) to a published resource."""
    return _is(actor, "manager", "admin")


def can_view_history(actor: Actor, department_id: int) -> bool:
    """Read revisions, diffs and workflow events of a resource."""
    return _is(actor, *STAFF_READERS) or actor.owns(department_id)


def can_manage_departments(actor: Actor) -> bool:
    """Create, edit and import departments."""
    return _is(actor, "manager", "admin")


def can_manage_users(actor: Actor) -> bool:
    """Create users, set roles and reset passwords."""
    return _is(actor, "admin")


def can_read_audit_log(actor: Actor) -> bool:
    """Read the audit log of every write."""
    return _is(actor, "auditor", "admin")


def can_import_resources(actor: Actor, department_id: int) -> bool:
    """Bulk-import resources for a department (spreadsheet template, JSON Lines)."""
    return can_create_resource(actor, department_id)


def can_manage_harvest_source(actor: Actor, department_id: int) -> bool:
    """Create, change and run a harvest source (采集源) of a department."""
    return _is(actor, "manager", "admin") or (_is(actor, "officer") and actor.owns(department_id))


def can_view_harvest_source(actor: Actor, department_id: int) -> bool:
    """Read a harvest source, its jobs and their per-record reports."""
    return _is(actor, *STAFF_READERS) or (_is(actor, "officer", "reviewer") and actor.owns(department_id))


def require(allowed: bool, action: Message) -> None:
    """Raise :class:`PermissionDeniedError` naming the action when ``allowed`` is false.

    :param allowed: the answer of one of the ``can_*`` functions.
    :param action: what was attempted, e.g. ``message("register this resource")``.
    """
    if not allowed:
        raise PermissionDeniedError(message("You are not allowed to {action}.", action=action))
