"""The curators' sign-in path is kept out of every public page, so that its less obvious
name (DJANGO_ADMIN_PATH) keeps password-guessing bots away."""

import pytest
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from ..factories import AreaFactory, InitiativeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def register():
    area = AreaFactory(name="Halton", slug="halton")
    initiative = InitiativeFactory(name="Walk and Talk", slug="walk-and-talk", areas=[area])
    return initiative


def public_pages(initiative) -> list[str]:
    return [
        "/",
        "/initiatives/",
        "/initiatives/?q=walk",
        f"/initiatives/{initiative.slug}/",
        "/initiatives/export.csv",
        "/areas/",
        "/areas/halton/",
        "/insights/",
        "/suggest/",
        f"/initiatives/{initiative.slug}/suggest/",
        "/suggest/thanks/",
        "/no-such-page/",
        "/api/v1/",
        "/api/v1/services",
    ]


def test_no_public_page_links_to_the_admin(client, register):
    admin_url = reverse("admin:index")
    assert admin_url == "/" + settings.ADMIN_PATH
    for path in public_pages(register):
        response = client.get(path)
        assert response.status_code in (200, 404), path
        body = b"".join(response) if response.streaming else response.content
        text = body.decode()
        assert admin_url not in text, path
        assert settings.ADMIN_PATH not in text, path


def test_the_error_pages_do_not_link_to_the_admin():
    for template in ("404.html", "500.html"):
        assert reverse("admin:index") not in render_to_string(template)
