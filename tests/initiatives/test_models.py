from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from initiatives.models import FundingDependency, FundingLine, Initiative

from ..factories import FundingLineFactory, InitiativeFactory, OrganisationFactory

pytestmark = pytest.mark.django_db


def messages(exc: ValidationError, field: str) -> str:
    return " ".join(exc.message_dict[field])


class TestPostcode:
    @pytest.mark.parametrize(
        ("entered", "stored"),
        [("wa7 1ab", "WA7 1AB"), ("WA71AB", "WA7 1AB"), (" sw1a  1aa ", "SW1A 1AA")],
    )
    def test_normalised_to_upper_case_with_one_space(self, entered, stored):
        initiative = InitiativeFactory.build(postcode=entered, organisation=None)
        initiative.full_clean()
        assert initiative.postcode == stored

    @pytest.mark.parametrize("bad", ["HELLO", "SW1A", "12345", "WA7 1ABC"])
    def test_rejects_what_is_not_a_postcode(self, bad):
        initiative = InitiativeFactory.build(postcode=bad, organisation=None)
        with pytest.raises(ValidationError) as exc:
            initiative.full_clean()
        assert "Enter a UK postcode, like WA7 1AB." in messages(exc.value, "postcode")


class TestRegistrationNumbers:
    @pytest.mark.parametrize("good", ["1054234", "SC012345", "sc 012345", "NIC100002", "224343"])
    def test_accepts_charity_numbers_of_each_register(self, good):
        OrganisationFactory.build(charity_number=good).full_clean()

    @pytest.mark.parametrize("bad", ["12345", "SC12", "charity", "NI12345"])
    def test_rejects_malformed_charity_numbers(self, bad):
        with pytest.raises(ValidationError) as exc:
            OrganisationFactory.build(charity_number=bad).full_clean()
        assert "Enter a charity number" in messages(exc.value, "charity_number")

    @pytest.mark.parametrize("good", ["03176431", "SC158165", "OC123456"])
    def test_accepts_company_numbers(self, good):
        OrganisationFactory.build(company_number=good).full_clean()

    @pytest.mark.parametrize("bad", ["3176431", "ABC", "SC1581"])
    def test_rejects_company_numbers_not_8_characters(self, bad):
        with pytest.raises(ValidationError) as exc:
            OrganisationFactory.build(company_number=bad).full_clean()
        assert "8 characters" in messages(exc.value, "company_number")


class TestAges:
    def test_minimum_above_maximum_is_refused(self):
        initiative = InitiativeFactory.build(min_age=30, max_age=18, organisation=None)
        with pytest.raises(ValidationError) as exc:
            initiative.full_clean()
        assert "minimum age must not be above the maximum" in messages(exc.value, "min_age")

    def test_ages_above_120_are_refused(self):
        initiative = InitiativeFactory.build(max_age=121, organisation=None)
        with pytest.raises(ValidationError) as exc:
            initiative.full_clean()
        assert "max_age" in exc.value.message_dict


class TestSlugsAndUuid:
    def test_slugs_are_generated_and_unique(self):
        first = InitiativeFactory(name="Men's Shed")
        second = InitiativeFactory(name="Men's Shed")
        assert first.slug == "mens-shed"
        assert second.slug == "mens-shed-2"

    def test_uuid_is_generated_and_kept_on_save(self):
        initiative = InitiativeFactory()
        original = initiative.uuid
        initiative.name = "Renamed"
        initiative.save()
        initiative.refresh_from_db()
        assert initiative.uuid == original
        assert "uuid" not in [f.name for f in Initiative._meta.get_fields() if f.editable]


class TestFunding:
    def test_share_above_100_is_refused(self):
        line = FundingLineFactory.build(organisation=OrganisationFactory(), share=Decimal("101"))
        with pytest.raises(ValidationError) as exc:
            line.full_clean()
        assert "share" in exc.value.message_dict

    def test_shares_of_one_year_sum_to_at_most_100(self):
        organisation = OrganisationFactory()
        FundingLineFactory(organisation=organisation, share=Decimal("70"), year=2024)
        line = FundingLineFactory.build(organisation=organisation, share=Decimal("40"), year=2024)
        with pytest.raises(ValidationError) as exc:
            line.full_clean()
        assert "add up to at most 100%" in messages(exc.value, "share")
        # Another year is counted on its own.
        FundingLineFactory.build(
            organisation=organisation, share=Decimal("40"), year=2023
        ).full_clean()

    @pytest.mark.parametrize(
        ("shares", "band"),
        [
            ([20, 20, 20], FundingDependency.DIVERSE),
            ([25, 10], FundingDependency.MODERATE),
            ([50, 10], FundingDependency.DEPENDENT),
            ([75, 25], FundingDependency.HIGHLY_DEPENDENT),
        ],
    )
    def test_band_follows_the_largest_share(self, shares, band):
        organisation = OrganisationFactory()
        for share in shares:
            FundingLineFactory(
                organisation=organisation, share=Decimal(share), funder_type="trading_income"
            )
        organisation.refresh_from_db()
        assert organisation.funding_dependency == band
        assert organisation.largest_funder_share == Decimal(max(shares))

    def test_figures_follow_lines_as_they_change_and_reach_initiatives(self):
        organisation = OrganisationFactory()
        initiative = InitiativeFactory(organisation=organisation)
        assert initiative.funding_dependency == FundingDependency.UNKNOWN
        nhs = FundingLineFactory(organisation=organisation, funder_type="nhs", share=Decimal("80"))
        FundingLineFactory(
            organisation=organisation, funder_type="national_lottery", share=Decimal("15")
        )
        initiative.refresh_from_db()
        organisation.refresh_from_db()
        assert organisation.nhs_share == Decimal("80")
        assert initiative.funding_dependency == FundingDependency.HIGHLY_DEPENDENT
        assert initiative.largest_funder_share == Decimal("80")

        nhs.share = Decimal("30")
        nhs.save()
        initiative.refresh_from_db()
        assert initiative.funding_dependency == FundingDependency.MODERATE
        assert initiative.nhs_share == Decimal("30")

        for line in FundingLine.objects.filter(organisation=organisation):
            line.delete()
        initiative.refresh_from_db()
        assert initiative.funding_dependency == FundingDependency.UNKNOWN
        assert initiative.largest_funder_share is None

    def test_latest_year_counts(self):
        organisation = OrganisationFactory()
        FundingLineFactory(organisation=organisation, share=Decimal("90"), year=2022)
        FundingLineFactory(organisation=organisation, share=Decimal("10"), year=2025)
        organisation.refresh_from_db()
        assert organisation.funding_year == 2025
        assert organisation.funding_dependency == FundingDependency.DIVERSE


class TestPublished:
    def test_only_published_records_are_public(self):
        shown = InitiativeFactory(status="published")
        InitiativeFactory(status="draft")
        InitiativeFactory(status="archived")
        assert list(Initiative.objects.published()) == [shown]
