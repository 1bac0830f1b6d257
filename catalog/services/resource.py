"""ResourceService: create, edit, review, register, publish and withdraw information resources."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import and_, false, func, or_, select, true
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from catalog import codes, workflow
from catalog import permissions as perm
from catalog.diff import FieldChange, diff_snapshots
from catalog.errors import ConflictError, MuluError, NotFoundError, ValidationError, WorkflowError
from catalog.i18n import message
from catalog.models import (
    Department,
    Distribution,
    Resource,
    ResourceChange,
    ResourceItem,
    Revision,
    WorkflowEvent,
)
from catalog.schemas.resource import READ_ONLY_KEYS, ResourceSchema
from catalog.serialize import resource_to_json
from catalog.services.base import Service
from catalog.services.resource_batch import create_drafts

_COLUMNS = {
    "title": "title",
    "abstract": "abstract",
    "provider_unit": "provider_unit",
    "theme": "theme",
    "update_cycle": "update_cycle",
    "keywords": "keywords",
    "keyword_thesaurus": "keyword_thesaurus",
    "related_codes": "related_codes",
    "metadata_maintainer": "metadata_maintainer",
}
_NESTED = {
    ("format", "class"): "format_class",
    ("format", "type"): "format_type",
    ("format", "description"): "format_description",
    ("share", "type"): "share_type",
    ("share", "condition"): "share_condition",
    ("share", "basis"): "share_basis",
    ("share", "method"): "share_method",
    ("open", "type"): "open_type",
    ("open", "condition"): "open_condition",
}


def resource_schema(container) -> ResourceSchema:
    """The container's ResourceSchema, built once (building it walks the whole profile)."""
    schema = container.__dict__.get("_resource_schema")
    if schema is None:
        schema = ResourceSchema(container.profile, container.vocab)
        container.__dict__["_resource_schema"] = schema
    return schema


