"""The account API: register, login, tokens, profile, password, deletion."""

import hashlib
from datetime import timedelta

import bcrypt
import pytest
import time_machine
from django.conf import settings
from django.contrib.auth.hashers import check_password
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient
from rest_framework_simplejwt.backends import TokenBackend

from accounts.background_migrations import WrapLegacyBcryptHashes
from accounts.hashers import Argon2WrappedBCryptPasswordHasher
from accounts.models import AdminAuditLog, AdminUser, RefreshToken, User, UserStatus
from socrates import background_migrations
from tests.accounts.factories import PASSWORD, UserFactory, admin_with

pytestmark = pytest.mark.django_db(databases=["auth", "specs"])

ACCESS_LIFETIME = settings.SIMPLE_JWT["ACCESS_TOKEN_LIFETIME"]
REFRESH_LIFETIME = settings.SIMPLE_JWT["REFRESH_TOKEN_LIFETIME"]
NEW_PASSWORD = "Another-Long-Secret-7"
REUSE_INTERVAL = timedelta(seconds=settings.REFRESH_REUSE_INTERVAL_SECONDS)


def after_the_reuse_interval():
    return time_machine.travel(timezone.now() + REUSE_INTERVAL + timedelta(seconds=1))


def login(api, login_name, password=PASSWORD, **extra):
    return api.post("/api/v1/auth/login/", {"login": login_name, "password": password}, **extra)


def refresh(api, token):
    return api.post("/api/v1/auth/refresh/", {"refresh": token})


def tokens_of(api, user):
    response = login(api, user.email)
    assert response.status_code == 200, response.data
    return response.data


def me(api, access):
    return api.get("/api/v1/auth/me/", HTTP_AUTHORIZATION=f"Bearer {access}")


# Register ---------------------------------------------------------------------------


def test_register_creates_a_user_and_returns_the_profile_without_the_password(api):
    response = api.post(
        "/api/v1/auth/register/",
        {"email": "Ada@Example.COM", "username": "ada_l", "password": PASSWORD, "name": "Ada"},
    )

    assert response.status_code == 201, response.data
    assert response.data["email"] == "Ada@example.com"
    assert "password" not in response.data
    user = User.objects.get(username="ada_l")
    assert user.check_password(PASSWORD)
    assert user.password.startswith("argon2")


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"email": "USER0@example.com"}, "email"),  # taken, in another case
        ({"email": "not-an-email"}, "email"),
        ({"username": "ab"}, "username"),
        ({"username": "has space"}, "username"),
        ({"username": "taken0"}, "username"),
        ({"password": "short"}, "password"),
        ({"password": "password123"}, "password"),
        ({"name": "x" * 101}, "name"),
    ],
)
def test_register_refuses_bad_input_naming_the_field(api, body, field):
    UserFactory(email="user0@example.com", username="taken0")
    valid = {"email": "new@example.com", "username": "newbie", "password": PASSWORD}

    response = api.post("/api/v1/auth/register/", {**valid, **body})

    assert response.status_code == 400
    assert list(response.data["fields"]) == [field]
    assert response.data["detail"].startswith(f"{field}: ")
    assert User.objects.count() == 1


def test_register_requires_email_username_and_password(api):
    response = api.post("/api/v1/auth/register/", {})

    assert response.status_code == 400
    assert set(response.data["fields"]) == {"email", "username", "password"}


# Login ------------------------------------------------------------------------------


@pytest.mark.parametrize("login_name", ["user@example.com", "USER@Example.com", "the_user"])
def test_login_by_email_in_any_case_or_by_username_returns_a_token_pair(api, login_name):
    UserFactory(email="user@example.com", username="the_user")

    response = login(api, login_name)

    assert response.status_code == 200, response.data
    assert set(response.data) == {
        "access",
        "refresh",
        "token_type",
        "access_expires_at",
        "refresh_expires_at",
    }
    assert me(api, response.data["access"]).data["username"] == "the_user"


def test_only_a_hash_of_the_refresh_token_is_stored(api):
    user = UserFactory()

    issued = tokens_of(api, user)["refresh"]

    stored = RefreshToken.objects.get(user=user)
    assert stored.token == hashlib.sha256(issued.encode()).hexdigest()
    assert not RefreshToken.objects.filter(token=issued).exists()


