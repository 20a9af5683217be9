"""Bulk import in the export's format: round trips, every problem by row and column,
all or nothing, and files that are broken in every way we could think of."""

import csv
import io
import uuid
from datetime import date, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from initiatives.exports import HEADERS, export_lines
from initiatives.loading.import_rows import MAX_IMPORT_BYTES
from initiatives.loading.imports import import_initiatives
from initiatives.loading.problems import ImportRefused
from initiatives.models import Initiative, Organisation
from tests.directory.test_security import inline_code
from tests.factories import curators_group

from ..factories import (
    AreaFactory,
    ConditionFactory,
    InitiativeFactory,
    OrganisationFactory,
    TopicFactory,
    VanguardSiteFactory,
)

pytestmark = pytest.mark.django_db


def export(queryset=None) -> str:
    """The register's CSV export of the initiatives, as text (KeyRing's row first)."""
    queryset = Initiative.objects.order_by("-name") if queryset is None else queryset
    return "".join(export_lines(queryset.for_export(), base_url="https://example.org"))


def table(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))


def to_csv(rows: list[dict], headers=HEADERS) -> bytes:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=headers, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue().encode()


def problems_of(data: bytes, **kwargs) -> list[str]:
    with pytest.raises(ImportRefused) as refused:
        import_initiatives(data, **kwargs)
    return [str(problem) for problem in refused.value.problems]


@pytest.fixture
def register():
    halton = AreaFactory(name="Halton", code="E06000006")
    wrexham = AreaFactory(name="Wrexham", code="W06000006")
    arts = TopicFactory(name="Arts and health")
    growing = TopicFactory(name="Green space and growing")
    dementia = ConditionFactory(name="Dementia")
    vanguard = VanguardSiteFactory(name="Better Care Together")
    keyring = OrganisationFactory(name="KeyRing", charity_number="1054234", members=40)
    first = InitiativeFactory(
        name="KeyRing allotments",
        organisation=keyring,
        areas=[wrexham],
        topics=[growing],
        conditions=[dementia],
        self_referral=True,
        cost="free",
        min_age=18,
        postcode="LL11 1AA",
        last_verified_on=date(2025, 3, 4),
    )
    second = InitiativeFactory(
        name="Halton ukuleles", areas=[halton], topics=[arts], vanguard=vanguard, max_age=99
    )
    return {
        "halton": halton,
        "wrexham": wrexham,
        "arts": arts,
        "growing": growing,
        "first": first,
        "second": second,
        "keyring": keyring,
    }


