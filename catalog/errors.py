"""The domain's exceptions: one error shape for every client (CLI, web, API, harvesters)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from catalog.i18n import Message, message, render_all


class MuluError(Exception):
    """Base of every error the domain raises on purpose; ``code`` is stable for API clients."""

    code = "error"

    def __init__(self, msg: Message | str, *, fields: Mapping[str, list[Message]] | None = None):
        self.message = msg if isinstance(msg, Message) else Message(msg)
        self.fields: dict[str, list[Message]] = {k: list(v) for k, v in (fields or {}).items()}
        super().__init__(self.message.render("en"))

    def to_dict(self, locale: str | None = None) -> dict[str, Any]:
        """The one error shape: ``{"code", "message", "fields": {field: [messages]}}``."""
        return {
            "code": self.code,
            "message": self.message.render(locale),
            "fields": render_all(self.fields, locale),
        }

    def render(self, locale: str | None = None) -> str:
        """The message and each field error on its own line, for terminals and logs."""
        lines = [self.message.render(locale)]
        for name, messages in self.fields.items():
            lines.extend(f"  {name}: {m.render(locale)}" for m in messages)
        return "\n".join(lines)


class ValidationError(MuluError):
    """Input breaks a rule; ``fields`` maps a field path (``share.condition``, ``items.1.length``) to messages."""

    code = "validation_error"

    def __init__(self, fields: Mapping[str, list[Message]], msg: Message | None = None):
        super().__init__(msg or message("The input is not valid."), fields=fields)


class NotFoundError(MuluError):
    """The object asked for does not exist (or is not visible to the actor)."""

    code = "not_found"


class PermissionDeniedError(MuluError):
    """The actor may not take this action on this object."""

    code = "permission_denied"


class ConflictError(MuluError):
    """A stale write (optimistic locking) or a uniqueness clash; nothing was written."""

    code = "conflict"

    def __init__(self, msg: Message | str, *, current: Any = None, **kwargs):
        super().__init__(msg, **kwargs)
        self.current = current


class WorkflowError(MuluError):
    """The transition is not allowed from the resource's current state."""

    code = "workflow_error"
