"""Curators looking up postcodes in the admin."""

import pytest
from django.urls import reverse

from places.models import Postcode

from ..factories import PostcodeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def curator_client(client, django_user_model):
    # No password: nothing to hash, and force_login needs none.
    user = django_user_model.objects.create_user("curator", is_staff=True, is_superuser=True)
    client.force_login(user)
    return client


@pytest.mark.parametrize("term", ["wa71ab", "WA7 1AB", " wa7  1ab "])
def test_search_finds_a_postcode_in_any_spacing(curator_client, term):
    PostcodeFactory(postcode="WA7 1AB")
    PostcodeFactory(postcode="WA7 1AD", easting=351140, northing=382941)
    response = curator_client.get(reverse("admin:places_postcode_changelist"), {"q": term})
    assert response.status_code == 200
    assert [p.postcode for p in response.context["cl"].result_list] == ["WA7 1AB"]


@pytest.mark.parametrize("term", ["HELLO", "<script>", "x" * 500])
def test_search_for_something_else_finds_nothing(curator_client, term):
    PostcodeFactory(postcode="WA7 1AB")
    response = curator_client.get(reverse("admin:places_postcode_changelist"), {"q": term})
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == []


def test_the_search_term_is_escaped(curator_client):
    response = curator_client.get(
        reverse("admin:places_postcode_changelist"), {"q": "<script>alert(1)</script>"}
    )
    assert b"<script>alert(1)</script>" not in response.content
    assert b"&lt;script&gt;alert(1)&lt;/script&gt;" in response.content


def test_postcodes_are_read_only(curator_client):
    postcode = PostcodeFactory(postcode="WA7 1AB")
    assert curator_client.get(reverse("admin:places_postcode_add")).status_code == 403
    change = curator_client.get(reverse("admin:places_postcode_change", args=[postcode.pk]))
    assert change.status_code == 200
    assert b'name="easting"' not in change.content
    assert Postcode.objects.count() == 1
    assert curator_client.get(reverse("admin:places_postcodeimport_changelist")).status_code == 200