class TestRoundTrip:
    def test_an_unchanged_export_imports_as_unchanged(self, register):
        records = Initiative.history.count()
        result = import_initiatives(export().encode(), filename="export.csv")
        assert (result.created, result.updated, result.unchanged) == (0, 0, 2)
        assert Initiative.history.count() == records

    def test_edited_cells_update_their_records(self, register, admin_user):
        rows = table(export())
        rows[0]["Summary"] = "Allotments with support workers and carers."
        rows[0]["Topics"] = "Green space and growing; Arts and health"
        rows[0]["How to access"] = "Self-referral; Drop-in"
        rows[1]["Areas served"] = "Halton; Wrexham"
        rows[1]["Area codes"] = "E06000006; W06000006"
        rows[1]["Vanguard"] = ""
        rows[1]["Maximum age"] = ""
        result = import_initiatives(to_csv(rows), filename="edited.csv", user=admin_user)
        assert (result.created, result.updated, result.unchanged) == (0, 2, 0)

        first, second = register["first"], register["second"]
        first.refresh_from_db()
        second.refresh_from_db()
        assert first.summary == "Allotments with support workers and carers."
        assert set(first.topics.all()) == {register["arts"], register["growing"]}
        assert (first.self_referral, first.drop_in, first.cost) == (True, True, "free")
        assert set(second.areas.all()) == {register["halton"], register["wrexham"]}
        assert (second.vanguard, second.max_age) == (None, None)
        record = first.history.latest()
        assert record.history_change_reason == "Imported from edited.csv"
        assert record.history_user == admin_user
        assert set(record.topics.values_list("topic_id", flat=True)) == {
            register["arts"].pk,
            register["growing"].pk,
        }

    def test_rows_without_a_known_uuid_create_drafts(self, register):
        given = uuid.uuid4()
        rows = [
            {
                "UUID": "",
                "Name": "Oldham arts for health",
                "Role": "Both",
                "Organisation": "KeyRing",
            },
            {
                "UUID": str(given),
                "Name": "Wellbeing Erewash walks",
                "Role": "service_provider",
                "Organisation": "Wellbeing Erewash",
                "Legal form": "Community interest company",
                "Company number": "12345678",
                "Area codes": "E06000006",
                "National": "no",
                "Postcode": "de7 5rp",
                "Website": "wellbeingerewash.example.org",
            },
        ]
        result = import_initiatives(to_csv(rows), filename="new.csv")
        assert (result.created, result.updated, result.organisations_created) == (2, 0, 1)
        oldham = Initiative.objects.get(name="Oldham arts for health")
        assert (oldham.status, oldham.role, oldham.organisation) == (
            "draft",
            "both",
            register["keyring"],
        )
        assert oldham.source_note.startswith("Imported from new.csv")
        walks = Initiative.objects.get(uuid=given)
        assert walks.status == "draft"
        assert (walks.postcode, walks.website) == (
            "DE7 5RP",
            "https://wellbeingerewash.example.org",
        )
        assert list(walks.areas.all()) == [register["halton"]]
        organisation = Organisation.objects.get(name="Wellbeing Erewash")
        assert (organisation.legal_form, organisation.company_number) == ("cic", "12345678")
        assert walks.history.latest().history_type == "+"

    def test_neutralised_formula_cells_come_back_as_they_were(self, register):
        formula = '=HYPERLINK("http://evil.example","Click")'
        Initiative.objects.filter(pk=register["first"].pk).update(
            name=formula, phone="+44 1978 000"
        )
        text = export()
        assert f"'{formula}" in text.replace('""', '"')
        result = import_initiatives(text.encode())
        assert result.unchanged == 2
        register["first"].refresh_from_db()
        assert (register["first"].name, register["first"].phone) == (formula, "+44 1978 000")

    def test_organisation_columns_update_the_organisation(self, register):
        rows = table(export())
        rows[0]["Members"] = "55"
        result = import_initiatives(to_csv(rows))
        assert result.organisations_updated == 1
        register["keyring"].refresh_from_db()
        assert register["keyring"].members == 55
        assert result.updated == 0

    def test_a_dry_run_counts_and_writes_nothing(self, register):
        rows = table(export())
        rows[0]["Summary"] = "Changed."
        rows.append({"UUID": "", "Name": "New one", "Role": "Both"})
        before = list(Initiative.objects.values_list("summary", flat=True))
        result = import_initiatives(to_csv(rows), dry_run=True)
        assert (result.created, result.updated, result.unchanged, result.dry_run) == (1, 1, 1, True)
        assert "nothing was written" in str(result)
        assert list(Initiative.objects.values_list("summary", flat=True)) == before
        assert Initiative.objects.count() == 2

    def test_a_row_whose_record_changed_since_the_export_is_refused(self, register):
        text = export()
        first = register["first"]
        first.summary = "Changed by a curator after the export."
        first.save()
        # A minute after the export (the file's times are to the second).
        Initiative.objects.filter(pk=first.pk).update(
            updated_at=first.updated_at + timedelta(minutes=1)
        )
        rows = table(text)
        rows[0]["Summary"] = "From the old file."
        problems = problems_of(to_csv(rows))
        assert len(problems) == 1
        assert problems[0].startswith("Row 2, Last updated: This initiative was changed")
        first.refresh_from_db()
        assert first.summary == "Changed by a curator after the export."


