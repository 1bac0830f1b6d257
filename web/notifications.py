"""The signed-in user's notifications (通知): the list, opening one (marks it read), marking all read, the menu badge."""

from __future__ import annotations

import math
from collections.abc import Callable

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.exc import SQLAlchemyError

from catalog.services.notification import NotificationService, render
from web import deps
from web.forms import EmptyForm

notifications = Blueprint("notifications", __name__)
PER_PAGE = 30
#: Where a notification about an object leads: object_type → address of the object.
TARGETS: dict[str, Callable[[int], str]] = {
    "harvest_job": lambda object_id: url_for("harvest.job", job_id=object_id),
}


def _service() -> NotificationService:
    return NotificationService(deps.container(), deps.session(), deps.actor())


def target_url(notification) -> str | None:
    """The page a notification is about, if it names one."""
    link = TARGETS.get(notification.object_type or "")
    return link(notification.object_id) if link and notification.object_id is not None else None


@notifications.app_context_processor
def _badge():
    # One COUNT per page for signed-in users: the number beside the bell in the menu.
    if not current_user.is_authenticated:
        return {"unread_notifications": 0}
    try:
        return {"unread_notifications": _service().count(unread=True)}
    except SQLAlchemyError:  # an error page after a failed transaction must still render
        return {"unread_notifications": 0}


@notifications.get("/notifications")
@login_required
def index():
    service = _service()
    unread_only = request.args.get("unread") == "1"
    value = request.args.get("page", "1")
    page = max(1, min(int(value), 100000)) if value.isdigit() else 1
    total = service.count(unread=unread_only)
    found = service.list(unread=unread_only, limit=PER_PAGE, offset=(page - 1) * PER_PAGE)
    locale = deps.locale()
    items = [(n, render(n, locale), target_url(n)) for n in found]
    return render_template("notifications.html", items=items, page=page, pages=max(1, math.ceil(total / PER_PAGE)),
                           unread_only=unread_only, form=EmptyForm(formdata=None),
                           page_url=lambda n: url_for("notifications.index", page=n, unread="1" if unread_only else None))


@notifications.post("/notifications/<int(max=2147483647):notification_id>/read")
@login_required
def read(notification_id: int):
    """Mark one read; with ``open``, go on to what it is about."""
    if not EmptyForm().validate():
        abort(400)
    found = _service().mark_read(notification_id)
    target = target_url(found)
    deps.session().commit()
    if request.form.get("open") and target:
        return redirect(target)
    return redirect(url_for("notifications.index"))


@notifications.post("/notifications/read-all")
@login_required
def read_all():
    if not EmptyForm().validate():
        abort(400)
    marked = _service().mark_all_read()
    deps.session().commit()
    flash(_("%(count)s notifications marked as read.", count=marked), "success")
    return redirect(url_for("notifications.index"))
