from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group
from django.utils import timezone

from initiatives.models import (
    Area,
    Condition,
    FundingDependency,
    FundingLine,
    Initiative,
    Job,
    Organisation,
    PopulationGroup,
    Provider,
    ProviderClaim,
    Suggestion,
    Topic,
    VanguardSite,
)
from tests.admin_forms import NO_INLINE_ROWS
from tests.factories import curators_group

from ..factories import (
    AreaFactory,
    ConditionFactory,
    FundingLineFactory,
    InitiativeFactory,
    OrganisationFactory,
    PopulationGroupFactory,
    TopicFactory,
    VanguardSiteFactory,
)

pytestmark = pytest.mark.django_db

FACTORIES = {
    Area: AreaFactory,
    Condition: ConditionFactory,
    Initiative: InitiativeFactory,
    Organisation: OrganisationFactory,
    PopulationGroup: PopulationGroupFactory,
    Topic: TopicFactory,
    VanguardSite: VanguardSiteFactory,
}
REGISTERED = sorted(
    (model for model in admin.site._registry if model._meta.app_label == "initiatives"),
    key=lambda model: model._meta.model_name,
)


def url(model, view: str = "changelist", *args) -> str:
    from django.urls import reverse

    return reverse(f"admin:initiatives_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def curator(django_user_model):
    # No password: force_login signs in, and hashing one would slow every test.
    user = django_user_model.objects.create_user("curator", is_staff=True)
    user.groups.add(curators_group())
    return user


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser("chief", email="chief@example.org")


@pytest.fixture
def curator_client(client, curator):
    client.force_login(curator)
    return client


def text(response) -> str:
    return response.content.decode()


def change_data(initiative, **fields) -> dict:
    """The few fields an initiative's change form needs, with `fields` typed in."""
    data = {
        "name": initiative.name,
        "slug": initiative.slug,
        "organisation": initiative.organisation_id,
        "role": initiative.role,
        "status": initiative.status,
        "version": initiative.version,
    }
    return data | NO_INLINE_ROWS | fields


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


class TestPagesRender:
    def test_site_header_names_the_curators(self, curator_client):
        response = curator_client.get("/admin/")
        assert response.status_code == 200
        assert "Community Health Directory: curators" in text(response)

    @pytest.mark.parametrize("model", REGISTERED, ids=lambda m: m._meta.model_name)
    def test_changelist_and_add_pages(self, curator_client, model):
        if model in FACTORIES:
            FACTORIES[model].create_batch(2)
        assert curator_client.get(url(model)).status_code == 200
        # Suggestions come from the public form, not from the admin; areas from ONS;
        # jobs from an upload or a bulk action; claims and providers from the claim form.
        added = 403 if model in (Suggestion, Area, Job, Provider, ProviderClaim) else 200
        assert curator_client.get(url(model, "add")).status_code == added

    @pytest.mark.parametrize("model", sorted(FACTORIES, key=lambda m: m._meta.model_name))
    def test_change_page(self, curator_client, model):
        obj = FACTORIES[model]()
        response = curator_client.get(url(model, "change", obj.pk))
        assert response.status_code == 200
        assert str(obj) in text(response)

    def test_initiative_form_is_in_sections_a_curator_recognises(self, curator_client):
        initiative = InitiativeFactory()
        page = text(curator_client.get(url(Initiative, "change", initiative.pk)))
        sections = [
            "What it is",
            "What it does and for whom",
            "Where",
            "How to access (leave a way in unknown when no source says)",
            "Contact and location",
            "Publication and source",
        ]
        positions = [page.index(f">{section}<") for section in sections]
        assert positions == sorted(positions)
        assert str(initiative.uuid) in page

    def test_autocomplete_answers_for_related_records(self, curator_client):
        OrganisationFactory(name="Halton Ukulele Collective")
        response = curator_client.get(
            "/admin/autocomplete/",
            {
                "term": "ukulele",
                "app_label": "initiatives",
                "model_name": "initiative",
                "field_name": "organisation",
            },
        )
        assert response.status_code == 200
        assert [r["text"] for r in response.json()["results"]] == ["Halton Ukulele Collective"]


class TestInitiativeChangelist:
    def test_query_count_does_not_grow_with_rows(
        self, curator_client, django_assert_max_num_queries
    ):
        vanguard = VanguardSiteFactory()
        area, condition = AreaFactory(), ConditionFactory(is_rare=True)

        def make(n):
            for _ in range(n):
                InitiativeFactory(vanguard=vanguard, areas=[area], conditions=[condition])

        make(3)
        with django_assert_max_num_queries(12):
            assert curator_client.get(url(Initiative)).status_code == 200
        make(30)
        with django_assert_max_num_queries(12):
            response = curator_client.get(url(Initiative))
        assert response.status_code == 200
        assert "33 initiatives" in text(response)

    def test_review_due_count_shown_and_filter_works(self, curator_client):
        old = timezone.localdate() - timedelta(days=800)
        InitiativeFactory(name="Stale allotments", last_verified_on=old)
        InitiativeFactory(name="Never checked", last_verified_on=None)
        InitiativeFactory(name="Fresh choir")
        InitiativeFactory(name="Old and archived", last_verified_on=old, status="archived")
        response = curator_client.get(url(Initiative))
        assert "Due for review (2 not archived)" in text(response)

        response = curator_client.get(url(Initiative), {"review_due": "yes"})
        names = {i.name for i in response.context["cl"].result_list}
        assert names == {"Stale allotments", "Never checked", "Old and archived"}
        response = curator_client.get(url(Initiative), {"review_due": "no"})
        assert [i.name for i in response.context["cl"].result_list] == ["Fresh choir"]

    def test_area_filter_includes_areas_within_it(self, curator_client):
        icb = AreaFactory(name="Cheshire and Merseyside ICB", kind=Area.Kind.ICB)
        halton = AreaFactory(name="Halton", parent=icb)
        InitiativeFactory(name="Halton litter pickers", areas=[halton])
        InitiativeFactory(name="Elsewhere", areas=[AreaFactory()])
        response = curator_client.get(url(Initiative), {"area": icb.slug})
        assert [i.name for i in response.context["cl"].result_list] == ["Halton litter pickers"]
        assert "Halton (Local authority)" in text(response)

    def test_rare_condition_and_search(self, curator_client):
        rare = ConditionFactory(name="Huntington's disease", is_rare=True)
        InitiativeFactory(name="Family support", conditions=[rare, ConditionFactory()])
        InitiativeFactory(
            name="Walking group", organisation=OrganisationFactory(name="Wellbeing Erewash")
        )
        response = curator_client.get(url(Initiative), {"rare_condition": "yes"})
        assert [i.name for i in response.context["cl"].result_list] == ["Family support"]
        response = curator_client.get(url(Initiative), {"q": "erewash"})
        assert [i.name for i in response.context["cl"].result_list] == ["Walking group"]

    @pytest.mark.parametrize(
        "params",
        [{"area": "no-such-area"}, {"status": "bogus"}, {"conditions__id__exact": "x"}],
    )
    def test_bad_filter_values_do_not_fail(self, curator_client, params):
        InitiativeFactory()
        response = curator_client.get(url(Initiative), params)
        assert response.status_code in (200, 302)


class TestActions:
    def run(self, client, action, initiatives):
        return client.post(
            url(Initiative),
            {"action": action, "_selected_action": [i.pk for i in initiatives]},
            follow=True,
        )

    def test_publish_counts_only_what_changed(self, curator_client):
        drafts = InitiativeFactory.create_batch(2, status="draft")
        published = InitiativeFactory(status="published")
        response = self.run(curator_client, "publish", [*drafts, published])
        assert "2 initiatives published." in messages_of(response)
        assert "1 initiative already published: left as they were." in messages_of(response)
        assert set(Initiative.objects.values_list("status", flat=True)) == {"published"}

    def test_archive(self, curator_client):
        initiative = InitiativeFactory(status="published")
        response = self.run(curator_client, "archive", [initiative])
        assert "1 initiative archived." in messages_of(response)
        initiative.refresh_from_db()
        assert initiative.status == Initiative.Status.ARCHIVED

    def test_mark_verified_today_records_who(self, curator_client, curator):
        initiatives = InitiativeFactory.create_batch(3, last_verified_on=date(2020, 1, 1))
        response = self.run(curator_client, "mark_verified_today", initiatives[:2])
        assert "2 initiatives marked as verified today." in messages_of(response)
        today = timezone.localdate()
        for initiative in initiatives[:2]:
            initiative.refresh_from_db()
            assert (initiative.last_verified_on, initiative.last_verified_by) == (today, curator)
        initiatives[2].refresh_from_db()
        assert initiatives[2].last_verified_on == date(2020, 1, 1)

    def test_actions_save_each_record(self, curator_client):
        initiative = InitiativeFactory(status="draft")
        before = Initiative.objects.get(pk=initiative.pk).updated_at
        self.run(curator_client, "publish", [initiative])
        assert Initiative.objects.get(pk=initiative.pk).updated_at > before

    def test_editing_the_verified_date_records_who(self, curator_client, curator):
        initiative = InitiativeFactory(last_verified_on=date(2020, 1, 1))
        data = {
            "name": initiative.name,
            "slug": initiative.slug,
            "organisation": initiative.organisation_id,
            "summary": "Still meets on Tuesdays.",
            "description": "",
            "role": "both",
            "cost": "free",
            "min_age": "",
            "max_age": "",
            "website": "keyring.org",
            "email": "",
            "phone": "",
            "address": "",
            "postcode": "wa7 1ab",
            "status": "published",
            "last_verified_on": "2025-03-04",
            "source_note": "Phoned the organiser.",
            "version": initiative.version,
        }
        response = curator_client.post(
            url(Initiative, "change", initiative.pk), data | NO_INLINE_ROWS
        )
        assert response.status_code == 302
        initiative.refresh_from_db()
        assert initiative.last_verified_on == date(2025, 3, 4)
        assert initiative.last_verified_by == curator
        assert initiative.postcode == "WA7 1AB"
        assert initiative.website == "https://keyring.org"

    def test_public_text_like_a_note_to_self_saves_with_a_warning(self, curator_client):
        initiative = InitiativeFactory(summary="Walks.")
        data = change_data(
            initiative,
            summary="Walks on Tuesdays. TODO: check the time.",
            lifecycle="ended",
            started_in="2016",
            ended_in="2019",
            self_referral="true",
            drop_in="false",
            professional_referral="unknown",
            membership="unknown",
            curator_note="Ask whether the Tuesday walk still runs.",
        )
        response = curator_client.post(url(Initiative, "change", initiative.pk), data, follow=True)
        assert (
            "The summary is published but reads like a note to self "
            "(\u201cTODO\u201d, \u201ccheck\u201d). Put notes for curators in the curator "
            "note, which is never published."
        ) in messages_of(response)
        initiative.refresh_from_db()
        assert initiative.summary == "Walks on Tuesdays. TODO: check the time."
        assert initiative.curator_note == "Ask whether the Tuesday walk still runs."
        assert (initiative.lifecycle, initiative.started_in, initiative.ended_in) == (
            "ended",
            2016,
            2019,
        )
        assert [getattr(initiative, name) for name in Initiative.ACCESS_FIELDS] == [
            True,
            None,
            False,
            None,
            None,
        ]

    def test_a_clean_summary_saves_without_a_warning(self, curator_client):
        initiative = InitiativeFactory(summary="Walks.")
        data = change_data(
            initiative,
            summary="Free weekly health walks.",
            curator_note="Source: phoned them; TODO check times.",
        )
        response = curator_client.post(url(Initiative, "change", initiative.pk), data, follow=True)
        assert not [m for m in messages_of(response) if "note to self" in m]


class TestArchiveNotDelete:
    @pytest.mark.parametrize("model", [Initiative, Organisation, Area, VanguardSite])
    def test_curator_cannot_delete(self, curator_client, model):
        obj = FACTORIES[model]()
        assert curator_client.get(url(model, "delete", obj.pk)).status_code == 403
        assert curator_client.post(url(model, "delete", obj.pk), {"post": "yes"}).status_code == 403
        assert model.objects.filter(pk=obj.pk).exists()
        action_form = curator_client.get(url(model)).context["action_form"]
        actions = dict(action_form.fields["action"].choices) if action_form else {}
        assert "delete_selected" not in actions

    def test_curator_sees_archive_but_not_delete(self, curator_client):
        initiative = InitiativeFactory()
        page = text(curator_client.get(url(Initiative)))
        assert "Archive the selected initiatives" in page
        assert "Delete selected" not in page
        assert "deletelink" not in text(
            curator_client.get(url(Initiative, "change", initiative.pk))
        )

    def test_superuser_can_still_delete(self, client, superuser):
        client.force_login(superuser)
        initiative = InitiativeFactory()
        page = text(client.get(url(Initiative)))
        assert "Delete selected" in page
        response = client.post(url(Initiative, "delete", initiative.pk), {"post": "yes"})
        assert response.status_code == 302
        assert not Initiative.objects.filter(pk=initiative.pk).exists()

    def test_curator_may_delete_an_unused_topic(self, curator_client):
        topic = TopicFactory()
        response = curator_client.post(url(Topic, "delete", topic.pk), {"post": "yes"})
        assert response.status_code == 302
        assert not Topic.objects.filter(pk=topic.pk).exists()

    def test_curator_may_not_delete_a_topic_in_use(self, curator_client):
        topic = TopicFactory(name="Arts and health")
        InitiativeFactory(name="Oldham arts on prescription", topics=[topic])
        response = curator_client.post(url(Topic, "delete", topic.pk), {"post": "yes"})
        assert response.status_code == 200
        assert "Oldham arts on prescription" in text(response)
        assert Topic.objects.filter(pk=topic.pk).exists()

        response = curator_client.post(
            url(Topic), {"action": "delete_selected", "_selected_action": [topic.pk], "post": "yes"}
        )
        assert "Oldham arts on prescription" in text(response)
        assert Topic.objects.filter(pk=topic.pk).exists()

    def test_superuser_may_delete_a_topic_in_use(self, client, superuser):
        client.force_login(superuser)
        topic = TopicFactory()
        InitiativeFactory(topics=[topic])
        response = client.post(url(Topic, "delete", topic.pk), {"post": "yes"})
        assert response.status_code == 302
        assert not Topic.objects.filter(pk=topic.pk).exists()


def organisation_data(organisation, lines: list[dict], initial: int) -> dict:
    """The organisation change form as a browser would post it, with funding line rows."""
    data = {
        "name": organisation.name,
        "slug": organisation.slug,
        "legal_form": organisation.legal_form,
        "charity_number": "",
        "company_number": "",
        "website": "",
        "annual_income_band": "",
        "members": "",
        "volunteers": "",
        "paid_staff": "",
        "source_note": "",
        # The versions the form was opened at (the stored ones unless a test says otherwise).
        "version": organisation.version,
        "funding_lines-TOTAL_FORMS": str(len(lines)),
        "funding_lines-INITIAL_FORMS": str(initial),
        "funding_lines-MIN_NUM_FORMS": "0",
        "funding_lines-MAX_NUM_FORMS": "1000",
        "_continue": "Save and continue editing",
    }
    for n, line in enumerate(lines):
        row = {
            "id": "",
            "organisation": organisation.pk or "",
            "year": "2025",
            "funder_type": "nhs",
            "funder_name": "",
            "source_note": "",
        } | line
        if row["id"] and "version" not in row:
            row["version"] = FundingLine.objects.get(pk=row["id"]).version
        if row.pop("DELETE", False):
            row["DELETE"] = "on"
        data.update({f"funding_lines-{n}-{key}": value for key, value in row.items()})
    return data


class TestFundingInline:
    def test_refuses_shares_over_100_for_one_year(self, curator_client):
        organisation = OrganisationFactory()
        data = organisation_data(
            organisation,
            [
                {"funder_type": "nhs", "share": "70"},
                {"funder_type": "national_lottery", "share": "50"},
                {"funder_type": "nhs", "share": "90", "year": "2024"},
            ],
            initial=0,
        )
        response = curator_client.post(url(Organisation, "change", organisation.pk), data)
        assert response.status_code == 200
        assert (
            "The shares for 2025 add up to 120%. The shares of one year can add up to at most "
            "100%: lower a 2025 share or delete a line." in text(response)
        )
        assert "2024 add up" not in text(response)
        assert not FundingLine.objects.exists()

    def test_saving_lines_shows_the_derived_band(self, curator_client):
        organisation = OrganisationFactory()
        data = organisation_data(
            organisation,
            [
                {"funder_type": "nhs", "share": "80"},
                {"funder_type": "trading_income", "share": "20"},
            ],
            initial=0,
        )
        response = curator_client.post(
            url(Organisation, "change", organisation.pk), data, follow=True
        )
        assert response.status_code == 200
        page = text(response)
        assert "Highly dependent (largest funder 75% or more)" in page
        assert "80%" in page
        organisation.refresh_from_db()
        assert organisation.funding_dependency == FundingDependency.HIGHLY_DEPENDENT
        assert organisation.nhs_share == Decimal("80")

    def test_moving_share_between_lines_in_one_save_is_accepted(self, curator_client):
        organisation = OrganisationFactory()
        nhs = FundingLineFactory(organisation=organisation, funder_type="nhs", share=60)
        lottery = FundingLineFactory(
            organisation=organisation, funder_type="national_lottery", share=40
        )
        initiative = InitiativeFactory(organisation=organisation)
        data = organisation_data(
            organisation,
            [
                {"id": nhs.pk, "funder_type": "nhs", "share": "30"},
                {"id": lottery.pk, "funder_type": "national_lottery", "share": "70"},
            ],
            initial=2,
        )
        response = curator_client.post(url(Organisation, "change", organisation.pk), data)
        assert response.status_code == 302, response.context["errors"]
        organisation.refresh_from_db()
        assert organisation.largest_funder_share == Decimal("70")
        assert organisation.nhs_share == Decimal("30")
        assert organisation.funding_dependency == FundingDependency.DEPENDENT
        initiative.refresh_from_db()
        assert initiative.funding_dependency == FundingDependency.DEPENDENT

    def test_deleting_a_line_in_the_inline_updates_the_figures(self, curator_client):
        organisation = OrganisationFactory()
        nhs = FundingLineFactory(organisation=organisation, funder_type="nhs", share=80)
        other = FundingLineFactory(organisation=organisation, funder_type="corporate", share=10)
        data = organisation_data(
            organisation,
            [
                {"id": nhs.pk, "funder_type": "nhs", "share": "80", "DELETE": True},
                {"id": other.pk, "funder_type": "corporate", "share": "10"},
            ],
            initial=2,
        )
        response = curator_client.post(
            url(Organisation, "change", organisation.pk), data, follow=True
        )
        assert "Diverse (no funder gives 25% or more)" in text(response)
        organisation.refresh_from_db()
        # 10% of its income is accounted for: the NHS share of the rest is not known.
        assert (organisation.largest_funder_share, organisation.nhs_share) == (10, None)

    def test_adding_an_organisation_with_lines(self, curator_client):
        data = organisation_data(
            Organisation(name="KeyRing Wrexham", slug="", legal_form="registered_charity"),
            [{"funder_type": "local_authority", "share": "55"}],
            initial=0,
        )
        response = curator_client.post(url(Organisation, "add"), data)
        assert response.status_code == 302
        organisation = Organisation.objects.get(name="KeyRing Wrexham")
        assert organisation.funding_dependency == FundingDependency.DEPENDENT
        assert organisation.funding_figures()["largest_funder_share"] == Decimal("55")


def test_curator_group_permissions():
    codenames = set(
        Group.objects.get(name="Curator").permissions.values_list("codename", flat=True)
    )
    for model in ["initiative", "organisation", "area", "vanguardsite"]:
        assert {f"add_{model}", f"change_{model}", f"view_{model}"} <= codenames
        assert f"delete_{model}" not in codenames
    assert {"delete_fundingline", "delete_topic", "delete_condition"} <= codenames


class TestAreaLoops:
    """Areas are a tree with a few extra links: the admin refuses any that would loop."""

    def post(self, client, area, **changes):
        from django.forms.models import model_to_dict

        data = {
            key: ("" if value is None else value)
            for key, value in model_to_dict(area).items()
            if key in ("name", "slug", "kind", "code", "ods_code", "parent", "source_note")
        }
        data["other_parents"] = [a.pk for a in area.other_parents.all()]
        data.update(changes)
        return client.post(url(Area, "change", area.pk), data)

    @pytest.fixture
    def chain(self):
        region = AreaFactory(name="North West", kind="nhs_region")
        icb = AreaFactory(name="Cheshire and Merseyside", kind="icb", parent=region)
        district = AreaFactory(name="Halton", kind="local_authority", parent=icb)
        return region, icb, district

    def test_an_other_parent_below_the_area_is_refused_naming_the_areas(
        self, client, superuser, chain
    ):
        client.force_login(superuser)
        region, icb, district = chain
        response = self.post(client, region, other_parents=[district.pk])
        assert response.status_code == 200
        [message] = response.context["adminform"].form.errors["other_parents"]
        assert message == (
            "Halton already lies within North West (North West > Cheshire and Merseyside > "
            "Halton), so North West cannot also lie in Halton: areas cannot loop."
        )
        assert "Halton already lies within North West" in text(response)
        assert not region.other_parents.exists()

    def test_a_parent_below_the_area_is_refused(self, client, superuser, chain):
        client.force_login(superuser)
        region, icb, _district = chain
        response = self.post(client, region, parent=icb.pk)
        assert "Cheshire and Merseyside already lies within North West" in " ".join(
            response.context["adminform"].form.errors["parent"]
        )
        region.refresh_from_db()
        assert region.parent_id is None

    def test_an_area_cannot_be_its_own_parent(self, client, superuser, chain):
        client.force_login(superuser)
        _region, icb, _district = chain
        response = self.post(client, icb, other_parents=[icb.pk])
        assert response.context["adminform"].form.errors["other_parents"] == [
            "Cheshire and Merseyside cannot lie inside itself."
        ]

    def test_a_split_district_may_lie_in_a_second_icb(self, client, superuser, chain):
        client.force_login(superuser)
        region, _icb, district = chain
        other = AreaFactory(name="Greater Manchester", kind="icb", parent=region)
        response = self.post(client, district, other_parents=[other.pk])
        assert response.status_code == 302
        assert list(district.other_parents.all()) == [other]
