"""import_postcodes, and finding places and initiatives by postcode."""

import io
from math import hypot

import brotli
import msgpack
import pytest
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command

from places import lookup
from places.management.commands import import_postcodes
from places.models import Postcode, PostcodeImport

from ..factories import InitiativeFactory, PostcodeFactory

pytestmark = pytest.mark.django_db

NAN = float("nan")
HALTON, WREXHAM, CHESHIRE_WEST = "E06000006", "W06000006", "E06000050"

# Real rows from the ONS Postcode Directory (November 2025), in its own 7-character form,
# except WA7 2ZZ: made up, to put one postcode of a sector in another local authority.
SAMPLE = {
    "B": [
        ("BT1 1AA", "N09000003", 334316.0, 374675.0),  # Irish Grid
        ("BT1 1AE", "N09000003", 333720.0, 374670.0),
    ],
    "G": [("GY1 1AA", "L99999999", NAN, NAN)],  # Guernsey: no grid reference
    "L": [
        ("LL111AA", WREXHAM, 333056.0, 350649.0),
        ("LL111AB", WREXHAM, 333527.0, 350360.0),
    ],
    "W": [
        ("WA7 1AA", HALTON, 353842.0, 381209.0),
        ("WA7 1AB", HALTON, 351329.0, 382947.0),
        ("WA7 1AD", HALTON, 351140.0, 382941.0),
        ("WA7 2AA", HALTON, 353853.0, 381440.0),
        ("WA7 2AB", HALTON, 353766.0, 382238.0),
        ("WA7 2ZZ", CHESHIRE_WEST, 353800.0, 381800.0),
    ],
}
UNITS = 11


@pytest.fixture
def data_dir(tmp_path):
    """Data files in the package's own format: brotli-compressed msgpack columns."""
    for letter, rows in SAMPLE.items():
        columns = ["pcd", "laua", "oseast1m", "osnrth1m"]
        data = {
            "columns": columns,
            "data": {name: [row[i] for row in rows] for i, name in enumerate(columns)},
        }
        path = tmp_path / f"postcodes_{letter}.msgpack.br"
        path.write_bytes(brotli.compress(msgpack.packb(data, use_bin_type=True)))
    return tmp_path


def run_import(data_dir, *args) -> str:
    out = io.StringIO()
    call_command("import_postcodes", "--data-dir", str(data_dir), *args, stdout=out)
    return out.getvalue()


def table() -> list[tuple]:
    return list(
        Postcode.objects.order_by("postcode").values_list(
            "postcode",
            "kind",
            "district",
            "sector",
            "local_authority_code",
            "easting",
            "northing",
            "latitude",
            "longitude",
            "unit_count",
        )
    )


# Importing


def test_import_fills_units_with_location(data_dir):
    run_import(data_dir)
    assert Postcode.objects.filter(kind=Postcode.Kind.UNIT).count() == UNITS
    unit = Postcode.objects.get(postcode="WA7 1AB")
    assert (unit.district, unit.sector, unit.local_authority_code) == ("WA7", "WA7 1", HALTON)
    assert (unit.easting, unit.northing) == (351329, 382947)
    # Runcorn; PROJ gives 53.341171, -2.732460 for the same grid reference.
    assert unit.latitude == pytest.approx(53.341171, abs=0.000002)
    assert unit.longitude == pytest.approx(-2.732460, abs=0.000002)
    assert Postcode.objects.get(postcode="LL11 1AA").sector == "LL11 1"


def test_import_derives_sector_and_district_centres(data_dir):
    run_import(data_dir)
    sector = Postcode.objects.get(postcode="WA7 1")
    assert sector.kind == Postcode.Kind.SECTOR
    assert sector.unit_count == 3
    # Mean of WA7 1AA, 1AB and 1AD.
    assert sector.easting == round((353842 + 351329 + 351140) / 3)
    assert sector.northing == round((381209 + 382947 + 382941) / 3)
    assert sector.latitude is not None

    # Two of three postcodes of WA7 2 lie in Halton: the sector is Halton's.
    assert Postcode.objects.get(postcode="WA7 2").local_authority_code == HALTON

    district = Postcode.objects.get(postcode="WA7")
    assert (district.kind, district.unit_count, district.sector) == (
        Postcode.Kind.DISTRICT,
        6,
        "",
    )
    assert district.easting == round((353842 + 351329 + 351140 + 353853 + 353766 + 353800) / 6)
    assert district.local_authority_code == HALTON


