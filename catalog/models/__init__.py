"""The ORM models; importing this package registers every table on ``Base.metadata``."""

from catalog.models.department import Department
from catalog.models.history import AuditEvent, Revision, WorkflowEvent
from catalog.models.resource import CodeSequence, Distribution, Resource, ResourceChange, ResourceItem
from catalog.models.user import User

__all__ = [
    "AuditEvent",
    "CodeSequence",
    "Department",
    "Distribution",
    "Resource",
    "ResourceChange",
    "ResourceItem",
    "Revision",
    "User",
    "WorkflowEvent",
]
