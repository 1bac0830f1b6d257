"""HarvestSourceService: create, change, list and show harvest sources and their jobs, with permission checks.

Who may do what (``can_manage_harvest_source`` and ``can_view_harvest_source`` in
:mod:`catalog.permissions`): catalog managers and admins manage every source; an officer (编目员)
manages the sources of their own department; the department's reviewers and the auditors may read them too.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from marshmallow import ValidationError as MarshmallowError
from sqlalchemy import func, select

from catalog import permissions as perm
from catalog.errors import NotFoundError, ValidationError
from catalog.i18n import message
from catalog.models import Department
from catalog.services.base import Service
from catalog.services.resource import resource_schema
from harvesters import registry
from harvesters.models import SCHEDULES, HarvestJob, HarvestRecord, HarvestSource

_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{1,63}$")
_EDITABLE = ("title", "url", "schedule", "config", "defaults", "trusted", "active", "withdraw_after_days", "timeout_minutes")


# The rules live with the others in catalog.permissions (tested there as part of the full matrix).
can_manage_source = perm.can_manage_harvest_source
can_view_source = perm.can_view_harvest_source


def _invalid(field: str, text: str) -> ValidationError:
    return ValidationError({field: [message("{label}: {problem}", label=field, problem=text)]})


class HarvestSourceService(Service):
    """Every write to a harvest source goes through here; the service flushes and the caller commits."""

    def create(self, data: Mapping[str, Any]) -> HarvestSource:
        """Register a harvest source for a department.

        :param data: ``name``, ``type``, ``url``, ``department`` (id, key, USCC or name) and optionally
            ``title``, ``schedule``, ``config``, ``defaults`` (must include ``classification_code``: a
            harvested draft needs one), ``trusted``, ``withdraw_after_days``, ``timeout_minutes``.
        :raises ValidationError: naming every bad field.
        :raises PermissionDeniedError: when the actor may not manage sources of that department.
        """
        name = str(data.get("name") or "").strip().lower()
        if not _NAME.match(name):
            raise _invalid("name", "2–64 lower-case letters, digits, - or _")
        if self.session.scalars(select(HarvestSource).where(HarvestSource.name == name)).first():
            raise _invalid("name", f"a source named {name} exists already")
        department = self._department(data.get("department"))
        perm.require(can_manage_source(self.actor, department.id), message("manage harvest sources of this department"))
        source = HarvestSource(name=name, type=str(data.get("type") or ""), department_id=department.id,
                               department=department, created_by_id=self.actor.user_id, title="", url="", config={},
                               defaults={}, schedule="manual", trusted=False, active=True,
                               withdraw_after_days=self.container.settings.harvest_withdraw_after_days,
                               timeout_minutes=120)
        self._apply(source, {**{k: data[k] for k in _EDITABLE if k in data}, "type": source.type})
        self.session.add(source)
        self.session.flush()
        self.audit("harvest_source.create", "harvest_source", source.id, {"name": name, "type": source.type})
        return source

    def update(self, ref: int | str, data: Mapping[str, Any]) -> HarvestSource:
        """Change a source's settings (not its name, type or department).

        :raises ValidationError: naming every bad field.
        """
        source = self.get(ref)
        perm.require(can_manage_source(self.actor, source.department_id), message("manage harvest sources of this department"))
        self._apply(source, {**{k: data[k] for k in _EDITABLE if k in data}, "type": source.type})
        self.session.flush()
        self.audit("harvest_source.update", "harvest_source", source.id, {"fields": sorted(k for k in data if k in _EDITABLE)})
        return source

    def get(self, ref: int | str) -> HarvestSource:
        """A source by id or name that the actor may read.

        :raises NotFoundError: when there is none (or the actor may not read it).
        """
        text = str(ref).strip()
        # Ids are 32-bit: a longer number (or a non-ASCII digit) is a name, and no name is all digits.
        by_id = isinstance(ref, int) or (text.isascii() and text.isdigit() and int(text) < 2**31)
        if isinstance(ref, int) and not 0 <= ref < 2**31:
            source = None
        elif by_id:
            source = self.session.get(HarvestSource, int(text))
        else:
            source = self.session.scalars(select(HarvestSource).where(HarvestSource.name == text.lower()[:64])).first()
        if source is None or not can_view_source(self.actor, source.department_id):
            raise NotFoundError(message("Harvest source {source} was not found.", source=ref))
        return source

    def list(self) -> list[HarvestSource]:
        """The sources the actor may read, by name."""
        sources = self.session.scalars(select(HarvestSource).order_by(HarvestSource.name)).all()
        return [s for s in sources if can_view_source(self.actor, s.department_id)]

    def jobs(self, ref: int | str | None = None, *, limit: int = 20, offset: int = 0) -> list[HarvestJob]:
        """The latest jobs of one source, or of every source the actor may read, newest first."""
        query = select(HarvestJob).order_by(HarvestJob.started_at.desc(), HarvestJob.id.desc())
        if ref is not None:
            query = query.where(HarvestJob.source_id == self.get(ref).id)
            return list(self.session.scalars(query.limit(limit).offset(offset)))
        ids = [s.id for s in self.list()]
        return list(self.session.scalars(query.where(HarvestJob.source_id.in_(ids)).limit(limit).offset(offset)))

    def count_jobs(self, ref: int | str) -> int:
        """How many jobs a source has had."""
        source = self.get(ref)
        return self.session.scalar(select(func.count()).select_from(HarvestJob).where(HarvestJob.source_id == source.id))

    def latest_jobs(self, sources: list[HarvestSource]) -> dict[int, HarvestJob]:
        """The newest job of each of these sources (ids grow with time), by source id; one query."""
        newest = (select(func.max(HarvestJob.id)).where(HarvestJob.source_id.in_([s.id for s in sources]))
                  .group_by(HarvestJob.source_id))
        return {job.source_id: job for job in self.session.scalars(select(HarvestJob).where(HarvestJob.id.in_(newest)))}

    def job(self, job_id: int) -> HarvestJob:
        """A job the actor may read.

        :raises NotFoundError: when there is none (or the actor may not read its source).
        """
        job = self.session.get(HarvestJob, job_id) if 0 <= job_id < 2**31 else None
        if job is None or not can_view_source(self.actor, job.source.department_id):
            raise NotFoundError(message("Harvest job {id} was not found.", id=job_id))
        return job

    def records(self, job_id: int, *, status: str | None = None, limit: int | None = None,
                offset: int = 0) -> list[HarvestRecord]:
        """The per-record report of a job (what was not unchanged), in the order it was written."""
        self.job(job_id)
        query = select(HarvestRecord).where(HarvestRecord.job_id == job_id).order_by(HarvestRecord.id)
        if status:
            query = query.where(HarvestRecord.status == status)
        return list(self.session.scalars(query.limit(limit).offset(offset)))

    def record_counts(self, job_id: int) -> dict[str, int]:
        """How many report rows a job has, by status."""
        self.job(job_id)
        rows = self.session.execute(select(HarvestRecord.status, func.count()).where(HarvestRecord.job_id == job_id)
                                    .group_by(HarvestRecord.status))
        return {status: count for status, count in rows}

    def to_json(self, source: HarvestSource) -> dict[str, Any]:
        """A source as JSON; credentials appear only as the ``env:NAME`` reference they are."""
        return {"id": source.id, "name": source.name, "title": source.title, "type": source.type, "url": source.url,
                "department": {"id": source.department_id, "key": source.department.key, "name": source.department.name},
                "schedule": source.schedule, "config": dict(source.config or {}), "defaults": dict(source.defaults or {}),
                "trusted": source.trusted, "active": source.active, "withdraw_after_days": source.withdraw_after_days,
                "timeout_minutes": source.timeout_minutes}

    # -- internals -----------------------------------------------------------------------------

    def _department(self, ref: Any) -> Department:
        if isinstance(ref, Department):
            return ref
        text = str(ref or "").strip()
        conditions = [Department.id == int(text)] if text.isdigit() and len(text) < 18 else [Department.key == text]
        conditions += [Department.uscc == text.upper(), Department.name == text]
        for condition in conditions:
            department = self.session.scalars(select(Department).where(condition)).first()
            if department is not None:
                return department
        raise _invalid("department", f"no department {text or '(none)'}")

    def _apply(self, source: HarvestSource, data: Mapping[str, Any]) -> None:
        errors: dict[str, list] = {}
        try:
            harvester = registry.get(data["type"])
        except LookupError as exc:
            raise _invalid("type", str(exc)) from None
        if "url" in data:
            url = str(data["url"] or "").strip()
            if not re.match(r"^https?://\S+$", url):
                errors["url"] = [message("{label}: {problem}", label="url", problem="an http or https address")]
            source.url = url[:2000]
        elif not source.url:
            errors["url"] = [message("{label}: {problem}", label="url", problem="required")]
        if "config" in data or not source.config:
            try:
                harvester.load_config(data.get("config", source.config))
                source.config = dict(data.get("config") or source.config or {})
            except MarshmallowError as exc:
                errors.update({f"config.{k}": [message("{label}: {problem}", label=f"config.{k}", problem=str(v))]
                               for k, v in exc.messages.items()})
        if "defaults" in data or not source.defaults:
            defaults = dict(data.get("defaults") or source.defaults or {})
            errors.update(self._check_defaults(defaults, source.department_id))
            source.defaults = defaults
        if "schedule" in data:
            if data["schedule"] not in SCHEDULES:
                errors["schedule"] = [message("{label}: {problem}", label="schedule", problem=", ".join(SCHEDULES))]
            source.schedule = data["schedule"]
        for key in ("withdraw_after_days", "timeout_minutes"):
            if key in data:
                value = data[key]
                if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 3650:
                    errors[key] = [message("{label}: {problem}", label=key, problem="a whole number from 0 to 3650")]
                else:
                    setattr(source, key, value)
        for key in ("trusted", "active"):
            if key in data:
                setattr(source, key, bool(data[key]))
        if "title" in data:
            source.title = str(data["title"] or "")[:200]
        if errors:
            raise ValidationError(errors)

    def _check_defaults(self, defaults: dict, department_id: int) -> dict:
        """Defaults are partial resource input: they must load as a draft of the source's department."""
        if not defaults.get("classification_code"):
            return {"defaults.classification_code": [message(
                "{label}: {problem}", label="defaults.classification_code",
                problem="required: every harvested draft needs a classification (e.g. 307)")]}
        schema = resource_schema(self.container)
        try:
            schema.load({**defaults, "title": "-", "department": {"id": department_id}}, draft=True)
        except ValidationError as exc:
            return {f"defaults.{path}": messages for path, messages in exc.fields.items()}
        return {}
