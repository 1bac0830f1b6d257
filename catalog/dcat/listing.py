"""What the DCAT endpoints serve: one page of the published catalog an actor may read, and the catalog's publisher.

The one module of ``catalog.dcat`` that reads the database; the rest are pure functions over rdflib.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from catalog import permissions as perm
from catalog.models import Department, Resource

DEFAULT_PAGE_SIZE = 100
#: rdflib writes Turtle at about 10 ms per resource: 250 keeps the largest page within a few seconds.
MAX_PAGE_SIZE = 250


@dataclass(frozen=True)
class CatalogPage:
    """One page of the catalog: its resources (ordered by id, so pages stay put while resources change).

    :ivar resources: the resources of the page, with items and distributions loaded.
    :ivar total: how many resources the whole (filtered) catalog has.
    :ivar page: the page number, from 1.
    :ivar size: resources per page.
    """

    resources: list[Resource]
    total: int
    page: int
    size: int

    @property
    def last(self) -> int:
        """The last page number (1 for an empty catalog)."""
        return max(1, -(-self.total // self.size))

    @property
    def previous(self) -> int | None:
        return self.page - 1 if self.page > 1 else None

    @property
    def next(self) -> int | None:
        return self.page + 1 if self.page < self.last else None


def catalog_page(service, *, page: int = 1, size: int = DEFAULT_PAGE_SIZE,
                 modified_since: datetime | None = None) -> CatalogPage:
    """The published resources the service's actor may read, one page of them.

    Only published resources are in the catalog, whoever asks; among them the actor's visibility rule
    applies (``catalog.permissions.can_view_resource``: anonymous visitors get those open to the public).

    :param service: a ``ResourceService`` (its session and actor are used).
    :param page: the page number, from 1; a page past the last one is empty.
    :param size: resources per page, capped at :data:`MAX_PAGE_SIZE`.
    :param modified_since: only resources whose metadata changed at or after this moment (naive: UTC).
    :raises ValueError: for a page or size below 1.
    """
    if page < 1 or size < 1:
        raise ValueError("page and size start at 1")
    size = min(size, MAX_PAGE_SIZE)
    conditions = [Resource.status == perm.PUBLISHED, service.visibility_filter()]
    if modified_since is not None:
        if modified_since.tzinfo is None:
            modified_since = modified_since.replace(tzinfo=UTC)
        conditions.append(Resource.updated_at >= modified_since.astimezone(UTC))
    session: Session = service.session
    total = session.scalar(select(func.count()).select_from(Resource).where(*conditions)) or 0
    offset = (page - 1) * size
    if offset >= total:  # past the end (also spares the database an absurd offset)
        return CatalogPage([], total, page, size)
    resources = list(session.scalars(
        select(Resource)
        .where(*conditions)
        .options(selectinload(Resource.items), selectinload(Resource.distributions))
        .order_by(Resource.id)
        .offset(offset)
        .limit(size)
    ))
    return CatalogPage(resources, total, page, size)


def catalog_publisher(session: Session) -> Department | None:
    """The body publishing the catalog: the one top-level government (e.g. 淮南市人民政府), else the one root.

    :returns: ``None`` when the department tree has no single root.
    """
    roots = list(session.scalars(select(Department).where(Department.parent_id.is_(None)).order_by(Department.id)))
    governments = [d for d in roots if d.kind == "government"]
    if len(governments) == 1:
        return governments[0]
    return roots[0] if len(roots) == 1 else None