def test_northern_ireland_is_put_on_the_national_grid(data_dir):
    run_import(data_dir)
    belfast = Postcode.objects.get(postcode="BT1 1AA")
    assert (belfast.easting, belfast.northing) == pytest.approx((146778, 530104), abs=1)
    assert belfast.latitude == pytest.approx(54.6024, abs=0.0001)
    sector = Postcode.objects.get(postcode="BT1 1")
    # The centre is between its two postcodes, on the same grid.
    assert 146_000 < sector.easting < 147_000
    assert sector.local_authority_code == "N09000003"


def test_postcode_without_a_grid_reference_is_kept_without_location(data_dir):
    run_import(data_dir)
    guernsey = Postcode.objects.get(postcode="GY1 1AA")
    assert guernsey.local_authority_code == "L99999999"
    assert not guernsey.has_location
    assert Postcode.objects.get(postcode="GY1").easting is None


def test_import_is_idempotent(data_dir):
    first_output = run_import(data_dir)
    first = table()
    assert "11 postcodes" in first_output
    second_output = run_import(data_dir)
    assert "already imported" in second_output
    assert table() == first
    run_import(data_dir, "--restart")
    assert table() == first


def test_restart_repairs_changed_rows(data_dir):
    run_import(data_dir)
    before = table()
    Postcode.objects.filter(postcode="WA7 1AB").update(easting=1, local_authority_code="X")
    Postcode.objects.filter(postcode="WA7 1").update(northing=1)
    run_import(data_dir, "--restart")
    assert table() == before


def test_a_stopped_import_carries_on_where_it_stopped(data_dir, monkeypatch):
    real_upsert = import_postcodes.upsert_postcodes

    def fail_on_wrexham(rows):
        if any(row[0].startswith("LL") for row in rows):
            raise RuntimeError("connection lost")
        real_upsert(rows)

    monkeypatch.setattr(import_postcodes, "upsert_postcodes", fail_on_wrexham)
    with pytest.raises(RuntimeError):
        run_import(data_dir)
    finished = set(PostcodeImport.objects.values_list("step", flat=True))
    assert finished == {"postcodes_B.msgpack.br", "postcodes_G.msgpack.br"}

    monkeypatch.setattr(import_postcodes, "upsert_postcodes", real_upsert)
    output = run_import(data_dir)
    assert "postcodes_B.msgpack.br: already imported, skipped." in output
    assert Postcode.objects.filter(kind=Postcode.Kind.UNIT).count() == UNITS
    assert Postcode.objects.filter(postcode="WA7 1").exists()


def test_a_subset_has_its_authorities_postcodes_and_every_centre(data_dir):
    output = run_import(data_dir, "--local-authorities", f"{WREXHAM.lower()}, ")
    units = set(Postcode.objects.filter(kind=Postcode.Kind.UNIT).values_list("postcode", flat=True))
    assert units == {"LL11 1AA", "LL11 1AB"}
    # Centres come from every postcode, so partial postcodes work everywhere.
    assert Postcode.objects.get(postcode="WA7 1").unit_count == 3
    assert "python manage.py import_postcodes" in output

    # The full import afterwards adds the rest.
    run_import(data_dir)
    assert Postcode.objects.filter(kind=Postcode.Kind.UNIT).count() == UNITS


def test_a_full_import_satisfies_a_later_subset(data_dir):
    run_import(data_dir)
    assert "already imported" in run_import(data_dir, "--demo")


@pytest.mark.parametrize("codes", ["HALTON", "E0600000", ",", "E06000006;W06000006"])
def test_bad_local_authority_codes_are_refused(data_dir, codes):
    with pytest.raises(CommandError, match="like E06000006,W06000006"):
        run_import(data_dir, "--local-authorities", codes)


def test_a_folder_without_data_is_refused(tmp_path):
    with pytest.raises(CommandError, match="No postcode data files"):
        run_import(tmp_path)


