"""Unknown is not a value: the model can hold "not recorded", the migration gives back
the unknowns that defaults had filled in, and a note to self is spotted in public text."""

import importlib
from decimal import Decimal

import pytest
from django.apps import apps
from django.core.exceptions import ValidationError

from initiatives.models import FundingLine, Initiative
from initiatives.validators import note_to_self_warning, notes_to_self

from ..factories import FundingLineFactory, InitiativeFactory, OrganisationFactory

pytestmark = pytest.mark.django_db

migration = importlib.import_module("initiatives.migrations.0009_unknown_values_lifecycle")
# The four ways in that 0009 knew (the waiting list came later).
ACCESS = migration.ACCESS_FIELDS


class TestLifecycle:
    def test_a_new_record_has_no_lifecycle_and_no_ways_in_recorded(self):
        initiative = InitiativeFactory()
        initiative.refresh_from_db()
        assert initiative.lifecycle == ""
        assert [getattr(initiative, name) for name in Initiative.ACCESS_FIELDS] == [None] * 5
        assert not initiative.access_recorded

    @pytest.mark.parametrize(
        ("lifecycle", "started", "ended", "message"),
        [
            ("running", None, 2019, "A year ended is only for an initiative that has ended."),
            ("", None, 2019, "A year ended is only for an initiative that has ended."),
            ("ended", 2019, 2016, "The year ended must not be before the year started."),
        ],
    )
    def test_years_that_contradict_the_lifecycle_are_refused(
        self, lifecycle, started, ended, message
    ):
        initiative = InitiativeFactory.build(
            organisation=None, lifecycle=lifecycle, started_in=started, ended_in=ended
        )
        with pytest.raises(ValidationError) as caught:
            initiative.full_clean()
        assert caught.value.message_dict["ended_in"] == [message]

    def test_ended_initiatives_are_left_out_of_current(self):
        InitiativeFactory(name="Running", lifecycle="running")
        InitiativeFactory(name="Unrecorded")
        InitiativeFactory(name="Ended", lifecycle="ended", started_in=2016, ended_in=2019)
        current = Initiative.objects.current().values_list("name", flat=True)
        assert sorted(current) == ["Running", "Unrecorded"]
        assert list(Initiative.objects.ended().values_list("name", flat=True)) == ["Ended"]


class TestNhsShare:
    def test_no_nhs_line_is_zero_only_when_the_lines_account_for_all_income(self):
        whole = OrganisationFactory()
        FundingLineFactory(organisation=whole, funder_type="national_lottery", share=60)
        FundingLineFactory(organisation=whole, funder_type="corporate", share=40)
        part = OrganisationFactory()
        FundingLineFactory(organisation=part, funder_type="national_lottery", share=60)
        initiative = InitiativeFactory(organisation=part)
        whole.refresh_from_db()
        part.refresh_from_db()
        initiative.refresh_from_db()
        assert whole.nhs_share == Decimal("0")
        assert (part.nhs_share, initiative.nhs_share) == (None, None)
        assert part.largest_funder_share == Decimal("60")


class TestMigration:
    """The data step of 0009, run on rows as a database built before it would hold them."""

    def test_all_four_ways_in_no_become_not_recorded_and_a_ticked_record_keeps_its_no(self):
        defaulted = InitiativeFactory(**dict.fromkeys(ACCESS, False))
        ticked = InitiativeFactory(
            self_referral=True, professional_referral=False, drop_in=False, membership=False
        )
        migration.unknowns_back(apps, None)
        defaulted.refresh_from_db()
        ticked.refresh_from_db()
        assert [getattr(defaulted, name) for name in ACCESS] == [None] * 4
        assert [getattr(ticked, name) for name in ACCESS] == [True, False, False, False]

    def test_an_invented_zero_nhs_share_becomes_not_recorded(self):
        part = OrganisationFactory()
        FundingLineFactory(organisation=part, funder_type="national_lottery", share=60)
        whole = OrganisationFactory()
        FundingLineFactory(organisation=whole, funder_type="national_lottery", share=100)
        initiative = InitiativeFactory(organisation=part)
        # What the code before 0009 stored: 0% whenever no line came from the NHS.
        for organisation in (part, whole):
            type(organisation).objects.filter(pk=organisation.pk).update(nhs_share=0)
        Initiative.objects.filter(pk=initiative.pk).update(nhs_share=0)
        migration.unknowns_back(apps, None)
        part.refresh_from_db()
        whole.refresh_from_db()
        initiative.refresh_from_db()
        assert (part.nhs_share, initiative.nhs_share) == (None, None)
        assert whole.nhs_share == Decimal("0")
        assert FundingLine.objects.count() == 2

    def test_going_back_makes_unknown_ways_in_no_again(self):
        initiative = InitiativeFactory(drop_in=True)
        migration.unknown_access_to_no(apps, None)
        initiative.refresh_from_db()
        assert [getattr(initiative, name) for name in ACCESS] == [False, False, True, False]


class TestNotesToSelf:
    @pytest.mark.parametrize(
        ("text", "found"),
        [
            (
                "Allotment work not confirmed in stored sources.",
                ["not confirmed", "stored sources"],
            ),
            ("TODO: add opening hours", ["TODO"]),
            ("Check the phone number", ["Check"]),
            ("Source: their 2021 accounts", ["Source"]),
            ("Free weekly walks for anyone, led by volunteers.", []),
            ("Free NHS health checks at the library.", []),
        ],
    )
    def test_phrases_that_read_like_a_note_to_self(self, text, found):
        assert notes_to_self(text) == found

    def test_the_warning_names_the_field_the_phrases_and_where_notes_go(self):
        assert note_to_self_warning("summary", "Walks. TODO") == (
            "The summary is published but reads like a note to self (\u201cTODO\u201d). "
            "Put notes for curators in the curator note, which is never published."
        )
        assert note_to_self_warning("summary", "Walks for everyone.") is None
