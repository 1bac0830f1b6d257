"""The ORM models; importing this package registers every table on ``Base.metadata``."""

from catalog.models.department import Department
from catalog.models.history import AuditEvent, Revision, WorkflowEvent
from catalog.models.inventory import CoverageSnapshot, InventoryItem, LinkCheck  # noqa: F401  (coverage audit)
from catalog.models.resource import CodeSequence, Distribution, Resource, ResourceChange, ResourceItem
from catalog.models.search import SearchIndexEntry  # noqa: F401  (the search index table and its flush hook)
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