@pytest.mark.parametrize(
    ("login_name", "password"),
    [("user@example.com", "Wrong-Password-1"), ("nobody@example.com", PASSWORD)],
)
def test_wrong_password_and_unknown_login_get_the_same_401(api, login_name, password):
    UserFactory(email="user@example.com")

    response = login(api, login_name, password)

    assert response.status_code == 401
    assert response.data == {"detail": "Invalid login or password.", "code": "invalid_credentials"}


@pytest.mark.parametrize(
    "fields",
    [{"is_active": False}, {"status": UserStatus.SUSPENDED}, {"status": UserStatus.DELETED}],
)
def test_inactive_suspended_or_deleted_users_cannot_log_in(api, fields):
    user = UserFactory(**fields)

    response = login(api, user.email)

    assert response.status_code == 403
    assert response.data["code"] == "account_disabled"
    assert not RefreshToken.objects.exists()


def test_login_without_fields_names_them(api):
    response = api.post("/api/v1/auth/login/", {})

    assert response.status_code == 400
    assert set(response.data["fields"]) == {"login", "password"}


# Refresh, reuse, logout ------------------------------------------------------------------


def test_refresh_rotates_and_revokes_the_presented_token(api):
    first = tokens_of(api, UserFactory())

    response = refresh(api, first["refresh"])

    assert response.status_code == 200
    assert response.data["refresh"] != first["refresh"]
    old = RefreshToken.objects.get(token=RefreshToken.digest(first["refresh"]))
    assert old.is_revoked
    assert old.revoked_at is not None
    assert me(api, response.data["access"]).status_code == 200


def test_a_revoked_refresh_token_used_again_revokes_every_session(api):
    user = UserFactory()
    other_device = tokens_of(api, user)["refresh"]
    stolen = tokens_of(api, user)["refresh"]
    rotated = refresh(api, stolen).data["refresh"]

    with after_the_reuse_interval():
        reuse = refresh(api, stolen)

    assert reuse.status_code == 401
    assert reuse.data["code"] == "token_revoked"
    assert reuse["WWW-Authenticate"].startswith("Bearer")
    assert not RefreshToken.objects.live().filter(user=user).exists()
    assert refresh(api, rotated).status_code == 401
    assert refresh(api, other_device).status_code == 401


def test_reuse_detection_leaves_other_users_signed_in(api):
    victim, bystander = UserFactory(), UserFactory()
    bystander_token = tokens_of(api, bystander)["refresh"]
    stolen = tokens_of(api, victim)["refresh"]
    refresh(api, stolen)

    with after_the_reuse_interval():
        refresh(api, stolen)
        assert refresh(api, bystander_token).status_code == 200


def test_two_tabs_refreshing_at_once_get_the_same_successor(api):
    user = UserFactory()
    shared = tokens_of(api, user)["refresh"]

    first, second = refresh(api, shared), refresh(api, shared)

    assert first.status_code == second.status_code == 200
    assert first.data["refresh"] == second.data["refresh"]
    assert me(api, second.data["access"]).status_code == 200
    assert refresh(api, second.data["refresh"]).status_code == 200
    # Only the successor was issued: the second answer revoked nothing.
    assert RefreshToken.objects.filter(user=user).count() == 3


def test_within_the_reuse_interval_a_signed_out_successor_is_not_handed_out(api):
    user = UserFactory()
    shared = tokens_of(api, user)["refresh"]
    successor = refresh(api, shared).data
    api.post("/api/v1/auth/logout/", {"refresh": successor["refresh"]})

    response = refresh(api, shared)

    assert response.status_code == 401
    assert response.data["code"] == "token_revoked"


def test_no_successor_is_stored_in_the_clear(api):
    from django.db import connections

    successor = refresh(api, tokens_of(api, UserFactory())["refresh"]).data

    with connections["auth"].cursor() as cursor:
        cursor.execute("SELECT value FROM django_cache")
        stored = " ".join(value for (value,) in cursor.fetchall())
    assert stored
    assert successor["refresh"] not in stored
    assert successor["refresh"].split(".")[1] not in stored


@pytest.mark.parametrize("token", ["", "not-a-jwt", "a.b.c"])
def test_refresh_refuses_a_malformed_token(api, token):
    response = refresh(api, token)

    assert response.status_code in (400, 401)
    assert "refresh" in response.data.get("fields", {})


