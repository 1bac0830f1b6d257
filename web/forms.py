"""The portal's WTForms: sign-in, password change and workflow actions (CSRF comes with FlaskForm)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import HiddenField, PasswordField, StringField, TextAreaField
from wtforms.validators import DataRequired, EqualTo, Length, Optional

from catalog.services.user import MIN_PASSWORD_LENGTH


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=64)],
                           render_kw={"autocomplete": "username", "autofocus": True})
    password = PasswordField(_l("Password"), validators=[DataRequired()], render_kw={"autocomplete": "current-password"})
    next = HiddenField()


class PasswordForm(FlaskForm):
    current_password = PasswordField(_l("Current password"), validators=[DataRequired()],
                                     render_kw={"autocomplete": "current-password"})
    new_password = PasswordField(_l("New password"), validators=[DataRequired(), Length(min=MIN_PASSWORD_LENGTH)],
                                 render_kw={"autocomplete": "new-password"})
    confirm = PasswordField(_l("Repeat the new password"),
                            validators=[DataRequired(), EqualTo("new_password", message=_l("The two passwords differ."))],
                            render_kw={"autocomplete": "new-password"})


class ActionForm(FlaskForm):
    """One workflow action on one resource; the service decides whether the comment is required."""

    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=2000)])
    expected_version = HiddenField()


class EmptyForm(FlaskForm):
    """A form with nothing but the CSRF token (sign out)."""


class ResourceForm(FlaskForm):
    """The CSRF token and the version the edit started from; the fields come from the profile (resource_form.py)."""

    expected_version = HiddenField()


class ImportForm(FlaskForm):
    """Upload of the filled-in XLSX template."""

    file = FileField(_l("Filled-in template (.xlsx)"),
                     validators=[FileRequired(), FileAllowed(["xlsx"], _l("Only .xlsx files of the template."))])
