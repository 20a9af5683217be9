"""Which email domains may claim a listing.

A claim is matched at once when the address's domain is one the organisation
records (its website, its initiatives' websites and email addresses, their
contacts' email addresses). Free mail and shared hosts never match: anyone can have
an address at gmail.com, and a Facebook page says nothing about who runs it.
"""

from urllib.parse import urlsplit

FREE_MAIL = frozenset(
    {
        "gmail.com",
        "googlemail.com",
        "outlook.com",
        "hotmail.com",
        "hotmail.co.uk",
        "live.com",
        "live.co.uk",
        "msn.com",
        "ymail.com",
        "btinternet.com",
        "btopenworld.com",
        "icloud.com",
        "me.com",
        "mac.com",
        "aol.com",
        "aol.co.uk",
        "protonmail.com",
        "proton.me",
        "gmx.com",
        "gmx.co.uk",
        "mail.com",
        "sky.com",
        "talktalk.net",
        "virginmedia.com",
        "ntlworld.com",
        "blueyonder.co.uk",
        "tiscali.co.uk",
        "zoho.com",
    }
)
# Hosts many organisations share: a website or an address there names no one.
SHARED_HOSTS = frozenset(
    {
        "facebook.com",
        "instagram.com",
        "twitter.com",
        "x.com",
        "linkedin.com",
        "wixsite.com",
        "wordpress.com",
        "blogspot.com",
        "google.com",
        "sites.google.com",
        "weebly.com",
        "squarespace.com",
        "eventbrite.co.uk",
        "justgiving.com",
        "nhs.uk",
        "nhs.net",
        "gov.uk",
    }
)


def email_domain(address: str) -> str:
    """The domain of an address, lower case ("" when there is none)."""
    local, at, domain = (address or "").strip().rpartition("@")
    return domain.strip().strip(".").lower() if at and local else ""


def website_domain(url: str) -> str:
    """The host of a website without "www.", lower case ("" when there is none)."""
    url = (url or "").strip()
    if not url:
        return ""
    if "://" not in url:
        url = f"https://{url}"
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return ""
    host = host.strip(".").lower()
    return host[4:] if host.startswith("www.") else host


def is_free_mail(domain: str) -> bool:
    return domain in FREE_MAIL or domain.startswith("yahoo.")


def is_shared(domain: str) -> bool:
    return any(domain == host or domain.endswith(f".{host}") for host in SHARED_HOSTS)


def claimable(domain: str) -> bool:
    """Whether an address at `domain` could be matched to an organisation at all."""
    return bool(domain) and "." in domain and not is_free_mail(domain) and not is_shared(domain)


def recorded_domains(*, websites=(), emails=()) -> set[str]:
    """The claimable domains among recorded websites and email addresses."""
    found = {website_domain(url) for url in websites} | {email_domain(a) for a in emails}
    return {domain for domain in found if claimable(domain)}
