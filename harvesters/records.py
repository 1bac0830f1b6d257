"""What the runner does with a batch of remote records, and with records gone upstream.

Records are fetched and mapped first (no database), then decided together: the links, conflicts
and claimed resources of a batch are read in a few queries, unchanged records cost no write, new
drafts of an ordinary source are created together in one SAVEPOINT (falling back to one at a time
if the database refuses one), and every other write has a SAVEPOINT of its own, so a bad record
rolls back alone.

Decisions (docs/harvesting.md explains them):

- the content hash is taken over the mapped input (defaults applied), so a record whose mapping
  did not change is skipped without a write, and changing a source's defaults updates everything;
- a new remote id that another source already harvested, or that names (by 元数据标识符 or
  信息资源代码) a resource of another department or source, is a *conflict*, never a second copy;
- a resource of the source's own department that no source claims yet is adopted;
- an update merges: the remote's values win, what people completed in Mulu stays where the remote
  says nothing, the source's defaults fill only what neither has;
- updates follow the workflow: drafts and returned resources change in place, a published one
  gets a change (变更) for review (approved at once for a trusted source), one under review or
  registered is *deferred* (retried next run, its hash is not stored);
- records gone upstream: first marked, then — after the source's grace period — a published
  resource is withdrawn, a never-registered draft deleted; others are reported for a person.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import insert, select, update

from catalog.errors import MuluError, ValidationError
from catalog.i18n import Message, message
from catalog.models import Resource, ResourceChange
from catalog.schemas.resource import READ_ONLY_KEYS
from catalog.services.resource import ResourceService
from catalog.workflow import STATES
from harvesters.base import Harvester, HarvestError, RemoteRecord, SkipRecord
from harvesters.bulk import Lookups, claim_values
from harvesters.models import HarvestLink, HarvestSource, aware

log = logging.getLogger(__name__)
_FIX_AT_SOURCE = message("Correct the record at its source, or give the harvest source a default for the field.")


@dataclass
class Outcome:
    """What happened to one record; ``fields`` holds validation messages by field path."""

    status: str
    remote_id: str
    url: str | None = None
    resource_id: int | None = None
    message: Message | None = None
    hint: Message | None = None
    fields: dict[str, list[Message]] = field(default_factory=dict)


def content_hash(data: Mapping[str, Any]) -> str:
    """A stable hash of resource input (key order and JSON spelling do not matter)."""
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def with_defaults(data: Mapping[str, Any], defaults: Mapping[str, Any]) -> dict[str, Any]:
    """The mapped input with the source's defaults filling what the remote left empty (one level deep)."""
    result = dict(data)
    for key, value in (defaults or {}).items():
        current = result.get(key)
        if isinstance(value, Mapping) and isinstance(current, Mapping):
            result[key] = {**value, **{k: v for k, v in current.items() if v not in (None, "", [])}}
        elif current in (None, "", [], {}):
            result[key] = value
    return result


@dataclass
class _Prepared:
    """A record fetched and mapped (no database yet): the input with defaults and its hash."""

    index: int
    record: RemoteRecord
    mapped: dict[str, Any]
    data: dict[str, Any]
    digest: str


