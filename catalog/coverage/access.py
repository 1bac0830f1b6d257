"""Who may read and write the coverage audit: one function per action, in the style of catalog.permissions.

The department's officers (编目员) keep its inventory and confirm its links; catalog managers and admins
may do so for every department; auditors (规划审计员) read everything and write nothing. The matrix is
tested in full in ``tests/coverage/test_access.py``.
"""

from __future__ import annotations

from catalog.actor import Actor
from catalog.permissions import STAFF_READERS


def can_view_inventory(actor: Actor, department_id: int) -> bool:
    """Read a department's expected inventory and its links: its own users, and managers, auditors, admins."""
    if actor.role in STAFF_READERS:
        return True
    return actor.role is not None and actor.owns(department_id)


def can_edit_inventory(actor: Actor, department_id: int) -> bool:
    """Add, change, remove or import inventory items of a department; confirm or remove their links."""
    if actor.role in ("manager", "admin"):
        return True
    return actor.role == "officer" and actor.owns(department_id)


def can_match_inventory(actor: Actor, department_id: int) -> bool:
    """Compute and store link suggestions for a department's unlinked items."""
    return can_edit_inventory(actor, department_id)


def can_view_coverage(actor: Actor, department_id: int | None = None) -> bool:
    """Read coverage, quality and overlap reports: the whole city for managers, auditors and admins;
    one department's own figures for its officers and reviewers."""
    if actor.role in STAFF_READERS:
        return True
    return department_id is not None and actor.role in ("officer", "reviewer") and actor.owns(department_id)


def can_check_links(actor: Actor) -> bool:
    """Run the link checker and store what it found (``mulu links check``)."""
    return actor.role in ("manager", "admin")


def can_take_snapshot(actor: Actor) -> bool:
    """Store a coverage snapshot (the monthly figures as reported)."""
    return actor.role in ("manager", "admin")