def test_import_locates_initiatives_saved_before_it(data_dir):
    exact = InitiativeFactory(postcode="WA7 1AB")
    near_miss = InitiativeFactory(postcode="WA7 1ZZ")
    unknown = InitiativeFactory(postcode="CH1 1AA")
    assert exact.easting is None

    output = run_import(data_dir)
    assert "Located" in output
    exact.refresh_from_db()
    near_miss.refresh_from_db()
    unknown.refresh_from_db()
    assert (exact.easting, exact.northing) == (351329, 382947)
    assert exact.latitude == pytest.approx(53.341171, abs=0.000002)
    sector = Postcode.objects.get(postcode="WA7 1")
    assert (near_miss.easting, near_miss.northing) == (sector.easting, sector.northing)
    assert unknown.easting is None


# Reading what people type


@pytest.mark.parametrize(
    "text, expected",
    [
        ("WA7 1AB", ("WA7 1AB",)),
        ("wa71ab", ("WA7 1AB",)),
        ("  wa7   1ab ", ("WA7 1AB",)),
        ("sw1a 1aa", ("SW1A 1AA",)),
        ("ZZ99 9ZZ", ("ZZ99 9ZZ",)),
        ("WA7 1", ("WA7 1",)),
        ("wa7 1a", ("WA7 1",)),
        ("WA7", ("WA7",)),
        ("SW1A", ("SW1A",)),
        ("WA71", ("WA71", "WA7 1")),
        ("m11", ("M11", "M1 1")),
    ],
)
def test_parse_place_query_reads_postcodes_sectors_and_districts(text, expected):
    assert lookup.parse_place_query(text).candidates == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "HELLO",
        "12345",
        "WA7 1AB 2",
        "WA7-1AB",
        "WA7 1AB; DROP TABLE",
        "W" * 500,
        "WA７ 1AB",  # a full-width digit
        "WA7\x001AB",
        "<script>",
    ],
)
def test_parse_place_query_explains_what_to_enter(text):
    with pytest.raises(ValidationError) as error:
        lookup.parse_place_query(text)
    assert error.value.messages == ["Enter a UK postcode, like WA7 1AB"]


def test_find_postcode_in_any_case_and_spacing():
    PostcodeFactory(postcode="WA7 1AB")
    PostcodeFactory(postcode="WA7 1", kind=Postcode.Kind.SECTOR)
    PostcodeFactory(postcode="WA7", kind=Postcode.Kind.DISTRICT)
    PostcodeFactory(postcode="M11", kind=Postcode.Kind.DISTRICT, local_authority_code="")
    PostcodeFactory(postcode="M1 1", kind=Postcode.Kind.SECTOR, local_authority_code="")

    assert lookup.find_postcode("wa7 1ab").postcode == "WA7 1AB"
    assert lookup.find_postcode("WA71AB").postcode == "WA7 1AB"
    assert lookup.find_postcode("wa7 1").kind == Postcode.Kind.SECTOR
    assert lookup.find_postcode("Wa7").kind == Postcode.Kind.DISTRICT
    # No district WA71: the sector WA7 1, typed without its space.
    assert lookup.find_postcode("WA71").postcode == "WA7 1"
    # Both exist: the district wins.
    assert lookup.find_postcode("M11").postcode == "M11"
    assert lookup.find_postcode("ZZ99 9ZZ") is None
    assert lookup.find_postcode("HELLO") is None
    assert lookup.find_postcode("x" * 500) is None


# Locating initiatives


def test_saving_an_initiative_locates_it_from_its_postcode():
    PostcodeFactory(postcode="WA7 1AB", easting=351329, northing=382947)
    initiative = InitiativeFactory(postcode="wa7 1ab")
    initiative.refresh_from_db()
    assert initiative.postcode == "WA7 1AB"
    assert (initiative.easting, initiative.northing) == (351329, 382947)
    assert lookup.postcode_not_found_message(initiative) is None

    initiative.postcode = ""
    initiative.save()
    initiative.refresh_from_db()
    assert initiative.easting is None
    assert lookup.postcode_not_found_message(initiative) is None


def test_saving_only_the_postcode_field_also_saves_the_location():
    PostcodeFactory(postcode="WA7 1AB")
    initiative = InitiativeFactory()
    initiative.postcode = "WA7 1AB"
    initiative.save(update_fields=["postcode"])
    initiative.refresh_from_db()
    assert initiative.easting == 351329


