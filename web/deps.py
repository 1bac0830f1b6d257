"""How views reach the domain: the container, a request-scoped session, and the current actor."""

from __future__ import annotations

from flask import current_app, g
from sqlalchemy.orm import Session

from catalog.actor import Actor
from catalog.container import Container


def container() -> Container:
    return current_app.extensions["mulu"]


def session() -> Session:
    """The request's session, closed when the request ends (views commit once, at the end)."""
    if "db_session" not in g:
        g.db_session = container().session_factory()
    return g.db_session


def close_session(_exc=None) -> None:
    db_session = g.pop("db_session", None)
    if db_session is not None:
        db_session.close()


def actor() -> Actor:
    """The current actor; anonymous until sign-in lands with the portal (issue #4)."""
    from flask import request

    return Actor.anonymous(client=f"web {request.remote_addr or ''}".strip())


def locale() -> str:
    return g.get("locale", container().settings.default_locale)
