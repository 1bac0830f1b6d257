"""OverlapService: overlaps between departments and the basic libraries' completeness, from the stored catalog."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from catalog.coverage import access
from catalog.coverage.matching import division_places
from catalog.coverage.overlap import (
    Entry,
    OverlapGroup,
    item_overlaps,
    key_names,
    library_completeness,
    load_libraries,
    resource_overlaps,
    synonym_map,
)
from catalog.i18n import message
from catalog.models import Resource
from catalog.permissions import require
from catalog.services.base import Service


@dataclass
class OverlapReport:
    """Resource overlaps, item overlaps and basic-library completeness."""

    resources: list[OverlapGroup]
    items: list[dict[str, Any]]
    libraries: list[dict[str, Any]]

    def to_dict(self) -> dict[str, Any]:
        return {"resources": [group.to_dict() for group in self.resources], "items": self.items,
                "libraries": self.libraries}


class OverlapService(Service):
    """Read-only analyses for one-source-per-data decisions (一数一源)."""

    def entries(self, *, include_drafts: bool = False) -> list[Entry]:
        """Every resource with its department's name and its item names (drafts only when asked)."""
        query = select(Resource).options(selectinload(Resource.items)).order_by(Resource.id)
        if not include_drafts:
            query = query.where(Resource.status != "draft")
        return [
            Entry(r.id, r.title, r.department_id, r.department.name, r.status, r.code,
                  tuple(item.name for item in r.items), tuple(r.related_codes or ()))
            for r in self.session.scalars(query)
        ]

    def report(self, *, include_drafts: bool = False, min_departments: int = 2) -> OverlapReport:
        """Find overlapping resources and items, and which fields of the basic libraries are provided.

        Drafts are left out unless ``include_drafts``: a department's unfinished work is not yet a source.

        :param min_departments: how many departments must collect an item for it to be listed.
        :raises PermissionDeniedError: unless the actor is a manager, an auditor or an admin.
        """
        require(access.can_view_coverage(self.actor), message("read overlap reports"))
        entries = self.entries(include_drafts=include_drafts)
        libraries = load_libraries()
        synonyms = synonym_map(libraries)
        return OverlapReport(
            resource_overlaps(entries, division_places(self.container.vocab), synonyms, key_names(libraries)),
            item_overlaps(entries, synonyms, min_departments),
            library_completeness(entries, libraries),
        )
