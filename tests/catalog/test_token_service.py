"""TokenService: tokens shown once and stored hashed, expiry, revocation, last use, and who may manage whose."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from argon2 import PasswordHasher
from sqlalchemy import select

from catalog.actor import Actor
from catalog.errors import NotFoundError, PermissionDeniedError, ValidationError
from catalog.models import ApiToken, AuditEvent
from catalog.services import token as token_module
from catalog.services.token import TokenError, TokenService, hash_token, split_token
from tests.catalog.factories import make_actor, make_department, make_user


@pytest.fixture(autouse=True)
def _cheap_hashes(monkeypatch):
    monkeypatch.setattr("catalog.services.user._hasher", PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1))


@pytest.fixture
def people(container, session):
    mzj = make_department(session, "tok-mzj", "淮南市民政局", segment="715")
    return {
        "officer": make_user(container, session, "tok.officer", "officer", department=mzj),
        "other": make_user(container, session, "tok.other", "officer", department=mzj),
        "admin": make_user(container, session, "tok.admin", "admin"),
    }


def service(container, session, user=None) -> TokenService:
    return TokenService(container, session, make_actor(session, user) if user else Actor.system("test"))


def test_create_returns_the_plaintext_once_and_stores_only_its_hash(container, session, people):
    tokens = service(container, session, people["officer"])
    token, plaintext = tokens.create("harvest script")
    assert plaintext.startswith(f"mulu_{token.prefix}_") and len(plaintext) > 50
    assert split_token(plaintext) == token.prefix
    stored = session.execute(select(ApiToken.__table__)).mappings().all()
    assert all(plaintext not in str(value) for row in stored for value in row.values())
    assert token.token_hash == hash_token(plaintext) and len(token.token_hash) == 64
    assert token.user_id == people["officer"].id and token.state() == "active"
    assert token.last_used_at is None and token.revoked_at is None and token.expires_at is None
    event = session.scalars(select(AuditEvent).where(AuditEvent.action == "token.create")).all()[-1]
    assert event.object_id == str(token.id) and plaintext not in str(event.detail)


def test_authenticate_finds_the_user_and_records_the_last_use_at_most_once_a_minute(container, session, people):
    token, plaintext = service(container, session, people["officer"]).create("ci")
    checker = TokenService(container, session, Actor.anonymous("test"))
    assert checker.authenticate(plaintext).user.username == "tok.officer"
    first = token.last_used_at
    assert first is not None
    checker.authenticate(plaintext)
    assert token.last_used_at == first  # within the minute: no write
    token.last_used_at = first - timedelta(minutes=2)
    checker.authenticate(plaintext)
    assert token.last_used_at > first - timedelta(minutes=2)


@pytest.mark.parametrize("presented", ["", "nonsense", "mulu_12345678_" + "x" * 43, "Bearer mulu", "mulu__abc",
                                       "mulu_zzzzzzzz_" + "y" * 43])
def test_unknown_and_malformed_tokens_are_refused(container, session, people, presented):
    service(container, session, people["officer"]).create("ci")
    with pytest.raises(TokenError) as caught:
        TokenService(container, session, Actor.anonymous()).authenticate(presented)
    assert caught.value.code == "invalid_token"


def test_a_wrong_secret_with_a_real_prefix_is_refused(container, session, people):
    token, plaintext = service(container, session, people["officer"]).create("ci")
    forged = f"mulu_{token.prefix}_" + "A" * 43
    with pytest.raises(TokenError) as caught:
        TokenService(container, session, Actor.anonymous()).authenticate(forged)
    assert caught.value.code == "invalid_token"


def test_expired_revoked_and_disabled_tokens_are_refused(container, session, people):
    officer = service(container, session, people["officer"])
    expiring, expiring_text = officer.create("soon", expires_at=datetime.now(UTC) + timedelta(days=1))
    revoked, revoked_text = officer.create("old")
    checker = TokenService(container, session, Actor.anonymous())

    expiring.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    with pytest.raises(TokenError) as caught:
        checker.authenticate(expiring_text)
    assert caught.value.code == "token_expired" and expiring.state() == "expired"
    assert "过期" in caught.value.message.render("zh_CN")

    assert officer.revoke(revoked.id).state() == "revoked"
    with pytest.raises(TokenError) as caught:
        checker.authenticate(revoked_text)
    assert caught.value.code == "token_revoked"

    people["officer"].is_active = False
    _active, active_text = TokenService(container, session, Actor.system()).create("x", user_id=people["officer"].id)
    with pytest.raises(TokenError) as caught:
        checker.authenticate(active_text)
    assert caught.value.code == "user_inactive"


def test_revoking_twice_changes_nothing_and_is_audited_once(container, session, people):
    officer = service(container, session, people["officer"])
    token, _ = officer.create("ci")
    first = officer.revoke(token.id).revoked_at
    assert officer.revoke(token.id).revoked_at == first
    events = session.scalars(select(AuditEvent).where(AuditEvent.action == "token.revoke",
                                                      AuditEvent.object_id == str(token.id))).all()
    assert len(events) == 1


def test_people_see_and_revoke_only_their_own_tokens(container, session, people):
    mine, _ = service(container, session, people["officer"]).create("mine")
    theirs = service(container, session, people["other"])
    assert [t.name for t in theirs.list()] == []
    with pytest.raises(NotFoundError):
        theirs.revoke(mine.id)
    with pytest.raises(PermissionDeniedError):
        theirs.create("for somebody else", user_id=people["officer"].id)
    with pytest.raises(PermissionDeniedError):
        theirs.list(people["officer"].id)
    admin = service(container, session, people["admin"])
    assert [t.name for t in admin.list(people["officer"].id)] == ["mine"]
    assert admin.revoke(mine.id).revoked_at is not None
    for_officer, _ = admin.create("issued by the admin", user_id=people["officer"].id)
    assert for_officer.user_id == people["officer"].id


def test_anonymous_actors_have_no_tokens(container, session):
    with pytest.raises(PermissionDeniedError):
        TokenService(container, session, Actor.anonymous()).create("x")


def test_list_is_newest_first_with_every_state(container, session, people):
    officer = service(container, session, people["officer"])
    a, _ = officer.create("a")
    b, _ = officer.create("b")
    officer.revoke(a.id)
    b.created_at = a.created_at + timedelta(seconds=1)
    assert [(t.name, t.state()) for t in officer.list()] == [("b", "active"), ("a", "revoked")]


@pytest.mark.parametrize(("name", "expires", "field"), [
    ("", None, "name"),
    ("   ", None, "name"),
    ("x" * 101, None, "name"),
    ("ok", datetime(2000, 1, 1, tzinfo=UTC), "expires_at"),
    ("ok", datetime.now(UTC) + timedelta(days=4000), "expires_at"),
])
def test_bad_input_names_the_field(container, session, people, name, expires, field):
    with pytest.raises(ValidationError) as caught:
        service(container, session, people["officer"]).create(name, expires_at=expires)
    assert set(caught.value.fields) == {field}


def test_a_naive_expiry_is_taken_as_utc(container, session, people):
    moment = datetime.now(UTC).replace(tzinfo=None) + timedelta(days=2)
    token, _ = service(container, session, people["officer"]).create("naive", expires_at=moment)
    assert token.expires_at.tzinfo is not None


def test_prefix_clashes_are_retried(container, session, people, monkeypatch):
    first, _ = service(container, session, people["officer"]).create("first")
    prefixes = iter([first.prefix, "0badc0de"])
    monkeypatch.setattr(token_module.secrets, "token_hex", lambda n: next(prefixes))
    second, plaintext = service(container, session, people["officer"]).create("second")
    assert second.prefix == "0badc0de" and plaintext.startswith("mulu_0badc0de_")
