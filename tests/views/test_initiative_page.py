"""One initiative's page, on the shared sample register."""

import pytest

from .support import MAX_DETAIL_QUERIES, text

pytestmark = pytest.mark.django_db


class TestInitiativePage:
    def test_shows_every_public_field(self, client, reg):
        response = client.get("/initiatives/wrexham-allotments/")
        assert response.status_code == 200
        page = text(response)
        for expected in [
            "<h1>Wrexham Community Allotments</h1>",
            "Community allotments with support workers and carers.",
            "<p>Weekly growing sessions.</p>",
            "<p>Tools and seeds provided.</p>",
            "Service provider: delivers services directly.",
            'href="/initiatives/?topic=growing">Green space and growing</a>',
            'href="/initiatives/?population=carers">Carers</a>',
            "Dementia",
            "18 and over",
            'href="/areas/wrexham/">Wrexham</a>',
            "Self-referral",
            "Drop-in",
            "Free",
            "KeyRing Living Support Networks",
            "Registered charity",
            "1061197",
            "03213478",
            'href="https://www.keyring.org/allotments" rel="noopener noreferrer"',
            'href="mailto:allotments@keyring.example"',
            'href="tel:01978000000">01978 000000</a>',
            "Last checked on",
            'href="/initiatives/?area=wrexham">Other initiatives in Wrexham</a>',
            'href="/initiatives/?condition=dementia">Other initiatives for Dementia</a>',
        ]:
            assert expected in page, expected
        # No vanguard recorded: the page makes no claim either way.
        assert "<dt>Vanguard</dt>" not in page

    def test_funding_lines_with_their_years_and_dependency_in_words(self, client, reg):
        response = client.get("/initiatives/wrexham-allotments/")
        assert [
            (line["period"], line["funder"], line["share"]) for line in response.context["funding"]
        ] == [
            ("2025-26", "Local authority", "60%"),
            ("2025-26", "NHS", "20.5%"),
            # Older lines stay, with their year; the band comes from the latest year.
            ("2020-21", "National Lottery", "10%"),
        ]
        page = text(response)
        assert "Dependent: its largest funder gives between half and three quarters" in page
        assert "The NHS gave 20.5% of its income in the latest year whose shares are known." in page

    def test_rare_condition_vanguard_and_stale_check_notice(self, client, reg):
        page = text(client.get("/initiatives/oldham-arts/"))
        assert 'Huntington&#x27;s disease <span class="tag tag--rare">rare</span>' in page
        assert "Better Care Together</a> vanguard site (integrated primary and acute care" in page
        assert "one of the six &ldquo;health as a social movement&rdquo; sites" in page
        assert "This record was last checked more than 12 months ago" in page
        assert "Highly dependent" in page

    def test_recently_checked_record_has_no_notice(self, client, reg):
        page = text(client.get("/initiatives/halton-ukulele/"))
        assert "more than 12 months ago" not in page
        assert 'id="review-due"' not in page

    def test_national_initiative_without_organisation_or_contact(self, client, reg):
        page = text(client.get("/initiatives/patient-view/"))
        assert "National: serves the whole of the UK or of a nation." in page
        assert "No contact details recorded." in page
        page = text(client.get("/initiatives/wellbeing-erewash/"))
        assert "Who runs it" not in page

    def test_detail_queries_are_bounded(self, client, reg, django_assert_max_num_queries):
        with django_assert_max_num_queries(MAX_DETAIL_QUERIES):
            response = client.get("/initiatives/wrexham-allotments/")
        assert response.status_code == 200
