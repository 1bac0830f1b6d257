"""Plain-text reports of harvest jobs and records, for the command line and logs."""

from __future__ import annotations

from collections.abc import Iterable

from harvesters.models import HarvestJob, HarvestRecord, aware
from harvesters.records import Outcome

STATUS_LABELS = {
    "running": "运行中 running", "done": "完成 done", "done_with_errors": "完成但有错误 done with errors",
    "failed": "失败 failed", "timed_out": "超时 timed out",
}


def _pick(texts: dict | None, locale: str) -> str:
    texts = texts or {}
    return texts.get(locale) or texts.get("en") or ""


def job_lines(job: HarvestJob, locale: str = "zh_CN") -> list[str]:
    """The state, counts and job-level errors of a job, one fact per line."""
    started = aware(job.started_at)
    head = f"job {job.id or '(dry run)'}: {STATUS_LABELS.get(job.status, job.status)}"
    if started is not None:
        head += f", started {started.isoformat(timespec='seconds')}"
    if job.since is not None:
        head += f", changes since {aware(job.since).isoformat(timespec='seconds')}"
    counts = ", ".join(f"{status} {count}" for status, count in sorted((job.counts or {}).items()))
    lines = [head, f"  {job.total} records: {counts or 'none'}"]
    for error in job.errors or []:
        lines.append(f"  ! {_pick(error.get('message'), locale)}")
        if error.get("hint"):
            lines.append(f"    → {_pick(error['hint'], locale)}")
    return lines


def outcome_lines(outcomes: Iterable[Outcome], locale: str = "zh_CN", limit: int = 50) -> list[str]:
    """One line per notable record (URL, what happened, why) and its hint and field messages."""
    lines = []
    for index, outcome in enumerate(outcomes):
        if index >= limit:
            lines.append("  …")
            break
        where = outcome.url or outcome.remote_id
        text = outcome.message.render(locale) if outcome.message else ""
        target = f" → resource {outcome.resource_id}" if outcome.resource_id else ""
        lines.append(f"  [{outcome.status}] {where}{target} {text}".rstrip())
        for path, messages in outcome.fields.items():
            lines.extend(f"      {path}: {m.render(locale)}" for m in messages)
        if outcome.hint and outcome.status in ("error", "conflict"):
            lines.append(f"      → {outcome.hint.render(locale)}")
    return lines


def record_lines(records: Iterable[HarvestRecord], locale: str = "zh_CN") -> list[str]:
    """The stored per-record report of a job."""
    lines = []
    for record in records:
        target = f" → resource {record.resource_id}" if record.resource_id else ""
        lines.append(f"  [{record.status}] {record.url or record.remote_id}{target} {_pick(record.message, locale)}".rstrip())
        for path, texts in (record.fields or {}).items():
            lines.extend(f"      {path}: {text}" for text in (texts.get(locale) or texts.get("en") or []))
        if record.hint:
            lines.append(f"      → {_pick(record.hint, locale)}")
    return lines
