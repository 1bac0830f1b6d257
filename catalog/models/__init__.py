"""The ORM models; importing this package registers every table on ``Base.metadata``."""

from catalog.models.department import Department
from catalog.models.history import AuditEvent, Revision, WorkflowEvent
from catalog.models.inventory import CoverageSnapshot, InventoryItem, LinkCheck  # noqa: F401  (coverage audit)
from catalog.models.link import LinkCheckResult, LinkCheckRun  # noqa: F401  (mulu links check)
from catalog.models.notification import Notification
from catalog.models.resource import CodeSequence, Distribution, Resource, ResourceChange, ResourceItem
from catalog.models.search import SearchIndexEntry  # noqa: F401  (the search index table and its flush hook)
from catalog.models.token import ApiToken
from catalog.models.user import User

__all__ = [
    "ApiToken",
    "AuditEvent",
    "CodeSequence",
    "Department",
    "Distribution",
    "Notification",
    "Resource",
    "ResourceChange",
    "ResourceItem",
    "Revision",
    "User",
    "WorkflowEvent",
]
