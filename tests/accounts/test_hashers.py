"""A wrong password costs the same work whatever the account: new, legacy, or none.

The work is counted, not timed (times belong to benchmarks): each failed
sign-in must run exactly one bcrypt at ``LEGACY_BCRYPT_ROUNDS`` and one
Argon2 hash.
"""

from collections import Counter

import argon2
import bcrypt
import pytest

from accounts import services
from accounts.hashers import Argon2WrappedBCryptPasswordHasher
from accounts.models import User
from socrates.errors import DomainError
from tests.accounts.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db(databases=["auth"])

ROUNDS = 5


@pytest.fixture
def work(monkeypatch, settings) -> Counter:
    """Counts the bcrypt (by cost) and Argon2 hashes computed."""
    settings.LEGACY_BCRYPT_ROUNDS = ROUNDS
    counted = Counter()

    def counting(name, function):
        def wrapper(*args, **kwargs):
            counted[name(*args)] += 1
            return function(*args, **kwargs)

        return wrapper

    monkeypatch.setattr(
        bcrypt,
        "hashpw",
        counting(lambda _password, setting: f"bcrypt {int(setting[4:6])}", bcrypt.hashpw),
    )
    monkeypatch.setattr(
        argon2.PasswordHasher,
        "verify",
        counting(lambda *_: "argon2", argon2.PasswordHasher.verify),
    )
    monkeypatch.setattr(
        argon2.low_level,
        "hash_secret",
        counting(lambda *_: "argon2", argon2.low_level.hash_secret),
    )
    return counted


def legacy_user() -> User:
    legacy_hash = bcrypt.hashpw(PASSWORD.encode(), bcrypt.gensalt(rounds=ROUNDS)).decode()
    user = UserFactory()
    User.objects.filter(pk=user.pk).update(
        password=Argon2WrappedBCryptPasswordHasher().wrap(legacy_hash)
    )
    return user


@pytest.mark.parametrize(
    "login",
    [
        pytest.param(lambda: UserFactory().email, id="new account"),
        pytest.param(lambda: legacy_user().email, id="legacy account"),
        pytest.param(lambda: "nobody@example.com", id="no such account"),
    ],
)
def test_a_wrong_password_costs_one_bcrypt_at_the_legacy_cost_and_one_argon2(work, login):
    login = login()
    work.clear()

    with pytest.raises(DomainError):
        services.authenticate(login=login, password="Wrong-Horse-Battery-9")

    assert work == {f"bcrypt {ROUNDS}": 1, "argon2": 1}


def test_the_right_password_of_a_new_account_costs_no_bcrypt(work):
    user = UserFactory()
    work.clear()

    assert services.authenticate(login=user.email, password=PASSWORD) == user
    assert work == {"argon2": 1}
