"""Deciding about a batch of harvested records at once: the lookups a batch needs, in a few queries.

New drafts of a batch are then created together by :meth:`ResourceService.create_many
<catalog.services.resource.ResourceService.create_many>`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import or_, select

from catalog.models import Resource
from harvesters.models import HarvestLink, HarvestSource

CLAIM_KEYS = (("metadata_id", Resource.metadata_id), ("code", Resource.code))


def claim_values(data: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The (key, value) pairs by which resource input names an existing resource (元数据标识符, 信息资源代码)."""
    return [(key, value.strip()) for key, _column in CLAIM_KEYS
            if isinstance(value := data.get(key), str) and value.strip()]


class Lookups:
    """What deciding about a batch of new records needs, read in a few queries instead of several per record."""

    def __init__(self, session, source: HarvestSource):
        self.session = session
        self.source = source
        self.links: dict[str, HarvestLink] = {}
        self.others: dict[str, HarvestLink] = {}
        self.claimed: dict[tuple[str, str], Resource] = {}
        self.owners: dict[int, HarvestLink] = {}
        self.sources: dict[int, HarvestSource] = {source.id: source}

    def load_links(self, remote_ids: Sequence[str]) -> None:
        """This source's links of these remote ids."""
        for start in range(0, len(remote_ids), 500):
            chunk = list(remote_ids[start:start + 500])
            self.links.update((link.remote_id, link) for link in self.session.scalars(select(HarvestLink).where(
                HarvestLink.source_id == self.source.id, HarvestLink.remote_id.in_(chunk))))

    def load_claims(self, remote_ids: Sequence[str], datas: Iterable[Mapping[str, Any]]) -> None:
        """Other sources' links of these remote ids, the resources the input names, and who harvests those."""
        ids = list(remote_ids)
        if ids:
            for link in self.session.scalars(select(HarvestLink).where(
                    HarvestLink.remote_id.in_(ids), HarvestLink.source_id != self.source.id,
                    HarvestLink.resource_id.is_not(None)).order_by(HarvestLink.id)):
                self.others.setdefault(link.remote_id, link)
        values: dict[str, set[str]] = {key: set() for key, _column in CLAIM_KEYS}
        for data in datas:
            for key, value in claim_values(data):
                values[key].add(value)
        conditions = [column.in_(sorted(values[key])) for key, column in CLAIM_KEYS if values[key]]
        if conditions:
            for resource in self.session.scalars(select(Resource).where(or_(*conditions))):
                for key, _column in CLAIM_KEYS:
                    if getattr(resource, key):
                        self.claimed.setdefault((key, getattr(resource, key)), resource)
        if self.claimed:
            resource_ids = sorted({r.id for r in self.claimed.values()})
            for link in self.session.scalars(select(HarvestLink).where(HarvestLink.resource_id.in_(resource_ids))):
                self.owners[link.resource_id] = link

    def claimed_by(self, data: Mapping[str, Any]) -> Resource | None:
        """The resource the input names, metadata identifier first (as a query with ``or_`` finds it)."""
        for pair in claim_values(data):
            if pair in self.claimed:
                return self.claimed[pair]
        return None

    def source_of(self, source_id: int) -> HarvestSource:
        if source_id not in self.sources:
            self.sources[source_id] = self.session.get(HarvestSource, source_id)
        return self.sources[source_id]