def test_refresh_refuses_a_well_signed_token_that_was_never_recorded(api):
    from rest_framework_simplejwt.tokens import RefreshToken as JWT

    response = refresh(api, str(JWT.for_user(UserFactory())))

    assert response.status_code == 401
    assert response.data["code"] == "token_not_valid"


def test_logout_revokes_the_token_and_refresh_is_then_refused(api):
    user = UserFactory()
    session = tokens_of(api, user)
    other = tokens_of(api, user)

    assert api.post("/api/v1/auth/logout/", {"refresh": session["refresh"]}).status_code == 204

    assert refresh(api, other["refresh"]).status_code == 200
    # A logged-out token presented again is a revoked token reused: refused.
    assert refresh(api, session["refresh"]).status_code == 401


def test_logout_with_an_unknown_token_names_the_field(api):
    response = api.post("/api/v1/auth/logout/", {"refresh": "nope"})

    assert response.status_code == 401
    assert list(response.data["fields"]) == ["refresh"]


def test_logout_all_revokes_every_refresh_token_of_the_user_only(api):
    user, other = UserFactory(), UserFactory()
    sessions = [tokens_of(api, user) for _ in range(3)]
    other_session = tokens_of(api, other)

    response = api.post(
        "/api/v1/auth/logout-all/", HTTP_AUTHORIZATION=f"Bearer {sessions[0]['access']}"
    )

    assert response.status_code == 204
    assert all(refresh(api, s["refresh"]).status_code == 401 for s in sessions)
    assert refresh(api, other_session["refresh"]).status_code == 200


def test_logout_all_ends_live_access_tokens_at_once(api):
    user, other = UserFactory(), UserFactory()
    sessions = [tokens_of(api, user) for _ in range(2)]
    other_session = tokens_of(api, other)

    api.post("/api/v1/auth/logout-all/", HTTP_AUTHORIZATION=f"Bearer {sessions[0]['access']}")

    for session in sessions:
        response = me(api, session["access"])
        assert response.status_code == 401
        assert response.data["code"] == "token_revoked"
    assert me(api, other_session["access"]).status_code == 200
    assert me(api, tokens_of(api, user)["access"]).status_code == 200


def test_suspension_ends_live_access_tokens_even_after_reactivation(api):
    user = UserFactory()
    session = tokens_of(api, user)
    admin = admin_with("users_suspend")
    admin_api = APIClient()
    admin_api.force_authenticate(admin)
    admin_api.post(f"/api/v1/admin/users/{user.pk}/suspend/")
    admin_api.post(f"/api/v1/admin/users/{user.pk}/activate/")

    assert me(api, session["access"]).data["code"] == "token_revoked"


def test_the_access_check_is_one_query(api, django_assert_num_queries):
    access = tokens_of(api, UserFactory())["access"]

    with django_assert_num_queries(1, using="auth"):
        assert me(api, access).status_code == 200


# Users who stop being active ----------------------------------------------------------


@pytest.mark.parametrize(
    "fields",
    [{"is_active": False}, {"status": UserStatus.SUSPENDED}, {"status": UserStatus.DELETED}],
)
def test_live_tokens_stop_working_when_the_user_is_disabled(api, fields):
    user = UserFactory()
    session = tokens_of(api, user)
    User.objects.filter(pk=user.pk).update(**fields)

    assert me(api, session["access"]).status_code == 401
    response = refresh(api, session["refresh"])
    assert response.status_code == 403
    assert response.data["code"] == "account_disabled"


# Expiry (time control, no sleeping) -------------------------------------------------------


def test_access_token_expires_after_its_lifetime(api):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        session = tokens_of(api, UserFactory())
        traveller.shift(ACCESS_LIFETIME - timedelta(seconds=5))
        assert me(api, session["access"]).status_code == 200
        traveller.shift(timedelta(seconds=10))
        response = me(api, session["access"])

    assert response.status_code == 401
    assert response.data["code"] == "token_not_valid"


def test_a_token_is_decoded_once_then_only_its_expiry_is_checked(api, monkeypatch):
    session = tokens_of(api, UserFactory())
    decoded = []
    stock_decode = TokenBackend.decode
    monkeypatch.setattr(
        TokenBackend,
        "decode",
        lambda *args, **kwargs: decoded.append(1) or stock_decode(*args, **kwargs),
    )

    assert me(api, session["access"]).status_code == 200
    assert me(api, session["access"]).status_code == 200
    assert len(decoded) == 1
    # A tampered copy is checked (and refused), never taken for the kept one.
    header, payload, signature = session["access"].split(".")
    tampered = f"{header}.{payload}.{signature[:-2]}{'AA' if signature[-2:] != 'AA' else 'BB'}"
    assert me(api, tampered).status_code == 401
    assert len(decoded) == 2


