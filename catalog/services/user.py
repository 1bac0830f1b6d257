"""UserService: accounts, roles, password hashing (Argon2) and turning a user into an Actor."""

from __future__ import annotations

import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select

from catalog import permissions as perm
from catalog.actor import Actor
from catalog.db import utcnow
from catalog.errors import ConflictError, NotFoundError, ValidationError
from catalog.i18n import Text, message
from catalog.models import Department, User
from catalog.models.user import ROLES
from catalog.services.base import Service
from catalog.services.department import subtree_ids

ROLE_LABELS = {
    "officer": Text({"zh": "编目员", "en": "Department officer"}),
    "reviewer": Text({"zh": "部门审核员", "en": "Department reviewer"}),
    "manager": Text({"zh": "目录管理员", "en": "Catalog manager"}),
    "auditor": Text({"zh": "规划审计员", "en": "Auditor"}),
    "admin": Text({"zh": "系统管理员", "en": "System administrator"}),
}
DEPARTMENT_ROLES = frozenset({"officer", "reviewer"})
MIN_PASSWORD_LENGTH = 8
# Matched with fullmatch: "$" would accept a trailing newline ("alice\n" as a second "alice").
_USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.@-]{1,63}")
_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    """Hash a password with Argon2id (argon2-cffi's default parameters)."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Check a password against its hash without raising."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


class UserService(Service):
    """Create and manage accounts; only system administrators may (``can_manage_users``)."""

    def create(self, username: str, password: str, role: str, *, department_id: int | None = None,
               display_name: str = "", email: str | None = None) -> User:
        """Create an account.

        :param role: one of officer, reviewer, manager, auditor, admin.
        :param department_id: required for officers and reviewers.
        :raises ValidationError: naming the field and rule.
        :raises ConflictError: when the username is taken.
        """
        perm.require(perm.can_manage_users(self.actor), message("manage users"))
        errors = self._check(username=username, password=password, role=role, department_id=department_id)
        if errors:
            raise ValidationError(errors)
        if self.session.scalars(select(User).where(User.username == username)).first():
            raise ConflictError(message("The username {username} is taken.", username=username))
        user = User(username=username, password_hash=hash_password(password), role=role, department_id=department_id,
                    display_name=display_name or username, email=email)
        self.session.add(user)
        self.session.flush()
        self.audit("user.create", "user", user.id, {"username": username, "role": role})
        return user

    def get(self, user_id: int) -> User:
        user = self.session.get(User, user_id)
        if user is None:
            raise NotFoundError(message("User {id} was not found.", id=user_id))
        return user

    def get_by_username(self, username: str) -> User:
        user = self.session.scalars(select(User).where(User.username == username)).first()
        if user is None:
            raise NotFoundError(message("No user is called {username}.", username=username))
        return user

    def list(self) -> list[User]:
        perm.require(perm.can_manage_users(self.actor) or self.actor.role == "auditor", message("list users"))
        return list(self.session.scalars(select(User).order_by(User.username)))

    def set_role(self, username: str, role: str, *, department_id: int | None = None) -> User:
        """Change a user's role (and department, for department roles)."""
        perm.require(perm.can_manage_users(self.actor), message("manage users"))
        user = self.get_by_username(username)
        department_id = department_id if department_id is not None else user.department_id
        errors = self._check(role=role, department_id=department_id)
        if errors:
            raise ValidationError(errors)
        user.role, user.department_id = role, department_id
        self.session.flush()
        self.audit("user.set_role", "user", user.id, {"role": role, "department_id": department_id})
        return user

    def set_password(self, username: str, password: str, *, current_password: str | None = None) -> User:
        """Set a password: administrators for anyone, users for themselves with their current password."""
        user = self.get_by_username(username)
        own = self.actor.user_id == user.id
        if not perm.can_manage_users(self.actor):
            perm.require(own, message("change this password"))
            if current_password is None or not verify_password(user.password_hash, current_password):
                raise ValidationError({"current_password": [message("The current password is wrong.")]})
        errors = self._check(password=password)
        if errors:
            raise ValidationError(errors)
        user.password_hash = hash_password(password)
        self.session.flush()
        self.audit("user.set_password", "user", user.id)
        return user

    def authenticate(self, username: str, password: str) -> User | None:
        """Check a username and password; returns the active user or ``None`` (no hint which was wrong)."""
        user = self.session.scalars(select(User).where(User.username == username)).first()
        if user is None:
            _hasher.hash(password)  # spend the same time as a real check, so usernames cannot be probed
            return None
        if not user.is_active or not verify_password(user.password_hash, password):
            return None
        if _hasher.check_needs_rehash(user.password_hash):
            user.password_hash = hash_password(password)
        user.last_login_at = utcnow()
        self.session.flush()
        return user

    def _check(self, *, username=None, password=None, role=None, department_id=None) -> dict:
        errors: dict = {}
        if username is not None and not (isinstance(username, str) and _USERNAME.fullmatch(username)):
            errors["username"] = [message("Username: 2–64 letters, digits or _ . @ -, starting with a letter or digit.")]
        if password is not None and len(password) < MIN_PASSWORD_LENGTH:
            errors["password"] = [message("Password: at least {min} characters.", min=MIN_PASSWORD_LENGTH)]
        if role is not None and role not in ROLES:
            errors["role"] = [message("Role: must be one of {roles}.", roles=", ".join(ROLES))]
        if role in DEPARTMENT_ROLES and department_id is None:
            errors["department"] = [message("Department: required for department officers and reviewers.")]
        if department_id is not None and self.session.get(Department, department_id) is None:
            errors["department"] = [message("Department: no department {id}.", id=department_id)]
        return errors


def actor_for(session, user: User, client: str = "") -> Actor:
    """The Actor of a signed-in user: role, department and the department's internal units."""
    return Actor(
        user_id=user.id,
        name=user.username,
        role=user.role,
        department_id=user.department_id,
        department_ids=subtree_ids(session, user.department_id),
        client=client,
    )
