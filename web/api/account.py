"""The portal's API token page (account menu → API tokens): create one (shown once), list and revoke them."""

from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import login_required
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from catalog.db import utcnow
from catalog.errors import MuluError
from catalog.services.token import MAX_NAME, TokenService
from web import deps
from web.forms import EmptyForm

api_tokens = Blueprint("api_tokens", __name__)
LIFETIMES = [SelectChoice("30", _l("30 days")), SelectChoice("90", _l("90 days")), SelectChoice("365", _l("1 year")),
             SelectChoice("", _l("Never"))]


class TokenForm(FlaskForm):
    """Name a new token and choose how long it works."""

    name = StringField(_l("What is the token for?"), validators=[DataRequired(), Length(max=MAX_NAME)],
                       render_kw={"placeholder": _l("e.g. nightly harvest script"), "autocomplete": "off"})
    lifetime = SelectField(_l("Expires after"), choices=LIFETIMES, default="90")


def _service() -> TokenService:
    return TokenService(deps.container(), deps.session(), deps.actor())


def _page(form: TokenForm, created=None, plaintext: str | None = None, status: int = 200):
    response = render_template("accounts/tokens.html", form=form, tokens=_service().list(), created=created,
                               plaintext=plaintext, revoke_form=EmptyForm())
    return response, status, {"Cache-Control": "no-store"}


@api_tokens.get("/account/tokens")
@login_required
def index():
    return _page(TokenForm())


@api_tokens.post("/account/tokens")
@login_required
def create():
    form = TokenForm()
    if not form.validate_on_submit():
        return _page(form, status=400)
    expires_at = utcnow() + timedelta(days=int(form.lifetime.data)) if form.lifetime.data else None
    try:
        token, plaintext = _service().create(form.name.data, expires_at=expires_at)
    except MuluError as error:
        deps.session().rollback()
        locale = deps.locale()
        form.name.errors = [*form.name.errors, *(m.render(locale) for ms in error.fields.values() for m in ms)]
        return _page(form, status=400)
    deps.session().commit()
    # Shown in this answer only (never put in the session cookie or a flash message): no redirect.
    return _page(TokenForm(formdata=None), created=token, plaintext=plaintext, status=201)


@api_tokens.post("/account/tokens/<int(max=2147483647):token_id>/revoke")
@login_required
def revoke(token_id: int):
    if EmptyForm().validate_on_submit():
        token = _service().revoke(token_id)
        deps.session().commit()
        flash(_("The token “%(name)s” has been revoked.", name=token.name), "success")
    return redirect(url_for("api_tokens.index"))