def test_refresh_token_expires_after_its_lifetime(api):
    with time_machine.travel(timezone.now(), tick=False) as traveller:
        session = tokens_of(api, UserFactory())
        traveller.shift(REFRESH_LIFETIME + timedelta(seconds=1))
        response = refresh(api, session["refresh"])

    assert response.status_code == 401
    assert response.data["code"] == "token_not_valid"


def test_purge_deletes_expired_tokens_and_keeps_revoked_live_ones(api):
    user = UserFactory()
    with time_machine.travel(timezone.now() - REFRESH_LIFETIME - timedelta(hours=1)):
        tokens_of(api, user)
    revoked = tokens_of(api, user)["refresh"]
    refresh(api, revoked)

    call_command("purge_refresh_tokens", stdout=None)

    remaining = RefreshToken.objects.filter(user=user)
    assert remaining.count() == 2  # the revoked one (for reuse detection) and its successor
    assert remaining.filter(token=RefreshToken.digest(revoked), is_revoked=True).exists()


# Profile, password, deletion ------------------------------------------------------------


def test_me_updates_own_profile_but_not_role_or_status(client_for):
    user = UserFactory()

    response = client_for(user).patch(
        "/api/v1/auth/me/", {"name": "Grace", "role": "admin", "status": "suspended"}
    )

    assert response.status_code == 200
    user.refresh_from_db()
    assert (user.name, user.role, user.status) == ("Grace", "user", "active")


def test_me_refuses_a_username_someone_else_has(client_for):
    UserFactory(username="taken")

    response = client_for(UserFactory()).patch("/api/v1/auth/me/", {"username": "taken"})

    assert response.status_code == 400
    assert list(response.data["fields"]) == ["username"]


def test_me_needs_authentication(api):
    response = api.get("/api/v1/auth/me/")

    assert response.status_code == 401
    assert response.data["code"] == "not_authenticated"


def test_change_password_revokes_every_refresh_token(api, client_for):
    user = UserFactory()
    session = tokens_of(api, user)

    response = client_for(user).post(
        "/api/v1/auth/change-password/",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
    )

    assert response.status_code == 204
    assert refresh(api, session["refresh"]).status_code == 401
    assert login(api, user.email, NEW_PASSWORD).status_code == 200


@pytest.mark.parametrize(
    ("body", "status_code", "field"),
    [
        ({"current_password": "wrong", "new_password": NEW_PASSWORD}, 401, "current_password"),
        ({"current_password": PASSWORD, "new_password": "short"}, 400, "new_password"),
        ({"new_password": NEW_PASSWORD}, 400, "current_password"),
    ],
)
def test_change_password_refusals_name_the_field(client_for, body, status_code, field):
    user = UserFactory()

    response = client_for(user).post("/api/v1/auth/change-password/", body)

    assert response.status_code == status_code
    assert field in response.data["fields"]
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_delete_account_needs_the_password_then_removes_user_tokens_and_grants(api):
    user = admin_with("users_view")
    session = tokens_of(api, user)
    client = api
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {session['access']}")

    wrong = client.post("/api/v1/auth/delete-account/", {"password": "nope"})
    assert wrong.status_code == 401
    assert User.objects.filter(pk=user.pk).exists()

    assert client.post("/api/v1/auth/delete-account/", {"password": PASSWORD}).status_code == 204
    assert not User.objects.filter(pk=user.pk).exists()
    assert not RefreshToken.objects.filter(user_id=user.pk).exists()
    assert not AdminUser.objects.filter(user_id=user.pk).exists()


def test_an_admin_named_in_the_audit_log_cannot_delete_the_account(client_for):
    admin = admin_with("users_suspend")
    target = UserFactory()
    client_for(admin).post(f"/api/v1/admin/users/{target.pk}/suspend/")

    response = client_for(admin).post("/api/v1/auth/delete-account/", {"password": PASSWORD})

    assert response.status_code == 409
    assert response.data["code"] == "has_audit_entries"
    assert AdminAuditLog.objects.filter(admin=admin).exists()


# Legacy passwords -------------------------------------------------------------------------