def test_a_postcode_missing_from_the_directory_takes_its_sectors_centre():
    PostcodeFactory(postcode="WA7 1AB")
    PostcodeFactory(postcode="WA7 1", kind=Postcode.Kind.SECTOR, easting=352104, northing=382366)
    initiative = InitiativeFactory(postcode="WA7 1ZZ")
    assert (initiative.easting, initiative.northing) == (352104, 382366)
    message = lookup.postcode_not_found_message(initiative)
    assert "WA7 1ZZ is not in the postcode directory" in message
    assert "postcode sector WA7 1" in message
    assert "Check the postcode" in message


def test_a_postcode_we_cannot_place_clears_the_location_and_says_so():
    PostcodeFactory(postcode="WA7 1AB")
    initiative = InitiativeFactory(postcode="WA7 1AB")
    assert initiative.easting is not None
    initiative.postcode = "CH1 1AA"
    initiative.save()
    assert initiative.easting is None and initiative.latitude is None
    message = lookup.postcode_not_found_message(initiative)
    assert message.startswith("We couldn't find CH1 1AA in the postcode directory")
    assert "does not appear in searches by distance" in message


def test_before_any_import_the_curator_is_told_to_run_it():
    initiative = InitiativeFactory(postcode="WA7 1AB")
    assert initiative.easting is None
    assert "python manage.py import_postcodes" in lookup.postcode_not_found_message(initiative)


def test_distance_between_two_imported_postcodes_is_pythagoras(data_dir):
    run_import(data_dir)
    a = Postcode.objects.get(postcode="WA7 1AA")
    b = Postcode.objects.get(postcode="WA7 1AB")
    # 2,513 m east-west and 1,738 m north-south: about 3.06 km, as on a map of Runcorn.
    assert hypot(a.easting - b.easting, a.northing - b.northing) == pytest.approx(3055, abs=1)


# Searching near a postcode


@pytest.fixture
def halton_postcodes():
    PostcodeFactory(postcode="WA7 1AB")
    PostcodeFactory(postcode="WA7 1", kind=Postcode.Kind.SECTOR, easting=352104, northing=382366)
    PostcodeFactory(postcode="WA7", kind=Postcode.Kind.DISTRICT, easting=353284, northing=381728)


def test_find_place_is_exact_for_a_known_postcode(halton_postcodes):
    place = lookup.find_place(" wa71ab ")
    assert place.exact and place.note == ""
    assert place.postcode.postcode == "WA7 1AB"
    assert lookup.find_place("wa7 1").exact


def test_find_place_falls_back_to_the_sector_then_the_district(halton_postcodes):
    place = lookup.find_place("WA7 1ZZ")
    assert not place.exact
    assert place.postcode.postcode == "WA7 1"
    assert place.note == (
        "We couldn't find WA7 1ZZ, so we are showing results near the centre of "
        "postcode sector WA7 1."
    )
    assert lookup.find_place("WA7 9ZZ").postcode.postcode == "WA7"
    assert lookup.find_place("wa7 9").postcode.postcode == "WA7"


@pytest.mark.parametrize(
    "text, message",
    [
        ("HELLO", "Enter a UK postcode, like WA7 1AB"),
        ("ZZ99 9ZZ", "We couldn't find that postcode"),
        ("SW1A", "We couldn't find that postcode"),
    ],
)
def test_find_place_explains_what_went_wrong(halton_postcodes, text, message):
    with pytest.raises(ValidationError) as error:
        lookup.find_place(text)
    assert error.value.messages == [message]


def test_place_field_gives_a_place_or_a_message(halton_postcodes):
    from django import forms

    from places.forms import PlaceField

    class SearchForm(forms.Form):
        postcode = PlaceField(required=False, label="Postcode")

    assert SearchForm({"postcode": ""}).is_valid()
    form = SearchForm({"postcode": "wa7 1ab"})
    assert form.is_valid()
    assert form.cleaned_data["postcode"].postcode.postcode == "WA7 1AB"
    for text, message in [
        ("W" * 500, "Enter a UK postcode, like WA7 1AB"),
        ("HELLO", "Enter a UK postcode, like WA7 1AB"),
        ("ZZ99 9ZZ", "We couldn't find that postcode"),
    ]:
        form = SearchForm({"postcode": text})
        assert not form.is_valid()
        assert form.errors["postcode"] == [message]