class ResourceService(Service):
    """Every write to a resource goes through here; the service flushes and the caller commits."""

    @property
    def schema(self) -> ResourceSchema:
        return resource_schema(self.container)

    # -- reading -------------------------------------------------------------------------------

    def visibility_filter(self):
        """A SQL condition selecting the resources this actor may read (mirrors ``can_view_resource``)."""
        actor = self.actor
        if actor.role in perm.STAFF_READERS:
            return true()
        published = Resource.status == "published"
        if actor.is_anonymous:
            return and_(published, Resource.open_is_open.is_(True))
        own = Resource.department_id.in_(actor.department_ids) if actor.department_ids else false()
        shared = and_(published, or_(Resource.share_type.is_(None), Resource.share_type != "not_shared",
                                     Resource.open_is_open.is_(True)))
        return or_(own, shared)

    def get(self, resource_id: int, *, for_update: bool = False) -> Resource:
        """Fetch a resource the actor may read.

        :raises NotFoundError: when it does not exist or is not visible to the actor.
        """
        if for_update:
            # Lock the resource row only: PostgreSQL refuses FOR UPDATE on the nullable side of the
            # eager outer join to the department. populate_existing: the row read under the lock must
            # win over a copy already in the session, or the state and version checks use stale values.
            resource = self.session.get(Resource, resource_id, with_for_update={"of": Resource}, populate_existing=True)
        else:
            resource = self.session.get(Resource, resource_id)
        if resource is None or not self._can_view(resource):
            raise NotFoundError(message("Resource {id} was not found.", id=resource_id))
        return resource

    def get_by_code(self, code: str) -> Resource:
        """Fetch a resource by its 信息资源代码 (or its metadata identifier)."""
        resource = self.session.scalars(
            select(Resource).where(or_(Resource.code == code.strip(), Resource.metadata_id == code.strip()))
        ).first()
        if resource is None or not self._can_view(resource):
            raise NotFoundError(message("No resource has the code {code}.", code=code))
        return resource

    def list(self, *, status: str | None = None, department_id: int | None = None, limit: int | None = None,
             offset: int = 0) -> list[Resource]:
        """Resources visible to the actor, newest first, optionally filtered."""
        query = (
            select(Resource)
            .where(self.visibility_filter())
            .options(selectinload(Resource.items), selectinload(Resource.distributions))
            .order_by(Resource.updated_at.desc(), Resource.id.desc())
            .offset(offset)
        )
        if status:
            query = query.where(Resource.status == status)
        if department_id:
            query = query.where(Resource.department_id == department_id)
        if limit:
            query = query.limit(limit)
        return list(self.session.scalars(query))

    def count_by_status(self) -> dict[str, int]:
        """How many visible resources are in each workflow state."""
        rows = self.session.execute(
            select(Resource.status, func.count()).where(self.visibility_filter()).group_by(Resource.status)
        )
        return {status: count for status, count in rows}

    def to_json(self, resource: Resource) -> dict[str, Any]:
        """The Resource JSON (export, API)."""
        return resource_to_json(resource, self.container.profile, self.container.timezone)

    def _can_view(self, resource: Resource) -> bool:
        return perm.can_view_resource(
            self.actor, resource.department_id, resource.status, resource.share_type, resource.open_is_open
        )

    # -- writing -------------------------------------------------------------------------------

    def create_many(self, items: Sequence[tuple[Mapping[str, Any], str | None]]) -> list[Resource | MuluError]:
        """Catalog many new drafts at once, as :meth:`create` with ``draft=True`` would one by one (harvests).

        An input that does not load, or whose provider the actor may not catalog for, gets its error in
        its place and adds nothing; the others are written with two flushes in all. If the flush itself
        fails the exception propagates: callers wrap the call in a SAVEPOINT and fall back to :meth:`create`.

        :param items: (resource input, revision comment) pairs.
        :returns: per item, the new resource (flushed, with its first revision and audit event) or the error.
        """
        return create_drafts(self, items)

    def create(self, data: Mapping[str, Any], *, draft: bool = True, comment: str | None = None) -> Resource:
        """Catalog a new resource (编目) as a draft.

        :param data: resource input (see ``ResourceSchema``); ``department`` names the provider.
        :param draft: check only what a draft needs; ``False`` applies every rule (imports, harvests).
        :param comment: a note for the first revision.
        :returns: the new resource, flushed, with its metadata identifier.
        :raises ValidationError: listing every problem of the input.
        :raises PermissionDeniedError: when the actor may not catalog for that department.
        """
        loaded = self.schema.load(data, draft=draft)
        department, unit = self._resolve_department(loaded.get("department"))
        perm.require(perm.can_create_resource(self.actor, department.id), message("catalog resources for this department"))
        resource = Resource(
            metadata_id=f"metadata_{uuid.uuid4().hex}",
            status="draft",
            department_id=department.id,
            department=department,
            created_by_id=self.actor.user_id,
            updated_by_id=self.actor.user_id,
            created_at=self.container.now(),
            updated_at=self.container.now(),
            extras={},
            keywords=[],
            related_codes=[],
        )
        self._apply(resource, loaded, department, unit)
        self.session.add(resource)
        self._flush()
        self._record(resource, "create", comment)
        self.audit("resource.create", "resource", resource.id, {"title": resource.title})
        return resource

    def update(self, resource_id: int, data: Mapping[str, Any], *, expected_version: int | None = None,
               comment: str | None = None) -> Resource | ResourceChange:
        """Edit a resource.

        Drafts and returned resources change in place. A published resource is not touched: the edit
        becomes a change (变更) awaiting review, and the published version stays visible until approved.

        :param expected_version: the ``version`` the editor started from; a different current version
            means somebody else saved in between, and nothing is written.
        :returns: the resource, or the pending :class:`ResourceChange` for a published resource.
        :raises ConflictError: on a stale ``expected_version``.
        :raises WorkflowError: when the resource is under review and cannot be edited.
        """
        resource = self.get(resource_id)
        perm.require(perm.can_edit_resource(self.actor, resource.department_id), message("edit this resource"))
        self._check_version(resource, expected_version)
        if resource.status == "published":
            return self._propose_change(resource, data, comment)
        if resource.status not in workflow.EDITABLE:
            raise WorkflowError(
                message("A resource in the state “{state}” cannot be edited.", state=workflow.STATES[resource.status])
            )
        loaded = self.schema.load(data, draft=True)
        department, unit = self._resolve_department(loaded.get("department") or {"id": resource.department_id})
        perm.require(perm.can_create_resource(self.actor, department.id), message("catalog resources for this department"))
        self._apply(resource, loaded, department, unit)
        resource.updated_by_id = self.actor.user_id
        resource.updated_at = self.container.now()
        self._flush()
        self._record(resource, "update", comment)
        self.audit("resource.update", "resource", resource.id, {"version": resource.version})
        return resource

    def delete_draft(self, resource_id: int) -> None:
        """Delete a draft that was never submitted (its history goes with it; the audit log keeps the fact)."""
        resource = self.get(resource_id)
        perm.require(perm.can_delete_draft(self.actor, resource.department_id), message("delete this draft"))
        if resource.status != "draft" or resource.code:
            raise WorkflowError(message("Only a draft that was never registered can be deleted."))
        self.audit("resource.delete", "resource", resource.id, {"title": resource.title})
        self.session.delete(resource)
        self.session.flush()

    def transition(self, resource_id: int, action: str, *, comment: str | None = None,
                   expected_version: int | None = None) -> Resource:
        """Take a workflow action (submit, approve_department, return, register, request_publication,
        publish, withdraw, republish).

        :param comment: the reviewer's opinion; required to return or withdraw.
        :raises WorkflowError: when the action is not possible from the current state.
        :raises PermissionDeniedError: when the actor may not take it.
        :raises ValidationError: on submit, when the resource is not complete (every rule applies).
        """
        transition = workflow.TRANSITIONS.get(action)
        if transition is None:
            raise WorkflowError(message("Unknown workflow action {action}.", action=action))
        resource = self.get(resource_id, for_update=True)
        self._check_version(resource, expected_version)
        state = resource.status
        if state not in transition.sources:
            raise WorkflowError(
                message("“{action}” is not possible for a resource in the state “{state}”.",
                        action=transition.label, state=workflow.STATES[state])
            )
        perm.require(transition.permission(self.actor, resource.department_id, state),
                     message("take the action “{action}”", action=transition.label))
        comment = (comment or "").strip() or None
        if transition.needs_comment and not comment:
            raise ValidationError({"comment": [message("A reason is required for “{action}”.", action=transition.label)]})
        if action == "submit":
            self.schema.load(self.to_json(resource))
        target = workflow.target_state(
            action, state, has_code=resource.code is not None, department_review=self.container.settings.department_review
        )
        if action == "register":
            self._assign_code(resource)
        if action in ("publish", "republish"):
            resource.published_at = self.container.now()
            resource.published_on = resource.published_on or self.container.today()
        resource.status = target
        resource.updated_at = self.container.now()
        self._flush()
        self.session.add(WorkflowEvent(resource_id=resource.id, action=action, from_status=state, to_status=target,
                                       comment=comment, actor_id=self.actor.user_id, actor_name=self.actor.name,
                                       created_at=self.container.now()))
        self._record(resource, action, comment)
        self.audit(f"resource.{action}", "resource", resource.id, {"from": state, "to": target, "code": resource.code})
        return resource

    # -- changes to published resources (变更) ---------------------------------------------------

    def pending_change(self, resource_id: int) -> ResourceChange | None:
        """The change awaiting review for a published resource, if any."""
        return self.session.scalars(
            select(ResourceChange).where(ResourceChange.resource_id == resource_id, ResourceChange.status == "pending")
        ).first()

    def _propose_change(self, resource: Resource, data: Mapping[str, Any], comment: str | None) -> ResourceChange:
        loaded = self.schema.load(data)
        department, _unit = self._resolve_department(loaded.get("department") or {"id": resource.department_id})
        if department.id != resource.department_id:
            raise ValidationError({"department": [message("{label}: a published resource cannot move to another provider.",
                                                          label=self.container.profile.label("department"))]})
        self._classification(resource, loaded, department)  # refuse now what approval would refuse
        # The read-only keys are ignored anyway and may hold values JSON cannot store (a spreadsheet's
        # 发布日期 is a datetime); everything else passed the schema and is plain JSON.
        payload = {key: value for key, value in data.items() if key not in READ_ONLY_KEYS}
        change = self.pending_change(resource.id)
        if change is None:
            change = ResourceChange(resource_id=resource.id, status="pending", data=payload, base_version=resource.version,
                                    comment=comment, created_by_id=self.actor.user_id, created_at=self.container.now())
            self.session.add(change)
        else:
            change.data, change.comment, change.created_by_id = payload, comment, self.actor.user_id
        self._flush()
        self.session.add(WorkflowEvent(resource_id=resource.id, action="propose_change", from_status="published",
                                       to_status="published", comment=comment, actor_id=self.actor.user_id,
                                       actor_name=self.actor.name, created_at=self.container.now()))
        self.audit("resource.propose_change", "resource", resource.id, {"change": change.id})
        return change

    def decide_change(self, resource_id: int, *, approve: bool, comment: str | None = None) -> Resource:
        """Approve a pending change (it replaces the published version) or return it (it is discarded).

        :raises NotFoundError: when there is no pending change.
        :raises ValidationError: when returning without a reason.
        """
        resource = self.get(resource_id, for_update=True)
        perm.require(perm.can_review_change(self.actor, resource.department_id), message("review changes"))
        change = self.pending_change(resource.id)
        if change is None:
            raise NotFoundError(message("Resource {id} has no change awaiting review.", id=resource_id))
        comment = (comment or "").strip() or None
        if not approve and not comment:
            raise ValidationError({"comment": [message("A reason is required to return a change.")]})
        change.decided_by_id, change.decided_at = self.actor.user_id, self.container.now()
        if approve:
            loaded = self.schema.load(change.data)
            department, unit = self._resolve_department(loaded.get("department") or {"id": resource.department_id})
            self._apply(resource, loaded, department, unit)
            resource.updated_by_id, resource.updated_at = change.created_by_id, self.container.now()
            change.status = "approved"
        else:
            change.status = "returned"
            change.comment = comment
        self._flush()
        action = "approve_change" if approve else "return_change"
        # The change may be decided after the resource was withdrawn: record the state it really is in.
        self.session.add(WorkflowEvent(resource_id=resource.id, action=action, from_status=resource.status,
                                       to_status=resource.status, comment=comment, actor_id=self.actor.user_id,
                                       actor_name=self.actor.name, created_at=self.container.now()))
        if approve:
            self._record(resource, action, comment)
        self.audit(f"resource.{action}", "resource", resource.id, {"change": change.id})
        return resource

    # -- history -------------------------------------------------------------------------------

    def revisions(self, resource_id: int) -> list[Revision]:
        """Every revision of a resource, oldest first."""
        resource = self.get(resource_id)
        perm.require(perm.can_view_history(self.actor, resource.department_id), message("read this resource's history"))
        return list(self.session.scalars(select(Revision).where(Revision.resource_id == resource_id).order_by(Revision.number)))

    def workflow_events(self, resource_id: int) -> list[WorkflowEvent]:
        """Every workflow transition of a resource, oldest first."""
        resource = self.get(resource_id)
        perm.require(perm.can_view_history(self.actor, resource.department_id), message("read this resource's history"))
        return list(self.session.scalars(
            select(WorkflowEvent).where(WorkflowEvent.resource_id == resource_id).order_by(WorkflowEvent.id)
        ))

    def diff(self, resource_id: int, old_number: int, new_number: int) -> list[FieldChange]:
        """The field-level differences between two revisions of a resource.

        :raises NotFoundError: when a revision number does not exist.
        """
        by_number = {r.number: r for r in self.revisions(resource_id)}
        for number in (old_number, new_number):
            if number not in by_number:
                raise NotFoundError(message("Revision {number} of resource {id} was not found.", number=number, id=resource_id))
        return diff_snapshots(by_number[old_number].snapshot, by_number[new_number].snapshot, self.container.profile)

    # -- internals -----------------------------------------------------------------------------

    def _check_version(self, resource: Resource, expected_version: int | None) -> None:
        if expected_version is not None and int(expected_version) != resource.version:
            raise ConflictError(
                message("Somebody else changed this resource (now version {current}, you edited version {yours}); "
                        "nothing was saved. Reload it and apply your edits again.",
                        current=resource.version, yours=expected_version),
                current=resource.version,
            )

    def _flush(self) -> None:
        try:
            self.session.flush()
        except StaleDataError:
            raise ConflictError(message("Somebody else changed this record at the same time; nothing was saved.")) from None

    def _resolve_department(self, ref: Mapping[str, Any] | None) -> tuple[Department, str | None]:
        """Find the provider; an internal unit resolves to its department, named as the provider's unit."""
        label = self.container.profile.label("department")
        if not ref:
            raise ValidationError({"department": [message("{label}: this field is required.", label=label)]})
        (key, value), = ref.items()
        column = {"id": Department.id, "uscc": Department.uscc, "key": Department.key, "name": Department.name}[key]
        department = self.session.scalars(select(Department).where(column == value)).first()
        if department is None:
            raise ValidationError({"department": [message("{label}: no department {value}.", label=label, value=value)]})
        unit = None
        while department.kind == "internal_unit" and department.parent is not None:
            unit = unit or department.name
            department = department.parent
        return department, unit

    def _apply(self, resource: Resource, data: Mapping[str, Any], department: Department, unit: str | None) -> None:
        # Replacing the items loads the old ones first; an autoflush there would write half of the
        # edit and bump the version twice for one save.
        with self.session.no_autoflush:
            self._apply_fields(resource, data, department, unit)

    def _apply_fields(self, resource: Resource, data: Mapping[str, Any], department: Department,
                      unit: str | None) -> None:
        classification = self._classification(resource, data, department)  # may refuse: before any change
        resource.department_id, resource.department = department.id, department
        if classification:
            resource.classification_code = classification
        for key, column in _COLUMNS.items():
            if key in data:
                value = data[key]
                if key in ("keywords", "related_codes"):
                    value = list(value or [])
                elif key == "abstract":
                    value = value or ""
                setattr(resource, column, value)
        if unit and not data.get("provider_unit"):
            resource.provider_unit = unit
        if not resource.metadata_maintainer:
            # GB/T 21063.3 元数据维护方: the provider unless the cataloguer names another body.
            resource.metadata_maintainer = department.name
        for (group, key), column in _NESTED.items():
            if group in data:
                setattr(resource, column, (data[group] or {}).get(key))
        if "open" in data:
            opening = data["open"] or {}
            resource.open_is_open = opening.get("is_open")
            if resource.open_is_open and not resource.open_type:
                resource.open_type = "unconditional"
            if resource.open_is_open is False:
                resource.open_type = "not_open" if opening.get("type") in (None, "not_open") else opening.get("type")
        if "items" in data:
            resource.items = [
                ResourceItem(position=i, name=row.get("name"), data_type=row.get("data_type"), length=row.get("length"),
                             description=row.get("description"), share_type=row.get("share_type"),
                             share_condition=row.get("share_condition"), is_open=row.get("is_open"))
                for i, row in enumerate(data["items"] or [])
            ]
        if "distributions" in data:
            resource.distributions = [
                Distribution(position=i, kind=row.get("kind"), title=row.get("title"), url=row.get("url"),
                             service_type=row.get("service_type"), media_type=row.get("media_type"),
                             description=row.get("description"))
                for i, row in enumerate(data["distributions"] or [])
            ]
        extras = dict(resource.extras or {})
        for element in self.container.profile.extension_elements:
            if element.name in data:
                extras[element.name] = data[element.name]
        resource.extras = extras

    def _classification(self, resource: Resource, data: Mapping[str, Any], department: Department) -> str | None:
        """The full 分类码 the input asks for (类+项 gets the provider's 目), or ``None`` if not given.

        :raises ValidationError: when the provider has no 目 for a 类+项 input, or when a resource that
            already has its code would get another 分类码 (the code is never changed).
        """
        label = self.container.profile.label("classification_code")
        classification = data.get("classification_code")
        if not classification:
            return None
        if len(classification) == 3:
            if not department.catalog_segment:
                raise ValidationError({"classification_code": [message(
                    "{label}: the provider has no catalog segment (目); give the full code.", label=label)]})
            classification += department.catalog_segment
        if resource.code and classification != resource.classification_code:
            raise ValidationError({"classification_code": [message(
                "{label}: the resource is registered under {code}; its classification can no longer change.",
                label=label, code=resource.code)]})
        return classification

    def _assign_code(self, resource: Resource) -> None:
        if resource.code:
            return
        classification = resource.classification_code
        try:
            codes.parse_classification(classification)
        except codes.CodeError:
            raise ValidationError({"classification_code": [message(
                "{label}: {value} is incomplete; 类+项+目 are needed before registration.",
                label=self.container.profile.label("classification_code"), value=classification)]}) from None
        sequence = codes.next_sequence(self.session, classification)
        try:
            code = codes.format_code(classification, sequence, self.container.settings.code_sequence_width)
        except codes.CodeError:
            # Every 顺序码 of the configured width is taken: a 细目 (or a wider setting) is needed.
            raise ValidationError({"classification_code": [message(
                "{label}: every sequence number under {value} is taken; use a sub-category (细目).",
                label=self.container.profile.label("classification_code"), value=classification)]}) from None
        resource.sequence = sequence
        resource.code = code
        resource.registered_at = self.container.now()

    def _record(self, resource: Resource, action: str, comment: str | None) -> Revision:
        number = (self.session.scalar(select(func.max(Revision.number)).where(Revision.resource_id == resource.id)) or 0) + 1
        revision = Revision(resource_id=resource.id, number=number, snapshot=self.to_json(resource), action=action,
                            comment=comment, actor_id=self.actor.user_id, actor_name=self.actor.name,
                            created_at=self.container.now())
        self.session.add(revision)
        self.session.flush()
        return revision