def test_a_legacy_bcrypt_hash_verifies_and_is_upgraded_at_login(api):
    legacy_hash = bcrypt.hashpw(b"legacy-Passw0rd", bcrypt.gensalt(rounds=4)).decode()
    user = UserFactory()
    User.objects.filter(pk=user.pk).update(password=legacy_hash)

    assert login(api, user.email, "legacy-Passw0rd").status_code == 200

    user.refresh_from_db()
    assert user.password.startswith("argon2$")
    assert login(api, user.email, "legacy-Passw0rd").status_code == 200


def test_a_wrong_password_leaves_a_legacy_hash_as_it_was(api):
    legacy_hash = bcrypt.hashpw(b"legacy-Passw0rd", bcrypt.gensalt(rounds=4)).decode()
    user = UserFactory()
    User.objects.filter(pk=user.pk).update(password=legacy_hash)

    assert login(api, user.email, "wrong-Passw0rd").status_code == 401

    user.refresh_from_db()
    assert user.password == legacy_hash


def wrap_legacy_hashes() -> None:
    background_migrations.run(WrapLegacyBcryptHashes())


def test_a_legacy_bcrypt_hash_is_wrapped_at_rest_and_the_old_password_still_signs_in(api):
    legacy_hash = bcrypt.hashpw(b"legacy-Passw0rd", bcrypt.gensalt(rounds=4)).decode()
    user = UserFactory()
    User.objects.filter(pk=user.pk).update(password=legacy_hash)

    wrap_legacy_hashes()

    user.refresh_from_db()
    assert user.password.startswith("argon2_bcrypt$2b:04:")
    assert legacy_hash not in user.password
    assert legacy_hash[7:] not in user.password
    wrapped = user.password
    wrap_legacy_hashes()
    user.refresh_from_db()
    assert user.password == wrapped
    assert login(api, user.email, "wrong-Passw0rd").status_code == 401
    user.refresh_from_db()
    assert user.password == wrapped
    assert login(api, user.email, "legacy-Passw0rd").status_code == 200
    user.refresh_from_db()
    assert user.password.startswith("argon2$")
    assert login(api, user.email, "legacy-Passw0rd").status_code == 200


def test_a_malformed_legacy_hash_is_left_as_it_was_and_matches_nothing(api):
    user = UserFactory()
    User.objects.filter(pk=user.pk).update(password="$2b$12$tooshort")

    wrap_legacy_hashes()

    user.refresh_from_db()
    assert user.password == "$2b$12$tooshort"
    assert login(api, user.email, "anything-Passw0rd").status_code == 401


def test_the_wrapped_hash_reads_72_bytes_as_bcrypt_did():
    long_password = "a" * 72 + "ignored by bcrypt"
    legacy_hash = bcrypt.hashpw(long_password.encode()[:72], bcrypt.gensalt(rounds=4)).decode()
    wrapped = Argon2WrappedBCryptPasswordHasher().wrap(legacy_hash)

    assert check_password("a" * 72 + "anything else", wrapped)
    assert not check_password("a" * 71, wrapped)


# Throttling -----------------------------------------------------------------------------


def test_password_guessing_from_one_address_is_throttled_with_retry_after(api):
    UserFactory(email="user@example.com")
    names = [f"someone{n}@example.com" for n in range(11)]

    statuses = [login(api, name, "guess").status_code for name in names]

    assert statuses[:10] == [401] * 10
    assert statuses[10] == 429
    throttled = login(api, "user@example.com")
    assert throttled.status_code == 429
    assert int(throttled["Retry-After"]) > 0
    assert throttled.data["code"] == "throttled"


def test_guessing_one_login_from_many_addresses_is_throttled(api):
    UserFactory(email="user@example.com")

    statuses = [
        login(api, "user@example.com", "guess", REMOTE_ADDR=f"10.0.0.{n}").status_code
        for n in range(6)
    ]

    assert statuses == [401] * 5 + [429]


def test_registration_is_throttled_per_address(api):
    statuses = [
        api.post(
            "/api/v1/auth/register/",
            {"email": f"u{n}@example.com", "username": f"user_{n}", "password": PASSWORD},
        ).status_code
        for n in range(11)
    ]

    assert statuses == [201] * 10 + [429]


def test_refresh_is_throttled_per_address(api):
    statuses = [refresh(api, "not-a-token").status_code for _ in range(31)]

    assert statuses[-1] == 429
    assert set(statuses[:30]) == {401}