class TestChangedWhileChecking:
    """The file is checked outside the transaction; what changed meanwhile is refused."""

    @pytest.fixture
    def someone_saves_after_the_check(self, monkeypatch):
        from initiatives.loading import imports

        real = imports.plan_import
        edits = []

        def plan_then_save(*args):
            plan = real(*args)
            for edit in edits:
                edit()
            return plan

        monkeypatch.setattr(imports, "plan_import", plan_then_save)
        return edits

    def test_an_edit_saved_meanwhile_is_kept_and_the_file_refused(
        self, register, someone_saves_after_the_check
    ):
        first = register["first"]

        def curator_saves():
            record = Initiative.objects.get(pk=first.pk)
            record.summary = "A curator's edit."
            record.save()

        someone_saves_after_the_check.append(curator_saves)
        rows = table(export())
        rows[0]["Summary"] = "From the file."
        rows[1]["Summary"] = "Also from the file."
        problems = problems_of(to_csv(rows))
        assert len(problems) == 1
        assert problems[0].startswith(
            "Row 2, UUID: The initiative \u201cKeyRing allotments\u201d was changed in the "
            "register at "
        )
        assert problems[0].endswith(
            " by an import or a script (no one signed in) while the file was being checked. "
            "Importing the row would undo that change, so nothing was imported: upload the "
            "file again."
        )
        first.refresh_from_db()
        register["second"].refresh_from_db()
        assert first.summary == "A curator's edit."
        assert register["second"].summary != "Also from the file."

    def test_an_organisation_changed_meanwhile_is_named(
        self, register, someone_saves_after_the_check
    ):
        keyring = register["keyring"]

        def curator_saves():
            organisation = Organisation.objects.get(pk=keyring.pk)
            organisation.members = 41
            organisation.save()

        someone_saves_after_the_check.append(curator_saves)
        rows = table(export())
        rows[0]["Members"] = "50"
        problems = problems_of(to_csv(rows))
        assert len(problems) == 1
        assert problems[0].startswith(
            "Row 2, Organisation: The organisation \u201cKeyRing\u201d was changed in the register"
        )
        keyring.refresh_from_db()
        assert keyring.members == 41

    def test_a_record_deleted_meanwhile_is_named(self, register, someone_saves_after_the_check):
        second = register["second"]
        someone_saves_after_the_check.append(
            lambda: Initiative.objects.filter(pk=second.pk).delete()
        )
        rows = table(export())
        rows[1]["Summary"] = "From the file."
        problems = problems_of(to_csv(rows))
        assert problems == [
            "Row 3, UUID: The initiative \u201cHalton ukuleles\u201d was deleted from the "
            "register while the file was being checked. Importing the row would undo that "
            "change, so nothing was imported: upload the file again."
        ]


