"""Admin sign-in: five failed attempts for one username from one address pause it for
15 minutes, with a clear page; twenty from any addresses pause the account everywhere and
alert the admins; passwords are checked by Django's validators."""

from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client

pytestmark = pytest.mark.django_db

LOGIN = f"/{settings.ADMIN_PATH}login/"
PASSWORD = "a long and unusual passphrase 4 curators"


@pytest.fixture(autouse=True)
def quick_hashing(settings):
    # Real hashing takes most of a second per attempt; the lockout does not depend on it.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def curator(django_user_model):
    return django_user_model.objects.create_user("cara", password=PASSWORD, is_staff=True)


def sign_in(password, *, username="cara", address="203.0.113.5"):
    client = Client(REMOTE_ADDR=address)
    response = client.post(LOGIN, {"username": username, "password": password})
    return client, response


def fail(times, **kwargs):
    """`times` wrong passwords: the form again with its error, until the fifth locks."""
    for attempt in range(1, times + 1):
        _, response = sign_in("wrong password", **kwargs)
        assert response.status_code == (429 if attempt >= 5 else 200)
    return response


def test_the_right_password_signs_in(curator):
    client, response = sign_in(PASSWORD)
    assert response.status_code == 302
    assert client.get(f"/{settings.ADMIN_PATH}").status_code == 200


def test_four_failures_still_allow_the_right_password(curator):
    fail(4)
    _, response = sign_in(PASSWORD)
    assert response.status_code == 302


def test_the_fifth_failure_says_sign_in_is_paused(curator):
    body = fail(5).content.decode()
    assert "Sign-in paused for 15 minutes" in body


def test_five_failures_pause_that_username_from_that_address(curator):
    fail(5)
    _, response = sign_in(PASSWORD)
    assert response.status_code == 429
    body = response.content.decode()
    assert "Sign-in paused for 15 minutes" in body
    assert "5 failed attempts to sign in as &ldquo;cara&rdquo;" in body
    assert "_auth_user_id" not in response.client.session


def test_the_pause_is_for_that_username_from_that_address_only(curator, django_user_model):
    django_user_model.objects.create_user("sam", password=PASSWORD, is_staff=True)
    fail(5)
    assert sign_in(PASSWORD, address="198.51.100.20")[1].status_code == 302
    assert sign_in(PASSWORD, username="sam")[1].status_code == 302


def test_the_pause_ends_after_15_minutes(curator):
    fail(5)
    assert sign_in(PASSWORD)[1].status_code == 429
    AccessAttempt.objects.update(
        attempt_time=AccessAttempt.objects.get().attempt_time - timedelta(minutes=16)
    )
    assert sign_in(PASSWORD)[1].status_code == 302


def test_failures_for_an_unknown_username_are_paused_too():
    fail(5, username="nobody")
    assert sign_in("anything", username="nobody")[1].status_code == 429


def test_the_paused_page_is_safe_and_plain(curator):
    from tests.directory.test_security import inline_code

    fail(5, username='<script>alert("x")</script>')
    _, response = sign_in("x", username='<script>alert("x")</script>')
    body = response.content.decode()
    assert response.status_code == 429
    assert "<script>alert" not in body
    assert inline_code(body) == []


def fail_from_many_addresses(times: int) -> None:
    """`times` wrong passwords for "cara", at most 4 from any one address."""
    for attempt in range(times):
        _, response = sign_in("wrong password", address=f"198.51.100.{attempt // 4 + 1}")
        assert response.status_code == (
            429 if attempt + 1 >= settings.AXES_ACCOUNT_FAILURE_LIMIT else 200
        )


def test_failures_from_many_addresses_pause_the_account_everywhere(curator, settings, caplog):
    settings.ADMINS = [("Admin", "admin@example.org")]
    from django.core import mail

    assert settings.AXES_ACCOUNT_FAILURE_LIMIT == 20
    fail_from_many_addresses(20)
    _, response = sign_in(PASSWORD, address="192.0.2.200")
    assert response.status_code == 429
    body = response.content.decode()
    assert "paused for 15 minutes, from everywhere" in body
    assert "_auth_user_id" not in response.client.session
    # The admins are told, once.
    (alert,) = mail.outbox
    assert "\u201ccara\u201d had 20 failed sign-in attempts from 5 addresses" in alert.body
    assert [r.message for r in caplog.records if r.name == "directory.signin"] == [
        "Sign-in paused for an account from every address: 20 failed attempts from 5 "
        "addresses within 15 minutes"
    ]


def test_below_the_account_ceiling_the_right_password_still_signs_in(curator):
    fail_from_many_addresses(19)
    assert sign_in(PASSWORD, address="192.0.2.200")[1].status_code == 302


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short1", "too short"),
        ("password123", "too common"),
        ("84736251904", "entirely numeric"),
    ],
)
def test_passwords_are_checked_by_djangos_validators(password, message):
    with pytest.raises(ValidationError, match=message):
        validate_password(password)
    validate_password(PASSWORD)
