"""Behind a load balancer, the suggestion limit and the sign-in lockout count each real
client (from X-Forwarded-For, as DJANGO_TRUSTED_PROXY_COUNT says), not the balancer."""

from pathlib import Path

import pytest
from axes.models import AccessAttempt
from django.conf import settings as django_settings
from django.test import Client, RequestFactory, override_settings

from directory.clientip import client_address
from initiatives.models import Suggestion
from tests.curation.test_login_lockout import LOGIN, PASSWORD
from tests.curation.test_suggestions import SUGGEST, new_initiative

from ..processes import read_setting

ROOT = Path(__file__).resolve().parents[2]
BALANCER = "10.0.0.2"


def address(forwarded=None, *, proxies, remote=BALANCER):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    with override_settings(TRUSTED_PROXY_COUNT=proxies):
        return client_address(RequestFactory().get("/", **extra))


# The function ------------------------------------------------------------------------


def test_without_proxies_the_header_is_ignored():
    assert address("203.0.113.5", proxies=0) == BALANCER
    assert address(None, proxies=0) == BALANCER


def test_behind_one_proxy_the_rightmost_entry_is_the_client():
    assert address("203.0.113.5", proxies=1) == "203.0.113.5"


def test_behind_two_proxies_the_second_from_the_right_is_the_client():
    # client -> CDN (adds the client) -> load balancer (adds the CDN) -> app
    assert address("203.0.113.5, 192.0.2.44", proxies=2) == "203.0.113.5"


@pytest.mark.parametrize(
    ("forwarded", "proxies", "expected"),
    [
        ("6.6.6.6, 203.0.113.5", 1, "203.0.113.5"),
        ("1.1.1.1, 6.6.6.6, 203.0.113.5", 1, "203.0.113.5"),
        ("6.6.6.6, 203.0.113.5, 192.0.2.44", 2, "203.0.113.5"),
    ],
)
def test_entries_the_client_wrote_on_the_left_are_ignored(forwarded, proxies, expected):
    assert address(forwarded, proxies=proxies) == expected


@pytest.mark.parametrize(
    ("forwarded", "proxies"),
    [
        (None, 1),
        ("", 1),
        ("   ", 1),
        ("203.0.113.5", 2),  # fewer entries than proxies
        ("not an address", 1),
        ("203.0.113.5, ", 1),
        ("203.0.113.999", 1),
        ("203.0.113.5:4711", 1),
        ("<script>alert(1)</script>", 1),
        ("203.0.113.5, garbage, 192.0.2.44", 2),
    ],
)
def test_a_missing_short_or_malformed_header_falls_back_to_the_connection(forwarded, proxies):
    assert address(forwarded, proxies=proxies) == BALANCER


def test_ipv6_addresses_are_read_and_written_one_way():
    assert address("2001:DB8:0:0::7", proxies=1) == "2001:db8::7"
    assert address("203.0.113.5, 2001:db8::1", proxies=2) == "203.0.113.5"
    assert address("garbage", proxies=1, remote="2001:db8::99") == "2001:db8::99"


def test_the_setting_defaults_to_no_proxies():
    assert django_settings.TRUSTED_PROXY_COUNT == 0


# Starting up with the setting --------------------------------------------------------


def start(value):
    return read_setting("settings.TRUSTED_PROXY_COUNT", DJANGO_TRUSTED_PROXY_COUNT=value)


def test_the_setting_is_read_from_the_environment():
    result = start("2")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "2"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("two", "DJANGO_TRUSTED_PROXY_COUNT must be a whole number, not 'two'."),
        ("-1", "DJANGO_TRUSTED_PROXY_COUNT must be 0 or more"),
    ],
)
def test_a_bad_value_stops_the_site_starting_with_a_clear_message(value, message):
    result = start(value)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr
    assert message in result.stderr


# The suggestion limit behind one proxy -----------------------------------------------


@pytest.fixture
def one_proxy(settings):
    settings.TRUSTED_PROXY_COUNT = 1


def suggest(name, forwarded):
    return Client().post(
        SUGGEST, new_initiative(name=name), REMOTE_ADDR=BALANCER, HTTP_X_FORWARDED_FOR=forwarded
    )


@pytest.mark.django_db
def test_each_client_behind_the_balancer_has_its_own_allowance(one_proxy):
    limit = django_settings.SUGGESTIONS_PER_HOUR
    for n in range(limit):
        assert suggest(f"Club {n}", "203.0.113.5").status_code == 302
    assert suggest("One more", "203.0.113.5").status_code == 429

    # Another client through the same balancer may still suggest, as many times.
    for n in range(limit):
        assert suggest(f"Other club {n}", "198.51.100.20").status_code == 302
    assert suggest("Other one more", "198.51.100.20").status_code == 429
    assert Suggestion.objects.count() == 2 * limit


@pytest.mark.django_db
def test_a_client_inventing_addresses_on_the_left_is_still_limited(one_proxy):
    limit = django_settings.SUGGESTIONS_PER_HOUR
    for n in range(limit):
        assert suggest(f"Club {n}", f"192.0.2.{n + 1}, 203.0.113.5").status_code == 302
    response = suggest("One more", "192.0.2.200, 203.0.113.5")
    assert response.status_code == 429
    assert "Please try again later" in response.content.decode()
    assert Suggestion.objects.count() == limit


@pytest.mark.django_db
def test_without_proxies_a_forwarded_header_does_not_escape_the_limit():
    limit = django_settings.SUGGESTIONS_PER_HOUR
    for n in range(limit):
        assert suggest(f"Club {n}", f"192.0.2.{n + 1}").status_code == 302
    assert suggest("One more", "192.0.2.200").status_code == 429


# The sign-in lockout behind one proxy ------------------------------------------------


@pytest.fixture
def curator(django_user_model, settings):
    # Real hashing takes most of a second per attempt; the lockout does not depend on it.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return django_user_model.objects.create_user("cara", password=PASSWORD, is_staff=True)


def sign_in(password, forwarded):
    client = Client(REMOTE_ADDR=BALANCER, HTTP_X_FORWARDED_FOR=forwarded)
    return client.post(LOGIN, {"username": "cara", "password": password})


@pytest.mark.django_db
def test_one_client_guessing_passwords_does_not_lock_out_the_others(curator, one_proxy):
    for attempt in range(1, 6):
        assert sign_in("wrong password", "6.6.6.6").status_code == (429 if attempt == 5 else 200)
    assert sign_in(PASSWORD, "6.6.6.6").status_code == 429

    # The curator, through the same balancer from their own address, signs in.
    assert sign_in(PASSWORD, "203.0.113.5").status_code == 302
    assert AccessAttempt.objects.get().ip_address == "6.6.6.6"


@pytest.mark.django_db
def test_a_locked_out_client_cannot_escape_by_inventing_addresses(curator, one_proxy):
    for attempt in range(1, 6):
        forwarded = f"192.0.2.{attempt}, 6.6.6.6"
        assert sign_in("wrong password", forwarded).status_code == (429 if attempt == 5 else 200)
    response = sign_in(PASSWORD, "203.0.113.5, 6.6.6.6")
    assert response.status_code == 429
    assert "Sign-in paused for 15 minutes" in response.content.decode()