class TestBrokenFiles:
    def test_wrong_headers(self, register):
        data = b"UUID,Nmae,Role,Colour\n,Choir,Both,blue\n"
        problems = problems_of(data)
        assert "Row 1, Nmae: Unknown column." in problems[0]
        assert problems[1].startswith("Row 1, Colour: Unknown column.")
        assert "Missing column: Name." in problems[2]

    def test_a_repeated_column(self, register):
        problems = problems_of(b"UUID,Name,Role,Name\n,Choir,Both,Choir\n")
        assert problems == ["Row 1, Name: This column appears twice: keep one of them."]

    def test_every_problem_by_row_and_column_in_one_go_and_nothing_imported(self, register):
        rows = table(export())
        rows[0]["Postcode"] = "ABC 123"
        rows[0]["Minimum age"] = "-3"
        rows[1]["Area codes"] = "E06000006; E99999999"
        rows[1]["Areas served"] = "Halton"
        rows.append({"UUID": rows[0]["UUID"], "Name": "Copy", "Role": "Both"})
        rows.append({"UUID": "", "Name": "Too old", "Role": "Both", "Maximum age": "121"})
        rows.append(
            {"UUID": "", "Name": "", "Role": "Knitting", "Topics": "Knitting; Arts and health"}
        )
        rows.append({"UUID": "not-a-uuid", "Name": "X", "Role": "Both", "National": "maybe"})
        rows.append({"UUID": "", "Name": "Y", "Role": "Both", "Last verified": "2999-01-01"})
        problems = problems_of(to_csv(rows))
        expected = [
            "Row 2, Minimum age: -3 is out of range: give a whole number between 0 and 120.",
            "Row 2, Postcode: Enter a UK postcode, like WA7 1AB.",
            "Row 3, Area codes: Unknown area code \u201cE99999999\u201d",
            "Row 4, UUID: This UUID is also in row 2",
            "Row 5, Maximum age: 121 is out of range",
            "Row 6, Name: Give the name; it cannot be empty.",
            "Row 6, Role: \u201cKnitting\u201d is not a role",
            "Row 6, Topics: Unknown topics: \u201cKnitting\u201d",
            "Row 7, UUID: \u201cnot-a-uuid\u201d is not a UUID",
            "Row 7, National: \u201cmaybe\u201d is not yes or no.",
            "Row 8, Last verified: 2999-01-01 is in the future.",
        ]
        for text in expected:
            assert any(problem.startswith(text) for problem in problems), (text, problems)
        assert Initiative.objects.count() == 2
        register["first"].refresh_from_db()
        assert register["first"].postcode == "LL11 1AA"

    def test_a_minimum_age_above_the_maximum(self, register):
        rows = table(export())
        rows[0]["Minimum age"] = "70"
        rows[0]["Maximum age"] = "60"
        assert problems_of(to_csv(rows)) == [
            "Row 2, Minimum age: The minimum age (70) is above the maximum age (60)."
        ]

    def test_one_bad_row_at_the_end_stops_the_whole_file(self, register):
        rows = [{"UUID": "", "Name": f"Group {n}", "Role": "Both"} for n in range(200)]
        rows.append({"UUID": "", "Name": "Bad", "Role": "Both", "Postcode": "XX"})
        problems = problems_of(to_csv(rows))
        assert problems == ["Row 202, Postcode: Enter a UK postcode, like WA7 1AB."]
        assert Initiative.objects.count() == 2

    def test_areas_served_must_agree_with_the_codes(self, register):
        rows = table(export())
        rows[0]["Areas served"] = "Halton"
        problems = problems_of(to_csv(rows))
        assert problems[0].startswith("Row 2, Areas served: Areas served does not match")

    def test_not_utf8(self, register):
        data = "UUID,Name,Role\n,Caf\u00e9 club,Both\n".encode("cp1252")
        problems = problems_of(data)
        assert problems[0].startswith("The file is not UTF-8 text (byte 0xe9 on line 2")
        assert "CSV UTF-8" in problems[0]

    @pytest.mark.parametrize("data", [b"", b"\xef\xbb\xbf", b"  \r\n \n"])
    def test_an_empty_file(self, data):
        assert problems_of(data)[0].startswith("The file is empty.")

    def test_a_header_and_no_rows(self, register):
        assert problems_of(to_csv([])) == ["The file has a header row but no initiatives."]

    def test_a_file_over_the_limit_is_refused_before_it_is_read(self, tmp_path):
        big = tmp_path / "big.csv"
        with open(big, "wb") as handle:
            handle.truncate(50 * 1024 * 1024)  # 50 MB, without writing them
        with pytest.raises(
            CommandError, match=r"The file is 50\.0 MB; the import takes at most 20 MB"
        ):
            call_command("import_initiatives", str(big))

    def test_the_function_refuses_oversized_data_too(self):
        problems = problems_of(b"x" * (MAX_IMPORT_BYTES + 1))
        assert problems[0].startswith("The file is 20.0 MB")

    def test_a_cell_too_large_for_csv(self, register):
        data = b'UUID,Name,Role\n,"' + b"x" * 200_000 + b'",Both\n'
        assert problems_of(data)[0].startswith("The file is not a readable CSV file")

    def test_organisations_sharing_a_name_are_told_apart_by_number(self, register):
        OrganisationFactory(name="Wellbeing Trust", charity_number="1000001")
        wanted = OrganisationFactory(name="Wellbeing Trust", charity_number="1000002")
        rows = [
            {"UUID": "", "Name": "A", "Role": "Both", "Organisation": "Wellbeing Trust"},
            {
                "UUID": "",
                "Name": "B",
                "Role": "Both",
                "Organisation": "Wellbeing Trust",
                "Charity number": "1000002",
            },
        ]
        problems = problems_of(to_csv(rows))
        assert problems == [
            "Row 2, Organisation: 2 organisations are called \u201cWellbeing Trust\u201d: give "
            "its charity or company number to say which, or link the initiative in the admin."
        ]
        import_initiatives(to_csv(rows[1:]))
        assert Initiative.objects.get(name="B").organisation == wanted

    def test_rows_of_one_new_organisation_must_agree(self, register):
        rows = [
            {"UUID": "", "Name": "A", "Role": "Both", "Organisation": "New Org", "Members": "5"},
            {"UUID": "", "Name": "B", "Role": "Both", "Organisation": "new org", "Members": "6"},
        ]
        problems = problems_of(to_csv(rows))
        assert problems == [
            "Row 3, Members: Row 2 gives this organisation a different members; the rows of "
            "one organisation must agree."
        ]