def test_a_forged_forwarded_for_header_does_not_escape_the_throttle(api):
    statuses = [
        login(
            api, f"someone{n}@example.com", "guess", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}"
        ).status_code
        for n in range(11)
    ]

    assert statuses[-1] == 429


@pytest.mark.parametrize(
    ("path", "field"),
    [("change-password", "current_password"), ("delete-account", "password")],
)
def test_password_checks_with_a_stolen_token_are_throttled_per_user(client_for, path, field):
    user = UserFactory()
    body = {field: "guess", "new_password": NEW_PASSWORD}

    statuses = [
        client_for(user).post(f"/api/v1/auth/{path}/", body, REMOTE_ADDR=f"10.0.0.{n}")
        for n in range(6)
    ]

    assert [response.status_code for response in statuses] == [401] * 5 + [429]
    assert int(statuses[-1]["Retry-After"]) > 0
    user.refresh_from_db()
    assert user.check_password(PASSWORD)


def test_password_checks_are_throttled_per_address(client_for):
    statuses = [
        client_for(UserFactory()).post("/api/v1/auth/delete-account/", {"password": "guess"})
        for _ in range(11)
    ]

    assert [response.status_code for response in statuses] == [401] * 10 + [429]


def test_usernames_are_unique_ignoring_case_and_log_in_in_any_case(api):
    UserFactory(username="carol")

    twin = api.post(
        "/api/v1/auth/register/",
        {"email": "c2@example.com", "username": "CAROL", "password": PASSWORD},
    )

    assert twin.status_code == 400
    assert list(twin.data["fields"]) == ["username"]
    assert login(api, "Carol").status_code == 200


def test_the_admin_login_form_is_throttled_by_login_name(client):
    user = UserFactory(role="admin")
    for n in range(5):
        client.post(
            "/admin/login/",
            {"username": user.email, "password": "guess"},
            REMOTE_ADDR=f"10.0.0.{n}",
        )

    right = client.post("/admin/login/", {"username": user.email, "password": PASSWORD})

    assert right.status_code == 200  # the form again: no session was opened
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("username", ["", None])
def test_register_and_me_refuse_an_empty_username(api, client_for, username):
    body = {"email": "e@example.com", "username": username, "password": PASSWORD}

    registered = api.post("/api/v1/auth/register/", body, format="json")
    updated = client_for(UserFactory()).patch(
        "/api/v1/auth/me/", {"username": username}, format="json"
    )

    assert registered.status_code == updated.status_code == 400
    assert list(registered.data["fields"]) == list(updated.data["fields"]) == ["username"]


def test_changing_the_email_clears_its_verification(client_for):
    user = UserFactory(is_verified=True)

    client_for(user).patch("/api/v1/auth/me/", {"email": "new@example.com"})

    user.refresh_from_db()
    assert (user.email, user.is_verified) == ("new@example.com", False)


def test_a_password_change_ends_live_access_tokens_too(api, client_for):
    user = UserFactory()
    session = tokens_of(api, user)

    client_for(user).post(
        "/api/v1/auth/change-password/",
        {"current_password": PASSWORD, "new_password": NEW_PASSWORD},
    )

    assert me(api, session["access"]).status_code == 401


def test_a_malformed_legacy_hash_is_a_failed_login_not_an_error(api):
    user = UserFactory()
    User.objects.filter(pk=user.pk).update(password="$2b$04$short")

    assert login(api, user.email, "whatever").status_code == 401


def test_no_token_is_issued_to_a_user_disabled_meanwhile():
    from accounts.services import issue_tokens
    from socrates.errors import NotAllowed

    user = UserFactory()
    User.objects.filter(pk=user.pk).update(status=UserStatus.SUSPENDED)

    # ``user`` still says active: the check reads the row under its lock.
    with pytest.raises(NotAllowed):
        issue_tokens(user=user)
    assert not RefreshToken.objects.filter(user=user).exists()


def test_an_empty_login_is_a_400_naming_it_as_the_schema_says(api, openapi):
    response = api.post("/api/v1/auth/login/", {"login": "", "password": PASSWORD}, format="json")

    assert response.status_code == 400
    assert list(response.json()["fields"]) == ["login"]
    assert openapi["components"]["schemas"]["Login"]["properties"]["login"]["minLength"] == 1
