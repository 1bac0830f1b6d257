"""TokenService: create, list, revoke and check API tokens; the plaintext is returned once and stored hashed.

A token reads ``mulu_<prefix>_<secret>``: the prefix (8 hex digits) is public and finds the row, the
secret (256 random bits) is never stored — only the SHA-256 of the whole token is. High-entropy
secrets need no slow password hash: a SHA-256 preimage of 256 random bits is out of reach.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from catalog import permissions as perm
from catalog.db import utcnow
from catalog.errors import MuluError, NotFoundError, ValidationError
from catalog.i18n import message
from catalog.models import ApiToken, User
from catalog.services.base import Service

SCHEME = "mulu"
MAX_NAME = 100
MAX_LIFETIME = timedelta(days=3650)
# last_used_at is only written when it is older than this: no write on every request of a busy client.
LAST_USED_RESOLUTION = timedelta(minutes=1)


class TokenError(MuluError):
    """A presented token is malformed, unknown, expired or revoked, or its user is disabled."""

    code = "invalid_token"

    def __init__(self, msg, code: str = "invalid_token"):
        super().__init__(msg)
        self.code = code


def hash_token(plaintext: str) -> str:
    """The SHA-256 hex digest stored for a token."""
    return hashlib.sha256(plaintext.encode("utf-8")).hexdigest()


def split_token(plaintext: str) -> str | None:
    """The public prefix of a well-formed token, or ``None``."""
    scheme, _sep, rest = (plaintext or "").partition("_")
    prefix, _sep, secret = rest.partition("_")
    if scheme != SCHEME or len(prefix) != 8 or len(secret) < 20:
        return None
    if not all(c in "0123456789abcdef" for c in prefix):
        return None
    return prefix


def _aware(moment: datetime | None) -> datetime | None:
    if moment is not None and moment.tzinfo is None:
        return moment.replace(tzinfo=UTC)
    return moment


class TokenService(Service):
    """API tokens of users: people manage their own, administrators anyone's (``can_manage_users``)."""

    def create(self, name: str, *, user_id: int | None = None, expires_at: datetime | None = None
               ) -> tuple[ApiToken, str]:
        """Create a token.

        :param name: what the token is for (``harvest script``), 1–100 characters.
        :param user_id: the owner; the actor when omitted.
        :param expires_at: when it stops working (timezone-aware; naive values are taken as UTC); never when omitted.
        :returns: the flushed token and its plaintext, which is not kept anywhere: show it now.
        :raises ValidationError: on a bad name or an expiry in the past or more than ten years ahead.
        :raises PermissionDeniedError: when creating a token for somebody else without being an administrator.
        """
        user = self._owner(user_id)
        errors = {}
        name = (name or "").strip() if isinstance(name, str) else ""
        if not name or len(name) > MAX_NAME:
            errors["name"] = [message("Name: 1 to {max} characters.", max=MAX_NAME)]
        expires_at = _aware(expires_at)
        now = utcnow()
        if expires_at is not None and not now < expires_at <= now + MAX_LIFETIME:
            errors["expires_at"] = [message("Expiry: must lie in the future, at most ten years ahead.")]
        if errors:
            raise ValidationError(errors)
        prefix = self._free_prefix()
        plaintext = f"{SCHEME}_{prefix}_{secrets.token_urlsafe(32)}"
        token = ApiToken(user_id=user.id, user=user, name=name, prefix=prefix, token_hash=hash_token(plaintext),
                         created_at=now, expires_at=expires_at)
        self.session.add(token)
        self.session.flush()
        self.audit("token.create", "api_token", token.id,
                   {"user": user.username, "name": name, "prefix": prefix,
                    "expires_at": expires_at.isoformat() if expires_at else None})
        return token, plaintext

    def list(self, user_id: int | None = None) -> list[ApiToken]:
        """A user's tokens (the actor's when omitted), newest first, revoked and expired ones included."""
        user = self._owner(user_id)
        return list(self.session.scalars(
            select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        ))

    def get(self, token_id: int) -> ApiToken:
        """A token the actor may manage.

        :raises NotFoundError: when it does not exist or belongs to somebody else (for non-administrators).
        """
        token = self.session.get(ApiToken, token_id)
        if token is None or not (token.user_id == self.actor.user_id or perm.can_manage_users(self.actor)):
            raise NotFoundError(message("API token {id} was not found.", id=token_id))
        return token

    def revoke(self, token_id: int) -> ApiToken:
        """Revoke a token; it stops working at once. Revoking a revoked token changes nothing.

        :raises NotFoundError: when the actor has no such token.
        """
        token = self.get(token_id)
        if token.revoked_at is None:
            token.revoked_at = utcnow()
            self.session.flush()
            self.audit("token.revoke", "api_token", token.id, {"user_id": token.user_id, "prefix": token.prefix})
        return token

    def authenticate(self, plaintext: str) -> ApiToken:
        """Check a presented token and record its use (at most once per :data:`LAST_USED_RESOLUTION`).

        :returns: the token, with its active ``user`` loaded.
        :raises TokenError: ``invalid_token`` (malformed or unknown), ``token_expired``, ``token_revoked``
            or ``user_inactive``; the token's existence is only revealed to whoever holds its secret.
        """
        prefix = split_token(plaintext)
        token = self.session.scalars(select(ApiToken).where(ApiToken.prefix == prefix)).first() if prefix else None
        if token is None or not hmac.compare_digest(token.token_hash, hash_token(plaintext)):
            raise TokenError(message("The API token is not valid."))
        state = token.state()
        if state == "revoked":
            raise TokenError(message("The API token has been revoked."), "token_revoked")
        if state == "expired":
            raise TokenError(message("The API token has expired."), "token_expired")
        if not token.user.is_active:
            raise TokenError(message("The account of this API token is disabled."), "user_inactive")
        now = utcnow()
        last = _aware(token.last_used_at)
        if last is None or now - last >= LAST_USED_RESOLUTION:
            token.last_used_at = now
            self.session.flush()
        return token

    def _owner(self, user_id: int | None) -> User:
        if user_id is None or user_id == self.actor.user_id:
            user = self.session.get(User, self.actor.user_id) if self.actor.user_id is not None else None
            perm.require(user is not None, message("manage API tokens"))
            return user
        perm.require(perm.can_manage_users(self.actor), message("manage API tokens of other users"))
        user = self.session.get(User, user_id)
        if user is None:
            raise NotFoundError(message("User {id} was not found.", id=user_id))
        return user

    def _free_prefix(self) -> str:
        while True:  # 4 billion prefixes: a clash is rare, and the unique index catches a race
            prefix = secrets.token_hex(4)
            if self.session.scalars(select(ApiToken.id).where(ApiToken.prefix == prefix)).first() is None:
                return prefix