class TestCommand:
    def test_dry_run_then_import(self, register, tmp_path, capsys):
        rows = table(export())
        rows[1]["Summary"] = "Ukuleles on Thursdays."
        path = tmp_path / "edited.csv"
        path.write_bytes(to_csv(rows))
        call_command("import_initiatives", str(path), "--dry-run")
        assert "Would create 0 draft initiatives, would update 1, left 1 unchanged" in (
            capsys.readouterr().out
        )
        register["second"].refresh_from_db()
        assert register["second"].summary != "Ukuleles on Thursdays."
        call_command("import_initiatives", str(path))
        assert (
            "Created 0 draft initiatives, updated 1, left 1 unchanged." in capsys.readouterr().out
        )
        register["second"].refresh_from_db()
        assert register["second"].summary == "Ukuleles on Thursdays."

    def test_problems_go_to_stderr_and_the_command_fails(self, register, tmp_path, capsys):
        path = tmp_path / "bad.csv"
        path.write_bytes(to_csv([{"UUID": "", "Name": "X", "Role": "Knitting"}]))
        with pytest.raises(CommandError, match="Nothing was imported: 1 problem in"):
            call_command("import_initiatives", str(path))
        assert "Row 2, Role: \u201cKnitting\u201d is not a role" in capsys.readouterr().err

    def test_a_missing_file(self, tmp_path):
        with pytest.raises(CommandError, match="Cannot read"):
            call_command("import_initiatives", str(tmp_path / "nope.csv"))


@pytest.fixture
def curator_client(client, django_user_model):
    user = django_user_model.objects.create_user("curator", is_staff=True)
    user.groups.add(curators_group())
    client.force_login(user)
    return client


IMPORT_URL = "/admin/initiatives/initiative/import/"


