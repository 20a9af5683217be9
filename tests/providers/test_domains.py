"""Which email domains may claim a listing."""

import pytest

from initiatives.providers.domains import (
    claimable,
    email_domain,
    recorded_domains,
    website_domain,
)


@pytest.mark.parametrize(
    ("url", "domain"),
    [
        ("https://www.sewhalton.org.uk/about", "sewhalton.org.uk"),
        ("sewhalton.org.uk", "sewhalton.org.uk"),
        ("HTTP://WWW.Example.ORG", "example.org"),
        ("", ""),
        ("http://[bad", ""),
    ],
)
def test_a_website_names_its_domain_without_www(url, domain):
    assert website_domain(url) == domain


def test_an_address_names_its_domain():
    assert email_domain("Jo@SewHalton.org.uk") == "sewhalton.org.uk"
    assert email_domain("not an address") == ""


@pytest.mark.parametrize(
    "domain",
    [
        "gmail.com",
        "outlook.com",
        "hotmail.com",
        "yahoo.co.uk",
        "yahoo.com",
        "btinternet.com",
        "icloud.com",
        "facebook.com",
        "nhs.net",
        "sewhalton.wordpress.com",
        "",
        "localhost",
    ],
)
def test_free_mail_and_shared_hosts_never_match(domain):
    assert not claimable(domain)


def test_an_organisations_own_domain_matches():
    assert claimable("sewhalton.org.uk")
    assert recorded_domains(
        websites=["https://www.facebook.com/sewhalton", "https://sewhalton.org.uk"],
        emails=["sewhalton@gmail.com", "info@halton-carers.org"],
    ) == {"sewhalton.org.uk", "halton-carers.org"}
