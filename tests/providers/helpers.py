"""What the providers' tests share: a claimed organisation, links read from the outbox."""

import re
from urllib.parse import urlsplit

from django.core import mail

from initiatives.models import Provider

from ..factories import InitiativeFactory, OrganisationFactory

LINK = re.compile(r"https?://[^\s\"<>]+/provider/sign-in/\?[^\s\"<>]+")


def links_in(message) -> list[str]:
    """The sign-in links of an email's text part, as paths with their query."""
    found = []
    for url in LINK.findall(message.body):
        parts = urlsplit(url)
        found.append(f"{parts.path}?{parts.query}")
    return found


def last_link() -> str:
    return links_in(mail.outbox[-1])[0]


def sew_halton(**initiative):
    organisation = OrganisationFactory(name="Sew Halton", website="https://www.sewhalton.org.uk/")
    values = {"name": "Sew Halton sewing circle", "organisation": organisation} | initiative
    return InitiativeFactory(**values)


def provider_for(django_user_model, initiative, *, email="jo@sewhalton.org.uk", trusted=False):
    user = django_user_model.objects.create_user(f"provider:{email}", email=email)
    Provider.objects.create(
        user=user, organisation=initiative.organisation, initiative=initiative, trusted=trusted
    )
    return user


def sign_in(client, path: str):
    """Open a sign-in link and press its button, as a person would."""
    page = client.get(path)
    assert page.status_code == 200, page.content.decode()[:500]
    token = page.context["token"]
    return client.post(
        "/provider/sign-in/", {"sesame": token, "next": page.context["next"]}, follow=True
    )