class TestAdminUpload:
    def test_the_page_explains_the_format(self, curator_client):
        assert reverse("admin:initiatives_initiative_import") == IMPORT_URL
        response = curator_client.get(IMPORT_URL)
        assert response.status_code == 200
        body = response.content.decode()
        assert "Import initiatives from a CSV file" in body
        assert "import_initiatives FILE.csv --dry-run" in body
        assert inline_code(body) == []
        changelist = curator_client.get(reverse("admin:initiatives_initiative_changelist"))
        assert f'href="{IMPORT_URL}"' in changelist.content.decode()

    def test_a_good_file_is_imported(self, curator_client, register):
        rows = table(export())
        rows.append({"UUID": "", "Name": "Morecambe Bay walks", "Role": "Both"})
        upload = SimpleUploadedFile("new.csv", to_csv(rows), content_type="text/csv")
        response = curator_client.post(IMPORT_URL, {"file": upload}, follow=True)
        assert "Import of new.csv: Created 1 draft initiative, updated 0, left 2 unchanged." in (
            response.content.decode()
        )
        created = Initiative.objects.get(name="Morecambe Bay walks")
        assert created.history.latest().history_user.username == "curator"

    def test_a_dry_run_shows_what_would_change(self, curator_client, register):
        upload = SimpleUploadedFile("same.csv", export().encode(), content_type="text/csv")
        response = curator_client.post(IMPORT_URL, {"file": upload, "dry_run": "on"})
        assert response.status_code == 200
        assert "Would create 0 draft initiatives, would update 0, left 2 unchanged" in (
            response.content.decode()
        )

    def test_a_bad_file_lists_its_problems(self, curator_client, register):
        rows = [{"UUID": "", "Name": "<script>x</script>", "Role": "Both", "Postcode": "XX"}]
        upload = SimpleUploadedFile("bad.csv", to_csv(rows), content_type="text/csv")
        response = curator_client.post(IMPORT_URL, {"file": upload})
        body = response.content.decode()
        assert response.status_code == 200
        assert "Nothing was imported: 1 problem found." in body
        assert "<td>2</td><td>Postcode</td><td>Enter a UK postcode, like WA7 1AB.</td>" in body
        assert Initiative.objects.count() == 2

    def test_a_file_over_the_limit_is_refused_from_its_announced_size(self, curator_client):
        upload = SimpleUploadedFile("big.csv", b"UUID,Name,Role\n", content_type="text/csv")
        response = curator_client.post(
            IMPORT_URL, {"file": upload}, CONTENT_LENGTH=str(50 * 1024 * 1024)
        )
        assert response.status_code == 413
        assert "The file is 50.0 MB; the import takes at most 20 MB." in response.content.decode()

    def test_the_upload_still_needs_the_csrf_token(self, django_user_model, register):
        from django.test import Client

        client = Client(enforce_csrf_checks=True)
        user = django_user_model.objects.create_user("c2", is_staff=True)
        user.groups.add(curators_group())
        client.force_login(user)
        rows = [{"UUID": "", "Name": "Sneaky", "Role": "Both"}]
        upload = SimpleUploadedFile("x.csv", to_csv(rows), content_type="text/csv")
        assert client.post(IMPORT_URL, {"file": upload}).status_code == 403
        assert not Initiative.objects.filter(name="Sneaky").exists()


PROBLEMS_CSV_URL = "/admin/initiatives/initiative/import/problems.csv"


