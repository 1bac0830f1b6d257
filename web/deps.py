"""How views reach the domain: the container, a request-scoped session, the current actor and services."""

from __future__ import annotations

from flask import current_app, g, request
from flask_login import current_user
from sqlalchemy.orm import Session

from catalog.actor import Actor
from catalog.container import Container
from catalog.search import SearchBackend, get_backend
from catalog.services.department import DepartmentService
from catalog.services.resource import ResourceService
from catalog.services.user import UserService, actor_for
from web.i18n import current_locale


def container() -> Container:
    return current_app.extensions["mulu"]


def session() -> Session:
    """The request's session; the view commits once at the end, the teardown closes it."""
    if "db_session" not in g:
        g.db_session = container().session_factory()
    return g.db_session


def close_session(_exc=None) -> None:
    db_session = g.pop("db_session", None)
    if db_session is not None:
        db_session.close()


def client() -> str:
    """What the audit log records as the client: ``web`` and the remote address."""
    return f"web {request.remote_addr or ''}".strip()


def actor() -> Actor:
    """The signed-in user as an Actor (role, department and its units), or an anonymous one; once per request."""
    if "actor" not in g:
        user = getattr(current_user, "user", None)
        g.actor = actor_for(session(), user, client()) if user is not None else Actor.anonymous(client())
    return g.actor


def locale() -> str:
    return current_locale()


def resources() -> ResourceService:
    return ResourceService(container(), session(), actor())


def departments() -> DepartmentService:
    return DepartmentService(container(), session(), actor())


def users() -> UserService:
    return UserService(container(), session(), actor())


def search_backend() -> SearchBackend:
    return get_backend(container())
