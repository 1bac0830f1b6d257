"""Accounts: sign in and out with Flask-Login, change one's password; the login manager's user loader."""

from __future__ import annotations

import hashlib
from urllib.parse import urlsplit

from flask import Blueprint, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, UserMixin, current_user, login_required, login_user, logout_user

from catalog.errors import MuluError
from catalog.models import User
from catalog.services.user import ROLE_LABELS
from web import deps
from web.forms import EmptyForm, LoginForm, PasswordForm
from web.i18n import SESSION_KEY as LANG_KEY

accounts = Blueprint("accounts", __name__)
login_manager = LoginManager()
login_manager.login_view = "accounts.login"
login_manager.login_message = _l("Please sign in to see this page.")
login_manager.login_message_category = "info"


class LoginUser(UserMixin):
    """The signed-in user as Flask-Login sees it; ``user`` is the row, loaded once per request."""

    def __init__(self, user: User):
        self.user = user

    def get_id(self) -> str:
        # The id carries a fingerprint of the password hash: changing the password ends every other session.
        return f"{self.user.id}.{_fingerprint(self.user)}"

    @property
    def is_active(self) -> bool:
        return bool(self.user.is_active)

    @property
    def name(self) -> str:
        return self.user.display_name or self.user.username

    @property
    def role(self) -> str:
        return self.user.role


def _fingerprint(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:12]


@login_manager.user_loader
def _load(user_id: str) -> LoginUser | None:
    number, _dot, fingerprint = user_id.partition(".")
    if not number.isdigit():
        return None
    user = deps.session().get(User, int(number))
    if user is None or not user.is_active or fingerprint != _fingerprint(user):
        return None
    return LoginUser(user)


def role_label(role: str | None, locale: str) -> str:
    label = ROLE_LABELS.get(role or "")
    return label.render(locale) if label is not None else (role or "")


def _restart_session() -> None:
    """Clear the session (no fixation across sign-in and sign-out) but keep the chosen language."""
    lang = session.get(LANG_KEY)
    session.clear()
    if lang:
        session[LANG_KEY] = lang


def _safe_next(target: str | None) -> str:
    """Only same-site paths: a crafted ``next=https://evil.example`` must not redirect off the portal."""
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("portal.index")


@accounts.route("/login", methods=["GET", "POST"])
def login():
    if current_user.is_authenticated:
        return redirect(url_for("portal.index"))
    form = LoginForm(next=request.args.get("next", ""))
    status = 400 if request.method == "POST" else 200
    if form.validate_on_submit():
        user = deps.users().authenticate(form.username.data.strip(), form.password.data)
        if user is None:
            # One message for both cases: which half was wrong is nobody's business.
            form.password.errors.append(_("The username or the password is wrong."))
        else:
            deps.session().commit()  # the last-login time (and a rehashed password)
            _restart_session()
            login_user(LoginUser(user))
            flash(_("Welcome, %(name)s.", name=user.display_name or user.username), "success")
            return redirect(_safe_next(form.next.data))
    return render_template("accounts/login.html", form=form), status


@accounts.post("/logout")
def logout():
    form = EmptyForm()
    if form.validate_on_submit():
        logout_user()
        _restart_session()
        flash(_("You have signed out."), "info")
    return redirect(url_for("portal.index"))


@accounts.route("/account/password", methods=["GET", "POST"])
@login_required
def password():
    form = PasswordForm()
    status = 200
    if form.validate_on_submit():
        try:
            deps.users().set_password(current_user.user.username, form.new_password.data,
                                      current_password=form.current_password.data)
        except MuluError as error:
            locale = deps.locale()
            for name, messages in error.fields.items():
                field = form.current_password if name == "current_password" else form.new_password
                field.errors.extend(m.render(locale) for m in messages)
            if not error.fields:
                flash(error.message.render(locale), "danger")
            deps.session().rollback()
            status = 400
        else:
            deps.session().commit()
            login_user(LoginUser(current_user.user))  # the session id carries the new fingerprint
            flash(_("Your password has been changed."), "success")
            return redirect(url_for("portal.index"))
    elif form.errors:
        status = 400
    return render_template("accounts/password.html", form=form), status