class TestManyProblems:
    """A file with hundreds of problems, each quoting a huge cell: the page lists the first
    100, shortened, with the total; the CSV download has every one."""

    ROWS = 250
    HUGE = "x" * 20_000

    def upload(self, client, *, header_extra: str = ""):
        rows = [{"UUID": "", "Name": f"Group {n}", "Role": self.HUGE} for n in range(self.ROWS)]
        data = to_csv(rows)
        if header_extra:
            first, rest = data.split(b"\n", 1)
            data = first.rstrip(b"\r") + header_extra.encode() + b"\r\n" + rest
        upload = SimpleUploadedFile("many problems.csv", data, content_type="text/csv")
        return curator_post(client, upload)

    def test_the_page_lists_the_first_hundred_and_counts_them_all(self, curator_client, register):
        response = self.upload(curator_client)
        body = response.content.decode()
        assert response.status_code == 200
        assert f"Nothing was imported: {self.ROWS} problems found." in body
        assert "The first 100 are listed below" in body
        assert body.count("<tr><td>") == 100
        assert f'href="{PROBLEMS_CSV_URL}"' in body
        assert f"all {self.ROWS} problems as CSV" in body
        # Never the file echoed back: 250 cells of 20,000 characters, and a page of 100 KB.
        assert "x" * 1000 not in body
        assert len(body) < 100_000
        assert Initiative.objects.count() == 2

    def download(self, client) -> list[list[str]]:
        response = client.get(PROBLEMS_CSV_URL)
        assert response.status_code == 200
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert 'filename="import-problems-many-problems.csv"' in response["Content-Disposition"]
        rows = list(csv.reader(io.StringIO(response.content.decode().lstrip("\ufeff"))))
        assert rows[0] == ["Row", "Column", "Problem"]
        return rows[1:]

    def test_the_download_has_every_problem(self, curator_client, register):
        self.upload(curator_client)
        rows = self.download(curator_client)
        assert len(rows) == self.ROWS
        assert [row[0] for row in rows] == [str(n) for n in range(2, self.ROWS + 2)]
        assert {row[1] for row in rows} == {"Role"}
        assert all(len(row[2]) <= 500 for row in rows)
        assert all(row[2].endswith("Campaigning group, Both.") for row in rows)

    def test_the_download_cells_cannot_run_as_formulas(self, curator_client, register):
        self.upload(curator_client, header_extra=',"=HYPERLINK(""http://evil.example"")"')
        [row] = self.download(curator_client)
        assert row[:2] == ["1", '\'=HYPERLINK("http://evil.example")']

    def test_a_longer_list_is_kept_up_to_its_cap(self, curator_client, register, monkeypatch):
        from initiatives.curation import imports

        monkeypatch.setattr(imports, "PROBLEMS_KEPT", 10)
        body = self.upload(curator_client).content.decode()
        assert "the first 10 problems as CSV" in body
        rows = list(csv.reader(io.StringIO(curator_client.get(PROBLEMS_CSV_URL).content.decode())))
        assert len(rows) == 1 + 10 + 1
        assert rows[-1][2].startswith(f"... and {self.ROWS - 10} more problems")

    def test_a_good_upload_forgets_the_last_problems(self, curator_client, register):
        self.upload(curator_client)
        upload = SimpleUploadedFile("same.csv", export().encode(), content_type="text/csv")
        curator_post(curator_client, upload)
        response = curator_client.get(PROBLEMS_CSV_URL, follow=True)
        assert response.redirect_chain[-1][0] == IMPORT_URL
        assert "There is no list of problems to download" in response.content.decode()

    def test_the_download_needs_a_curator(self, client, register):
        response = client.get(PROBLEMS_CSV_URL)
        assert response.status_code == 302
        assert "login" in response["Location"]


def curator_post(client, upload):
    return client.post(IMPORT_URL, {"file": upload})


class TestWhatIsNotRecorded:
    def test_lifecycle_and_years_are_read_back(self, register):
        rows = table(export())
        rows[1]["Lifecycle"] = "Ended"
        rows[1]["Year started"] = "2016"
        rows[1]["Year ended"] = "2019"
        import_initiatives(to_csv(rows), filename="ended.csv")
        second = register["second"]
        second.refresh_from_db()
        assert (second.lifecycle, second.started_in, second.ended_in) == ("ended", 2016, 2019)

    def test_a_year_ended_for_a_record_that_has_not_ended_is_refused(self, register):
        rows = table(export())
        rows[1]["Year ended"] = "2019"
        rows[0]["Year started"] = "1066"
        problems = problems_of(to_csv(rows), filename="bad.csv")
        assert "Row 2, Year started: 1066 is out of range: give a whole number between 1900 " in (
            "\n".join(problems)
        )
        assert "Row 3, Year ended: A year ended is only for an initiative that has ended." in (
            problems
        )

    def test_a_way_in_the_file_does_not_list_is_not_made_a_no(self, register):
        rows = table(export())
        assert rows[0]["How to access"] == "Self-referral"
        rows[0]["How to access"] = "Drop-in"
        rows.append(rows[1] | {"UUID": "", "Name": "New group", "How to access": ""})
        import_initiatives(to_csv(rows), filename="access.csv")
        first = register["first"]
        first.refresh_from_db()
        # Self-referral was a yes and is no longer listed: a no. The others stay unrecorded.
        assert [getattr(first, name) for name in Initiative.ACCESS_FIELDS] == [
            False,
            None,
            True,
            None,
            None,
        ]
        new = Initiative.objects.get(name="New group")
        assert [getattr(new, name) for name in Initiative.ACCESS_FIELDS] == [None] * 5


