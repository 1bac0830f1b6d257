"""Telling a source's department when a harvest job ends badly (failed, timed out, errors): portal notifications.

The owning department's officers get one notification each (see
:meth:`catalog.services.notification.NotificationService.notify_department`), linking to the job.
A source that keeps failing refreshes its unread notification instead of adding one per run.
"""

from __future__ import annotations

import logging

from sqlalchemy.orm import Session

from catalog.actor import Actor
from catalog.i18n import Message, Text, message
from catalog.services.notification import NotificationService
from harvesters.models import JOB_STATE_LABELS, HarvestJob

log = logging.getLogger(__name__)
#: Job states that tell the department.
NOTIFY_STATES = frozenset({"failed", "timed_out", "done_with_errors"})
OBJECT_TYPE = "harvest_job"


def _subject(job: HarvestJob) -> Message:
    name = job.source.title or job.source.name
    if job.status == "failed":
        return message("The harvest of {source} failed.", source=name)
    if job.status == "timed_out":
        return message("The harvest of {source} timed out.", source=name)
    return message("The harvest of {source} ended with errors.", source=name)


def _body(job: HarvestJob) -> Message:
    counts = job.counts or {}
    failed = counts.get("error", 0) + counts.get("conflict", 0)
    state = JOB_STATE_LABELS.get(job.status, Text({"en": job.status}))
    if job.errors:
        first = job.errors[0].get("message") or {}
        problem = Text({"zh": first.get("zh_CN") or first.get("en") or "", "en": first.get("en") or ""})
        return message("Job {job} ended “{state}” after {total} records ({failed} with errors). First problem: {problem}",
                       job=job.id, state=state, total=job.total, failed=failed, problem=problem)
    return message("Job {job} ended “{state}” after {total} records: {failed} could not be harvested. The job's "
                   "page lists each one with the reason and a hint.", job=job.id, state=state, total=job.total,
                   failed=failed)


def notify_job(container, session: Session, job: HarvestJob) -> list:
    """Notify the source's department of a job that failed, timed out or ended with errors (nothing otherwise).

    Written in a SAVEPOINT of its own: a notification that cannot be written never costs the job its
    final state. The caller commits.

    :returns: the notifications written or refreshed.
    """
    if job.id is None or job.status not in NOTIFY_STATES:
        return []
    savepoint = session.begin_nested()
    try:
        service = NotificationService(container, session, Actor.system(client=f"harvest:{job.source.name}"))
        written = service.notify_department(job.source.department_id, f"harvest_{job.status}", _subject(job), _body(job),
                                            object_type=OBJECT_TYPE, object_id=job.id, key=f"harvest_source:{job.source_id}")
    except Exception:  # the job's outcome matters more than the notice about it
        savepoint.rollback()
        log.exception("cannot notify the department of harvest job %s", job.id)
        return []
    savepoint.commit()
    return written
