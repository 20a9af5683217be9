"""The seed files and `manage.py load_seeds`: what they load, and that loading is safe."""

import csv
import io
import shutil
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from initiatives.models import (
    Area,
    Condition,
    Contact,
    FundingDependency,
    FundingLine,
    Initiative,
    OpeningTime,
    Organisation,
    PopulationGroup,
    Topic,
    VanguardSite,
)
from initiatives.validators import notes_to_self

from .seeding import SEEDS, load

pytestmark = pytest.mark.django_db

ROLE_ERROR = '"servce_provider" is not one of service_provider, campaigning, both.'


def snapshot() -> dict:
    """Every row the loader writes, with its timestamps, in a comparable form."""
    tables = [
        Area,
        Area.other_parents.through,
        Condition,
        Topic,
        PopulationGroup,
        VanguardSite,
        VanguardSite.areas.through,
        Organisation,
        FundingLine,
        Initiative,
        Initiative.areas.through,
        Initiative.topics.through,
        Initiative.conditions.through,
        Initiative.population_groups.through,
    ]
    return {model._meta.label: list(model.objects.order_by("pk").values()) for model in tables}


def read_rows(path: Path) -> tuple[list[str], list[dict]]:
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames), list(reader)


def write_rows(path: Path, header: list[str], rows: list[dict]) -> None:
    with open(path, "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=header, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def edit_cell(directory: Path, stem: str, slug: str, column: str, value: str) -> int:
    """Change one cell of the row with this slug; returns the row number a spreadsheet shows."""
    path = directory / f"{stem}.csv"
    header, rows = read_rows(path)
    for index, row in enumerate(rows):
        if row["slug"] == slug:
            row[column] = value
            write_rows(path, header, rows)
            return index + 2
    raise AssertionError(f"{slug} not in {path}")


@pytest.fixture
def seed_copy(tmp_path) -> Path:
    directory = tmp_path / "seeds"
    shutil.copytree(SEEDS, directory)
    return directory


@pytest.mark.usefixtures("loaded")
class TestWhatIsLoaded:
    def test_the_four_nations_and_every_area_below_them(self):
        kinds = Area.Kind
        assert set(Area.objects.filter(kind=kinds.NATION).values_list("code", flat=True)) == {
            "E92000001",
            "W92000004",
            "S92000003",
            "N92000002",
        }
        assert Area.objects.filter(kind=kinds.NHS_REGION, parent__slug="england").count() == 7
        assert Area.objects.filter(kind=kinds.ICB, parent__kind=kinds.NHS_REGION).count() == 42
        districts = Area.objects.filter(kind=kinds.LOCAL_AUTHORITY)
        assert districts.filter(code__startswith="E", parent__kind=kinds.ICB).count() == 296
        assert (
            districts.filter(code__startswith="W06", parent__kind=kinds.HEALTH_BOARD).count() == 22
        )
        assert (
            districts.filter(code__startswith="S12", parent__kind=kinds.HEALTH_BOARD).count() == 32
        )
        assert districts.filter(code__startswith="N09", parent__kind=kinds.HSC_TRUST).count() == 11
        boards = Area.objects.filter(kind=kinds.HEALTH_BOARD)
        assert boards.filter(parent__slug="scotland").count() == 14
        assert boards.filter(parent__slug="wales").count() == 7
        assert (
            Area.objects.filter(kind=kinds.HSC_TRUST, parent__slug="northern-ireland").count() == 5
        )
        # Nothing else sits directly under a devolved nation.
        nations = ["wales", "scotland", "northern-ireland"]
        assert not districts.filter(parent__slug__in=nations).exists()
        assert Area.objects.count() == 4 + 7 + 42 + 296 + (7 + 22) + (14 + 32) + (5 + 11)

    def test_halton_lies_in_cheshire_and_merseyside_in_the_north_west(self):
        halton = Area.objects.get(slug="halton")
        assert halton.code == "E06000006"
        assert halton.parent.slug == "nhs-cheshire-and-merseyside-icb"
        assert halton.parent.ods_code == "QYG"
        assert halton.parent.parent.name == "North West"
        assert halton.parent.parent.parent.name == "England"

    def test_a_split_district_is_found_under_each_of_its_icbs(self):
        north_yorkshire = Area.objects.get(slug="north-yorkshire")
        icbs = [
            "nhs-humber-and-north-yorkshire-icb",
            "nhs-west-yorkshire-icb",
            "nhs-lancashire-and-south-cumbria-icb",
        ]
        for slug in icbs:
            icb = Area.objects.get(slug=slug)
            assert north_yorkshire.pk in Area.objects.descendant_ids(icb), slug
        assert north_yorkshire.parent.slug == icbs[0]
        split = Area.objects.filter(other_parents__isnull=False).distinct()
        assert split.filter(code__startswith="E").count() == 13
        assert split.count() == 13 + 5  # and five Northern Irish districts

    def test_scotland_has_fourteen_health_boards_above_its_thirty_two_council_areas(self):
        scotland = Area.objects.get(slug="scotland")
        boards = Area.objects.filter(parent=scotland)
        assert boards.count() == 14
        assert set(boards.values_list("kind", flat=True)) == {Area.Kind.HEALTH_BOARD}
        councils = Area.objects.filter(parent__in=boards)
        assert councils.count() == 32
        assert set(councils.values_list("kind", flat=True)) == {Area.Kind.LOCAL_AUTHORITY}
        assert all(code.startswith("S12") for code in councils.values_list("code", flat=True))
        assert set(councils.values_list("pk", flat=True)) < Area.objects.descendant_ids(scotland)
        glasgow = Area.objects.get(slug="glasgow-city")
        assert (glasgow.code, glasgow.parent.name) == ("S12000049", "NHS Greater Glasgow and Clyde")
        assert glasgow.parent.code == "S08000031"
        assert Area.objects.get(slug="highland").parent.name == "NHS Highland"

    def test_wales_has_seven_health_boards_above_its_twenty_two_councils(self):
        wales = Area.objects.get(slug="wales")
        boards = Area.objects.filter(parent=wales)
        assert boards.count() == 7
        assert set(boards.values_list("kind", flat=True)) == {Area.Kind.HEALTH_BOARD}
        assert set(boards.values_list("ods_code", flat=True)) == {f"7A{n}" for n in range(1, 8)}
        councils = Area.objects.filter(parent__in=boards)
        assert councils.count() == 22
        assert all(code.startswith("W06") for code in councils.values_list("code", flat=True))
        wrexham = Area.objects.get(slug="wrexham")
        assert wrexham.parent.name == "Betsi Cadwaladr University Health Board"
        assert wrexham.parent.code == "W11000023"
        cardiff = Area.objects.get(slug="cardiff")
        assert cardiff.parent.name == "Cardiff and Vale University Health Board"
        # Each board holds its councils and no more: Powys's board is Powys alone.
        powys_board = Area.objects.get(slug="powys-teaching-health-board")
        assert list(powys_board.children.values_list("slug", flat=True)) == ["powys"]

    def test_northern_ireland_has_five_trusts_and_eleven_districts_five_of_them_split(self):
        northern_ireland = Area.objects.get(slug="northern-ireland")
        trusts = Area.objects.filter(parent=northern_ireland)
        assert set(trusts.values_list("code", "kind")) == {
            (code, Area.Kind.HSC_TRUST) for code in ("BHSCT", "NHSCT", "SEHSCT", "SHSCT", "WHSCT")
        }
        districts = Area.objects.filter(parent__in=trusts)
        assert districts.count() == 11
        assert all(code.startswith("N09") for code in districts.values_list("code", flat=True))
        by_code = {trust.code: trust for trust in trusts}
        # Each split district lies under its larger part and also under its second trust.
        split = {
            "belfast": ("BHSCT", "SEHSCT"),
            "causeway-coast-and-glens": ("NHSCT", "WHSCT"),
            "lisburn-and-castlereagh": ("SEHSCT", "BHSCT"),
            "mid-ulster": ("NHSCT", "SHSCT"),
            "newry-mourne-and-down": ("SHSCT", "SEHSCT"),
        }
        for slug, (parent, other) in split.items():
            district = Area.objects.get(slug=slug)
            assert district.parent.code == parent, slug
            assert [a.code for a in district.other_parents.all()] == [other], slug
            for code in (parent, other):
                assert district.pk in Area.objects.descendant_ids(by_code[code]), (slug, code)
        assert set(
            districts.filter(other_parents__isnull=False).values_list("slug", flat=True)
        ) == set(split)
        derry = Area.objects.get(slug="derry-city-and-strabane")
        assert (derry.parent.code, derry.other_parents.count()) == ("WHSCT", 0)

    def test_every_area_row_names_its_source(self):
        assert not Area.objects.filter(source_note="").exists()
        glasgow = Area.objects.get(slug="glasgow-city")
        assert "Public Health Scotland" in glasgow.source_note
        assert "UA22_LHB22_WA_LU" in Area.objects.get(slug="cardiff").source_note
        assert "162 of 175" in Area.objects.get(slug="belfast").source_note

    def test_initiatives_are_found_under_the_areas_above_them(self):
        cheshire = Area.objects.get(slug="nhs-cheshire-and-merseyside-icb")
        found = set(Initiative.objects.in_area(cheshire).values_list("slug", flat=True))
        assert {"sew-halton", "teeny-treasures", "well-halton"} <= found
        for slug in ("wales", "betsi-cadwaladr-university-health-board"):
            area = Area.objects.get(slug=slug)
            assert "keyring-network-wrexham" in set(
                Initiative.objects.in_area(area).values_list("slug", flat=True)
            ), slug

    def test_fifty_vanguards_six_of_them_social_movement_sites(self):
        assert VanguardSite.objects.count() == 50
        movement = VanguardSite.objects.filter(social_movement_site=True)
        assert movement.count() == 6
        assert set(movement.values_list("slug", flat=True)) >= {
            "royal-free-london",
            "wellbeing-erewash",
            "stockport-together",
            "better-care-together",
        }
        per_model = {
            code: VanguardSite.objects.filter(care_model=code).count()
            for code in VanguardSite.CareModel.values
        }
        assert per_model == {"pacs": 9, "mcp": 14, "ehch": 6, "uec": 8, "acc": 13}
        assert VanguardSite.objects.get(slug="wirral-partners").areas.get().slug == "wirral"

    def test_initiatives_are_published_and_linked(self):
        initiatives = Initiative.objects.all()
        assert initiatives.count() >= 60
        assert Initiative.objects.published().count() == initiatives.count()
        erewash = Initiative.objects.get(slug="wellbeing-erewash-your-life-your-way")
        assert erewash.vanguard.social_movement_site
        assert list(erewash.areas.values_list("slug", flat=True)) == ["erewash"]
        mnd = Initiative.objects.get(slug="mnd-scotland")
        assert mnd.national
        assert mnd.conditions.get().is_rare
        assert Initiative.objects.filter(conditions__is_rare=True).distinct().count() >= 8
        assert not Condition.objects.get(slug="mental-health").is_rare

    def test_every_organisation_and_initiative_passes_validation(self):
        for organisation in Organisation.objects.all():
            organisation.full_clean()
        for initiative in Initiative.objects.all():
            initiative.full_clean()
            assert len(initiative.summary) <= 300

    def test_registration_numbers_only_as_sourced(self):
        keyring = Organisation.objects.get(slug="keyring-living-support-networks")
        assert (keyring.charity_number, keyring.company_number) == ("1054234", "03176431")
        food_train = Organisation.objects.get(slug="the-food-train-limited")
        assert food_train.charity_number == ""
        assert food_train.company_number == "SC158165"
        assert "24843" in food_train.source_note

    def test_public_text_holds_no_notes_to_self(self):
        for initiative in Initiative.objects.all():
            assert notes_to_self(initiative.summary) == [], initiative.slug
        keyring = Initiative.objects.get(slug="keyring-network-wrexham")
        assert "community allotments project" in keyring.summary
        assert "conference write-up, 18 April 2011" in keyring.source_note
        assert "Caia Community Gardens" in keyring.curator_note
        # Allotments find it through what is published, and the note finds nothing.
        found = set(
            Initiative.objects.published().search("allotments").values_list("slug", flat=True)
        )
        assert "keyring-network-wrexham" in found
        assert (
            not Initiative.objects.published()
            .search("Caia KeyRing")
            .filter(slug="keyring-network-wrexham")
        )

    def test_the_halton_social_enterprises_are_recorded_with_what_is_missing_left_empty(self):
        halton = Initiative.objects.get(slug="halton-health-creating-social-enterprises")
        assert "ukulele lessons" in halton.summary and "litter" in halton.summary
        assert list(halton.areas.values_list("slug", flat=True)) == ["halton"]
        assert halton.organisation is None and halton.website == ""
        assert not halton.population_groups.exists()
        assert "On social models of health" in halton.source_note

    def test_the_vanguard_era_pilots_are_ended_and_nothing_is_claimed_running(self):
        assert set(Initiative.objects.ended().values_list("slug", flat=True)) == {
            "buurtzorg-model-community-nursing-pilot-tower-hamlets",
            "wellbeing-erewash-your-life-your-way",
            "better-care-together",
            "stockport-together",
            "health-as-a-social-movement-programme",
        }
        pilot = Initiative.objects.get(slug="buurtzorg-model-community-nursing-pilot-tower-hamlets")
        assert (pilot.started_in, pilot.ended_in) == (2017, 2018)
        assert not Initiative.objects.exclude(lifecycle__in=["", "ended"]).exists()

    def test_initiatives_a_source_places_in_a_town_are_located_at_its_centre(self):
        located = Initiative.objects.exclude(location_precision="")
        assert set(located.values_list("location_precision", flat=True)) == {"town"}
        assert located.count() == 16
        sew = Initiative.objects.get(slug="sew-halton")
        assert (sew.located_in_town, sew.location_district.slug) == ("Runcorn", "halton")
        assert sew.latitude is not None
        shed = Initiative.objects.get(slug="north-belfast-mens-shed")
        assert shed.location_district.code == "N09000003"  # Belfast
        # National, UK-wide and regional records, and areas that are no town: no location.
        for slug in ("patientview", "care-opinion", "well-halton", "better-care-together"):
            unplaced = Initiative.objects.get(slug=slug)
            assert unplaced.latitude is None and unplaced.location_precision == "", slug
        assert not located.filter(national=True).exists()

    def test_an_unknown_town_is_refused_by_row_and_column(self, seed_copy):
        row = edit_cell(seed_copy, "initiatives", "sew-halton", "located_in_town", "Atlantis")
        with pytest.raises(CommandError) as exc:
            load(seed_copy)
        assert f"initiatives.csv, row {row}, column located_in_town: " in str(exc.value)
        assert "Atlantis" in str(exc.value)

    def test_what_no_source_gives_is_left_unrecorded(self):
        for name in Initiative.ACCESS_FIELDS:
            assert not Initiative.objects.filter(**{f"{name}__isnull": False}).exists(), name
        assert not Initiative.objects.exclude(cost="").exists()
        assert not Initiative.objects.filter(min_age__isnull=False).exists()
        assert not Initiative.objects.filter(max_age__isnull=False).exists()
        # Opening times, contacts, languages and accessibility: no source gives them.
        assert not OpeningTime.objects.exists() and not Contact.objects.exists()
        for name in ("by_appointment", "step_free_access", "hearing_loop", "bsl"):
            assert not Initiative.objects.filter(**{f"{name}__isnull": False}).exists(), name
        for name in (
            "phone",
            "email",
            "address",
            "postcode",
            "cost_detail",
            "opening_notes",
            "languages",
            "accessibility_note",
            "self_referral_contact",
            "professional_referral_contact",
            "drop_in_contact",
            "waiting_list_contact",
            "membership_contact",
        ):
            assert not Initiative.objects.exclude(**{name: ""}).exists(), name

    def test_the_websites_the_reference_gives_reach_the_page_csv_and_api(self, client):
        with_website = Initiative.objects.exclude(website="")
        # Half the seeds have a website (36 of 72, as in the reference).
        assert (with_website.count(), Initiative.objects.count()) == (36, 72)
        keyring = Initiative.objects.get(slug="keyring-network-wrexham")
        assert keyring.website == "https://www.keyring.org"
        page = client.get(keyring.get_absolute_url()).content.decode()
        assert '<a href="https://www.keyring.org" rel="noopener noreferrer">' in page
        service = client.get(f"/api/v1/services/{keyring.uuid}").json()
        assert service["url"] == "https://www.keyring.org"
        body = b"".join(client.get("/initiatives/export.csv?q=keyring").streaming_content)
        assert ",https://www.keyring.org," in body.decode("utf-8-sig")
        # One without a website offers to be told how to reach it.
        bare = Initiative.objects.published().filter(website="").first()
        assert (
            "Know how to reach them? Tell us"
            in client.get(bare.get_absolute_url()).content.decode()
        )


class TestRunningAgain:
    def test_a_second_run_changes_nothing(self):
        first = load()
        assert "areas: 440 created, 0 updated, 0 unchanged" in first
        before = snapshot()
        second = load()
        assert snapshot() == before
        assert "areas: 0 created, 0 updated, 440 unchanged" in second
        assert "initiatives: 0 created, 0 updated" in second

    def test_a_register_seeded_before_the_devolved_areas_is_brought_up_to_date(self, seed_copy):
        """The earlier files had Welsh councils straight under Wales, and nothing below
        Scotland or Northern Ireland: loading today's files adds the rest and moves the
        Welsh councils under their boards, keeping every record and link."""
        path = seed_copy / "areas.csv"
        header, rows = read_rows(path)
        devolved_kinds = {"health_board", "hsc_trust"}
        earlier = [
            row
            for row in rows
            if row["kind"] not in devolved_kinds and not row["code"].startswith(("S12", "N09"))
        ]
        for row in earlier:
            if row["code"].startswith("W06"):
                row["parent_slug"] = "wales"
        write_rows(path, header, earlier)
        assert "areas: 371 created" in load(seed_copy)
        wrexham = Area.objects.get(slug="wrexham")
        assert wrexham.parent.slug == "wales"
        keyring = Initiative.objects.get(slug="keyring-network-wrexham")

        output = load()
        assert "areas: 69 created, 22 updated, 349 unchanged" in output
        assert Area.objects.count() == 440
        moved = Area.objects.get(slug="wrexham")
        assert moved.pk == wrexham.pk
        assert moved.parent.slug == "betsi-cadwaladr-university-health-board"
        assert moved.parent.parent.slug == "wales"
        assert list(keyring.areas.values_list("slug", flat=True)) == ["wrexham"]
        board = moved.parent
        assert keyring in Initiative.objects.in_area(board)
        assert "areas: 0 created, 0 updated, 440 unchanged" in load()

    def test_a_changed_cell_updates_only_its_row(self, seed_copy):
        load()
        before = {i.slug: i.updated_at for i in Initiative.objects.all()}
        edit_cell(seed_copy, "initiatives", "sew-halton", "summary", "Sewing in Runcorn.")
        edit_cell(seed_copy, "initiatives", "teeny-treasures", "area_slugs", "halton;runnymede")
        output = load(seed_copy)
        assert f"initiatives: 0 created, 2 updated, {len(before) - 2} unchanged" in output
        assert Initiative.objects.get(slug="sew-halton").summary == "Sewing in Runcorn."
        assert set(
            Initiative.objects.get(slug="teeny-treasures").areas.values_list("slug", flat=True)
        ) == {"halton", "runnymede"}
        after = {i.slug: i.updated_at for i in Initiative.objects.all()}
        moved = {slug for slug in before if after[slug] != before[slug]}
        assert moved == {"sew-halton", "teeny-treasures"}

    def test_funding_lines_set_the_dependency_of_the_organisation_and_its_initiatives(
        self, seed_copy
    ):
        path = seed_copy / "funding_lines.csv"
        header, _rows = read_rows(path)
        line = dict.fromkeys(header, "") | {
            "organisation_slug": "keyring-living-support-networks",
            "financial_year_end": "2022-03-31",
            "funder_type": "local_authority",
            "funder_name": "Wrexham County Borough Council",
            "amount_gbp": "800",
            "share_percent": "80",
            "total_income_gbp": "1000",
            "source": "https://example.org/accounts",
        }
        write_rows(path, header, [line])
        load(seed_copy)
        keyring = Organisation.objects.get(slug="keyring-living-support-networks")
        assert keyring.funding_dependency == FundingDependency.HIGHLY_DEPENDENT
        for initiative in keyring.initiatives.all():
            assert initiative.funding_dependency == FundingDependency.HIGHLY_DEPENDENT
        before = snapshot()
        assert "funding_lines: 0 created, 0 updated, 1 unchanged" in load(seed_copy)
        assert snapshot() == before


class TestBadSeedFiles:
    def test_a_bad_cell_aborts_everything_and_names_file_row_and_column(self, seed_copy):
        load()
        before = snapshot()
        # A valid change early in the load order, then a bad value in the last file.
        edit_cell(seed_copy, "areas", "halton", "name", "Halton Renamed")
        row = edit_cell(seed_copy, "initiatives", "sew-halton", "role", "servce_provider")
        with pytest.raises(CommandError) as exc:
            load(seed_copy)
        assert f"initiatives.csv, row {row}, column role: {ROLE_ERROR}" in str(exc.value)
        assert snapshot() == before
        assert Area.objects.get(slug="halton").name == "Halton"

    def test_a_bad_file_on_an_empty_database_loads_nothing(self, seed_copy):
        edit_cell(seed_copy, "vanguards", "moorfields", "care_model", "hospital")
        with pytest.raises(CommandError) as exc:
            load(seed_copy)
        assert "vanguards.csv, row " in str(exc.value)
        assert "column care_model: " in str(exc.value)
        assert Area.objects.count() == 0
        assert Condition.objects.count() == 0

    def test_every_problem_in_the_file_is_reported(self, seed_copy):
        first = edit_cell(seed_copy, "initiatives", "mind", "area_slugs", "england;atlantis")
        second = edit_cell(seed_copy, "initiatives", "carers-uk", "summary", "x" * 301)
        third = edit_cell(seed_copy, "initiatives", "sickle-cell-society", "national", "maybe")
        with pytest.raises(CommandError) as exc:
            load(seed_copy)
        message = str(exc.value)
        assert (
            f'initiatives.csv, row {first}, column area_slugs: "atlantis" is not the slug of '
            "any area." in message
        )
        assert f"row {second}, column summary: Ensure this value has at most 300" in message
        assert f'row {third}, column national: "maybe" is not one of true, false.' in message

    def test_a_missing_column_is_reported(self, seed_copy):
        path = seed_copy / "conditions.csv"
        header, rows = read_rows(path)
        header.remove("is_rare")
        for row in rows:
            del row["is_rare"]
        write_rows(path, header, rows)
        with pytest.raises(CommandError) as exc:
            load(seed_copy)
        assert "conditions.csv, row 1, column is_rare: missing from the header" in str(exc.value)
        assert Area.objects.count() == 0

    def test_an_invalid_registration_number_is_refused(self, seed_copy):
        row = edit_cell(
            seed_copy, "organisations", "the-food-train-limited", "charity_number", "24843"
        )
        with pytest.raises(CommandError) as exc:
            load(seed_copy)
        assert f"organisations.csv, row {row}, column charity_number: Enter a charity number" in (
            str(exc.value)
        )

    def test_an_other_parent_that_lies_within_the_area_is_refused(self, seed_copy):
        row = edit_cell(seed_copy, "areas", "north-west", "other_parent_slugs", "halton")
        with pytest.raises(CommandError) as exc:
            load(seed_copy)
        assert (
            f"areas.csv, row {row}, column other_parent_slugs: halton already lies within "
            "north-west (north-west > nhs-cheshire-and-merseyside-icb > halton), so north-west "
            "cannot also lie in halton: areas cannot loop."
        ) in str(exc.value)
        assert Area.objects.count() == 0

    def test_a_loop_of_parents_is_refused_on_each_of_its_rows(self, seed_copy):
        row = edit_cell(seed_copy, "areas", "england", "parent_slug", "north-west")
        with pytest.raises(CommandError) as exc:
            load(seed_copy)
        message = str(exc.value)
        assert f"areas.csv, row {row}, column parent_slug: north-west already lies within " in (
            message
        )
        assert "column parent_slug: england already lies within north-west" in message

    def test_a_loop_through_an_area_only_in_the_database_is_refused(self, seed_copy):
        load()
        outpost = Area.objects.create(
            name="Outpost",
            slug="outpost",
            kind="local_authority",
            parent=Area.objects.get(slug="halton"),
        )
        row = edit_cell(seed_copy, "areas", "wales", "other_parent_slugs", "outpost")
        assert load(seed_copy)  # Wales does not contain Outpost: no loop
        Area.objects.filter(pk=outpost.pk).update(parent=Area.objects.get(slug="wrexham"))
        with pytest.raises(CommandError) as exc:
            load(seed_copy)
        assert (
            f"areas.csv, row {row}, column other_parent_slugs: outpost already lies within "
            "wales (wales > betsi-cadwaladr-university-health-board > wrexham > outpost)"
        ) in str(exc.value)
        assert list(Area.objects.get(slug="wales").other_parents.all()) == [outpost]

    def test_a_missing_folder_is_reported(self, tmp_path):
        with pytest.raises(CommandError, match="is not a folder"):
            load(tmp_path / "nowhere")


def test_if_empty_leaves_a_register_with_initiatives_alone(tmp_path):
    """`make run` must not overwrite a curator's edits to seeded records."""
    from io import StringIO

    from initiatives.models import Area

    from ..factories import InitiativeFactory

    InitiativeFactory(name="Edited by a curator")
    out = StringIO()
    call_command("load_seeds", "--if-empty", stdout=out)
    assert "seeds not loaded" in out.getvalue()
    assert not Area.objects.exists()


class TestWarnings:
    def test_public_text_like_a_note_to_self_loads_with_a_warning(self, seed_copy):
        row = edit_cell(
            seed_copy, "initiatives", "sew-halton", "summary", "Sewing group. TODO: check hours."
        )
        out, err = io.StringIO(), io.StringIO()
        call_command("load_seeds", "--dir", str(seed_copy), stdout=out, stderr=err)
        assert (
            Initiative.objects.get(slug="sew-halton").summary == "Sewing group. TODO: check hours."
        )
        assert (
            f"Warning: {seed_copy.name}/initiatives.csv, row {row}, column summary: The summary "
            "is published but reads like a note to self (\u201cTODO\u201d, \u201ccheck\u201d)."
        ) in err.getvalue().replace(str(seed_copy.parent) + "/", "")

    def test_the_shipped_seeds_load_without_warnings(self):
        err = io.StringIO()
        call_command("load_seeds", "--dir", str(SEEDS), stdout=io.StringIO(), stderr=err)
        assert err.getvalue() == ""