class TestWhatSomeoneNeeds:
    """Phone, email, opening times, cost detail, waiting list, languages, accessibility."""

    def test_the_new_columns_are_read_and_written(self, register):
        rows = table(export())
        rows[0] |= {
            "Phone": "+44 1978 123456",
            "Email": "hello@keyring.example.org",
            "Opening times": "Tue 13:00-15:00; mon 10:00-12:00",
            "Cost in detail": "\u00a33 a session",
            "How to access": "Self-referral; Waiting list",
            "Languages": "English;Welsh",
            "Step-free access": "yes",
            "Hearing loop": "no",
            "BSL": "",
            "Accessibility in detail": "Ramp at the side gate",
            "By appointment only": "no",
            "Opening notes": "Closed on bank holidays",
        }
        result = import_initiatives(to_csv(rows), filename="times.csv")
        assert result.updated == 1
        first = Initiative.objects.get(pk=register["first"].pk)
        assert first.phone == "01978 123456"
        assert first.waiting_list is True
        assert first.languages == "English; Welsh"
        assert (first.step_free_access, first.hearing_loop, first.bsl) == (True, False, None)
        assert (first.by_appointment, first.opening_notes) == (False, "Closed on bank holidays")
        assert first.cost_detail == "\u00a33 a session"
        slots = first.opening_times.order_by("day", "opens_at")
        assert [(s.day, f"{s.opens_at:%H:%M}", f"{s.closes_at:%H:%M}") for s in slots] == [
            ("MO", "10:00", "12:00"),
            ("TU", "13:00", "15:00"),
        ]
        # The slots' history says who wrote them and from which file.
        assert {r.history_change_reason for r in first.opening_times.model.history.all()} == {
            "Imported from times.csv"
        }
        # Exported again, the row reads back as it was: nothing to change.
        again = import_initiatives(export().encode(), filename="again.csv", dry_run=True)
        assert (again.updated, again.created) == (0, 0)

    def test_new_weekly_times_replace_the_old_and_keep_closures(self, register):
        first = register["first"]
        first.opening_times.create(day="WE", opens_at="09:00", closes_at="11:00")
        first.opening_times.create(closed=True, valid_from=date(2026, 12, 24))
        rows = table(export())
        assert rows[0]["Opening times"] == "Wed 09:00-11:00"
        assert rows[0]["Opening exceptions"] == "Closed on 24 December 2026"
        rows[0]["Opening times"] = "Thu 10:00-12:00"
        import_initiatives(to_csv(rows), filename="times.csv")
        assert sorted(str(slot) for slot in first.opening_times.all()) == [
            "Closed 2026-12-24 to 2026-12-24",
            "Thursday 10:00-12:00",
        ]

    @pytest.mark.parametrize(
        ("column", "value", "message"),
        [
            ("Phone", "12345", "Enter a UK phone number"),
            ("Email", "hello@localhost", "Enter an email address with its domain"),
            ("Email", "no-at-sign", "Enter a valid email address"),
            ("Opening times", "Mon 16:00-10:00", "closes before it opens"),
            ("Opening times", "Mon 10:00-12:00; Mon 11:00-13:00", "overlaps"),
            ("Opening times", "Monday all day", "is not a day and times"),
            ("Step-free access", "maybe", "is not yes or no"),
            ("How to access", "Queue", "Unknown way in"),
        ],
    )
    def test_a_bad_value_is_refused_with_its_column_and_nothing_is_written(
        self, register, column, value, message
    ):
        rows = table(export())
        rows[1] |= {"Summary": "Changed, and would be written if the file were accepted."}
        rows[0][column] = value
        before = Initiative.history.count()
        problems = problems_of(to_csv(rows))
        assert len(problems) == 1
        assert problems[0].startswith(f"Row 2, {column}: ")
        assert message in problems[0]
        assert Initiative.history.count() == before
        assert not Initiative.objects.filter(summary__startswith="Changed").exists()
        assert not register["first"].opening_times.exists()
