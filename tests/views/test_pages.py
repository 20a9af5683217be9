"""Public pages on records of each test's own (no shared register): an empty
register, records that must not show, error pages, ages in words, name order."""

from datetime import date, timedelta

import pytest
from django.test import override_settings

from initiatives.models import Initiative

from ..factories import AreaFactory, InitiativeFactory, OrganisationFactory
from .support import text

pytestmark = pytest.mark.django_db


class TestHome:
    def test_empty_register_still_renders(self, client):
        response = client.get("/")
        assert response.status_code == 200
        assert "0 published initiatives" in text(response)


class TestInitiativePage:
    def test_never_checked_record_says_so(self, client):
        InitiativeFactory(slug="new-group", last_verified_on=None)
        page = text(client.get("/initiatives/new-group/"))
        assert "We have not checked this record yet." in page

    def test_contact_and_source_are_escaped_and_only_web_links_are_links(self, client):
        organisation = OrganisationFactory(website="javascript:alert(1)")
        InitiativeFactory(
            slug="odd",
            name="<b>Odd</b> & co",
            organisation=organisation,
            website="javascript:alert(2)",
            phone="<script>alert(3)</script>",
            email="a@example.org",
            source_note='See https://example.org/report?a=1&b=2 and <img src=x onerror="x">',
        )
        page = text(client.get("/initiatives/odd/"))
        assert "<h1>&lt;b&gt;Odd&lt;/b&gt; &amp; co</h1>" in page
        assert 'href="javascript:' not in page
        assert "<script>alert(3)" not in page
        assert "&lt;img src=x onerror=" in page
        assert 'href="https://example.org/report?a=1&amp;b=2"' in page

    @pytest.mark.parametrize("status", [Initiative.Status.DRAFT, Initiative.Status.ARCHIVED])
    def test_drafts_and_archived_records_are_not_found(self, client, status):
        InitiativeFactory(slug="hidden", status=status)
        response = client.get("/initiatives/hidden/")
        assert response.status_code == 404
        assert "We don\u2019t know an initiative at \u201chidden\u201d." in text(response)

    def test_unknown_slug_is_a_helpful_404(self, client):
        response = client.get("/initiatives/no-such-thing/")
        assert response.status_code == 404
        page = text(response)
        assert "Page not found" in page
        assert "We don\u2019t know an initiative at \u201cno-such-thing\u201d." in page
        assert 'href="/initiatives/">Search the register' in page


class TestErrorPages:
    def test_404_in_the_site_style(self, client):
        response = client.get("/nowhere/")
        assert response.status_code == 404
        page = text(response)
        assert '<a class="skip-link" href="#main">' in page
        assert "Page not found" in page

    def test_500_page_stands_alone(self, client, settings):
        from django.template.loader import render_to_string

        page = render_to_string("500.html")
        assert "Sorry, something went wrong" in page
        assert '<main id="main"' in page
        assert "{%" not in page

    @override_settings(DEBUG=False)
    def test_a_crash_gives_the_500_page(self, client, monkeypatch):
        from initiatives import views

        def broken(*args, **kwargs):
            raise RuntimeError("boom")

        monkeypatch.setattr(views, "ages_in_words", broken)
        InitiativeFactory(slug="crash", last_verified_on=date.today() - timedelta(days=1))
        client.raise_request_exception = False
        response = client.get("/initiatives/crash/")
        assert response.status_code == 500
        assert "Sorry, something went wrong" in text(response)


@pytest.mark.parametrize(
    ("min_age", "max_age", "words"),
    [
        # Neither age recorded is not a claim that it is for everyone.
        (None, None, "Not recorded"),
        (0, None, "All ages"),
        (18, None, "18 and over"),
        (0, 25, "Up to 25"),
        (None, 11, "Up to 11"),
        (16, 25, "16 to 25"),
    ],
)
def test_ages_in_words(client, min_age, max_age, words):
    InitiativeFactory(slug="ages", min_age=min_age, max_age=max_age)
    assert client.get("/initiatives/ages/").context["ages_in_words"] == words


def test_a_short_list_is_in_the_same_name_order_as_a_long_one(client, monkeypatch):
    """Short lists are sorted after they are found (listing.pages.SHORT_LIST); the order must be
    the database's own name order either way, accents and case included."""
    from initiatives.listing import pages

    area = AreaFactory(name="Ordershire")
    for name in ["zebra walks", "Älmhult crafts", "apple growers", "Banana club", "Éclair bakers"]:
        InitiativeFactory(name=name, areas=[area])
    expected = list(
        Initiative.objects.filter(areas=area).order_by("name", "pk").values_list("name", flat=True)
    )

    def here(response):
        section = next(s for s in response.context["sections"] if s["key"] == "here")
        return [initiative.name for initiative in section["page"]]

    short = here(client.get("/areas/ordershire/?here=1"))
    monkeypatch.setattr(pages, "SHORT_LIST", 0)
    from django.core.cache import cache

    cache.clear()
    long = here(client.get("/areas/ordershire/?here=1"))
    assert short == long == expected