class RecordWriter:
    """Writes records of one job through ResourceService; nothing is kept when ``dry_run``."""

    def __init__(self, service: ResourceService, source: HarvestSource, harvester: Harvester, *, job_id: int | None,
                 dry_run: bool, now: datetime):
        self.service = service
        self.session = service.session
        self.source = source
        self.harvester = harvester
        self.job_id = job_id
        self.dry_run = dry_run
        self.now = now

    # -- a batch of records ----------------------------------------------------------------------

    def process(self, record: RemoteRecord) -> Outcome:
        """Fetch, map and write one record; every failure becomes an outcome."""
        return self.process_batch([record])[0]

    def process_batch(self, records: list[RemoteRecord]) -> list[Outcome]:
        """Fetch and map each record, then decide and write them together; every failure is one record's outcome.

        Fetching and mapping touch no database. Links, conflicts and claimed resources are read for
        the whole batch in a few queries; unchanged records cost no write; new drafts of an ordinary
        source are created together (``ResourceService.create_many``) in one SAVEPOINT, and
        everything else — updates, adoptions, a trusted source's registrations, a dry run — is
        written record by record, each in its own SAVEPOINT, as before.
        """
        outcomes: list[Outcome | None] = [None] * len(records)
        prepared: list[_Prepared] = []
        for index, record in enumerate(records):
            result = self._guarded(record, lambda record=record, index=index: self._prepare(index, record), savepoint=False)
            if isinstance(result, Outcome):
                outcomes[index] = result
            else:
                prepared.append(result)
        if not prepared:
            return outcomes
        lookups = Lookups(self.session, self.source)
        lookups.load_links([p.record.remote_id for p in prepared])
        new: list[_Prepared] = []
        for p in prepared:
            link = lookups.links.get(p.record.remote_id)
            if link is None:
                new.append(p)
            elif link.resource_id is None:
                outcomes[p.index] = Outcome("skipped", p.record.remote_id, p.record.url, message=message(
                    "The resource was deleted in the catalog; the record is not harvested again."))
            elif link.content_hash == p.digest:
                outcomes[p.index] = Outcome("unchanged", p.record.remote_id, p.record.url, resource_id=link.resource_id)
            else:
                outcomes[p.index] = self._guarded(p.record, lambda p=p, link=link: self._update(
                    p.record, p.mapped, p.digest, link))
        if new:
            lookups.load_claims([p.record.remote_id for p in new], [p.data for p in new])
            fresh = self._decide_new(new, lookups, outcomes)
            if fresh:
                self._create_batch(fresh, outcomes)
        return outcomes

    def _prepare(self, index: int, record: RemoteRecord) -> _Prepared | Outcome:
        record = self.harvester.fetch(record)
        if record.payload is None:
            return Outcome("unchanged", record.remote_id, record.url)
        mapped = self.harvester.map(record)
        data = with_defaults(mapped, self.source.defaults)
        data["department"] = {"id": self.source.department_id}
        return _Prepared(index, record, mapped, data, content_hash(data))

    def _decide_new(self, new: list[_Prepared], lookups: Lookups, outcomes: list) -> list[_Prepared]:
        """Conflicts and adoptions of records this source has not linked yet; returns those to create."""
        fresh = []
        claims: dict[tuple[str, str], int] = {}
        for p in new:
            for pair in claim_values(p.data):
                claims[pair] = claims.get(pair, 0) + 1
        for p in new:
            conflict = self._conflict(p.record, p.data, lookups)
            if conflict is not None:
                outcomes[p.index] = conflict
                continue
            claimed = lookups.claimed_by(p.data)
            if claimed is not None:  # a resource of the source's own department that no source claims: adopted
                outcomes[p.index] = self._guarded(p.record, lambda p=p, claimed=claimed: self._update(
                    p.record, p.mapped, p.digest, self._link(p.record, claimed.id)))
            elif any(claims[pair] > 1 for pair in claim_values(p.data)) or self.dry_run or self.source.trusted:
                # Records naming each other, a preview, a trusted source's registrations: one at a time.
                outcomes[p.index] = self._guarded(p.record, lambda p=p: self._create(p.record, p.data, p.digest))
            else:
                fresh.append(p)
        return fresh

    def _create_batch(self, fresh: list[_Prepared], outcomes: list) -> None:
        comment = f"harvest:{self.source.name}"
        savepoint = self.session.begin_nested()
        links: list[dict] = []
        try:
            results = self.service.create_many([(p.data, comment) for p in fresh])
            for p, result in zip(fresh, results, strict=True):
                if isinstance(result, MuluError):
                    outcomes[p.index] = Outcome("error", p.record.remote_id, p.record.url, message=result.message,
                                                hint=_FIX_AT_SOURCE, fields=result.fields)
                    continue
                links.append({"source_id": self.source.id, "remote_id": p.record.remote_id, "resource_id": result.id,
                              "url": p.record.url, "content_hash": p.digest, "remote_modified": p.record.modified,
                              "first_seen_at": self.now, "last_seen_at": self.now, "last_job_id": self.job_id})
                outcomes[p.index] = Outcome("created", p.record.remote_id, p.record.url, resource_id=result.id)
            if links:
                self.session.execute(insert(HarvestLink), links)
        except Exception:  # one record the database refuses: write them one by one to find it
            log.warning("batch of %s new records from %s failed; writing them one by one", len(fresh), self.source.name,
                        exc_info=True)
            savepoint.rollback()
            for p in fresh:
                outcomes[p.index] = self._guarded(p.record, lambda p=p: self._create(p.record, p.data, p.digest))
            return
        savepoint.commit()

    def _guarded(self, record: RemoteRecord, work, *, savepoint: bool = True):
        """Run ``work`` (in its own SAVEPOINT when it writes); turn every failure into this record's outcome."""
        nested = self.session.begin_nested() if savepoint else None
        try:
            outcome = work()
        except SkipRecord as exc:
            outcome = Outcome("skipped", record.remote_id, record.url, message=exc.reason)
        except HarvestError as exc:
            outcome = Outcome("error", record.remote_id, exc.url or record.url, message=exc.message, hint=exc.hint)
        except MuluError as exc:
            outcome = Outcome("error", record.remote_id, record.url, message=exc.message, hint=_FIX_AT_SOURCE,
                              fields=exc.fields)
        except Exception as exc:  # a bug or an input nobody foresaw: this record fails, the job goes on
            log.exception("harvest of %s from %s failed", record.remote_id, self.source.name)
            outcome = Outcome("error", record.remote_id, record.url,
                              message=message("Unexpected error while reading the record: {detail}",
                                              detail=f"{type(exc).__name__}: {exc}"[:500]),
                              hint=message("Report this record to the catalog administrators."))
        else:
            if nested is not None:
                (nested.rollback if self.dry_run else nested.commit)()
            return outcome
        if nested is not None:
            nested.rollback()
        return outcome

    def _conflict(self, record: RemoteRecord, data: Mapping[str, Any], lookups: Lookups) -> Outcome | None:
        other = lookups.others.get(record.remote_id)
        if other is not None:
            other_source = lookups.source_of(other.source_id)
            return Outcome("conflict", record.remote_id, record.url, resource_id=other.resource_id, message=message(
                "The source {source} ({department}) harvests this record already, as resource {id}.",
                source=other_source.name, department=other_source.department.name, id=other.resource_id),
                hint=message("Harvest each record from one source only: filter one of the two sources."))
        claimed = lookups.claimed_by(data)
        if claimed is None:
            return None
        owner = lookups.owners.get(claimed.id)
        if owner is not None and owner.source_id != self.source.id:
            other_source = lookups.source_of(owner.source_id)
            return Outcome("conflict", record.remote_id, record.url, resource_id=claimed.id, message=message(
                "The record names resource {id}, which the source {source} harvests.", id=claimed.id,
                source=other_source.name), hint=message("Harvest each record from one source only."))
        if claimed.department_id != self.source.department_id:
            return Outcome("conflict", record.remote_id, record.url, resource_id=claimed.id, message=message(
                "The record names resource {id}, which belongs to {department}.", id=claimed.id,
                department=claimed.department.name),
                hint=message("Only the providing department's own source may update a resource."))
        return None

    def _link(self, record: RemoteRecord, resource_id: int) -> HarvestLink:
        link = HarvestLink(source_id=self.source.id, remote_id=record.remote_id, resource_id=resource_id,
                           url=record.url, first_seen_at=self.now, last_seen_at=self.now)
        self.session.add(link)
        return link

    def _create(self, record: RemoteRecord, data: dict, digest: str) -> Outcome:
        comment = f"harvest:{self.source.name}"
        note = None
        fields: dict[str, list[Message]] = {}
        if self.source.trusted:
            inner = self.session.begin_nested()
            try:
                resource = self.service.create(data, draft=False, comment=comment)
                self._promote(resource)
                inner.commit()
            except ValidationError as exc:
                # A trusted source's incomplete record still lands, as a draft people complete.
                inner.rollback()
                resource = self.service.create(data, draft=True, comment=comment)
                note = message("Kept as a draft: the record is incomplete for registration.")
                fields = exc.fields
        else:
            resource = self.service.create(data, draft=True, comment=comment)
        link = self._link(record, resource.id)
        self._remember(link, record, digest)
        return Outcome("created", record.remote_id, record.url, resource_id=resource.id, message=note,
                       hint=_FIX_AT_SOURCE if fields else None, fields=fields)

    def _update(self, record: RemoteRecord, mapped: dict, digest: str, link: HarvestLink) -> Outcome:
        resource = self.service.get(link.resource_id)
        state = resource.status
        # What the remote says wins; what people completed in Mulu (information items, a share
        # condition …) stays where the remote says nothing; the source's defaults fill only what
        # neither has. Otherwise every remote edit would wipe the items of a published resource.
        current = {k: v for k, v in self.service.to_json(resource).items() if k not in READ_ONLY_KEYS}
        data = with_defaults(with_defaults(mapped, current), self.source.defaults)
        data["department"] = {"id": self.source.department_id}
        if state in ("draft", "returned"):
            self.service.update(resource.id, data, comment=f"harvest:{self.source.name}")
            if self.source.trusted and state == "draft":
                inner = self.session.begin_nested()
                try:
                    self._promote(resource)
                    inner.commit()
                except ValidationError:
                    inner.rollback()
        elif state == "published":
            change = self.service.update(resource.id, data, comment=f"harvest:{self.source.name}")
            if self.source.trusted and isinstance(change, ResourceChange):
                self.service.decide_change(resource.id, approve=True, comment=f"harvest:{self.source.name}")
        else:
            return Outcome("deferred", record.remote_id, record.url, resource_id=resource.id, message=message(
                "The resource is “{state}”; the remote change is applied once it can be edited again.",
                state=STATES[state]))
        self._remember(link, record, digest)
        return Outcome("updated", record.remote_id, record.url, resource_id=resource.id)

    def _promote(self, resource: Resource) -> None:
        """Take a trusted source's complete record to 已注册 through the normal transitions."""
        for action, state in (("submit", ("draft", "returned")), ("approve_department", ("pending_department_review",)),
                              ("register", ("pending_registration",))):
            if resource.status in state:
                self.service.transition(resource.id, action, comment=f"harvest:{self.source.name}")

    def _remember(self, link: HarvestLink, record: RemoteRecord, digest: str) -> None:
        link.content_hash = digest
        link.remote_modified = record.modified
        link.url = record.url
        link.last_seen_at = self.now
        link.gone_since = None
        link.last_job_id = self.job_id
        self.session.flush()

    # -- records gone upstream -----------------------------------------------------------------

    def mark_seen(self, remote_ids: Iterable[str]) -> None:
        """Record that these remote ids are still listed (and bring back any marked as gone)."""
        if self.dry_run:
            return
        ids = list(remote_ids)
        for start in range(0, len(ids), 500):
            self.session.execute(update(HarvestLink).where(
                HarvestLink.source_id == self.source.id, HarvestLink.remote_id.in_(ids[start:start + 500])
            ).values(last_seen_at=self.now, gone_since=None).execution_options(synchronize_session=False))

    def sweep(self, seen: set[str]) -> list[Outcome]:
        """Mark links not listed by a complete run as gone; withdraw those gone longer than the grace period."""
        outcomes = []
        grace = timedelta(days=self.source.withdraw_after_days)
        # Ids first: a run that saw all of a 100,000-record catalog loads no link object at all.
        missing = [link_id for link_id, remote_id in self.session.execute(
            select(HarvestLink.id, HarvestLink.remote_id).where(HarvestLink.source_id == self.source.id))
            if remote_id not in seen]
        links = [link for start in range(0, len(missing), 500) for link in self.session.scalars(
            select(HarvestLink).where(HarvestLink.id.in_(missing[start:start + 500])).order_by(HarvestLink.id))]
        for link in links:
            savepoint = self.session.begin_nested()
            try:
                outcome = self._gone(link, grace)
            except MuluError as exc:
                savepoint.rollback()
                outcome = Outcome("error", link.remote_id, link.url, resource_id=link.resource_id, message=exc.message)
            else:
                (savepoint.rollback if self.dry_run else savepoint.commit)()
            if outcome is not None:
                outcomes.append(outcome)
        return outcomes

    def _gone(self, link: HarvestLink, grace: timedelta) -> Outcome | None:
        first = link.gone_since is None
        if first:
            link.gone_since = self.now
        if aware(link.gone_since) + grace > self.now:
            if not first:
                return None
            return Outcome("gone", link.remote_id, link.url, resource_id=link.resource_id, message=message(
                "The record is no longer listed by the source; it is withdrawn after {days} days unless it returns.",
                days=self.source.withdraw_after_days))
        reason = message("Removed from the harvest source {source}.", source=self.source.name).render("zh_CN")
        resource = self.session.get(Resource, link.resource_id) if link.resource_id else None
        remote_id, url, resource_id = link.remote_id, link.url, link.resource_id
        if resource is None or resource.status == "withdrawn":
            self.session.delete(link)
            return None if resource is None else Outcome("withdrawn", remote_id, url, resource_id=resource_id)
        if resource.status == "published":
            self.service.transition(resource.id, "withdraw", comment=reason)
            link.last_job_id = self.job_id
            return Outcome("withdrawn", remote_id, url, resource_id=resource_id,
                           message=message("Withdrawn: the record was removed at the source."))
        if resource.status == "draft" and not resource.code:
            self.session.delete(link)
            self.session.flush()
            self.service.delete_draft(resource.id)
            return Outcome("deleted", remote_id, url, message=message("The draft was deleted: the record was removed at the source."))
        return Outcome("deferred", remote_id, url, resource_id=resource_id, message=message(
            "The record was removed at the source, but the resource is “{state}”: a catalog manager decides.",
            state=STATES[resource.status]))
